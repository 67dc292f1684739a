//! Shared helpers for the integration tests: scratch projects and git with a fixed identity.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The path of the built `spec-kitty` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_spec-kitty"))
}

/// A `Command` for the binary, run in `dir`, with a private HOME and no inherited git identity.
pub fn spec_kitty(dir: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir);
    git_env(&mut cmd);
    cmd.env_remove("SPECIFY_REPO_ROOT");
    cmd.env("NO_COLOR", "1");
    // Never the real home: a private one per test process (tests may set their own).
    let home = std::env::temp_dir().join(format!("spec-kitty-test-home-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&home);
    cmd.env("HOME", home);
    cmd
}

/// Runs the binary in `dir` with `args`.
pub fn run<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> std::process::Output {
    spec_kitty(dir).args(args).output().expect("runs")
}

/// Runs the binary in `dir` with `args`; fails the test (showing its output) unless it succeeds.
pub fn ok<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(
    dir: &Path,
    args: &[S],
) -> std::process::Output {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Sets a fixed git identity and isolates git from the machine's config.
pub fn git_env(cmd: &mut Command) {
    cmd.env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
}

/// Runs git in `dir` and returns stdout; panics (failing the test) when git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir).args(args);
    git_env(&mut cmd);
    let out = cmd.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `git init -b main` plus a first commit of everything in `dir`.
pub fn git_init_commit(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "initial"]);
}

/// Copies a directory tree (files and directories; symlinks are copied as files).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
            let mut perms = std::fs::metadata(&target).expect("metadata").permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).expect("chmod");
        }
    }
}
