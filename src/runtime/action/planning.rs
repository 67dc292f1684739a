//! Before a lane branches: the planning artifacts committed on the target branch, so every
//! lane worktree starts from them, and stray temporary files of interrupted writes removed first.

use std::path::Path;

use super::{fail, git_err};
use crate::project::MissionRef;
use crate::runtime::board;
use crate::runtime::wp_meta::owned_globs;
use crate::support::diagnostics::Failure;
use crate::support::git;

/// As 3.1.1 before creating a lane worktree: uncommitted changes under the mission's directory
/// (a plan edited after finalize, a new research note) are committed on the target branch, so the
/// worktree starts from them. On another branch that is an error, as it was in 3.1.1. Never
/// committed: temporary files of atomic writes (stray ones from an interrupted run are removed),
/// WP files that do not parse, and files another WP in progress owns; those are reported and left
/// as they are. Returns what was committed and what was left.
pub(super) fn commit_planning_artifacts(
    root: &Path,
    mission: &MissionRef,
    target_branch: &str,
    wp: &str,
) -> Result<PlanningCommit, Failure> {
    remove_stray_temporaries(&mission.dir);
    let dir = crate::project::rel_path(root, &mission.dir);
    let changed = git::changed_paths(root, &[dir]).map_err(git_err)?;
    if changed.is_empty() {
        return Ok(PlanningCommit::default());
    }
    let current = git::current_branch(root).unwrap_or_default();
    if !target_branch.is_empty() && current != target_branch {
        return Err(fail(
            "action::planning-uncommitted",
            format!(
                "{} has uncommitted planning changes, and they must be committed on {target_branch} (the current branch is {})",
                crate::project::rel_path(root, &mission.dir),
                if current.is_empty() {
                    "detached"
                } else {
                    current.as_str()
                }
            ),
            format!(
                "switch to {target_branch} and run this again (the changes are committed for you), or commit them yourself"
            ),
        ));
    }
    // Files owned by the other WPs being implemented right now (in the main checkout).
    let others: Vec<(String, Vec<String>)> = board::board(root, mission)
        .map(|b| {
            b.wps
                .iter()
                .filter(|w| w.id != wp && matches!(w.lane.as_str(), "claimed" | "in_progress"))
                .map(|w| (w.id.clone(), owned_globs(&mission.dir, &w.id)))
                .collect()
        })
        .unwrap_or_default();
    let mut out = PlanningCommit::default();
    for path in changed {
        let abs = root.join(&path);
        let name = abs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let in_tasks = abs.parent().is_some_and(|p| p == mission.dir.join("tasks"));
        let why = if git::is_transient(&path) {
            Some("a temporary file".to_owned())
        } else if in_tasks
            && crate::compiler::finalize::file_wp_id(&name).is_some()
            && std::fs::read_to_string(&abs).is_ok_and(|t| {
                crate::compiler::tasks::frontmatter::WpFile::parse(&path, "", t).is_err()
            })
        {
            Some("a WP file whose frontmatter does not parse".to_owned())
        } else {
            others
                .iter()
                .find(|(_, globs)| {
                    globs
                        .iter()
                        .any(|g| crate::compiler::ownership::fnmatch(&path, g))
                })
                .map(|(id, _)| format!("owned by {id}, which is in progress"))
        };
        match why {
            Some(why) => out.left.push((path, why)),
            None => out.committed.push(path),
        }
    }
    if !out.committed.is_empty() {
        git::commit_paths(
            root,
            &out.committed,
            &format!(
                "chore: planning artifacts for {}\n\nAuto-committed by spec-kitty before creating the lane worktree for {wp}",
                mission.slug
            ),
        )
        .map_err(git_err)?;
    }
    Ok(out)
}

/// What implement committed of the pending planning changes, and what it left (with why).
#[derive(Debug, Clone, Default)]
pub struct PlanningCommit {
    /// Paths committed (relative to the project).
    pub committed: Vec<String>,
    /// Paths left uncommitted, and why.
    pub left: Vec<(String, String)>,
}

/// Removes the temporary files an interrupted atomic write left in the mission's directory
/// (`.spec-kitty-*.tmp` older than a minute: a live write renames its file within milliseconds).
pub(super) fn remove_stray_temporaries(mission_dir: &Path) {
    let mut dirs = vec![mission_dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                dirs.push(path);
                continue;
            }
            let stale = meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age.as_secs() >= 60);
            if stale && git::is_transient(&entry.file_name().to_string_lossy()) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}
