//! Re-finalizing a mission in flight: a WP that has started (its status is past `planned`) or
//! whose lane worktree exists must not silently move to another lane, or the worktree holding its
//! commits is orphaned. finalize refuses such a run unless `--force`, and then says what moved and
//! which worktrees no longer belong to their WPs.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::compiler::lanes::LanePlan;
use crate::compiler::lanes::PLANNING_LANE;
use crate::compiler::lanes_manifest::lane_worktree;
use crate::compiler::status::{self, Event};
use crate::project::rel_path;
use crate::support::diagnostics::{Diag, Failure};

/// A started WP that the new plan puts in another lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneMove {
    /// `WP02`.
    pub wp: String,
    /// Its lane in the current lanes.json.
    pub from: String,
    /// Its lane in the new plan (`None`: in no lane now).
    pub to: Option<String>,
    /// Its status lane (`in_progress`, ...).
    pub status: String,
    /// The old lane's worktree, when it exists (relative to the project).
    pub worktree: Option<String>,
}

impl LaneMove {
    /// `WP02 (in_progress): lane-a → lane-b`.
    pub fn line(&self) -> String {
        format!(
            "{} ({}): {} → {}",
            self.wp,
            self.status,
            self.from,
            self.to.as_deref().unwrap_or("no lane")
        )
    }
}

/// The started WPs the new plan moves, in WP order (none when there is no lanes.json yet).
pub fn moves(
    root: &Path,
    mission_dir: &Path,
    slug: &str,
    plan: Option<&LanePlan>,
    events: &[Event],
) -> Vec<LaneMove> {
    let Ok(old) = crate::compiler::lanes_manifest::load_manifest(mission_dir, slug) else {
        return Vec::new();
    };
    let (_, states) = status::reduce(events);
    // Each WP's new lane (the first lane that lists it), looked up once per WP.
    let mut new_lanes: HashMap<&str, &str> = HashMap::new();
    for l in plan.iter().flat_map(|p| &p.lanes) {
        for w in &l.wp_ids {
            new_lanes.entry(w).or_insert(&l.lane_id);
        }
    }
    let new_lane = |wp: &str| new_lanes.get(wp).map(|l| (*l).to_owned());
    let mut found: BTreeMap<String, LaneMove> = BTreeMap::new();
    for lane in &old.lanes {
        let worktree: Option<PathBuf> = (lane.lane_id != PLANNING_LANE)
            .then(|| lane_worktree(root, slug, &lane.lane_id))
            .filter(|p| p.is_dir());
        for wp in &lane.wp_ids {
            let to = new_lane(wp);
            if to.as_deref() == Some(lane.lane_id.as_str()) {
                continue;
            }
            let status = states
                .get(wp)
                .map_or_else(|| "planned".to_owned(), |s| s.lane.clone());
            if status == "planned" && worktree.is_none() {
                continue;
            }
            found.insert(
                wp.clone(),
                LaneMove {
                    wp: wp.clone(),
                    from: lane.lane_id.clone(),
                    to,
                    status,
                    worktree: worktree.as_deref().map(|p| rel_path(root, p)),
                },
            );
        }
    }
    let mut list: Vec<LaneMove> = found.into_values().collect();
    list.sort_by(|a, b| crate::compiler::graph::wp_cmp(&a.wp, &b.wp));
    list
}

/// The refusal: the moves, and how to go on.
pub fn refusal(slug: &str, moves: &[LaneMove]) -> Failure {
    let diag = Diag::error(
        "finalize::lanes-in-flight",
        format!(
            "re-finalizing would move {} started work package{} to another lane:\n{}",
            moves.len(),
            if moves.len() == 1 { "" } else { "s" },
            moves
                .iter()
                .map(|m| format!("  {}", m.line()))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )
    .with_help(format!(
        "their work is in the old lanes' worktrees; finish or merge it first, or pass --force to re-plan anyway (`spec-kitty agent mission finalize-tasks --mission {slug} --force`), which lists the worktrees left behind"
    ));
    Failure::simple(diag)
}

/// What `--force` prints: the moves, and the worktrees whose WPs now belong to another lane.
pub fn forced_lines(moves: &[LaneMove]) -> Vec<String> {
    let mut lines = vec!["Re-planned work packages that had started (--force):".to_owned()];
    lines.extend(moves.iter().map(|m| format!("  {}", m.line())));
    let mut orphaned: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for m in moves {
        if let Some(w) = &m.worktree {
            orphaned.entry(w.as_str()).or_default().push(m.wp.as_str());
        }
    }
    if !orphaned.is_empty() {
        lines.push(
            "Worktrees now orphaned (their commits are not in the WPs' new lanes):".to_owned(),
        );
        lines.extend(
            orphaned
                .iter()
                .map(|(w, wps)| format!("  {w} ({})", wps.join(", "))),
        );
    }
    lines
}
