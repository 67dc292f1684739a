//! Globs against the repository's files with Python 3.11 `pathlib` rules (`**`, hidden
//! files, symlinks), for the "matches nothing" warning.

use std::path::Path;

use super::fnmatch::fnmatch_chars;
use crate::support::utf8::surrogateescape_chars;

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

pub(super) fn subdirs(dir: &Path) -> Vec<std::path::PathBuf> {
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
