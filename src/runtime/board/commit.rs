//! Recording status: the locks every writer takes, the branch status is recorded on, and the
//! append + snapshot + commit of a transition's events.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::compiler::status::{self, Event};
use crate::project::{MissionRef, rel_path};
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git;

use super::view::{fail, read_meta};

/// The repository's spec-kitty git lock (when in git) and the mission's status lock, taken in
/// that order (the order every writer uses), held until dropped.
pub struct TransitionLocks {
    _git: Option<crate::support::util::FileLock>,
    _status: status::StatusLock,
}

impl TransitionLocks {
    /// Takes both locks (blocking).
    pub fn take(root: &Path, slug: &str) -> Result<Self, Failure> {
        let git = if git::is_repo(root) {
            Some(
                git::commit_lock(root)
                    .map_err(|e| Failure::simple(Diag::error("git::lock", e.to_string())))?,
            )
        } else {
            None
        };
        let status = status::lock(root, slug).map_err(|e| {
            Failure::simple(crate::support::diagnostics::io_error(
                "status::lock",
                &status::lock_path(root, slug),
                &e,
            ))
        })?;
        Ok(TransitionLocks {
            _git: git,
            _status: status,
        })
    }
}

pub(super) fn mission_number(mission: &MissionRef) -> String {
    let digits: String = mission
        .slug
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        mission.slug.clone()
    } else {
        digits
    }
}

/// Appends events under the status lock, rewrites `status.json`, and commits both (when in git),
/// under the repository's spec-kitty git lock.
pub fn append_and_commit(
    root: &Path,
    mission: &MissionRef,
    events: &[Event],
    message: &str,
) -> Result<Option<String>, Failure> {
    let _locks = TransitionLocks::take(root, &mission.slug)?;
    append_and_commit_locked(root, mission, events, &[], message)
}

/// [`append_and_commit`] with the [`TransitionLocks`] already held; `extra` files (absolute, inside
/// the project) are committed with the status files.
pub(super) fn append_and_commit_locked(
    root: &Path,
    mission: &MissionRef,
    events: &[Event],
    extra: &[PathBuf],
    message: &str,
) -> Result<Option<String>, Failure> {
    let events_path = mission.dir.join(status::EVENTS_FILE);
    let io = |code: &'static str, e: std::io::Error| {
        Failure::simple(crate::support::diagnostics::io_error(
            code,
            &events_path,
            &e,
        ))
    };
    status::append_events(&events_path, events).map_err(|e| io("status::append", e))?;
    let (all, _) = status::read_events(&events_path).map_err(|e| io("status::read", e))?;
    status::write_snapshot(&mission.dir, &all, &mission.slug, &read_meta(&mission.dir))
        .map_err(|e| io("status::write", e))?;
    if !git::is_repo(root) {
        return Ok(None);
    }
    let mut paths = vec![
        rel_path(root, &events_path),
        rel_path(root, &mission.dir.join(status::STATUS_FILE)),
    ];
    paths.extend(extra.iter().map(|p| rel_path(root, p)));
    let changed = git::status_porcelain(root, &paths).unwrap_or_default();
    if changed.trim().is_empty() {
        return Ok(None);
    }
    git::commit_paths(root, &paths, message)
        .map(Some)
        .map_err(|e| Failure::simple(Diag::error("git::commit", e.to_string())))
}

/// Refuses to record status anywhere but on the mission's target branch (meta.json
/// `target_branch`): when the main checkout is on another branch, two agents would each see a
/// different board. Outside git, or for a mission without a target, there is nothing to check.
pub fn require_target_branch(root: &Path, mission: &MissionRef) -> Result<(), Failure> {
    let target = read_meta(&mission.dir)
        .get("target_branch")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let Some(target) = target else {
        return Ok(());
    };
    if !git::is_repo(root) {
        return Ok(());
    }
    let current = git::current_branch(root);
    if current.as_deref() == Some(target.as_str()) {
        return Ok(());
    }
    Err(fail(
        "status::wrong-branch",
        format!(
            "mission `{}` records its status on {target}, but the main checkout is on {}",
            mission.slug,
            current.as_deref().unwrap_or("a detached HEAD")
        ),
        &format!(
            "`git switch {target}` in {} and run this again (every agent must see one board)",
            root.display()
        ),
    ))
}
