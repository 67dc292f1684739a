//! Which branch finalize plans for, and the sentence it writes into `branch_strategy`.

use std::path::Path;

use serde_json::Value;

use crate::support::git;

/// The sentence 3.1.1 writes into `branch_strategy`.
pub fn branch_strategy(branch: &str) -> String {
    format!(
        "Planning artifacts for this feature were generated on {branch}. During /spec-kitty.implement this WP may branch from a dependency-specific base, but completed changes must merge back into {branch} unless the human explicitly redirects the landing branch."
    )
}

/// The branch finalize plans for: the checked-out branch, `main` on a detached HEAD or outside git.
pub fn target_branch(root: &Path) -> String {
    git::current_branch(root).unwrap_or_else(|| "main".to_owned())
}

/// The mission's own target branch (meta.json `target_branch`), when it names one.
pub fn meta_target_branch(mission_dir: &Path) -> Option<String> {
    target_in(&std::fs::read_to_string(mission_dir.join("meta.json")).ok()?)
}

/// The target branch meta.json's text names, when it names one.
pub(crate) fn target_in(meta_json: &str) -> Option<String> {
    serde_json::from_str::<Value>(meta_json)
        .ok()?
        .get("target_branch")?
        .as_str()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
}

/// finalize derives the branch it writes from the current branch, as 3.1.1 did; when that is not
/// the mission's target, it says so.
pub(crate) fn branch_note(meta_target: Option<&str>, branch: &str) -> Option<String> {
    meta_target
        .filter(|t| *t != branch)
        .map(|target| {
            format!(
                "Note: written for {branch}, the current branch (as 3.1.1 does); meta.json targets {target}, which `--check` and `lint` compare against"
            )
        })
}

/// The branch `--check` and `lint` compare against: the mission's target branch (what finalize
/// writes there), so a PR branch that changed nothing passes; else the current branch.
pub fn check_branch(root: &Path, mission_dir: &Path) -> String {
    meta_target_branch(mission_dir).unwrap_or_else(|| target_branch(root))
}
