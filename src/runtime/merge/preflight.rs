//! The refusals before anything is computed: unapproved WPs, no acceptance, missing lane branches,
//! uncommitted work in lane worktrees.

use std::path::Path;

use serde_json::Value;

use super::target::{TargetStatus, is_finished, read_json_map};
use super::{Options, Plan, fail};
use crate::project::{SPECS_DIR, rel_path};
use crate::support::diagnostics::Failure;
use crate::support::git;

/// Refusals before anything is computed: unapproved WPs, no acceptance, missing lane branches,
/// uncommitted work in lane worktrees.
pub(super) fn preflight(
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
pub(super) fn worktree_changes(dir: &Path) -> Vec<String> {
    git::status_porcelain(dir, &[])
        .map(|out| {
            out.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.get(3..).unwrap_or(l).trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
