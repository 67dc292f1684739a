//! A step that conflicts: the merge record for `--resume`/`--abort`, and the diagnostic with the
//! conflicting files and the commands that resolve them where the work lives.

use std::path::Path;

use serde_json::json;

use super::{Lane, MergeState, Plan, Strategy, state};
use crate::project::rel_path;
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git;
use crate::support::util::UtcTime;

/// Records the stopped step and builds the diagnostic: the conflicting files and the commands that
/// resolve the conflict where the work lives (a lane worktree), then `--resume`.
pub(super) fn conflict(
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
