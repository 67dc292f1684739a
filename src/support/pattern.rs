//! Regular expressions that cost little to start.
//!
//! `regex` builds a Unicode-aware automaton for `\b`, `\s`, `\d` and `(?i)`: 0.2–0.5 ms per pattern,
//! paid by every process that uses it, which was a third of a small finalize run. `regex-lite`
//! compiles the same syntax 10–40× faster with ASCII-only classes. On an ASCII haystack the two
//! engines match exactly the same text (the Unicode classes differ only on non-ASCII characters,
//! and the only non-ASCII case partners of ASCII letters, `K` and `ſ`, are themselves non-ASCII),
//! so a [`Pattern`] runs `regex-lite` on ASCII input and compiles the Unicode `regex` only when a
//! haystack needs it, or once a pattern has run often enough for `regex`'s faster search (10–15×
//! on these patterns) to repay its compile time: a large mission searches thousands of lines. A
//! property test below holds the two engines to giving the same matches.

use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// Searches a pattern runs with `regex-lite` before it compiles `regex` for every haystack: about
/// where `regex`'s compile time (0.3–0.7 ms) is repaid by its faster searches.
const LITE_SEARCHES: u32 = 512;

/// A constant pattern with Unicode semantics (Python's `re` on `str`, as 3.1.1 ran it), compiled
/// on first use by the engine the haystack needs.
pub struct Pattern {
    source: &'static str,
    lite: OnceLock<regex_lite::Regex>,
    full: OnceLock<regex::Regex>,
    /// Searches run so far with `regex-lite`.
    lite_searches: AtomicU32,
}

/// The matcher one haystack uses.
enum Engine<'p> {
    Lite(&'p regex_lite::Regex),
    Full(&'p regex::Regex),
}

impl Pattern {
    /// A pattern; nothing is compiled yet.
    pub const fn new(source: &'static str) -> Pattern {
        Pattern {
            source,
            lite: OnceLock::new(),
            full: OnceLock::new(),
            lite_searches: AtomicU32::new(0),
        }
    }

    #[allow(clippy::expect_used)] // constant patterns, each compiled by the tests
    fn engine(&self, haystack: &str) -> Engine<'_> {
        if haystack.is_ascii()
            && self.full.get().is_none()
            && self.lite_searches.fetch_add(1, Ordering::Relaxed) < LITE_SEARCHES
        {
            Engine::Lite(
                self.lite.get_or_init(|| {
                    regex_lite::Regex::new(self.source).expect("a constant pattern")
                }),
            )
        } else {
            Engine::Full(
                self.full
                    .get_or_init(|| regex::Regex::new(self.source).expect("a constant pattern")),
            )
        }
    }

    /// Whether the pattern matches anywhere in `haystack`.
    pub fn is_match(&self, haystack: &str) -> bool {
        match self.engine(haystack) {
            Engine::Lite(r) => r.is_match(haystack),
            Engine::Full(r) => r.is_match(haystack),
        }
    }

    /// The leftmost-first match.
    pub fn find(&self, haystack: &str) -> Option<Range<usize>> {
        match self.engine(haystack) {
            Engine::Lite(r) => r.find(haystack).map(|m| m.range()),
            Engine::Full(r) => r.find(haystack).map(|m| m.range()),
        }
    }

    /// Every non-overlapping match, in order.
    pub fn find_all(&self, haystack: &str) -> Vec<Range<usize>> {
        match self.engine(haystack) {
            Engine::Lite(r) => r.find_iter(haystack).map(|m| m.range()).collect(),
            Engine::Full(r) => r.find_iter(haystack).map(|m| m.range()).collect(),
        }
    }

    /// The span of capture group `group` in the leftmost-first match.
    pub fn capture(&self, haystack: &str, group: usize) -> Option<Range<usize>> {
        match self.engine(haystack) {
            Engine::Lite(r) => r.captures(haystack)?.get(group).map(|m| m.range()),
            Engine::Full(r) => r.captures(haystack)?.get(group).map(|m| m.range()),
        }
    }

    /// Whether some line matches (see [`Pattern::find_all_by_line`] for when that is the same as
    /// matching the whole text).
    pub fn is_match_by_line(&self, text: &str) -> bool {
        text.split_inclusive('\n').any(|line| self.is_match(line))
    }

    /// Every match, line by line: the same matches as over the whole text for a pattern that
    /// cannot match a line break and treats it as a non-word character (so `\b` and `^`/`$`
    /// under `(?m)` see the same context), with each line's engine chosen on its own, so a
    /// non-ASCII line elsewhere does not cost the Unicode engine.
    pub fn find_all_by_line(&self, text: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            out.extend(
                self.find_all(line)
                    .into_iter()
                    .map(|r| start + r.start..start + r.end),
            );
            start += line.len();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The Unicode patterns the compiler runs through [`Pattern`].
    const PATTERNS: [&str; 17] = [
        r"(?i)\bdepends?\s+on\s*:",
        r"(?i)\bdepends?\s+on\b|\bdependencies\b",
        r"(?i)\bwp\d{2,}\b",
        r"^#{2,4}[ \t]+Work Package[ \t]+(\d+)\b",
        r"(?i)\b(?:FR|NFR|C)-\d+\b",
        r"\bkitty-specs/",
        r"\bspec\.md\b",
        r"\bplan\.md\b",
        r"\btasks\.md\b",
        r"\bdata-model\.md\b",
        r"\bquickstart\.md\b",
        r"\bsrc/",
        r"\btests?/",
        r"\.py\b",
        r"\.ts\b",
        r#"(src|tests?|kitty-specs|docs)/[^\s`'")\]>]+"#,
        r"(?i)tests?/[\w/]*test_\w+",
    ];

    /// Each pattern compiled once by both engines, and as a [`Pattern`].
    #[allow(clippy::unwrap_used)]
    static ENGINES: std::sync::LazyLock<Vec<(&str, regex_lite::Regex, regex::Regex, Pattern)>> =
        std::sync::LazyLock::new(|| {
            PATTERNS
                .iter()
                .map(|p| {
                    (
                        *p,
                        regex_lite::Regex::new(p).unwrap(),
                        regex::Regex::new(p).unwrap(),
                        Pattern::new(p),
                    )
                })
                .collect()
        });

    proptest! {
        #[test]
        fn lite_and_unicode_engines_agree_on_ascii(
            text in "([ \t\n:#_.`'\")>/a-zA-Z0-9-]|depends? +on|dependencies|wp[0-9]{2,3}|## Work Package [0-9]|[fnc]r?-[0-9]+|src/|tests?/|test_|kitty-specs/|spec\\.md|\\.py|\\.ts){0,16}"
        ) {
            for (p, lite, full, pattern) in ENGINES.iter() {
                let a: Vec<_> = lite.find_iter(&text).map(|m| m.range()).collect();
                let b: Vec<_> = full.find_iter(&text).map(|m| m.range()).collect();
                prop_assert_eq!(a, b, "pattern {} on {:?}", p, text);
                let by_line = pattern.find_all_by_line(&text);
                let whole: Vec<_> = full.find_iter(&text).map(|m| m.range()).collect();
                if !p.starts_with('^') {
                    prop_assert_eq!(by_line, whole, "line by line: {} on {:?}", p, text);
                }
            }
        }
    }

    #[test]
    fn non_ascii_text_keeps_unicode_semantics() {
        // `é` is a word character for Python's `re`: no word boundary before `FR`.
        let p = Pattern::new(r"(?i)\b(?:FR|NFR|C)-\d+\b");
        assert_eq!(p.find_all("éFR-001 FR-002"), vec![9..15]);
        assert_eq!(p.find_all("FR-001 FR-002"), vec![0..6, 7..13]);
        // Per line, a non-ASCII line does not change the others' matches.
        assert_eq!(p.find_all_by_line("FR-1\néFR-2 C-3\n"), vec![0..4, 12..15]);
    }
}
