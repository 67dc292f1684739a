//! What a review covers: where a WP's work started (recorded at its first start), the commits since
//! then, and the range a reviewer sees and an approval records.

use std::path::{Path, PathBuf};

use crate::compiler::lanes_manifest::mission_branch;
use crate::project::{MissionRef, rel_path};
use crate::runtime::workspace::Workspace;
use crate::runtime::wp_meta::owned_globs;
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git;

fn fail(code: &'static str, message: String, help: String) -> Failure {
    Failure::simple(Diag::error(code, message).with_help(help))
}

fn git_err(e: git::GitError) -> Failure {
    Failure::simple(Diag::error("git::command", e.to_string()))
}

/// The git context a reviewer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewContext {
    /// The base the changes are compared with (a ref or a commit).
    pub base: String,
    /// What is reviewed: the lane branch, or `HEAD` of the main checkout for the planning lane.
    pub head: String,
    /// `git log --oneline base..head` lines.
    pub commits: Vec<String>,
    /// `git diff --stat` of the change (limited to the WP's owned files on the planning lane).
    pub diff_stat: String,
    /// Pathspecs the diff is limited to (planning lane).
    pub paths: Vec<String>,
}

/// `<git common dir>/spec-kitty/bases/<slug>/<WP>`: the commit the WP's workspace was at when the
/// WP was first started (kept out of the tree, like every file the loop writes for itself).
pub(crate) fn base_record(root: &Path, slug: &str, wp: &str) -> Option<PathBuf> {
    let common = git::run(
        root,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )
    .ok()?;
    Some(
        PathBuf::from(common.trim())
            .join("spec-kitty")
            .join("bases")
            .join(slug)
            .join(wp),
    )
}

/// The commit recorded at the WP's first start, when it is still an ancestor of `head`.
fn recorded_start(root: &Path, slug: &str, wp: &str, head: &str) -> Option<String> {
    base_record(root, slug, wp)
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| t.trim().to_owned())
        .filter(|c| {
            !c.is_empty() && git::run(root, &["merge-base", "--is-ancestor", c, head]).is_ok()
        })
}

/// How many commits a lane workspace has made since the WP started there (its recorded start,
/// else the mission branch): 3.1.1 refused to send a lane WP to review without one. `None` when
/// git cannot tell.
pub fn commits_since_start(root: &Path, slug: &str, wp: &str, workspace: &Path) -> Option<usize> {
    let head = git::run(workspace, &["rev-parse", "HEAD"]).ok()?;
    let head = head.trim();
    let base = recorded_start(root, slug, wp, head).unwrap_or_else(|| mission_branch(slug));
    git::run(
        workspace,
        &["rev-list", "--count", &format!("{base}..{head}")],
    )
    .ok()?
    .trim()
    .parse()
    .ok()
}

/// The commit of a lane WP's branch that its review covers (where a later WP of the lane
/// started, else the lane branch tip); `None` for the planning lane or without git.
pub fn reviewed_commit(
    root: &Path,
    mission: &MissionRef,
    wp: &str,
    ws: &Workspace,
) -> Option<String> {
    ws.branch.as_ref()?;
    let head = review_context(root, mission, wp, ws).ok()?.head;
    git::commit_of(root, &head)
}

/// The review context of a WP: for a lane branch, the candidate base (mission branch or target
/// branch) with the fewest commits up to the branch; for the planning lane, the commits on the main
/// checkout since the WP was claimed, limited to its owned files.
pub fn review_context(
    root: &Path,
    mission: &MissionRef,
    wp: &str,
    ws: &Workspace,
) -> Result<ReviewContext, Failure> {
    let manifest = crate::compiler::lanes_manifest::load_manifest(&mission.dir, &mission.slug)?;
    let lines = |s: String| {
        s.lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
    };
    match &ws.branch {
        Some(branch) => {
            let mut best: Option<(usize, String)> = None;
            // Where the WP started on the lane branch (when recorded and still an ancestor), then
            // the mission and target branches: the base with the fewest commits up to the branch.
            let started = recorded_start(root, &mission.slug, wp, branch).unwrap_or_default();
            for cand in [
                started,
                manifest.mission_branch.clone(),
                manifest.target_branch.clone(),
            ] {
                if cand.is_empty() {
                    continue;
                }
                if let Ok(n) =
                    git::run(root, &["rev-list", "--count", &format!("{cand}..{branch}")])
                {
                    let n: usize = n.trim().parse().unwrap_or(usize::MAX);
                    if best.as_ref().is_none_or(|b| n < b.0) {
                        best = Some((n, cand));
                    }
                }
            }
            let base = best.map(|b| b.1).ok_or_else(|| {
                fail(
                    "review::no-base",
                    format!("no base branch found for {branch}"),
                    "run `spec-kitty agent action implement` for the WP first".into(),
                )
            })?;
            // A later WP of the same lane that has started on top of this one ends the range:
            // the review covers this WP's commits only.
            let later: Vec<String> = ws
                .lane_wp_ids
                .iter()
                .filter(|o| o.as_str() != wp)
                .filter_map(|o| recorded_start(root, &mission.slug, o, branch))
                .filter(|c| *c != base && git::is_ancestor(root, &base, c))
                .collect();
            let head = later
                .iter()
                .find(|c| later.iter().all(|o| git::is_ancestor(root, c, o)))
                .cloned()
                .unwrap_or_else(|| branch.clone());
            Ok(ReviewContext {
                commits: lines(
                    git::run(root, &["log", "--oneline", &format!("{base}..{head}")])
                        .map_err(git_err)?,
                ),
                diff_stat: git::run(root, &["diff", "--stat", &format!("{base}...{head}")])
                    .map_err(git_err)?,
                base,
                head,
                paths: Vec::new(),
            })
        }
        None => {
            // Where the WP started on the main checkout (recorded at its first start), else the
            // commit that last claimed it.
            let base = match recorded_start(root, &mission.slug, wp, "HEAD") {
                Some(c) => c,
                None => {
                    let grep = format!("Move {wp} to claimed on spec");
                    git::run(
                        root,
                        &[
                            "log",
                            "-1",
                            "--format=%H",
                            "--fixed-strings",
                            &format!("--grep={grep}"),
                        ],
                    )
                    .map_err(git_err)?
                    .trim()
                    .to_owned()
                }
            };
            if base.is_empty() {
                return Err(fail(
                    "review::no-claim",
                    format!("{wp} was never claimed on this checkout"),
                    "implement it first (`spec-kitty agent action implement`)".into(),
                ));
            }
            let mut paths: Vec<String> = owned_globs(&mission.dir, wp)
                .into_iter()
                .map(|g| format!(":(glob){g}"))
                .collect();
            let specs = rel_path(root, &mission.dir);
            for exclude in [
                "tasks/**",
                "tasks.md",
                crate::compiler::status::EVENTS_FILE,
                crate::compiler::status::STATUS_FILE,
            ] {
                paths.push(format!(":(exclude,glob){specs}/{exclude}"));
            }
            let mut log_args = vec![
                "log".to_owned(),
                "--oneline".to_owned(),
                format!("{base}..HEAD"),
                "--".to_owned(),
            ];
            log_args.extend(paths.iter().cloned());
            let mut diff_args = vec![
                "diff".to_owned(),
                "--stat".to_owned(),
                format!("{base}..HEAD"),
                "--".to_owned(),
            ];
            diff_args.extend(paths.iter().cloned());
            fn strs(v: &[String]) -> Vec<&str> {
                v.iter().map(String::as_str).collect()
            }
            Ok(ReviewContext {
                commits: lines(git::run(root, &strs(&log_args)).map_err(git_err)?),
                diff_stat: git::run(root, &strs(&diff_args)).map_err(git_err)?,
                base,
                head: "HEAD".into(),
                paths,
            })
        }
    }
}
