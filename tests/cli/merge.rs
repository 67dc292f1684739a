//! `spec-kitty merge` and `spec-kitty accept` through the real binary, one situation per test: a
//! mission with a planning lane (WP01) and two code lanes (WP02 in lane-a, WP03 in lane-b), each
//! implemented by `impl` in its workspace, reviewed and approved by `rev`, accepted by `lead`.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{git, ok, run, spec_kitty};

pub struct Project {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub slug: String,
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Everything the command printed, with miette's line wrapping undone (words joined by single
/// spaces, the `│` gutter removed).
fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .split_whitespace()
    .filter(|w| *w != "│")
    .collect::<Vec<_>>()
    .join(" ")
}

fn wp(id: &str, title: &str, mode: &str, owned: &str) -> String {
    format!(
        "---\nwork_package_id: {id}\ntitle: {title}\nrequirement_refs: [FR-001]\nexecution_mode: {mode}\nowned_files:\n- {owned}\nauthoritative_surface: {}\n---\n# {id} — {title}\n",
        owned.trim_end_matches("**")
    )
}

impl Project {
    /// A finalized mission whose three WPs are implemented and committed, not yet reviewed.
    pub fn implemented() -> Project {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("proj");
        ok(
            tmp.path(),
            &["init", "proj", "--ai", "codex", "--non-interactive"],
        );
        git(&root, &["init", "-q", "-b", "main"]);
        std::fs::write(
            root.join("README.md"),
            "# proj\n\nintro\n\n## Usage\n\nrun it\n\n## Notes\n\nnone\n",
        )
        .expect("readme");
        git(&root, &["add", "-A"]);
        git(&root, &["commit", "-q", "-m", "init"]);
        let created = json(&ok(
            &root,
            &["agent", "mission", "create", "demo", "--json"],
        ));
        let slug = created["mission_slug"].as_str().expect("slug").to_owned();
        let dir = root.join("kitty-specs").join(&slug);
        std::fs::write(dir.join("spec.md"), "# Spec\n- FR-001 do it\n").expect("spec");
        std::fs::write(dir.join("plan.md"), "# Plan\n").expect("plan");
        std::fs::write(
            dir.join("tasks.md"),
            "# Tasks\n\n## WP01 — Notes\n\n**Dependencies**: none\n\n- [ ] T001 notes\n\n## WP02 — A\n\n**Dependencies**: none\n\n- [ ] T002 a\n\n## WP03 — B\n\n**Dependencies**: none\n\n- [ ] T003 b\n",
        )
        .expect("tasks");
        for (name, text) in [
            (
                "WP01-notes.md",
                wp(
                    "WP01",
                    "Notes",
                    "planning_artifact",
                    &format!("kitty-specs/{slug}/**"),
                ),
            ),
            ("WP02-a.md", wp("WP02", "A", "code_change", "src/a/**")),
            ("WP03-b.md", wp("WP03", "B", "code_change", "src/b/**")),
        ] {
            std::fs::write(dir.join("tasks").join(name), text).expect("wp");
        }
        git(&root, &["add", "-A"]);
        git(&root, &["commit", "-q", "-m", "plan the mission"]);
        ok(
            &root,
            &["agent", "mission", "finalize-tasks", "--mission", &slug],
        );
        let p = Project {
            _tmp: tmp,
            root,
            slug,
        };
        for (wp_id, file) in [
            ("WP01", format!("kitty-specs/{}/research.md", p.slug)),
            ("WP02", "src/a/a.rs".to_owned()),
            ("WP03", "src/b/b.rs".to_owned()),
        ] {
            let imp = json(&p.sk(&[
                "agent",
                "action",
                "implement",
                wp_id,
                "--agent",
                "impl",
                "--json",
            ]));
            let ws = PathBuf::from(imp["workspace_path"].as_str().expect("workspace"));
            let path = ws.join(&file);
            std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
            std::fs::write(&path, format!("{wp_id} work\n")).expect("work");
            git(&ws, &["add", "-A"]);
            git(
                &ws,
                &["commit", "-q", "-m", &format!("feat({wp_id}): work")],
            );
            let task = format!("T00{}", &wp_id[3..]);
            p.sk(&["agent", "tasks", "mark-status", &task, "--status", "done"]);
            p.sk(&[
                "agent",
                "tasks",
                "move-task",
                wp_id,
                "--to",
                "for_review",
                "--agent",
                "impl",
            ]);
        }
        p
    }

    /// Every WP approved by `rev`; the mission accepted by `lead`.
    pub fn accepted() -> Project {
        let p = Project::implemented();
        for wp_id in ["WP01", "WP02", "WP03"] {
            p.approve(wp_id);
        }
        p.sk(&["accept", "--actor", "lead"]);
        p
    }

    pub fn approve(&self, wp_id: &str) {
        self.sk(&[
            "agent",
            "tasks",
            "move-task",
            wp_id,
            "--to",
            "approved",
            "--agent",
            "rev",
        ]);
    }

    /// Runs spec-kitty in the main checkout with `--mission`, asserting success.
    pub fn sk(&self, args: &[&str]) -> Output {
        ok(&self.root, &self.with_mission(args))
    }

    /// Runs spec-kitty in `dir` with `--mission`, whatever the outcome.
    pub fn try_in(&self, dir: &Path, args: &[&str]) -> Output {
        run(dir, &self.with_mission(args))
    }

    fn with_mission(&self, args: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        v.push("--mission".into());
        v.push(self.slug.clone());
        v
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.root, args)
    }

    pub fn tip(&self, branch: &str) -> String {
        self.git(&["rev-parse", branch]).trim().to_owned()
    }

    pub fn lane_branch(&self, lane: &str) -> String {
        format!("kitty/mission-{}-{lane}", self.slug)
    }

    pub fn mission_branch(&self) -> String {
        format!("kitty/mission-{}", self.slug)
    }

    pub fn worktree(&self, lane: &str) -> PathBuf {
        self.root
            .join(".worktrees")
            .join(format!("{}-{lane}", self.slug))
    }

    pub fn branches(&self) -> Vec<String> {
        self.git(&["branch", "--format=%(refname:short)"])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The WP lanes recorded in status.json on `rev`.
    pub fn lanes_on(&self, rev: &str) -> Value {
        let status: Value = serde_json::from_str(&self.git(&[
            "show",
            &format!("{rev}:kitty-specs/{}/status.json", self.slug),
        ]))
        .expect("status.json");
        status["work_packages"].clone()
    }

    pub fn events_on(&self, rev: &str) -> Vec<Value> {
        self.git(&[
            "show",
            &format!("{rev}:kitty-specs/{}/status.events.jsonl", self.slug),
        ])
        .lines()
        .map(|l| serde_json::from_str(l).expect("event"))
        .collect()
    }

    /// Everything a merge must leave unchanged when it refuses.
    pub fn snapshot(&self) -> (String, Vec<String>, Vec<String>) {
        let refs = self
            .git(&["for-each-ref", "--format=%(refname) %(objectname)"])
            .lines()
            .map(str::to_owned)
            .collect();
        let wts = self
            .git(&["worktree", "list", "--porcelain"])
            .lines()
            .map(str::to_owned)
            .collect();
        (self.git(&["status", "--porcelain"]), refs, wts)
    }
}

/// A successful default merge leaves: the work on main, the checkout clean and showing it, every
/// WP done with the reviewer as evidence, worktrees and branches gone.
fn assert_landed(p: &Project, out: &Output) {
    let root = &p.root;
    for f in ["src/a/a.rs", "src/b/b.rs"] {
        assert!(root.join(f).is_file(), "{f} in the main checkout");
        let on_main = p.git(&["show", &format!("main:{f}")]);
        assert!(on_main.contains("work"), "{f} on main");
    }
    assert!(
        root.join(format!("kitty-specs/{}/research.md", p.slug))
            .is_file()
    );
    assert_eq!(
        p.git(&["status", "--porcelain"]),
        "",
        "main checkout clean after the merge: {}",
        text(out)
    );
    let lanes = p.lanes_on("main");
    for wp_id in ["WP01", "WP02", "WP03"] {
        assert_eq!(lanes[wp_id]["lane"], "done", "{wp_id}: {lanes}");
    }
    let done: Vec<Value> = p
        .events_on("main")
        .into_iter()
        .filter(|e| e["to_lane"] == "done")
        .collect();
    assert_eq!(done.len(), 3, "one done event per WP");
    for e in &done {
        assert_eq!(e["actor"], "merge");
        assert_eq!(e["from_lane"], "approved");
        assert_eq!(e["evidence"]["review"]["reviewer"], "rev", "{e}");
    }
    assert!(!p.worktree("lane-a").exists());
    assert!(!p.worktree("lane-b").exists());
    assert_eq!(p.branches(), vec!["main".to_owned()]);
    assert_eq!(p.git(&["branch", "--show-current"]).trim(), "main");
    assert!(
        p.git(&["log", "-1", "--format=%s", "main"])
            .contains("record done transitions"),
        "the done commit is the target's tip"
    );
}

#[test]
fn squash_lands_every_lane_as_one_commit() {
    let p = Project::accepted();
    let before = p.tip("main");
    let out = p.sk(&["merge", "--strategy", "squash"]);
    assert_landed(&p, &out);
    let subjects = p.git(&["log", "--format=%s", &format!("{before}..main")]);
    let subjects: Vec<&str> = subjects.lines().collect();
    assert_eq!(subjects.len(), 2, "squash + done: {subjects:?}");
    assert!(subjects[1].contains("squash merge of mission"));
    let s = text(&out);
    assert!(s.contains("Removed worktree: .worktrees/"), "{s}");
    assert!(
        s.contains("Done: WP01, WP02, WP03 (approved by rev)"),
        "{s}"
    );
}

#[test]
fn merge_strategy_keeps_the_lane_commits() {
    let p = Project::accepted();
    let out = p.sk(&["merge", "--strategy", "merge"]);
    assert_landed(&p, &out);
    let log = p.git(&["log", "--format=%s", "main"]);
    assert!(log.contains("feat(WP02): work") && log.contains("feat(WP03): work"));
    assert!(log.contains(&format!("Merge {} into", p.lane_branch("lane-b"))));
}

#[test]
fn rebase_replays_the_mission_commits_without_merges() {
    let p = Project::accepted();
    let before = p.tip("main");
    let out = p.sk(&["merge", "--strategy", "rebase"]);
    assert_landed(&p, &out);
    let merges = p.git(&["rev-list", "--merges", &format!("{before}..main")]);
    assert_eq!(merges, "", "a linear history");
    let log = p.git(&["log", "--format=%s", &format!("{before}..main")]);
    assert!(log.contains("feat(WP02): work") && log.contains("feat(WP03): work"));
}

#[test]
fn the_configured_strategy_applies_and_a_bad_one_is_an_error() {
    let p = Project::accepted();
    let config = p.root.join(".kittify/config.yaml");
    let old = std::fs::read_to_string(&config).unwrap_or_default();
    std::fs::write(&config, format!("{old}\nmerge:\n  strategy: fast\n")).expect("config");
    p.git(&["commit", "-qam", "config"]);
    let before = p.snapshot();
    let out = p.try_in(&p.root, &["merge"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out);
    assert!(
        s.contains("Invalid merge.strategy 'fast' in .kittify/config.yaml"),
        "{s}"
    );
    assert_eq!(p.snapshot(), before);
    std::fs::write(&config, format!("{old}\nmerge:\n  strategy: rebase\n")).expect("config");
    p.git(&["commit", "-qam", "config"]);
    let dry = json(&p.sk(&["merge", "--dry-run", "--json"]));
    assert_eq!(dry["strategy"], "rebase");
    // The agent variant reads the same configuration.
    let dry = json(&p.sk(&["agent", "mission", "merge", "--dry-run", "--json"]));
    assert_eq!(dry["strategy"], "rebase");
}

#[test]
fn keep_flags_keep_branches_and_worktrees() {
    let p = Project::accepted();
    let out = json(&p.sk(&["merge", "--keep-branch", "--keep-worktree", "--json"]));
    assert_eq!(out["result"], "merged");
    assert!(p.worktree("lane-a").is_dir() && p.worktree("lane-b").is_dir());
    let branches = p.branches();
    for b in [
        p.lane_branch("lane-a"),
        p.lane_branch("lane-b"),
        p.mission_branch(),
    ] {
        assert!(branches.contains(&b), "{b} kept: {branches:?}");
    }
    assert_eq!(out["branches_deleted"], serde_json::json!([]));
    assert_eq!(out["worktrees_removed"], serde_json::json!([]));
    assert_eq!(out["branches_kept"].as_array().map(Vec::len), Some(3));
    assert_eq!(p.lanes_on("main")["WP02"]["lane"], "done");
    assert!(p.root.join("src/a/a.rs").is_file());
}

#[test]
fn an_unapproved_wp_is_refused_and_nothing_moves() {
    let p = Project::implemented();
    p.approve("WP01");
    p.approve("WP02");
    let before = p.snapshot();
    let out = p.try_in(&p.root, &["merge"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out);
    assert!(
        s.contains("merge::not-approved") && s.contains("WP03 (for_review)"),
        "{s}"
    );
    assert_eq!(p.snapshot(), before, "nothing moved");
    let out = p.try_in(&p.root, &["merge", "--json"]);
    let j = json(&out);
    assert!(j["error"].as_str().unwrap_or("").contains("WP03"), "{j}");
}

#[test]
fn a_mission_must_be_accepted_first() {
    let p = Project::implemented();
    for wp_id in ["WP01", "WP02", "WP03"] {
        p.approve(wp_id);
    }
    let out = p.try_in(&p.root, &["merge"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out);
    assert!(s.contains("merge::not-accepted"), "{s}");
    assert!(s.contains("spec-kitty accept --mission"), "{s}");
}

#[test]
fn uncommitted_work_in_a_lane_worktree_is_refused_and_kept() {
    let p = Project::accepted();
    let wip = p.worktree("lane-a").join("src/a/wip.rs");
    std::fs::write(&wip, "unfinished\n").expect("wip");
    let before = p.snapshot();
    let out = p.try_in(&p.root, &["merge"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out);
    assert!(s.contains("merge::worktree-dirty"), "{s}");
    let j = json(&p.try_in(&p.root, &["merge", "--json"]));
    assert!(
        j["error"].as_str().unwrap_or("").contains("src/a/wip.rs"),
        "{j}"
    );
    assert_eq!(p.snapshot(), before);
    assert_eq!(std::fs::read_to_string(&wip).expect("kept"), "unfinished\n");
}

/// main changes the file lane-a works on, after the lanes branched off.
fn conflicting_target(p: &Project) {
    let f = p.root.join("src/a/a.rs");
    std::fs::create_dir_all(f.parent().expect("dir")).expect("mkdir");
    std::fs::write(&f, "main's version\n").expect("write");
    p.git(&["add", "-A"]);
    p.git(&["commit", "-q", "-m", "main edits src/a/a.rs"]);
}

#[test]
fn a_conflict_stops_with_the_fix_and_resume_completes_it() {
    let p = Project::accepted();
    conflicting_target(&p);
    let before = p.snapshot();
    let out = p.try_in(&p.root, &["merge"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out);
    assert!(s.contains("merge::conflict"), "{s}");
    assert!(s.contains("src/a/a.rs"), "names the file: {s}");
    assert!(
        s.contains(&format!("cd .worktrees/{}-lane-a", p.slug)) && s.contains("git merge main"),
        "names the commands: {s}"
    );
    assert!(s.contains("--resume"), "{s}");
    assert_eq!(p.snapshot().1, before.1, "no ref moved");
    assert_eq!(p.snapshot().2, before.2, "no worktree added or removed");
    let state = p
        .root
        .join(format!(".kittify/runtime/merge/{}/state.json", p.slug));
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("state kept")).expect("json");
    assert_eq!(record["has_pending_conflicts"], true);
    assert_eq!(
        record["conflicting_files"],
        serde_json::json!(["src/a/a.rs"])
    );

    // Resolve as told, in the lane's worktree, then resume.
    let wt = p.worktree("lane-a");
    let status = git_in(&wt, &["merge", "-q", "main"]);
    assert!(!status.status.success(), "the conflict is real");
    std::fs::write(wt.join("src/a/a.rs"), "resolved\n").expect("resolve");
    git(&wt, &["add", "-A"]);
    git(&wt, &["commit", "-q", "--no-edit"]);
    let out = p.sk(&["merge", "--resume"]);
    assert!(text(&out).contains("Resuming"), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(p.root.join("src/a/a.rs")).expect("file"),
        "resolved\n"
    );
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    assert!(!state.exists(), "the record is gone after success");
    assert_eq!(p.lanes_on("main")["WP02"]["lane"], "done");
}

#[test]
fn abort_after_a_conflict_restores_everything() {
    let p = Project::accepted();
    conflicting_target(&p);
    let before = p.snapshot();
    assert_eq!(p.try_in(&p.root, &["merge"]).status.code(), Some(1));
    let out = p.sk(&["merge", "--abort"]);
    assert!(text(&out).contains("Aborted merge"), "{}", text(&out));
    assert_eq!(p.snapshot(), before);
    assert!(!p.root.join(".kittify/runtime/merge").exists());
    // Nothing left to resume or abort.
    let out = p.try_in(&p.root, &["merge", "--resume"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("No interrupted merge to resume"));
    assert!(text(&p.sk(&["merge", "--abort"])).contains("nothing to abort"));
}

#[test]
fn a_second_merge_is_a_no_op() {
    let p = Project::accepted();
    p.sk(&["merge"]);
    let before = p.snapshot();
    let out = p.sk(&["merge"]);
    assert!(text(&out).contains("already merged"), "{}", text(&out));
    assert_eq!(p.snapshot(), before);
    let j = json(&p.sk(&["merge", "--json"]));
    assert_eq!(j["result"], "already_merged");
}

#[test]
fn dry_run_json_has_the_plan_and_changes_nothing() {
    let p = Project::accepted();
    let before = p.snapshot();
    let j = json(&p.sk(&["merge", "--dry-run", "--json"]));
    assert_eq!(p.snapshot(), before);
    let keys: Vec<&str> = j
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "mission_slug",
            "target_branch",
            "strategy",
            "delete_branch",
            "remove_worktree",
            "push",
            "mission_branch",
            "lanes",
            "spec_kitty_version"
        ]
    );
    assert_eq!(j["strategy"], "squash");
    assert_eq!(j["target_branch"], "main");
    let lanes = j["lanes"].as_array().expect("lanes");
    let ids: Vec<&str> = lanes.iter().filter_map(|l| l["lane_id"].as_str()).collect();
    assert_eq!(ids, ["lane-a", "lane-b", "lane-planning"]);
    let lane_keys: Vec<&str> = lanes[0]
        .as_object()
        .expect("lane")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        lane_keys,
        [
            "lane_id",
            "wp_ids",
            "write_scope",
            "predicted_surfaces",
            "depends_on_lanes",
            "parallel_group"
        ]
    );
}

#[test]
fn merge_refuses_to_run_inside_a_worktree() {
    let p = Project::accepted();
    let wt = p.worktree("lane-a");
    let out = p.try_in(&wt, &["merge"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out);
    assert!(s.contains("must run from the main checkout"), "{s}");
    let j = json(&p.try_in(&wt, &["merge", "--json"]));
    assert!(
        j["error"]
            .as_str()
            .unwrap_or("")
            .contains("must run from the main checkout"),
        "{j}"
    );
    // Without --mission, from the lane's branch, the mission is found (and still refused there).
    let out = run(&wt, &["merge"]);
    assert!(text(&out).contains("must run from the main checkout"));
}

#[test]
fn with_the_checkout_on_another_branch_the_target_still_gets_everything() {
    let p = Project::accepted();
    p.git(&["switch", "-q", "-c", "dev"]);
    let dev = p.tip("dev");
    p.sk(&["merge"]);
    assert_eq!(p.git(&["branch", "--show-current"]).trim(), "dev");
    assert_eq!(p.tip("dev"), dev, "the checked-out branch is not touched");
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    assert_eq!(p.lanes_on("main")["WP03"]["lane"], "done");
    assert!(p.git(&["show", "main:src/b/b.rs"]).contains("WP03 work"));
}

#[test]
fn a_dirty_checkout_in_the_merged_paths_is_refused_before_anything_moves() {
    let p = Project::accepted();
    std::fs::create_dir_all(p.root.join("src/a")).expect("mkdir");
    std::fs::write(p.root.join("src/a/a.rs"), "local edit\n").expect("edit");
    let before_main = p.tip("main");
    let out = p.try_in(&p.root, &["merge"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out);
    assert!(
        s.contains("merge::checkout-dirty") && s.contains("src/a/a.rs"),
        "{s}"
    );
    assert_eq!(p.tip("main"), before_main);
    assert_eq!(
        std::fs::read_to_string(p.root.join("src/a/a.rs")).expect("kept"),
        "local edit\n"
    );
}

#[test]
fn accept_checks_records_once_and_moves_no_wp() {
    let p = Project::implemented();
    // Not ready: WPs in review.
    let out = p.try_in(&p.root, &["accept"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("Not approved: WP01 (for_review)"),
        "{}",
        text(&out)
    );
    for wp_id in ["WP01", "WP02", "WP03"] {
        p.approve(wp_id);
    }
    // A clarification marker blocks it.
    let spec = p.root.join(format!("kitty-specs/{}/spec.md", p.slug));
    std::fs::write(&spec, "# Spec\n[NEEDS CLARIFICATION: scope]\n").expect("spec");
    p.git(&["commit", "-qam", "question"]);
    let out = p.try_in(&p.root, &["accept", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let j = json(&out);
    assert_eq!(j["needs_clarification"], serde_json::json!(["spec.md:2"]));
    assert_eq!(j["ok"], false);
    std::fs::write(&spec, "# Spec\n- FR-001 do it\n").expect("spec");
    p.git(&["commit", "-qam", "answer"]);
    // Checklist mode writes nothing.
    let head = p.tip("HEAD");
    let j = json(&p.sk(&["accept", "--mode", "checklist", "--json"]));
    assert_eq!(j["ok"], true);
    assert_eq!(p.tip("HEAD"), head);
    // A real acceptance: committed, tree clean, WPs still approved (merge moves them).
    let j = json(&p.sk(&["accept", "--actor", "lead", "--json"]));
    assert_eq!(j["result"], "accepted");
    assert_eq!(j["accepted_by"], "lead");
    assert_eq!(j["accept_commit"].as_str(), Some(p.tip("HEAD").as_str()));
    assert_eq!(
        p.git(&["status", "--porcelain"]),
        "",
        "everything committed"
    );
    assert_eq!(p.lanes_on("HEAD")["WP02"]["lane"], "approved");
    // Twice: no commit, no history entry.
    let head = p.tip("HEAD");
    let j = json(&p.sk(&["accept", "--json"]));
    assert_eq!(j["result"], "already_accepted");
    assert_eq!(p.tip("HEAD"), head);
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(p.root.join(format!("kitty-specs/{}/meta.json", p.slug)))
            .expect("meta"),
    )
    .expect("json");
    assert_eq!(meta["acceptance_history"].as_array().map(Vec::len), Some(1));
    // An unknown mode is an error.
    let out = p.try_in(&p.root, &["accept", "--mode", "fast"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("unknown --mode `fast`"));
}

#[test]
fn done_by_hand_needs_the_lane_merged() {
    let p = Project::implemented();
    p.approve("WP02");
    let out = p.try_in(
        &p.root,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP02",
            "--to",
            "done",
            "--agent",
            "rev",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out);
    assert!(
        s.contains(&format!(
            "Merge ancestry check failed: {} is not merged into main",
            p.lane_branch("lane-a")
        )),
        "{s}"
    );
    p.sk(&[
        "agent",
        "tasks",
        "move-task",
        "WP02",
        "--to",
        "done",
        "--agent",
        "rev",
        "--done-override-reason",
        "shipped by hand",
    ]);
    assert_eq!(p.lanes_on("HEAD")["WP02"]["lane"], "done");
}

/// Runs git in `dir` (with `GIT_EDITOR=true`), whatever the outcome: for steps that are meant to
/// stop on a conflict.
fn git_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new("git");
    crate::support::git_env(&mut cmd);
    cmd.current_dir(dir)
        .env("GIT_EDITOR", "true")
        .args(args)
        .output()
        .expect("git runs")
}

/// A bare `origin` for the project, holding its current `main`.
fn with_origin(p: &Project) -> PathBuf {
    let remote = p.root.parent().expect("tmp").join("origin.git");
    git(
        p.root.parent().expect("tmp"),
        &["init", "-q", "--bare", "-b", "main", "origin.git"],
    );
    p.git(&["remote", "add", "origin", &remote.display().to_string()]);
    p.git(&["push", "-q", "origin", "main"]);
    remote
}

#[test]
fn push_sends_the_target_to_origin() {
    let p = Project::accepted();
    let remote = with_origin(&p);
    let out = p.sk(&["merge", "--push"]);
    assert!(
        text(&out).contains("Pushed main to origin"),
        "{}",
        text(&out)
    );
    assert_eq!(git(&remote, &["rev-parse", "main"]).trim(), p.tip("main"));
}

#[test]
fn a_rejected_push_leaves_a_complete_local_merge() {
    let p = Project::accepted();
    let remote = with_origin(&p);
    let hook = remote.join("hooks").join("pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'protected branch' >&2\nexit 1\n").expect("hook");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let remote_before = git(&remote, &["rev-parse", "main"]);
    let out = p.try_in(&p.root, &["merge", "--push"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out);
    assert!(
        s.contains("Push failed") && s.contains("git push origin main"),
        "{s}"
    );
    assert_eq!(git(&remote, &["rev-parse", "main"]), remote_before);
    // Locally the merge is complete, and a second run says so.
    assert_eq!(p.lanes_on("main")["WP02"]["lane"], "done");
    assert!(!p.root.join(".kittify/runtime/merge").exists());
    let before = p.snapshot();
    assert_eq!(p.try_in(&p.root, &["merge"]).status.code(), Some(0));
    assert_eq!(p.snapshot(), before, "a second run changes nothing");
    // The printed remedy works once the remote accepts: merge --push again pushes.
    std::fs::remove_file(&hook).expect("unhook");
    let s = text(&p.sk(&["merge", "--push"]));
    assert!(
        s.contains("already merged") && s.contains("Pushed main to origin"),
        "{s}"
    );
    assert_eq!(git(&remote, &["rev-parse", "main"]).trim(), p.tip("main"));
}

/// Commits a change to README.md in a lane's worktree, replacing `from` by `to`.
fn edit_readme(p: &Project, lane: &str, from: &str, to: &str) {
    let wt = p.worktree(lane);
    let path = wt.join("README.md");
    let text = std::fs::read_to_string(&path).expect("readme");
    std::fs::write(&path, text.replace(from, to)).expect("write");
    git(
        &wt,
        &["commit", "-qam", &format!("docs: {lane} edits the README")],
    );
}

#[test]
fn lanes_editing_one_file_apart_merge_cleanly() {
    // 3.1.1's stale check refused this (M8); git merges it.
    let p = Project::accepted();
    edit_readme(&p, "lane-a", "intro", "intro, by lane a");
    edit_readme(&p, "lane-b", "none", "none, by lane b");
    p.sk(&["merge", "--strategy", "merge"]);
    let readme = p.git(&["show", "main:README.md"]);
    assert!(
        readme.contains("intro, by lane a") && readme.contains("none, by lane b"),
        "{readme}"
    );
}

#[test]
fn lanes_that_conflict_are_resolved_in_the_later_lane() {
    let p = Project::accepted();
    edit_readme(&p, "lane-a", "run it", "run it with a");
    edit_readme(&p, "lane-b", "run it", "run it with b");
    let before = p.snapshot();
    let out = p.try_in(&p.root, &["merge"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out);
    assert!(s.contains("lane-b") && s.contains("README.md"), "{s}");
    let j = json(&p.try_in(&p.root, &["merge", "--json"]));
    assert_eq!(j["step"], "lane-b", "{j}");
    assert_eq!(
        j["resolve"][0],
        format!("cd .worktrees/{}-lane-b", p.slug),
        "{j}"
    );
    assert_eq!(
        j["resolve"][1],
        format!("git merge {}", p.lane_branch("lane-a"))
    );
    assert_eq!(p.snapshot(), before, "nothing moved");
    // Resolve as told.
    let wt = p.worktree("lane-b");
    let status = git_in(&wt, &["merge", "-q", &p.lane_branch("lane-a")]);
    assert!(!status.status.success(), "the conflict is real");
    let path = wt.join("README.md");
    let text = std::fs::read_to_string(&path).expect("readme");
    let resolved: String = text
        .lines()
        .filter(|l| {
            !l.starts_with("<<<<<<<")
                && !l.starts_with("=======")
                && !l.starts_with(">>>>>>>")
                && *l != "run it with a"
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        &path,
        resolved.replace("run it with b", "run it with a and b"),
    )
    .expect("resolve");
    git(&wt, &["commit", "-qam", "merge lane-a"]);
    p.sk(&["merge", "--resume"]);
    assert!(
        p.git(&["show", "main:README.md"])
            .contains("run it with a and b")
    );
    assert_eq!(p.git(&["status", "--porcelain"]), "");
}

#[test]
fn allow_unapproved_lands_and_says_so() {
    let p = Project::implemented();
    let out = p.sk(&["merge", "--allow-unapproved", "--json"]);
    let j = json(&out);
    assert_eq!(j["result"], "merged");
    let done: Vec<Value> = p
        .events_on("main")
        .into_iter()
        .filter(|e| e["to_lane"] == "done")
        .collect();
    assert_eq!(done.len(), 3);
    for e in &done {
        assert_eq!(e["force"], true, "{e}");
        assert_eq!(e["from_lane"], "for_review");
        assert!(
            e["reason"]
                .as_str()
                .unwrap_or("")
                .contains("--allow-unapproved"),
            "{e}"
        );
    }
}

#[test]
fn a_rebase_conflict_is_resolved_by_rebasing_the_lane_then_resumed() {
    let p = Project::accepted();
    conflicting_target(&p);
    let out = p.try_in(&p.root, &["merge", "--strategy", "rebase", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let j = json(&out);
    assert_eq!(j["error_code"], "MERGE_CONFLICT", "{j}");
    assert_eq!(j["resolve"][1], "git rebase main", "{j}");
    let wt = p.worktree("lane-a");
    let status = git_in(&wt, &["rebase", "-q", "main"]);
    assert!(!status.status.success(), "the conflict is real");
    std::fs::write(wt.join("src/a/a.rs"), "rebased\n").expect("resolve");
    git(&wt, &["add", "-A"]);
    let status = git_in(&wt, &["rebase", "--continue"]);
    assert!(status.status.success(), "{status:?}");
    let before = p.tip("main");
    p.sk(&["merge", "--strategy", "rebase", "--resume"]);
    assert_eq!(p.git(&["show", "main:src/a/a.rs"]), "rebased\n");
    assert_eq!(
        p.git(&["rev-list", "--merges", &format!("{before}..main")]),
        "",
        "still linear"
    );
    assert_eq!(p.lanes_on("main")["WP02"]["lane"], "done");
    assert_eq!(p.git(&["status", "--porcelain"]), "");
}

#[test]
fn two_merges_at_once_land_the_mission_once() {
    let p = Project::accepted();
    let before = p.tip("main");
    let spawn = || {
        spec_kitty(&p.root)
            .args(["merge", "--mission", &p.slug, "--json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    let outs = [
        a.wait_with_output().expect("wait"),
        b.wait_with_output().expect("wait"),
    ];
    let mut results: Vec<String> = outs
        .iter()
        .map(|o| {
            assert!(o.status.success(), "{}", text(o));
            json(o)["result"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    results.sort();
    assert_eq!(results, ["already_merged", "merged"]);
    let subjects = p.git(&["log", "--format=%s", &format!("{before}..main")]);
    assert_eq!(
        subjects.lines().count(),
        2,
        "one squash, one done commit: {subjects}"
    );
    let done = p
        .events_on("main")
        .into_iter()
        .filter(|e| e["to_lane"] == "done")
        .count();
    assert_eq!(done, 3);
    assert_eq!(p.git(&["status", "--porcelain"]), "");
}

/// `--dry-run` prints the plan and exits 0 even when the merge would refuse (3.1.1), but says
/// what would stop it: here WP03 is not approved. Once everything is ready it says nothing more.
#[test]
fn dry_run_says_what_would_stop_the_merge() {
    let p = Project::implemented();
    p.approve("WP01");
    p.approve("WP02");
    let out = p.sk(&["merge", "--dry-run"]);
    let (stdout, stderr) = (
        text(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(stdout.contains("Merge plan for"), "{stdout}");
    assert!(
        stdout.contains("the merge would stop: merge::not-approved"),
        "{stdout}"
    );
    assert!(
        stderr.contains("merge::not-approved")
            && stderr.contains("not approved on main: WP03")
            && stderr.contains("⚠"),
        "{stderr}"
    );
    let j = json(&p.sk(&["merge", "--dry-run", "--json"]));
    assert_eq!(j["mission_slug"], p.slug.as_str());

    p.approve("WP03");
    p.sk(&["accept", "--actor", "lead"]);
    let out = p.sk(&["merge", "--dry-run"]);
    assert!(!text(&out).contains("would stop"), "{}", text(&out));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
