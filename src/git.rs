//! The few git operations spec-kitty performs, through the `git` command line, in one place.
//!
//! Every call runs `git -C <root> ...` with a fixed locale and no pager, and returns stdout on
//! success or a [`GitError`] naming the command and git's own message.

use std::path::Path;
use std::process::Command;

/// A git command that failed or could not start.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`git {args}` failed: {message}")]
pub struct GitError {
    /// The arguments, joined with spaces.
    pub args: String,
    /// git's stderr (trimmed), or the spawn error.
    pub message: String,
}

/// Runs `git -C root args...` and returns its stdout.
pub fn run(root: &Path, args: &[&str]) -> Result<String, GitError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .map_err(|e| GitError {
            args: args.join(" "),
            message: e.to_string(),
        })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(GitError {
            args: args.join(" "),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

/// The branch checked out in `root`, or `None` on a detached HEAD or outside git.
pub fn current_branch(root: &Path) -> Option<String> {
    run(root, &["branch", "--show-current"])
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// True when `root` is inside a git work tree.
pub fn is_repo(root: &Path) -> bool {
    run(root, &["rev-parse", "--is-inside-work-tree"])
        .map(|s| s.trim() == "true")
        .unwrap_or(false)
}

/// `git rev-parse HEAD`.
pub fn head(root: &Path) -> Result<String, GitError> {
    run(root, &["rev-parse", "HEAD"]).map(|s| s.trim().to_owned())
}

/// `git status --porcelain -- paths...` (paths relative to `root`).
pub fn status_porcelain(root: &Path, paths: &[String]) -> Result<String, GitError> {
    let mut args = vec!["status", "--porcelain", "--untracked-files=all", "--"];
    args.extend(paths.iter().map(String::as_str));
    run(root, &args)
}

/// Commits exactly `paths` (relative to `root`) with `message`, leaving anything else the user had
/// staged staged and out of the commit. Ignored files among `paths` are committed too, as 3.1.1's
/// `git add --force` did. Returns the new commit's hash.
pub fn commit_paths(root: &Path, paths: &[String], message: &str) -> Result<String, GitError> {
    let mut add = vec!["add", "--force", "--"];
    add.extend(paths.iter().map(String::as_str));
    run(root, &add)?;
    // A pathspec commit (`git commit -- paths`) takes only these paths and leaves the rest of the
    // index alone, which is what 3.1.1's stash dance achieved without touching the stash.
    let mut commit = vec![
        "-c",
        "commit.gpgsign=false",
        "commit",
        "--quiet",
        "-m",
        message,
        "--",
    ];
    commit.extend(paths.iter().map(String::as_str));
    run(root, &commit)?;
    head(root)
}

/// Serialises spec-kitty's own git writes in one repository (all worktrees included): an exclusive
/// lock on `<git common dir>/spec-kitty-locks/git.lock`, held until dropped. Concurrent
/// spec-kitty commands then never fail on git's `index.lock`.
pub fn commit_lock(root: &Path) -> Result<crate::util::FileLock, GitError> {
    let common = run(
        root,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )?;
    let path = std::path::PathBuf::from(common.trim())
        .join("spec-kitty-locks")
        .join("git.lock");
    crate::util::lock_file(&path).map_err(|e| GitError {
        args: format!("lock {}", path.display()),
        message: e.to_string(),
    })
}
