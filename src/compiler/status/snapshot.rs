//! The log reduced: each WP's current lane (events in order, duplicates dropped), the mission's
//! identity, and `status.json` as 3.1.1 materialised it.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::{Map, Value};

use crate::support::pyjson;
use crate::support::util::{py_json_indent_unicode, write_atomic};

use super::log::*;

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
