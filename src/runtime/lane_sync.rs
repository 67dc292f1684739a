//! A dependent lane starts from exactly the approved work it needs.
//!
//! When a WP of a lane workspace starts and some of its dependencies live in other lanes (the
//! fan-in lane strategy makes such edges), the workspace must hold each dependency's approved
//! work and nothing unapproved. The approval records the commit of the dependency's lane branch
//! that was reviewed (`policy_metadata.approved_commit` of its `approved` event); [`sync`] merges
//! those commits, not the other lane's current tip, which can carry later WPs nobody has approved.
//! All or nothing: a conflict aborts every merge of the run and leaves the workspace as it was.
//! Merged commits are skipped, so re-entering a lane merges only what is new.

use std::path::Path;

use serde_json::Value;

use crate::compiler::lanes::PLANNING_LANE;
use crate::compiler::status;
use crate::project::{MissionRef, rel_path};
use crate::runtime::workspace::{Workspace, WorkspaceKind};
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git;

/// One dependency merged into the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The dependency.
    pub wp: String,
    /// Its lane.
    pub lane: String,
    /// The approved commit merged.
    pub commit: String,
}

/// The commit at which `wp` was approved, from its last `approved` event.
pub fn approved_commit(mission_dir: &Path, wp: &str) -> Option<String> {
    let (events, _) = status::read_events(&mission_dir.join(status::EVENTS_FILE)).ok()?;
    let (ordered, _) = status::reduce(&events);
    ordered
        .iter()
        .rev()
        .filter(|e| e.wp_id == wp && e.to_lane == "approved")
        .find_map(|e| {
            e.policy_metadata
                .get("approved_commit")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
}

/// Merges into `ws` the approved commit of every dependency of `wp` that lives in another code
/// lane and is not in the workspace yet. Returns what was merged.
pub fn sync(
    root: &Path,
    mission: &MissionRef,
    wp: &str,
    deps: &[String],
    ws: &Workspace,
) -> Result<Vec<Merged>, Failure> {
    if ws.kind != WorkspaceKind::LaneWorktree || !ws.path.is_dir() {
        return Ok(Vec::new());
    }
    let manifest = crate::compiler::lanes_manifest::load_manifest(&mission.dir, &mission.slug)?;
    let lane_of = |id: &str| {
        manifest
            .lanes
            .iter()
            .find(|l| l.wp_ids.iter().any(|w| w == id))
            .map(|l| l.lane_id.clone())
    };
    let head = git::head(&ws.path).map_err(git_fail)?;
    let mut todo: Vec<Merged> = Vec::new();
    for d in deps {
        let Some(lane) = lane_of(d) else { continue };
        if lane == ws.lane_id || lane == PLANNING_LANE {
            continue;
        }
        let Some(commit) = approved_commit(&mission.dir, d) else {
            return Err(Failure::simple(
                Diag::error(
                    "lanes::dependency-not-approved",
                    format!("{wp} needs {d}'s approved work from {lane}, and no approval of {d} records a commit"),
                )
                .with_help(format!(
                    "approve {d} with `spec-kitty agent tasks move-task {d} --to approved` (it records the reviewed commit), then start {wp} again"
                )),
            ));
        };
        if git::is_ancestor(&ws.path, &commit, &head) {
            continue;
        }
        todo.push(Merged {
            wp: d.clone(),
            lane,
            commit,
        });
    }
    if todo.is_empty() {
        return Ok(todo);
    }
    // Merging needs a clean workspace: nothing uncommitted may be mixed into a merge or reset.
    let dirty = git::changed_paths(&ws.path, &[]).map_err(git_fail)?;
    if !dirty.is_empty() {
        return Err(Failure::simple(
            Diag::error(
                "lanes::dependency-merge-dirty",
                format!(
                    "{wp} needs the approved work of {} merged into {}, which has uncommitted changes: {}",
                    names(&todo),
                    rel_path(root, &ws.path),
                    dirty.join(", ")
                ),
            )
            .with_help("commit (or move away) those changes in the workspace, then start the WP again"),
        ));
    }
    for (n, m) in todo.iter().enumerate() {
        let message = format!(
            "Merge approved {} ({}) into {} for {wp}",
            m.wp, m.lane, ws.lane_id
        );
        if let Err(e) = git::run(&ws.path, &["merge", "--no-ff", "-m", &message, &m.commit]) {
            let conflicts = git::run(&ws.path, &["diff", "--name-only", "--diff-filter=U"])
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>();
            // All or nothing: undo this merge and the ones before it.
            let _ = git::run(&ws.path, &["merge", "--abort"]);
            let _ = git::run(&ws.path, &["reset", "--hard", "--quiet", &head]);
            let files = if conflicts.is_empty() {
                e.message.clone()
            } else {
                conflicts.join(", ")
            };
            return Err(Failure::simple(
                Diag::error(
                    "lanes::dependency-merge-conflict",
                    format!(
                        "{}'s approved work ({} at {}) conflicts with {} in {}: {files}. Nothing was merged; the workspace is as it was",
                        m.wp,
                        m.lane,
                        short(&m.commit),
                        ws.lane_id,
                        rel_path(root, &ws.path),
                    ),
                )
                .with_help(format!(
                    "resolve it by hand, then start {wp} again (merged work is skipped):\n  cd {}\n  git merge {}\n  # fix the files, `git add` them, `git commit --no-edit`{}",
                    ws.path.display(),
                    m.commit,
                    if n + 1 < todo.len() {
                        format!(" (then {} more)", todo.len() - n - 1)
                    } else {
                        String::new()
                    }
                )),
            ));
        }
    }
    Ok(todo)
}

fn names(todo: &[Merged]) -> String {
    todo.iter()
        .map(|m| format!("{} ({})", m.wp, m.lane))
        .collect::<Vec<_>>()
        .join(", ")
}

fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

fn git_fail(e: git::GitError) -> Failure {
    Failure::simple(Diag::error("git::failed", e.to_string()))
}
