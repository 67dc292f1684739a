//! The status event log (`kitty-specs/<slug>/status.events.jsonl`) and its reduction to
//! `status.json`.
//!
//! The log is append-only JSONL, one event per line with sorted keys. Appends are serialised by a
//! lock on a sidecar file and written with one `write` of whole lines; a torn final line (a crash
//! mid-append) is reported and skipped by the reader, never silently taken with later events.
//!
//! One concern a file: the log itself and its lock ([`log`]), 3.1.1's strict reader that finalize
//! uses ([`strict`]), and the reduction to lanes and `status.json` ([`snapshot`]).

pub mod log;
pub mod snapshot;
pub mod strict;

pub use log::*;
pub(crate) use snapshot::number_from_slug;
pub use snapshot::{Identity, WpState, reduce, snapshot_json, write_snapshot};
pub use strict::{CorruptLine, StrictReadError, read_events_strict};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::util::py_json;
    use serde_json::{Map, Value};

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
