//! Ownership: which files a WP may write (`owned_files` globs), its `execution_mode` and
//! `authoritative_surface`; inference of missing fields from the WP text and validation, with
//! spec-kitty 3.1.1's rules.
//!
//! The overlap check is output-sensitive: globs are indexed by their literal prefix in a sorted
//! table, so each glob is compared only with globs that share its prefix, instead of with every
//! glob of every other WP (3.1.1 compared all pairs, quadratic in the number of WPs).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::support::pattern::Pattern;

use crate::support::utf8::surrogateescape_chars;
use crate::support::util::{py_list, py_str};

/// `code_change`.
pub const CODE_CHANGE: &str = "code_change";
/// `planning_artifact`.
pub const PLANNING_ARTIFACT: &str = "planning_artifact";

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

/// Python's `fnmatch.fnmatchcase`: `*` matches anything (including `/`), `?` one character,
/// `[...]`/`[!...]` a class; the whole name must match.
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    fnmatch_chars(&name, pattern)
}

/// [`fnmatch`] on a name given as characters.
fn fnmatch_chars(name: &[char], pattern: &str) -> bool {
    matches(&compile(pattern), name)
}

#[derive(Debug, Clone)]
enum Tok {
    Star,
    One,
    Lit(char),
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

fn compile(pattern: &str) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => {
                if !matches!(out.last(), Some(Tok::Star)) {
                    out.push(Tok::Star);
                }
                i += 1;
            }
            '?' => {
                out.push(Tok::One);
                i += 1;
            }
            '[' => {
                // Find the closing bracket; a `]` right after `[` or `[!` is literal.
                let mut j = i + 1;
                if j < chars.len() && chars[j] == '!' {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push(Tok::Lit('['));
                    i += 1;
                    continue;
                }
                let mut k = i + 1;
                let negated = chars[k] == '!';
                if negated {
                    k += 1;
                }
                let mut items = Vec::new();
                while k < j {
                    if k + 2 < j && chars[k + 1] == '-' {
                        items.push((chars[k], chars[k + 2]));
                        k += 3;
                    } else {
                        items.push((chars[k], chars[k]));
                        k += 1;
                    }
                }
                out.push(Tok::Class { negated, items });
                i = j + 1;
            }
            c => {
                out.push(Tok::Lit(c));
                i += 1;
            }
        }
    }
    out
}

fn matches(tokens: &[Tok], name: &[char]) -> bool {
    let one = |t: &Tok, c: char| match t {
        Tok::One => true,
        Tok::Lit(l) => *l == c,
        Tok::Class { negated, items } => {
            items.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
        }
        Tok::Star => false,
    };
    let (mut t, mut n) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while n < name.len() {
        if t < tokens.len() {
            if matches!(tokens[t], Tok::Star) {
                backtrack = Some((t, n));
                t += 1;
                continue;
            }
            if one(&tokens[t], name[n]) {
                t += 1;
                n += 1;
                continue;
            }
        }
        match backtrack {
            Some((bt, bn)) => {
                t = bt + 1;
                n = bn + 1;
                backtrack = Some((bt, bn + 1));
            }
            None => return false,
        }
    }
    tokens[t..].iter().all(|t| matches!(t, Tok::Star))
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

/// A pattern Python 3.11's `Path.glob` refuses. `Display` is the exception text 3.1.1's finalize
/// printed (as `{"error": ...}`, exit 1), including the two internal errors it leaked for `.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobError {
    /// `''`: `ValueError`.
    Empty,
    /// A leading `/`: `NotImplementedError`.
    Absolute,
    /// `**` inside a path segment (`src/**.py`): `ValueError`.
    DoubleStarInSegment,
    /// Nothing but `.` segments (`.`, `./.`): pathlib indexed an empty tuple (`IndexError`).
    NoSegments,
    /// Nothing but `.` segments and a trailing `/` (`./`): pathlib called a method its
    /// terminating selector lacks (`AttributeError`).
    OnlyTrailingSlash,
}

impl GlobError {
    /// What is wrong, in words (for the human diagnostic).
    pub fn explain(self) -> &'static str {
        match self {
            GlobError::Empty => "it is empty",
            GlobError::Absolute => "it is an absolute path",
            GlobError::DoubleStarInSegment => "`**` can only be a whole path segment",
            GlobError::NoSegments | GlobError::OnlyTrailingSlash => {
                "it names only the repository root (`.`)"
            }
        }
    }

    /// How to fix it (the diagnostic's help line).
    pub fn help(self) -> &'static str {
        match self {
            GlobError::Empty | GlobError::NoSegments | GlobError::OnlyTrailingSlash => {
                "list paths relative to the repository root, e.g. `src/app/**`; `**` alone means every file"
            }
            GlobError::Absolute => {
                "owned_files globs are relative to the repository root: drop the leading `/`"
            }
            GlobError::DoubleStarInSegment => {
                "write `src/**/*.py` (every .py file below src/) instead of `src/**.py`"
            }
        }
    }
}

impl std::fmt::Display for GlobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GlobError::Empty => "Unacceptable pattern: ''",
            GlobError::Absolute => "Non-relative patterns are unsupported",
            GlobError::DoubleStarInSegment => {
                "Invalid pattern: '**' can only be an entire path component"
            }
            GlobError::NoSegments => "tuple index out of range",
            GlobError::OnlyTrailingSlash => {
                "'_TerminatingSelector' object has no attribute 'select_from'"
            }
        })
    }
}

impl std::error::Error for GlobError {}

/// A glob parsed as Python 3.11's `pathlib` does: `/`-separated segments with empty and `.`
/// segments dropped; a trailing `/` restricts the last segment to directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoGlob<'a> {
    segments: Vec<&'a str>,
    dir_only: bool,
}

impl<'a> RepoGlob<'a> {
    /// Parses a pattern, refusing what `Path.glob` refused, in the order it checked.
    pub fn parse(pattern: &'a str) -> Result<Self, GlobError> {
        if pattern.is_empty() {
            return Err(GlobError::Empty);
        }
        if pattern.starts_with('/') {
            return Err(GlobError::Absolute);
        }
        let segments: Vec<&str> = pattern
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .collect();
        let dir_only = pattern.ends_with('/');
        if segments.is_empty() {
            return Err(if dir_only {
                GlobError::OnlyTrailingSlash
            } else {
                GlobError::NoSegments
            });
        }
        if segments.iter().any(|s| *s != "**" && s.contains("**")) {
            return Err(GlobError::DoubleStarInSegment);
        }
        Ok(RepoGlob { segments, dir_only })
    }

    /// Whether the glob finds anything under `root` (a directory), as `any(root.glob(p))` did:
    /// `**` is this directory and every directory below it (symlinked directories are not
    /// entered); wildcards match hidden names too; a literal last segment must exist (a dangling
    /// symlink does not count); a trailing `/` matches directories only.
    pub fn matches_under(&self, root: &Path) -> bool {
        root.is_dir() && self.walk(root, &self.segments)
    }

    fn walk(&self, dir: &Path, segments: &[&str]) -> bool {
        let Some((seg, rest)) = segments.split_first() else {
            return true;
        };
        // Whether what this segment selects must be a directory.
        let dir_only = !rest.is_empty() || self.dir_only;
        if *seg == "**" {
            // `dir` is a directory (every caller checked), and `**` selects it first.
            return self.walk(dir, rest) || subdirs(dir).iter().any(|d| self.walk(d, segments));
        }
        if !seg.contains(['*', '?', '[']) {
            let next = dir.join(seg);
            return if dir_only {
                next.is_dir() && self.walk(&next, rest)
            } else {
                next.exists()
            };
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        entries.flatten().any(|e| {
            let path = e.path();
            if dir_only && !path.is_dir() {
                return false;
            }
            let name = surrogateescape_chars(e.file_name().as_encoded_bytes());
            fnmatch_chars(&name, seg) && self.walk(&path, rest)
        })
    }
}

/// Whether a repository glob finds anything under `root`, or why Python's `Path.glob` refused
/// it (see [`RepoGlob`]).
pub fn repo_glob_matches(root: &Path, pattern: &str) -> Result<bool, GlobError> {
    Ok(RepoGlob::parse(pattern)?.matches_under(root))
}

fn subdirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<_> = entries
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surface_keeps_empty_segments_as_3_1_1_did() {
        let globs = |g: &[&str]| g.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(infer_surface(&globs(&["src//x/**", "src//y.py"])), "src//");
        assert_eq!(infer_surface(&globs(&["/a/**", "/b/**"])), "/");
        assert_eq!(infer_surface(&globs(&["a/**", "b/**"])), "");
    }

    #[test]
    fn fnmatch_like_python() {
        assert!(fnmatch("src/a/b.py", "src/*"));
        assert!(!fnmatch("src/a", "src/a/**"));
        assert!(fnmatch("src/a/", "src/a/**"));
        assert!(fnmatch("x1", "x?"));
        assert!(fnmatch("b", "[abc]"));
        assert!(!fnmatch("d", "[abc]"));
        assert!(fnmatch("d", "[!abc]"));
        assert!(fnmatch("[", "["));
        assert!(fnmatch("", "*"));
        assert!(!fnmatch("a", ""));
        // Class corner cases, checked against CPython 3.11's fnmatch.fnmatchcase.
        for (name, pattern, want) in [
            ("-", "[a-]", true),
            ("b", "[a-c-e]", true),
            ("-", "[a-c-e]", true),
            ("d", "[a-c-e]", false),
            ("^", "[^a]", true),
            ("b", "[z-a]", false),
            ("z", "[b-az]", true),
            ("\\", "[\\]", true),
            ("!", "[!]", false),
            ("[!]", "[!]", true),
            ("a", "[!]]", true),
            ("]", "[]]", true),
            ("[a", "[a", true),
        ] {
            assert_eq!(fnmatch(name, pattern), want, "{name:?} {pattern:?}");
        }
    }

    #[test]
    fn overlap_rules() {
        assert!(globs_overlap("src/a/**", "src/a/**"));
        // Per path segment, not per string prefix (3.1.1 said these overlap).
        assert!(!globs_overlap("src/foo/**", "src/foobar.py"));
        assert!(!globs_overlap("src/parser/**", "src/parser_errors/**"));
        assert!(!globs_overlap("src/foo/**", "src/foo_bar/**"));
        assert!(globs_overlap("src/foo/**", "src/foo/x.py"));
        assert!(globs_overlap("src/**", "src/foo/**"));
        assert!(globs_overlap("src/foo/**", "src/foo/*"));
        assert!(globs_overlap("src/foo/", "src/foo/x.py"));
        // A wildcard inside the last segment still covers what it starts.
        assert!(globs_overlap("src/foo*", "src/foobar.py"));
        assert!(globs_overlap("src/foo*", "src/foo_bar/**"));
        assert!(!globs_overlap("src/foo.py", "src/foo.pyc"));
        assert!(globs_overlap("src/a/**", "src/a/x.py"));
        assert!(globs_overlap("src/*.py", "src/x.py"));
        assert!(!globs_overlap("src/a/**", "src/b/**"));
        assert!(!globs_overlap("tests/a.py", "src/a.py"));
    }

    #[test]
    fn indexed_overlaps_equal_the_pairwise_definition() {
        let wps: Vec<Vec<String>> = [
            vec!["src/a/**", "docs/x.md"],
            vec!["src/a/x.py"],
            vec!["src/foobar.py", "*.md"],
            vec!["src/foo/**"],
            vec!["src/foo*", "src/parser_errors/**"],
            vec!["src/parser/**", "src/foo_bar/x.py"],
            vec!["tests/**", "src/[ab]/y.py"],
            vec!["**"],
        ]
        .iter()
        .map(|v| v.iter().map(|s| s.to_string()).collect())
        .collect();
        let refs: Vec<&[String]> = wps.iter().map(Vec::as_slice).collect();
        let mut brute = Vec::new();
        for i in 0..wps.len() {
            for j in i + 1..wps.len() {
                for (gi, a) in wps[i].iter().enumerate() {
                    for (gj, b) in wps[j].iter().enumerate() {
                        if globs_overlap(a, b) {
                            brute.push(Overlap { i, j, gi, gj });
                        }
                    }
                }
            }
        }
        assert_eq!(find_overlaps(&refs), brute);
    }

    #[test]
    fn inference() {
        assert_eq!(
            infer_execution_mode("edit kitty-specs/x/spec.md"),
            PLANNING_ARTIFACT
        );
        assert_eq!(
            infer_execution_mode("edit spec.md and src/x.py"),
            CODE_CHANGE
        );
        let (globs, fallback) = infer_owned_files(
            "Touch `src/app/core.py`, src/app/ and tests/test_core.py. Also src/app/sub/x.py",
            "001-x",
        );
        // Sorted, ancestors win, trailing punctuation kept (3.1.1's known quirk).
        assert_eq!(globs, ["src/app/**", "tests/test_core.py."]);
        assert!(!fallback);
        assert_eq!(
            infer_owned_files("nothing here", "s"),
            (vec!["src/**".to_owned()], true)
        );
        assert_eq!(
            infer_owned_files("see plan.md", "001-x").0,
            ["kitty-specs/001-x/**"]
        );
    }

    #[test]
    fn surfaces() {
        assert_eq!(infer_surface(&["src/a/**".into()]), "src/a/");
        assert_eq!(infer_surface(&["src/a/x.py".into()]), "src/a/x.py/");
        assert_eq!(
            infer_surface(&["src/a/x.py".into(), "src/a/b/**".into()]),
            "src/a/"
        );
        assert_eq!(infer_surface(&["src/a".into(), "tests/b".into()]), "");
        assert!(surface_error("WP01", "src/a/", &["src/a/**".into()]).is_none());
        assert_eq!(
            surface_error("WP01", "src/a/x.py/", &["src/a/x.py".into()]).as_deref(),
            Some(
                "WP01: authoritative_surface 'src/a/x.py/' is not a prefix of any owned_files entry: ['src/a/x.py']"
            )
        );
    }

    #[test]
    fn pathlib_refuses_what_python_311_refused() {
        use GlobError::*;
        let parse = |p| RepoGlob::parse(p).err();
        assert_eq!(parse(""), Some(Empty));
        assert_eq!(parse("/src/**"), Some(Absolute));
        assert_eq!(parse("//src"), Some(Absolute));
        assert_eq!(parse("src/**.py"), Some(DoubleStarInSegment));
        assert_eq!(parse("a**/b"), Some(DoubleStarInSegment));
        assert_eq!(parse("src/***"), Some(DoubleStarInSegment));
        assert_eq!(parse("."), Some(NoSegments));
        assert_eq!(parse("./."), Some(NoSegments));
        assert_eq!(parse("./"), Some(OnlyTrailingSlash));
        assert_eq!(parse(".//"), Some(OnlyTrailingSlash));
        // Python's checks run in this order: absolute before `**`.
        assert_eq!(parse("/src/**.py"), Some(Absolute));
        for ok in ["**", "src/**", "src/**/*.py", "src/./a//b", "..", "src/a/"] {
            assert_eq!(parse(ok), None, "{ok}");
        }
        assert_eq!(
            DoubleStarInSegment.to_string(),
            "Invalid pattern: '**' can only be an entire path component"
        );
        assert_eq!(NoSegments.to_string(), "tuple index out of range");
        assert_eq!(
            OnlyTrailingSlash.to_string(),
            "'_TerminatingSelector' object has no attribute 'select_from'"
        );
        assert_eq!(Empty.to_string(), "Unacceptable pattern: ''");
    }

    #[test]
    fn repo_globs_match_like_pathlib() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("src/app")).expect("mkdir");
        std::fs::create_dir_all(root.join("ext/d")).expect("mkdir");
        std::fs::write(root.join("src/app/a.py"), "").expect("write");
        std::fs::write(root.join("src/.hidden"), "").expect("write");
        std::fs::write(root.join("ext/d/z.py"), "").expect("write");
        let m = |p: &str| repo_glob_matches(root, p).expect("valid glob");
        assert!(m("src/app/a.py"));
        assert!(m("src/./app//a.py"));
        assert!(m("src/../src/app/a.py"));
        assert!(m("src/**"));
        assert!(m("src/app/**"));
        assert!(m("src/**/a.py"));
        assert!(m("**/a.py"));
        assert!(m("src/.h*"), "wildcards match hidden names");
        assert!(!m("src/*.PY"), "case-sensitive");
        assert!(!m("src/nothing/**"));
        // A trailing `/` selects directories only.
        assert!(m("src/app/"));
        assert!(m("src/*/"));
        assert!(m("src/**/"));
        assert!(!m("src/app/a.py/"));
        assert!(!m("src/*/a.py/"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("nowhere", root.join("src/dangling")).expect("symlink");
            std::os::unix::fs::symlink("../ext", root.join("src/linked")).expect("symlink");
            assert!(!m("src/dangling"), "a literal name must exist");
            assert!(m("src/dang*"), "a wildcard lists the entry");
            assert!(!m("src/dang*/"));
            assert!(m("src/linked/d/z.py"), "literal segments follow symlinks");
            assert!(m("src/*/d/"));
            assert!(
                !m("src/**/z.py"),
                "`**` does not enter symlinked directories"
            );
        }
    }
}
