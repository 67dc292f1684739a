//! The two kinds of merge step, computed with git plumbing (`merge-tree`, `commit-tree`): a lane
//! into the mission branch, and the mission branch into the target with a strategy. No step
//! touches a working tree, an index or a ref; each returns the commit the branch would move to.

use std::path::Path;

use crate::support::git::{self, GitError, TreeMerge};

/// How a branch goes into the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// A merge commit (or a fast-forward when the target has not moved).
    Merge,
    /// One commit holding the whole mission.
    Squash,
    /// The mission's commits replayed on the target, one by one, merges dropped.
    Rebase,
}

impl Strategy {
    /// Every strategy, in the order 3.1.1 listed them.
    pub const ALL: [Strategy; 3] = [Strategy::Merge, Strategy::Squash, Strategy::Rebase];

    /// `merge`, `squash` or `rebase`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Merge => "merge",
            Strategy::Squash => "squash",
            Strategy::Rebase => "rebase",
        }
    }

    /// Parses a strategy name.
    pub fn parse(s: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The result of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The branch already holds everything; it stays where it is.
    UpToDate,
    /// The branch moves forward to this commit without a new commit.
    FastForward(String),
    /// The branch moves to this new commit.
    Committed(String),
    /// Git cannot merge these paths.
    Conflicts(Vec<String>),
}

impl Step {
    /// The commit the branch ends at, given where it was.
    pub fn tip<'a>(&'a self, before: &'a str) -> &'a str {
        match self {
            Step::FastForward(c) | Step::Committed(c) => c,
            Step::UpToDate | Step::Conflicts(_) => before,
        }
    }
}

/// Merges `branch_tip` into `into` (as `git merge --no-edit`: a fast-forward when possible).
pub fn merge_into(
    root: &Path,
    into: &str,
    branch_tip: &str,
    message: &str,
) -> Result<Step, GitError> {
    if git::is_ancestor(root, branch_tip, into) {
        return Ok(Step::UpToDate);
    }
    if git::is_ancestor(root, into, branch_tip) {
        return Ok(Step::FastForward(branch_tip.to_owned()));
    }
    match git::merge_tree(root, into, branch_tip, None)? {
        TreeMerge::Conflicts(files) => Ok(Step::Conflicts(files)),
        TreeMerge::Clean(tree) => {
            git::commit_tree(root, &tree, &[into, branch_tip], message, None).map(Step::Committed)
        }
    }
}

/// Lands the mission branch (`mission_tip`) on the target (`target_tip`) with `strategy`.
pub fn land(
    root: &Path,
    strategy: Strategy,
    target_tip: &str,
    mission_tip: &str,
    mission_branch: &str,
    target_branch: &str,
) -> Result<Step, GitError> {
    if git::is_ancestor(root, mission_tip, target_tip) {
        return Ok(Step::UpToDate);
    }
    match strategy {
        Strategy::Merge => merge_into(
            root,
            target_tip,
            mission_tip,
            &format!("Merge {mission_branch} into {target_branch}"),
        ),
        Strategy::Squash => {
            let tree = if git::is_ancestor(root, target_tip, mission_tip) {
                git::tree_of(root, mission_tip)?
            } else {
                match git::merge_tree(root, target_tip, mission_tip, None)? {
                    TreeMerge::Clean(t) => t,
                    TreeMerge::Conflicts(files) => return Ok(Step::Conflicts(files)),
                }
            };
            if tree == git::tree_of(root, target_tip)? {
                return Ok(Step::UpToDate);
            }
            git::commit_tree(
                root,
                &tree,
                &[target_tip],
                &format!("feat({mission_branch}): squash merge of mission"),
                None,
            )
            .map(Step::Committed)
        }
        Strategy::Rebase => rebase(root, target_tip, mission_tip),
    }
}

/// Replays the mission's own commits (`target..mission`, merges left out, oldest first) on the
/// target, keeping each commit's author, date and message. A commit whose change the target
/// already has is dropped, as `git rebase` drops it.
fn rebase(root: &Path, target_tip: &str, mission_tip: &str) -> Result<Step, GitError> {
    let list = git::run(
        root,
        &[
            "rev-list",
            "--reverse",
            "--no-merges",
            &format!("{target_tip}..{mission_tip}"),
        ],
    )?;
    let mut cur = target_tip.to_owned();
    for commit in list.lines().map(str::trim).filter(|c| !c.is_empty()) {
        let parent = git::commit_of(root, &format!("{commit}^"));
        let tree = match &parent {
            Some(p) => match git::merge_tree(root, &cur, commit, Some(p))? {
                TreeMerge::Clean(t) => t,
                TreeMerge::Conflicts(files) => return Ok(Step::Conflicts(files)),
            },
            None => git::tree_of(root, commit)?,
        };
        if tree == git::tree_of(root, &cur)? {
            continue;
        }
        let author = git::authorship(root, commit)?;
        cur = git::commit_tree(root, &tree, &[&cur], &author.message, Some(&author))?;
    }
    Ok(if cur == target_tip {
        Step::UpToDate
    } else {
        Step::Committed(cur)
    })
}
