//! 3.1.1's strict reading of the event log, which finalize uses: a line that is not an event stops
//! it, with Python's error text and the line and character it points at.

use std::path::Path;

use serde_json::{Map, Value};

use crate::support::pyjson;

use super::log::*;

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
