//! The report stage: 3.1.1's JSON payloads (keys in its order) and human lines for a run, a
//! `--validate-only` run and the `--check` drift gate.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::Report;
use super::bootstrap::Bootstrap;
use super::branch::branch_note;
use super::emit::Emitted;
use super::inflight::{self, LaneMove};
use super::load::Loaded;
use super::plan::{WpPlan, Write};
use crate::compiler::graph::DepMap;
use crate::compiler::lanes::LanePlan;
use crate::compiler::risk::RiskReport;
use crate::compiler::status;
use crate::project::rel_path;
use crate::support::diagnostics::Diag;
use crate::support::par;
use crate::support::util::{json_lists, json_strings};

fn lanes_summary(plan: Option<&LanePlan>, preview_short: bool) -> Value {
    match plan {
        Some(p) => p.summary_json(),
        None if preview_short => serde_json::json!({"computed": false}),
        None => {
            serde_json::json!({"computed": false, "count": 0, "lane_ids": [], "planning_artifact_wps": [], "collapse_report": null})
        }
    }
}

/// What the stages before the report established: everything a report is made of.
pub(crate) struct Outcome<'a> {
    pub loaded: &'a Loaded,
    pub branch: &'a str,
    pub plans: &'a [WpPlan],
    pub parsed: &'a DepMap,
    pub refs: &'a [(String, Vec<String>)],
    pub bootstrap: &'a Bootstrap,
    pub lanes: Option<&'a LanePlan>,
    pub ownership_warnings: &'a [String],
    /// The target branch meta.json names, for the note when it is not the branch planned for.
    pub meta_target: Option<&'a str>,
}

/// The WPs by what the run does to their files: (updated, modified, unchanged, preserved), as
/// 3.1.1 counted them (a preserved WP may be updated too, but is not "modified").
fn partition(plans: &[WpPlan]) -> (usize, Vec<String>, Vec<String>, Vec<String>) {
    let ids = |keep: &dyn Fn(&WpPlan) -> bool| -> Vec<String> {
        plans
            .iter()
            .filter(|p| keep(p))
            .map(|p| p.id.clone())
            .collect()
    };
    (
        plans.iter().filter(|p| !p.changes.is_empty()).count(),
        ids(&|p| !p.changes.is_empty() && !p.preserved),
        ids(&|p| p.changes.is_empty() && !p.preserved),
        ids(&|p| p.preserved),
    )
}

/// The line every run starts with, a failed one included (3.1.1 printed it before any check).
pub(crate) fn branch_line(branch: &str) -> String {
    format!("Branch: {branch} (target for this mission)")
}

/// The first lines of every report: the branch, and the note when it is not the mission's target.
fn branch_lines(o: &Outcome<'_>) -> Vec<String> {
    let mut lines = vec![branch_line(o.branch)];
    lines.extend(branch_note(o.meta_target, o.branch));
    lines
}

/// The part of a `--validate-only` report that needs only the plans: what each WP's file would
/// get. Worked out beside validation, on the core the status bootstrap leaves idle.
pub(crate) struct Preview {
    updated: usize,
    unchanged: Vec<String>,
    preserved: Vec<String>,
    would_modify: Vec<Value>,
}

pub(crate) fn preview(plans: &[WpPlan]) -> Preview {
    let (updated, _, unchanged, preserved) = partition(plans);
    let would_modify = plans
        .iter()
        .filter(|p| !p.changes.is_empty())
        .map(|p| {
            let mut changes = Map::with_capacity(p.changes.len());
            for (k, val) in &p.changes {
                changes.insert((*k).to_owned(), val.to_json());
            }
            let mut entry = Map::with_capacity(2);
            entry.insert("wp_id".into(), p.id.clone().into());
            entry.insert("changes".into(), Value::Object(changes));
            Value::Object(entry)
        })
        .collect();
    Preview {
        updated,
        unchanged,
        preserved,
        would_modify,
    }
}

/// `--validate-only`: 3.1.1's `validation_passed` payload, what would change and be seeded.
pub(crate) fn validate_only(o: &Outcome<'_>, preview: Preview, warnings: Vec<Diag>) -> Report {
    let Preview {
        updated,
        unchanged,
        preserved,
        would_modify,
    } = preview;
    let mut validation = Map::new();
    validation.insert("bootstrap_preview".into(), o.bootstrap.json());
    validation.insert("lanes_preview".into(), lanes_summary(o.lanes, true));
    let mut payload = Map::new();
    payload.insert("result".into(), "validation_passed".into());
    payload.insert("mission_slug".into(), o.loaded.slug.clone().into());
    payload.insert("wp_count".into(), o.loaded.wps.len().into());
    payload.insert("validate_only".into(), true.into());
    let would_modify_count = would_modify.len();
    payload.insert("would_modify".into(), Value::Array(would_modify));
    payload.insert("would_preserve".into(), json_strings(&preserved));
    payload.insert("unchanged".into(), json_strings(&unchanged));
    payload.insert("updated_wp_count".into(), updated.into());
    payload.insert(
        "ownership_warnings".into(),
        json_strings(o.ownership_warnings),
    );
    payload.insert("validation".into(), Value::Object(validation));
    payload.insert(
        "message".into(),
        "All validations passed. Run without --validate-only to commit.".into(),
    );
    let mut lines = branch_lines(o);
    lines.extend([
        "✓ All validations passed (--validate-only mode, no commit)".to_owned(),
        format!("  Mission: {}", o.loaded.slug),
        format!("  WPs validated: {}", o.loaded.wps.len()),
        format!(
            "  Would modify: {} WP(s), preserve: {}, unchanged: {}",
            would_modify_count,
            preserved.len(),
            unchanged.len()
        ),
        format!(
            "  Bootstrap: {} WPs would be seeded, {} already initialized",
            o.bootstrap.seeds.len(),
            o.bootstrap.already
        ),
    ]);
    if let Some(l) = o.lanes {
        lines.push(format!(
            "  Lanes: {} lane(s) would be computed",
            l.lanes.len()
        ));
    }
    Report {
        payload,
        lines,
        warnings,
        drift: false,
        leftovers: par::Leftovers::default(),
    }
}

/// A run that wrote: 3.1.1's `success` payload, then the lane moves `--force` allowed.
pub(crate) fn success(
    o: &Outcome<'_>,
    emitted: &Emitted,
    in_flight: &[LaneMove],
    risk: Option<&RiskReport>,
    warnings: Vec<Diag>,
) -> Report {
    let (updated, modified, unchanged, preserved) = partition(o.plans);
    let loaded = o.loaded;
    let mut payload = Map::new();
    payload.insert("result".into(), "success".into());
    payload.insert("wp_count".into(), loaded.wps.len().into());
    payload.insert("updated_wp_count".into(), updated.into());
    payload.insert("modified_wps".into(), json_strings(&modified));
    payload.insert("unchanged_wps".into(), json_strings(&unchanged));
    payload.insert("preserved_wps".into(), json_strings(&preserved));
    payload.insert(
        "tasks_dir".into(),
        loaded.dir.join("tasks").display().to_string().into(),
    );
    payload.insert("commit_created".into(), emitted.commit.is_some().into());
    payload.insert(
        "commit_hash".into(),
        emitted.commit.clone().map_or(Value::Null, Value::String),
    );
    payload.insert("files_committed".into(), json_strings(&emitted.files));
    payload.insert("dependencies_parsed".into(), json_lists(o.parsed.iter()));
    payload.insert(
        "requirement_refs_parsed".into(),
        json_lists(o.refs.iter().map(|(k, v)| (k, v))),
    );
    payload.insert("bootstrap".into(), o.bootstrap.json());
    payload.insert("lanes".into(), lanes_summary(o.lanes, false));
    payload.insert(
        "ownership_warnings".into(),
        json_strings(o.ownership_warnings),
    );

    let mut lines = branch_lines(o);
    if let Some(m) = &loaded.wps_yaml {
        lines.push(format!(
            "Regenerated tasks.md from wps.yaml ({} WPs)",
            m.entries.len()
        ));
    }
    if !o.bootstrap.seeds.is_empty() {
        lines.push(format!(
            "✓ Bootstrapped canonical status: {} WPs seeded",
            o.bootstrap.seeds.len()
        ));
    }
    if let Some(plan) = o.lanes {
        lines.push(format!("✓ Computed {} execution lane(s)", plan.lanes.len()));
        if plan.independent_collapsed > 0 {
            lines.push(format!(
                "⚠ {} independent WP pair(s) collapsed into same lane. Run with --json to see details.",
                plan.independent_collapsed
            ));
        }
    }
    if !in_flight.is_empty() {
        lines.extend(inflight::forced_lines(in_flight));
        payload.insert(
            "lane_moves_forced".into(),
            Value::Array(
                in_flight
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "wp_id": m.wp,
                            "from_lane": m.from,
                            "to_lane": m.to,
                            "status": m.status,
                            "orphaned_worktree": m.worktree,
                        })
                    })
                    .collect(),
            ),
        );
    }
    if let Some(report) = risk {
        lines.extend(report.lines());
    }
    match &emitted.commit {
        Some(hash) => {
            lines.push(format!("✓ Tasks committed to {}", o.branch));
            lines.push(format!("Commit: {}", &hash[..hash.len().min(7)]));
            // 3.1.1 printed the count only with a commit.
            lines.push(format!("Updated {updated} WP files with dependencies"));
        }
        None => lines.push("Tasks unchanged, no commit needed".to_owned()),
    }
    Report {
        payload,
        lines,
        warnings,
        drift: false,
        leftovers: par::Leftovers::default(),
    }
}

/// The drift gate's report: every file finalize would write, and why.
pub(crate) fn check(root: &Path, o: &Outcome<'_>, writes: &[Write], warnings: Vec<Diag>) -> Report {
    let (loaded, plans, bootstrap) = (o.loaded, o.plans, o.bootstrap);
    let mut files: Vec<Value> = Vec::new();
    let mut lines = Vec::new();
    // Each WP file's plan by path (the first WP read from a path, as a search in order finds).
    let mut plan_of: HashMap<&Path, &WpPlan> = HashMap::new();
    for (w, p) in loaded.wps.iter().zip(plans) {
        plan_of.entry(w.path.as_path()).or_insert(p);
    }
    for (path, _) in writes {
        let rel = rel_path(root, path);
        let fields: Vec<String> = plan_of
            .get(path.as_path())
            .map(|p| p.changes.iter().map(|(k, _)| (*k).to_owned()).collect())
            .unwrap_or_default();
        let exists = path.exists();
        lines.push(if fields.is_empty() {
            format!("  {} {rel}", if exists { "M" } else { "A" })
        } else {
            format!("  M {rel} ({})", fields.join(", "))
        });
        files.push(serde_json::json!({"path": rel, "change": if exists { "modify" } else { "create" }, "fields": fields}));
    }
    if !bootstrap.seeds.is_empty() {
        let events = rel_path(root, &loaded.dir.join(status::EVENTS_FILE));
        let snapshot = rel_path(root, &loaded.dir.join(status::STATUS_FILE));
        let ids: Vec<&str> = bootstrap.seeds.iter().map(String::as_str).collect();
        let mark = |p: &Path| if p.exists() { "M" } else { "A" };
        lines.push(format!(
            "  {} {events} (seed {})",
            mark(&loaded.dir.join(status::EVENTS_FILE)),
            ids.join(", ")
        ));
        lines.push(format!(
            "  {} {snapshot}",
            mark(&loaded.dir.join(status::STATUS_FILE))
        ));
        files.push(serde_json::json!({"path": events, "change": "append", "fields": ids}));
        files.push(serde_json::json!({"path": snapshot, "change": "modify", "fields": []}));
    }
    let drift = !files.is_empty();
    let mut out = if drift {
        vec![format!(
            "✗ {}: finalize-tasks would change {} file(s):",
            loaded.slug,
            files.len()
        )]
    } else {
        vec![format!("✓ {}: finalized files are up to date", loaded.slug)]
    };
    out.extend(lines);
    if drift {
        out.push(format!(
            "Run `spec-kitty agent mission finalize-tasks --mission {}` and commit the result.",
            loaded.slug
        ));
    }
    let mut payload = Map::new();
    payload.insert(
        "result".into(),
        if drift { "drift" } else { "up_to_date" }.into(),
    );
    payload.insert("mission_slug".into(), loaded.slug.clone().into());
    payload.insert("files".into(), Value::Array(files));
    Report {
        payload,
        lines: out,
        warnings,
        drift,
        leftovers: par::Leftovers::default(),
    }
}
