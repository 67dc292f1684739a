//! Phrasings agents write that spec-kitty 3.1.1's grammar reads as nothing: `Depends on: WP01` (a
//! colon after "on"), lower-case ids (`wp01`) in a declaration, and `## Work Package 1 — Title`
//! headings. finalize keeps 3.1.1's reading (no dependency, no section) and warns; `lint` reports
//! the same warnings with the fix.

use std::sync::LazyLock;

use regex::Regex;

use crate::support::diagnostics::{Diag, Source};

static DEPENDS_ON_COLON: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bdepends?\s+on\s*:").ok());
static DECLARATION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bdepends?\s+on\b|\bdependencies\b").ok());
static WP_TOKEN: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?i)\bwp\d{2,}\b").ok());
static NUMBERED_HEADING: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^#{2,4}[ \t]+Work Package[ \t]+(\d+)\b").ok());

/// The warnings for one tasks.md.
pub fn warnings(src: &Source) -> Vec<Diag> {
    let (Some(colon), Some(decl), Some(token), Some(heading)) = (
        DEPENDS_ON_COLON.as_ref(),
        DECLARATION.as_ref(),
        WP_TOKEN.as_ref(),
        NUMBERED_HEADING.as_ref(),
    ) else {
        return Vec::new();
    };
    let text: &str = &src.text;
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if let Some(m) = colon.find(body) {
            out.push(
                Diag::warning(
                    "lint::depends-on-colon",
                    "`Depends on:` with a colon declares no dependency (finalize reads `Depends on WP01` or `**Dependencies**: WP01`)",
                )
                .at(src, start + m.start()..start + m.end(), "no dependency is read here")
                .with_help("drop the colon (`Depends on WP01, WP02`) or write `**Dependencies**: WP01, WP02`"),
            );
        }
        if decl.is_match(body) {
            for m in token.find_iter(body) {
                let id = m.as_str();
                if !id.starts_with("WP") {
                    out.push(
                        Diag::warning(
                            "lint::lowercase-wp-id",
                            format!("`{id}` is not read as a dependency: work package ids are upper case"),
                        )
                        .at(src, start + m.start()..start + m.end(), "not a dependency")
                        .with_help(format!("write `{}`", id.to_ascii_uppercase())),
                    );
                }
            }
        }
        if let Some(c) = heading.captures(body)
            && let Some(n) = c.get(1)
        {
            let number: u32 = n.as_str().parse().unwrap_or(0);
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
