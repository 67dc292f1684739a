//! finalize-tasks on missions large enough for its stages to spread over the cores: the output must
//! be the one the same run gives on one core (`taskset -c 0`, so the sequential path), for a
//! success with warnings and for each failure that can meet another in the stages run side by side.
//! And its commit of hundreds of files, which git makes without matching pathspecs when it can:
//! exactly the planning files, whatever else the user has staged, wherever the project lies in
//! the repository, and never concluding a merge in progress.

use std::path::Path;
use std::process::Command;

use crate::support::{copy_tree, git, git_env, git_init_commit, spec_kitty};

/// WPs in a generated mission: above the size at which finalize spreads its stages.
const WPS: usize = 300;

/// A generated mission `001-m` of [`WPS`] WPs: every third depends on the one before, each owns
/// `src/mNNN/**` (nothing there yet, so each glob gives a warning), WP010 is a planning WP owning
/// code (a mode warning). `edit` may change any WP file's text before it is written; `log` is the
/// status event log, if any.
fn mission(edit: impl Fn(usize, String) -> String, log: Option<&str>) -> tempfile::TempDir {
    mission_with_tasks(edit, log, |t| t)
}

/// [`mission`], with `tasks` changing the tasks.md text too.
fn mission_with_tasks(
    edit: impl Fn(usize, String) -> String,
    log: Option<&str>,
    tasks_edit: impl Fn(String) -> String,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let m = root.join("kitty-specs/001-m");
    std::fs::create_dir_all(m.join("tasks")).expect("mkdir");
    std::fs::create_dir_all(root.join(".kittify")).expect("mkdir");
    std::fs::write(root.join(".kittify/config.yaml"), "vcs:\n  type: git\n").expect("write");
    let mut spec = String::from("# Spec\n");
    let mut tasks = String::from("# Tasks\n\n");
    for i in 1..=WPS {
        spec.push_str(&format!("- FR-{i:03} requirement {i}\n"));
        let deps = if i % 3 == 0 {
            format!("WP{:03}", i - 1)
        } else {
            "none".to_owned()
        };
        tasks.push_str(&format!(
            "## WP{i:03} — Work package {i}\n\n**Dependencies**: {deps}\n\n- [ ] T{i:03} Do it\n\n"
        ));
        let mode = if i == 10 {
            "planning_artifact"
        } else {
            "code_change"
        };
        let text = format!(
            "---\nwork_package_id: WP{i:03}\ntitle: Work package {i}\nrequirement_refs: [FR-{i:03}]\nexecution_mode: {mode}\nowned_files:\n- src/m{i:03}/**\nauthoritative_surface: src/m{i:03}/\n---\n# WP{i:03}\n"
        );
        std::fs::write(m.join(format!("tasks/WP{i:03}-work.md")), edit(i, text)).expect("write");
    }
    std::fs::write(m.join("spec.md"), spec).expect("write");
    std::fs::write(m.join("tasks.md"), tasks_edit(tasks)).expect("write");
    std::fs::write(
        m.join("meta.json"),
        "{\"mission_id\": \"01KZ00000000000000000000MM\"}\n",
    )
    .expect("write");
    if let Some(log) = log {
        std::fs::write(m.join("status.events.jsonl"), log).expect("write");
    }
    git_init_commit(root);
    dir
}

/// Exit code, stdout and stderr of `finalize-tasks` with `args`, on every core or on one.
fn run(root: &Path, args: &[&str], one_core: bool) -> (Option<i32>, String, String) {
    let probe = spec_kitty(root);
    let mut cmd = if one_core {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(probe.get_program());
        c.current_dir(root);
        for (k, v) in probe.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c
    } else {
        probe
    };
    cmd.args(["agent", "mission", "finalize-tasks", "--mission", "001-m"])
        .args(args);
    let out = cmd.output().expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs finalize on every core and on one, asserts the same output, and returns it.
fn same_on_one_core(root: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let spread = run(root, args, false);
    let single = run(root, args, true);
    assert_eq!(spread, single, "the output depends on the cores used");
    spread
}

#[test]
fn a_large_mission_validates_as_it_does_on_one_core() {
    let dir = mission(|_, t| t, None);
    for args in [&["--validate-only", "--json"][..], &["--validate-only"][..]] {
        let (code, stdout, stderr) = same_on_one_core(dir.path(), args);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.contains("validation"), "{stdout}");
        assert!(
            stderr.contains(&format!("{WPS} owned_files globs match no file yet")),
            "{stderr}"
        );
        assert!(stderr.contains("ownership::mode-mismatch"), "{stderr}");
    }
}

#[test]
fn a_large_mission_fails_on_a_lane_without_a_manifest_as_on_one_core() {
    // An unknown execution mode leaves WP150 readable but without a manifest.
    let dir = mission(
        |i, t| {
            if i == 150 {
                t.replace("code_change", "bogus")
            } else {
                t
            }
        },
        None,
    );
    let (code, _, stderr) = same_on_one_core(dir.path(), &["--validate-only"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("ownership::unknown-execution-mode"),
        "{stderr}"
    );
    // The warnings found before the failure go with it.
    assert!(
        stderr.contains("owned_files globs match no file yet"),
        "{stderr}"
    );
}

#[test]
fn a_bad_glob_wins_over_a_corrupt_status_log_as_on_one_core() {
    let bad_glob = |i: usize, t: String| {
        if i == 200 {
            t.replace("- src/m200/**", "- src/m200/a**x")
        } else {
            t
        }
    };
    let dir = mission(bad_glob, Some("not json at all\n"));
    let (code, stdout, stderr) = same_on_one_core(dir.path(), &["--json"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stdout.contains("Invalid pattern: '**' can only be an entire path component"),
        "{stdout}"
    );
    // Validation ran first: the log's failure is never reached.
    assert!(!stderr.contains("status::corrupt-log"), "{stderr}");
}

#[test]
fn a_dependency_cycle_wins_over_an_ownership_overlap_as_on_one_core() {
    // WP003 depends on WP002; WP002 now depends on WP003. WP007 claims WP005's files.
    let overlap = |i: usize, t: String| {
        if i == 7 {
            t.replace("- src/m007/**", "- src/m005/**")
        } else {
            t
        }
    };
    let cycle = |t: String| {
        t.replace(
            "## WP002 — Work package 2\n\n**Dependencies**: none",
            "## WP002 — Work package 2\n\n**Dependencies**: WP003",
        )
    };
    let dir = mission_with_tasks(overlap, None, cycle);
    let (code, stdout, stderr) = same_on_one_core(dir.path(), &["--json"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.contains("ircular"), "{stdout}");
    assert!(!stdout.contains("Ownership validation failed"), "{stdout}");
    // Without the cycle, the overlap is the failure.
    let dir = mission(overlap, None);
    let (code, stdout, _) = same_on_one_core(dir.path(), &["--json"]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("Ownership validation failed"), "{stdout}");
}

#[test]
fn a_corrupt_status_log_fails_a_large_mission_as_on_one_core() {
    let dir = mission(|_, t| t, Some("not json at all\n"));
    let (code, _, stderr) = same_on_one_core(dir.path(), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("status::corrupt-log"), "{stderr}");
    // The warnings validation found go with the failure.
    assert!(
        stderr.contains("owned_files globs match no file yet"),
        "{stderr}"
    );
}

/// The files a commit touched, sorted.
fn committed(root: &Path, rev: &str) -> Vec<String> {
    let mut files: Vec<String> = git(
        root,
        &["show", "--name-only", "--format=", "--no-renames", rev],
    )
    .lines()
    .filter(|l| !l.is_empty())
    .map(str::to_owned)
    .collect();
    files.sort();
    files
}

/// Runs `finalize-tasks --json` in `root` and asserts that it fails and moves no branch (so no
/// commit leaves anything out, or concludes what the user had in progress).
fn finalize_fails_and_commits_nothing(root: &Path) {
    let head = git(root, &["rev-parse", "HEAD"]);
    let (code, stderr) = finalize(root);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head, "a commit was made");
}

/// `finalize-tasks --json` in `dir`: exit code and stderr.
fn finalize(dir: &Path) -> (Option<i32>, String) {
    let (code, _, stderr) = run(dir, &["--json"], false);
    (code, stderr)
}

#[test]
fn a_large_finalize_commits_every_planning_file_and_nothing_else() {
    let dir = mission(|_, t| t, None);
    let root = dir.path();
    let (code, stderr) = finalize(root);
    assert_eq!(code, Some(0), "{stderr}");
    let files = committed(root, "HEAD");
    assert_eq!(
        files.iter().filter(|f| f.contains("/tasks/WP")).count(),
        WPS,
        "{files:?}"
    );
    assert!(
        files.contains(&"kitty-specs/001-m/lanes.json".to_owned()),
        "{files:?}"
    );
    assert!(
        files.contains(&"kitty-specs/001-m/status.events.jsonl".to_owned()),
        "{files:?}"
    );
    assert_eq!(git(root, &["status", "--porcelain"]), "");
}

#[test]
fn a_large_finalize_leaves_what_else_was_staged_staged_and_out_of_its_commit() {
    let dir = mission(|_, t| t, None);
    let root = dir.path();
    std::fs::write(root.join("notes.txt"), "mine\n").expect("write");
    git(root, &["add", "notes.txt"]);
    let (code, stderr) = finalize(root);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!committed(root, "HEAD").contains(&"notes.txt".to_owned()));
    assert_eq!(
        git(root, &["diff", "--cached", "--name-only"]),
        "notes.txt\n"
    );
}

#[test]
fn a_large_finalize_in_a_subdirectory_leaves_staged_work_beside_the_project_alone() {
    let made = mission(|_, t| t, None);
    let outer = tempfile::tempdir().expect("tempdir");
    let proj = outer.path().join("proj");
    copy_tree(made.path(), &proj);
    std::fs::remove_dir_all(proj.join(".git")).expect("rm .git");
    git_init_commit(outer.path());
    // Staged outside the project: a commit of the project's paths must not take it.
    std::fs::write(outer.path().join("other.txt"), "mine\n").expect("write");
    git(outer.path(), &["add", "other.txt"]);
    let (code, stderr) = finalize(&proj);
    assert_eq!(code, Some(0), "{stderr}");
    let files = committed(outer.path(), "HEAD");
    assert!(!files.contains(&"other.txt".to_owned()), "{files:?}");
    assert!(
        files.contains(&"proj/kitty-specs/001-m/lanes.json".to_owned()),
        "{files:?}"
    );
    assert_eq!(
        git(outer.path(), &["diff", "--cached", "--name-only"]),
        "other.txt\n"
    );
}

#[test]
fn a_large_finalize_during_a_merge_fails_and_leaves_the_merge_in_progress() {
    let dir = mission(|_, t| t, None);
    let root = dir.path();
    git(root, &["checkout", "-q", "-b", "side"]);
    std::fs::write(root.join("side.txt"), "side\n").expect("write");
    git(root, &["add", "side.txt"]);
    git(root, &["commit", "-q", "-m", "side"]);
    git(root, &["checkout", "-q", "main"]);
    // A merge in progress that stages nothing: a plain commit would conclude it.
    git(
        root,
        &[
            "merge",
            "-q",
            "--no-commit",
            "--no-ff",
            "-s",
            "ours",
            "side",
        ],
    );
    finalize_fails_and_commits_nothing(root);
    assert!(root.join(".git/MERGE_HEAD").exists());
}

/// Runs git in `dir`, whatever its exit code; whether it succeeded.
fn git_status(dir: &Path, args: &[&str]) -> bool {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir).args(args);
    git_env(&mut cmd);
    cmd.output().expect("git runs").status.success()
}

/// Leaves an (empty) cherry-pick of a commit by someone else in progress in `root`.
fn cherry_pick_in_progress(root: &Path) {
    git(root, &["checkout", "-q", "-b", "other"]);
    std::fs::write(root.join("x.txt"), "x\n").expect("write");
    git(root, &["add", "x.txt"]);
    git(
        root,
        &[
            "commit",
            "-q",
            "-m",
            "other",
            "--author",
            "Other <other@example.com>",
        ],
    );
    git(root, &["checkout", "-q", "main"]);
    std::fs::write(root.join("x.txt"), "x\n").expect("write");
    git(root, &["add", "x.txt"]);
    git(root, &["commit", "-q", "-m", "same change"]);
    // Already applied: the pick is empty and stops, CHERRY_PICK_HEAD set, nothing staged.
    assert!(!git_status(root, &["cherry-pick", "other"]));
    assert!(git_status(
        root,
        &["rev-parse", "-q", "--verify", "CHERRY_PICK_HEAD"]
    ));
}

#[test]
fn a_large_finalize_during_a_cherry_pick_fails_and_leaves_it_in_progress() {
    let dir = mission(|_, t| t, None);
    let mut roots = vec![dir];
    // The same in a repository whose refs are in a reftable (CHERRY_PICK_HEAD is no file there),
    // where this git can convert one.
    let reftable = mission(|_, t| t, None);
    std::fs::remove_dir_all(reftable.path().join(".git")).expect("rm .git");
    if git_status(
        reftable.path(),
        &["init", "-q", "-b", "main", "--ref-format=reftable"],
    ) {
        git(reftable.path(), &["add", "-A"]);
        git(reftable.path(), &["commit", "-q", "-m", "initial"]);
        roots.push(reftable);
    } else {
        eprintln!("this git cannot make a reftable repository: that case is not run");
    }
    for dir in &roots {
        let root = dir.path();
        cherry_pick_in_progress(root);
        finalize_fails_and_commits_nothing(root);
        assert!(git_status(
            root,
            &["rev-parse", "-q", "--verify", "CHERRY_PICK_HEAD"]
        ));
    }
}

#[test]
fn a_large_finalize_commits_a_wp_file_marked_assume_unchanged() {
    let dir = mission(|_, t| t, None);
    let root = dir.path();
    git(
        root,
        &[
            "update-index",
            "--assume-unchanged",
            "kitty-specs/001-m/tasks/WP003-work.md",
        ],
    );
    let (code, stderr) = finalize(root);
    assert_eq!(code, Some(0), "{stderr}");
    let committed_wp003 = git(
        root,
        &["show", "HEAD:kitty-specs/001-m/tasks/WP003-work.md"],
    );
    assert!(committed_wp003.contains("WP002"), "{committed_wp003}");
}

#[test]
fn a_large_finalize_refuses_a_wp_file_outside_the_sparse_checkout_as_git_add_does() {
    let dir = mission(|_, t| t, None);
    let root = dir.path();
    git(
        root,
        &[
            "update-index",
            "--skip-worktree",
            "kitty-specs/001-m/tasks/WP003-work.md",
        ],
    );
    finalize_fails_and_commits_nothing(root);
}

#[test]
fn a_large_finalize_replaces_a_directory_where_it_writes_a_file() {
    let dir = mission(|_, t| t, None);
    let root = dir.path();
    let lanes = root.join("kitty-specs/001-m/lanes.json");
    std::fs::create_dir(&lanes).expect("mkdir");
    std::fs::write(lanes.join("old.txt"), "old\n").expect("write");
    git(root, &["add", "kitty-specs/001-m/lanes.json/old.txt"]);
    git(
        root,
        &["commit", "-q", "-m", "a directory where lanes.json goes"],
    );
    std::fs::remove_dir_all(&lanes).expect("rm");
    let (code, stderr) = finalize(root);
    assert_eq!(code, Some(0), "{stderr}");
    let tree = git(
        root,
        &["ls-tree", "-r", "--name-only", "HEAD", "kitty-specs/001-m/"],
    );
    assert!(
        tree.lines().any(|l| l == "kitty-specs/001-m/lanes.json"),
        "{tree}"
    );
    assert!(!tree.contains("lanes.json/old.txt"), "{tree}");
}

#[test]
fn a_large_finalize_in_a_sparse_checkout_refuses_files_outside_it_as_git_add_does() {
    let dir = mission(|_, t| t, None);
    let root = dir.path();
    // lanes.json and the status files finalize creates lie outside the checkout.
    git(
        root,
        &[
            "sparse-checkout",
            "set",
            "--no-cone",
            "/.kittify/",
            "/kitty-specs/001-m/tasks/",
            "/kitty-specs/001-m/tasks.md",
            "/kitty-specs/001-m/spec.md",
            "/kitty-specs/001-m/meta.json",
        ],
    );
    finalize_fails_and_commits_nothing(root);
}

#[test]
fn a_large_finalize_leaves_a_staged_submodule_update_staged_even_when_diffs_ignore_it() {
    let dir = mission(|_, t| t, None);
    let root = dir.path();
    let lib = tempfile::tempdir().expect("tempdir");
    git_init_commit(lib.path());
    let url = lib.path().to_string_lossy().into_owned();
    git(
        root,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &url,
            "lib",
        ],
    );
    git(root, &["commit", "-q", "-m", "a submodule"]);
    git(
        root.join("lib").as_path(),
        &["commit", "-q", "--allow-empty", "-m", "newer"],
    );
    git(root, &["add", "lib"]);
    // Diffs and status now hide the staged update; the commit must still leave it out.
    git(root, &["config", "submodule.lib.ignore", "all"]);
    let (code, stderr) = finalize(root);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!committed(root, "HEAD").contains(&"lib".to_owned()));
    assert_eq!(
        git(
            root,
            &[
                "diff",
                "--cached",
                "--name-only",
                "--ignore-submodules=none"
            ]
        ),
        "lib\n"
    );
}
