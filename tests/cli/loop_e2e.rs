//! The agent loop end to end through the real binary: init → mission create → spec/plan/tasks
//! with one planning-artifact WP and two code lanes → finalize → `next` with `agent action
//! implement`, commits in the workspaces, review, approval, until `next` says terminal.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::{git, spec_kitty};

fn run(dir: &Path, args: &[&str]) -> Output {
    let out = spec_kitty(dir).args(args).output().expect("runs");
    assert!(
        out.status.success() || args.contains(&"next"),
        "{args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let out = run(dir, args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn wp(id: &str, title: &str, mode: &str, owned: &str) -> String {
    format!(
        "---\nwork_package_id: {id}\ntitle: {title}\nrequirement_refs: [FR-001]\nexecution_mode: {mode}\nowned_files:\n- {owned}\nauthoritative_surface: {}\n---\n# {id} — {title}\n",
        owned.trim_end_matches("**")
    )
}

#[test]
fn a_mission_goes_from_init_to_terminal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("proj");
    run(
        tmp.path(),
        &["init", "proj", "--ai", "codex", "--non-interactive"],
    );
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "init"]);
    let created = json(&root, &["agent", "mission", "create", "demo", "--json"]);
    let slug = created["mission_slug"].as_str().expect("slug").to_owned();
    let mission_id = created["mission_id"].as_str().expect("id").to_owned();
    let dir = root.join("kitty-specs").join(&slug);

    // Query before planning: the first step is to write the spec.
    let q = json(&root, &["next", "--mission", &mission_id, "--json"]);
    assert_eq!(q["kind"], "query");

    std::fs::write(dir.join("spec.md"), "# Spec\n- FR-001 do it\n").expect("spec");
    std::fs::write(dir.join("plan.md"), "# Plan\n").expect("plan");
    std::fs::write(
        dir.join("tasks.md"),
        "# Tasks\n\n## WP01 — ADR\n\n**Dependencies**: none\n\n- [ ] T001 write the ADR\n\n## WP02 — Core\n\n**Dependencies**: none\n\n- [ ] T002 core\n\n## WP03 — CLI\n\nDepends on WP02\n\n- [ ] T003 cli\n\n## WP04 — Web\n\n**Dependencies**: none\n\n- [ ] T004 web\n",
    )
    .expect("tasks");
    let files = [
        (
            "WP01-adr.md",
            wp(
                "WP01",
                "ADR",
                "planning_artifact",
                &format!("kitty-specs/{slug}/**"),
            ),
        ),
        (
            "WP02-core.md",
            wp("WP02", "Core", "code_change", "src/core/**"),
        ),
        (
            "WP03-cli.md",
            wp("WP03", "CLI", "code_change", "src/cli/**"),
        ),
        (
            "WP04-web.md",
            wp("WP04", "Web", "code_change", "src/web/**"),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.join("tasks").join(name), text).expect("wp");
    }
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "plan the mission"]);
    let q = json(&root, &["next", "--mission", &slug, "--json"]);
    assert_eq!(q["mission_state"], "tasks_finalize", "{q}");
    let fin = json(
        &root,
        &[
            "agent",
            "mission",
            "finalize-tasks",
            "--mission",
            &slug,
            "--json",
        ],
    );
    assert_eq!(
        fin["lanes"]["lane_ids"],
        serde_json::json!(["lane-a", "lane-b", "lane-planning"])
    );

    let mut seen_worktrees = Vec::new();
    let mut rejected_once = false;
    let mut merged = false;
    for round in 0..40 {
        let d = json(
            &root,
            &[
                "next",
                "--agent",
                "claude",
                "--mission",
                &slug,
                "--result",
                "success",
                "--json",
            ],
        );
        if d["kind"] == "terminal" {
            break;
        }
        // Reviews go to another agent: when claude has nothing, the reviewer has.
        let d = if d["kind"] == "blocked" {
            json(
                &root,
                &[
                    "next",
                    "--agent",
                    "reviewer",
                    "--mission",
                    &slug,
                    "--result",
                    "success",
                    "--json",
                ],
            )
        } else {
            d
        };
        assert_ne!(d["kind"], "blocked", "round {round}: {d}");
        if d["mission_state"] == "accept" {
            assert_eq!(d["prompt_file"], Value::Null, "{d}");
            assert!(
                d["reason"]
                    .as_str()
                    .unwrap_or("")
                    .contains(&format!("spec-kitty accept --mission {slug}")),
                "{d}"
            );
            let accepted = json(
                &root,
                &["accept", "--mission", &slug, "--actor", "lead", "--json"],
            );
            assert_eq!(accepted["result"], "accepted", "{accepted}");
            let meta: Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join("meta.json")).expect("meta"),
            )
            .expect("json");
            assert_eq!(meta["accepted_by"], "lead");
            assert_eq!(
                meta["mission_id"],
                mission_id.as_str(),
                "acceptance keeps the identity"
            );
            continue;
        }
        if d["mission_state"] == "merge" {
            // A CLI-driven step, like accept: no prompt, the reason names the command.
            assert_eq!(d["kind"], "step", "{d}");
            assert_eq!(d["prompt_file"], Value::Null, "{d}");
            assert!(
                d["reason"]
                    .as_str()
                    .unwrap_or("")
                    .contains(&format!("spec-kitty merge --mission {slug}")),
                "{d}"
            );
            merged = true;
            run(&root, &["merge", "--mission", &slug]);
            continue;
        }
        let wp_id = d["wp_id"].as_str().expect("a WP step").to_owned();
        let action = d["action"].as_str().expect("action").to_owned();
        let status = json(&root, &["agent", "tasks", "status", "--json"]);
        let entry = status["work_packages"]
            .as_array()
            .and_then(|a| a.iter().find(|w| w["id"] == wp_id.as_str()))
            .cloned()
            .expect("on the board");
        if action == "implement" {
            let imp = json(
                &root,
                &[
                    "agent",
                    "action",
                    "implement",
                    &wp_id,
                    "--agent",
                    "claude",
                    "--mission",
                    &slug,
                    "--json",
                ],
            );
            // The same lane fields from next, implement and status, for both kinds of WP.
            assert_eq!(imp["workspace_path"], d["workspace_path"], "{imp} vs {d}");
            assert_eq!(imp["workspace_kind"], entry["workspace_kind"]);
            let ws = Path::new(imp["workspace_path"].as_str().expect("path")).to_path_buf();
            if wp_id == "WP01" {
                assert_eq!(imp["lane_id"], "lane-planning");
                assert_eq!(imp["workspace_kind"], "repo_root");
                assert_eq!(ws, root, "the planning WP works in the main checkout");
            } else {
                assert_eq!(imp["workspace_kind"], "lane_workspace");
                assert!(ws.starts_with(root.join(".worktrees")), "{}", ws.display());
                seen_worktrees.push(ws.clone());
            }
            // Do the work and commit it in the workspace.
            let file = if wp_id == "WP01" {
                dir.join("research.md")
            } else {
                ws.join(format!("src/{}.rs", wp_id.to_lowercase()))
            };
            std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
            std::fs::write(&file, "work\n").expect("work");
            git(&ws, &["add", "-A"]);
            git(
                &ws,
                &["commit", "-q", "-m", &format!("feat({wp_id}): work")],
            );
            let task = format!("T00{}", &wp_id[3..]);
            run(
                &root,
                &[
                    "agent",
                    "tasks",
                    "mark-status",
                    &task,
                    "--status",
                    "done",
                    "--mission",
                    &slug,
                ],
            );
            run(
                &root,
                &[
                    "agent",
                    "tasks",
                    "move-task",
                    &wp_id,
                    "--to",
                    "for_review",
                    "--agent",
                    "claude",
                    "--mission",
                    &slug,
                ],
            );
            assert_eq!(
                git(&root, &["status", "--porcelain"]),
                "",
                "the loop's own files never dirty the tree"
            );
        } else {
            assert_eq!(action, "review");
            let r = json(
                &root,
                &[
                    "agent",
                    "action",
                    "review",
                    &wp_id,
                    "--agent",
                    "reviewer",
                    "--mission",
                    &slug,
                    "--json",
                ],
            );
            let ctx = json(
                &root,
                &[
                    "agent",
                    "context",
                    "resolve",
                    "--action",
                    "review",
                    "--wp-id",
                    &wp_id,
                    "--mission",
                    &slug,
                    "--json",
                ],
            );
            // Review context and context resolution agree with next on the lane boundary.
            assert_eq!(r["workspace_path"], d["workspace_path"]);
            assert_eq!(ctx["workspace_path"], d["workspace_path"]);
            assert_eq!(ctx["lane_id"], r["lane_id"]);
            assert_eq!(ctx["resolution_kind"], r["workspace_kind"]);
            let commits = r["commits"].as_array().expect("commits");
            assert!(
                commits
                    .iter()
                    .any(|c| c.as_str().unwrap_or("").contains(&format!("feat({wp_id})"))),
                "the review context shows the WP's work: {r}"
            );
            // ...and only its work: WP03 follows WP02 in lane-a, and its review starts where WP03
            // started, not at the mission branch.
            assert!(
                commits.iter().all(|c| {
                    let c = c.as_str().unwrap_or("");
                    !c.contains("(WP") || c.contains(&format!("({wp_id})"))
                }),
                "the review context shows only {wp_id}'s commits: {r}"
            );
            if wp_id == "WP01" {
                assert_eq!(r["workspace_kind"], "repo_root");
                assert_eq!(r["branch"], Value::Null);
            } else {
                assert_eq!(r["workspace_kind"], "lane_workspace");
            }
            if wp_id == "WP04" && !rejected_once {
                rejected_once = true;
                let feedback =
                    Path::new(r["feedback_file"].as_str().expect("feedback path")).to_path_buf();
                std::fs::create_dir_all(feedback.parent().expect("dir")).expect("mkdir");
                std::fs::write(&feedback, "Please handle the empty input case.\n")
                    .expect("feedback");
                let rel = feedback
                    .strip_prefix(&root)
                    .expect("inside the project")
                    .display()
                    .to_string();
                run(
                    &root,
                    &[
                        "agent",
                        "tasks",
                        "move-task",
                        &wp_id,
                        "--to",
                        "planned",
                        "--agent",
                        "reviewer",
                        "--mission",
                        &slug,
                        "--review-feedback-file",
                        &rel,
                    ],
                );
                // The rejection commits the feedback file with its transition.
                assert_eq!(git(&root, &["status", "--porcelain"]), "");
                assert!(
                    git(&root, &["show", "--stat", "HEAD"]).contains("review-cycle-1.md"),
                    "the rejection commit carries the feedback"
                );
                let imp = json(
                    &root,
                    &[
                        "agent",
                        "action",
                        "implement",
                        &wp_id,
                        "--agent",
                        "claude",
                        "--mission",
                        &slug,
                        "--json",
                    ],
                );
                let prompt = std::fs::read_to_string(imp["prompt_file"].as_str().expect("prompt"))
                    .expect("prompt file");
                assert!(
                    prompt.contains("Please handle the empty input case."),
                    "the feedback reaches the next implement prompt:\n{prompt}"
                );
                let ws = Path::new(imp["workspace_path"].as_str().expect("path")).to_path_buf();
                std::fs::write(ws.join("src/wp04.rs"), "fixed\n").expect("fix");
                git(&ws, &["commit", "-qam", "fix(WP04): empty input"]);
                run(
                    &root,
                    &[
                        "agent",
                        "tasks",
                        "move-task",
                        &wp_id,
                        "--to",
                        "for_review",
                        "--agent",
                        "claude",
                        "--mission",
                        &slug,
                    ],
                );
                continue;
            }
            run(
                &root,
                &[
                    "agent",
                    "tasks",
                    "move-task",
                    &wp_id,
                    "--to",
                    "approved",
                    "--agent",
                    "reviewer",
                    "--mission",
                    &slug,
                    "--note",
                    "looks good",
                ],
            );
        }
    }
    assert!(rejected_once, "the loop went through a rejection");
    assert!(merged, "the loop went through merge");
    // The work is on the target branch, in the main checkout, and the lanes are gone.
    for (f, content) in [
        ("src/wp02.rs", "work\n"),
        ("src/wp03.rs", "work\n"),
        ("src/wp04.rs", "fixed\n"),
    ] {
        assert_eq!(
            git(&root, &["show", &format!("main:{f}")]),
            content,
            "{f} on main"
        );
        assert_eq!(
            std::fs::read_to_string(root.join(f)).expect("in the main checkout"),
            content
        );
    }
    assert!(
        !root
            .join(".worktrees")
            .join(format!("{slug}-lane-a"))
            .exists()
    );
    let final_decision = json(
        &root,
        &["next", "--agent", "claude", "--mission", &slug, "--json"],
    );
    // A query answers as a query, at the end too (3.1.1).
    assert_eq!(final_decision["kind"], "query", "{final_decision}");
    assert_eq!(final_decision["mission_state"], "done", "{final_decision}");
    seen_worktrees.sort();
    seen_worktrees.dedup();
    assert_eq!(
        seen_worktrees.len(),
        2,
        "two code lanes, two worktrees: {seen_worktrees:?}"
    );
    assert!(
        !root
            .join(".worktrees")
            .join(format!("{slug}-lane-planning"))
            .exists()
    );
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
}

#[test]
fn a_failure_blocks_its_reporter_until_success_or_clear_and_no_one_else() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    run(root, &["init", ".", "--ai", "codex", "--non-interactive"]);
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "init"]);
    json(root, &["agent", "mission", "create", "demo", "--json"]);
    let next = |args: &[&str]| {
        let out = spec_kitty(root)
            .arg("next")
            .args(args)
            .arg("--json")
            .output()
            .expect("runs");
        let d: Value = serde_json::from_slice(&out.stdout).expect("json");
        (out.status.code(), d)
    };
    let (code, d) = next(&["--agent", "a", "--result", "failed"]);
    assert_eq!(code, Some(1));
    assert_eq!(d["kind"], "blocked");
    assert!(
        d["reason"]
            .as_str()
            .unwrap_or("")
            .contains("--result success"),
        "{d}"
    );
    // a keeps getting the report; another agent is not blocked by it, and its success does not
    // clear it.
    assert_eq!(next(&["--agent", "a"]).1["kind"], "blocked");
    let (code, d) = next(&["--agent", "b", "--result", "success"]);
    assert_eq!(code, Some(0), "{d}");
    assert_eq!(d["mission_state"], "specify");
    assert_eq!(next(&["--agent", "a"]).1["kind"], "blocked");
    // a's own success clears it.
    let (code, d) = next(&["--agent", "a", "--result", "success"]);
    assert_eq!(code, Some(0), "{d}");
    assert_eq!(d["kind"], "step");
    assert_eq!(
        d["mission_state"], "specify",
        "mission create leaves spec.md empty: {d}"
    );
    // So does --clear.
    assert_eq!(next(&["--agent", "a", "--result", "blocked"]).0, Some(1));
    let (code, d) = next(&["--agent", "a", "--clear"]);
    assert_eq!(code, Some(0), "{d}");
    assert_eq!(d["kind"], "query");
}

/// FR-502: the README and docs/ teach the `next` loop and the `agent action` verbs; top-level
/// `spec-kitty implement` appears only where it is described as internal, never as a step in a
/// command listing.
#[test]
fn docs_teach_the_loop_not_top_level_implement() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let names_top_level = |text: &str| {
        text.match_indices("spec-kitty implement").any(|(i, _)| {
            !text[..i].ends_with("agent action ") && !text[..i].ends_with("agent action\n")
        })
    };
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        let mut in_code = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            assert!(
                !(in_code && names_top_level(line)),
                "{}: a command listing names top-level `spec-kitty implement`: {line}",
                file.display()
            );
        }
        for para in text.split("\n\n") {
            if names_top_level(para) {
                assert!(
                    para.contains("internal") || para.contains("top-level"),
                    "{}: top-level `spec-kitty implement` named without saying it is internal:\n{para}",
                    file.display()
                );
            }
        }
    }
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let next = readme
        .find("spec-kitty next --agent")
        .expect("README teaches next");
    let implement = readme
        .find("spec-kitty agent action implement")
        .expect("README teaches agent action implement");
    assert!(next < implement, "the loop comes first");
    assert!(readme.contains("spec-kitty agent action review"));
}
