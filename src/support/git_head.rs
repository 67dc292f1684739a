//! The checked-out branch read from the repository's `HEAD` file, without starting git.
//!
//! `finalize-tasks --validate-only` on a small mission spends most of its time starting
//! `git branch --show-current`; this answers the same question from the files git itself reads
//! (gitrepository-layout(5): `.git/HEAD` holds `ref: refs/heads/<branch>` or a commit id; a linked
//! worktree's `.git` file holds `gitdir: <path>`). It answers only the plain cases and says
//! "ask git" for everything else: a reftable repository, a bare repository, a `.git` it does not
//! recognise, a repository owned by another user (git's `safe.directory` check), discovery limits
//! set in the environment, or a walk that would cross a file-system boundary.

use std::path::{Path, PathBuf};

/// What `HEAD` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// A branch (possibly unborn).
    Branch(String),
    /// A detached HEAD.
    Detached,
    /// No repository at or above the directory.
    NoRepository,
}

/// `HEAD` of the repository `dir` is in, or `None` when only git can tell.
pub fn read(dir: &Path) -> Option<Head> {
    if std::env::var_os("GIT_CEILING_DIRECTORIES").is_some()
        || std::env::var_os("GIT_DISCOVERY_ACROSS_FILESYSTEM").is_some()
    {
        return None;
    }
    let me = owner_of_this_process()?;
    let start = std::fs::canonicalize(dir).ok()?;
    let start_device = device(&start)?;
    let mut here: &Path = &start;
    loop {
        if device(here)? != start_device {
            return None;
        }
        let dot_git = here.join(".git");
        match std::fs::symlink_metadata(&dot_git) {
            Ok(m) if m.is_dir() => return head_in(&dot_git, here, me),
            Ok(m) if m.is_file() => {
                let gitdir = linked_gitdir(&dot_git, here)?;
                return head_in(&gitdir, here, me);
            }
            Ok(_) => return None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return None,
        }
        // A bare repository (or a git directory) as the working directory: git's business.
        if here.join("HEAD").exists() && here.join("objects").is_dir() {
            return None;
        }
        match here.parent() {
            Some(parent) => here = parent,
            None => return Some(Head::NoRepository),
        }
    }
}

/// The `HEAD` of the git directory `gitdir` for the work tree `top`.
fn head_in(gitdir: &Path, top: &Path, me: u32) -> Option<Head> {
    // git refuses a repository another user owns unless `safe.directory` allows it.
    if owner(top)? != me || owner(gitdir)? != me {
        return None;
    }
    let text = std::fs::read_to_string(gitdir.join("HEAD")).ok()?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    if let Some(target) = line.strip_prefix("ref: ") {
        let branch = target.strip_prefix("refs/heads/")?;
        // A reftable repository's HEAD names `refs/heads/.invalid`: only git can read it.
        if branch.is_empty() || branch.starts_with('.') || branch.contains(['\n', '\r']) {
            return None;
        }
        return Some(Head::Branch(branch.to_owned()));
    }
    let hex = line.len() == 40 || line.len() == 64;
    (hex && line.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Head::Detached)
}

/// A linked worktree's `.git` file: `gitdir: <path>`, relative to the file's directory.
fn linked_gitdir(file: &Path, top: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(file).ok()?;
    let path = text
        .strip_prefix("gitdir: ")?
        .trim_end_matches(['\n', '\r']);
    let gitdir = top.join(path);
    gitdir.join("HEAD").is_file().then_some(gitdir)
}

#[cfg(unix)]
fn owner(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.uid())
}

#[cfg(unix)]
fn device(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.dev())
}

/// The effective user: the owner of `/proc/self` (Linux); elsewhere only git can tell.
#[cfg(unix)]
fn owner_of_this_process() -> Option<u32> {
    owner(Path::new("/proc/self"))
}

#[cfg(not(unix))]
fn owner(_: &Path) -> Option<u32> {
    None
}

#[cfg(not(unix))]
fn device(_: &Path) -> Option<u64> {
    None
}

#[cfg(not(unix))]
fn owner_of_this_process() -> Option<u32> {
    None
}
