//! The status event log (`kitty-specs/<slug>/status.events.jsonl`) and its reduction to
//! `status.json`.
//!
//! The log is append-only JSONL, one event per line with sorted keys. Appends are serialised by a
//! lock on a sidecar file and written with one `write` of whole lines; a torn final line (a crash
//! mid-append) is reported and skipped by the reader, never silently taken with later events.

use std::collections::{BTreeMap, HashSet};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::util::{py_json, py_json_indent, write_atomic};

/// The event log's file name.
pub const EVENTS_FILE: &str = "status.events.jsonl";
/// The reduced snapshot's file name.
pub const STATUS_FILE: &str = "status.json";

/// The nine lanes, in the order 3.1.1 lists them.
pub const LANES: [&str; 9] = [
    "planned",
    "claimed",
    "in_progress",
    "for_review",
    "in_review",
    "approved",
    "done",
    "blocked",
    "canceled",
];

/// One status event. Field order is alphabetical, which is the key order of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Who made the transition.
    pub actor: String,
    /// When (ISO 8601 with offset).
    pub at: String,
    /// A ULID.
    pub event_id: String,
    /// Review / verification evidence, if any.
    #[serde(default)]
    pub evidence: Value,
    /// `worktree` or `direct_repo`.
    #[serde(default)]
    pub execution_mode: Value,
    /// Whether the transition bypassed its guards.
    #[serde(default)]
    pub force: bool,
    /// Lane before.
    pub from_lane: String,
    /// The mission's slug.
    #[serde(default)]
    pub mission_slug: Value,
    /// Policy details, if any.
    #[serde(default)]
    pub policy_metadata: Value,
    /// Why (required for some transitions).
    #[serde(default)]
    pub reason: Value,
    /// Review reference, if any.
    #[serde(default)]
    pub review_ref: Value,
    /// Lane after.
    pub to_lane: String,
    /// The WP.
    pub wp_id: String,
}

impl Event {
    /// The event as one log line (Python `json.dumps(sort_keys=True)`), without the newline.
    pub fn to_line(&self) -> String {
        match serde_json::to_value(self) {
            Ok(v) => py_json(&v),
            Err(_) => String::new(),
        }
    }
}

/// A line of the log that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// One-based line number.
    pub line: usize,
    /// Whether it is the final line without a newline (a torn append).
    pub torn: bool,
    /// The parser's message.
    pub message: String,
}

/// Reads the log. Unreadable lines are returned separately, never dropped silently.
pub fn read_events(path: &Path) -> std::io::Result<(Vec<Event>, Vec<BadLine>)> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(e),
    };
    let mut events = Vec::new();
    let mut bad = Vec::new();
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(e) => events.push(e),
            Err(err) => bad.push(BadLine {
                line: i + 1,
                torn: i + 1 == lines.len() && !ends_with_newline,
                message: err.to_string(),
            }),
        }
    }
    Ok((events, bad))
}

/// The lock file that serialises writes to one mission's status files: under `.git/` when the
/// project is a git checkout (so it never shows up as a change), else beside the log.
pub fn lock_path(root: &Path, slug: &str) -> PathBuf {
    let git = root.join(".git");
    if git.is_dir() {
        git.join("spec-kitty-locks")
            .join(format!("{slug}.status.lock"))
    } else {
        root.join(crate::project::SPECS_DIR)
            .join(slug)
            .join(".status.lock")
    }
}

/// Holds the status lock while alive.
pub type StatusLock = crate::util::FileLock;

/// Takes the mission's status lock (blocking).
pub fn lock(root: &Path, slug: &str) -> std::io::Result<StatusLock> {
    crate::util::lock_file(&lock_path(root, slug))
}

/// Appends events to the log in one write. A torn final line left by an earlier crash is
/// terminated first so the new events start on their own line. Call with the lock held.
pub fn append_events(path: &Path, events: &[Event]) -> std::io::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut buf = String::new();
    if let Ok(existing) = std::fs::read(path)
        && !existing.is_empty()
        && !existing.ends_with(b"\n")
    {
        buf.push('\n');
    }
    for e in events {
        buf.push_str(&e.to_line());
        buf.push('\n');
    }
    let mut f = OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(buf.as_bytes())?;
    f.sync_data()
}

/// The reduced state of one WP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WpState {
    /// Current lane.
    pub lane: String,
    /// Actor of the last event.
    pub actor: String,
    /// `at` of the last event.
    pub last_transition_at: String,
    /// Id of the last event.
    pub last_event_id: String,
    /// How many forced events the WP has.
    pub force_count: u64,
}

/// Reduces events: de-duplicate by id, order by `(at, event_id)`, last event wins per WP (on
/// equal timestamps a rollback, for_review→in_progress with a review_ref, beats a forward move).
pub fn reduce(events: &[Event]) -> (Vec<&Event>, BTreeMap<String, WpState>) {
    let mut seen = HashSet::new();
    let mut ordered: Vec<&Event> = events
        .iter()
        .filter(|e| seen.insert(e.event_id.as_str()))
        .collect();
    ordered.sort_by(|a, b| {
        (a.at.as_str(), a.event_id.as_str()).cmp(&(b.at.as_str(), b.event_id.as_str()))
    });
    let mut states: BTreeMap<String, WpState> = BTreeMap::new();
    let is_rollback = |e: &Event| {
        e.from_lane == "for_review" && e.to_lane == "in_progress" && !e.review_ref.is_null()
    };
    for e in &ordered {
        let forced = u64::from(e.force);
        let lane = if e.to_lane == "doing" {
            "in_progress".to_owned()
        } else {
            e.to_lane.clone()
        };
        match states.get_mut(&e.wp_id) {
            Some(s) => {
                s.force_count += forced;
                // A forward move at the same instant as a rollback does not undo the rollback.
                if s.last_transition_at == e.at
                    && !is_rollback(e)
                    && was_rollback(&ordered, &s.last_event_id)
                {
                    continue;
                }
                s.lane = lane;
                s.actor = e.actor.clone();
                s.last_transition_at = e.at.clone();
                s.last_event_id = e.event_id.clone();
            }
            None => {
                states.insert(
                    e.wp_id.clone(),
                    WpState {
                        lane,
                        actor: e.actor.clone(),
                        last_transition_at: e.at.clone(),
                        last_event_id: e.event_id.clone(),
                        force_count: forced,
                    },
                );
            }
        }
    }
    (ordered, states)
}

fn was_rollback(ordered: &[&Event], id: &str) -> bool {
    ordered.iter().find(|e| e.event_id == id).is_some_and(|e| {
        e.from_lane == "for_review" && e.to_lane == "in_progress" && !e.review_ref.is_null()
    })
}

/// Builds `status.json` (sorted keys, 2-space indent, trailing newline) from the events and the
/// mission's `meta.json` values.
pub fn snapshot_json(events: &[Event], slug: &str, meta: &Map<String, Value>) -> String {
    let (ordered, states) = reduce(events);
    let mut summary = BTreeMap::new();
    for lane in LANES {
        summary.insert(lane.to_owned(), 0u64);
    }
    for s in states.values() {
        *summary.entry(s.lane.clone()).or_insert(0) += 1;
    }
    let last = ordered.last();
    let mut wps = Map::new();
    for (id, s) in &states {
        let mut m = Map::new();
        m.insert("actor".into(), s.actor.clone().into());
        m.insert("force_count".into(), s.force_count.into());
        m.insert("lane".into(), s.lane.clone().into());
        m.insert("last_event_id".into(), s.last_event_id.clone().into());
        m.insert(
            "last_transition_at".into(),
            s.last_transition_at.clone().into(),
        );
        wps.insert(id.clone(), Value::Object(m));
    }
    let mut root = Map::new();
    root.insert("event_count".into(), ordered.len().into());
    root.insert(
        "last_event_id".into(),
        last.map_or(Value::Null, |e| e.event_id.clone().into()),
    );
    root.insert(
        "materialized_at".into(),
        last.map_or(Value::Null, |e| e.at.clone().into()),
    );
    root.insert(
        "mission_number".into(),
        meta.get("mission_number").cloned().unwrap_or(Value::Null),
    );
    root.insert("mission_slug".into(), slug.into());
    root.insert(
        "mission_type".into(),
        meta.get("mission_type").cloned().unwrap_or(Value::Null),
    );
    root.insert(
        "summary".into(),
        Value::Object(
            summary
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect(),
        ),
    );
    root.insert("work_packages".into(), Value::Object(wps));
    let mut text = py_json_indent(&Value::Object(root), 2);
    text.push('\n');
    text
}

/// Rewrites `status.json` from the log. Call with the lock held.
pub fn write_snapshot(
    mission_dir: &Path,
    events: &[Event],
    slug: &str,
    meta: &Map<String, Value>,
) -> std::io::Result<()> {
    write_atomic(
        &mission_dir.join(STATUS_FILE),
        snapshot_json(events, slug, meta).as_bytes(),
    )
}

/// A new event id.
pub fn new_event_id() -> String {
    ulid::Ulid::generate().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, at: &str, wp: &str, from: &str, to: &str) -> Event {
        Event {
            actor: "a".into(),
            at: at.into(),
            event_id: id.into(),
            evidence: Value::Null,
            execution_mode: "worktree".into(),
            force: false,
            from_lane: from.into(),
            mission_slug: "m".into(),
            policy_metadata: Value::Null,
            reason: Value::Null,
            review_ref: Value::Null,
            to_lane: to.into(),
            wp_id: wp.into(),
        }
    }

    #[test]
    fn line_format_is_sorted_with_python_separators() {
        let line = ev("01A", "t", "WP01", "planned", "planned").to_line();
        assert!(line.starts_with(r#"{"actor": "a", "at": "t", "event_id": "01A", "evidence": null, "execution_mode": "worktree", "force": false"#));
        assert!(line.ends_with(r#""to_lane": "planned", "wp_id": "WP01"}"#));
    }

    #[test]
    fn torn_final_line_is_reported_not_dropped_silently() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(EVENTS_FILE);
        let good = ev("01A", "t1", "WP01", "planned", "planned").to_line();
        std::fs::write(&path, format!("{good}\n{{\"actor\": \"x")).expect("write");
        let (events, bad) = read_events(&path).expect("read");
        assert_eq!(events.len(), 1);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].torn);
        // The next append starts on a fresh line, and both events read back.
        append_events(&path, &[ev("01B", "t2", "WP02", "planned", "planned")]).expect("append");
        let (events, bad) = read_events(&path).expect("read");
        assert_eq!(events.len(), 2);
        assert_eq!(bad.len(), 1);
        assert!(!bad[0].torn);
    }

    #[test]
    fn reducer_orders_and_deduplicates() {
        let events = vec![
            ev("02", "2026-01-02", "WP01", "planned", "claimed"),
            ev("01", "2026-01-01", "WP01", "planned", "planned"),
            ev("02", "2026-01-02", "WP01", "planned", "claimed"),
        ];
        let (ordered, states) = reduce(&events);
        assert_eq!(ordered.len(), 2);
        assert_eq!(states["WP01"].lane, "claimed");
    }
}
