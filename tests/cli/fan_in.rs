//! Fan-in lanes through the binary: a WP whose dependencies live in other lanes starts from
//! exactly their approved work (not from later, unreviewed commits of those lanes), all or nothing.

use std::path::Path;

use crate::support::{copy_tree, git, git_init_commit, ok, run};

/// WP01 (parser) and WP02 (exporter) are independent; WP03 (checker) needs both. Fan-in: three
/// lanes, lane-c depending on lane-a and lane-b.
fn fan_in_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/many-agents.in"),
        dir.path(),
    );
    let m = dir.path().join("kitty-specs/001-m");
    std::fs::write(
        m.join("tasks.md"),
        "# Tasks\n\n## WP01 — Parser\n\n**Dependencies**: none\n\n- [ ] T001 the parser\n\n## WP02 — Exporter\n\n**Dependencies**: none\n\n- [ ] T002 the exporter\n\n## WP03 — Checker\n\n**Dependencies**: WP01, WP02\n\n- [ ] T003 the checker\n",
    )
    .expect("tasks");
    std::fs::rename(
        m.join("tasks/WP02-checker.md"),
        m.join("tasks/WP03-checker.md"),
    )
    .expect("rename");
    std::fs::rename(
        m.join("tasks/WP03-exporter.md"),
        m.join("tasks/WP02-exporter.md"),
    )
    .expect("rename");
    for (file, from, to) in [
        ("WP03-checker.md", "WP02", "WP03"),
        ("WP02-exporter.md", "WP03", "WP02"),
    ] {
        let p = m.join("tasks").join(file);
        let t = std::fs::read_to_string(&p).expect("wp").replace(from, to);
        std::fs::write(&p, t).expect("wp");
    }
    git_init_commit(dir.path());
    let out = ok(
        dir.path(),
        &[
            "agent",
            "mission",
            "finalize-tasks",
            "--lanes",
            "fan-in",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["lanes"]["lane_ids"],
        serde_json::json!(["lane-a", "lane-b", "lane-c"]),
        "{v}"
    );
    dir
}

/// Implements `wp` as `agent`: a commit of `files` in its workspace, subtasks ticked, to review,
/// then approved by `reviewer`. Returns the workspace.
fn done_by(root: &Path, wp: &str, agent: &str, reviewer: &str, files: &[(&str, &str)]) {
    ok(
        root,
        &["agent", "action", "implement", wp, "--agent", agent],
    );
    let lane = match wp {
        "WP01" => "lane-a",
        "WP02" => "lane-b",
        _ => "lane-c",
    };
    let ws = root.join(format!(".worktrees/001-m-{lane}"));
    for (f, text) in files {
        let p = ws.join(f);
        std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", &format!("feat({wp}): work")]);
    let task = format!("T00{}", &wp[3..]);
    ok(
        root,
        &["agent", "tasks", "mark-status", &task, "--status", "done"],
    );
    ok(
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
    );
    ok(
        root,
        &[
            "agent",
            "tasks",
            "move-task",
            wp,
            "--to",
            "approved",
            "--agent",
            reviewer,
        ],
    );
}

#[test]
fn a_fan_in_wp_starts_from_its_dependencies_approved_work_only() {
    let dir = fan_in_project();
    let root = dir.path();
    done_by(
        root,
        "WP01",
        "claude",
        "codex",
        &[("src/parser/mod.rs", "parse\n")],
    );
    done_by(
        root,
        "WP02",
        "codex",
        "claude",
        &[("src/exporter/mod.rs", "export\n")],
    );
    // Later work on lane-b that nobody has reviewed.
    let lane_b = root.join(".worktrees/001-m-lane-b");
    std::fs::write(lane_b.join("src/exporter/extra.rs"), "unreviewed\n").expect("write");
    git(&lane_b, &["add", "-A"]);
    git(&lane_b, &["commit", "-q", "-m", "wip: not reviewed"]);

    let out = ok(
        root,
        &["agent", "action", "implement", "WP03", "--agent", "gemini"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Merged WP01's approved work (lane-a")
            && err.contains("Merged WP02's approved work (lane-b"),
        "{err}"
    );
    let ws = root.join(".worktrees/001-m-lane-c");
    assert!(ws.join("src/parser/mod.rs").is_file());
    assert!(ws.join("src/exporter/mod.rs").is_file());
    assert!(
        !ws.join("src/exporter/extra.rs").exists(),
        "an unapproved commit of lane-b reached lane-c"
    );
    // Re-entering merges nothing new.
    let out = ok(
        root,
        &["agent", "action", "implement", "WP03", "--agent", "gemini"],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Merged"));
}

#[test]
fn a_conflict_between_dependencies_leaves_the_workspace_as_it_was_and_says_how_to_go_on() {
    let dir = fan_in_project();
    let root = dir.path();
    // Both dependencies write the same file, differently.
    done_by(
        root,
        "WP01",
        "claude",
        "codex",
        &[
            ("src/parser/mod.rs", "parse\n"),
            ("NOTES.md", "from the parser\n"),
        ],
    );
    done_by(
        root,
        "WP02",
        "codex",
        "claude",
        &[
            ("src/exporter/mod.rs", "export\n"),
            ("NOTES.md", "from the exporter\n"),
        ],
    );
    let out = run(
        root,
        &["agent", "action", "implement", "WP03", "--agent", "gemini"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("lanes::dependency-merge-conflict")
            && err.contains("WP02's approved work")
            && err.contains("NOTES.md")
            && err.contains("git merge"),
        "{err}"
    );
    let ws = root.join(".worktrees/001-m-lane-c");
    // All or nothing: WP01's merge was undone too, and nothing is left half-merged.
    assert!(!ws.join("src/parser/mod.rs").exists());
    assert_eq!(git(&ws, &["status", "--porcelain"]), "");
    let mut merging = std::process::Command::new("git");
    merging
        .current_dir(&ws)
        .args(["rev-parse", "-q", "--verify", "MERGE_HEAD"]);
    assert!(
        !merging.output().expect("git").status.success(),
        "no merge is left in progress"
    );
    // Resolve by hand, as the help says, then start again: the merged work is skipped.
    let commit = |wp: &str| {
        let log = std::fs::read_to_string(root.join("kitty-specs/001-m/status.events.jsonl"))
            .expect("log");
        log.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| e["wp_id"] == wp && e["to_lane"] == "approved")
            .filter_map(|e| {
                e["policy_metadata"]["approved_commit"]
                    .as_str()
                    .map(str::to_owned)
            })
            .next_back()
            .expect("approved commit")
    };
    git(&ws, &["merge", "-q", "--no-edit", &commit("WP01")]);
    let mut merge = std::process::Command::new("git");
    merge
        .current_dir(&ws)
        .args(["merge", "-q", "--no-edit", &commit("WP02")]);
    crate::support::git_env(&mut merge);
    assert!(
        !merge.output().expect("git").status.success(),
        "the conflict"
    );
    std::fs::write(ws.join("NOTES.md"), "from both\n").expect("fix");
    git(&ws, &["add", "NOTES.md"]);
    git(&ws, &["commit", "-q", "--no-edit"]);
    let out = ok(
        root,
        &["agent", "action", "implement", "WP03", "--agent", "gemini"],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Merged"));
    assert!(ws.join("src/exporter/mod.rs").is_file());
}

/// The example project finalized under each strategy, against the committed lanes.json snapshots
/// (`computed_at` aside), and `lanes --explain` comparing the two.
#[test]
fn the_example_lanes_under_each_strategy() {
    for (strategy, snapshot) in [
        ("collapse", "tests/data/lanes-collapse.json"),
        ("fan-in", "tests/data/lanes-fan-in.json"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-project"),
            dir.path(),
        );
        std::fs::create_dir_all(dir.path().join(".kittify")).expect("mkdir");
        std::fs::write(
            dir.path().join(".kittify/config.yaml"),
            format!("lanes:\n  strategy: {strategy}\n"),
        )
        .expect("config");
        git_init_commit(dir.path());
        let explain = ok(dir.path(), &["lanes", "--explain"]);
        let explain = String::from_utf8_lossy(&explain.stdout).into_owned();
        ok(dir.path(), &["agent", "mission", "finalize-tasks"]);
        let strip = |text: &str| -> serde_json::Value {
            let mut v: serde_json::Value = serde_json::from_str(text).expect("json");
            if let Some(o) = v.as_object_mut() {
                o.remove("computed_at");
            }
            v
        };
        let got = strip(
            &std::fs::read_to_string(dir.path().join("kitty-specs/001-demo/lanes.json"))
                .expect("lanes.json"),
        );
        let want = strip(
            &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(snapshot))
                .expect("snapshot"),
        );
        assert_eq!(got, want, "{strategy}: lanes.json differs from {snapshot}");
        if strategy == "collapse" {
            assert!(
                explain.contains("Strategy: collapse (up to 3 lanes at once)")
                    && explain.contains("With `lanes.strategy: fan-in`: 6 lanes, up to 3 at once"),
                "{explain}"
            );
        } else {
            assert!(
                explain.contains("Strategy: fan-in")
                    && explain.contains("lane-b (group 1) ← lane-a")
                    && explain.contains("waits for lane-a: starts from their approved work"),
                "{explain}"
            );
            let mermaid = ok(dir.path(), &["lanes", "--format", "mermaid"]);
            let mermaid = String::from_utf8_lossy(&mermaid.stdout).into_owned();
            assert!(mermaid.contains("WP02 --> WP03"), "{mermaid}");
        }
    }
}
