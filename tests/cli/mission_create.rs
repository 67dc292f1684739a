//! `spec-kitty agent mission create` through the real binary: identity, files, commits, bad slugs,
//! and concurrent creates in two clones.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{git, git_init_commit, spec_kitty};

/// 3.1.1's JSON keys, in order.
const JSON_KEYS: &[&str] = &[
    "result",
    "mission_slug",
    "mission_number",
    "mission_id",
    "mission_type",
    "slug",
    "friendly_name",
    "feature_dir",
    "spec_file",
    "meta_file",
    "created_at",
    "created_files",
    "write_mode",
    "next_step",
    "current_branch",
    "CURRENT_BRANCH",
    "target_branch",
    "base_branch",
    "TARGET_BRANCH",
    "BASE_BRANCH",
    "planning_base_branch",
    "PLANNING_BASE_BRANCH",
    "merge_target_branch",
    "MERGE_TARGET_BRANCH",
    "EXPECTED_TARGET_BRANCH",
    "EXPECTED_BASE_BRANCH",
    "branch_matches_target",
    "BRANCH_MATCHES_TARGET",
    "branch_strategy_summary",
    "runtime_vars",
    "NOW_UTC_ISO",
    "branch_context",
    "spec_kitty_version",
];

/// A spec-kitty project in a git repository with one commit, and a private HOME.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let repo = Repo::bare();
        git_init_commit(&repo.root());
        repo
    }

    /// The project files without git.
    fn bare() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        let root = dir.path().join("p");
        std::fs::create_dir_all(root.join(".kittify")).expect("mkdir");
        std::fs::write(root.join(".kittify/config.yaml"), "vcs:\n  type: git\n").expect("write");
        std::fs::write(root.join("README.md"), "# p\n").expect("write");
        Repo { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("p")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn create_in(&self, cwd: &Path, args: &[&str]) -> Output {
        spec_kitty(cwd)
            .env("HOME", self.home())
            .args(["agent", "mission", "create"])
            .args(args)
            .output()
            .expect("binary runs")
    }

    fn create(&self, args: &[&str]) -> Output {
        self.create_in(&self.root(), args)
    }

    fn create_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.create(&all);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("one JSON document ({e}): {stdout}"))
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn is_ulid(s: &str) -> bool {
    s.len() == 26
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !b"ILOU".contains(&b)))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("valid JSON")
}

#[test]
fn creates_files_identity_and_commits() {
    let repo = Repo::new();
    let head_before = git(&repo.root(), &["rev-parse", "HEAD"]);
    let json = repo.create_json(&["user-auth"]);
    let keys: Vec<&str> = json
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, JSON_KEYS, "3.1.1's keys in 3.1.1's order");
    assert_eq!(json["result"], "success");
    assert_eq!(json["mission_slug"], "001-user-auth");
    assert_eq!(json["mission_number"], "001");
    assert_eq!(json["slug"], "001-user-auth");
    assert_eq!(json["friendly_name"], "user auth");
    assert_eq!(json["mission_type"], "software-dev");
    assert_eq!(json["target_branch"], "main");
    assert_eq!(json["current_branch"], "main");
    assert_eq!(json["branch_matches_target"], true);
    assert_eq!(json["spec_kitty_version"], env!("CARGO_PKG_VERSION"));
    let id = json["mission_id"].as_str().expect("mission_id");
    assert!(is_ulid(id), "{id}");

    let dir = repo.root().join("kitty-specs/001-user-auth");
    assert_eq!(json["feature_dir"], dir.to_string_lossy().as_ref());
    for f in [
        "spec.md",
        "meta.json",
        "tasks/README.md",
        "tasks/.gitkeep",
        "status.events.jsonl",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    assert!(dir.join("checklists").is_dir() && dir.join("research").is_dir());

    let meta_text = std::fs::read_to_string(dir.join("meta.json")).expect("meta");
    let meta: Value = serde_json::from_str(&meta_text).expect("meta.json is JSON");
    let meta_keys: Vec<&str> = meta
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        meta_keys,
        [
            "created_at",
            "friendly_name",
            "mission_id",
            "mission_number",
            "mission_slug",
            "mission_type",
            "slug",
            "target_branch"
        ]
    );
    assert_eq!(meta["mission_id"], id);
    assert_eq!(meta["created_at"], json["created_at"]);
    assert!(meta_text.starts_with("{\n  \"created_at\": \""));
    assert!(meta_text.ends_with("\"\n}\n"));

    // Three commits on the current branch; the tree is clean (tasks/ and the log are committed).
    let log = git(
        &repo.root(),
        &[
            "log",
            "--format=%s",
            &format!("{}..HEAD", head_before.trim()),
        ],
    );
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "Add tasks scaffold for feature 001-user-auth",
            "Add meta for feature 001-user-auth",
            "Add spec for feature 001-user-auth"
        ]
    );
    let files = |rev: &str| git(&repo.root(), &["show", "--format=", "--name-only", rev]);
    assert_eq!(files("HEAD~2").trim(), "kitty-specs/001-user-auth/spec.md");
    assert_eq!(
        files("HEAD~1").trim(),
        "kitty-specs/001-user-auth/meta.json"
    );
    assert_eq!(
        files("HEAD").lines().collect::<Vec<_>>(),
        [
            "kitty-specs/001-user-auth/status.events.jsonl",
            "kitty-specs/001-user-auth/tasks/.gitkeep",
            "kitty-specs/001-user-auth/tasks/README.md"
        ]
    );
    assert_eq!(git(&repo.root(), &["status", "--porcelain"]), "");

    // The next create takes the next display number and a different id.
    let second = repo.create_json(&["user-auth"]);
    assert_eq!(second["mission_slug"], "002-user-auth");
    assert_ne!(second["mission_id"], json["mission_id"]);
}

#[test]
fn human_output_and_options() {
    let repo = Repo::new();
    let out = repo.create(&[
        "reporting",
        "--target-branch",
        "release",
        "--mission-type",
        "documentation",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(
            "Branch: release (target for this mission)\n✓ Mission created: 001-reporting\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Mission ID: "));
    assert!(stdout.contains("Spec committed to main"));
    let meta = read_json(&repo.root().join("kitty-specs/001-reporting/meta.json"));
    assert_eq!(meta["target_branch"], "release");
    assert_eq!(meta["mission_type"], "documentation");
    assert_eq!(meta["documentation_state"]["iteration_mode"], "initial");
    let readme = std::fs::read_to_string(
        repo.root()
            .join("kitty-specs/001-reporting/tasks/README.md"),
    )
    .expect("readme");
    assert!(readme.contains("planning_base_branch: \"release\""));
}

#[test]
fn numbering_skips_existing_prefixes_in_specs_and_worktrees() {
    let repo = Repo::new();
    std::fs::create_dir_all(repo.root().join("kitty-specs/004-old")).expect("mkdir");
    std::fs::create_dir_all(repo.root().join(".worktrees/007-lane")).expect("mkdir");
    let json = repo.create_json(&["next-one"]);
    assert_eq!(json["mission_slug"], "008-next-one");
}

#[test]
fn other_staged_changes_stay_staged_and_out_of_the_commits() {
    let repo = Repo::new();
    std::fs::write(repo.root().join("wip.txt"), "work in progress\n").expect("write");
    git(&repo.root(), &["add", "wip.txt"]);
    repo.create_json(&["feature"]);
    assert_eq!(
        git(&repo.root(), &["diff", "--cached", "--name-only"]).trim(),
        "wip.txt"
    );
    assert!(!git(&repo.root(), &["log", "--name-only", "--format="]).contains("wip.txt"));
}

#[test]
fn the_mission_id_finds_the_mission() {
    let repo = Repo::new();
    let json = repo.create_json(&["lookup"]);
    repo.create_json(&["other"]);
    let id = json["mission_id"].as_str().expect("id");
    let out = spec_kitty(&repo.root())
        .env("HOME", repo.home())
        .args([
            "agent",
            "mission",
            "finalize-tasks",
            "--validate-only",
            "--mission",
            id,
        ])
        .output()
        .expect("runs");
    // Two missions, so only the id can have chosen this one.
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("mission-unresolved"), "{all}");
    assert!(all.contains("Mission: 001-lookup"), "{all}");
}

#[test]
fn bad_slugs_are_rejected_and_nothing_is_created() {
    let repo = Repo::new();
    let head = git(&repo.root(), &["rev-parse", "HEAD"]);
    for slug in [
        "",
        "User-Auth",
        "user_auth",
        "a/b",
        "..",
        "../escape",
        "a--b",
        "-x",
        "x-",
        "a b",
        "naïve",
    ] {
        let out = repo.create(&["--json", "--", slug]);
        assert_eq!(out.status.code(), Some(1), "{slug:?}");
        let json: Value = serde_json::from_str(&text(&out.stdout)).expect("JSON error");
        let error = json["error"].as_str().expect("error text");
        assert!(
            error.starts_with(&format!(
                "Invalid feature slug '{slug}'. Must be kebab-case"
            )),
            "{error}"
        );
        let out = repo.create(&["--", slug]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("mission::invalid-slug"),
            "{slug:?}"
        );
    }
    assert!(!repo.root().join("kitty-specs").exists());
    assert!(!repo.dir.path().join("escape").exists());
    assert_eq!(git(&repo.root(), &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&repo.root(), &["status", "--porcelain"]), "");
}

#[test]
fn needs_a_git_repository_on_a_branch() {
    let repo = Repo::bare();
    let out = repo.create(&["x", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_str(&text(&out.stdout)).expect("JSON");
    assert_eq!(
        json["error"],
        "Not in a git repository. Mission creation requires git."
    );
    assert!(!repo.root().join("kitty-specs").exists());

    let repo = Repo::new();
    git(&repo.root(), &["checkout", "-q", "--detach"]);
    let out = repo.create(&["x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("mission::detached-head"));
    assert!(!repo.root().join("kitty-specs").exists());

    let dir = tempfile::tempdir().expect("tempdir");
    let out = spec_kitty(dir.path())
        .env("HOME", dir.path())
        .args(["agent", "mission", "create", "x"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("project::root-not-found"));
}

#[test]
fn refuses_to_run_inside_a_worktree() {
    let repo = Repo::new();
    let wt = repo.root().join(".worktrees/001-x-lane-a");
    git(
        &repo.root(),
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "lane",
            wt.to_str().expect("utf-8 path"),
        ],
    );
    let out = repo.create_in(&wt, &["x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("mission::in-worktree"));
}

/// Waits for every child, failing the test (and killing the rest) if they are not all done within
/// a generous bound, so a deadlock shows up as a failure rather than a hung test run.
fn wait_all(children: Vec<(usize, Child)>) -> Vec<(usize, Output)> {
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut pending = children;
    let mut done = Vec::new();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (i, mut child) in pending {
            match child.try_wait().expect("try_wait") {
                Some(_) => done.push((i, child.wait_with_output().expect("output"))),
                None => still.push((i, child)),
            }
        }
        pending = still;
        if !pending.is_empty() {
            if Instant::now() > deadline {
                for (_, c) in &mut pending {
                    let _ = c.kill();
                }
                panic!("{} mission create processes did not finish", pending.len());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    done
}

#[test]
fn concurrent_creates_in_two_clones_never_collide() {
    const PER_CLONE: usize = 20;
    let repo = Repo::new();
    let clones: Vec<PathBuf> = ["c1", "c2"]
        .iter()
        .map(|name| {
            let path = repo.dir.path().join(name);
            git(
                repo.dir.path(),
                &["clone", "-q", repo.root().to_str().expect("utf-8"), name],
            );
            path
        })
        .collect();

    let mut children = Vec::new();
    for (c, clone) in clones.iter().enumerate() {
        for i in 0..PER_CLONE {
            let child = spec_kitty(clone)
                .env("HOME", repo.home())
                .args(["agent", "mission", "create", "same-feature", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn");
            children.push((c * PER_CLONE + i, child));
        }
    }
    let outputs = wait_all(children);

    let mut ids = HashSet::new();
    let mut dirs_per_clone = [BTreeSet::new(), BTreeSet::new()];
    for (i, out) in &outputs {
        assert_eq!(
            out.status.code(),
            Some(0),
            "process {i}: {}",
            text(&out.stderr)
        );
        let json: Value = serde_json::from_str(&text(&out.stdout)).expect("JSON");
        let id = json["mission_id"].as_str().expect("id").to_owned();
        assert!(is_ulid(&id));
        ids.insert(id.clone());
        let dir = PathBuf::from(json["feature_dir"].as_str().expect("dir"));
        assert_eq!(
            read_json(&dir.join("meta.json"))["mission_id"],
            id.as_str(),
            "meta.json of {i}"
        );
        dirs_per_clone[i / PER_CLONE].insert(dir);
    }
    assert_eq!(ids.len(), 2 * PER_CLONE, "distinct mission_ids");
    for (c, clone) in clones.iter().enumerate() {
        assert_eq!(
            dirs_per_clone[c].len(),
            PER_CLONE,
            "distinct directories in clone {c}"
        );
        let on_disk: Vec<PathBuf> = std::fs::read_dir(clone.join("kitty-specs"))
            .expect("kitty-specs")
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(on_disk.len(), PER_CLONE);
        let numbers: BTreeSet<String> = on_disk
            .iter()
            .map(|p| p.file_name().expect("name").to_string_lossy()[..3].to_owned())
            .collect();
        assert_eq!(numbers.len(), PER_CLONE, "distinct display numbers");
        for dir in &on_disk {
            let meta = read_json(&dir.join("meta.json"));
            assert!(is_ulid(meta["mission_id"].as_str().expect("id")));
            assert_eq!(
                meta["mission_slug"].as_str(),
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .as_deref()
            );
        }
        assert_eq!(
            git(clone, &["status", "--porcelain"]),
            "",
            "clone {c} is clean"
        );
        let commits = git(clone, &["rev-list", "--count", "HEAD"]);
        assert_eq!(commits.trim(), (1 + 3 * PER_CLONE).to_string());
    }
}
