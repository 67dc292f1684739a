//! From tasks.md text to [`TasksDoc`]: pest pairs in, syntax tree out, nothing else.
//!
//! Level 1 (`document`) classifies lines; this module turns WP headings into bounded sections
//! (a section ends at the next WP heading; the final one at the first other `## ` heading or at the
//! end of the file). Level 2 runs the declaration scans on each section's text.

use pest::Parser;
use pest::iterators::Pair;

use super::ast::{DepDecl, DepForm, RefDecl, ReqSection, Span, Subtask, TasksDoc, WpSection};

mod grammar {
    //! The parser pest generates from `grammar/tasks.pest` (its rules are documented there).
    #![allow(missing_docs)]

    /// The pest parser generated from `grammar/tasks.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/tasks.pest"]
    pub struct TasksParser;
}

pub use grammar::{Rule, TasksParser};

/// A grammar failure, with the byte offset where it happened.
#[derive(Debug, Clone, thiserror::Error)]
#[error("tasks.md could not be parsed at byte {offset}: {message}")]
pub struct ParseError {
    /// Byte offset of the failure.
    pub offset: usize,
    /// pest's description of what was expected.
    pub message: String,
}

fn pest_error(e: pest::error::Error<Rule>, base: usize) -> ParseError {
    let offset = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    ParseError {
        offset: base + offset,
        message: e.variant.message().into_owned(),
    }
}

/// One classified line of level 1.
struct Heading {
    rule: Rule,
    /// Start of the line.
    start: usize,
    /// End of the line (after its line break).
    end: usize,
    /// The WP id and its span, for WP headings.
    id: Option<(String, Span)>,
}

/// Parses tasks.md. The grammar accepts every input; an error here means a bug, reported as a
/// diagnostic rather than a panic.
pub fn parse(text: &str) -> Result<TasksDoc, ParseError> {
    let document = TasksParser::parse(Rule::document, text)
        .map_err(|e| pest_error(e, 0))?
        .next()
        .ok_or_else(|| ParseError {
            offset: 0,
            message: "empty parse".into(),
        })?;

    let mut headings: Vec<Heading> = Vec::new();
    let mut doc = TasksDoc::default();
    for line in document.into_inner() {
        let span = line.as_span();
        let (start, end) = (span.start(), span.end());
        match line.as_rule() {
            Rule::wp_heading | Rule::req_heading => {
                let rule = line.as_rule();
                let id = line
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::wp_id)
                    .map(|p| {
                        (
                            p.as_str().to_owned(),
                            p.as_span().start()..p.as_span().end(),
                        )
                    });
                headings.push(Heading {
                    rule,
                    start,
                    end,
                    id,
                });
            }
            Rule::h2_heading | Rule::deps_heading => headings.push(Heading {
                rule: line.as_rule(),
                start,
                end,
                id: None,
            }),
            Rule::subtask => doc.subtasks.push(subtask(line)),
            _ => {}
        }
    }

    build_dep_sections(text, &headings, &mut doc)?;
    build_req_sections(text, &headings, &mut doc);
    doc.other_h2 = headings
        .iter()
        .filter(|h| h.rule == Rule::h2_heading)
        .map(|h| h.start..h.end)
        .collect();
    Ok(doc)
}

fn subtask(line: Pair<'_, Rule>) -> Subtask {
    let span = line.as_span().start()..line.as_span().end();
    let mut id = String::new();
    let mut done = false;
    for p in line.into_inner() {
        match p.as_rule() {
            Rule::subtask_id => id = p.as_str().to_owned(),
            Rule::subtask_mark => done = p.as_str() != " ",
            _ => {}
        }
    }
    Subtask { id, done, span }
}

fn build_dep_sections(
    text: &str,
    headings: &[Heading],
    doc: &mut TasksDoc,
) -> Result<(), ParseError> {
    let wp: Vec<&Heading> = headings
        .iter()
        .filter(|h| h.rule == Rule::wp_heading)
        .collect();
    let deps_headings: Vec<(usize, usize)> = headings
        .iter()
        .filter(|h| h.rule == Rule::deps_heading)
        .map(|h| (h.start, h.end))
        .collect();
    for (i, h) in wp.iter().enumerate() {
        let Some((id, id_span)) = &h.id else { continue };
        let end = match wp.get(i + 1) {
            Some(next) => next.start,
            // The final section ends at the first later `## ` heading that is neither a WP nor a
            // Dependencies heading (FR-301), or at the end of the file.
            None => headings
                .iter()
                .find(|o| o.start >= h.end && ends_final_section(text, o))
                .map_or(text.len(), |o| o.start),
        };
        let body = id_span.end..end.max(id_span.end);
        let mut deps = scan_inline(text, body.clone())?;
        deps.extend(scan_colon(text, body.clone())?);
        deps.extend(scan_bullets(text, body.clone(), &deps_headings));
        doc.sections.push(WpSection {
            id: id.clone(),
            heading: h.start..line_end(text, id_span.end),
            id_span: id_span.clone(),
            body,
            deps,
        });
    }
    Ok(())
}

/// Whether a heading line ends the final WP section: 3.1.1 stopped at any line starting `## `
/// unless its own regex saw a WP heading there, or the line alone (stripped) is a Dependencies
/// heading. A requirement-only heading (`## WP02é`) therefore ends it, and so does `## ` followed
/// by `Dependencies` on the next line.
fn ends_final_section(text: &str, h: &Heading) -> bool {
    if !text[h.start..].starts_with("## ") {
        return false;
    }
    match h.rule {
        Rule::h2_heading | Rule::req_heading => true,
        Rule::deps_heading => text[h.start..line_end(text, h.start)]
            .to_ascii_lowercase()
            .find("dependencies")
            .is_none(),
        _ => false,
    }
}

fn line_end(text: &str, from: usize) -> usize {
    text[from..].find('\n').map_or(text.len(), |i| from + i)
}

fn scan_inline(text: &str, body: Span) -> Result<Vec<DepDecl>, ParseError> {
    let slice = &text[body.clone()];
    let pairs =
        TasksParser::parse(Rule::inline_scan, slice).map_err(|e| pest_error(e, body.start))?;
    let mut out = Vec::new();
    for decl in pairs.flatten().filter(|p| p.as_rule() == Rule::dep_inline) {
        let decl_span = body.start + decl.as_span().start()..body.start + decl.as_span().end();
        for tok in decl.into_inner().filter(|p| p.as_rule() == Rule::wp_token) {
            // The phrase matches in any case, but only an upper-case `WP` id counts (3.1.1's
            // second, case-sensitive pass).
            if tok.as_str().starts_with("WP") {
                out.push(DepDecl {
                    wp: tok.as_str().to_owned(),
                    span: body.start + tok.as_span().start()..body.start + tok.as_span().end(),
                    form: DepForm::Inline,
                    decl_span: decl_span.clone(),
                });
            }
        }
    }
    Ok(out)
}

fn scan_colon(text: &str, body: Span) -> Result<Vec<DepDecl>, ParseError> {
    let slice = &text[body.clone()];
    let pairs =
        TasksParser::parse(Rule::colon_scan, slice).map_err(|e| pest_error(e, body.start))?;
    let mut out = Vec::new();
    for decl in pairs.flatten().filter(|p| p.as_rule() == Rule::dep_colon) {
        let decl_span = body.start + decl.as_span().start()..body.start + decl.as_span().end();
        for id in decl
            .into_inner()
            .flatten()
            .filter(|p| p.as_rule() == Rule::wp_id)
        {
            out.push(DepDecl {
                wp: id.as_str().to_owned(),
                span: body.start + id.as_span().start()..body.start + id.as_span().end(),
                form: DepForm::Colon,
                decl_span: decl_span.clone(),
            });
        }
    }
    Ok(out)
}

/// Form 3: for each Dependencies heading inside the section, the bullets that follow it. Blank
/// lines are skipped; a line starting with `#` or any non-bullet line ends the list.
fn scan_bullets(text: &str, body: Span, deps_headings: &[(usize, usize)]) -> Vec<DepDecl> {
    // (where the declaration starts, where its list starts)
    let mut lists: Vec<(usize, usize)> = Vec::new();
    // The rest of the heading line is the section's first line; 3.1.1 tested it like any other
    // (and the whitespace after its hashes may run onto the next lines).
    // A Dependencies heading starts with `#`: most heading lines need no parse to rule it out.
    let rest = &text[body.clone()];
    if rest.starts_with('#')
        && let Some(len) = TasksParser::parse(Rule::deps_heading, rest)
            .ok()
            .and_then(|mut p| p.next())
            .map(|p| p.as_str().len())
    {
        lists.push((body.start, body.start + len));
    }
    // `deps_headings` is sorted by start: find the ones inside the body by binary search.
    let from = deps_headings.partition_point(|h| h.0 < body.start);
    lists.extend(
        deps_headings[from..]
            .iter()
            .take_while(|h| h.0 < body.end)
            .copied(),
    );
    let mut out = Vec::new();
    for (decl_start, mut pos) in lists {
        while pos < body.end {
            let end = line_end(text, pos).min(body.end);
            let line = &text[pos..end];
            let stripped = py_strip(line);
            if stripped.is_empty() {
                pos = end + 1;
                continue;
            }
            if stripped.starts_with('#') {
                break;
            }
            let Some(id) = TasksParser::parse(Rule::dep_bullet, line)
                .ok()
                .and_then(|mut p| p.next())
                .and_then(|p| p.into_inner().find(|p| p.as_rule() == Rule::wp_id))
            else {
                break;
            };
            out.push(DepDecl {
                wp: id.as_str().to_owned(),
                span: pos + id.as_span().start()..pos + id.as_span().end(),
                form: DepForm::Bullet,
                decl_span: decl_start..end,
            });
            pos = end + 1;
        }
    }
    out
}

/// Every WP id mentioned in `text[range]` (anywhere, in any context), with absolute spans.
pub fn mentions(text: &str, range: Span) -> Vec<(String, Span)> {
    let Ok(pairs) = TasksParser::parse(Rule::mention_scan, &text[range.clone()]) else {
        return Vec::new();
    };
    pairs
        .flatten()
        .filter(|p| p.as_rule() == Rule::wp_id)
        .map(|p| {
            (
                p.as_str().to_owned(),
                range.start + p.as_span().start()..range.start + p.as_span().end(),
            )
        })
        .collect()
}

/// Python's `str.strip()` (Unicode whitespace, plus the separators Python counts as space).
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

fn build_req_sections(text: &str, headings: &[Heading], doc: &mut TasksDoc) {
    let text_len = text.len();
    // A WP heading (Python `re` semantics) opens a requirement section only if the RE2 pattern
    // 3.1.1's requirement splitter used matches it as well.
    let req: Vec<&Heading> = headings
        .iter()
        .filter(|h| match h.rule {
            Rule::req_heading => true,
            Rule::wp_heading => TasksParser::parse(Rule::req_heading, &text[h.start..]).is_ok(),
            _ => false,
        })
        .collect();
    for (i, h) in req.iter().enumerate() {
        let Some((id, id_span)) = &h.id else { continue };
        let end = req.get(i + 1).map_or(text_len, |n| n.start);
        let body = id_span.end..end.max(id_span.end);
        doc.req_sections.push(ReqSection {
            id: id.clone(),
            body,
        });
    }
}

/// The requirement references declared in a requirement section (`**Requirement Refs**: FR-001`
/// lines), de-duplicated in order. Scanned on demand: only WPs whose frontmatter has no refs need
/// them.
pub fn section_refs(text: &str, body: Span) -> Vec<RefDecl> {
    let Ok(pairs) = TasksParser::parse(Rule::refs_scan, &text[body.clone()]) else {
        return Vec::new();
    };
    let mut refs: Vec<RefDecl> = Vec::new();
    for value in pairs.flatten().filter(|p| p.as_rule() == Rule::refs_value) {
        let base = body.start + value.as_span().start();
        for (id, span) in crate::compiler::requirements::find_ids_ascii(value.as_str()) {
            if !refs.iter().any(|r| r.id == id) {
                refs.push(RefDecl {
                    id,
                    span: base + span.start..base + span.end,
                });
            }
        }
    }
    refs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(text: &str) -> Vec<(String, Vec<String>)> {
        parse(text)
            .expect("parses")
            .sections
            .iter()
            .map(|s| (s.id.clone(), s.dependency_ids()))
            .collect()
    }

    fn one(text: &str) -> Vec<String> {
        deps(text)
            .into_iter()
            .next()
            .map(|(_, d)| d)
            .unwrap_or_default()
    }

    #[test]
    fn headings_accepted_and_rejected() {
        let text =
            "## WP01\n## WP02: T\n## WP03 — T\n## Work Package WP04: T\n### WP05 T\n## WP06/WP07\n";
        let ids: Vec<String> = deps(text).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["WP01", "WP02", "WP03", "WP04", "WP05", "WP06"]);
        for bad in [
            "#### WP01\n",
            "### Work Package WP01\n",
            "##WP01\n",
            "## WP01_title\n",
            "# WP01\n",
            "## Work Package 1 — T\n",
        ] {
            assert!(deps(bad).is_empty(), "{bad:?} must not open a section");
        }
        // Three-digit ids are accepted (a deliberate extension).
        assert_eq!(deps("## WP100\n")[0].0, "WP100");
    }

    #[test]
    fn inline_form() {
        assert_eq!(
            one("## WP03\nDepends on WP01, WP02, and WP04\n"),
            ["WP01", "WP02"]
        );
        assert_eq!(one("## WP03\nDepends on WP01 and WP02\n"), ["WP01"]);
        assert!(one("## WP03\nDepends on: WP01\n").is_empty());
        assert!(one("## WP03\ndepends on wp01\n").is_empty());
        assert_eq!(one("## WP03\nDepends\non WP01\n"), ["WP01"]);
        assert_eq!(one("## WP03: x — depends on WP02\n"), ["WP02"]);
    }

    #[test]
    fn colon_form() {
        assert_eq!(
            one("## WP03\n**Dependencies**: WP01, WP02\n"),
            ["WP01", "WP02"]
        );
        assert_eq!(
            one("## WP03\n**Dependencies**:\n\n- WP01\n- WP02\n"),
            ["WP01"]
        );
        assert_eq!(
            one("## WP03\n**Dependencies**: none (T007 from WP02 is independent)\n"),
            ["WP02"]
        );
        assert!(one("## WP03\nDependency: WP01\n").is_empty());
    }

    #[test]
    fn bullet_form() {
        assert_eq!(
            one("## WP03\n### Dependencies\n\n- WP01 (core)\n* WP02\n- WP04\n"),
            ["WP01", "WP02", "WP04"]
        );
        assert!(one("## WP03\n### Dependencies\n- **WP01**\n").is_empty());
        assert!(one("## WP03\n### Dependencies\n- [ ] WP01\n").is_empty());
        assert_eq!(
            one("## WP03\n### Dependencies\n- WP01\ntext\n- WP02\n"),
            ["WP01"]
        );
        assert_eq!(
            one("## WP03\n### Dependencies\n- WP01\n#### x\n- WP02\n"),
            ["WP01"]
        );
    }

    #[test]
    fn dependencies_heading_as_3_1_1_matched_it() {
        // The hashes start the line: an indented heading is text, its bullets are not read.
        assert!(one("## WP02\nx\n  ### Dependencies\n  - WP01\n").is_empty());
        // A heading's own tail is not a heading either.
        assert!(one("## WP02 ### Dependencies\n- WP01\n").is_empty());
        // The whitespace after the hashes may span lines.
        assert_eq!(one("## WP02\nx\n##\nDependencies\n- WP01\n"), ["WP01"]);
        assert_eq!(
            one("## WP02\n#\n\n**Dependencies**  \n\n- WP01\n"),
            ["WP01"]
        );
    }

    #[test]
    fn final_section_ends_where_3_1_1_ended_it() {
        // `## WP02é` is no WP heading to Python's `re` but a `## ` line: it ends WP02's section.
        assert!(one("## WP02\nx\n## WP02\u{e9}\n**Dependencies**: WP01\n").is_empty());
        // `## ` with `Dependencies` only on the next line is not a Dependencies heading line.
        assert!(one("## WP02\nx\n## \nDependencies\n- WP01\n").is_empty());
        // `## Dependencies` itself does not end it.
        assert_eq!(one("## WP02\nx\n## Dependencies\n- WP01\n"), ["WP01"]);
        // The heading's own tail may open a Dependencies heading that runs onto the next line.
        assert_eq!(one("## WP02####\n**Dependencies**\n- WP01\n"), ["WP01"]);
        assert!(one("## WP02 ####\n**Dependencies**\n- WP01\n").is_empty());
    }

    #[test]
    fn order_is_inline_then_colon_then_bullets_deduplicated() {
        let text = "## WP09\n### Dependencies\n- WP03\nDependencies: WP02, WP01\nDepends on WP01\n";
        assert_eq!(one(text), ["WP01", "WP02", "WP03"]);
    }

    #[test]
    fn final_section_is_bounded() {
        let text =
            "## WP01\nx\n## WP02\n**Dependencies**: none\n\n## Notes\n\nWP02 depends on WP01\n";
        assert_eq!(
            deps(text),
            [("WP01".into(), vec![]), ("WP02".into(), vec![])]
        );
        // Dependencies headings, ### headings, H1s and rules do not end it.
        let text = "## WP02\n## Dependencies\n- WP01\n### Notes\n# H1\n---\nDepends on WP03\n";
        assert_eq!(one(text), ["WP03", "WP01"]);
        // A colon makes `## Dependencies: WP01` an ordinary heading, which ends the section.
        assert!(one("## WP02\nbody\n## Dependencies: WP01\n").is_empty());
        // A non-final section runs to the next WP heading, across `## Notes`.
        assert_eq!(
            one("## WP01\n## Notes\nDepends on WP05\n## WP02\n"),
            ["WP05"]
        );
    }

    #[test]
    fn crlf_behaves_like_lf() {
        let text =
            "## WP01\r\n\r\n## WP02\r\n**Dependencies**: WP01\r\n## Notes\r\nDepends on WP03\r\n";
        assert_eq!(
            deps(text),
            [
                ("WP01".into(), vec![]),
                ("WP02".into(), vec!["WP01".into()])
            ]
        );
    }

    #[test]
    fn requirement_sections() {
        let text =
            "## WP01\n**Requirement Refs**: FR-001, nfr-002\n#### WP02\nRequirements: C-003\n";
        let doc = parse(text).expect("parses");
        let refs: Vec<(String, Vec<String>)> = doc
            .req_sections
            .iter()
            .map(|s| {
                (
                    s.id.clone(),
                    section_refs(text, s.body.clone())
                        .iter()
                        .map(|r| r.id.clone())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            refs,
            [
                ("WP01".into(), vec!["FR-001".into(), "NFR-002".into()]),
                ("WP02".into(), vec!["C-003".into()])
            ]
        );
        // `#### WP02` is not a dependency-section heading.
        assert_eq!(doc.sections.len(), 1);
    }

    fn req_refs(text: &str) -> Vec<(String, Vec<String>)> {
        let doc = parse(text).expect("parses");
        doc.req_sections
            .iter()
            .map(|s| {
                let refs = section_refs(text, s.body.clone());
                (s.id.clone(), refs.into_iter().map(|r| r.id).collect())
            })
            .collect()
    }

    #[test]
    fn requirement_patterns_have_re2_ascii_semantics() {
        // A no-break space is whitespace to Python's `re` (a dependency section opens) but not
        // to RE2 (no requirement section: the refs line belongs to WP01's).
        let text = "## WP01\n##\u{a0}WP02\n**Requirement Refs**: FR-002\n";
        assert_eq!(one_ids(text), ["WP01", "WP02"]);
        assert_eq!(req_refs(text), [("WP01".into(), vec!["FR-002".to_owned()])]);
        // `WP02é` has no word boundary for Python, one for RE2.
        let text = "## WP01\n## WP02\u{e9} x\n**Requirement Refs**: FR-002\u{e9}\n";
        assert_eq!(one_ids(text), ["WP01"]);
        assert_eq!(
            req_refs(text),
            [
                ("WP01".into(), vec![]),
                ("WP02".into(), vec!["FR-002".to_owned()])
            ]
        );
    }

    fn one_ids(text: &str) -> Vec<String> {
        deps(text).into_iter().map(|(id, _)| id).collect()
    }

    #[test]
    fn spans_point_at_ids() {
        let text = "## WP02\nDepends on WP01\n";
        let doc = parse(text).expect("parses");
        let d = &doc.sections[0].deps[0];
        assert_eq!(&text[d.span.clone()], "WP01");
        assert_eq!(&text[doc.sections[0].id_span.clone()], "WP02");
    }

    #[test]
    fn subtasks() {
        let doc = parse("- [ ] T001 a\n- [x] T002 b\n").expect("parses");
        assert_eq!(doc.subtasks.len(), 2);
        assert!(doc.subtasks[1].done);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Arbitrary bytes (as the lossy UTF-8 a file read would give) never panic the parser,
        /// and every span it returns lies inside the text on character boundaries.
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let text = String::from_utf8_lossy(&bytes);
            let doc = super::parse(&text).expect("the grammar accepts every input");
            for s in &doc.sections {
                prop_assert!(s.body.end <= text.len() && text.is_char_boundary(s.body.start));
                for d in &s.deps {
                    prop_assert_eq!(&text[d.span.clone()], d.wp.as_str());
                }
            }
        }

        /// Text built from tasks.md's own vocabulary reaches the interesting rules.
        #[test]
        fn parser_never_panics_on_tasks_like_text(parts in proptest::collection::vec(
            prop_oneof![
                Just("## WP01"), Just("### WP02: x"), Just("## Work Package WP03"), Just("#### WP04"),
                Just("## Notes"), Just("## Dependencies"), Just("**Dependencies**:"), Just("Depends on WP01, WP0"),
                Just("- WP02"), Just("- [ ] T001 x"), Just("\n"), Just("\r\n"), Just(" "), Just("é"), Just("\u{feff}"),
                Just("Requirement Refs: FR-1"), Just("WP"), Just(","), Just("##"),
            ], 0..60)) {
            let text: String = parts.concat();
            prop_assert!(super::parse(&text).is_ok());
        }
    }

    /// pest is built without its `std` feature, which only adds a stack probe to every rule
    /// call: that is safe while no rule can call itself, so no input can nest calls deeply.
    #[test]
    fn no_grammar_rule_is_recursive() {
        let grammar = include_str!("../../../grammar/tasks.pest");
        let mut rules: Vec<(&str, String)> = Vec::new();
        for line in grammar.lines().filter(|l| !l.starts_with("//")) {
            let Some((name, body)) = line.split_once(" = ") else {
                continue;
            };
            // The body without its string literals (which may hold any character).
            let mut code = String::new();
            let mut in_str = false;
            let mut chars = body.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' if in_str => {
                        chars.next();
                    }
                    '"' | '\'' => in_str = !in_str,
                    c if !in_str => code.push(c),
                    _ => {}
                }
            }
            rules.push((name.trim(), code));
        }
        assert!(rules.len() > 20, "the grammar's rules were not found");
        let calls = |code: &str| -> Vec<&str> {
            rules
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| {
                    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .any(|word| word == *n)
                })
                .collect()
        };
        // Depth-first search for a rule that reaches itself.
        for (start, code) in &rules {
            let mut stack: Vec<&str> = calls(code);
            let mut seen: Vec<&str> = Vec::new();
            while let Some(rule) = stack.pop() {
                assert_ne!(rule, *start, "rule `{start}` can call itself");
                if !seen.contains(&rule) {
                    seen.push(rule);
                    if let Some((_, body)) = rules.iter().find(|(n, _)| *n == rule) {
                        stack.extend(calls(body));
                    }
                }
            }
        }
    }
}
