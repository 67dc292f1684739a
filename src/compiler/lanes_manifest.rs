//! `lanes.json` read back: the mission, its branches and each lane's WPs in order, as every
//! command after finalize (and a re-run of finalize) sees them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::support::diagnostics::{Diag, Failure};

/// What every mission branch starts with: `kitty/mission-<slug>`, and its lanes'
/// `kitty/mission-<slug>-<lane>`.
pub const MISSION_BRANCH_PREFIX: &str = "kitty/mission-";

/// `kitty/mission-<slug>`: the branch the lanes merge into before the mission lands on its target.
pub fn mission_branch(slug: &str) -> String {
    format!("{MISSION_BRANCH_PREFIX}{slug}")
}

/// `kitty/mission-<slug>-<lane>`: the branch of a lane's worktree.
pub fn lane_branch(slug: &str, lane_id: &str) -> String {
    format!("{MISSION_BRANCH_PREFIX}{slug}-{lane_id}")
}

/// `<root>/.worktrees/<slug>-<lane>`: a code lane's worktree.
pub fn lane_worktree(root: &Path, slug: &str, lane_id: &str) -> PathBuf {
    root.join(".worktrees").join(format!("{slug}-{lane_id}"))
}

/// `lanes.json` as the runtime reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LanesManifest {
    /// The mission.
    pub mission_slug: String,
    /// `kitty/mission-<slug>`.
    #[serde(default)]
    pub mission_branch: String,
    /// The branch the mission lands on (and the planning lane works on).
    #[serde(default)]
    pub target_branch: String,
    /// The lanes.
    pub lanes: Vec<ManifestLane>,
}

/// One lane of `lanes.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ManifestLane {
    /// `lane-a`, ..., `lane-planning`.
    pub lane_id: String,
    /// Members in execution order.
    pub wp_ids: Vec<String>,
}

/// Reads `kitty-specs/<slug>/lanes.json`.
pub fn load_manifest(mission_dir: &Path, slug: &str) -> Result<LanesManifest, Failure> {
    let path = mission_dir.join("lanes.json");
    let text = std::fs::read_to_string(&path).map_err(|_| {
        Failure::simple(
            Diag::error(
                "lanes::missing",
                format!("mission `{slug}` has no lanes.json"),
            )
            .with_help(format!(
                "run `spec-kitty agent mission finalize-tasks --mission {slug}` first"
            )),
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::simple(
            Diag::error(
                "lanes::invalid",
                format!("{} is not a valid lane manifest: {e}", path.display()),
            )
            .with_help(format!(
                "re-run `spec-kitty agent mission finalize-tasks --mission {slug}`"
            )),
        )
    })
}
