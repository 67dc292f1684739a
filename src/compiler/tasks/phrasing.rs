//! Phrasings agents write that spec-kitty 3.1.1's grammar reads as nothing: `Depends on: WP01` (a
//! colon after "on"), lower-case ids (`wp01`) in a declaration, a misspelled `**Dependencies**:`
//! label or heading (`**Depndencies**:`, `Dependency:`), and `## Work Package 1 — Title`
//! headings. finalize keeps 3.1.1's reading (no dependency, no section) and warns; `lint` reports
//! the same warnings with the fix.

use crate::support::diagnostics::{Diag, Source};
use crate::support::pattern::Pattern;

static DEPENDS_ON_COLON: Pattern = Pattern::new(r"(?i)\bdepends?\s+on\s*:");
static DECLARATION: Pattern = Pattern::new(r"(?i)\bdepends?\s+on\b|\bdependencies\b");
static WP_TOKEN: Pattern = Pattern::new(r"(?i)\bwp\d{2,}\b");
static NUMBERED_HEADING: Pattern = Pattern::new(r"^#{2,4}[ \t]+Work Package[ \t]+(\d+)\b");

/// The warnings for one tasks.md.
pub fn warnings(src: &Source) -> Vec<Diag> {
    let text: &str = &src.text;
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        // Both declaration patterns need "depend" and the heading needs "Work Package": lines
        // without them (most) skip the patterns. No non-ASCII letter folds to d, e, p or n, so
        // an ASCII case-insensitive search finds every line `(?i)` could match.
        let declares = contains_ascii_ci(body, b"depend");
        if let Some(m) = declares.then(|| DEPENDS_ON_COLON.find(body)).flatten() {
            out.push(
                Diag::warning(
                    "lint::depends-on-colon",
                    "`Depends on:` with a colon declares no dependency (finalize reads `Depends on WP01` or `**Dependencies**: WP01`)",
                )
                .at(src, start + m.start..start + m.end, "no dependency is read here")
                .with_help("drop the colon (`Depends on WP01, WP02`) or write `**Dependencies**: WP01, WP02`"),
            );
        }
        // Only a token not written `WP` is reported: a line without `wp`, `wP` or `Wp` has none.
        if declares && has_lower_wp(body) && DECLARATION.is_match(body) {
            for m in WP_TOKEN.find_all(body) {
                let id = &body[m.clone()];
                if !id.starts_with("WP") {
                    out.push(
                        Diag::warning(
                            "lint::lowercase-wp-id",
                            format!("`{id}` is not read as a dependency: work package ids are upper case"),
                        )
                        .at(src, start + m.start..start + m.end, "not a dependency")
                        .with_help(format!("write `{}`", id.to_ascii_uppercase())),
                    );
                }
            }
        }
        if let Some((label, at)) = misspelled_dependencies(body) {
            out.push(
                Diag::warning(
                    "lint::misspelled-dependencies",
                    format!("`{label}` is not `Dependencies`: no dependency is read from this line"),
                )
                .at(src, start + at..start + at + label.len(), "not read as a declaration")
                .with_help("write `**Dependencies**: WP01, WP02` (or a `## Dependencies` heading over `- WP01` bullets)"),
            );
        }
        if let Some(n) = (body.starts_with("##") && body.contains("Work Package"))
            .then(|| NUMBERED_HEADING.capture(body, 1))
            .flatten()
        {
            let number: u32 = body[n].parse().unwrap_or(0);
            out.push(
                Diag::warning(
                    "lint::work-package-number-heading",
                    "a `## Work Package 1` heading opens no work package section (finalize looks for `## WP01`)",
                )
                .at(src, start..start + body.len(), "not a WP section")
                .with_help(format!("write `## WP{number:02} — <title>` (or `## Work Package WP{number:02} — <title>`)")),
            );
        }
        start += line.len();
    }
    out
}

/// A label that reads like `Dependencies` but is not it, and its byte offset: the first word of a
/// line (after any leading `#`s, spaces and `*`s), followed by a colon (`**Label**:`,
/// `Label:`) or, on a heading, by nothing else; within two edits of "dependencies", or the
/// singular.
fn misspelled_dependencies(line: &str) -> Option<(&str, usize)> {
    let rest = line.trim_start_matches('#').trim_start_matches([' ', '\t']);
    let heading = line.starts_with('#');
    let rest = rest.trim_start_matches('*');
    let at = line.len() - rest.len();
    let end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let label = &rest[..end];
    // Cheap first: most lines fail on the first letter or the length.
    if !label.starts_with(['d', 'D']) || !(8..=14).contains(&label.len()) {
        return None;
    }
    let after = rest[end..]
        .trim_start_matches('*')
        .trim_start_matches([' ', '\t']);
    if !(after.starts_with(':') || (heading && after.is_empty())) {
        return None;
    }
    let lower = label.to_ascii_lowercase();
    (lower != "dependencies"
        && (lower == "dependency" || strsim::damerau_levenshtein(&lower, "dependencies") <= 2))
        .then_some((label, at))
}

/// Whether `needle` (lower-case ASCII) occurs in `haystack`, ASCII case-insensitively.
fn contains_ascii_ci(haystack: &str, needle: &[u8]) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether `line` has `w` or `W` followed by `p` or `P`, other than `WP`.
fn has_lower_wp(line: &str) -> bool {
    line.as_bytes()
        .windows(2)
        .any(|w| w[0].eq_ignore_ascii_case(&b'w') && w[1].eq_ignore_ascii_case(&b'p') && w != b"WP")
}

#[cfg(test)]
mod tests {
    use super::misspelled_dependencies;

    #[test]
    fn near_misses_of_the_dependencies_label_are_found() {
        for (line, label) in [
            ("**Depndencies**: WP01", "Depndencies"),
            ("Dependency: WP01", "Dependency"),
            ("**Dependancies:** WP01", "Dependancies"),
            ("## Dependecies", "Dependecies"),
            ("### **dependncies**", "dependncies"),
        ] {
            assert_eq!(
                misspelled_dependencies(line).map(|(l, _)| l),
                Some(label),
                "{line}"
            );
        }
    }

    #[test]
    fn the_real_label_and_other_words_are_left_alone() {
        for line in [
            "**Dependencies**: WP01",
            "**Dependencies:** WP01",
            "## Dependencies",
            "## Dependency graph",
            "Dependents: WP04",
            "Deployment: staging",
            "Depends on WP01",
            "Dependency injection is used throughout.",
        ] {
            assert_eq!(misspelled_dependencies(line), None, "{line}");
        }
    }
}
