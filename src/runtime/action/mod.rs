//! Per-WP actions: workspace allocation (top-level `spec-kitty implement`, internal) and
//! `spec-kitty agent action implement` (claim the WP, allocate its workspace, write the prompt).
//!
//! Workspaces come from [`crate::runtime::workspace::resolve_workspace`] only: a code lane gets a git
//! worktree `.worktrees/<slug>-<lane>` on `kitty/mission-<slug>-<lane>` (branched from
//! `kitty/mission-<slug>`, itself created from the target branch when missing); `lane-planning` is
//! the main checkout, with no worktree and no branch. `.worktrees/` is excluded through
//! `.git/info/exclude`, so the loop's own directories never dirty the tree.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::compiler::lanes_manifest::mission_branch;
use crate::project::{MissionRef, rel_path};
use crate::runtime::workspace::{self, Workspace, WorkspaceKind};
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git;

mod context;
mod implement;
mod planning;
mod review;

pub use context::{CONTEXT_ACTIONS, resolve_context};
pub use implement::{Implementing, implement, review_feedback};
pub use planning::PlanningCommit;
use planning::commit_planning_artifacts;
pub use review::{Reviewing, review};

fn fail(code: &'static str, message: String, help: String) -> Failure {
    Failure::simple(Diag::error(code, message).with_help(help))
}

fn git_err(e: git::GitError) -> Failure {
    Failure::simple(Diag::error("git::command", e.to_string()))
}

/// What `implement` allocated.
#[derive(Debug, Clone)]
pub struct Allocated {
    /// The WP.
    pub wp_id: String,
    /// Its workspace.
    pub workspace: Workspace,
    /// Whether a worktree was created now (false when reused or the planning lane).
    pub created: bool,
    /// The pending planning changes committed before the worktree was created.
    pub planning: PlanningCommit,
}

impl Allocated {
    /// 3.1.1's `implement --json` payload.
    pub fn json(
        &self,
        root: &Path,
        mission: &MissionRef,
        meta: &Map<String, Value>,
    ) -> Map<String, Value> {
        let ws = if self.workspace.kind == WorkspaceKind::RepoRoot {
            ".".to_owned()
        } else {
            rel_path(root, &self.workspace.path)
        };
        let mut m = Map::new();
        m.insert("workspace".into(), ws.clone().into());
        m.insert("workspace_path".into(), ws.into());
        m.insert(
            "branch".into(),
            self.workspace
                .branch
                .clone()
                .map_or(Value::Null, Value::String),
        );
        m.insert("mission_slug".into(), mission.slug.clone().into());
        m.insert(
            "mission_number".into(),
            meta.get("mission_number").cloned().unwrap_or(Value::Null),
        );
        m.insert(
            "mission_type".into(),
            meta.get("mission_type")
                .cloned()
                .unwrap_or_else(|| "software-dev".into()),
        );
        m.insert("wp_id".into(), self.wp_id.clone().into());
        m.insert("lane_id".into(), self.workspace.lane_id.clone().into());
        m.insert(
            "execution_mode".into(),
            self.workspace.kind.wp_execution_mode().into(),
        );
        m.insert("status".into(), "created".into());
        m
    }
}

/// Keeps `.worktrees/` out of `git status` without touching tracked files.
fn exclude_worktrees(root: &Path) -> Result<(), Failure> {
    let common = git::run(
        root,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )
    .map_err(git_err)?;
    let exclude = PathBuf::from(common.trim()).join("info").join("exclude");
    let current = std::fs::read_to_string(&exclude).unwrap_or_default();
    if current
        .lines()
        .any(|l| l.trim() == "/.worktrees/" || l.trim() == ".worktrees/")
    {
        return Ok(());
    }
    if let Some(dir) = exclude.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::simple(crate::support::diagnostics::io_error(
                "git::exclude",
                dir,
                &e,
            ))
        })?;
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# spec-kitty lane worktrees\n/.worktrees/\n");
    crate::support::util::write_atomic(&exclude, text.as_bytes()).map_err(|e| {
        Failure::simple(crate::support::diagnostics::io_error(
            "git::exclude",
            &exclude,
            &e,
        ))
    })
}

/// Allocates or reuses the workspace of `wp` (the internal `spec-kitty implement`).
pub fn allocate(root: &Path, mission: &MissionRef, wp: &str) -> Result<Allocated, Failure> {
    let manifest = crate::compiler::lanes_manifest::load_manifest(&mission.dir, &mission.slug)?;
    let ws = workspace::resolve_workspace(root, &mission.slug, &manifest, wp)?;
    if ws.kind == WorkspaceKind::RepoRoot {
        return Ok(Allocated {
            wp_id: wp.to_owned(),
            workspace: ws,
            created: false,
            planning: PlanningCommit::default(),
        });
    }
    if !git::is_repo(root) {
        return Err(fail(
            "git::not-a-repository",
            format!(
                "`{}` is not a git repository; lane worktrees need one",
                root.display()
            ),
            "run `git init` and commit the project".into(),
        ));
    }
    let _lock = git::commit_lock(root).map_err(git_err)?;
    exclude_worktrees(root)?;
    if ws.path.is_dir() {
        return Ok(Allocated {
            wp_id: wp.to_owned(),
            workspace: ws,
            created: false,
            planning: PlanningCommit::default(),
        });
    }
    let planning = commit_planning_artifacts(root, mission, &manifest.target_branch, wp)?;
    let mission_branch = if manifest.mission_branch.is_empty() {
        mission_branch(&mission.slug)
    } else {
        manifest.mission_branch.clone()
    };
    let exists = |b: &str| {
        git::run(
            root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/heads/{b}"),
            ],
        )
        .is_ok()
    };
    if !exists(&mission_branch) {
        let base = if manifest.target_branch.is_empty() {
            "HEAD".to_owned()
        } else {
            manifest.target_branch.clone()
        };
        git::run(root, &["branch", &mission_branch, &base]).map_err(git_err)?;
    }
    let branch = ws.branch.clone().unwrap_or_default();
    let path = ws.path.display().to_string();
    if exists(&branch) {
        git::run(root, &["worktree", "add", &path, &branch]).map_err(git_err)?;
    } else {
        git::run(
            root,
            &["worktree", "add", "-b", &branch, &path, &mission_branch],
        )
        .map_err(git_err)?;
    }
    Ok(Allocated {
        wp_id: wp.to_owned(),
        workspace: ws,
        created: true,
        planning,
    })
}
