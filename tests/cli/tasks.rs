//! `agent tasks status|move-task|mark-status` through the real binary on a finalized example
//! project in a git repository.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{copy_tree, git, git_init_commit, ok, run, spec_kitty};

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-project"),
        dir.path(),
    );
    git_init_commit(dir.path());
    let out = spec_kitty(dir.path())
        .args(["agent", "mission", "finalize-tasks"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn lanes(dir: &Path) -> Value {
    let out = run(dir, &["agent", "tasks", "status", "--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v
}

fn lane_of(status: &Value, wp: &str) -> String {
    status["work_packages"]
        .as_array()
        .and_then(|a| a.iter().find(|w| w["id"] == wp))
        .and_then(|w| w["lane"].as_str())
        .unwrap_or("")
        .to_owned()
}

#[test]
fn status_reports_lanes_and_workspace_kinds() {
    let dir = project();
    let s = lanes(dir.path());
    assert_eq!(s["total_wps"], 6);
    assert_eq!(s["by_lane"]["planned"], 6);
    let keys: Vec<&str> = s["by_lane"]
        .as_object()
        .expect("map")
        .keys()
        .map(String::as_str)
        .collect();
    // As 3.1.1: only the lanes that hold WPs.
    assert_eq!(keys, ["planned"]);
    let wp = |id: &str| {
        s["work_packages"]
            .as_array()
            .and_then(|a| a.iter().find(|w| w["id"] == id))
            .cloned()
            .expect("wp")
    };
    assert_eq!(wp("WP01")["workspace_kind"], "repo_root");
    assert_eq!(wp("WP02")["workspace_kind"], "lane_workspace");
    // 3.1.1's value shapes: the file name, "" for unset text fields, a stale count.
    assert!(
        wp("WP02")["file"]
            .as_str()
            .is_some_and(|f| f.starts_with("WP02") && !f.contains('/'))
    );
    assert_eq!(wp("WP02")["agent"], "");
    assert_eq!(s["stale_wps"], 0);
    // One more move: the lane it went to is counted after planned.
    let out = run(
        dir.path(),
        &[
            "agent",
            "tasks",
            "move-task",
            "WP01",
            "--to",
            "claimed",
            "--agent",
            "a",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = lanes(dir.path());
    assert_eq!(
        s["by_lane"],
        serde_json::json!({"claimed": 1, "planned": 5})
    );
    let human =
        String::from_utf8(run(dir.path(), &["agent", "tasks", "status"]).stdout).expect("utf-8");
    assert!(
        human.contains("Planned") && human.contains("spec-kitty next --agent"),
        "{human}"
    );
}

#[test]
fn moves_follow_the_state_machine_and_commit_the_status_files() {
    let dir = project();
    let p = dir.path();
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP01",
            "--to",
            "claimed",
            "--agent",
            "claude",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        git(p, &["status", "--porcelain"]),
        "",
        "status files are committed with the move"
    );
    assert!(
        git(p, &["log", "-1", "--format=%s"])
            .contains("chore: Move WP01 to claimed on spec 001 [claude]")
    );
    // The planning lane's workspace is the main checkout: it always exists.
    assert!(
        run(
            p,
            &[
                "agent",
                "tasks",
                "move-task",
                "wp01",
                "--to",
                "doing",
                "--agent",
                "claude"
            ]
        )
        .status
        .success()
    );
    // for_review needs the WP's subtasks ticked.
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP01",
            "--to",
            "for_review",
            "--agent",
            "claude",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("status::subtasks-open"));
    let out = run(
        p,
        &["agent", "tasks", "mark-status", "T001", "--status", "done"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(p.join("kitty-specs/001-demo/tasks.md"))
            .expect("tasks.md")
            .contains("- [x] T001")
    );
    assert_eq!(git(p, &["status", "--porcelain"]), "");
    assert!(
        run(
            p,
            &[
                "agent",
                "tasks",
                "move-task",
                "WP01",
                "--to",
                "for_review",
                "--agent",
                "claude"
            ]
        )
        .status
        .success()
    );
    assert_eq!(lane_of(&lanes(p), "WP01"), "for_review");
    // A code lane's WP cannot start before its worktree exists.
    assert!(
        run(
            p,
            &[
                "agent",
                "tasks",
                "move-task",
                "WP02",
                "--to",
                "claimed",
                "--agent",
                "codex"
            ]
        )
        .status
        .success()
    );
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP02",
            "--to",
            "in_progress",
            "--agent",
            "codex",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("status::no-workspace"));
    // Without --force a move to done needs the work complete (as in 3.1.1, checked first) and
    // then steps through every lane; forced with an actor and a reason it is one event.
    let out = run(p, &["agent", "tasks", "move-task", "WP03", "--to", "done"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("status::subtasks-open"));
    let out = run(
        p,
        &["agent", "tasks", "move-task", "WP04", "--to", "claimed"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("status::actor-required"));
    // WP03 depends on WP02 (planned): no claim before it is approved, unless forced.
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP03",
            "--to",
            "claimed",
            "--agent",
            "claude",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("status::dependencies-pending"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP03",
            "--to",
            "done",
            "--force",
            "--agent",
            "lead",
            "--note",
            "done elsewhere",
            "--json",
        ],
    );
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["to_lane"], "done");
    let events =
        std::fs::read_to_string(p.join("kitty-specs/001-demo/status.events.jsonl")).expect("log");
    let last: Value =
        serde_json::from_str(events.lines().last().expect("event")).expect("event json");
    assert_eq!(last["force"], true);
    assert_eq!(last["reason"], "done elsewhere");
    assert_eq!(last["execution_mode"], "worktree");
}

/// Eight processes move eight different WPs at once: no event is lost and the log stays readable.
#[test]
fn concurrent_moves_lose_no_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::create_dir_all(p.join(".kittify")).expect("mkdir");
    std::fs::write(p.join(".kittify/config.yaml"), "vcs:\n  type: git\n").expect("write");
    let m = p.join("kitty-specs/001-m");
    std::fs::create_dir_all(m.join("tasks")).expect("mkdir");
    std::fs::write(m.join("spec.md"), "- FR-001\n").expect("write");
    let mut tasks = String::new();
    for i in 1..=8 {
        tasks.push_str(&format!("## WP0{i}\n\n"));
        std::fs::write(
            m.join(format!("tasks/WP0{i}-x.md")),
            format!("---\nwork_package_id: WP0{i}\nrequirement_refs: [FR-001]\nexecution_mode: code_change\nowned_files: [src/m{i}/**]\nauthoritative_surface: src/m{i}/\n---\n"),
        )
        .expect("write");
    }
    std::fs::write(m.join("tasks.md"), tasks).expect("write");
    git_init_commit(p);
    assert!(
        spec_kitty(p)
            .args(["agent", "mission", "finalize-tasks"])
            .output()
            .expect("runs")
            .status
            .success()
    );
    let children: Vec<_> = (1..=8)
        .map(|i| {
            spec_kitty(p)
                .args([
                    "agent",
                    "tasks",
                    "move-task",
                    &format!("WP0{i}"),
                    "--to",
                    "claimed",
                    "--agent",
                    &format!("agent{i}"),
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let log = std::fs::read_to_string(m.join("status.events.jsonl")).expect("log");
    let claimed = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["to_lane"] == "claimed")
        .count();
    assert_eq!(claimed, 8, "{log}");
    assert_eq!(
        log.lines().count(),
        16,
        "8 bootstrap events and 8 moves, every line whole"
    );
    let s = lanes(p);
    assert_eq!(s["by_lane"]["claimed"], 8);
    assert_eq!(git(p, &["status", "--porcelain"]), "");
}

/// Eight processes claim the same WP at once through `agent action implement`: the lane guard is
/// checked under the status lock, so exactly one agent gets it, the others are told who holds it,
/// and the log has one claim.
#[test]
fn concurrent_claims_of_one_wp_give_it_to_one_agent() {
    let dir = project();
    let p = dir.path();
    let children: Vec<_> = (1..=8)
        .map(|i| {
            spec_kitty(p)
                .args([
                    "agent",
                    "action",
                    "implement",
                    "WP02",
                    "--agent",
                    &format!("agent{i}"),
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut winners = 0;
    for c in children {
        let out = c.wait_with_output().expect("wait");
        if out.status.success() {
            winners += 1;
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{err}");
            assert!(err.contains("claimed-by-other"), "{err}");
        }
    }
    assert_eq!(winners, 1);
    let log =
        std::fs::read_to_string(p.join("kitty-specs/001-demo/status.events.jsonl")).expect("log");
    let events: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("whole line"))
        .collect();
    let claims: Vec<&Value> = events
        .iter()
        .filter(|e| e["wp_id"] == "WP02" && e["to_lane"] == "claimed")
        .collect();
    assert_eq!(claims.len(), 1, "{log}");
    let started: Vec<&Value> = events
        .iter()
        .filter(|e| e["wp_id"] == "WP02" && e["to_lane"] == "in_progress")
        .collect();
    assert_eq!(started.len(), 1, "{log}");
    assert_eq!(started[0]["actor"], claims[0]["actor"]);
    assert_eq!(lane_of(&lanes(p), "WP02"), "in_progress");
    assert_eq!(git(p, &["status", "--porcelain"]), "");
}

/// `next` never sends a second agent into a lane workspace another agent is working in, and hands
/// a reviewer back the review it already claimed.
#[test]
fn next_keeps_one_agent_per_lane_and_resumes_claimed_reviews() {
    // WP02 and WP03 both depend on WP01 only, so the three share a lane and, once WP01 is
    // approved, WP02 and WP03 are ready at the same time; WP04 has a lane of its own.
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::create_dir_all(p.join(".kittify")).expect("mkdir");
    std::fs::write(p.join(".kittify/config.yaml"), "vcs:\n  type: git\n").expect("write");
    let m = p.join("kitty-specs/001-m");
    std::fs::create_dir_all(m.join("tasks")).expect("mkdir");
    std::fs::write(m.join("spec.md"), "- FR-001\n").expect("write");
    std::fs::write(m.join("plan.md"), "# Plan\n").expect("write");
    let mut tasks = String::new();
    for (i, deps) in [(1, "none"), (2, "WP01"), (3, "WP01"), (4, "none")] {
        tasks.push_str(&format!(
            "## WP0{i}\n\n**Dependencies**: {deps}\n\n- [ ] T00{i} work\n\n"
        ));
        std::fs::write(
            m.join(format!("tasks/WP0{i}-x.md")),
            format!("---\nwork_package_id: WP0{i}\nrequirement_refs: [FR-001]\nexecution_mode: code_change\nowned_files: [src/m{i}/**]\nauthoritative_surface: src/m{i}/\n---\n"),
        )
        .expect("write");
    }
    std::fs::write(m.join("tasks.md"), tasks).expect("write");
    git_init_commit(p);
    let out = run(p, &["agent", "mission", "finalize-tasks"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lanes_json: Value =
        serde_json::from_str(&std::fs::read_to_string(m.join("lanes.json")).expect("lanes"))
            .expect("json");
    assert_eq!(
        lanes_json["lanes"][0]["wp_ids"],
        serde_json::json!(["WP01", "WP02", "WP03"])
    );
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP01",
            "--to",
            "approved",
            "--force",
            "--agent",
            "lead",
            "--note",
            "done by hand",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = "WP02".to_owned();
    let members = ["WP02".to_owned(), "WP03".to_owned()];
    let out = run(
        p,
        &["agent", "action", "implement", &first, "--agent", "alice"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Bob asks repeatedly; whatever he is given is never in alice's lane.
    let q: Value = serde_json::from_slice(
        &run(
            p,
            &["next", "--agent", "bob", "--result", "success", "--json"],
        )
        .stdout,
    )
    .expect("json");
    if let Some(wp) = q["wp_id"].as_str() {
        assert!(
            !members.iter().any(|m| m == wp),
            "bob sent into alice's lane: {q}"
        );
    }
    // Alice is sent back to her own WP.
    let q: Value = serde_json::from_slice(&run(p, &["next", "--agent", "alice", "--json"]).stdout)
        .expect("json");
    assert_eq!(q["wp_id"], first.as_str(), "{q}");
    assert_eq!(q["action"], "implement");
    // A review alice claimed comes back to her as a review.
    for (to, extra) in [("for_review", "--force"), ("in_review", "")] {
        let mut args = vec![
            "agent",
            "tasks",
            "move-task",
            first.as_str(),
            "--to",
            to,
            "--agent",
            "alice",
            "--note",
            "test",
        ];
        if !extra.is_empty() {
            args.push(extra);
        }
        let out = run(p, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let q: Value = serde_json::from_slice(&run(p, &["next", "--agent", "alice", "--json"]).stdout)
        .expect("json");
    assert_eq!(q["wp_id"], first.as_str(), "{q}");
    assert_eq!(q["action"], "review", "{q}");
}

/// The for_review guard asks the same question of both workspace kinds: is the WP's work
/// committed? In a lane worktree anything uncommitted counts; in the main checkout only the WP's
/// owned files do, so the user's unrelated files and the loop's own files never block it.
#[test]
fn for_review_needs_the_work_committed_in_either_workspace() {
    let dir = project();
    let p = dir.path();
    let move_plain = |wp: &str, to: &str| {
        run(
            p,
            &[
                "agent",
                "tasks",
                "move-task",
                wp,
                "--to",
                to,
                "--agent",
                "claude",
            ],
        )
    };
    for wp in ["WP01", "WP02"] {
        let out = run(
            p,
            &["agent", "action", "implement", wp, "--agent", "claude"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let subtasks = run(
        p,
        &[
            "agent",
            "tasks",
            "mark-status",
            "T001",
            "T002",
            "T003",
            "--status",
            "done",
        ],
    );
    assert!(
        subtasks.status.success(),
        "{}",
        String::from_utf8_lossy(&subtasks.stderr)
    );
    // Planning lane: unrelated dirt in the main checkout does not block...
    std::fs::write(p.join("NOTES.txt"), "my own scratch file\n").expect("write");
    // ...but the WP's own uncommitted file does.
    let adr = p.join("kitty-specs/001-demo/adr.md");
    std::fs::write(&adr, "# ADR\n").expect("write");
    let out = move_plain("WP01", "for_review");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("status::dirty-workspace") && err.contains("adr.md"),
        "{err}"
    );
    assert!(!err.contains("NOTES.txt"), "{err}");
    git(p, &["add", "kitty-specs/001-demo/adr.md"]);
    git(p, &["commit", "-q", "-m", "feat(WP01): ADR"]);
    let out = move_plain("WP01", "for_review");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Code lane: anything uncommitted in the worktree blocks.
    let ws = p.join(".worktrees/001-demo-lane-a");
    std::fs::write(ws.join("stray.txt"), "x\n").expect("write");
    let out = move_plain("WP02", "for_review");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stray.txt"));
    std::fs::remove_file(ws.join("stray.txt")).expect("rm");
    // A clean worktree without a commit since the WP started is no work to review (3.1.1's rule).
    let out = move_plain("WP02", "for_review");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("status::no-commits"));
    std::fs::create_dir_all(ws.join("src/reading")).expect("mkdir");
    std::fs::write(ws.join("src/reading/parser.py"), "def parse(): ...\n").expect("write");
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "feat(WP02): parser"]);
    let out = move_plain("WP02", "for_review");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 3.1.1's dependency alert: WP03 depends on WP02 and shares its lane.
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("⚠️  Dependency Alert\nWP03 depend on WP02 (not yet done)")
            && said.contains("WP03: shares kitty/mission-001-demo-lane-a (same lane"),
        "{said}"
    );
    // The status files were committed with every move; only the user's file is left.
    assert_eq!(git(p, &["status", "--porcelain"]), "?? NOTES.txt\n");

    // A reviewer approves straight from for_review: as in 3.1.1 the move steps through in_review
    // (the review claim) to approved, one event per step, and the JSON has 3.1.1's keys.
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP01",
            "--to",
            "approved",
            "--agent",
            "rev",
            "--note",
            "Review passed",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["task_id"], "WP01");
    assert_eq!(json["old_lane"], "for_review");
    assert_eq!(json["new_lane"], "approved");
    assert!(
        json["path"]
            .as_str()
            .is_some_and(|s| s.ends_with(".md") && Path::new(s).is_absolute()),
        "{json}"
    );
    let log =
        std::fs::read_to_string(p.join("kitty-specs/001-demo/status.events.jsonl")).expect("log");
    let steps: Vec<(String, String, Value)> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["wp_id"] == "WP01")
        .map(|e| {
            (
                e["from_lane"].as_str().unwrap_or_default().to_owned(),
                e["to_lane"].as_str().unwrap_or_default().to_owned(),
                e["evidence"].clone(),
            )
        })
        .collect();
    let n = steps.len();
    assert_eq!(
        (
            &steps[n - 2].0,
            &steps[n - 2].1,
            &steps[n - 1].0,
            &steps[n - 1].1
        ),
        (
            &"for_review".to_owned(),
            &"in_review".to_owned(),
            &"in_review".to_owned(),
            &"approved".to_owned()
        )
    );
    assert_eq!(steps[n - 1].2["review"]["verdict"], "approved");

    // A WP another agent holds cannot be moved anywhere without --force (3.1.1's agent-ownership
    // check): rev holds WP02 once it claims the review.
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP02",
            "--to",
            "in_review",
            "--agent",
            "rev",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP02",
            "--to",
            "blocked",
            "--agent",
            "claude",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("status::claimed-by-other"));

    // rev rejects WP02 with feedback written outside the project: as in 3.1.1 it is kept as the
    // WP's review-cycle file (with 3.1.1's frontmatter), committed, and the event points at it.
    let outside = tempfile::tempdir().expect("tempdir");
    let fb = outside.path().join("fb.md");
    std::fs::write(&fb, "**Issue**: parse errors are swallowed.\n").expect("write");
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP02",
            "--to",
            "planned",
            "--agent",
            "rev",
            "--review-feedback-file",
            fb.to_str().expect("utf-8 path"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cycles: Vec<PathBuf> = std::fs::read_dir(p.join("kitty-specs/001-demo/tasks"))
        .expect("tasks")
        .flatten()
        .map(|e| e.path())
        .filter(|d| {
            d.is_dir()
                && d.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("WP02"))
        })
        .map(|d| d.join("review-cycle-1.md"))
        .collect();
    let [artifact] = cycles.as_slice() else {
        panic!("one WP02 review-cycle dir: {cycles:?}")
    };
    let text = std::fs::read_to_string(artifact).expect("artifact");
    assert!(
        text.starts_with("---\naffected_files: []\ncycle_number: 1\nmission_slug: 001-demo\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "verdict: rejected\nwp_id: WP02\n---\n\n**Issue**: parse errors are swallowed.\n"
        ),
        "{text}"
    );
    assert_eq!(git(p, &["status", "--porcelain"]), "?? NOTES.txt\n");
    let log =
        std::fs::read_to_string(p.join("kitty-specs/001-demo/status.events.jsonl")).expect("log");
    let last: Value = serde_json::from_str(log.lines().last().unwrap_or_default()).expect("event");
    let stem = artifact
        .parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert_eq!(
        last["review_ref"],
        format!("review-cycle://001-demo/{stem}/review-cycle-1.md")
    );
    // The next implementation of WP02 sees the feedback.
    let out = run(
        p,
        &[
            "agent",
            "action",
            "implement",
            "WP02",
            "--agent",
            "claude",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let prompt =
        std::fs::read_to_string(json["prompt_file"].as_str().unwrap_or_default()).expect("prompt");
    assert!(prompt.contains("parse errors are swallowed"), "{prompt}");
}

/// A reworked planning WP is reviewed whole: the review base is where the WP first started on the
/// main checkout, so the second review shows the first attempt and the fix. Starting a WP in a
/// lane workspace left with uncommitted changes warns.
#[test]
fn rework_is_reviewed_whole_and_dirty_reuse_warns() {
    let dir = project();
    let p = dir.path();
    let ok = |args: &[&str]| {
        let out = run(p, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let review = || -> Value {
        let out = ok(&[
            "agent", "action", "review", "WP01", "--agent", "rev", "--json",
        ]);
        serde_json::from_slice(&out.stdout).expect("json")
    };
    ok(&["agent", "action", "implement", "WP01", "--agent", "claude"]);
    std::fs::write(p.join("kitty-specs/001-demo/adr.md"), "# ADR\n").expect("write");
    git(p, &["add", "kitty-specs/001-demo/adr.md"]);
    git(p, &["commit", "-q", "-m", "feat(WP01): ADR"]);
    ok(&["agent", "tasks", "mark-status", "T001", "--status", "done"]);
    ok(&[
        "agent",
        "tasks",
        "move-task",
        "WP01",
        "--to",
        "for_review",
        "--agent",
        "claude",
    ]);
    let first = review();
    assert_eq!(
        first["commits"].as_array().map(Vec::len),
        Some(1),
        "{first}"
    );
    let feedback = p.join("kitty-specs/001-demo/tasks/WP01-adr/review-cycle-1.md");
    std::fs::create_dir_all(feedback.parent().expect("dir")).expect("mkdir");
    std::fs::write(&feedback, "Add the alternatives.\n").expect("write");
    ok(&[
        "agent",
        "tasks",
        "move-task",
        "WP01",
        "--to",
        "planned",
        "--agent",
        "rev",
        "--review-feedback-file",
        "kitty-specs/001-demo/tasks/WP01-adr/review-cycle-1.md",
    ]);
    ok(&["agent", "action", "implement", "WP01", "--agent", "claude"]);
    std::fs::write(
        p.join("kitty-specs/001-demo/adr.md"),
        "# ADR\n\nAlternatives.\n",
    )
    .expect("write");
    git(p, &["commit", "-q", "-am", "fix(WP01): alternatives"]);
    ok(&[
        "agent",
        "tasks",
        "move-task",
        "WP01",
        "--to",
        "for_review",
        "--agent",
        "claude",
    ]);
    let second = review();
    let commits: Vec<&str> = second["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(commits.len(), 2, "{second}");
    assert!(commits[0].contains("fix(WP01)") && commits[1].contains("feat(WP01)"));

    // Lane reuse: WP02 leaves a stray file in lane-a, and WP03's start there warns about it.
    ok(&["agent", "action", "implement", "WP02", "--agent", "claude"]);
    std::fs::write(p.join(".worktrees/001-demo-lane-a/stray.txt"), "x\n").expect("write");
    let out = ok(&[
        "agent",
        "action",
        "implement",
        "WP03",
        "--agent",
        "claude",
        "--force",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("action::workspace-not-clean") && err.contains("stray.txt"),
        "{err}"
    );
}

/// Agents ticking different subtasks of one tasks.md at once: every tick survives and is committed
/// (before, the read-edit-write raced: ticks were lost and most commands failed).
#[test]
fn concurrent_mark_status_loses_no_tick() {
    let dir = project();
    let p = dir.path();
    let ids = ["T001", "T002", "T003", "T004", "T005", "T006", "T007"];
    let children: Vec<_> = ids
        .iter()
        .map(|t| {
            spec_kitty(p)
                .args(["agent", "tasks", "mark-status", t, "--status", "done"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tasks = std::fs::read_to_string(p.join("kitty-specs/001-demo/tasks.md")).expect("tasks");
    for t in ids {
        assert!(tasks.contains(&format!("- [x] {t}")), "{t} lost:\n{tasks}");
    }
    assert_eq!(git(p, &["status", "--porcelain"]), "");
    assert_eq!(
        git(p, &["log", "--format=%s"])
            .lines()
            .filter(|l| l.starts_with("chore: Mark T"))
            .count(),
        ids.len()
    );
}

#[test]
fn mark_status_reports_unknown_ids_and_sets_the_rest() {
    let dir = project();
    let p = dir.path();
    let out = run(
        p,
        &[
            "agent",
            "tasks",
            "mark-status",
            "T001",
            "T999",
            "--status",
            "done",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["updated"], serde_json::json!(["T001"]));
    assert_eq!(json["not_found"], serde_json::json!(["T999"]));
    assert_eq!(json["count"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("T999"));
    assert_eq!(
        git(p, &["log", "-1", "--format=%s"]).trim(),
        "chore: Mark T001 as done on spec 001"
    );
    // Only unknown ids: nothing to do, an error.
    let out = run(
        p,
        &["agent", "tasks", "mark-status", "T998", "--status", "done"],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn planning_changes_are_committed_before_the_first_lane_worktree() {
    let dir = project();
    let p = dir.path();
    let plan = p.join("kitty-specs/001-demo/plan.md");
    let mut text = std::fs::read_to_string(&plan).expect("plan");
    text.push_str("\nA late decision.\n");
    std::fs::write(&plan, &text).expect("write");
    let out = run(
        p,
        &["agent", "action", "implement", "WP02", "--agent", "claude"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let in_worktree =
        std::fs::read_to_string(p.join(".worktrees/001-demo-lane-a/kitty-specs/001-demo/plan.md"))
            .expect("worktree plan");
    assert!(in_worktree.contains("A late decision."), "{in_worktree}");
    let subjects = git(p, &["log", "--format=%s", "-5"]);
    assert!(
        subjects.contains("chore: planning artifacts for 001-demo"),
        "{subjects}"
    );
    assert_eq!(git(p, &["status", "--porcelain"]), "");
}

/// `next --mission` for a mission that does not exist gives the lookup error of every command
/// (3.1.1 answered with an endless query about an unknown mission).
#[test]
fn next_for_a_mission_that_does_not_exist_is_the_lookup_error() {
    let dir = project();
    let p = dir.path();
    for extra in [&[][..], &["--result", "success"][..]] {
        let mut args = vec!["next", "--agent", "x", "--mission", "999-nope"];
        args.extend_from_slice(extra);
        let out = run(p, &args);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("999-nope") && err.contains("001-demo"),
            "{err}"
        );
    }
}

#[test]
fn an_approval_without_agent_steps_through_in_review_as_3_1_1() {
    let dir = project();
    let p = dir.path();
    let ok = |args: &[&str]| {
        let out = run(p, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    ok(&["agent", "action", "implement", "WP01", "--agent", "claude"]);
    std::fs::write(p.join("kitty-specs/001-demo/adr.md"), "# ADR\n").expect("write");
    git(p, &["add", "kitty-specs/001-demo/adr.md"]);
    git(p, &["commit", "-q", "-m", "feat(WP01): ADR"]);
    ok(&["agent", "tasks", "mark-status", "T001", "--status", "done"]);
    ok(&[
        "agent",
        "tasks",
        "move-task",
        "WP01",
        "--to",
        "for_review",
        "--agent",
        "claude",
    ]);
    let out = ok(&[
        "agent",
        "tasks",
        "move-task",
        "WP01",
        "--to",
        "approved",
        "--note",
        "Review passed",
        "--json",
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["new_lane"], "approved");
    assert!(json.get("spec_kitty_version").is_none(), "{json}");
    let log =
        std::fs::read_to_string(p.join("kitty-specs/001-demo/status.events.jsonl")).expect("log");
    let last: Vec<Value> = log
        .lines()
        .rev()
        .take(2)
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(
        (
            &last[1]["to_lane"],
            &last[1]["actor"],
            &last[0]["to_lane"],
            &last[0]["actor"]
        ),
        (
            &Value::from("in_review"),
            &Value::from("user"),
            &Value::from("approved"),
            &Value::from("user")
        )
    );
}

/// A mission where WP02 and WP03 both depend on WP01 only: one lane, and once WP01 is approved,
/// WP03 may start on top of WP02 while WP02 waits for review.
fn shared_lane_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/many-agents.in"),
        dir.path(),
    );
    let tasks = dir.path().join("kitty-specs/001-m/tasks.md");
    let text = std::fs::read_to_string(&tasks).expect("tasks");
    let (head, tail) = text.split_once("## WP03").expect("WP03 section");
    let tail = tail.replacen("**Dependencies**: none", "**Dependencies**: WP01", 1);
    std::fs::write(&tasks, format!("{head}## WP03{tail}")).expect("write");
    git_init_commit(dir.path());
    let out = run(dir.path(), &["agent", "mission", "finalize-tasks"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn work(ws: &Path, wp: &str, file: &str) {
    let path = ws.join(file);
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    std::fs::write(&path, format!("// {wp}\n")).expect("work");
    git(ws, &["add", "-A"]);
    git(ws, &["commit", "-q", "-m", &format!("feat({wp}): {file}")]);
}

#[test]
fn implement_commits_only_real_planning_changes_and_review_covers_only_the_wps_commits() {
    let dir = shared_lane_project();
    let root = dir.path();
    let mission = root.join("kitty-specs/001-m");
    // Pending planning work, and the temporary file of a write in progress.
    std::fs::write(mission.join("research.md"), "notes\n").expect("research");
    std::fs::write(mission.join(".spec-kitty-x1.tmp"), "half").expect("tmp");
    let out = ok(
        root,
        &["agent", "action", "implement", "WP01", "--agent", "claude"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("Committed pending planning changes first:\n  kitty-specs/001-m/research.md"),
        "{stderr}"
    );
    let committed = git(root, &["log", "--name-only", "--format=", "-3"]);
    assert!(!committed.contains(".tmp"), "{committed}");
    // The hint names the WP's real subtasks.
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("mark-status T001 --status done"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let ws = root.join(".worktrees/001-m-lane-a");
    work(&ws, "WP01", "src/parser/mod.rs");
    ok(
        root,
        &["agent", "tasks", "mark-status", "T001", "--status", "done"],
    );
    // Only a cache is left uncommitted: the refusal says to ignore it, not to commit it.
    std::fs::create_dir_all(ws.join("src/parser/__pycache__")).expect("mkdir");
    std::fs::write(ws.join("src/parser/__pycache__/mod.pyc"), "x").expect("cache");
    let to_review = |wp: &str, agent: &str| {
        run(
            root,
            &[
                "agent",
                "tasks",
                "move-task",
                wp,
                "--to",
                "for_review",
                "--agent",
                agent,
            ],
        )
    };
    let out = to_review("WP01", "claude");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("__pycache__/") && err.contains(".gitignore"),
        "{err}"
    );
    std::fs::write(ws.join(".gitignore"), "__pycache__/\n").expect("ignore");
    git(&ws, &["add", ".gitignore"]);
    git(&ws, &["commit", "-q", "-m", "chore(WP01): ignore caches"]);
    assert!(to_review("WP01", "claude").status.success());
    ok(
        root,
        &["agent", "action", "review", "WP01", "--agent", "gemini"],
    );
    ok(
        root,
        &[
            "agent",
            "tasks",
            "move-task",
            "WP01",
            "--to",
            "approved",
            "--agent",
            "gemini",
        ],
    );
    // WP02, then WP03 starts in the same worktree while WP02 waits for review.
    ok(
        root,
        &["agent", "action", "implement", "WP02", "--agent", "claude"],
    );
    work(&ws, "WP02", "src/checker/mod.rs");
    ok(
        root,
        &["agent", "tasks", "mark-status", "T002", "--status", "done"],
    );
    assert!(to_review("WP02", "claude").status.success());
    ok(
        root,
        &["agent", "action", "implement", "WP03", "--agent", "codex"],
    );
    work(&ws, "WP03", "src/exporter/mod.rs");
    let out = ok(
        root,
        &[
            "agent", "action", "review", "WP02", "--agent", "gemini", "--json",
        ],
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    let commits: Vec<&str> = r["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(commits.iter().any(|c| c.contains("feat(WP02)")), "{r}");
    assert!(
        !commits
            .iter()
            .any(|c| c.contains("WP03") || c.contains("WP01")),
        "only WP02's commits: {r}"
    );
    let prompt = std::fs::read_to_string(r["prompt_file"].as_str().expect("prompt")).expect("read");
    assert!(
        prompt.contains("git log -p ") && prompt.contains(&format!("cd {}", ws.display())),
        "the prompt gives the exact commands: {prompt}"
    );
    // The board shows who holds what.
    let board =
        String::from_utf8_lossy(&ok(root, &["agent", "tasks", "status"]).stdout).into_owned();
    assert!(board.contains("codex · lane-a"), "{board}");
    let json = lanes(root);
    let agent = json["work_packages"]
        .as_array()
        .and_then(|a| a.iter().find(|w| w["id"] == "WP03"))
        .map(|w| w["agent"].clone());
    assert_eq!(agent, Some(Value::from("codex")));
}
