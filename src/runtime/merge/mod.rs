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

mod cleanup;
mod conflict;
mod done;
pub mod land;
mod plan;
mod preflight;
pub mod state;
mod target;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::compiler::lanes::PLANNING_LANE;
use crate::compiler::lanes_manifest::mission_branch;
use crate::project::MissionRef;
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git::{self, GitError};
use crate::support::util::UtcTime;

pub use land::Strategy;
pub use plan::{check_location, mission_from_branch, plan, resolve_strategy};
pub use state::MergeState;

use cleanup::{cleanup, push};
use conflict::conflict;
use done::record_done;
use preflight::preflight;
use target::{TargetStatus, is_finished, target_status};

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
    let branch = mission_branch(&mission.slug);
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

/// What would stop a merge of `plan` if it ran now: the first refusal it would make (unapproved
/// WPs, no acceptance, a missing lane branch, uncommitted work in a lane worktree, no target
/// branch). For `--dry-run`, which itself never refuses, as in 3.1.1. `None` when the merge would
/// go ahead or the mission is already merged.
pub fn would_stop(root: &Path, plan: &Plan, opts: &Options) -> Option<Failure> {
    let target = match target_tip(root, plan) {
        Ok(tip) => tip,
        Err(f) => return Some(f),
    };
    let status = target_status(root, plan, &target);
    if already_merged(plan, &status) {
        return None;
    }
    preflight(root, plan, &status, opts).err()
}

/// The target branch's tip, which a merge needs to exist.
fn target_tip(root: &Path, plan: &Plan) -> Result<String, Failure> {
    git::branch_tip(root, &plan.target_branch).ok_or_else(|| {
        fail(
            "merge::target-missing",
            format!("Target branch '{}' does not exist", plan.target_branch),
            "pass --target <branch>",
        )
    })
}

/// Every WP of the mission is finished (done or canceled) on the target: nothing to merge.
fn already_merged(plan: &Plan, status: &TargetStatus) -> bool {
    let mut wps = plan.lanes.iter().flat_map(|l| l.wp_ids.iter()).peekable();
    wps.peek().is_some() && wps.all(|w| is_finished(status.lane_of(w)))
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
    let target_before = target_tip(root, &plan)?;
    let status_before = target_status(root, &plan, &target_before);
    let all_wps: Vec<String> = plan
        .lanes
        .iter()
        .flat_map(|l| l.wp_ids.iter().cloned())
        .collect();

    // Already merged: every WP is done on the target. Nothing changes (a leftover record of an
    // earlier, finished merge is the only thing removed).
    if already_merged(&plan, &status_before) {
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
