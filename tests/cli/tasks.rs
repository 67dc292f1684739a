//! `agent tasks status|move-task|mark-status` through the real binary on a finalized example
//! project in a git repository.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::{copy_tree, git, git_init_commit, spec_kitty};

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

fn run(dir: &Path, args: &[&str]) -> Output {
    spec_kitty(dir).args(args).output().expect("runs")
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
    assert_eq!(
        keys,
        [
            "planned",
            "claimed",
            "in_progress",
            "for_review",
            "in_review",
            "approved",
            "done",
            "blocked",
            "canceled"
        ]
    );
    let wp = |id: &str| {
        s["work_packages"]
            .as_array()
            .and_then(|a| a.iter().find(|w| w["id"] == id))
            .cloned()
            .expect("wp")
    };
    assert_eq!(wp("WP01")["workspace_kind"], "repo_root");
    assert_eq!(wp("WP02")["workspace_kind"], "lane_workspace");
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
    // Illegal without --force; forced with an actor and a reason.
    let out = run(p, &["agent", "tasks", "move-task", "WP03", "--to", "done"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("status::illegal-transition"));
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
