//! The surfaces a WP body names (API, dashboard, tests, ...): each lane's `predicted_surfaces`.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

pub(super) const SURFACES: [(&str, &[&str]); 8] = [
    ("dashboard", &["dashboard", "landing page", "landing-page"]),
    ("workspace", &["workspace", "mission workspace"]),
    (
        "app-shell",
        &["app shell", "app-shell", "navigation", "sidebar", "layout"],
    ),
    (
        "legacy-cleanup",
        &["legacy", "cleanup", "deprecat", "remov"],
    ),
    (
        "tests",
        &[
            "test suite",
            "test infrastructure",
            "e2e test",
            "integration test",
        ],
    ),
    ("tracker-integration", &["tracker", "saas", "sync"]),
    ("artifact-rendering", &["artifact", "render", "template"]),
    ("api", &["api", "endpoint", "route", "view"]),
];

/// Surface tags of a WP body: a tag whose word occurs in the lower-cased text (3.1.1 searched for
/// each word in turn). One pass finds every word, overlapping occurrences included, so a tag is
/// found exactly when one of its words is a substring.
pub fn surface_tags(body: &str) -> Vec<&'static str> {
    /// The words, the tag of each, and two searchers: one for lower-cased text, and one that
    /// ignores ASCII case, for ASCII text (whose lower case is its ASCII lower case), which then
    /// need not be copied.
    struct Words {
        tags: Vec<usize>,
        lower: AhoCorasick,
        ascii_any_case: AhoCorasick,
    }
    static WORDS: LazyLock<Words> = LazyLock::new(|| {
        let (words, tags): (Vec<&str>, Vec<usize>) = SURFACES
            .iter()
            .enumerate()
            .flat_map(|(t, (_, words))| words.iter().map(move |w| (*w, t)))
            .unzip();
        let build = |ascii_case_insensitive| {
            AhoCorasick::builder()
                .ascii_case_insensitive(ascii_case_insensitive)
                .build(&words)
                .expect("a few constant words") // covered by the tests below
        };
        Words {
            lower: build(false),
            ascii_any_case: build(true),
            tags,
        }
    });
    let words = &*WORDS;
    let mut found = [false; SURFACES.len()];
    let mut mark = |searcher: &AhoCorasick, text: &str| {
        for m in searcher.find_overlapping_iter(text) {
            found[words.tags[m.pattern().as_usize()]] = true;
        }
    };
    if body.is_ascii() {
        mark(&words.ascii_any_case, body);
    } else {
        mark(&words.lower, &body.to_lowercase());
    }
    SURFACES
        .iter()
        .zip(found)
        .filter(|(_, f)| *f)
        .map(|((tag, _), _)| *tag)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{SURFACES, surface_tags};

    /// 3.1.1's search, word by word.
    fn word_by_word(body: &str) -> Vec<&'static str> {
        let lower = body.to_lowercase();
        SURFACES
            .iter()
            .filter(|(_, words)| words.iter().any(|w| lower.contains(w)))
            .map(|(tag, _)| *tag)
            .collect()
    }

    #[test]
    fn one_pass_finds_what_searching_each_word_finds() {
        // Overlapping and adjacent words, upper case, and characters whose lower case is ASCII
        // (the Kelvin sign) or grows (dotted capital I).
        for body in [
            "",
            "Please REVIEW the layout",
            "apiview",
            "rendpoint",
            "e2e test suite",
            "sidebarouteview",
            "SaaSync",
            "trac\u{212a}er", // the Kelvin sign lower-cases to `k`
            "ap\u{130} endpoints",
            "deprecated removals, legacy cleanup, templates, artifacts, renders",
            "the mission workspace dashboard landing-page and app-shell navigation",
            "test infrastructure, integration test, test suite",
        ] {
            assert_eq!(surface_tags(body), word_by_word(body), "{body:?}");
        }
        // Every pair of words, side by side and sharing a character.
        let words: Vec<&str> = SURFACES
            .iter()
            .flat_map(|(_, w)| w.iter())
            .copied()
            .collect();
        for a in &words {
            for b in &words {
                for body in [
                    format!("{a}{b}"),
                    format!("{}{b}", &a[..a.len() - 1]),
                    format!("{}{b}", a.to_uppercase()),
                    format!("{a}\u{e9}{}", b.to_uppercase()),
                ] {
                    assert_eq!(surface_tags(&body), word_by_word(&body), "{body:?}");
                }
            }
        }
        assert_eq!(surface_tags(&words.concat()).len(), SURFACES.len());
    }
}
