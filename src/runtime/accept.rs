//! `spec-kitty accept` (and `agent mission accept`): the readiness checklist of a mission, and the
//! acceptance record in `meta.json`, committed on the target branch.
//!
//! Acceptance says the mission is ready to land; it moves no WP. `spec-kitty merge` lands the
//! lanes and moves every WP to `done` on the target branch, so `done` always means "on the target"
//! (3.1.1's accept also left the WPs approved, A2, but nothing ever moved them).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::project::{MissionRef, rel_path};
use crate::runtime::board;
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git;
use crate::support::util::UtcTime;

/// `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `pr` when the repository has a remote, else `local`.
    Auto,
    /// The acceptance is followed by a pull request.
    Pr,
    /// Everything happens locally.
    Local,
    /// Only the checklist: nothing written.
    Checklist,
}

impl Mode {
    /// Parses 3.1.1's mode names; anything else is an error (3.1.1 took it silently as `pr`).
    pub fn parse(s: &str) -> Result<Mode, Failure> {
        match s.trim() {
            "auto" => Ok(Mode::Auto),
            "pr" => Ok(Mode::Pr),
            "local" => Ok(Mode::Local),
            "checklist" => Ok(Mode::Checklist),
            other => Err(Failure::simple(
                Diag::error("accept::unknown-mode", format!("unknown --mode `{other}`"))
                    .with_help("use auto, pr, local or checklist"),
            )),
        }
    }
}

/// Options of an acceptance.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--mode`.
    pub mode: Mode,
    /// `--actor`.
    pub actor: Option<String>,
    /// `--lenient`: skip the WP file checks.
    pub lenient: bool,
    /// `--no-commit`: check and report, write nothing.
    pub no_commit: bool,
}

/// The checklist.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The mission.
    pub mission_slug: String,
    /// The main checkout's branch (`None` when detached).
    pub branch: Option<String>,
    /// meta.json `target_branch`.
    pub target_branch: String,
    /// WPs per lane.
    pub lanes: BTreeMap<String, Vec<String>>,
    /// `(id, lane, title)` per WP.
    pub work_packages: Vec<(String, String, String)>,
    /// WPs not approved or done, as `WP01 (for_review)`.
    pub lane_issues: Vec<String>,
    /// WP files that do not read or parse (skipped with `--lenient`).
    pub metadata_issues: Vec<String>,
    /// Unticked subtasks of tasks.md.
    pub unchecked_tasks: Vec<String>,
    /// `[NEEDS CLARIFICATION` markers, as `file:line`.
    pub needs_clarification: Vec<String>,
    /// Missing required artifacts.
    pub missing_artifacts: Vec<String>,
    /// Missing optional artifacts (not blocking).
    pub optional_missing: Vec<String>,
    /// Uncommitted changes in the mission's directory.
    pub git_dirty: Vec<String>,
}

impl Summary {
    /// Nothing outstanding.
    pub fn ok(&self) -> bool {
        self.outstanding().is_empty()
    }

    /// Every WP done (or canceled).
    pub fn all_done(&self) -> bool {
        self.work_packages
            .iter()
            .all(|(_, lane, _)| matches!(lane.as_str(), "done" | "canceled"))
    }

    /// The blocking buckets that are not empty, with their items.
    pub fn outstanding(&self) -> Vec<(&'static str, &[String])> {
        [
            ("Not approved", self.lane_issues.as_slice()),
            ("WP files", self.metadata_issues.as_slice()),
            ("Unchecked subtasks", self.unchecked_tasks.as_slice()),
            ("Needs clarification", self.needs_clarification.as_slice()),
            ("Missing artifacts", self.missing_artifacts.as_slice()),
            ("Uncommitted changes", self.git_dirty.as_slice()),
        ]
        .into_iter()
        .filter(|(_, items)| !items.is_empty())
        .collect()
    }

    /// 3.1.1's summary object (the keys this implementation fills).
    pub fn json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("mission_slug".into(), self.mission_slug.clone().into());
        m.insert("branch".into(), json!(self.branch));
        m.insert("target_branch".into(), self.target_branch.clone().into());
        m.insert("lanes".into(), json!(self.lanes));
        m.insert(
            "work_packages".into(),
            self.work_packages
                .iter()
                .map(|(id, lane, title)| json!({"id": id, "lane": lane, "title": title}))
                .collect(),
        );
        m.insert("lane_issues".into(), json!(self.lane_issues));
        m.insert("metadata_issues".into(), json!(self.metadata_issues));
        m.insert("unchecked_tasks".into(), json!(self.unchecked_tasks));
        m.insert(
            "needs_clarification".into(),
            json!(self.needs_clarification),
        );
        m.insert("missing_artifacts".into(), json!(self.missing_artifacts));
        m.insert("optional_missing".into(), json!(self.optional_missing));
        m.insert("git_dirty".into(), json!(self.git_dirty));
        m.insert("all_done".into(), self.all_done().into());
        m.insert("ok".into(), self.ok().into());
        m
    }
}

/// What an acceptance did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// `--mode checklist` or `--no-commit`: the checklist passed; nothing written.
    Checked(Summary),
    /// The mission was already accepted: nothing written.
    AlreadyAccepted {
        /// The checklist.
        summary: Summary,
        /// When, from meta.json.
        accepted_at: String,
        /// By whom, from meta.json.
        accepted_by: String,
    },
    /// Recorded.
    Accepted(Box<Accepted>),
}

/// A recorded acceptance.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The checklist.
    pub summary: Summary,
    /// When (as written to meta.json).
    pub accepted_at: String,
    /// Who.
    pub accepted_by: String,
    /// `pr` or `local`.
    pub mode: &'static str,
    /// HEAD before the acceptance commit.
    pub parent_commit: Option<String>,
    /// The acceptance commit.
    pub accept_commit: Option<String>,
    /// What to do next.
    pub instructions: Vec<String>,
    /// How the lane worktrees and branches go away.
    pub cleanup_instructions: Vec<String>,
}

/// Runs the checklist (nothing written).
pub fn check(root: &Path, mission: &MissionRef, lenient: bool) -> Result<Summary, Failure> {
    let b = board::board(root, mission)?;
    let dir = &mission.dir;
    let target_branch = b
        .meta
        .get("target_branch")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .unwrap_or_default();
    let mut lanes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut lane_issues = Vec::new();
    for w in &b.wps {
        lanes.entry(w.lane.clone()).or_default().push(w.id.clone());
        if !matches!(w.lane.as_str(), "approved" | "done" | "canceled") {
            lane_issues.push(format!("{} ({})", w.id, w.lane));
        }
    }
    if b.wps.is_empty() {
        lane_issues.push("the mission has no work packages (plan and finalize it first)".into());
    }
    let metadata_issues = if lenient {
        Vec::new()
    } else {
        b.warnings
            .iter()
            .filter(|d| d.code.starts_with("wp::"))
            .map(|d| d.message.clone())
            .collect()
    };
    let tasks_text = std::fs::read_to_string(dir.join("tasks.md")).unwrap_or_default();
    let unchecked_tasks = tasks_text
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("- [ ]") || l.starts_with("* [ ]"))
        .map(|l| l[5..].trim().to_owned())
        .collect();
    let mut needs_clarification = Vec::new();
    for name in [
        "spec.md",
        "plan.md",
        "quickstart.md",
        "tasks.md",
        "research.md",
        "data-model.md",
    ] {
        let Ok(text) = std::fs::read_to_string(dir.join(name)) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if line.contains("[NEEDS CLARIFICATION") {
                needs_clarification.push(format!("{name}:{}", i + 1));
            }
        }
    }
    let missing_artifacts = ["spec.md", "plan.md", "tasks.md"]
        .into_iter()
        .filter(|n| !dir.join(n).is_file())
        .map(str::to_owned)
        .collect();
    let optional_missing = ["quickstart.md", "data-model.md", "research.md", "contracts"]
        .into_iter()
        .filter(|n| !dir.join(n).exists())
        .map(str::to_owned)
        .collect();
    // Only the mission's own directory: other work in the checkout is not this mission's, and
    // `.worktrees/` never counts (A1).
    let git_dirty = if git::is_repo(root) {
        git::status_porcelain(root, &[rel_path(root, dir)])
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim_end().to_owned())
            .collect()
    } else {
        Vec::new()
    };
    Ok(Summary {
        mission_slug: mission.slug.clone(),
        branch: git::current_branch(root),
        target_branch,
        lanes,
        work_packages: b
            .wps
            .iter()
            .map(|w| {
                (
                    w.id.clone(),
                    w.lane.clone(),
                    w.title.clone().unwrap_or_default(),
                )
            })
            .collect(),
        lane_issues,
        metadata_issues,
        unchecked_tasks,
        needs_clarification,
        missing_artifacts,
        optional_missing,
        git_dirty,
    })
}

/// The checklist's failure: every outstanding item, and the summary as the JSON payload.
fn not_ready(summary: &Summary) -> Failure {
    let mut items = Vec::new();
    for (bucket, list) in summary.outstanding() {
        let shown: Vec<&str> = if bucket == "Unchecked subtasks" {
            // The ids are enough here; the JSON payload has the whole lines.
            list.iter()
                .map(|t| t.split_whitespace().next().unwrap_or(t))
                .collect()
        } else {
            list.iter().map(String::as_str).collect()
        };
        items.push(format!("{bucket}: {}", shown.join(", ")));
    }
    let mut f = Failure::simple(
        Diag::error(
            "accept::not-ready",
            format!(
                "mission `{}` is not ready for acceptance:\n{}",
                summary.mission_slug,
                items
                    .iter()
                    .map(|i| format!("- {i}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        )
        .with_help(
            "approve every work package, tick its subtasks in tasks.md, resolve the clarification markers and commit; `spec-kitty next` says what is left",
        ),
    );
    let mut payload = summary.json();
    payload.insert(
        "error".into(),
        format!(
            "mission `{}` is not ready for acceptance",
            summary.mission_slug
        )
        .into(),
    );
    f.payload = payload;
    f.versioned = false;
    f
}

/// Who accepts: `--actor`, else git's author identity (`GIT_AUTHOR_NAME` counts), else `$USER`.
fn acceptor(root: &Path, actor: Option<&str>) -> String {
    if let Some(a) = actor.map(str::trim).filter(|a| !a.is_empty()) {
        return a.to_owned();
    }
    git::run(root, &["var", "GIT_AUTHOR_IDENT"])
        .ok()
        .and_then(|ident| ident.split(" <").next().map(|n| n.trim().to_owned()))
        .filter(|n| !n.is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "system".to_owned())
}

/// Checks the mission and, unless `--mode checklist` or `--no-commit`, records the acceptance in
/// meta.json and commits it on the target branch (which must be checked out in the main checkout).
pub fn accept(root: &Path, mission: &MissionRef, opts: &Options) -> Result<Outcome, Failure> {
    // Check, write and commit under the locks every status writer takes: two agents accepting
    // at once give one acceptance, and the second finds it recorded.
    let _locks = if opts.mode == Mode::Checklist || opts.no_commit {
        None
    } else {
        Some(crate::runtime::board::TransitionLocks::take(
            root,
            &mission.slug,
        )?)
    };
    let summary = check(root, mission, opts.lenient)?;
    if !summary.ok() {
        return Err(not_ready(&summary));
    }
    if opts.mode == Mode::Checklist || opts.no_commit {
        return Ok(Outcome::Checked(summary));
    }
    let meta_path = mission.dir.join("meta.json");
    let mut meta: Map<String, Value> = std::fs::read_to_string(&meta_path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    if let Some(at) = meta
        .get("accepted_at")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        return Ok(Outcome::AlreadyAccepted {
            accepted_at: at.to_owned(),
            accepted_by: meta
                .get("accepted_by")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            summary,
        });
    }
    let in_git = git::is_repo(root);
    if in_git && !summary.target_branch.is_empty() {
        let current = summary.branch.clone();
        if current.as_deref() != Some(summary.target_branch.as_str()) {
            return Err(Failure::simple(
                Diag::error(
                    "accept::wrong-branch",
                    format!(
                        "the acceptance is recorded on {}, the mission's target branch, but the main checkout is on {}",
                        summary.target_branch,
                        current.as_deref().unwrap_or("a detached HEAD")
                    ),
                )
                .with_help(format!(
                    "`git switch {}` in {} and run accept again",
                    summary.target_branch,
                    root.display()
                )),
            ));
        }
    }
    let mode = match opts.mode {
        Mode::Pr => "pr",
        Mode::Local => "local",
        _ => {
            let has_remote =
                in_git && git::run(root, &["remote"]).is_ok_and(|r| !r.trim().is_empty());
            if has_remote { "pr" } else { "local" }
        }
    };
    let accepted_by = acceptor(root, opts.actor.as_deref());
    let accepted_at = UtcTime::now().isoformat();
    let parent_commit = if in_git { git::head(root).ok() } else { None };
    let entry = json!({
        "accepted_at": accepted_at,
        "accepted_by": accepted_by,
        "acceptance_mode": mode,
        "accepted_from_commit": parent_commit,
    });
    meta.insert("accepted_at".into(), accepted_at.clone().into());
    meta.insert("accepted_by".into(), accepted_by.clone().into());
    meta.insert("acceptance_mode".into(), mode.into());
    meta.insert("accepted_from_commit".into(), json!(parent_commit));
    let mut history = meta
        .get("acceptance_history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    history.push(entry);
    let excess = history.len().saturating_sub(20);
    history.drain(..excess);
    meta.insert("acceptance_history".into(), Value::Array(history));
    let sorted: BTreeMap<String, Value> = meta.into_iter().collect();
    let mut text = serde_json::to_string_pretty(&sorted).unwrap_or_default();
    text.push('\n');
    let accept_commit = if in_git {
        crate::support::util::write_atomic(&meta_path, text.as_bytes()).map_err(|e| {
            Failure::simple(crate::support::diagnostics::io_error(
                "accept::meta",
                &meta_path,
                &e,
            ))
        })?;
        Some(
            git::commit_paths(
                root,
                &[rel_path(root, &meta_path)],
                &format!("Accept {}", mission.slug),
            )
            .map_err(|e| Failure::simple(Diag::error("git::commit", e.to_string())))?,
        )
    } else {
        crate::support::util::write_atomic(&meta_path, text.as_bytes()).map_err(|e| {
            Failure::simple(crate::support::diagnostics::io_error(
                "accept::meta",
                &meta_path,
                &e,
            ))
        })?;
        None
    };
    let target = if summary.target_branch.is_empty() {
        summary.branch.clone().unwrap_or_else(|| "main".to_owned())
    } else {
        summary.target_branch.clone()
    };
    let mut instructions = vec![format!(
        "Land the lanes on `{target}`: `spec-kitty merge --mission {}` (`--dry-run` shows the plan first).",
        mission.slug
    )];
    if mode == "pr" {
        instructions.push(format!(
            "Then push `{target}` (`spec-kitty merge --push`, or `git push origin {target}`) and open a pull request if your workflow uses one."
        ));
    }
    let cleanup_instructions = vec![
        "`spec-kitty merge` removes the lane worktrees and branches once they are merged (`--keep-worktree`, `--keep-branch` keep them); a worktree with uncommitted work is never removed.".to_owned(),
    ];
    Ok(Outcome::Accepted(Box::new(Accepted {
        summary,
        accepted_at,
        accepted_by,
        mode,
        parent_commit,
        accept_commit,
        instructions,
        cleanup_instructions,
    })))
}
