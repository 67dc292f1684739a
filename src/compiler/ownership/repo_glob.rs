//! Globs against the repository's files with Python 3.11 `pathlib` rules (`**`, hidden
//! files, symlinks), for the "matches nothing" warning.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

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

    /// Whether the glob finds anything in the repository `fs` looks at, as `any(root.glob(p))`
    /// did: `**` is this directory and every directory below it (symlinked directories are not
    /// entered); wildcards match hidden names too; a literal last segment must exist (a dangling
    /// symlink does not count); a trailing `/` matches directories only.
    pub fn matches_in(&self, fs: &RepoFs) -> bool {
        fs.is_dir(&fs.root) && self.walk(fs, &fs.root, &self.segments)
    }

    fn walk(&self, fs: &RepoFs, dir: &Path, segments: &[&str]) -> bool {
        let Some((seg, rest)) = segments.split_first() else {
            return true;
        };
        // Whether what this segment selects must be a directory.
        let dir_only = !rest.is_empty() || self.dir_only;
        if *seg == "**" {
            // `dir` is a directory (every caller checked), and `**` selects it first.
            return self.walk(fs, dir, rest)
                || fs
                    .entries(dir)
                    .iter()
                    .filter(|e| e.real_dir)
                    .any(|e| self.walk(fs, &e.path, segments));
        }
        if !seg.contains(['*', '?', '[']) {
            let next = dir.join(seg);
            return if dir_only {
                fs.is_dir(&next) && self.walk(fs, &next, rest)
            } else {
                fs.exists(&next)
            };
        }
        fs.entries(dir).iter().any(|e| {
            (!dir_only || fs.is_dir(&e.path))
                && fnmatch_chars(&e.name, seg)
                && self.walk(fs, &e.path, rest)
        })
    }
}

/// The repository's files as the globs see them, each directory listed and each path looked up
/// at most once however many globs ask (a mission's globs share most of their directories).
pub struct RepoFs {
    root: PathBuf,
    /// Path → `None` when nothing is there (a dangling symlink included), else whether it is a
    /// directory (symlinks followed).
    kinds: RefCell<HashMap<PathBuf, Option<bool>>>,
    /// Directory → its entries (a directory that cannot be read has none).
    listings: RefCell<HashMap<PathBuf, Rc<[Entry]>>>,
}

/// One directory entry.
struct Entry {
    path: PathBuf,
    /// The name as Python saw it (undecodable bytes as surrogates).
    name: Vec<char>,
    /// A directory itself, not a symlink to one (`**` enters only these).
    real_dir: bool,
}

impl RepoFs {
    /// A view of the repository at `root`; nothing is read until a glob asks.
    pub fn new(root: &Path) -> RepoFs {
        RepoFs {
            root: root.to_path_buf(),
            kinds: RefCell::default(),
            listings: RefCell::default(),
        }
    }

    fn kind(&self, path: &Path) -> Option<bool> {
        if let Some(k) = self.kinds.borrow().get(path) {
            return *k;
        }
        let kind = std::fs::metadata(path).ok().map(|m| m.is_dir());
        self.kinds.borrow_mut().insert(path.to_path_buf(), kind);
        kind
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.kind(path) == Some(true)
    }

    fn exists(&self, path: &Path) -> bool {
        self.kind(path).is_some()
    }

    fn entries(&self, dir: &Path) -> Rc<[Entry]> {
        if let Some(e) = self.listings.borrow().get(dir) {
            return Rc::clone(e);
        }
        let entries: Vec<Entry> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| Entry {
                        path: e.path(),
                        name: surrogateescape_chars(e.file_name().as_encoded_bytes()),
                        real_dir: e.file_type().is_ok_and(|t| t.is_dir()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let entries: Rc<[Entry]> = entries.into();
        self.listings
            .borrow_mut()
            .insert(dir.to_path_buf(), Rc::clone(&entries));
        entries
    }
}

/// Whether a repository glob finds anything in the repository `fs` looks at, or why Python's
/// `Path.glob` refused it (see [`RepoGlob`]).
pub fn repo_glob_matches(fs: &RepoFs, pattern: &str) -> Result<bool, GlobError> {
    Ok(RepoGlob::parse(pattern)?.matches_in(fs))
}
