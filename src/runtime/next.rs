//! `spec-kitty next`: the loop's decision. The mission's state is read from its artifacts (spec,
//! plan, tasks, WP files, lanes.json, the status log), never from a separate run record, so a
//! mission planned by hand is picked up where it stands.
//!
//! WP steps come from the scheduler ([`crate::runtime::schedule`]): one selection rule shared with
//! `agent action implement|review` and `agent context resolve`. A `--result failed|blocked` is
//! recorded against the WP the agent holds: that WP and its dependents are held back for every
//! agent, the reporting agent waits, and everyone else goes on; the agent's `--result success` (or
//! `--clear`) drops it.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::project::MissionRef;
use crate::runtime::board::{self, Board};
use crate::runtime::schedule::{self, FailureRecord, Pick, Schedule};
use crate::runtime::workspace;
use crate::support::diagnostics::{Diag, Failure};
use crate::support::util::UtcTime;

/// What the agent reports about its last step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepResult {
    /// Done; advance.
    Success,
    /// Failed; stop until fixed.
    Failed,
    /// Blocked; stop until unblocked.
    Blocked,
}

/// The decision.
#[derive(Debug, Clone)]
pub struct Decision {
    /// `step`, `blocked`, `terminal` or `query`.
    pub kind: &'static str,
    /// The step (`specify`, ..., `implement`, `review`, `accept`, `done`).
    pub state: String,
    /// The action (`implement`, `review`, ...), for steps.
    pub action: Option<String>,
    /// The WP, for WP steps.
    pub wp_id: Option<String>,
    /// Its workspace path.
    pub workspace_path: Option<PathBuf>,
    /// The prompt written for the agent.
    pub prompt_file: Option<PathBuf>,
    /// Why (blocked, terminal, guard).
    pub reason: Option<String>,
    /// Unmet guards of the step.
    pub guard_failures: Vec<String>,
    /// Progress counts.
    pub progress: Option<Value>,
    /// The step a query would issue.
    pub preview_step: Option<String>,
}

/// Drops the failure `agent` reported (`--result success`, or `--clear`).
pub fn clear_failures(root: &Path, slug: &str, agent: &str) -> Result<(), Failure> {
    let mut failures = schedule::read_failures(root, slug);
    let before = failures.len();
    failures.retain(|f| f.agent != agent);
    if failures.len() == before {
        return Ok(());
    }
    schedule::write_failures(root, slug, &failures)
}

fn progress(b: &Board) -> Value {
    let count = |lanes: &[&str]| {
        b.wps
            .iter()
            .filter(|w| lanes.contains(&w.lane.as_str()))
            .count()
    };
    json!({
        "total_wps": b.wps.len(),
        "done_wps": count(&["done"]),
        "approved_wps": count(&["approved"]),
        "in_progress_wps": count(&["claimed", "in_progress"]),
        "planned_wps": count(&["planned"]),
        "for_review_wps": count(&["for_review", "in_review"]),
        "weighted_percentage": b.progress_percentage(),
    })
}

/// Works out the next step for `agent`. `result: None` is a read-only query.
pub fn decide(
    root: &Path,
    mission: &MissionRef,
    agent: Option<&str>,
    result: Option<StepResult>,
) -> Result<Decision, Failure> {
    let query = result.is_none();
    if result.is_some() && agent.is_none_or(|a| a.trim().is_empty()) {
        return Err(Failure::simple(
            Diag::error(
                "next::agent-required",
                "--agent is required when --result is provided",
            )
            .with_help("pass --agent <name>"),
        ));
    }
    let mut d = Decision {
        kind: if query { "query" } else { "step" },
        state: String::new(),
        action: None,
        wp_id: None,
        workspace_path: None,
        prompt_file: None,
        reason: None,
        guard_failures: Vec::new(),
        progress: None,
        preview_step: None,
    };
    if !mission.dir.is_dir() {
        d.state = "unknown".into();
        if query {
            return Ok(d);
        }
        d.kind = "blocked";
        d.reason = Some(format!(
            "Feature directory not found: {}",
            mission.dir.display()
        ));
        return Ok(d);
    }
    let me = agent.unwrap_or("").trim();
    // A failure is recorded against the WP the agent holds (and its lane), and blocks that WP and
    // the WPs depending on it for everyone; the agent itself waits until it reports success (or
    // clears it). Other agents go on with independent work.
    match result {
        Some(StepResult::Failed | StepResult::Blocked) => {
            let what = if result == Some(StepResult::Failed) {
                "failed"
            } else {
                "blocked"
            };
            let sched = Schedule::load(root, mission).ok();
            let held = sched.as_ref().and_then(|s| s.held_by(me)).cloned();
            let mut failures = schedule::read_failures(root, &mission.slug);
            failures.retain(|f| f.agent != me);
            failures.push(FailureRecord {
                agent: me.to_owned(),
                wp_id: held.as_ref().map(|w| w.id.clone()),
                lane_id: held.and_then(|w| w.lane_id),
                result: what.to_owned(),
                at: UtcTime::now().isoformat(),
            });
            schedule::write_failures(root, &mission.slug, &failures)?;
        }
        Some(StepResult::Success) => clear_failures(root, &mission.slug, me)?,
        None => {}
    }
    if let Some(f) = schedule::read_failures(root, &mission.slug)
        .into_iter()
        .find(|f| f.agent == me && !me.is_empty())
    {
        d.kind = "blocked";
        d.state = "blocked".into();
        d.wp_id = f.wp_id.clone();
        d.reason = Some(format!(
            "You reported your last step{} {} at {}; fix it, then run `spec-kitty next --agent {me} --mission {slug} --result success` to continue (or `--clear` to drop the report)",
            f.wp_id
                .as_deref()
                .map(|w| format!(" on {w}"))
                .unwrap_or_default(),
            f.result,
            f.at,
            slug = mission.slug
        ));
        return Ok(d);
    }
    let dir = &mission.dir;
    let nonempty = |p: PathBuf| std::fs::metadata(p).is_ok_and(|m| m.len() > 0);
    let has_wp_files = std::fs::read_dir(dir.join("tasks"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            e.file_name().to_str().is_some_and(|n| {
                n.ends_with(".md") && crate::compiler::finalize::file_wp_id(n).is_some()
            })
        });
    let planning_step = if !nonempty(dir.join("spec.md")) {
        Some(("specify", "spec.md is missing or empty"))
    } else if !nonempty(dir.join("plan.md")) {
        Some(("plan", "plan.md is missing or empty"))
    } else if !dir.join("tasks.md").is_file() {
        Some(("tasks_outline", "tasks.md is missing"))
    } else if !has_wp_files {
        Some(("tasks_packages", "tasks/ has no WP prompt files"))
    } else if !dir.join("lanes.json").is_file() {
        Some((
            "tasks_finalize",
            "the mission is not finalized (no lanes.json)",
        ))
    } else {
        None
    };
    if let Some((step, why)) = planning_step {
        d.state = step.to_owned();
        d.action = Some(step.replace('_', "-"));
        d.guard_failures.push(why.to_owned());
        d.preview_step = Some(step.to_owned());
        if step != "tasks_finalize" && !query {
            d.prompt_file = Some(write_prompt(
                mission,
                agent.unwrap_or("agent"),
                step,
                None,
                &planning_prompt(step, mission),
            )?);
        }
        return Ok(d);
    }
    let b = board::board(root, mission)?;
    d.progress = Some(progress(&b));
    if !b.wps.is_empty()
        && b.wps
            .iter()
            .all(|w| matches!(w.lane.as_str(), "done" | "canceled"))
    {
        // A query answers as a query, also at the end (3.1.1).
        d.kind = if query { "query" } else { "terminal" };
        d.state = "done".into();
        d.reason = Some("All mission steps completed".into());
        return Ok(d);
    }
    let manifest = crate::compiler::lanes_manifest::load_manifest(dir, &mission.slug)?;
    let sched = Schedule::load(root, mission)?;
    let (action, wp_id) = match sched.pick(me) {
        Pick::Implement(w) => ("implement", w),
        Pick::Review(w) => ("review", w),
        Pick::Nothing
            if b.wps
                .iter()
                .all(|w| matches!(w.lane.as_str(), "approved" | "done" | "canceled")) =>
        {
            // Accepted (meta.json) → merge; merge moves every WP to done, which is terminal.
            let accepted = b
                .meta
                .get("accepted_at")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            let step = if accepted { "merge" } else { "accept" };
            d.state = step.into();
            d.action = Some(step.into());
            d.preview_step = Some(step.into());
            d.reason = Some(if accepted {
                format!(
                    "The mission is accepted: land it on its target branch with `spec-kitty merge --mission {}`",
                    mission.slug
                )
            } else {
                format!(
                    "Every work package is approved: check and accept the mission with `spec-kitty accept --mission {}`",
                    mission.slug
                )
            });
            return Ok(d);
        }
        Pick::Nothing => {
            d.kind = if query { "query" } else { "blocked" };
            d.state = "implement".into();
            let waiting: Vec<String> = sched
                .wps
                .iter()
                .filter(|w| !matches!(w.lane.as_str(), "approved" | "done" | "canceled"))
                .map(|w| {
                    let why = if let Some(f) = sched.failure_blocking(&w.id) {
                        format!(
                            ", held back: {} {} it",
                            f.agent,
                            if f.wp_id.as_deref() == Some(w.id.as_str()) {
                                format!("reported {}", f.result)
                            } else {
                                format!(
                                    "reported {} {} on a dependency of",
                                    f.wp_id.as_deref().unwrap_or(""),
                                    f.result
                                )
                            }
                        )
                    } else if w.lane == "for_review" && !sched.may_review(&w.id, me) {
                        ", for another agent to review".to_owned()
                    } else if w.actor.is_empty() || w.lane == "planned" {
                        String::new()
                    } else {
                        format!(" by {}", w.actor)
                    };
                    format!("{} ({}{why})", w.id, w.lane)
                })
                .collect();
            d.reason = Some(format!(
                "No work package is available to {}: waiting on {}",
                if me.is_empty() { "this agent" } else { me },
                waiting.join(", ")
            ));
            return Ok(d);
        }
    };
    let Some(wp) = b.wps.iter().find(|w| w.id == wp_id) else {
        return Err(Failure::simple(Diag::error(
            "next::unknown-wp",
            format!("{wp_id} is not on the board of {}", mission.slug),
        )));
    };
    let ws = workspace::resolve_workspace(root, &mission.slug, &manifest, &wp.id)?;
    d.state = action.to_owned();
    d.action = Some(action.to_owned());
    d.wp_id = Some(wp.id.clone());
    d.workspace_path = Some(ws.path.clone());
    d.preview_step = Some(action.to_owned());
    if !query {
        let text = format!(
            "# {action} {wp} ({slug})\n\nWorkspace: {path}\nWorkspace contract: lane {lane} shared by {shared}\n\nRun `spec-kitty agent action {action} {wp} --agent {me} --mission {slug}`: it claims the work package{extra} and prints its full prompt.\n",
            wp = wp.id,
            slug = mission.slug,
            path = ws.path.display(),
            lane = ws.lane_id,
            shared = ws.lane_wp_ids.join(", "),
            extra = if action == "implement" {
                ", creates or reuses the workspace"
            } else {
                ""
            },
        );
        d.prompt_file = Some(write_prompt(mission, me, action, Some(&wp.id), &text)?);
    }
    Ok(d)
}

fn planning_prompt(step: &str, mission: &MissionRef) -> String {
    let slash = match step {
        "specify" => "/spec-kitty.specify",
        "plan" => "/spec-kitty.plan",
        "tasks_outline" => "/spec-kitty.tasks-outline",
        _ => "/spec-kitty.tasks-packages",
    };
    let exists = if step == "specify" {
        format!(
            " The mission exists already: write kitty-specs/{slug}/spec.md in place; do not run `spec-kitty agent mission create` again.",
            slug = mission.slug
        )
    } else {
        String::new()
    };
    format!(
        "# {step} ({slug})\n\nRun `{slash}` for mission {slug} (kitty-specs/{slug}/), then report with `spec-kitty next --agent <name> --mission {slug} --result success`.{exists}\n",
        slug = mission.slug
    )
}

fn write_prompt(
    mission: &MissionRef,
    agent: &str,
    action: &str,
    wp: Option<&str>,
    text: &str,
) -> Result<PathBuf, Failure> {
    let name = match wp {
        Some(w) => format!("spec-kitty-next-{agent}-{}-{action}-{w}.md", mission.slug),
        None => format!(
            "spec-kitty-next-{agent}-{}-{}.md",
            mission.slug,
            action.replace('_', "-")
        ),
    };
    let path = std::env::temp_dir().join(name);
    crate::support::util::write_atomic(&path, text.as_bytes()).map_err(|e| {
        Failure::simple(crate::support::diagnostics::io_error(
            "next::prompt",
            &path,
            &e,
        ))
    })?;
    Ok(path)
}

impl Decision {
    /// The decision JSON (3.1.1's keys; runtime-only fields are null).
    pub fn json(
        &self,
        mission: &MissionRef,
        agent: Option<&str>,
        meta: &Map<String, Value>,
    ) -> Value {
        let known = mission.dir.is_dir();
        let mission_type = if known {
            meta.get("mission_type")
                .cloned()
                .unwrap_or_else(|| "software-dev".into())
        } else {
            // 3.1.1's words for a mission it could not find.
            "unknown".into()
        };
        let number = match meta.get("mission_number") {
            Some(n) if known => n.clone(),
            _ if known => Value::Null,
            _ => match crate::compiler::status::number_from_slug(&mission.slug) {
                n if n.is_empty() => Value::Null,
                n => Value::String(n),
            },
        };
        json!({
            "kind": self.kind,
            "agent": agent,
            "mission_slug": mission.slug,
            "mission_number": number,
            "mission_type": mission_type,
            "mission": mission_type,
            "mission_state": self.state,
            "timestamp": UtcTime::now().isoformat(),
            "action": self.action,
            "wp_id": self.wp_id,
            "workspace_path": self.workspace_path.as_ref().map(|p| p.display().to_string()),
            "prompt_file": self.prompt_file.as_ref().map(|p| p.display().to_string()),
            "reason": self.reason,
            "guard_failures": self.guard_failures,
            "progress": self.progress,
            "origin": if known { Value::Null } else { json!({}) },
            "run_id": null,
            "step_id": if self.state.is_empty() || !known { Value::Null } else { Value::String(self.state.clone()) },
            "decision_id": null,
            "input_key": null,
            "question": null,
            "options": null,
            "is_query": self.kind == "query",
            "preview_step": self.preview_step,
        })
    }

    /// Human lines.
    pub fn lines(&self, mission: &MissionRef) -> Vec<String> {
        let mut out = Vec::new();
        if self.kind == "query" {
            out.push("[QUERY — no result provided, state not advanced]".to_owned());
        }
        out.push(format!(
            "[{}] {} @ {}",
            self.kind.to_uppercase(),
            mission.slug,
            self.state
        ));
        if let Some(a) = &self.action {
            out.push(format!(
                "  Action: {a}{}",
                self.wp_id
                    .as_ref()
                    .map(|w| format!(" {w}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(w) = &self.workspace_path {
            out.push(format!("  Workspace: {}", w.display()));
        }
        if !self.guard_failures.is_empty() {
            out.push(format!(
                "  Guards pending: {}",
                self.guard_failures.join("; ")
            ));
        }
        if let Some(r) = &self.reason {
            out.push(format!("  Reason: {r}"));
        }
        if let Some(p) = &self.progress {
            out.push(format!(
                "  Progress: {}% weighted ({}/{} done)",
                p["weighted_percentage"], p["done_wps"], p["total_wps"]
            ));
        }
        if let Some(f) = &self.prompt_file {
            out.push("Next step: read the prompt file:".to_owned());
            out.push(format!("  cat {}", f.display()));
        }
        out
    }
}
