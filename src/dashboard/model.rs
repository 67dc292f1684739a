//! What the dashboard shows, as typed values: the missions list, a mission's kanban, its lane
//! graph and its artifacts. Everything is read with the library's own readers (the board from
//! [`crate::runtime::board`]: WPs, status lanes, holders, dependencies, execution lanes; the event log from
//! [`crate::compiler::status`]; the critical path from [`crate::compiler::lane_report`]; `lanes.json` for the lane
//! graph); nothing is written. Field order is the JSON key order.
//!
//! To show something new, add a field to the struct the page reads and fill it here; the API
//! (`api.rs`) serialises these structs unchanged and docs/dashboard.md documents them.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::compiler::graph::DepMap;
use crate::compiler::lanes::PLANNING_LANE;
use crate::compiler::status;
use crate::project::{self, MissionRef, SPECS_DIR};
use crate::runtime::board::{self, Board, WpEntry};

use super::svg::LaneNode;

/// The lanes that mean someone is working on the WP (or reviewing it).
const ACTIVE: [&str; 4] = ["claimed", "in_progress", "for_review", "in_review"];

/// A lane's column heading.
pub fn lane_label(lane: &str) -> &'static str {
    match lane {
        "planned" => "Planned",
        "claimed" => "Claimed",
        "in_progress" => "In progress",
        "for_review" => "For review",
        "in_review" => "In review",
        "approved" => "Approved",
        "done" => "Done",
        "blocked" => "Blocked",
        "canceled" => "Canceled",
        _ => "Other",
    }
}

/// One row of the missions list.
#[derive(Debug, Clone, Serialize)]
pub struct MissionSummary {
    /// Directory name under `kitty-specs/`.
    pub slug: String,
    /// `meta.json` `mission_id`.
    pub mission_id: Option<String>,
    /// `meta.json` `friendly_name`.
    pub friendly_name: Option<String>,
    /// `meta.json` `mission_type` (`software-dev` when unset).
    pub mission_type: String,
    /// `meta.json` `target_branch`.
    pub target_branch: Option<String>,
    /// Number of WP files.
    pub total_wps: usize,
    /// WPs in `done`.
    pub done_wps: usize,
    /// 3.1.1's weighted progress (`agent tasks status`), percent with one decimal.
    pub progress_percentage: f64,
    /// WPs per status lane, all nine lanes in order.
    pub by_lane: Map<String, Value>,
    /// Execution lanes in `lanes.json` (`None` before finalize-tasks).
    pub execution_lanes: Option<usize>,
    /// Who is working on what: WPs in claimed, in progress, for review or in review.
    pub active: Vec<WpCard>,
    /// `at` of the newest status event.
    pub last_event_at: Option<String>,
    /// Problems reading the mission (unreadable event-log lines or WP files).
    pub warnings: Vec<String>,
}

impl MissionSummary {
    /// The row of a mission that could not be read: empty, with the reason as its warning.
    pub fn unreadable(slug: &str, reason: String) -> MissionSummary {
        MissionSummary {
            slug: slug.to_owned(),
            mission_id: None,
            friendly_name: None,
            mission_type: "software-dev".to_owned(),
            target_branch: None,
            total_wps: 0,
            done_wps: 0,
            progress_percentage: 0.0,
            by_lane: status::LANES
                .iter()
                .map(|l| ((*l).to_owned(), Value::from(0)))
                .collect(),
            execution_lanes: None,
            active: Vec::new(),
            last_event_at: None,
            warnings: vec![reason],
        }
    }
}

/// One WP card on the kanban.
#[derive(Debug, Clone, Serialize)]
pub struct WpCard {
    /// `WP01`.
    pub id: String,
    /// Frontmatter `title`.
    pub title: Option<String>,
    /// Status lane (`planned`, ..., `canceled`).
    pub lane: String,
    /// Who has it: frontmatter `agent`, else the board's holder (the actor of its last event while
    /// claimed, in progress, for review or in review).
    pub agent: Option<String>,
    /// Execution lane from `lanes.json` (`lane-a`, `lane-planning`).
    pub execution_lane: Option<String>,
    /// Frontmatter `dependencies`.
    pub dependencies: Vec<String>,
    /// Dependencies not yet approved or done.
    pub waiting_on: Vec<String>,
    /// The WP file, relative to the mission directory (an artifact path).
    pub file: String,
}

/// A status lane with its WPs.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// `planned`, ..., `canceled`.
    pub lane: &'static str,
    /// `Planned`, ..., `Canceled`.
    pub label: &'static str,
    /// The WPs in it, in id order.
    pub wps: Vec<WpCard>,
}

/// A mission's kanban.
#[derive(Debug, Clone, Serialize)]
pub struct Kanban {
    /// The mission.
    pub mission: String,
    /// All nine status lanes in order, empty ones included.
    pub columns: Vec<Column>,
}

#[derive(Debug, Deserialize)]
struct LanesFile {
    #[serde(default)]
    lanes: Vec<LaneNode>,
}

/// A mission's lane graph.
#[derive(Debug, Clone, Serialize)]
pub struct LaneGraph {
    /// The mission.
    pub mission: String,
    /// The planning lane's id (`lane-planning`), which works in the main checkout.
    pub planning_lane: &'static str,
    /// Lanes in `lanes.json` order.
    pub lanes: Vec<LaneNode>,
    /// The longest dependency chain of WPs, first WP first (empty when dependencies are cyclic).
    pub critical_path: Vec<String>,
    /// Status lane of each WP.
    pub status: BTreeMap<String, String>,
    /// The graph drawn as SVG.
    pub svg: String,
}

/// One artifact file of a mission.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    /// Path relative to the mission directory, `/`-separated.
    pub path: String,
    /// `spec`, `plan`, `tasks`, `research`, `data-model`, `quickstart`, `contract`, `checklist`,
    /// `work-package` or `other`.
    pub kind: &'static str,
    /// Size in bytes.
    pub size: u64,
}

/// An artifact rendered for the page.
#[derive(Debug, Clone, Serialize)]
pub struct RenderedArtifact {
    /// The mission.
    pub mission: String,
    /// Path relative to the mission directory.
    pub path: String,
    /// Its kind (see [`Artifact::kind`]).
    pub kind: &'static str,
    /// The HTML (Markdown rendered, anything else as an escaped code block).
    pub html: String,
}

/// Everything the dashboard reads about one mission.
pub struct MissionData {
    /// The board (WPs and their status lanes).
    pub board: Board,
    /// `lanes.json`'s lanes, if finalized.
    pub lanes: Option<Vec<LaneNode>>,
    /// Why `lanes.json` exists but could not be read.
    pub lanes_error: Option<String>,
    /// Frontmatter dependencies per WP (the board's), for the critical path.
    pub deps: DepMap,
    /// `at` of the newest event.
    pub last_event_at: Option<String>,
}

impl MissionData {
    /// Reads a mission.
    pub fn load(root: &Path, mission: &MissionRef) -> Result<MissionData, String> {
        let board = board::board(root, mission).map_err(|f| {
            f.diagnostics.first().map_or_else(
                || "cannot read the mission".to_owned(),
                |d| d.message.clone(),
            )
        })?;
        let mut lanes_error = None;
        let lanes = match std::fs::read_to_string(mission.dir.join("lanes.json")) {
            Ok(text) => match serde_json::from_str::<LanesFile>(&text) {
                Ok(f) => Some(f.lanes),
                Err(e) => {
                    lanes_error = Some(format!("lanes.json is not a valid lane manifest: {e}"));
                    None
                }
            },
            Err(_) => None,
        };
        let mut deps = DepMap::default();
        for wp in &board.wps {
            deps.insert(wp.id.clone(), wp.deps.clone());
        }
        let last_event_at = status::read_events(&mission.dir.join(status::EVENTS_FILE))
            .ok()
            .and_then(|(events, _)| events.into_iter().map(|e| e.at).max());
        Ok(MissionData {
            board,
            lanes,
            lanes_error,
            deps,
            last_event_at,
        })
    }

    fn card(&self, w: &WpEntry) -> WpCard {
        let agent = match w.fields.get("agent") {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => w.holder().map(str::to_owned),
        };
        let dependencies = w.deps.clone();
        let waiting_on = dependencies
            .iter()
            .filter(|d| {
                !self
                    .board
                    .wps
                    .iter()
                    .any(|o| &o.id == *d && matches!(o.lane.as_str(), "approved" | "done"))
            })
            .cloned()
            .collect();
        let file = Path::new(&w.file)
            .file_name()
            .map_or_else(String::new, |n| format!("tasks/{}", n.to_string_lossy()));
        WpCard {
            id: w.id.clone(),
            title: w.title.clone(),
            lane: board::canonical_lane(&w.lane)
                .unwrap_or(w.lane.as_str())
                .to_owned(),
            agent,
            execution_lane: w.lane_id.clone(),
            dependencies,
            waiting_on,
            file,
        }
    }

    /// The missions-list row.
    pub fn summary(&self, slug: &str) -> MissionSummary {
        let meta = &self.board.meta;
        let text = |k: &str| {
            meta.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let mut by_lane = Map::new();
        for (lane, n) in self.board.by_lane() {
            by_lane.insert(lane.into(), n.into());
        }
        MissionSummary {
            slug: slug.to_owned(),
            mission_id: text("mission_id"),
            friendly_name: text("friendly_name"),
            mission_type: text("mission_type")
                .or_else(|| text("mission"))
                .unwrap_or_else(|| "software-dev".to_owned()),
            target_branch: text("target_branch"),
            total_wps: self.board.wps.len(),
            done_wps: self.board.wps.iter().filter(|w| w.lane == "done").count(),
            progress_percentage: self.board.progress_percentage(),
            by_lane,
            execution_lanes: self.lanes.as_ref().map(Vec::len),
            active: self
                .board
                .wps
                .iter()
                .map(|w| self.card(w))
                .filter(|c| ACTIVE.contains(&c.lane.as_str()))
                .collect(),
            last_event_at: self.last_event_at.clone(),
            warnings: self
                .board
                .warnings
                .iter()
                .map(|d| d.message.clone())
                .chain(self.lanes_error.clone())
                .collect(),
        }
    }

    /// The kanban: every status lane with its WP cards.
    pub fn kanban(&self, slug: &str) -> Kanban {
        let cards: Vec<WpCard> = self.board.wps.iter().map(|w| self.card(w)).collect();
        Kanban {
            mission: slug.to_owned(),
            columns: status::LANES
                .iter()
                .map(|lane| Column {
                    lane,
                    label: lane_label(lane),
                    wps: cards.iter().filter(|c| c.lane == *lane).cloned().collect(),
                })
                .collect(),
        }
    }

    /// The lane graph; `None` before finalize-tasks wrote `lanes.json`.
    pub fn lane_graph(&self, slug: &str) -> Option<LaneGraph> {
        let mut lanes = self.lanes.clone()?;
        let critical_path = if crate::compiler::graph::cyclic_components(&self.deps).is_empty() {
            crate::compiler::lane_report::depth_analysis(&self.deps).0
        } else {
            Vec::new()
        };
        let on_path: HashSet<&str> = critical_path.iter().map(String::as_str).collect();
        for l in &mut lanes {
            l.critical = l.wp_ids.iter().any(|w| on_path.contains(w.as_str()));
        }
        let status: BTreeMap<String, String> = self
            .board
            .wps
            .iter()
            .map(|w| (w.id.clone(), w.lane.clone()))
            .collect();
        let svg = super::svg::lane_graph(&lanes, &status, &critical_path);
        Some(LaneGraph {
            mission: slug.to_owned(),
            planning_lane: PLANNING_LANE,
            lanes,
            critical_path,
            status,
            svg,
        })
    }
}

/// The artifact kind of a path relative to the mission directory.
pub fn artifact_kind(path: &str) -> &'static str {
    let first = path.split('/').next().unwrap_or(path);
    match (first, path) {
        (_, "spec.md") => "spec",
        (_, "plan.md") => "plan",
        (_, "tasks.md") => "tasks",
        (_, "research.md") | ("research", _) => "research",
        (_, "data-model.md") => "data-model",
        (_, "quickstart.md") => "quickstart",
        ("contracts", _) => "contract",
        ("checklists", _) => "checklist",
        ("tasks", _) => "work-package",
        _ => "other",
    }
}

const ARTIFACT_EXTENSIONS: [&str; 6] = ["md", "markdown", "yaml", "yml", "json", "txt"];

/// Whether a mission-relative path is something the dashboard shows as an artifact.
pub fn is_artifact(path: &str) -> bool {
    let Some((_, ext)) = path.rsplit_once('.') else {
        return false;
    };
    let ext = ext.to_ascii_lowercase();
    if !ARTIFACT_EXTENSIONS.contains(&ext.as_str()) {
        return false;
    }
    // The runtime's own files are data, not artifacts.
    !matches!(
        path,
        "meta.json" | "status.json" | "lanes.json" | "wps.yaml" | "status.events.jsonl"
    ) && (path.contains('/') || matches!(ext.as_str(), "md" | "markdown"))
}

/// The mission's artifacts: the main documents first (spec, plan, tasks, research, data model,
/// quickstart), then the rest by path. Symlinks and hidden files are not listed; two levels deep.
pub fn artifacts(mission_dir: &Path) -> Vec<Artifact> {
    let mut found = Vec::new();
    collect(mission_dir, "", 0, &mut found);
    let rank = |p: &str| {
        [
            "spec.md",
            "plan.md",
            "tasks.md",
            "research.md",
            "data-model.md",
            "quickstart.md",
        ]
        .iter()
        .position(|m| *m == p)
        .unwrap_or(usize::MAX)
    };
    found.sort_by(|a: &Artifact, b| (rank(&a.path), &a.path).cmp(&(rank(&b.path), &b.path)));
    found
}

fn collect(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<Artifact>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let rel = format!("{prefix}{name}");
        if kind.is_dir() && depth < 2 {
            collect(&entry.path(), &format!("{rel}/"), depth + 1, out);
        } else if kind.is_file() && is_artifact(&rel) {
            out.push(Artifact {
                kind: artifact_kind(&rel),
                size: entry.metadata().map(|m| m.len()).unwrap_or(0),
                path: rel,
            });
        }
    }
}

/// A value that changes whenever a mission's status log, lanes, metadata or WP files change
/// (sizes and modification times, hashed). The page polls it to know when to refetch.
pub fn fingerprint(root: &Path) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let specs = root.join(SPECS_DIR);
    for slug in project::list_missions(root) {
        let dir = specs.join(&slug);
        slug.hash(&mut hasher);
        let mut files: BTreeSet<std::path::PathBuf> = [
            status::EVENTS_FILE,
            "lanes.json",
            "meta.json",
            "tasks.md",
            "spec.md",
            "plan.md",
        ]
        .iter()
        .map(|f| dir.join(f))
        .collect();
        if let Ok(entries) = std::fs::read_dir(dir.join("tasks")) {
            files.extend(entries.flatten().map(|e| e.path()));
        }
        for f in files {
            f.hash(&mut hasher);
            if let Ok(m) = std::fs::metadata(&f) {
                m.len().hash(&mut hasher);
                if let Ok(t) = m.modified()
                    && let Ok(d) = t.duration_since(std::time::UNIX_EPOCH)
                {
                    d.as_nanos().hash(&mut hasher);
                }
            }
        }
    }
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_kinds_and_filter() {
        assert_eq!(artifact_kind("spec.md"), "spec");
        assert_eq!(artifact_kind("contracts/api.yaml"), "contract");
        assert_eq!(artifact_kind("tasks/WP01-x.md"), "work-package");
        assert_eq!(artifact_kind("research/notes.md"), "research");
        assert!(is_artifact("contracts/api.yaml"));
        assert!(is_artifact("notes.md"));
        assert!(!is_artifact("meta.json"));
        assert!(!is_artifact("status.events.jsonl"));
        assert!(!is_artifact("run.sh"));
    }

    #[test]
    fn fingerprint_changes_when_the_log_grows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let m = dir.path().join(SPECS_DIR).join("001-m");
        std::fs::create_dir_all(&m).expect("mkdir");
        let a = fingerprint(dir.path());
        assert_eq!(a, fingerprint(dir.path()));
        std::fs::write(m.join(status::EVENTS_FILE), "{}\n").expect("write");
        assert_ne!(a, fingerprint(dir.path()));
    }
}
