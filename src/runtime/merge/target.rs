//! The mission as the target branch records it: its status (where the loop records it and where
//! the merge records `done`) and its meta.json.

use std::path::Path;

use serde_json::{Map, Value};

use super::Plan;
use crate::compiler::status::{self, Event};
use crate::project::SPECS_DIR;
use crate::support::git;

pub(super) fn read_json_map(text: Option<String>) -> Map<String, Value> {
    text.and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

/// The mission's status, read from the target branch (where the loop records it and where the
/// merge records `done`).
pub(super) struct TargetStatus {
    pub events_path: String,
    pub status_path: String,
    pub events_text: String,
    pub events: Vec<Event>,
    pub lanes: std::collections::BTreeMap<String, String>,
}

pub(super) fn target_status(root: &Path, plan: &Plan, rev: &str) -> TargetStatus {
    let dir = format!("{SPECS_DIR}/{}", plan.slug);
    let events_path = format!("{dir}/{}", status::EVENTS_FILE);
    let status_path = format!("{dir}/{}", status::STATUS_FILE);
    let events_text = git::show_file(root, rev, &events_path).unwrap_or_default();
    let (events, _) = status::parse_events(&events_text);
    let lanes = status::reduce(&events)
        .1
        .into_iter()
        .map(|(wp, s)| (wp, s.lane))
        .collect();
    TargetStatus {
        events_path,
        status_path,
        events_text,
        events,
        lanes,
    }
}

impl TargetStatus {
    pub(super) fn lane_of(&self, wp: &str) -> &str {
        self.lanes.get(wp).map_or("planned", String::as_str)
    }

    /// The reviewer of the WP's last approval: the approving event's review evidence, else its
    /// actor.
    pub(super) fn approver(&self, wp: &str) -> Option<String> {
        let (ordered, _) = status::reduce(&self.events);
        ordered
            .iter()
            .rev()
            .find(|e| e.wp_id == wp && e.to_lane == "approved")
            .map(|e| {
                e.evidence
                    .pointer("/review/reviewer")
                    .and_then(Value::as_str)
                    .filter(|r| !r.is_empty())
                    .map_or_else(|| e.actor.clone(), str::to_owned)
            })
    }
}

pub(super) fn is_finished(lane: &str) -> bool {
    matches!(lane, "done" | "canceled")
}
