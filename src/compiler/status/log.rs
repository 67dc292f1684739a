//! The event log file: its events, reading them (torn lines reported), the lock appends take,
//! and appending.

use crate::support::pyjson;
use crate::support::util::py_json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
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
            // 3.1.1 wrote `json.dumps(..., sort_keys=True)`: nested objects (evidence) sorted too.
            Ok(v) => py_json(&sorted(v)),
            Err(_) => String::new(),
        }
    }
}

/// A JSON value with every object's keys in sorted order, at every depth.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
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
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(parse_events(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Vec::new(), Vec::new())),
        Err(e) => Err(e),
    }
}

/// Parses the text of a log (as [`read_events`] does a file), e.g. a version read from a branch.
pub fn parse_events(text: &str) -> (Vec<Event>, Vec<BadLine>) {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(mut e) => {
                if !pyjson::truthy(&e.mission_slug) {
                    let raw = serde_json::from_str::<Value>(line).unwrap_or_default();
                    e.mission_slug = legacy_slug(raw.as_object());
                }
                events.push(e);
            }
            Err(err) => bad.push(BadLine {
                line: i + 1,
                torn: i + 1 == lines.len() && !ends_with_newline,
                message: err.to_string(),
            }),
        }
    }
    (events, bad)
}

/// An event from one parsed line. A falsy `mission_slug` falls back to the legacy `feature_slug`
/// key (3.1.1's `StatusEvent.from_dict`), so the snapshot names the mission either way.
pub(super) fn event_from_value(v: Value) -> Result<Event, String> {
    let Value::Object(mut map) = v else {
        return Err(format!(
            "expected an event object, found {}",
            pyjson::type_name(&v)
        ));
    };
    let slug = map.get("mission_slug").cloned().unwrap_or(Value::Null);
    if !pyjson::truthy(&slug) {
        let legacy = legacy_slug(Some(&map));
        map.insert("mission_slug".into(), legacy);
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| e.to_string())
}

/// `data.get("feature_slug", "")`.
fn legacy_slug(map: Option<&Map<String, Value>>) -> Value {
    map.and_then(|m| m.get("feature_slug"))
        .cloned()
        .unwrap_or_else(|| Value::String(String::new()))
}

/// The lock file that serialises writes to one mission's status files: under `.git/` when the
/// project is in a git checkout (at its top or in a subdirectory of it), so it never shows up as a
/// change; else (outside git, or in a linked worktree, whose `.git` is a file) beside the log.
pub fn lock_path(root: &Path, slug: &str) -> PathBuf {
    let git = root
        .ancestors()
        .map(|dir| dir.join(".git"))
        .find(|g| g.exists())
        .filter(|g| g.is_dir());
    if let Some(git) = git {
        git.join("spec-kitty-locks")
            .join(format!("{slug}.status.lock"))
    } else {
        root.join(crate::project::SPECS_DIR)
            .join(slug)
            .join(".status.lock")
    }
}

/// Holds the status lock while alive.
pub type StatusLock = crate::support::util::FileLock;

/// Takes the mission's status lock (blocking).
pub fn lock(root: &Path, slug: &str) -> std::io::Result<StatusLock> {
    crate::support::util::lock_file(&lock_path(root, slug))
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

/// A new event id.
pub fn new_event_id() -> String {
    ulid::Ulid::generate().to_string()
}
