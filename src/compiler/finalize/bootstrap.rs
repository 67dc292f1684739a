//! The status bootstrap: one `planned` event per WP the status log does not know yet, read and
//! refused as 3.1.1 did.

use std::path::Path;

use serde_json::Value;

use super::load::Loaded;
use super::meta;
use crate::compiler::status::{self, Event};
use crate::project::rel_path;
use crate::support::diagnostics::{Diag, Failure, Source};
use crate::support::util::UtcTime;

/// The status log as 3.1.1's bootstrap read it: only when some WP file has an id, and refused
/// whole when a line is not an event.
pub(crate) fn read_log(root: &Path, loaded: &Loaded) -> Result<Vec<Event>, Failure> {
    if loaded.bootstrap_ids.iter().flatten().next().is_none() {
        return Ok(Vec::new());
    }
    let events_path = loaded.dir.join(status::EVENTS_FILE);
    status::read_events_strict(&events_path).map_err(|e| corrupt_log_failure(root, &events_path, e))
}

/// Whether reading the log cannot block: it is a plain file or missing (a FIFO would wait for a
/// writer).
pub(crate) fn log_readable_now(loaded: &Loaded) -> bool {
    std::fs::metadata(loaded.dir.join(status::EVENTS_FILE)).map_or(true, |m| m.is_file())
}

/// The checks finalize makes on meta.json and the status log, for `spec-kitty lint`: what would
/// stop a real run (a meta.json that is not UTF-8 or not an object; a corrupt event log; malformed
/// meta.json when there are WPs to seed) and the malformed-meta.json warning. A missing meta.json
/// is no problem there.
pub(crate) fn state_checks(root: &Path, loaded: &Loaded) -> Vec<Diag> {
    let mut diags = Vec::new();
    let meta = meta::read(root, &loaded.dir, &mut diags).meta;
    diags.retain(|d| d.code != "mission::meta-missing");
    if let Some(f) = meta.early_failure() {
        return f.diagnostics;
    }
    let events = match read_log(root, loaded) {
        Ok(events) => events,
        Err(f) => {
            diags.extend(f.diagnostics);
            return diags;
        }
    };
    if !plan(loaded, &events).seeds.is_empty()
        && let Some(f) = meta.seeding_failure(&loaded.dir.join("meta.json"))
    {
        diags.retain(|d| d.code != "mission::meta-unreadable");
        diags.extend(f.diagnostics);
    }
    diags
}

/// The status bootstrap: one `planned` event per WP the log does not know yet. The events
/// themselves are made when they are written ([`Bootstrap::events`]), so that a run that only
/// reports (`--validate-only`, `--check`, lint) does not make thousands of ids and timestamps.
pub(crate) struct Bootstrap {
    pub total: usize,
    /// The WPs to seed, in the order their events go into the log.
    pub seeds: Vec<String>,
    pub already: usize,
}

impl Bootstrap {
    pub(crate) fn json(&self) -> Value {
        serde_json::json!({"total_wps": self.total, "newly_seeded": self.seeds.len(), "already_initialized": self.already})
    }

    /// The seeding events, stamped now. Each is later than the one before (3.1.1's were, one write
    /// apart), so the reducer keeps the log's order.
    pub(crate) fn events(&self, slug: &str) -> Vec<Event> {
        let mut previous: Option<UtcTime> = None;
        self.seeds
            .iter()
            .map(|id| {
                let now = UtcTime::now();
                let at = match previous {
                    Some(p) if (now.unix_seconds(), now.micros) <= (p.unix_seconds(), p.micros) => {
                        p.plus_micro()
                    }
                    _ => now,
                };
                previous = Some(at);
                Event {
                    actor: "finalize-tasks".into(),
                    at: at.isoformat(),
                    event_id: status::new_event_id(),
                    evidence: Value::Null,
                    execution_mode: "worktree".into(),
                    force: true,
                    from_lane: "planned".into(),
                    mission_slug: slug.into(),
                    policy_metadata: Value::Null,
                    reason: "canonical bootstrap".into(),
                    review_ref: Value::Null,
                    to_lane: "planned".into(),
                    wp_id: id.clone(),
                }
            })
            .collect()
    }
}

/// 3.1.1 seeded every collected id, duplicates included: two WP files with the same
/// `work_package_id` get two events.
pub(crate) fn plan(loaded: &Loaded, existing: &[Event]) -> Bootstrap {
    let known: std::collections::HashSet<&str> =
        existing.iter().map(|e| e.wp_id.as_str()).collect();
    let ids: Vec<&String> = loaded.bootstrap_ids.iter().flatten().collect();
    let seeds: Vec<String> = ids
        .iter()
        .filter(|id| !known.contains(id.as_str()))
        .map(|id| (*id).clone())
        .collect();
    Bootstrap {
        total: ids.len(),
        already: ids.len() - seeds.len(),
        seeds,
    }
}

/// The failure for a log 3.1.1 would not read: its `{"error": ...}` text for `--json`, a
/// diagnostic pointing at the line for humans.
fn corrupt_log_failure(root: &Path, path: &Path, err: status::StrictReadError) -> Failure {
    let c = match err {
        status::StrictReadError::Io(e) => {
            return Failure::simple(crate::support::diagnostics::io_error(
                "status::read",
                path,
                &e,
            ));
        }
        status::StrictReadError::Corrupt(c) => c,
    };
    let name = rel_path(root, path);
    let source = Source::new(name.clone(), c.text.clone());
    let (message, label) = if c.not_json {
        (
            format!("line {} of `{name}` is not valid JSON", c.line),
            c.detail.clone(),
        )
    } else {
        (
            format!(
                "line {} of `{name}` is not a status event: {}",
                c.line, c.detail
            ),
            "not a status event".to_owned(),
        )
    };
    let diag = Diag::error("status::corrupt-log", message)
        .at(&source, c.span.clone(), label)
        .with_help(format!(
            "the event log holds one JSON event object per line; repair or remove line {} (`git log -p -- {name}` shows earlier versions), then re-run finalize-tasks",
            c.line
        ));
    Failure::with_error_text(diag, c.python.clone())
}
