//! WP prompt files: locate the YAML frontmatter by byte range, read the fields finalize uses, and
//! edit it surgically.
//!
//! An edit replaces only the lines of the keys it changes (or inserts a missing key); every other
//! byte — comments, key order, quoting, line endings, the body — stays as the author wrote it.
//! New values are written in spec-kitty 3.1.1's style (block lists at column 0, `[]` when empty,
//! plain scalars unless they need single quotes), so a finalized file reads like 3.1.1's output.

use std::ops::Range;

use yaml_serde::Value;

use super::keys::{KeyBlock, is_wp_id, line_end, locate_keys, next_line};
use crate::support::diagnostics::{Diag, Source};

#[cfg(test)]
mod properties;
mod render;
#[cfg(test)]
mod tests;

use render::flow;
pub use render::{render, scalar};

/// A value finalize writes into frontmatter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FmValue {
    /// A scalar string.
    Str(String),
    /// A list of strings.
    List(Vec<String>),
}

impl FmValue {
    /// The value as JSON (for `would_modify` payloads).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FmValue::Str(s) => serde_json::Value::String(s.clone()),
            FmValue::List(l) => {
                serde_json::Value::Array(l.iter().cloned().map(serde_json::Value::String).collect())
            }
        }
    }
}

/// The fields finalize reads, as typed values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WpMeta {
    /// `work_package_id`.
    pub work_package_id: String,
    /// `title`, if a string.
    pub title: Option<String>,
    /// `dependencies` (absent: `None`).
    pub dependencies: Option<Vec<String>>,
    /// `requirement_refs` raw items (absent: `None`).
    pub requirement_refs: Option<Vec<String>>,
    /// `planning_base_branch`.
    pub planning_base_branch: Option<String>,
    /// `merge_target_branch`.
    pub merge_target_branch: Option<String>,
    /// `branch_strategy`.
    pub branch_strategy: Option<String>,
    /// `execution_mode` (`code_change` or `planning_artifact`).
    pub execution_mode: Option<String>,
    /// `owned_files`.
    pub owned_files: Option<Vec<String>>,
    /// `authoritative_surface`.
    pub authoritative_surface: Option<String>,
    /// `scope` (not in 3.1.1's schema; read so later stages can see it).
    pub scope: Option<String>,
    /// `lane` (a legacy key), if a string.
    pub lane: Option<String>,
    /// `dependencies` was written as text (`WP01, WP02`) rather than a list.
    pub dependencies_text: bool,
    /// `requirement_refs` was written as text rather than a list.
    pub requirement_refs_text: bool,
}

/// A WP prompt file, read and located.
#[derive(Debug, Clone)]
pub struct WpFile {
    /// The file name (`WP01-setup.md`).
    pub file_name: String,
    /// The whole text, BOM included.
    pub source: Source,
    /// Byte range of the YAML between the `---` lines.
    pub yaml: Range<usize>,
    /// Top-level keys in order.
    pub keys: Vec<KeyBlock>,
    /// The typed fields.
    pub meta: WpMeta,
    /// Line ending used in the frontmatter (`"\n"` or `"\r\n"`).
    pub newline: &'static str,
    /// 3.1.1's raw check: a line `^\s*dependencies\s*:` in the frontmatter text.
    pub raw_has_dependencies: bool,
    /// The same raw check for `requirement_refs`.
    pub raw_has_requirement_refs: bool,
    /// Where 3.1.1's raw-check region ends (the second `---` of the file), if the file starts
    /// with `---`.
    raw_end: Option<usize>,
    /// The parsed mapping, kept only when an edit must rewrite the frontmatter whole: when not
    /// every top-level key sits on its own `key:` line (a flow mapping `{a: 1}`, explicit keys
    /// `? a`). A block mapping is edited in place and needs only `keys`; dropping its mapping
    /// right after parsing keeps a large mission's memory (and its freeing) small.
    rewrite: Option<yaml_serde::Mapping>,
}

impl WpFile {
    /// Reads a WP file's text. An error means the WP is unreadable (3.1.1 skipped such a WP with a
    /// warning); the diagnostic points at the problem.
    pub fn parse(file_name: &str, display: &str, text: String) -> Result<WpFile, Diag> {
        let source = Source::new(display, text);
        let text: &str = &source.text;
        let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let help = "a WP file starts with a `---` line, then YAML, then a closing `---` line";
        if !text[start..].starts_with("---") {
            return Err(Diag::warning(
                "wp::frontmatter::missing",
                format!("`{display}` has no frontmatter"),
            )
            .at(&source, start..line_end(text, start), "expected `---` here")
            .with_help(help));
        }
        let first_end = next_line(text, start);
        // The closing line: the first later line whose stripped text is `---`.
        let mut pos = first_end;
        let mut close: Option<Range<usize>> = None;
        while pos < text.len() {
            let end = line_end(text, pos);
            if text[pos..end].trim() == "---" {
                close = Some(pos..end);
                break;
            }
            pos = next_line(text, pos);
        }
        let Some(close) = close else {
            return Err(Diag::warning(
                "wp::frontmatter::unclosed",
                format!("`{display}` has malformed frontmatter: no closing `---`"),
            )
            .at(
                &source,
                start..first_end.saturating_sub(1).max(start),
                "frontmatter opens here",
            )
            .with_help(help));
        };
        let yaml = first_end..close.start;
        let yaml_text = &text[yaml.clone()];
        let newline = if text[start..first_end].ends_with("\r\n") {
            "\r\n"
        } else {
            "\n"
        };

        let value: Value = if yaml_text.trim().is_empty() {
            Value::Mapping(Default::default())
        } else {
            yaml_serde::from_str(yaml_text).map_err(|e| {
                let offset = e.location().map_or(0, |l| l.index());
                Diag::warning(
                    "wp::frontmatter::yaml",
                    format!(
                        "`{display}` has invalid YAML frontmatter: {}",
                        strip_location(&e.to_string())
                    ),
                )
                .at(
                    &source,
                    yaml.start + offset.min(yaml_text.len())
                        ..yaml.start + offset.min(yaml_text.len()),
                    "here",
                )
                .with_help("fix the YAML between the `---` lines")
            })?
        };
        if let Some(tab) = super::schema::ruamel_tab_error(yaml_text) {
            return Err(Diag::warning(
                "wp::frontmatter::tab",
                format!("`{display}` has invalid YAML frontmatter: a tab where 3.1.1's YAML reader refused one"),
            )
            .at(&source, yaml.start + tab..yaml.start + tab + 1, "tab")
            .with_help("indent and separate with spaces; a tab is fine only inside quotes, a flow list, a comment or a `|` block"));
        }
        let Value::Mapping(map) = value else {
            return Err(Diag::warning(
                "wp::frontmatter::not-mapping",
                format!("`{display}` frontmatter is not a mapping of keys"),
            )
            .at(&source, yaml.clone(), "expected `key: value` lines")
            .with_help(help));
        };
        let keys = locate_keys(text, yaml.clone());
        let key_span = |k: &str| keys.iter().find(|b| b.key == k).map(|b| b.key_span.clone());
        // 3.1.1's schema for the keys it knows: a value it refused made the WP unreadable there.
        if let Some(v) = super::schema::check(&map, text, &keys) {
            let span = key_span(&v.key).unwrap_or(yaml.clone());
            return Err(Diag::warning(
                "wp::frontmatter::schema",
                format!("`{display}`: `{}`: {}", v.key, v.message),
            )
            .at(&source, span, "refused by the WP frontmatter schema")
            .with_help(format!(
                "fix the value of `{}` (quote a value meant as text), or remove the key and let finalize-tasks fill it in",
                v.key
            )));
        }
        let type_error = |k: &str, expected: &str| {
            let span = key_span(k).unwrap_or(yaml.clone());
            Diag::warning(
                "wp::frontmatter::type",
                format!("`{display}`: `{k}` must be {expected}"),
            )
            .at(&source, span, format!("`{k}` is not {expected}"))
            .with_help("fix the value, or remove the key and let finalize-tasks fill it in")
        };

        let get = |k: &str| map.get(k);
        let opt_str = |k: &str| -> Result<Option<String>, Diag> {
            match get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(type_error(k, "a string")),
            }
        };
        let opt_list = |k: &str, legacy_empty: bool| -> Result<Option<Vec<String>>, Diag> {
            match get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Sequence(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        _ => Err(type_error(k, "a list of strings")),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                // Legacy coercion: a comma-separated string.
                Some(Value::String(s)) => {
                    if legacy_empty && s.trim() == "[]" {
                        return Ok(Some(Vec::new()));
                    }
                    Ok(Some(
                        s.split(',')
                            .map(|p| p.trim().to_owned())
                            .filter(|p| !p.is_empty())
                            .collect(),
                    ))
                }
                Some(_) => Err(type_error(k, "a list of strings")),
            }
        };

        let Some(wp_id) = opt_str("work_package_id")? else {
            return Err(Diag::warning(
                "wp::frontmatter::no-id",
                format!("`{display}` has no `work_package_id`"),
            )
            .at(
                &source,
                yaml.start..yaml.start,
                "expected `work_package_id: WP01`",
            )
            .with_help("add `work_package_id: WPnn` matching the file name"));
        };
        if !is_wp_id(&wp_id) {
            return Err(type_error("work_package_id", "a WP id like `WP01`"));
        }
        let execution_mode = opt_str("execution_mode")?;
        let meta = WpMeta {
            work_package_id: wp_id,
            title: match get("title").or_else(|| get("work_package_title")) {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            },
            dependencies: opt_list("dependencies", true)?,
            requirement_refs: opt_list("requirement_refs", false)?,
            planning_base_branch: opt_str("planning_base_branch")?,
            merge_target_branch: opt_str("merge_target_branch")?,
            branch_strategy: opt_str("branch_strategy")?,
            execution_mode,
            owned_files: opt_list("owned_files", false)?,
            authoritative_surface: opt_str("authoritative_surface")?,
            scope: opt_str("scope").ok().flatten(),
            lane: opt_str("lane").ok().flatten(),
            dependencies_text: matches!(get("dependencies"), Some(Value::String(_))),
            requirement_refs_text: matches!(get("requirement_refs"), Some(Value::String(_))),
        };
        // 3.1.1's raw check: the text between the first two `---` anywhere in the file (not
        // line-based, and nothing when a BOM precedes the first `---`), searched for a line
        // `^\s*key\s*:`.
        let raw_end = text
            .strip_prefix("---")
            .and_then(|rest| rest.find("---"))
            .map(|end| end + 3);
        let raw_region = raw_end.map_or("", |end| &text[3..end]);
        let block_layout = keys.len() == map.len()
            && map
                .keys()
                .all(|k| matches!(k, Value::String(name) if keys.iter().any(|b| &b.key == name)));
        let rewrite = (!block_layout).then_some(map);
        Ok(WpFile {
            file_name: file_name.to_owned(),
            raw_has_dependencies: has_raw_key(raw_region, "dependencies"),
            raw_has_requirement_refs: has_raw_key(raw_region, "requirement_refs"),
            raw_end,
            rewrite,
            yaml,
            keys,
            meta,
            newline,
            source,
        })
    }

    /// The body after the closing `---` line.
    pub fn body(&self) -> &str {
        let text: &str = &self.source.text;
        &text[next_line(text, self.yaml.end)..]
    }

    /// Where `value` is written in `key`'s lines (an item of a list, quoted or not): the first
    /// occurrence after the key itself.
    pub fn value_span(&self, key: &str, value: &str) -> Option<Range<usize>> {
        let block = self.keys.iter().find(|b| b.key == key)?;
        let from = block.key_span.end;
        let text = self.source.text.get(from..block.range.end)?;
        let at = text.find(value)?;
        Some(from + at..from + at + value.len())
    }

    /// The byte span of a top-level key, for diagnostics.
    pub fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.keys
            .iter()
            .find(|b| b.key == key)
            .map(|b| b.key_span.clone())
    }

    /// Where a diagnostic about `key` points: the key, or the whole frontmatter when it is absent.
    pub fn key_or_frontmatter_span(&self, key: &str) -> Range<usize> {
        self.key_span(key).unwrap_or(self.yaml.clone())
    }

    /// Where a diagnostic about `key`'s `value` points: the value, else as
    /// [`WpFile::key_or_frontmatter_span`].
    pub fn value_or_key_span(&self, key: &str, value: &str) -> Range<usize> {
        self.value_span(key, value)
            .unwrap_or_else(|| self.key_or_frontmatter_span(key))
    }

    /// The whole text with `changes` applied: a changed key's lines are replaced in place; a
    /// missing key is inserted after the nearest key that precedes it in `order`, or at the end.
    ///
    /// 3.1.1 wrote the file back without a BOM, so an edited file loses its BOM (otherwise 3.1.1's
    /// raw key check, which a BOM defeats, would ask for the same edit on every run). For the same
    /// reason a raw-checked key (`dependencies`, `requirement_refs`) that sits after a stray `---`
    /// in the frontmatter (a comment like `# --- ownership ---`) moves to the top of the block.
    /// A frontmatter that is not a block mapping is rewritten whole, in block style, as 3.1.1
    /// rewrote every frontmatter.
    pub fn edited(&self, changes: &[(&str, FmValue)], order: &[&str]) -> String {
        let full: &str = &self.source.text;
        let bom = if full.starts_with('\u{feff}') { 3 } else { 0 };
        if let Some(map) = &self.rewrite
            && let Some(yaml) = self.rewritten_yaml(map, changes, order)
        {
            return format!(
                "{}{yaml}{}",
                &full[bom..self.yaml.start],
                &full[self.yaml.end..]
            );
        }
        let edited = self.edited_in_place(changes, order);
        edited[bom..].to_owned()
    }

    /// The whole mapping with `changes` applied, serialised in block style.
    fn rewritten_yaml(
        &self,
        map: &yaml_serde::Mapping,
        changes: &[(&str, FmValue)],
        order: &[&str],
    ) -> Option<String> {
        let mut map = map.clone();
        let mut changes: Vec<&(&str, FmValue)> = changes.iter().collect();
        changes.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(order.len()));
        for (key, value) in changes {
            let v = match value {
                FmValue::Str(s) => Value::String(s.clone()),
                FmValue::List(l) => Value::Sequence(l.iter().cloned().map(Value::String).collect()),
            };
            map.insert(Value::String((*key).to_owned()), v);
        }
        let mut yaml = String::new();
        for (key, value) in &map {
            let key = match key {
                Value::String(k) => scalar(k),
                other => flow(other)?,
            };
            match value {
                // Top-level lists in 3.1.1's block style; everything nested in flow style.
                Value::Sequence(items) if !items.is_empty() => {
                    yaml.push_str(&format!("{key}:\n"));
                    for item in items {
                        yaml.push_str(&format!("- {}\n", flow(item)?));
                    }
                }
                Value::Null => yaml.push_str(&format!("{key}:\n")),
                other => yaml.push_str(&format!("{key}: {}\n", flow(other)?)),
            }
        }
        Some(if self.newline == "\n" {
            yaml
        } else {
            yaml.replace('\n', self.newline)
        })
    }

    fn edited_in_place(&self, changes: &[(&str, FmValue)], order: &[&str]) -> String {
        let text: &str = &self.source.text;
        // A raw-checked key after the raw region's end is moved to the top of the block.
        let relocate = |key: &str, block: &KeyBlock| {
            let raw_has = match key {
                "dependencies" => self.raw_has_dependencies,
                "requirement_refs" => self.raw_has_requirement_refs,
                _ => return false,
            };
            !raw_has && self.raw_end.is_some_and(|end| block.range.start >= end)
        };
        let rank = |key: &str| order.iter().position(|k| *k == key).unwrap_or(order.len());
        let mut patches: Vec<Patch> = Vec::new();
        for (key, value) in changes {
            let rendered = render(key, value, self.newline);
            if let Some(block) = self.keys.iter().find(|b| b.key == *key) {
                let replace = |text| Patch {
                    range: block.range.clone(),
                    insertion: false,
                    rank: rank(key),
                    text,
                };
                if relocate(key, block) {
                    patches.push(replace(String::new()));
                    patches.push(Patch::insert(self.yaml.start, rank(key), rendered));
                } else {
                    patches.push(replace(rendered));
                }
                continue;
            }
            let idx = rank(key);
            let anchor = order[..idx]
                .iter()
                .rev()
                .find_map(|k| self.keys.iter().find(|b| b.key == *k));
            let at = match anchor {
                Some(b) => b.range.end,
                None => self.yaml.end,
            };
            patches.push(Patch::insert(at, idx, rendered));
        }
        // At one position, insertions come before the replacement of the block that starts there,
        // and insertions among themselves follow `order`; otherwise the cursor would pass an
        // insertion point.
        patches.sort_by_key(|p| (p.range.start, !p.insertion, p.rank));
        let mut out = String::with_capacity(text.len() + 256);
        let mut cursor = 0;
        for patch in patches {
            // Blocks are disjoint and insertion points are block ends, so `start >= cursor`; the
            // guard keeps a malformed layout from ever slicing backwards.
            if patch.range.start >= cursor {
                out.push_str(&text[cursor..patch.range.start]);
            }
            out.push_str(&patch.text);
            cursor = patch.range.end.max(cursor);
        }
        out.push_str(&text[cursor..]);
        out
    }
}

/// One edit of [`WpFile::edited_in_place`]: `range` of the text becomes `text` (an empty range
/// inserts); `rank` is the key's place in the key order.
struct Patch {
    range: Range<usize>,
    insertion: bool,
    rank: usize,
    text: String,
}

impl Patch {
    fn insert(at: usize, rank: usize, text: String) -> Patch {
        Patch {
            range: at..at,
            insertion: true,
            rank,
            text,
        }
    }
}

/// 3.1.1's raw key check, `^\s*key\s*:` with MULTILINE, as RE2 ran it: ASCII whitespace, which
/// may span lines. True when `key` occurs with only such whitespace between it and the start of
/// a line before it, and only such whitespace between it and a colon after it.
fn has_raw_key(text: &str, key: &str) -> bool {
    let ws = |b: u8| matches!(b, b'\t' | b'\n' | 0x0C | b'\r' | b' ');
    let bytes = text.as_bytes();
    text.match_indices(key).any(|(i, _)| {
        let before = bytes[..i].iter().rev().take_while(|&&b| ws(b));
        let mut run = 0;
        let mut line_start = false;
        for &b in before {
            run += 1;
            line_start |= b == b'\n';
        }
        let line_start = line_start || run == i;
        let after = bytes[i + key.len()..].iter().find(|&&b| !ws(b));
        line_start && after == Some(&b':')
    })
}

fn strip_location(msg: &str) -> String {
    // yaml_serde appends " at line L column C"; the diagnostic shows the place itself.
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}
