//! Ownership: which files a WP may write (`owned_files` globs), its `execution_mode` and
//! `authoritative_surface`; inference of missing fields from the WP text and validation, with
//! spec-kitty 3.1.1's rules.
//!
//! The overlap check is output-sensitive: globs are indexed by their literal prefix in a sorted
//! table, so each glob is compared only with globs that share its prefix, instead of with every
//! glob of every other WP (3.1.1 compared all pairs, quadratic in the number of WPs).

use std::collections::{BTreeSet, HashMap};

use crate::support::pattern::Pattern;
use crate::support::util::{py_list, py_str};

mod fnmatch;
mod repo_glob;
#[cfg(test)]
mod tests;

pub use fnmatch::fnmatch;
pub use repo_glob::{GlobError, RepoFs, RepoGlob, repo_glob_matches};

/// `code_change`.
pub const CODE_CHANGE: &str = "code_change";
/// `planning_artifact`.
pub const PLANNING_ARTIFACT: &str = "planning_artifact";

/// The execution mode `value` names, if it names one (3.1.1's `ExecutionMode(value)`).
pub fn execution_mode(value: &str) -> Option<&'static str> {
    [CODE_CHANGE, PLANNING_ARTIFACT]
        .into_iter()
        .find(|mode| *mode == value)
}

// None of these can match a line break, so they run line by line (see `Pattern`).
static PLANNING_SIGNALS: [Pattern; 6] = [
    Pattern::new(r"\bkitty-specs/"),
    Pattern::new(r"\bspec\.md\b"),
    Pattern::new(r"\bplan\.md\b"),
    Pattern::new(r"\btasks\.md\b"),
    Pattern::new(r"\bdata-model\.md\b"),
    Pattern::new(r"\bquickstart\.md\b"),
];
static CODE_SIGNALS: [Pattern; 5] = [
    Pattern::new(r"\bsrc/"),
    Pattern::new(r"\btests?/"),
    Pattern::new(r"\.py\b"),
    Pattern::new(r"\.ts\b"),
    Pattern::new(r"\.js\b"),
];
static PATH_MENTION: Pattern = Pattern::new(r#"(src|tests?|kitty-specs|docs)/[^\s`'")\]>]+"#);

/// The code of the warning for an `owned_files` glob that matches no file (yet).
pub const GLOB_MATCHES_NOTHING: &str = "ownership::glob-matches-nothing";

/// Infers `execution_mode` from a WP file's full text: planning iff some planning-file signal and
/// no code signal occurs.
pub fn infer_execution_mode(raw: &str) -> &'static str {
    let planning = PLANNING_SIGNALS.iter().any(|r| r.is_match_by_line(raw));
    let code = CODE_SIGNALS.iter().any(|r| r.is_match_by_line(raw));
    if planning && !code {
        PLANNING_ARTIFACT
    } else {
        CODE_CHANGE
    }
}

/// The warning 3.1.1 gave when no path could be inferred.
pub const BROAD_FALLBACK_WARNING: &str = "No file paths found in WP body text; using broad fallback 'src/**'. Consider adding explicit owned_files to WP frontmatter.";

/// Infers `owned_files` from a WP file's full text. Returns the globs and whether the broad
/// `src/**` fallback was used. (Trailing `,`, `.` and `:` stay on paths, as in 3.1.1.)
pub fn infer_owned_files(raw: &str, slug: &str) -> (Vec<String>, bool) {
    if infer_execution_mode(raw) == PLANNING_ARTIFACT {
        return (vec![format!("kitty-specs/{slug}/**")], false);
    }
    let mentions: BTreeSet<&str> = PATH_MENTION
        .find_all_by_line(raw)
        .into_iter()
        .map(|r| &raw[r])
        .collect();
    let mut kept: Vec<String> = Vec::new();
    for m in mentions {
        let last = m.rsplit('/').next().unwrap_or("");
        let glob = if m.ends_with('/') {
            format!("{m}**")
        } else if !last.contains('.') {
            format!("{m}/**")
        } else {
            m.to_owned()
        };
        let covered = kept.iter().any(|k| {
            k.strip_suffix("**")
                .is_some_and(|dir| dir.ends_with('/') && *k != glob && glob.starts_with(dir))
        });
        if !covered && !kept.contains(&glob) {
            kept.push(glob);
        }
    }
    if kept.is_empty() {
        (vec!["src/**".to_owned()], true)
    } else {
        (kept, false)
    }
}

/// Strips one trailing wildcard token (`/**`, `/*`, `**` or `*`) from a glob.
pub fn strip_wildcard(glob: &str) -> &str {
    for suffix in ["/**", "/*", "**", "*"] {
        if let Some(p) = glob.strip_suffix(suffix) {
            return p;
        }
    }
    glob
}

/// Infers `authoritative_surface` from owned globs as 3.1.1 did (including its `x.py/` quirk).
pub fn infer_surface(globs: &[String]) -> String {
    let stripped: Vec<&str> = globs.iter().map(|g| strip_wildcard(g)).collect();
    match stripped.as_slice() {
        [] => String::new(),
        [one] => format!("{}/", one.trim_end_matches('/')),
        many => {
            let split: Vec<Vec<&str>> = many.iter().map(|s| s.split('/').collect()).collect();
            let mut common: Vec<&str> = Vec::new();
            for (i, seg) in split[0].iter().enumerate() {
                if split.iter().all(|s| s.get(i) == Some(seg)) {
                    common.push(seg);
                } else {
                    break;
                }
            }
            if common.is_empty() {
                String::new()
            } else {
                format!("{}/", common.join("/"))
            }
        }
    }
}

/// Whether two globs overlap: equal; or, after stripping one trailing wildcard, one non-empty
/// prefix covers the other; or either glob fnmatches the other's prefix.
///
/// A prefix covers a longer one per path segment (a deliberate difference: 3.1.1 compared string
/// prefixes, so `src/parser/**` overlapped `src/parser_errors/**`): `src/foo/**` covers
/// `src/foo/x.py` and is covered by `src/**`, not `src/foobar.py` or `src/foo_bar/**`. A glob whose
/// wildcard is not a whole segment (`src/foo*`) still covers every string it starts.
pub fn globs_overlap(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (pa, pb) = (strip_wildcard(a), strip_wildcard(b));
    if !pa.is_empty() && !pb.is_empty() && (prefix_covers(b, pa) || prefix_covers(a, pb)) {
        return true;
    }
    fnmatch(pb, a) || fnmatch(pa, b)
}

/// Whether the stripped prefix of `glob` covers `longer` (a prefix that starts with it): equal, or
/// the next character of `longer` starts a new path segment, or `glob`'s wildcard continues its
/// last segment (`src/foo*`).
fn prefix_covers(glob: &str, longer: &str) -> bool {
    let prefix = strip_wildcard(glob);
    if !longer.starts_with(prefix) {
        return false;
    }
    let partial_segment = glob.len() > prefix.len()
        && !prefix.is_empty()
        && !prefix.ends_with('/')
        && !glob[prefix.len()..].starts_with('/');
    longer.len() == prefix.len()
        || prefix.ends_with('/')
        || longer.as_bytes().get(prefix.len()) == Some(&b'/')
        || partial_segment
}

/// The literal text of a glob before its first wildcard character.
fn literal_prefix(glob: &str) -> &str {
    let end = glob.find(['*', '?', '[']).unwrap_or(glob.len());
    &glob[..end]
}

/// One overlapping pair: WP `i`'s glob `gi` and WP `j`'s glob `gj`, with `i < j` (indices into
/// the slice given to [`find_overlaps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Overlap {
    /// First WP.
    pub i: usize,
    /// Second WP.
    pub j: usize,
    /// Glob index in the first WP.
    pub gi: usize,
    /// Glob index in the second WP.
    pub gj: usize,
}

/// Every overlapping glob pair between different WPs, in 3.1.1's report order (WP pairs in
/// order, then the first WP's globs, then the second's).
pub fn find_overlaps(wps: &[&[String]]) -> Vec<Overlap> {
    // (prefix, wp, glob index), sorted by prefix for range queries.
    let mut table: Vec<(&str, usize, usize)> = Vec::new();
    let mut exact: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    for (w, globs) in wps.iter().enumerate() {
        for (g, glob) in globs.iter().enumerate() {
            table.push((strip_wildcard(glob), w, g));
            exact.entry(glob.as_str()).or_default().push((w, g));
        }
    }
    table.sort_unstable();
    fn starting_with<'t, 'a>(
        table: &'t [(&'a str, usize, usize)],
        p: &'t str,
    ) -> impl Iterator<Item = &'t (&'a str, usize, usize)> + 't {
        let from = table.partition_point(|e| e.0 < p);
        table[from..].iter().take_while(move |e| e.0.starts_with(p))
    }
    let mut found: BTreeSet<Overlap> = BTreeSet::new();
    let mut add = |a: (usize, usize), b: (usize, usize)| {
        if a.0 == b.0 {
            return;
        }
        let ((i, gi), (j, gj)) = if a.0 < b.0 { (a, b) } else { (b, a) };
        found.insert(Overlap { i, j, gi, gj });
    };
    for (w, globs) in wps.iter().enumerate() {
        for (g, glob) in globs.iter().enumerate() {
            for &other in exact.get(glob.as_str()).into_iter().flatten() {
                add((w, g), other);
            }
            let prefix = strip_wildcard(glob);
            if !prefix.is_empty() {
                // Other prefixes that extend this one, per path segment (the reverse is found from
                // the other side).
                for e in starting_with(&table, prefix)
                    .filter(|e| !e.0.is_empty() && prefix_covers(glob, e.0))
                {
                    add((w, g), (e.1, e.2));
                }
            }
            // fnmatch(other_prefix, glob): any match starts with the glob's literal prefix.
            for e in starting_with(&table, literal_prefix(glob)) {
                if fnmatch(e.0, glob) {
                    add((w, g), (e.1, e.2));
                }
            }
        }
    }
    let mut out: Vec<Overlap> = found.into_iter().collect();
    out.sort_by_key(|o| (o.i, o.j, o.gi, o.gj));
    out
}

/// 3.1.1's overlap message.
pub fn overlap_message(wp_a: &str, glob_a: &str, wp_b: &str, glob_b: &str) -> String {
    format!(
        "Overlap: {wp_a} ({}) and {wp_b} ({}) claim overlapping paths.",
        py_str(glob_a),
        py_str(glob_b)
    )
}

/// The authoritative-surface check: `None` when valid, else 3.1.1's message.
pub fn surface_error(wp: &str, surface: &str, globs: &[String]) -> Option<String> {
    if surface.is_empty() {
        return Some(format!("{wp}: authoritative_surface is empty."));
    }
    if globs.iter().any(|g| g.starts_with(surface)) {
        return None;
    }
    Some(format!(
        "{wp}: authoritative_surface {} is not a prefix of any owned_files entry: {}",
        py_str(surface),
        py_list(globs)
    ))
}

/// The mode-consistency warning for a WP, if any (3.1.1 printed these in human mode only).
pub fn mode_warning(wp: &str, mode: &str, globs: &[String]) -> Option<String> {
    if mode == PLANNING_ARTIFACT {
        let outside: Vec<&String> = globs
            .iter()
            .filter(|g| !g.starts_with("kitty-specs/") && !g.starts_with("docs/"))
            .collect();
        (!outside.is_empty()).then(|| {
            format!(
                "{wp}: planning_artifact WP owns files outside planning paths (kitty-specs/, docs/): {}",
                py_list(&outside)
            )
        })
    } else {
        let has_code = globs
            .iter()
            .any(|g| g.starts_with("src/") || g.starts_with("tests/"));
        (!has_code).then(|| {
            format!(
                "{wp}: code_change WP does not own any files under src/ or tests/. owned_files: {}",
                py_list(globs)
            )
        })
    }
}
