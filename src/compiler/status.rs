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

use crate::support::pyjson;
use crate::support::util::{py_json, py_json_indent_unicode, write_atomic};

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
fn event_from_value(v: Value) -> Result<Event, String> {
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

/// Why [`read_events_strict`] failed.
#[derive(Debug)]
pub enum StrictReadError {
    /// The file exists but cannot be read.
    Io(std::io::Error),
    /// A line 3.1.1 would have refused.
    Corrupt(Box<CorruptLine>),
}

/// A line of the log that 3.1.1's `read_events` refused, with what it said.
#[derive(Debug, Clone)]
pub struct CorruptLine {
    /// The whole file, for pointing into it.
    pub text: String,
    /// One-based line number (3.1.1 counted `\r`, `\r\n` and `\n` as line ends).
    pub line: usize,
    /// Byte range in `text` the problem is at (a character, or the whole line).
    pub span: std::ops::Range<usize>,
    /// 3.1.1's exception text, e.g. `Invalid JSON on line 2: Expecting value: line 1 column 1
    /// (char 0)`.
    pub python: String,
    /// Short description for a human (`expecting value`, `missing key `event_id``).
    pub detail: String,
    /// Whether the line is not JSON at all (as opposed to JSON that is not an event).
    pub not_json: bool,
}

/// Reads the log the way 3.1.1's `status.store.read_events` did, which finalize-tasks' bootstrap
/// used: a line that is not JSON, or not a status event, is fatal. Blank lines are skipped.
pub fn read_events_strict(path: &Path) -> Result<Vec<Event>, StrictReadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StrictReadError::Io(e)),
    };
    let mut events = Vec::new();
    for (number, start, raw) in universal_lines(&text) {
        let line = pyjson::strip(raw);
        if line.is_empty() {
            continue;
        }
        let line_start = start + (raw.len() - raw.trim_start_matches(pyjson::is_py_space).len());
        let whole_line = line_start..line_start + line.len();
        let corrupt = |span, python, detail, not_json| {
            StrictReadError::Corrupt(Box::new(CorruptLine {
                text: text.clone(),
                line: number,
                span,
                python,
                detail,
                not_json,
            }))
        };
        let kind = match pyjson::check(line) {
            Ok(kind) => kind,
            Err(r @ pyjson::Rejection::TooDeep(_)) => {
                return Err(corrupt(
                    whole_line,
                    r.python_text(line),
                    "nested too deeply".into(),
                    true,
                ));
            }
            Err(r @ pyjson::Rejection::Decode { msg, pos }) => {
                let at = line.char_indices().nth(pos).map_or(line.len(), |(b, _)| b);
                let width = line[at..].chars().next().map_or(0, char::len_utf8);
                let mut detail = msg.to_owned();
                detail[..1].make_ascii_lowercase();
                return Err(corrupt(
                    line_start + at..line_start + at + width,
                    format!("Invalid JSON on line {number}: {}", r.python_text(line)),
                    detail,
                    true,
                ));
            }
        };
        if kind != pyjson::Kind::Dict {
            // `data.get(...)` on a non-dict: an AttributeError 3.1.1 did not catch, so no line.
            return Err(corrupt(
                whole_line,
                format!("'{}' object has no attribute 'get'", kind.name()),
                format!("a JSON {} where an event object belongs", kind.name()),
                false,
            ));
        }
        let structure = |message: String| {
            // A KeyError's text is the quoted key.
            let detail = match message
                .strip_prefix('\'')
                .and_then(|m| m.strip_suffix('\''))
            {
                Some(key) => format!("missing key `{key}`"),
                None => message.clone(),
            };
            corrupt(
                whole_line.clone(),
                format!("Invalid event structure on line {number}: {message}"),
                detail,
                false,
            )
        };
        let map = match pyjson::to_value(line) {
            Some(Value::Object(map)) => map,
            // Python also reads lone surrogate escapes, which no event needs.
            _ => {
                return Err(structure(
                    "a lone surrogate escape, which no event holds".into(),
                ));
            }
        };
        check_event_structure(&map).map_err(&structure)?;
        let event = event_from_value(Value::Object(map)).map_err(&structure)?;
        events.push(event);
    }
    Ok(events)
}

/// Lines as Python's text mode splits them (universal newlines: `\r\n`, `\r` and `\n`), as
/// (one-based number, byte offset, text without the line end).
fn universal_lines(text: &str) -> Vec<(usize, usize, &str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end_len = match bytes[i] {
            b'\n' => 1,
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => 2,
            b'\r' => 1,
            _ => {
                i += 1;
                continue;
            }
        };
        out.push((out.len() + 1, start, &text[start..i]));
        i += end_len;
        start = i;
    }
    if start < bytes.len() {
        out.push((out.len() + 1, start, &text[start..]));
    }
    out
}

/// The checks of 3.1.1's `StatusEvent.from_dict`, in its order, with Python's exception texts
/// (`'event_id'` for a missing key, `'doing' is not a valid Lane`, ...).
fn check_event_structure(data: &Map<String, Value>) -> Result<(), String> {
    let item = |key: &str| -> Result<&Value, String> {
        data.get(key)
            .ok_or_else(|| crate::support::util::py_str(key))
    };
    let lane = |key: &str| -> Result<(), String> {
        let v = item(key)?;
        match v {
            Value::Array(_) | Value::Object(_) => {
                Err(format!("unhashable type: '{}'", pyjson::type_name(v)))
            }
            Value::String(s) if LANES.contains(&s.as_str()) => Ok(()),
            _ => Err(format!("{} is not a valid Lane", pyjson::repr(v))),
        }
    };
    item("event_id")?;
    item("wp_id")?;
    lane("from_lane")?;
    lane("to_lane")?;
    for key in ["at", "actor", "force", "execution_mode"] {
        item(key)?;
    }
    match data.get("evidence") {
        Some(evidence) if pyjson::truthy(evidence) => check_evidence(evidence),
        _ => Ok(()),
    }
}

/// `DoneEvidence.from_dict`: `review` with reviewer, verdict and reference; each of `repos` with
/// repo, branch and commit; each of `verification` with command, result and summary.
fn check_evidence(evidence: &Value) -> Result<(), String> {
    let review = py_getitem(evidence, "review")?;
    for key in ["reviewer", "verdict", "reference"] {
        py_getitem(review, key)?;
    }
    for (list, keys) in [
        ("repos", ["repo", "branch", "commit"]),
        ("verification", ["command", "result", "summary"]),
    ] {
        let Some(items) = evidence.get(list) else {
            continue;
        };
        for entry in py_iter(items)? {
            for key in keys {
                py_getitem(&entry, key)?;
            }
        }
    }
    Ok(())
}

/// Python's `value[key]` for a string key: the value, or the exception text.
fn py_getitem<'a>(value: &'a Value, key: &str) -> Result<&'a Value, String> {
    match value {
        Value::Object(m) => m.get(key).ok_or_else(|| crate::support::util::py_str(key)),
        Value::Array(_) => Err("list indices must be integers or slices, not str".into()),
        Value::String(_) => Err("string indices must be integers, not 'str'".into()),
        other => Err(format!(
            "'{}' object is not subscriptable",
            pyjson::type_name(other)
        )),
    }
}

/// Python's `for x in value`: list items, dict keys, string characters.
fn py_iter(value: &Value) -> Result<Vec<Value>, String> {
    match value {
        Value::Array(items) => Ok(items.clone()),
        Value::Object(m) => Ok(m.keys().map(|k| Value::String(k.clone())).collect()),
        Value::String(s) => Ok(s.chars().map(|c| Value::String(c.to_string())).collect()),
        other => Err(format!(
            "'{}' object is not iterable",
            pyjson::type_name(other)
        )),
    }
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

/// `status.json`'s identity fields, derived as 3.1.1's `materialize` did: `mission_slug` from the
/// earliest event; `mission_number` from `meta.json` (`str()` of a truthy value), else the numeric
/// prefix of meta's slug or the directory name, else of the event's slug; `mission_type` from
/// `meta.json`'s `mission_type` or `mission`, else `software-dev`. Every value is stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `mission_slug`.
    pub slug: String,
    /// `mission_number` (may be empty).
    pub number: String,
    /// `mission_type`.
    pub kind: String,
}

impl Identity {
    /// The identity for a snapshot whose earliest event names `event_slug` (`""` without events),
    /// for the mission directory `dir_name` with `meta.json` values `meta`.
    pub fn resolve(event_slug: &Value, dir_name: &str, meta: &Map<String, Value>) -> Identity {
        let truthy = |key: &str| meta.get(key).filter(|v| pyjson::truthy(v));
        // `resolve_mission_identity`.
        let meta_slug = ["mission_slug", "slug"]
            .into_iter()
            .find_map(truthy)
            .map_or_else(|| dir_name.to_owned(), pyjson::str_of);
        let meta_number = truthy("mission_number").map_or_else(String::new, pyjson::str_of);
        let mut number = pyjson::strip(&meta_number).to_owned();
        if number.is_empty() {
            number = number_from_slug(pyjson::strip(&meta_slug));
        }
        let kind = ["mission_type", "mission"]
            .into_iter()
            .find_map(truthy)
            .map_or_else(String::new, pyjson::str_of);
        // `mission_identity_fields` on the snapshot.
        let slug = pyjson::strip(&pyjson::str_of(event_slug)).to_owned();
        if number.is_empty() {
            number = number_from_slug(&slug);
        }
        let kind = match pyjson::strip(&kind) {
            "" => "software-dev".to_owned(),
            k => k.to_owned(),
        };
        Identity { slug, number, kind }
    }
}

/// The `NNN` of an `NNN-name` slug, or `""`.
pub(crate) fn number_from_slug(slug: &str) -> String {
    let digits: String = slug.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() && slug[digits.len()..].starts_with('-') {
        digits
    } else {
        String::new()
    }
}

/// Builds `status.json` (sorted keys, 2-space indent, non-ASCII as is, trailing newline) from the
/// events, the mission directory's name and its `meta.json` values.
pub fn snapshot_json(events: &[Event], dir_name: &str, meta: &Map<String, Value>) -> String {
    let (ordered, states) = reduce(events);
    let mut summary = BTreeMap::new();
    for lane in LANES {
        summary.insert(lane.to_owned(), 0u64);
    }
    for s in states.values() {
        *summary.entry(s.lane.clone()).or_insert(0) += 1;
    }
    let last = ordered.last();
    let first_slug = ordered
        .first()
        .map_or_else(|| Value::String(String::new()), |e| e.mission_slug.clone());
    let identity = Identity::resolve(&first_slug, dir_name, meta);
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
    // 3.1.1 wrote "" (not null) when there were no events.
    root.insert(
        "materialized_at".into(),
        last.map_or_else(String::new, |e| e.at.clone()).into(),
    );
    root.insert("mission_number".into(), identity.number.into());
    root.insert("mission_slug".into(), identity.slug.into());
    root.insert("mission_type".into(), identity.kind.into());
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
    let mut text = py_json_indent_unicode(&Value::Object(root), 2);
    text.push('\n');
    text
}

/// Rewrites `status.json` from the log (`dir_name` is the mission directory's name). Call with the
/// lock held.
pub fn write_snapshot(
    mission_dir: &Path,
    events: &[Event],
    dir_name: &str,
    meta: &Map<String, Value>,
) -> std::io::Result<()> {
    write_atomic(
        &mission_dir.join(STATUS_FILE),
        snapshot_json(events, dir_name, meta).as_bytes(),
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
        // Nested objects too, as Python's sort_keys did.
        let mut e = ev("01B", "t", "WP01", "in_review", "approved");
        e.evidence = serde_json::json!({"review": {"verdict": "approved", "reviewer": "r", "reference": "x"}});
        assert!(e.to_line().contains(
            r#""evidence": {"review": {"reference": "x", "reviewer": "r", "verdict": "approved"}}"#
        ));
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

    fn strict(text: &str) -> Result<Vec<Event>, Box<CorruptLine>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(EVENTS_FILE);
        std::fs::write(&path, text).expect("write");
        match read_events_strict(&path) {
            Ok(events) => Ok(events),
            Err(StrictReadError::Corrupt(c)) => Err(c),
            Err(StrictReadError::Io(e)) => panic!("io: {e}"),
        }
    }

    #[test]
    fn strict_reader_counts_lines_as_python_and_points_at_the_character() {
        let good = ev("01A", "t1", "WP01", "planned", "planned").to_line();
        // `\r` alone ends a line in Python's text mode; blank lines count but are skipped.
        let text = format!("{good}\r\n\r  {{\"a\": 1,}}\n");
        let c = strict(&text).expect_err("corrupt");
        assert_eq!(c.line, 3);
        assert_eq!(
            c.python,
            "Invalid JSON on line 3: Expecting property name enclosed in double quotes: line 1 column 9 (char 8)"
        );
        assert_eq!(&c.text[c.span.clone()], "}");
        assert!(c.not_json);
        assert_eq!(strict(&format!("{good}\n\n")).expect("reads").len(), 1);
    }

    #[test]
    fn strict_reader_reports_what_from_dict_raised() {
        let cases = [
            (
                r#"{"actor": "x"}"#,
                "Invalid event structure on line 1: 'event_id'",
            ),
            (
                r#"{"event_id": "e", "wp_id": "WP01", "from_lane": "doing", "to_lane": "planned"}"#,
                "Invalid event structure on line 1: 'doing' is not a valid Lane",
            ),
            (
                r#"{"event_id": "e", "wp_id": "WP01", "from_lane": ["x"]}"#,
                "Invalid event structure on line 1: unhashable type: 'list'",
            ),
            // NaN reads as null here; 3.1.1 said `nan is not a valid Lane`.
            (
                r#"{"event_id": "e", "wp_id": "WP01", "from_lane": NaN}"#,
                "Invalid event structure on line 1: None is not a valid Lane",
            ),
            ("[1, 2]", "'list' object has no attribute 'get'"),
            ("null", "'NoneType' object has no attribute 'get'"),
        ];
        for (line, python) in cases {
            let c = strict(&format!("{line}\n")).expect_err(line);
            assert_eq!(c.python, python);
            assert!(!c.not_json);
        }
        let mut e = ev("01A", "t1", "WP01", "planned", "planned");
        e.evidence = serde_json::json!({"review": {"reviewer": "r", "verdict": "ok"}});
        let c = strict(&format!("{}\n", e.to_line())).expect_err("evidence");
        assert_eq!(c.python, "Invalid event structure on line 1: 'reference'");
        assert_eq!(c.detail, "missing key `reference`");
        e.evidence = serde_json::json!({"review": {"reviewer": "r", "verdict": "ok", "reference": "x"}, "repos": 5});
        let c = strict(&format!("{}\n", e.to_line())).expect_err("repos");
        assert_eq!(
            c.python,
            "Invalid event structure on line 1: 'int' object is not iterable"
        );
    }

    #[test]
    fn legacy_feature_slug_names_the_mission() {
        let mut line: Value =
            serde_json::from_str(&ev("01A", "t1", "WP01", "planned", "planned").to_line())
                .expect("json");
        line["mission_slug"] = Value::Null;
        line["feature_slug"] = "007-old".into();
        let text = format!("{}\n", py_json(&line));
        let events = strict(&text).expect("reads");
        let json = snapshot_json(&events, "007-old", &Map::new());
        assert!(json.contains("\"mission_slug\": \"007-old\""), "{json}");
        assert!(json.contains("\"mission_number\": \"007\""), "{json}");
    }

    #[test]
    fn identity_follows_resolve_mission_identity() {
        let meta = |v: Value| v.as_object().cloned().unwrap_or_default();
        let slug = Value::from(" 001-m ");
        let id = Identity::resolve(&slug, "001-m", &Map::new());
        assert_eq!(
            (id.slug.as_str(), id.number.as_str(), id.kind.as_str()),
            ("001-m", "001", "software-dev")
        );
        let id = Identity::resolve(
            &slug,
            "001-m",
            &meta(serde_json::json!({"mission_number": 7, "mission": "research"})),
        );
        assert_eq!((id.number.as_str(), id.kind.as_str()), ("7", "research"));
        let id = Identity::resolve(
            &slug,
            "001-m",
            &meta(serde_json::json!({"mission_number": 0, "slug": "042-x", "mission_type": " "})),
        );
        assert_eq!(
            (id.number.as_str(), id.kind.as_str()),
            ("042", "software-dev")
        );
        // No number anywhere in meta or the directory: the event's slug gives it.
        let id = Identity::resolve(&Value::from("005-e"), "plain", &Map::new());
        assert_eq!(id.number, "005");
        let id = Identity::resolve(&Value::from("plain"), "plain", &Map::new());
        assert_eq!(id.number, "");
    }

    #[test]
    fn snapshot_keeps_non_ascii_and_is_empty_string_without_events() {
        let meta = serde_json::json!({"mission_type": "dév ☕"});
        let json = snapshot_json(&[], "001-m", meta.as_object().expect("object"));
        assert!(json.contains("\"mission_type\": \"dév ☕\""), "{json}");
        assert!(json.contains("\"materialized_at\": \"\""), "{json}");
        assert!(json.contains("\"mission_slug\": \"\""), "{json}");
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
