//! `spec-kitty merge`: a finished mission's lanes land on its target branch, as one transaction.
//!
//! ```text
//!  lane-a ──┐
//!  lane-b ──┼──▶ kitty/mission-<slug> ──(merge | squash | rebase)──▶ <target>  + done events
//!  target ──┘    (lane-planning: the target itself)
//! ```
//!
//! Every step is computed with git plumbing ([`land`]): no working tree, index or ref changes until
//! all of them have succeeded. Then the mission branch and the target move (the target last, with
//! the checkout that has it checked out), the WPs go to `done` in a commit on the target, and the
//! lane worktrees and branches are removed as asked, never with uncommitted work in them. A step
//! that conflicts stops the merge with the files and the commands that resolve it, and leaves a
//! record ([`state`]) for `--resume` and `--abort`.

pub mod land;
pub mod state;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::compiler::lanes::PLANNING_LANE;
use crate::compiler::status::{self, Event};
use crate::project::{MissionRef, SPECS_DIR, rel_path};
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git::{self, GitError};
use crate::support::util::UtcTime;

pub use land::Strategy;
pub use state::MergeState;

/// What the command line asks for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--strategy` (else `.kittify/config.yaml` `merge.strategy`, else squash).
    pub strategy: Option<Strategy>,
    /// `--target` (else meta.json `target_branch`).
    pub target: Option<String>,
    /// `--push`.
    pub push: bool,
    /// `--keep-branch` when false.
    pub delete_branch: bool,
    /// `--keep-worktree` when false.
    pub remove_worktree: bool,
    /// `--resume`.
    pub resume: bool,
    /// `--allow-unapproved`.
    pub allow_unapproved: bool,
}

/// One lane of the plan.
#[derive(Debug, Clone)]
pub struct Lane {
    /// `lane-a`, ..., `lane-planning`.
    pub lane_id: String,
    /// Its WPs.
    pub wp_ids: Vec<String>,
    /// The branch that holds its work (the target for the planning lane).
    pub branch: String,
    /// Its worktree (`None` for the planning lane).
    pub worktree: Option<PathBuf>,
    /// The lane object of lanes.json, for the dry-run report.
    pub manifest: Map<String, Value>,
}

impl Lane {
    fn is_planning(&self) -> bool {
        self.lane_id == PLANNING_LANE
    }
}

/// The merge as planned: what `--dry-run` shows and what a real merge carries out.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The mission.
    pub slug: String,
    /// meta.json `mission_id`.
    pub mission_id: Option<String>,
    /// `kitty/mission-<slug>`.
    pub mission_branch: String,
    /// The target branch.
    pub target_branch: String,
    /// Where the target came from (`--target`, `meta.json`, ...), for messages.
    pub target_source: &'static str,
    /// The strategy.
    pub strategy: Strategy,
    /// The lanes in lanes.json order.
    pub lanes: Vec<Lane>,
}

impl Plan {
    /// 3.1.1's `--dry-run --json` document (without `spec_kitty_version`).
    pub fn dry_run_json(&self, opts: &Options) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("mission_slug".into(), self.slug.clone().into());
        m.insert("target_branch".into(), self.target_branch.clone().into());
        m.insert("strategy".into(), self.strategy.as_str().into());
        m.insert("delete_branch".into(), opts.delete_branch.into());
        m.insert("remove_worktree".into(), opts.remove_worktree.into());
        m.insert("push".into(), opts.push.into());
        m.insert("mission_branch".into(), self.mission_branch.clone().into());
        let lanes = self
            .lanes
            .iter()
            .map(|l| {
                let mut o = Map::new();
                o.insert("lane_id".into(), l.lane_id.clone().into());
                o.insert("wp_ids".into(), json!(l.wp_ids));
                for key in [
                    "write_scope",
                    "predicted_surfaces",
                    "depends_on_lanes",
                    "parallel_group",
                ] {
                    o.insert(
                        key.into(),
                        l.manifest.get(key).cloned().unwrap_or_else(|| {
                            if key == "parallel_group" {
                                Value::from(0)
                            } else {
                                json!([])
                            }
                        }),
                    );
                }
                Value::Object(o)
            })
            .collect();
        m.insert("lanes".into(), Value::Array(lanes));
        m
    }
}

/// How one lane went into the mission branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneOutcome {
    /// The lane.
    pub lane_id: String,
    /// Its branch.
    pub branch: String,
    /// `merged`, `fast-forward`, `up-to-date` or `skipped` (every WP already done).
    pub outcome: &'static str,
}

/// A WP the merge moved to done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneWp {
    /// The WP.
    pub wp_id: String,
    /// The reviewer who approved it (`None` when it landed unapproved with `--allow-unapproved`).
    pub reviewer: Option<String>,
}

/// What happened to the push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Push {
    /// Not asked for.
    NotRequested,
    /// Asked for, but the repository has no `origin`.
    NoRemote,
    /// Pushed.
    Pushed,
    /// The remote refused; git's message. The local merge is complete.
    Failed(String),
}

/// A finished merge.
#[derive(Debug, Clone)]
pub struct Report {
    /// The plan carried out.
    pub plan: Plan,
    /// Nothing to do: every WP was already done on the target.
    pub already_merged: bool,
    /// An interrupted merge was continued.
    pub resumed: bool,
    /// Per lane.
    pub lanes: Vec<LaneOutcome>,
    /// How the mission branch went into the target: `committed`, `fast-forward` or `up-to-date`.
    pub landed: &'static str,
    /// The target before.
    pub target_before: String,
    /// The commit the mission landed as (before the done commit).
    pub landed_commit: String,
    /// The WPs moved to done.
    pub done: Vec<DoneWp>,
    /// The commit recording them (the target's new tip).
    pub target_after: String,
    /// The checkout whose index and working tree moved with the target, if it is checked out.
    pub checkout_updated: Option<PathBuf>,
    /// Worktrees removed (relative paths).
    pub worktrees_removed: Vec<String>,
    /// Worktrees kept, and why.
    pub worktrees_kept: Vec<(String, String)>,
    /// Branches deleted.
    pub branches_deleted: Vec<String>,
    /// Branches kept, and why.
    pub branches_kept: Vec<(String, String)>,
    /// The push.
    pub push: Push,
}

/// What `--abort` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aborted {
    /// Whether there was a merge record.
    pub had_state: bool,
    /// The mission branch, if it was put back: (branch, commit).
    pub restored: Option<(String, String)>,
}

fn fail(code: &'static str, message: impl Into<String>, help: impl Into<String>) -> Failure {
    Failure::simple(Diag::error(code, message).with_help(help))
}

fn git_fail(e: GitError) -> Failure {
    Failure::simple(Diag::error("merge::git", e.to_string()).with_help(
        "nothing was moved; fix the git problem above and run the merge again (`--resume` continues)",
    ))
}

/// Refuses to run anywhere but the main checkout (a lane worktree's branch is one of the things
/// the merge moves and removes).
pub fn check_location(root: &Path, cwd: &Path) -> Result<(), Failure> {
    let top = git::run(cwd, &["rev-parse", "--show-toplevel"])
        .map(|s| PathBuf::from(s.trim()))
        .ok();
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    match top {
        Some(t) if canon(&t) != canon(root) => Err(fail(
            "merge::not-main-checkout",
            format!(
                "`merge` must run from the main checkout, not from the worktree {}",
                rel_path(&canon(root), &canon(&t))
            ),
            format!("cd {} and run it there", root.display()),
        )),
        _ => Ok(()),
    }
}

/// The mission named by a lane or mission branch (`kitty/mission-<slug>[-lane-x]`).
pub fn mission_from_branch(branch: &str) -> Option<String> {
    let rest = branch.strip_prefix("kitty/mission-")?;
    let slug = match rest.rfind("-lane-") {
        Some(i) => &rest[..i],
        None => rest,
    };
    (!slug.is_empty()).then(|| slug.to_owned())
}

/// The strategy: the flag, else `.kittify/config.yaml` `merge.strategy`, else squash. A value in
/// the config that is not a strategy is an error naming the file.
pub fn resolve_strategy(root: &Path, flag: Option<Strategy>) -> Result<Strategy, Failure> {
    if let Some(s) = flag {
        return Ok(s);
    }
    let path = root.join(".kittify").join("config.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Strategy::Squash);
    };
    let value: yaml_serde::Value = yaml_serde::from_str(&text).map_err(|e| {
        fail(
            "merge::config-invalid",
            format!(".kittify/config.yaml is not valid YAML: {e}"),
            "fix the file (or remove `merge.strategy` to use squash)",
        )
    })?;
    let configured = value
        .get("merge")
        .and_then(|m| m.get("strategy"))
        .and_then(yaml_serde::Value::as_str);
    match configured {
        None => Ok(Strategy::Squash),
        Some(s) => Strategy::parse(s.trim()).ok_or_else(|| {
            fail(
                "merge::config-strategy",
                format!(
                    "Invalid merge.strategy '{s}' in .kittify/config.yaml. Allowed values: merge, rebase, squash."
                ),
                "set `merge.strategy` to merge, squash or rebase in .kittify/config.yaml, or pass --strategy",
            )
        }),
    }
}

fn read_json_map(text: Option<String>) -> Map<String, Value> {
    text.and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

/// Builds the plan: target, strategy and lanes. Checks only what the plan needs (lanes.json, the
/// target branch); nothing is read from or written to any branch.
pub fn plan(root: &Path, mission: &MissionRef, opts: &Options) -> Result<Plan, Failure> {
    let slug = mission.slug.clone();
    let lanes_path = mission.dir.join("lanes.json");
    let text = std::fs::read_to_string(&lanes_path).map_err(|_| {
        fail(
            "merge::not-finalized",
            format!(
                "lanes.json is required for {}: the mission is not finalized",
                rel_path(root, &mission.dir)
            ),
            format!("run `spec-kitty agent mission finalize-tasks --mission {slug}` first"),
        )
    })?;
    let manifest: Map<String, Value> = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .ok_or_else(|| {
            fail(
                "merge::lanes-invalid",
                format!("{} is corrupt or malformed", rel_path(root, &lanes_path)),
                format!("re-run `spec-kitty agent mission finalize-tasks --mission {slug}`"),
            )
        })?;
    let meta = read_json_map(std::fs::read_to_string(mission.dir.join("meta.json")).ok());
    let nonempty = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (target_branch, target_source) = if let Some(t) = opts.target.clone() {
        (t, "--target")
    } else if let Some(t) = nonempty(meta.get("target_branch")) {
        (t, "meta.json")
    } else if let Some(t) = nonempty(manifest.get("target_branch")) {
        (t, "lanes.json")
    } else if let Some(t) = git::current_branch(root) {
        (t, "the current branch")
    } else {
        ("main".to_owned(), "the default")
    };
    if git::branch_tip(root, &target_branch).is_none() {
        return Err(fail(
            "merge::target-missing",
            format!("Target branch '{target_branch}' (from {target_source}) does not exist"),
            if git::commit_of(root, &format!("refs/remotes/origin/{target_branch}")).is_some() {
                format!(
                    "create it from the remote first: `git branch {target_branch} origin/{target_branch}`"
                )
            } else {
                format!(
                    "check `target_branch` in {}, or pass --target <branch>",
                    rel_path(root, &mission.dir.join("meta.json"))
                )
            },
        ));
    }
    let mission_branch =
        nonempty(manifest.get("mission_branch")).unwrap_or_else(|| format!("kitty/mission-{slug}"));
    let strategy = resolve_strategy(root, opts.strategy)?;
    let lanes = manifest
        .get("lanes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|l| l.as_object().cloned())
        .filter_map(|l| {
            let lane_id = l.get("lane_id")?.as_str()?.to_owned();
            let wp_ids: Vec<String> = l
                .get("wp_ids")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let planning = lane_id == PLANNING_LANE;
            Some(Lane {
                branch: if planning {
                    target_branch.clone()
                } else {
                    format!("kitty/mission-{slug}-{lane_id}")
                },
                worktree: (!planning)
                    .then(|| root.join(".worktrees").join(format!("{slug}-{lane_id}"))),
                lane_id,
                wp_ids,
                manifest: l,
            })
        })
        .collect();
    Ok(Plan {
        mission_id: nonempty(meta.get("mission_id")),
        slug,
        mission_branch,
        target_branch,
        target_source,
        strategy,
        lanes,
    })
}

/// The mission's status, read from the target branch (where the loop records it and where the
/// merge records `done`).
struct TargetStatus {
    events_path: String,
    status_path: String,
    events_text: String,
    events: Vec<Event>,
    lanes: std::collections::BTreeMap<String, String>,
}

fn target_status(root: &Path, plan: &Plan, rev: &str) -> TargetStatus {
    let dir = format!("{SPECS_DIR}/{}", plan.slug);
    let events_path = format!("{dir}/{}", status::EVENTS_FILE);
    let status_path = format!("{dir}/{}", status::STATUS_FILE);
    let events_text = git::show_file(root, rev, &events_path).unwrap_or_default();
    let (events, _) = status::parse_events(&events_text);
    let lanes = status::reduce(&events)
        .1
        .into_iter()
        .map(|(wp, s)| (wp, s.lane))
        .collect();
    TargetStatus {
        events_path,
        status_path,
        events_text,
        events,
        lanes,
    }
}

impl TargetStatus {
    fn lane_of(&self, wp: &str) -> &str {
        self.lanes.get(wp).map_or("planned", String::as_str)
    }

    /// The reviewer of the WP's last approval: the approving event's review evidence, else its
    /// actor.
    fn approver(&self, wp: &str) -> Option<String> {
        let (ordered, _) = status::reduce(&self.events);
        ordered
            .iter()
            .rev()
            .find(|e| e.wp_id == wp && e.to_lane == "approved")
            .map(|e| {
                e.evidence
                    .pointer("/review/reviewer")
                    .and_then(Value::as_str)
                    .filter(|r| !r.is_empty())
                    .map_or_else(|| e.actor.clone(), str::to_owned)
            })
    }
}

fn is_finished(lane: &str) -> bool {
    matches!(lane, "done" | "canceled")
}

/// `--abort`: discards the merge record and puts the mission branch back where it was before the
/// merge (when the merge got as far as moving it). Lane branches, worktrees and the target are
/// never touched by an unfinished merge, so there is nothing else to restore.
pub fn abort(root: &Path, mission: &MissionRef) -> Result<Aborted, Failure> {
    let _lock = git::commit_lock(root).map_err(git_fail)?;
    let Some(st) = state::load(root, &mission.slug)? else {
        return Ok(Aborted {
            had_state: false,
            restored: None,
        });
    };
    let branch = format!("kitty/mission-{}", mission.slug);
    let mut restored = None;
    if let Some(before) = &st.mission_branch_before
        && let Some(now) = git::branch_tip(root, &branch)
        && &now != before
        && git::is_ancestor(root, before, &now)
        && git::checked_out_at(root, &branch).is_none()
    {
        git::run(
            root,
            &["update-ref", &format!("refs/heads/{branch}"), before, &now],
        )
        .map_err(git_fail)?;
        restored = Some((branch, before.clone()));
    }
    state::remove(root, &mission.slug)?;
    Ok(Aborted {
        had_state: true,
        restored,
    })
}

/// Whether a merge record exists for the mission (an interrupted merge).
pub fn interrupted(root: &Path, slug: &str) -> Result<Option<MergeState>, Failure> {
    state::load(root, slug)
}

/// Runs the merge.
pub fn merge(root: &Path, mission: &MissionRef, opts: &Options) -> Result<Report, Failure> {
    let plan = plan(root, mission, opts)?;
    // One merge (and no other spec-kitty commit) at a time in this repository.
    let _lock = git::commit_lock(root).map_err(git_fail)?;
    let prior = state::load(root, &plan.slug)?;
    if opts.resume && prior.is_none() {
        return Err(fail(
            "merge::nothing-to-resume",
            "No interrupted merge to resume.",
            format!(
                "run `spec-kitty merge --mission {}` to start one",
                plan.slug
            ),
        ));
    }
    let resumed = prior.is_some();
    let tb = plan.target_branch.clone();
    let mb = plan.mission_branch.clone();
    let target_before = git::branch_tip(root, &tb).ok_or_else(|| {
        fail(
            "merge::target-missing",
            format!("Target branch '{tb}' does not exist"),
            "pass --target <branch>",
        )
    })?;
    let status_before = target_status(root, &plan, &target_before);
    let all_wps: Vec<String> = plan
        .lanes
        .iter()
        .flat_map(|l| l.wp_ids.iter().cloned())
        .collect();

    // Already merged: every WP is done on the target. Nothing changes (a leftover record of an
    // earlier, finished merge is the only thing removed).
    if !all_wps.is_empty()
        && all_wps
            .iter()
            .all(|w| is_finished(status_before.lane_of(w)))
    {
        if resumed {
            state::remove(root, &plan.slug)?;
        }
        return Ok(Report {
            lanes: Vec::new(),
            already_merged: true,
            resumed,
            landed: "up-to-date",
            landed_commit: target_before.clone(),
            target_after: target_before.clone(),
            target_before,
            done: Vec::new(),
            checkout_updated: None,
            worktrees_removed: Vec::new(),
            worktrees_kept: Vec::new(),
            branches_deleted: Vec::new(),
            branches_kept: Vec::new(),
            // A push that failed last time is retried.
            push: if opts.push {
                push(root, &tb)
            } else {
                Push::NotRequested
            },
            plan,
        });
    }

    preflight(root, &plan, &status_before, opts)?;

    let now = UtcTime::now().isoformat();
    let mission_before = git::branch_tip(root, &mb);
    let mut record = prior.unwrap_or_else(|| MergeState {
        mission_id: plan.mission_id.clone(),
        mission_slug: plan.slug.clone(),
        target_branch: tb.clone(),
        wp_order: all_wps.clone(),
        completed_wps: Vec::new(),
        current_wp: None,
        has_pending_conflicts: false,
        strategy: plan.strategy.as_str().to_owned(),
        workspace_path: Some(root.display().to_string()),
        started_at: now.clone(),
        updated_at: now.clone(),
        failed_step: None,
        conflicting_files: Vec::new(),
        mission_branch_before: mission_before.clone(),
    });
    record.strategy = plan.strategy.as_str().to_owned();
    record.completed_wps.clear();

    // 1. Lanes into the mission branch, in lanes.json order, in memory.
    let mut tip = mission_before
        .clone()
        .unwrap_or_else(|| target_before.clone());
    let mut lanes = Vec::new();
    let mut merged_before: Vec<&Lane> = Vec::new();
    for lane in &plan.lanes {
        if lane
            .wp_ids
            .iter()
            .all(|w| is_finished(status_before.lane_of(w)))
        {
            lanes.push(LaneOutcome {
                lane_id: lane.lane_id.clone(),
                branch: lane.branch.clone(),
                outcome: "skipped",
            });
            continue;
        }
        let lane_tip = if lane.is_planning() {
            target_before.clone()
        } else {
            git::branch_tip(root, &lane.branch).unwrap_or_default()
        };
        let step = land::merge_into(
            root,
            &tip,
            &lane_tip,
            &format!("Merge {} into {mb}", lane.branch),
        )
        .map_err(git_fail)?;
        if let land::Step::Conflicts(files) = &step {
            record.failed_step = Some(lane.lane_id.clone());
            record.current_wp = lane.wp_ids.first().cloned();
            return Err(conflict(
                root,
                &plan,
                &mut record,
                lane,
                &merged_before,
                files,
            ));
        }
        lanes.push(LaneOutcome {
            lane_id: lane.lane_id.clone(),
            branch: lane.branch.clone(),
            outcome: match step {
                land::Step::UpToDate => "up-to-date",
                land::Step::FastForward(_) => "fast-forward",
                _ => "merged",
            },
        });
        tip = step.tip(&tip).to_owned();
        record.completed_wps.extend(lane.wp_ids.iter().cloned());
        merged_before.push(lane);
    }

    // 2. The mission branch into the target, with the strategy.
    let step = land::land(root, plan.strategy, &target_before, &tip, &mb, &tb).map_err(git_fail)?;
    if let land::Step::Conflicts(files) = &step {
        record.failed_step = Some("target".to_owned());
        record.current_wp = None;
        let target_lane = Lane {
            lane_id: "target".into(),
            wp_ids: Vec::new(),
            branch: tb.clone(),
            worktree: None,
            manifest: Map::new(),
        };
        return Err(conflict(
            root,
            &plan,
            &mut record,
            &target_lane,
            &merged_before,
            files,
        ));
    }
    let landed = match step {
        land::Step::UpToDate => "up-to-date",
        land::Step::FastForward(_) => "fast-forward",
        _ => "committed",
    };
    let landed_commit = step.tip(&target_before).to_owned();

    // 3. Every WP to done, in a commit on top of the landed target.
    let (target_after, done) = record_done(root, &plan, &landed_commit, &status_before, opts)?;

    // 4. The checkout that has the target checked out must be able to follow it.
    let checkout = git::checked_out_at(root, &tb);
    if let Some(dir) = &checkout {
        let changed = git::run(
            root,
            &[
                "diff",
                "--name-only",
                "--no-renames",
                &target_before,
                &target_after,
            ],
        )
        .map_err(git_fail)?;
        let paths: Vec<String> = changed.lines().map(str::to_owned).collect();
        let dirty = git::status_porcelain(dir, &paths).map_err(git_fail)?;
        let dirty: Vec<&str> = dirty
            .lines()
            .map(|l| l.get(3..).unwrap_or(l).trim())
            .filter(|l| !l.is_empty())
            .collect();
        if !dirty.is_empty() {
            state::save(root, &record)?;
            return Err(fail(
                "merge::checkout-dirty",
                format!(
                    "{} has uncommitted changes in files the merge changes: {}",
                    dir.display(),
                    dirty.join(", ")
                ),
                format!(
                    "commit or stash them, then run `spec-kitty merge --mission {} --resume`; nothing was moved",
                    plan.slug
                ),
            ));
        }
    }

    // 5. Move the branches: the mission branch, then the target (with its checkout), last.
    record.has_pending_conflicts = false;
    record.failed_step = None;
    record.conflicting_files.clear();
    record.updated_at = UtcTime::now().isoformat();
    state::save(root, &record)?;
    if let Some(before) = &mission_before {
        git::advance_branch(root, &mb, before, &tip).map_err(git_fail)?;
    }
    git::advance_branch(root, &tb, &target_before, &target_after).map_err(git_fail)?;
    state::remove(root, &plan.slug)?;

    // 6. Clean up, as the flags say and never at the cost of uncommitted work.
    let mut report = Report {
        lanes,
        already_merged: false,
        resumed,
        landed,
        landed_commit,
        target_before,
        target_after,
        done,
        checkout_updated: checkout,
        worktrees_removed: Vec::new(),
        worktrees_kept: Vec::new(),
        branches_deleted: Vec::new(),
        branches_kept: Vec::new(),
        push: Push::NotRequested,
        plan,
    };
    cleanup(root, &mut report, opts);
    if opts.push {
        report.push = push(root, &report.plan.target_branch);
    }
    Ok(report)
}

/// Refusals before anything is computed: unapproved WPs, no acceptance, missing lane branches,
/// uncommitted work in lane worktrees.
fn preflight(
    root: &Path,
    plan: &Plan,
    status: &TargetStatus,
    opts: &Options,
) -> Result<(), Failure> {
    let slug = &plan.slug;
    let mut wps: Vec<&String> = plan.lanes.iter().flat_map(|l| l.wp_ids.iter()).collect();
    wps.sort();
    let unapproved: Vec<String> = wps
        .into_iter()
        .filter(|w| !matches!(status.lane_of(w), "approved" | "done" | "canceled"))
        .map(|w| format!("{w} ({})", status.lane_of(w)))
        .collect();
    if !unapproved.is_empty() && !opts.allow_unapproved {
        return Err(fail(
            "merge::not-approved",
            format!(
                "mission `{slug}` has work packages that are not approved on {}: {}",
                plan.target_branch,
                unapproved.join(", ")
            ),
            format!(
                "review and approve them first (`spec-kitty next --agent <name> --mission {slug}`), or pass --allow-unapproved to land them anyway (recorded in their done events)"
            ),
        ));
    }
    let meta = read_json_map(git::show_file(
        root,
        &format!("refs/heads/{}", plan.target_branch),
        &format!("{SPECS_DIR}/{slug}/meta.json"),
    ));
    let accepted = meta
        .get("accepted_at")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    if !accepted && !opts.allow_unapproved {
        return Err(fail(
            "merge::not-accepted",
            format!("mission `{slug}` is not accepted on {}", plan.target_branch),
            format!(
                "run `spec-kitty accept --mission {slug}` first (it checks the mission and records the acceptance)"
            ),
        ));
    }
    let mut dirty = Vec::new();
    for lane in &plan.lanes {
        if lane.is_planning() || lane.wp_ids.iter().all(|w| is_finished(status.lane_of(w))) {
            continue;
        }
        if git::branch_tip(root, &lane.branch).is_none() {
            return Err(fail(
                "merge::lane-branch-missing",
                format!(
                    "Lane branch {} of {} does not exist",
                    lane.branch, lane.lane_id
                ),
                format!(
                    "its WPs ({}) have no implementation to merge; implement them (`spec-kitty agent action implement {} --agent <name> --mission {slug}`) or cancel them",
                    lane.wp_ids.join(", "),
                    lane.wp_ids.first().map_or("WP01", String::as_str)
                ),
            ));
        }
        if let Some(wt) = lane.worktree.as_ref().filter(|p| p.is_dir()) {
            let files = worktree_changes(wt);
            if !files.is_empty() {
                dirty.push(format!("{}: {}", rel_path(root, wt), files.join(", ")));
            }
        }
    }
    if !dirty.is_empty() {
        return Err(fail(
            "merge::worktree-dirty",
            format!("uncommitted work in lane worktrees:\n{}", dirty.join("\n")),
            "commit it in the lane worktree (it is part of the lane) or move it out; the merge never deletes uncommitted work",
        ));
    }
    Ok(())
}

/// Uncommitted and untracked files of a worktree (paths relative to it).
fn worktree_changes(dir: &Path) -> Vec<String> {
    git::status_porcelain(dir, &[])
        .map(|out| {
            out.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.get(3..).unwrap_or(l).trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Records the stopped step and builds the diagnostic: the conflicting files and the commands that
/// resolve the conflict where the work lives (a lane worktree), then `--resume`.
fn conflict(
    root: &Path,
    plan: &Plan,
    record: &mut MergeState,
    lane: &Lane,
    merged_before: &[&Lane],
    files: &[String],
) -> Failure {
    record.has_pending_conflicts = true;
    record.conflicting_files = files.to_vec();
    record.updated_at = UtcTime::now().isoformat();
    let saved = state::save(root, record);
    let slug = &plan.slug;
    let tb = &plan.target_branch;
    let (verb, conclude) = if plan.strategy == Strategy::Rebase {
        ("rebase", "rebase --continue")
    } else {
        ("merge", "commit --no-edit")
    };
    let finish = format!("# fix the files, `git add` them, `git {conclude}`");
    let back = format!("cd {}", root.display());
    let touches = |l: &Lane| -> bool {
        let tip = if l.is_planning() { tb } else { &l.branch };
        let base = git::run(root, &["merge-base", tip, tb])
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        let changed = if l.is_planning() {
            // The target's side: what it changed since the mission branch started.
            let mb_base = git::run(root, &["merge-base", &plan.mission_branch, tb])
                .map(|s| s.trim().to_owned())
                .unwrap_or_default();
            git::run(root, &["diff", "--name-only", &mb_base, tb]).unwrap_or_default()
        } else {
            git::run(root, &["diff", "--name-only", &base, tip]).unwrap_or_default()
        };
        changed.lines().any(|f| files.iter().any(|c| c == f))
    };
    let cd = |l: &Lane| -> Vec<String> {
        let Some(wt) = &l.worktree else {
            return Vec::new();
        };
        let rel = rel_path(root, wt);
        let mut v = Vec::new();
        if !wt.is_dir() {
            v.push(format!("git worktree add {rel} {}", l.branch));
        }
        v.push(format!("cd {rel}"));
        v
    };
    // Where to resolve: in the stopped lane, bringing in the earlier lanes it conflicts with; or,
    // when the target is what conflicts (the planning lane or the landing step), in each code lane
    // that touches the files, bringing in the target.
    let mut commands = Vec::new();
    let (step_name, against) = if lane.is_planning() || lane.lane_id == "target" {
        let code: Vec<&&Lane> = merged_before.iter().filter(|l| !l.is_planning()).collect();
        let mut culprits: Vec<&&Lane> = code.iter().copied().filter(|l| touches(l)).collect();
        if culprits.is_empty() {
            culprits = code;
        }
        for l in culprits {
            commands.extend(cd(l));
            commands.push(format!("git {verb} {tb}"));
            commands.push(finish.clone());
            commands.push(back.clone());
        }
        (
            if lane.is_planning() {
                format!(
                    "{tb} (lane-planning) does not merge into {}",
                    plan.mission_branch
                )
            } else {
                format!("{} does not land on {tb}", plan.mission_branch)
            },
            tb.clone(),
        )
    } else {
        let mut culprits: Vec<&&Lane> = merged_before.iter().filter(|l| touches(l)).collect();
        if culprits.is_empty() {
            culprits = merged_before.iter().collect();
        }
        commands.extend(cd(lane));
        for l in &culprits {
            commands.push(format!("git {verb} {}", l.branch));
        }
        commands.push(finish);
        commands.push(back);
        (
            format!(
                "{} ({}) does not merge into {}",
                lane.lane_id, lane.branch, plan.mission_branch
            ),
            culprits
                .iter()
                .map(|l| l.lane_id.clone())
                .collect::<Vec<_>>()
                .join(", "),
        )
    };
    commands.push(format!("spec-kitty merge --mission {slug} --resume"));
    let state_rel = rel_path(root, &state::path(root, slug));
    let mut diag = Diag::error(
        "merge::conflict",
        format!(
            "{step_name}: conflicting changes in {} (against {against}). Nothing was moved; {tb} is untouched",
            files.join(", ")
        ),
    )
    .with_help(format!(
        "resolve it in the lane's worktree, then resume:\n  {}\nor give up with `spec-kitty merge --mission {slug} --abort`",
        commands.join("\n  ")
    ));
    if let Err(f) = saved {
        diag = diag.with_related(f.diagnostics.into_iter().next().unwrap_or_else(|| {
            Diag::error("merge::state", "the merge record could not be written")
        }));
    }
    let mut failure = Failure::simple(diag);
    failure
        .payload
        .insert("error_code".into(), "MERGE_CONFLICT".into());
    failure
        .payload
        .insert("step".into(), json!(record.failed_step));
    failure
        .payload
        .insert("conflicting_files".into(), json!(files));
    failure.payload.insert("resolve".into(), json!(commands));
    failure
        .payload
        .insert("state_file".into(), state_rel.into());
    failure
}

/// Appends the done events to the log as it is in `landed` and commits log and snapshot on top of
/// it. Returns the commit and the WPs moved.
fn record_done(
    root: &Path,
    plan: &Plan,
    landed: &str,
    before: &TargetStatus,
    opts: &Options,
) -> Result<(String, Vec<DoneWp>), Failure> {
    let at_landed = target_status(root, plan, landed);
    let mut text = at_landed.events_text.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let mut events = at_landed.events.clone();
    let mut done = Vec::new();
    for lane in &plan.lanes {
        for wp in &lane.wp_ids {
            let from = at_landed.lane_of(wp).to_owned();
            if is_finished(&from) {
                continue;
            }
            let reviewer = before.approver(wp).filter(|_| from == "approved");
            let unapproved = from != "approved";
            let evidence = match &reviewer {
                Some(r) => {
                    json!({"review": {"reference": format!("lane-approved:{wp}"), "reviewer": r, "verdict": "approved"}})
                }
                None => Value::Null,
            };
            let event = Event {
                actor: "merge".into(),
                at: UtcTime::now().isoformat(),
                event_id: status::new_event_id(),
                evidence,
                execution_mode: if lane.is_planning() {
                    "direct_repo"
                } else {
                    "worktree"
                }
                .into(),
                force: unapproved,
                from_lane: from.clone(),
                mission_slug: plan.slug.clone().into(),
                policy_metadata: Value::Null,
                reason: if unapproved && opts.allow_unapproved {
                    format!(
                        "Merged {wp} into {} without approval (--allow-unapproved; it was {from})",
                        plan.target_branch
                    )
                } else {
                    format!("Merged {wp} into {}", plan.target_branch)
                }
                .into(),
                review_ref: Value::Null,
                to_lane: "done".into(),
                wp_id: wp.clone(),
            };
            text.push_str(&event.to_line());
            text.push('\n');
            events.push(event);
            done.push(DoneWp {
                wp_id: wp.clone(),
                reviewer,
            });
        }
    }
    if done.is_empty() {
        return Ok((landed.to_owned(), done));
    }
    done.sort_by(|a, b| a.wp_id.cmp(&b.wp_id));
    let meta = read_json_map(git::show_file(
        root,
        landed,
        &format!("{SPECS_DIR}/{}/meta.json", plan.slug),
    ));
    let snapshot = status::snapshot_json(&events, &plan.slug, &meta);
    let commit = git::commit_files(
        root,
        landed,
        &[
            (before.events_path.clone(), text.into_bytes()),
            (before.status_path.clone(), snapshot.into_bytes()),
        ],
        &format!(
            "chore({}): record done transitions for merged WPs",
            plan.slug
        ),
    )
    .map_err(git_fail)?;
    Ok((commit, done))
}

/// Removes lane worktrees and deletes lane branches and the mission branch, as the flags say. A
/// worktree with uncommitted work, or a branch checked out somewhere or moved since the merge, is
/// kept and the reason reported.
fn cleanup(root: &Path, report: &mut Report, opts: &Options) {
    let plan = report.plan.clone();
    let mut branches: Vec<String> = Vec::new();
    for lane in plan.lanes.iter().filter(|l| !l.is_planning()) {
        if let Some(wt) = lane.worktree.as_ref().filter(|p| p.is_dir()) {
            let rel = rel_path(root, wt);
            if !opts.remove_worktree {
                report
                    .worktrees_kept
                    .push((rel, "--keep-worktree".to_owned()));
            } else {
                let changes = worktree_changes(wt);
                if !changes.is_empty() {
                    report
                        .worktrees_kept
                        .push((rel, format!("uncommitted work: {}", changes.join(", "))));
                } else {
                    let path = wt.display().to_string();
                    match git::run(root, &["worktree", "remove", &path]) {
                        Ok(_) => report.worktrees_removed.push(rel),
                        Err(e) => report.worktrees_kept.push((rel, e.message)),
                    }
                }
            }
        }
        if git::branch_tip(root, &lane.branch).is_some() {
            branches.push(lane.branch.clone());
        }
    }
    if git::branch_tip(root, &plan.mission_branch).is_some() {
        branches.push(plan.mission_branch.clone());
    }
    for b in &branches {
        if !opts.delete_branch {
            report
                .branches_kept
                .push((b.clone(), "--keep-branch".to_owned()));
            continue;
        }
        if let Some(dir) = git::checked_out_at(root, b) {
            report.branches_kept.push((
                b.clone(),
                format!("checked out in {}", rel_path(root, &dir)),
            ));
            continue;
        }
        let Some(tip) = git::branch_tip(root, b) else {
            continue;
        };
        match git::run(
            root,
            &["update-ref", "-d", &format!("refs/heads/{b}"), &tip],
        ) {
            Ok(_) => report.branches_deleted.push(b.clone()),
            Err(e) => report.branches_kept.push((b.clone(), e.message)),
        }
    }
    let _ = git::run(root, &["worktree", "prune"]);
}

fn push(root: &Path, target: &str) -> Push {
    let has_origin = git::run(root, &["remote"])
        .map(|r| r.lines().any(|l| l.trim() == "origin"))
        .unwrap_or(false);
    if !has_origin {
        return Push::NoRemote;
    }
    match git::run(root, &["push", "--quiet", "origin", target]) {
        Ok(_) => Push::Pushed,
        Err(e) => Push::Failed(e.message),
    }
}
