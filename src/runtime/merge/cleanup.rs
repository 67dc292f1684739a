//! After the landing: lane worktrees and branches removed as asked (never with uncommitted work),
//! and the push.

use std::path::Path;

use super::preflight::worktree_changes;
use super::{Options, Push, Report};
use crate::project::rel_path;
use crate::support::git;

/// Removes lane worktrees and deletes lane branches and the mission branch, as the flags say. A
/// worktree with uncommitted work, or a branch checked out somewhere or moved since the merge, is
/// kept and the reason reported.
pub(super) fn cleanup(root: &Path, report: &mut Report, opts: &Options) {
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

pub(super) fn push(root: &Path, target: &str) -> Push {
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
