//! The one seam between work packages and workspaces: [`resolve_workspace`] maps a WP to its lane
//! and the lane to a path, a branch and a kind. Every consumer (status, move-task, implement,
//! review, next, context resolve) calls it and none of them looks at `execution_mode`: a
//! planning-artifact WP is simply a member of `lane-planning`, whose workspace is the main
//! checkout (FR-101..106, D-2).

use std::path::{Path, PathBuf};

use crate::compiler::lanes::PLANNING_LANE;
use crate::compiler::lanes_manifest::{LanesManifest, lane_branch, lane_worktree};
use crate::support::diagnostics::{Diag, Failure};

/// Where a workspace lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceKind {
    /// The main checkout (the planning lane).
    RepoRoot,
    /// A git worktree under `.worktrees/`.
    LaneWorktree,
}

impl WorkspaceKind {
    /// 3.1.1's name: `repo_root` or `lane_workspace`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceKind::RepoRoot => "repo_root",
            WorkspaceKind::LaneWorktree => "lane_workspace",
        }
    }

    /// The WP `execution_mode` 3.1.1's implement and context payloads report for a WP in this
    /// kind of workspace: `planning_artifact` (the main checkout) or `code_change`.
    pub fn wp_execution_mode(self) -> &'static str {
        match self {
            WorkspaceKind::RepoRoot => "planning_artifact",
            WorkspaceKind::LaneWorktree => "code_change",
        }
    }

    /// The `execution_mode` status events record: `direct_repo` or `worktree`.
    pub fn execution_mode(self) -> &'static str {
        match self {
            WorkspaceKind::RepoRoot => "direct_repo",
            WorkspaceKind::LaneWorktree => "worktree",
        }
    }
}

/// A WP's workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The lane.
    pub lane_id: String,
    /// The WPs that share the lane, in execution order.
    pub lane_wp_ids: Vec<String>,
    /// Absolute path (the worktree path even before the worktree exists).
    pub path: PathBuf,
    /// The lane branch; `None` for the planning lane (it works on the target branch).
    pub branch: Option<String>,
    /// Repo root or lane worktree.
    pub kind: WorkspaceKind,
    /// `<slug>-<lane>`.
    pub name: String,
}

/// Resolves `wp` to its workspace.
pub fn resolve_workspace(
    root: &Path,
    slug: &str,
    manifest: &LanesManifest,
    wp: &str,
) -> Result<Workspace, Failure> {
    let lane = manifest.lanes.iter().find(|l| l.wp_ids.iter().any(|w| w == wp)).ok_or_else(|| {
        Failure::simple(
            Diag::error("lanes::wp-not-in-lane", format!("{wp} is in no lane of mission `{slug}`"))
                .with_help(format!("check the WP id, or re-run `spec-kitty agent mission finalize-tasks --mission {slug}`")),
        )
    })?;
    let name = format!("{slug}-{}", lane.lane_id);
    let (path, branch, kind) = if lane.lane_id == PLANNING_LANE {
        (root.to_path_buf(), None, WorkspaceKind::RepoRoot)
    } else {
        (
            lane_worktree(root, slug, &lane.lane_id),
            Some(lane_branch(slug, &lane.lane_id)),
            WorkspaceKind::LaneWorktree,
        )
    };
    Ok(Workspace {
        lane_id: lane.lane_id.clone(),
        lane_wp_ids: lane.wp_ids.clone(),
        path,
        branch,
        kind,
        name,
    })
}

impl Workspace {
    /// Uncommitted changes (`git status --porcelain` lines) that stand between the WP and review:
    /// everything uncommitted in a lane worktree, and in the main checkout (shared with the user
    /// and every other mission) only the WP's own `owned_files`. The loop's own files (the status
    /// log and snapshot, review-cycle feedback, `.worktrees/`, `.spec-kitty/`) never count, so
    /// they can never make a guard refuse. Empty when the workspace does not exist or is not in
    /// git. This is the one place the two workspace kinds differ; callers never branch on it.
    pub fn uncommitted_changes(&self, mission_slug: &str, owned_files: &[String]) -> Vec<String> {
        if !self.path.is_dir() {
            return Vec::new();
        }
        let mut specs: Vec<String> = match self.kind {
            WorkspaceKind::LaneWorktree => vec![".".to_owned()],
            WorkspaceKind::RepoRoot if owned_files.is_empty() => return Vec::new(),
            WorkspaceKind::RepoRoot => owned_files.iter().map(|g| format!(":(glob){g}")).collect(),
        };
        let specs_dir = format!("{}/{mission_slug}", crate::project::SPECS_DIR);
        for own in [
            format!("{specs_dir}/{}", crate::compiler::status::EVENTS_FILE),
            format!("{specs_dir}/{}", crate::compiler::status::STATUS_FILE),
            format!("{specs_dir}/tasks/*/review-cycle-*.md"),
            ".worktrees/**".to_owned(),
            ".spec-kitty/**".to_owned(),
            "**/.spec-kitty-*.tmp".to_owned(),
        ] {
            specs.push(format!(":(exclude,glob){own}"));
        }
        let mut args = vec!["status", "--porcelain", "--untracked-files=all", "--"];
        args.extend(specs.iter().map(String::as_str));
        crate::support::git::run(&self.path, &args)
            .map(|out| {
                out.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}
