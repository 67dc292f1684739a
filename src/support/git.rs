//! The few git operations spec-kitty performs, through the `git` command line, in one place.
//!
//! Every call runs `git -C <root> ...` with a fixed locale and no pager, and returns stdout on
//! success or a [`GitError`] naming the command and git's own message.

use std::collections::{HashMap, HashSet};
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

/// `git -C root args...` with a fixed locale, no prompts, and none of the caller's `GIT_DIR`,
/// `GIT_WORK_TREE` or `GIT_INDEX_FILE`: the one way every call here starts git.
fn git(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(root)
        .args(args)
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    // Inside a write phase, the terminal's Ctrl-C must not kill git half-way (see interrupt.rs).
    #[cfg(unix)]
    if crate::support::interrupt::in_critical() {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd
}

/// A git command that could not start.
fn spawn_error(args: &[&str], e: &std::io::Error) -> GitError {
    GitError {
        args: args.join(" "),
        message: e.to_string(),
    }
}

/// Runs `git -C root args...` and returns its stdout.
pub fn run(root: &Path, args: &[&str]) -> Result<String, GitError> {
    run_env(root, args, &[])
}

/// The branch checked out in `root`, or `None` on a detached HEAD or outside git.
pub fn current_branch(root: &Path) -> Option<String> {
    // Read from HEAD when the case is plain (the common one); git answers the rest.
    match crate::support::git_head::read(root) {
        Some(crate::support::git_head::Head::Branch(b)) => return Some(b),
        Some(_) => return None,
        None => {}
    }
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

/// The pathspec that leaves out the temporary files of an atomic write in progress
/// (`.spec-kitty-*.tmp`, renamed over their target a moment later): they are never a change.
pub const TRANSIENT_EXCLUDE: &str = ":(exclude,glob)**/.spec-kitty-*.tmp";

/// Whether `path` is the temporary file of an atomic write (`.spec-kitty-*.tmp`).
pub fn is_transient(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with(".spec-kitty-") && name.ends_with(".tmp")
}

/// `git status --porcelain -- paths...` (paths relative to `root`; all of them when none are
/// given), without the temporary files of atomic writes.
pub fn status_porcelain(root: &Path, paths: &[String]) -> Result<String, GitError> {
    run(root, &status_args(&["status", "--porcelain"], paths))
}

/// `git status` arguments with untracked files listed one by one, limited to `paths` (all when
/// none), without the temporary files of atomic writes.
fn status_args<'a>(head: &[&'a str], paths: &'a [String]) -> Vec<&'a str> {
    let mut args = head.to_vec();
    args.extend(["--untracked-files=all", "--"]);
    args.extend(paths.iter().map(String::as_str));
    if paths.is_empty() {
        args.push(".");
    }
    args.push(TRANSIENT_EXCLUDE);
    args
}

/// The paths (relative to `root`) with uncommitted or untracked changes under `paths`, from `git
/// status --porcelain -z`, without the temporary files of atomic writes. A rename gives both its
/// paths (the old one is a deletion); a copy only its new one (its source is unchanged).
pub fn changed_paths(root: &Path, paths: &[String]) -> Result<Vec<String>, GitError> {
    let out = run(root, &status_args(&["status", "--porcelain", "-z"], paths))?;
    // Porcelain paths are relative to the repository's top, which is `root` unless the project
    // lives in a subdirectory of the repository (or `root/.git` is not a repository git uses).
    let prefix = show_prefix(root)?;
    let relative = |path: &str| {
        path.strip_prefix(prefix.as_str())
            .unwrap_or(path)
            .to_owned()
    };
    let mut found = Vec::new();
    let mut fields = out.split('\0');
    while let Some(entry) = fields.next() {
        let Some(path) = entry.get(3..).filter(|p| !p.is_empty()) else {
            continue;
        };
        found.push(relative(path));
        // A rename or copy, staged or not (`R ` or ` R`): the original path follows as a field of
        // its own.
        let xy = entry.get(..2).unwrap_or_default();
        let renamed = xy.contains('R');
        if renamed || xy.contains('C') {
            match fields.next() {
                Some(original) if renamed && !original.is_empty() => found.push(relative(original)),
                _ => {}
            }
        }
    }
    Ok(found)
}

/// Where `root` lies in its repository: `""` at the top, else `dir/` (git's paths start at the top).
fn show_prefix(root: &Path) -> Result<String, GitError> {
    let out = run(root, &["rev-parse", "--show-prefix"])?;
    Ok(out.trim_end_matches('\n').to_owned())
}

/// Commits exactly `paths` (relative to `root`) with `message`, leaving anything else the user had
/// staged staged and out of the commit. Ignored files among `paths` are committed too, as 3.1.1's
/// `git add --force` did. Returns the new commit's hash.
pub fn commit_paths(root: &Path, paths: &[String], message: &str) -> Result<String, GitError> {
    // The paths go to git on stdin, so a mission of any size fits: on the command line, tens of
    // thousands of WP files would exceed the system's argument limit.
    let mut listed = Vec::new();
    for p in paths {
        listed.extend_from_slice(p.as_bytes());
        listed.push(0);
    }
    const FROM_STDIN: [&str; 2] = ["--pathspec-from-file=-", "--pathspec-file-nul"];
    let commit = [
        "-c",
        "commit.gpgsign=false",
        "commit",
        "--quiet",
        "-m",
        message,
    ];
    // `git add -- paths` then `git commit -- paths`: the commit takes only these paths and leaves
    // the rest of the index alone, which is what 3.1.1's stash dance achieved without touching
    // the stash. Both match every pathspec against every index entry, seconds for thousands of
    // paths, so a large commit of plain files is made another way when that gives the same result.
    if paths.len() >= MANY_PATHS && plain_files(root, paths) {
        // `update-index` takes each path as it is; for files like these it stages what `add`
        // would (filters and attributes applied, ignore rules not consulted, an entry in the way
        // replaced). Their blobs go into one pack (git's bulk check-in of "big" files) rather
        // than a loose object file each: creating thousands of small files is most of the time on
        // a slow disk. The setting lasts for this call only, and the objects are the same.
        run_with_input(
            root,
            &[
                "-c",
                "core.bigFileThreshold=1",
                "update-index",
                "--add",
                "--replace",
                "-z",
                "--stdin",
            ],
            &listed,
        )?;
        // When the index holds nothing else to commit, a plain commit records the same tree.
        if only_these_staged(root, paths) {
            run(root, &commit)?;
        } else {
            run_with_input(root, &[&commit[..], &FROM_STDIN].concat(), &listed)?;
        }
    } else {
        run_with_input(
            root,
            &[&["add", "--force"][..], &FROM_STDIN].concat(),
            &listed,
        )?;
        run_with_input(root, &[&commit[..], &FROM_STDIN].concat(), &listed)?;
    }
    head(root)
}

/// From this many paths, [`commit_paths`] looks for the faster way (three or four quick git calls
/// against the seconds pathspec matching costs for thousands of paths).
const MANY_PATHS: usize = 64;

/// Whether every path is an existing file, named plainly (relative, no `.` or `..`, valid UTF-8
/// as git prints it), in a repository without a sparse checkout (`add` refuses paths outside it),
/// and whose index entry, if any, is spelled the same (with `core.ignoreCase`, `add` updates the
/// entry whatever its case) and is neither skip-worktree (`add` refuses it, `update-index` would
/// skip it) nor assume-unchanged (`update-index` and a plain commit would take the index's
/// content, a pathspec commit the file's). Not a directory: `add` takes its contents; not a
/// missing path: `add` refuses it.
fn plain_files(root: &Path, paths: &[String]) -> bool {
    let plain = |p: &String| {
        !p.contains('\u{FFFD}')
            && Path::new(p)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
            && std::fs::symlink_metadata(root.join(p)).is_ok_and(|m| !m.is_dir())
    };
    if !paths.iter().all(plain) {
        return false;
    }
    if run(
        root,
        &["config", "--type=bool", "--get", "core.sparseCheckout"],
    )
    .is_ok_and(|v| v.trim() == "true")
    {
        return false;
    }
    // Every entry under `root`, relative to it, tagged: `S` skip-worktree, lower case
    // assume-unchanged.
    let Ok(entries) = run(root, &["ls-files", "-z", "-v"]) else {
        return false;
    };
    let mut flagged = HashSet::new();
    let mut spelled: HashMap<String, &str> = HashMap::new();
    for (tag, path) in entries.split('\0').filter_map(|e| e.split_once(' ')) {
        if tag == "S" || tag.chars().any(|c| c.is_ascii_lowercase()) {
            flagged.insert(path);
        }
        spelled.insert(path.to_lowercase(), path);
    }
    paths.iter().all(|p| {
        !flagged.contains(p.as_str())
            && spelled
                .get(&p.to_lowercase())
                .is_none_or(|entry| *entry == p.as_str())
    })
}

/// Whether the index differs from HEAD only in `paths`, with no merge, cherry-pick or revert in
/// progress (a plain commit would conclude it; a pathspec commit refuses to), and something to
/// commit. Any doubt (no HEAD yet, a git error) says no.
fn only_these_staged(root: &Path, paths: &[String]) -> bool {
    // The state refs as git resolves them (files, or refs in a reftable repository).
    let Ok(states) = run_with_input(
        root,
        &["cat-file", "--batch-check"],
        b"MERGE_HEAD\nCHERRY_PICK_HEAD\nREVERT_HEAD\n",
    ) else {
        return false;
    };
    if states.lines().any(|l| !l.ends_with(" missing")) {
        return false;
    }
    let Ok(prefix) = show_prefix(root) else {
        return false;
    };
    // Every staged path of the repository, not only the project's: a plain commit takes them all.
    let Ok(staged) = run(
        root,
        &[
            "diff-index",
            "--cached",
            "--name-only",
            "-z",
            "--ignore-submodules=none",
            "HEAD",
        ],
    ) else {
        return false;
    };
    let ours: HashSet<String> = paths.iter().map(|p| format!("{prefix}{p}")).collect();
    // A name git printed that is not UTF-8 cannot be one of `paths` (and could read like one).
    let mut staged = staged.split('\0').filter(|p| !p.is_empty()).peekable();
    staged.peek().is_some() && staged.all(|p| !p.contains('\u{FFFD}') && ours.contains(p))
}

/// Serialises spec-kitty's own git writes in one repository (all worktrees included): an exclusive
/// lock on `<git common dir>/spec-kitty-locks/git.lock`, held until dropped. Concurrent
/// spec-kitty commands then never fail on git's `index.lock`.
pub fn commit_lock(root: &Path) -> Result<crate::support::util::FileLock, GitError> {
    let common = run(
        root,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )?;
    let path = std::path::PathBuf::from(common.trim())
        .join("spec-kitty-locks")
        .join("git.lock");
    crate::support::util::lock_file(&path).map_err(|e| GitError {
        args: format!("lock {}", path.display()),
        message: e.to_string(),
    })
}

/// Runs `git -C root args...` with extra environment variables (e.g. a temporary index, or the
/// author of a replayed commit) and returns its stdout.
pub fn run_env(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<String, GitError> {
    let mut cmd = git(root, args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().map_err(|e| spawn_error(args, &e))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let mut message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        if message.is_empty() {
            message = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        }
        Err(GitError {
            args: args.join(" "),
            message,
        })
    }
}

/// The commit a revision names, or `None` when it names none.
pub fn commit_of(root: &Path, rev: &str) -> Option<String> {
    run(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .ok()
    .map(|s| s.trim().to_owned())
    .filter(|s| !s.is_empty())
}

/// The tip of local branch `branch`, or `None` when it does not exist.
pub fn branch_tip(root: &Path, branch: &str) -> Option<String> {
    commit_of(root, &format!("refs/heads/{branch}"))
}

/// True when `ancestor` is an ancestor of (or equal to) `of`.
pub fn is_ancestor(root: &Path, ancestor: &str, of: &str) -> bool {
    run(root, &["merge-base", "--is-ancestor", ancestor, of]).is_ok()
}

/// The tree of a commit.
pub fn tree_of(root: &Path, commit: &str) -> Result<String, GitError> {
    run(root, &["rev-parse", &format!("{commit}^{{tree}}")]).map(|s| s.trim().to_owned())
}

/// The outcome of merging two commits without a working tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeMerge {
    /// The merged tree.
    Clean(String),
    /// The paths git could not merge.
    Conflicts(Vec<String>),
}

/// Merges `theirs` into `ours` in memory (`git merge-tree --write-tree`), optionally with an
/// explicit merge base (a cherry-pick of `theirs` is a merge with its parent as the base). Nothing
/// in any working tree, index or ref changes.
pub fn merge_tree(
    root: &Path,
    ours: &str,
    theirs: &str,
    base: Option<&str>,
) -> Result<TreeMerge, GitError> {
    let base_arg = base.map(|b| format!("--merge-base={b}"));
    let mut args = vec!["merge-tree", "--write-tree", "--name-only", "--no-messages"];
    if let Some(b) = &base_arg {
        args.push(b);
    }
    args.push(ours);
    args.push(theirs);
    let output = git(root, &args)
        .output()
        .map_err(|e| spawn_error(&args, &e))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut lines = stdout.lines();
    let tree = lines.next().unwrap_or_default().trim().to_owned();
    match output.status.code() {
        Some(0) if !tree.is_empty() => Ok(TreeMerge::Clean(tree)),
        Some(1) => {
            let mut files: Vec<String> = lines
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            files.dedup();
            Ok(TreeMerge::Conflicts(files))
        }
        _ => Err(GitError {
            args: args.join(" "),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }),
    }
}

/// Who wrote a commit and when, for replaying it.
#[derive(Debug, Clone, Default)]
pub struct Authorship {
    /// Author name.
    pub name: String,
    /// Author e-mail.
    pub email: String,
    /// Author date (git's raw format).
    pub date: String,
    /// The full message.
    pub message: String,
}

/// Reads the author and message of `commit`.
pub fn authorship(root: &Path, commit: &str) -> Result<Authorship, GitError> {
    let out = run(
        root,
        &[
            "log",
            "-1",
            "--format=%an%x00%ae%x00%ad%x00%B",
            "--date=raw",
            commit,
        ],
    )?;
    let mut parts = out.splitn(4, '\0');
    Ok(Authorship {
        name: parts.next().unwrap_or_default().to_owned(),
        email: parts.next().unwrap_or_default().to_owned(),
        date: parts.next().unwrap_or_default().to_owned(),
        message: parts.next().unwrap_or_default().trim_end().to_owned(),
    })
}

/// Creates a commit object for `tree` with `parents` (no ref moves). With `author`, the commit
/// keeps that author and date (a replayed commit); the committer is the current identity.
pub fn commit_tree(
    root: &Path,
    tree: &str,
    parents: &[&str],
    message: &str,
    author: Option<&Authorship>,
) -> Result<String, GitError> {
    let mut args = vec!["commit-tree", tree];
    for p in parents {
        args.push("-p");
        args.push(p);
    }
    args.push("-m");
    args.push(message);
    let env: Vec<(&str, &str)> = match author {
        Some(a) => vec![
            ("GIT_AUTHOR_NAME", a.name.as_str()),
            ("GIT_AUTHOR_EMAIL", a.email.as_str()),
            ("GIT_AUTHOR_DATE", a.date.as_str()),
        ],
        None => Vec::new(),
    };
    run_env(root, &args, &env).map(|s| s.trim().to_owned())
}

/// Creates a commit on top of `parent` that replaces `files` (path relative to the repository
/// root, new content) and changes nothing else, through a temporary index: no working tree, index
/// or ref of the user is touched. Returns the new commit.
pub fn commit_files(
    root: &Path,
    parent: &str,
    files: &[(String, Vec<u8>)],
    message: &str,
) -> Result<String, GitError> {
    let tmp = tempfile::Builder::new()
        .prefix("spec-kitty-index-")
        .tempdir()
        .map_err(|e| GitError {
            args: "temporary index".into(),
            message: e.to_string(),
        })?;
    let index = tmp.path().join("index");
    let index_str = index.display().to_string();
    let env = [("GIT_INDEX_FILE", index_str.as_str())];
    run_env(root, &["read-tree", parent], &env)?;
    for (path, bytes) in files {
        let blob = hash_blob(root, bytes)?;
        let info = format!("100644,{blob},{path}");
        run_env(root, &["update-index", "--add", "--cacheinfo", &info], &env)?;
    }
    let tree = run_env(root, &["write-tree"], &env)?;
    commit_tree(root, tree.trim(), &[parent], message, None)
}

/// Stores `bytes` as a blob and returns its id.
fn hash_blob(root: &Path, bytes: &[u8]) -> Result<String, GitError> {
    run_with_input(root, &["hash-object", "-w", "--stdin"], bytes).map(|out| out.trim().to_owned())
}

/// Runs `git -C root args...` with `input` on its stdin and returns its stdout. The input is
/// written from a thread of its own, so git can write its output meanwhile.
fn run_with_input(root: &Path, args: &[&str], input: &[u8]) -> Result<String, GitError> {
    use std::io::Write as _;
    let err = |e: std::io::Error| spawn_error(args, &e);
    let mut child = git(root, args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(err)?;
    let stdin = child.stdin.take();
    let (written, out) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || match stdin {
            // Dropping the pipe at the end closes git's stdin.
            Some(mut pipe) => pipe.write_all(input),
            None => Ok(()),
        });
        let out = child.wait_with_output();
        (writer.join(), out)
    });
    let out = out.map_err(err)?;
    if !out.status.success() {
        return Err(GitError {
            args: args.join(" "),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    // git read what it needed: a write error after a success (a closed pipe) is not a failure.
    drop(written);
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A file's content at a revision (`git show rev:path`), or `None` when it has none.
pub fn show_file(root: &Path, rev: &str, path: &str) -> Option<String> {
    run(root, &["show", &format!("{rev}:{path}")]).ok()
}

/// The worktree (main checkout included) that has `branch` checked out, if any.
pub fn checked_out_at(root: &Path, branch: &str) -> Option<std::path::PathBuf> {
    let out = run(root, &["worktree", "list", "--porcelain"]).ok()?;
    let wanted = format!("branch refs/heads/{branch}");
    let mut current: Option<&str> = None;
    for line in out.lines() {
        if let Some(p) = line.strip_prefix("worktree ") {
            current = Some(p);
        } else if line == wanted {
            return current.map(std::path::PathBuf::from);
        }
    }
    None
}

/// Moves `branch` from `old` to `new` (a descendant of `old`). Where the branch is checked out, its
/// index and working tree move with it (`git merge --ff-only`, which refuses rather than overwrite
/// local changes); elsewhere the ref moves only if it still points at `old`.
pub fn advance_branch(root: &Path, branch: &str, old: &str, new: &str) -> Result<(), GitError> {
    if old == new {
        return Ok(());
    }
    match checked_out_at(root, branch) {
        Some(dir) => {
            let head = head(&dir)?;
            if head != old {
                return Err(GitError {
                    args: format!("merge --ff-only {new}"),
                    message: format!("{branch} moved during the merge (now at {head})"),
                });
            }
            run(&dir, &["merge", "--ff-only", "--quiet", new]).map(|_| ())
        }
        None => run(
            root,
            &["update-ref", &format!("refs/heads/{branch}"), new, old],
        )
        .map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::{changed_paths, run};

    /// A repository with `m/a.md` and `m/b.md` committed, and git's identity set.
    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("m")).expect("mkdir");
        std::fs::write(root.join("m/a.md"), "a\n").expect("write");
        std::fs::write(root.join("m/b.md"), "b\n").expect("write");
        for args in [
            &["init", "-q", "-b", "main"][..],
            &["config", "user.email", "t@example.invalid"],
            &["config", "user.name", "t"],
            &["add", "-A"],
            &["commit", "-q", "-m", "init"],
        ] {
            run(root, args).expect("git");
        }
        dir
    }

    #[test]
    fn a_rename_gives_both_paths_staged_or_not() {
        let dir = repo();
        let root = dir.path();
        run(root, &["mv", "m/a.md", "m/a2.md"]).expect("git mv");
        // A rename in the worktree of an intent-to-add file shows as ` R`.
        std::fs::rename(root.join("m/b.md"), root.join("m/b2.md")).expect("rename");
        run(root, &["add", "-N", "m/b2.md"]).expect("git add -N");
        let mut got = changed_paths(root, &["m".to_owned()]).expect("status");
        got.sort();
        assert_eq!(got, ["m/a.md", "m/a2.md", "m/b.md", "m/b2.md"]);
    }

    #[test]
    fn paths_are_relative_to_a_root_below_the_repository_top() {
        let dir = repo();
        std::fs::write(dir.path().join("m/a.md"), "changed\n").expect("write");
        let got = changed_paths(&dir.path().join("m"), &[]).expect("status");
        assert_eq!(got, ["a.md"]);
    }
}
