//! Three agents on one mission at once, each looping `next --result success` in its own thread of
//! real `spec-kitty` processes: two dependency chains and two independent WPs, from finalize to
//! merged. The checks are the promises of docs/agent-loop.md: every WP claimed once, never before
//! its dependencies are approved, one agent per workspace, no WP approved by its implementer,
//! every agent reaches terminal, the event log consistent and the repository sound.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::support::{git, ok, run};

const AGENTS: [&str; 3] = ["claude", "codex", "gemini"];

/// (WP, title, dependencies)
type Wps = [(&'static str, &'static str, &'static [&'static str])];

const WPS: [(&str, &str, &[&str]); 6] = [
    ("WP01", "Core", &[]),
    ("WP02", "CLI", &["WP01"]),
    ("WP03", "Store", &[]),
    ("WP04", "API", &["WP03"]),
    ("WP05", "Docs site", &[]),
    ("WP06", "Metrics", &[]),
];

fn json_of(out: &std::process::Output, what: &str) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A mission planned and finalized: code WPs with the given dependencies, each owning
/// `src/<wp>/**`, under the given lane strategy.
fn planned_mission(tmp: &Path, wps: &Wps, strategy: &str) -> (PathBuf, String) {
    let root = tmp.join("proj");
    ok(tmp, &["init", "proj", "--ai", "codex", "--non-interactive"]);
    let config = root.join(".kittify/config.yaml");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&config, format!("{text}lanes:\n  strategy: {strategy}\n")).expect("config");
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "init"]);
    let created = json_of(
        &ok(&root, &["agent", "mission", "create", "swarm", "--json"]),
        "create",
    );
    let slug = created["mission_slug"].as_str().expect("slug").to_owned();
    let dir = root.join("kitty-specs").join(&slug);
    std::fs::write(dir.join("spec.md"), "# Spec\n- FR-001 do it\n").expect("spec");
    std::fs::write(dir.join("plan.md"), "# Plan\n").expect("plan");
    let mut tasks = String::from("# Tasks\n");
    for (n, (id, title, deps)) in wps.iter().enumerate() {
        let deps = if deps.is_empty() {
            "**Dependencies**: none".to_owned()
        } else {
            format!("Depends on {}", deps.join(", "))
        };
        tasks.push_str(&format!(
            "\n## {id} — {title}\n\n{deps}\n\n- [ ] T{:03} build {title}\n",
            n + 1
        ));
        let owned = id.to_lowercase();
        std::fs::write(
            dir.join("tasks").join(format!("{id}-{owned}.md")),
            format!(
                "---\nwork_package_id: {id}\ntitle: {title}\nrequirement_refs: [FR-001]\nexecution_mode: code_change\nowned_files:\n- src/{owned}/**\nauthoritative_surface: src/{owned}/\n---\n# {id} — {title}\n"
            ),
        )
        .expect("wp file");
    }
    std::fs::write(dir.join("tasks.md"), tasks).expect("tasks");
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "plan the mission"]);
    let fin = json_of(
        &ok(
            &root,
            &[
                "agent",
                "mission",
                "finalize-tasks",
                "--mission",
                &slug,
                "--json",
            ],
        ),
        "finalize",
    );
    assert!(fin["lanes"]["lane_ids"].is_array(), "{fin}");
    (root, slug)
}

/// What the agents share in the test: which workspace each is working in right now (to catch two
/// agents in one workspace), and a start line so that all three have claimed work before any of
/// them reviews (a solo agent reviews its own work, by design).
#[derive(Default)]
struct Shared {
    agents: usize,
    working_in: Mutex<HashMap<PathBuf, String>>,
    started: Mutex<BTreeSet<String>>,
    all_started: Condvar,
    violations: Mutex<Vec<String>>,
}

impl Shared {
    fn violation(&self, what: String) {
        self.violations.lock().expect("lock").push(what);
    }

    fn started(&self, agent: &str) {
        let mut started = self.started.lock().expect("lock");
        started.insert(agent.to_owned());
        self.all_started.notify_all();
        let _ = self
            .all_started
            .wait_timeout_while(started, Duration::from_secs(60), |s| s.len() < self.agents);
    }
}

/// What a test checks when an agent starts a WP in a workspace: a violation, or nothing.
type OnStart = dyn Fn(&str, &Path) -> Option<String> + Sync;

/// One agent's loop. Returns whether it reached terminal.
fn agent_loop(root: &Path, slug: &str, agent: &str, shared: &Shared, on_start: &OnStart) -> bool {
    let mut first_claim = true;
    for _round in 0..600 {
        let d = json_of(
            &run(
                root,
                &[
                    "next",
                    "--agent",
                    agent,
                    "--mission",
                    slug,
                    "--result",
                    "success",
                    "--json",
                ],
            ),
            "next",
        );
        match d["kind"].as_str() {
            Some("terminal") => return true,
            Some("blocked") => {
                std::thread::sleep(Duration::from_millis(40));
                continue;
            }
            Some("step") => {}
            other => {
                shared.violation(format!("{agent}: next answered {other:?}: {d}"));
                return false;
            }
        }
        match d["mission_state"].as_str() {
            Some("accept") => {
                // Two agents may accept at once: one records it, the other finds it accepted.
                let out = run(root, &["accept", "--mission", slug, "--actor", agent]);
                let text = String::from_utf8_lossy(&out.stderr).into_owned()
                    + &String::from_utf8_lossy(&out.stdout);
                if !out.status.success() && !text.contains("already accepted") {
                    shared.violation(format!("{agent}: accept failed: {text}"));
                }
                continue;
            }
            Some("merge") => {
                // Likewise merge: one lands the mission, the other finds it landed (or waits).
                let _ = run(root, &["merge", "--mission", slug]);
                continue;
            }
            _ => {}
        }
        let wp = d["wp_id"].as_str().unwrap_or_default().to_owned();
        match d["action"].as_str() {
            Some("implement") => {
                let out = run(
                    root,
                    &[
                        "agent",
                        "action",
                        "implement",
                        &wp,
                        "--agent",
                        agent,
                        "--mission",
                        slug,
                        "--json",
                    ],
                );
                if !out.status.success() {
                    // Lost a race for it (another agent claimed it or its lane first).
                    let err = String::from_utf8_lossy(&out.stderr).into_owned()
                        + &String::from_utf8_lossy(&out.stdout);
                    if !err.contains(&format!("{wp} is already")) && !err.contains("is in use") {
                        shared.violation(format!("{agent}: implement {wp} failed: {err}"));
                    }
                    continue;
                }
                let imp = json_of(&out, "implement");
                let ws = PathBuf::from(imp["workspace_path"].as_str().unwrap_or_default());
                if let Some(other) = shared
                    .working_in
                    .lock()
                    .expect("lock")
                    .insert(ws.clone(), agent.to_owned())
                {
                    shared.violation(format!(
                        "{agent} got {wp} in {} while {other} works there",
                        ws.display()
                    ));
                }
                if let Some(v) = on_start(&wp, &ws) {
                    shared.violation(format!("{agent} starting {wp}: {v}"));
                }
                if first_claim {
                    first_claim = false;
                    shared.started(agent);
                }
                let owned = wp.to_lowercase();
                let file = ws.join("src").join(&owned).join("lib.rs");
                std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
                std::fs::write(&file, format!("// {wp} by {agent}\n")).expect("work");
                git(&ws, &["add", "-A"]);
                git(&ws, &["commit", "-q", "-m", &format!("feat({wp}): work")]);
                let n: usize = wp[2..].parse().expect("number");
                ok(
                    root,
                    &[
                        "agent",
                        "tasks",
                        "mark-status",
                        &format!("T{n:03}"),
                        "--status",
                        "done",
                        "--mission",
                        slug,
                    ],
                );
                shared.working_in.lock().expect("lock").remove(&ws);
                ok(
                    root,
                    &[
                        "agent",
                        "tasks",
                        "move-task",
                        &wp,
                        "--to",
                        "for_review",
                        "--agent",
                        agent,
                        "--mission",
                        slug,
                    ],
                );
            }
            Some("review") => {
                let out = run(
                    root,
                    &[
                        "agent",
                        "action",
                        "review",
                        &wp,
                        "--agent",
                        agent,
                        "--mission",
                        slug,
                        "--json",
                    ],
                );
                if !out.status.success() {
                    let err = String::from_utf8_lossy(&out.stderr).into_owned()
                        + &String::from_utf8_lossy(&out.stdout);
                    if !err.contains(&format!("{wp} is already")) && !err.contains("in_review") {
                        shared.violation(format!("{agent}: review {wp} failed: {err}"));
                    }
                    continue;
                }
                let out = run(
                    root,
                    &[
                        "agent",
                        "tasks",
                        "move-task",
                        &wp,
                        "--to",
                        "approved",
                        "--agent",
                        agent,
                        "--mission",
                        slug,
                    ],
                );
                if !out.status.success() {
                    shared.violation(format!(
                        "{agent}: approving {wp} failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
            other => shared.violation(format!("{agent}: a step without an action {other:?}: {d}")),
        }
    }
    shared.violation(format!("{agent} did not reach terminal in 600 rounds"));
    false
}

/// Runs `agents` in parallel on a finalized mission until each reaches terminal, then checks the
/// promises of the loop on the event log. Returns the events.
fn run_agents(
    root: &Path,
    slug: &str,
    agents: &[&'static str],
    wps: &Wps,
    on_start: &'static OnStart,
) -> Vec<Value> {
    let shared = Arc::new(Shared {
        agents: agents.len(),
        ..Shared::default()
    });
    let handles: Vec<_> = agents
        .iter()
        .map(|&agent| {
            let (root, slug, shared) = (root.to_path_buf(), slug.to_owned(), Arc::clone(&shared));
            std::thread::spawn(move || agent_loop(&root, &slug, agent, &shared, on_start))
        })
        .collect();
    let terminal: Vec<bool> = handles
        .into_iter()
        .map(|h| h.join().expect("agent thread"))
        .collect();
    let violations = shared.violations.lock().expect("lock").clone();
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(
        terminal,
        vec![true; agents.len()],
        "every agent reaches terminal"
    );

    // The event log: every line an event, ids unique, each WP's moves a chain from planned.
    let log = std::fs::read_to_string(
        root.join("kitty-specs")
            .join(slug)
            .join("status.events.jsonl"),
    )
    .expect("event log");
    let events: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad event line ({e}): {l}")))
        .collect();
    let ids: BTreeSet<&str> = events
        .iter()
        .filter_map(|e| e["event_id"].as_str())
        .collect();
    assert_eq!(ids.len(), events.len(), "event ids are unique");
    let mut lane: BTreeMap<String, String> = BTreeMap::new();
    let mut claimed_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut approved_by: BTreeMap<String, String> = BTreeMap::new();
    let deps: BTreeMap<&str, &[&str]> = wps.iter().map(|(id, _, d)| (*id, *d)).collect();
    for e in &events {
        let wp = e["wp_id"].as_str().expect("wp_id").to_owned();
        let from = e["from_lane"].as_str().expect("from_lane");
        let to = e["to_lane"].as_str().expect("to_lane").to_owned();
        let actor = e["actor"].as_str().unwrap_or_default().to_owned();
        let before = lane.get(&wp).map_or("planned", String::as_str);
        assert_eq!(from, before, "{wp}'s moves form a chain: {e}");
        if to == "claimed" {
            for d in deps[wp.as_str()] {
                let l = lane.get(*d).map_or("planned", String::as_str);
                assert!(
                    matches!(l, "approved" | "done"),
                    "{wp} claimed while its dependency {d} was {l}"
                );
            }
            claimed_by
                .entry(wp.clone())
                .or_default()
                .push(actor.clone());
        }
        if to == "approved" {
            approved_by.insert(wp.clone(), actor);
        }
        lane.insert(wp, to);
    }
    for (id, _, _) in wps {
        let claims = &claimed_by[*id];
        assert_eq!(claims.len(), 1, "{id} claimed exactly once: {claims:?}");
        assert_ne!(
            approved_by.get(*id),
            Some(&claims[0]),
            "{id} approved by its implementer"
        );
        assert_eq!(lane[*id], "done", "{id} ends done");
        assert!(
            root.join("src")
                .join(id.to_lowercase())
                .join("lib.rs")
                .is_file(),
            "{id}'s work is on main"
        );
    }
    let spread: BTreeSet<&String> = claimed_by.values().flatten().collect();
    assert!(spread.len() > 1, "the work was shared: {claimed_by:?}");
    git(root, &["fsck", "--no-progress"]);
    assert_eq!(git(root, &["status", "--porcelain"]), "");
    events
}

fn no_check(_: &str, _: &Path) -> Option<String> {
    None
}

#[test]
fn three_agents_in_parallel_processes_take_the_mission_to_terminal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (root, slug) = planned_mission(tmp.path(), &WPS, "collapse");
    run_agents(&root, &slug, &AGENTS, &WPS, &no_check);
}

/// Two chains meeting at a fan-in WP.
const FAN_IN: [(&str, &str, &[&str]); 5] = [
    ("WP01", "Parser", &[]),
    ("WP02", "Checker", &["WP01"]),
    ("WP03", "Store", &[]),
    ("WP04", "Index", &["WP03"]),
    ("WP05", "Report", &["WP02", "WP04"]),
];

/// The fan-in WP's workspace, when it starts, holds every WP's approved work it depends on.
fn fan_in_starts_from_both_chains(wp: &str, ws: &Path) -> Option<String> {
    if wp != "WP05" {
        return None;
    }
    let missing: Vec<String> = ["wp01", "wp02", "wp03", "wp04"]
        .iter()
        .filter(|w| !ws.join("src").join(w).join("lib.rs").is_file())
        .map(|w| w.to_string())
        .collect();
    (!missing.is_empty()).then(|| format!("its workspace lacks {missing:?}"))
}

#[test]
fn two_agents_work_both_chains_of_a_fan_in_mission_at_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (root, slug) = planned_mission(tmp.path(), &FAN_IN, "fan-in");
    let lanes: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("kitty-specs").join(&slug).join("lanes.json"))
            .expect("lanes.json"),
    )
    .expect("json");
    assert_eq!(
        lanes["lanes"].as_array().map(Vec::len),
        Some(5),
        "one lane per WP: {lanes}"
    );
    let events = run_agents(
        &root,
        &slug,
        &["claude", "codex"],
        &FAN_IN,
        &fan_in_starts_from_both_chains,
    );
    // Both chains were in progress at the same time: some WP of one chain started before a WP
    // of the other chain went to review, and the other way round.
    let position = |wp: &str, to: &str| {
        events
            .iter()
            .position(|e| e["wp_id"] == wp && e["to_lane"] == to)
            .expect("event")
    };
    let overlap = |a: &str, b: &str| {
        position(a, "in_progress") < position(b, "for_review")
            && position(b, "in_progress") < position(a, "for_review")
    };
    assert!(
        overlap("WP01", "WP03")
            || overlap("WP02", "WP04")
            || overlap("WP01", "WP04")
            || overlap("WP02", "WP03"),
        "the two chains progressed at the same time"
    );
}
