//! CHANGELOG.md version sections, as spec-kitty 3.1.1's release validator reads them.
//!
//! A *version heading* is a line of the form (3.1.1's `CHANGELOG_HEADING_RE`, case-insensitive):
//! `##`, optional whitespace, optional `[` and whitespace, a version, optional whitespace and `]`,
//! then either the end of the line or optional whitespace, `-` and anything. So `## [3.1.1] -
//! 2026-04-09`, `## 3.1.1`, `##3.1.1` and `## [ 3.1.1 ]` are headings; `## [3.1.1] 2026-04-09`,
//! `## [3.1.1] (date)`, `## v3.1.1` and `### [3.1.1]` are not.
//!
//! The heading's version is `X.Y.Z` with an optional `aN`, `bN`, `rcN`, `alpha[N]` or `beta[N]`
//! suffix (3.1.1), or a SemVer suffix `-alpha[.N]`, `-beta[.N]`, `-rc[.N]` (our addition: it is the
//! only pre-release spelling `Cargo.toml` accepts). A SemVer suffix is taken whole: `## 3.2.0-alpha.1`
//! is the heading of `3.2.0-alpha.1`, never of `3.2.0` with a `-alpha.1` title.
//!
//! A section runs from its heading to the next version heading; other headings (`## Notes`,
//! `### Fixed`) are content. It is *populated* when it has at least one non-blank line.
//! Two differences from 3.1.1, both fixes: trailing whitespace after a heading is allowed (3.1.1's
//! regex silently stopped seeing `## 3.1.1 ` as a heading), and versions compare case-insensitively.

/// Where a version's section is and whether it has content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// One-based line number of the heading.
    pub line: usize,
    /// True when the section has at least one non-blank line.
    pub populated: bool,
}

/// The version a heading line names, or `None` when the line is not a version heading.
pub fn heading_version(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("##")?;
    let rest = rest.trim_start();
    let rest = match rest.strip_prefix('[') {
        Some(r) => r.trim_start(),
        None => rest,
    };
    let len = version_len(rest)?;
    let (version, tail) = rest.split_at(len);
    let tail = match tail.trim_start().strip_prefix(']') {
        Some(t) => t,
        None => tail,
    };
    let t = tail.trim_start();
    if t.is_empty() || t.starts_with('-') {
        Some(version)
    } else {
        None
    }
}

/// Length of the heading version at the start of `s`, if one is there.
fn version_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    for part in 0..3 {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        if part < 2 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    let rest = s[i..].to_ascii_lowercase();
    let digits = |from: &str| from.bytes().take_while(u8::is_ascii_digit).count();
    // SemVer first: a dash followed by a stage word is a pre-release, taken whole.
    if let Some(after) = rest.strip_prefix('-') {
        for word in ["alpha", "beta", "rc"] {
            if let Some(r) = after.strip_prefix(word) {
                let mut n = 1 + word.len();
                if let Some(num) = r.strip_prefix('.') {
                    let d = digits(num);
                    if d > 0 {
                        n += 1 + d;
                    }
                }
                return Some(i + n);
            }
        }
        return Some(i);
    }
    for word in ["alpha", "beta"] {
        if let Some(r) = rest.strip_prefix(word) {
            return Some(i + word.len() + digits(r));
        }
    }
    for word in ["a", "b", "rc"] {
        if let Some(r) = rest.strip_prefix(word) {
            let d = digits(r);
            if d > 0 {
                return Some(i + word.len() + d);
            }
        }
    }
    Some(i)
}

/// Finds the section of `version` in a changelog's text (a leading BOM is ignored).
pub fn find_section(text: &str, version: &str) -> Option<Section> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found: Option<Section> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(v) = heading_version(line) {
            if found.is_some() {
                break;
            }
            if v.eq_ignore_ascii_case(version) {
                found = Some(Section {
                    line: i + 1,
                    populated: false,
                });
            }
            continue;
        }
        if let Some(section) = found.as_mut()
            && !line.trim().is_empty()
        {
            section.populated = true;
        }
    }
    found
}

/// True when the changelog has a populated section for `version`.
pub fn has_populated_section(text: &str, version: &str) -> bool {
    find_section(text, version).is_some_and(|s| s.populated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_reference_heading_forms() {
        for line in [
            "## [3.1.1] - 2026-04-09",
            "## 3.1.1",
            "##3.1.1",
            "## [ 3.1.1 ]",
            "## 3.1.1 - Hardening",
            "##   [3.1.1]-2026",
            "## [3.1.1",
            "## 3.1.1 ",
        ] {
            assert_eq!(heading_version(line), Some("3.1.1"), "{line:?}");
        }
    }

    #[test]
    fn rejects_the_reference_non_headings() {
        for line in [
            "## [3.1.1] 2026-04-09",
            "## [3.1.1] (date)",
            "## v3.1.1",
            "### [3.1.1]",
            "# 3.1.1",
            "## Notes",
            "## 3.1",
            "## 3.1.1.1",
            "## 3.1.1a",
            "- 3.1.1",
        ] {
            assert_eq!(heading_version(line), None, "{line:?}");
        }
    }

    #[test]
    fn reads_prerelease_headings() {
        assert_eq!(heading_version("## 3.2.0a1"), Some("3.2.0a1"));
        assert_eq!(heading_version("## [3.2.0RC2] - x"), Some("3.2.0RC2"));
        assert_eq!(heading_version("## 3.2.0alpha"), Some("3.2.0alpha"));
        assert_eq!(
            heading_version("## [3.2.0-alpha.1] - 2026-05-01"),
            Some("3.2.0-alpha.1")
        );
        assert_eq!(heading_version("## 3.2.0-rc"), Some("3.2.0-rc"));
        // A dash that does not start a stage word is 3.1.1's "- anything" tail.
        assert_eq!(heading_version("## 3.1.1-2026-04-09"), Some("3.1.1"));
        // A SemVer pre-release followed by junk is not a heading (no fallback to `3.2.0`).
        assert_eq!(heading_version("## 3.2.0-alpha.1 foo"), None);
    }

    #[test]
    fn finds_populated_sections() {
        let text = "\u{feff}# Changelog\n\n## [Unreleased]\n\n## [3.1.1] - 2026-04-09\n\n### Fixed\n\n## 3.1.0\n- old\n";
        assert_eq!(
            find_section(text, "3.1.1"),
            Some(Section {
                line: 5,
                populated: true
            })
        );
        assert!(has_populated_section(text, "3.1.0"));
        assert!(!has_populated_section(text, "3.0.0"));
    }

    #[test]
    fn an_empty_section_is_not_populated() {
        let text = "## 3.1.1\n\n   \n## 3.1.0\n- old\n";
        assert_eq!(
            find_section(text, "3.1.1"),
            Some(Section {
                line: 1,
                populated: false
            })
        );
        let at_end = "# Changelog\r\n\r\n## [3.1.1] - 2026-04-09\r\n";
        assert!(!has_populated_section(at_end, "3.1.1"));
    }

    #[test]
    fn compares_versions_case_insensitively() {
        assert!(has_populated_section("## 3.2.0RC1\n- x\n", "3.2.0rc1"));
    }

    #[test]
    fn a_rejected_heading_is_content_of_the_previous_section() {
        // `## v3.1.1` is not a version heading, so it neither opens 3.1.1's section nor ends 3.1.2's.
        let text = "## 3.1.2\n## v3.1.1\n";
        assert!(has_populated_section(text, "3.1.2"));
        assert!(!has_populated_section(text, "3.1.1"));
    }
}
