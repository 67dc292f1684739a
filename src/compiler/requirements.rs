//! Requirement ids (`FR-001`, `NFR-002`, `C-003`): extraction from spec.md, tasks.md reference lines
//! and frontmatter lists, as spec-kitty 3.1.1 matched them (case-insensitive, upper-cased).

use std::ops::Range;
use std::sync::LazyLock;

use crate::support::pattern::Pattern;

/// `\b(?:FR|NFR|C)-\d+\b`, case-insensitive, with Unicode word boundaries and digits as Python's
/// `re` module had them. An id never spans a line, so it is matched line by line.
static REQ_ID: Pattern = Pattern::new(r"(?i)\b(?:FR|NFR|C)-\d+\b");

/// The same pattern as RE2 ran it for 3.1.1's tasks.md reference lines: ASCII word boundaries and
/// digits (`FR-001é` is an id here, not in spec.md). `regex-lite`'s classes are ASCII-only, and
/// none of these letters has a non-ASCII case partner, so it is exactly RE2's pattern.
static REQ_ID_ASCII: LazyLock<regex_lite::Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // a constant pattern, covered by tests
    regex_lite::Regex::new(r"(?i)\b(?:FR|NFR|C)-[0-9]+\b").unwrap()
});

/// Every requirement id in a tasks.md reference line, with RE2's ASCII semantics.
pub fn find_ids_ascii(text: &str) -> Vec<(String, Range<usize>)> {
    REQ_ID_ASCII
        .find_iter(text)
        .map(|m| (m.as_str().to_uppercase(), m.range()))
        .collect()
}

/// Every requirement id in `text`, upper-cased, with its byte range, in order (duplicates kept).
pub fn find_ids(text: &str) -> Vec<(String, Range<usize>)> {
    REQ_ID
        .find_all_by_line(text)
        .into_iter()
        .map(|r| (text[r.clone()].to_uppercase(), r))
        .collect()
}

/// The set of ids a spec defines: every id anywhere in spec.md, upper-cased, sorted, unique.
pub fn spec_ids(spec: &str) -> Vec<String> {
    let mut ids: Vec<String> = find_ids(spec).into_iter().map(|(id, _)| id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Normalises a frontmatter `requirement_refs` list: every id inside every item, upper-cased,
/// de-duplicated keeping the first occurrence; anything else (`SC-001`, `US-1`) is dropped.
pub fn normalise_refs<S: AsRef<str>>(items: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        for (id, _) in find_ids(item.as_ref()) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_matched_case_insensitively_and_upper_cased() {
        let ids: Vec<String> = find_ids("fr-001, NFR-2 and C-10; SC-001 US-1 abc-1 FR-01x")
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        assert_eq!(ids, ["FR-001", "NFR-2", "C-10"]);
        assert_eq!(
            normalise_refs(&["FR-001, fr-001", "SC-1", "NFR-003"]),
            ["FR-001", "NFR-003"]
        );
    }
}
