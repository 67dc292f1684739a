//! The merge plan: where the merge may run, the strategy, and the lanes to land (read from
//! lanes.json and the branches); nothing is written.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::target::read_json_map;
use super::{Lane, Options, Plan, Strategy, fail};
use crate::compiler::lanes::PLANNING_LANE;
use crate::compiler::lanes_manifest::{
    MISSION_BRANCH_PREFIX, lane_branch, lane_worktree, mission_branch,
};
use crate::project::config::{CONFIG_PATH, Config};
use crate::project::{MissionRef, rel_path};
use crate::support::diagnostics::Failure;
use crate::support::git;

/// Refuses to run anywhere but the main checkout (a lane worktree's branch is one of the things
/// the merge moves and removes).
pub fn check_location(root: &Path, cwd: &Path) -> Result<(), Failure> {
    let top = git::run(cwd, &["rev-parse", "--show-toplevel"])
        .map(|s| PathBuf::from(s.trim()))
        .ok();
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    match top {
        Some(t) if canon(&t) != canon(root) => Err(fail(
            "merge::not-main-checkout",
            format!(
                "`merge` must run from the main checkout, not from the worktree {}",
                rel_path(&canon(root), &canon(&t))
            ),
            format!("cd {} and run it there", root.display()),
        )),
        _ => Ok(()),
    }
}

/// The mission named by a lane or mission branch (`kitty/mission-<slug>[-lane-x]`).
pub fn mission_from_branch(branch: &str) -> Option<String> {
    let rest = branch.strip_prefix(MISSION_BRANCH_PREFIX)?;
    let slug = match rest.rfind("-lane-") {
        Some(i) => &rest[..i],
        None => rest,
    };
    (!slug.is_empty()).then(|| slug.to_owned())
}

/// The strategy: the flag, else `.kittify/config.yaml` `merge.strategy`, else squash. A value in
/// the config that is not a strategy is an error naming the file.
pub fn resolve_strategy(root: &Path, flag: Option<Strategy>) -> Result<Strategy, Failure> {
    if let Some(s) = flag {
        return Ok(s);
    }
    let config = Config::read(root);
    if let Config::Invalid(e) = &config {
        return Err(fail(
            "merge::config-invalid",
            format!("{CONFIG_PATH} is not valid YAML: {e}"),
            "fix the file (or remove `merge.strategy` to use squash)",
        ));
    }
    let configured = config
        .get("merge", "strategy")
        .and_then(yaml_serde::Value::as_str);
    match configured {
        None => Ok(Strategy::Squash),
        Some(s) => Strategy::parse(s.trim()).ok_or_else(|| {
            fail(
                "merge::config-strategy",
                format!(
                    "Invalid merge.strategy '{s}' in .kittify/config.yaml. Allowed values: merge, rebase, squash."
                ),
                "set `merge.strategy` to merge, squash or rebase in .kittify/config.yaml, or pass --strategy",
            )
        }),
    }
}

/// Builds the plan: target, strategy and lanes. Checks only what the plan needs (lanes.json, the
/// target branch); nothing is read from or written to any branch.
pub fn plan(root: &Path, mission: &MissionRef, opts: &Options) -> Result<Plan, Failure> {
    let slug = mission.slug.clone();
    let lanes_path = mission.dir.join("lanes.json");
    let text = std::fs::read_to_string(&lanes_path).map_err(|_| {
        fail(
            "merge::not-finalized",
            format!(
                "lanes.json is required for {}: the mission is not finalized",
                rel_path(root, &mission.dir)
            ),
            format!("run `spec-kitty agent mission finalize-tasks --mission {slug}` first"),
        )
    })?;
    let manifest: Map<String, Value> = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .ok_or_else(|| {
            fail(
                "merge::lanes-invalid",
                format!("{} is corrupt or malformed", rel_path(root, &lanes_path)),
                format!("re-run `spec-kitty agent mission finalize-tasks --mission {slug}`"),
            )
        })?;
    let meta = read_json_map(std::fs::read_to_string(mission.dir.join("meta.json")).ok());
    let nonempty = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (target_branch, target_source) = if let Some(t) = opts.target.clone() {
        (t, "--target")
    } else if let Some(t) = nonempty(meta.get("target_branch")) {
        (t, "meta.json")
    } else if let Some(t) = nonempty(manifest.get("target_branch")) {
        (t, "lanes.json")
    } else if let Some(t) = git::current_branch(root) {
        (t, "the current branch")
    } else {
        ("main".to_owned(), "the default")
    };
    if git::branch_tip(root, &target_branch).is_none() {
        return Err(fail(
            "merge::target-missing",
            format!("Target branch '{target_branch}' (from {target_source}) does not exist"),
            if git::commit_of(root, &format!("refs/remotes/origin/{target_branch}")).is_some() {
                format!(
                    "create it from the remote first: `git branch {target_branch} origin/{target_branch}`"
                )
            } else {
                format!(
                    "check `target_branch` in {}, or pass --target <branch>",
                    rel_path(root, &mission.dir.join("meta.json"))
                )
            },
        ));
    }
    let mission_branch =
        nonempty(manifest.get("mission_branch")).unwrap_or_else(|| mission_branch(&slug));
    let strategy = resolve_strategy(root, opts.strategy)?;
    let lanes = manifest
        .get("lanes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|l| l.as_object().cloned())
        .filter_map(|l| {
            let lane_id = l.get("lane_id")?.as_str()?.to_owned();
            let wp_ids: Vec<String> = l
                .get("wp_ids")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let planning = lane_id == PLANNING_LANE;
            Some(Lane {
                branch: if planning {
                    target_branch.clone()
                } else {
                    lane_branch(&slug, &lane_id)
                },
                worktree: (!planning).then(|| lane_worktree(root, &slug, &lane_id)),
                lane_id,
                wp_ids,
                manifest: l,
            })
        })
        .collect();
    Ok(Plan {
        mission_id: nonempty(meta.get("mission_id")),
        slug,
        mission_branch,
        target_branch,
        target_source,
        strategy,
        lanes,
    })
}
