//! The record of a merge in progress, `.kittify/runtime/merge/<slug>/state.json` (3.1.1's file and
//! keys, plus what `--abort` needs to put the mission branch back).
//!
//! A merge moves no branch until its last step, so the record is mostly for the user: which step
//! failed, with which files. `--resume` recomputes every step from the branches as they are now
//! (a step already done is a no-op), which is what makes it work after a fix with any strategy.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::support::diagnostics::{Failure, io_error};

/// `state.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeState {
    /// meta.json `mission_id`, when the mission has one.
    #[serde(default)]
    pub mission_id: Option<String>,
    /// The mission.
    pub mission_slug: String,
    /// The branch the mission lands on.
    pub target_branch: String,
    /// Every WP, in lane order.
    #[serde(default)]
    pub wp_order: Vec<String>,
    /// WPs whose lane is merged into the mission branch.
    #[serde(default)]
    pub completed_wps: Vec<String>,
    /// The first WP of the step that stopped the merge.
    #[serde(default)]
    pub current_wp: Option<String>,
    /// Whether the merge stopped on a conflict.
    #[serde(default)]
    pub has_pending_conflicts: bool,
    /// `merge`, `squash` or `rebase` (the strategy actually used).
    pub strategy: String,
    /// The main checkout.
    #[serde(default)]
    pub workspace_path: Option<String>,
    /// When the merge started.
    pub started_at: String,
    /// When this record was last written.
    pub updated_at: String,
    /// The step that stopped the merge (`lane-a`, `target`), if one did.
    #[serde(default)]
    pub failed_step: Option<String>,
    /// The files that conflicted in that step.
    #[serde(default)]
    pub conflicting_files: Vec<String>,
    /// The mission branch's commit before the merge (`None`: it did not exist), for `--abort`.
    #[serde(default)]
    pub mission_branch_before: Option<String>,
}

/// `.kittify/runtime/merge/<slug>/state.json`.
pub fn path(root: &Path, slug: &str) -> PathBuf {
    root.join(".kittify")
        .join("runtime")
        .join("merge")
        .join(slug)
        .join("state.json")
}

/// Reads the record, if there is one. A record that does not parse is an error naming the file.
pub fn load(root: &Path, slug: &str) -> Result<Option<MergeState>, Failure> {
    let p = path(root, slug);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Failure::simple(io_error("merge::state", &p, &e))),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Failure::simple(
            crate::support::diagnostics::Diag::error(
                "merge::state-corrupt",
                format!("{} is not a merge record: {e}", p.display()),
            )
            .with_help(format!(
                "run `spec-kitty merge --mission {slug} --abort` to discard it, then merge again"
            )),
        )
    })
}

/// Writes the record atomically.
pub fn save(root: &Path, state: &MergeState) -> Result<(), Failure> {
    let p = path(root, &state.mission_slug);
    let io = |e: std::io::Error| Failure::simple(io_error("merge::state", &p, &e));
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut text = serde_json::to_string_pretty(state).unwrap_or_default();
    text.push('\n');
    crate::support::util::write_atomic(&p, text.as_bytes()).map_err(io)
}

/// Removes the record and its directory (and `runtime/merge/` when it is left empty).
pub fn remove(root: &Path, slug: &str) -> Result<bool, Failure> {
    let p = path(root, slug);
    let existed = match std::fs::remove_file(&p) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(Failure::simple(io_error("merge::state", &p, &e))),
    };
    if let Some(dir) = p.parent() {
        let _ = std::fs::remove_dir(dir);
        if let Some(parent) = dir.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
    Ok(existed)
}
