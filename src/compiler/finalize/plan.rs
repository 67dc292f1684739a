//! The plan stage: what each WP file's frontmatter becomes, and every file the run would write
//! (WP files, tasks.md regenerated from wps.yaml, lanes.json). Nothing is written here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::bootstrap::Bootstrap;
use super::branch::branch_strategy;
use super::load::{Loaded, Wp};
use super::resolve::Resolution;
use crate::compiler::lanes::{LanePlan, WpOwnership};
use crate::compiler::ownership;
use crate::compiler::tasks::frontmatter::FmValue;
use crate::support::util::UtcTime;

/// The order in which 3.1.1 reported changed fields.
const REPORT_ORDER: [&str; 8] = [
    "dependencies",
    "planning_base_branch",
    "merge_target_branch",
    "branch_strategy",
    "requirement_refs",
    "execution_mode",
    "owned_files",
    "authoritative_surface",
];

/// 3.1.1's serializer key order for the keys finalize writes: a missing key is inserted after the
/// nearest key that precedes it here.
pub const OWNED_ORDER: [&str; 10] = [
    "work_package_id",
    "title",
    "dependencies",
    "requirement_refs",
    "planning_base_branch",
    "merge_target_branch",
    "branch_strategy",
    "authoritative_surface",
    "execution_mode",
    "owned_files",
];

/// What finalize will do to one WP file.
#[derive(Debug, Clone)]
pub(crate) struct WpPlan {
    pub id: String,
    pub changes: Vec<(&'static str, FmValue)>,
    pub preserved: bool,
    pub broad_fallback: bool,
    pub execution_mode: String,
    pub owned_files: Vec<String>,
    pub surface: String,
}

/// The branch every WP is planned for, and the `branch_strategy` sentence naming it (made once a
/// run, not once a WP).
pub(crate) struct Target<'a> {
    pub branch: &'a str,
    pub strategy: String,
}

impl<'a> Target<'a> {
    pub fn new(branch: &'a str) -> Self {
        Target {
            branch,
            strategy: branch_strategy(branch),
        }
    }
}

pub(crate) fn wp(
    wp: &Wp,
    res: &Resolution,
    refs: &[(String, Vec<String>)],
    target: &Target,
    slug: &str,
) -> WpPlan {
    let meta = &wp.file.meta;
    let mut changes: Vec<(&'static str, FmValue)> = Vec::new();
    let preserved = res.preserved.contains(&wp.id);
    // Dependencies: the resolved list; a WP outside the map keeps its frontmatter list when the
    // map came from tasks.md, and gets [] when it came from wps.yaml (as 3.1.1 wrote).
    let deps: &[String] = match res.map.get(&wp.id) {
        Some(d) => d,
        None if res.outside_keeps_frontmatter => meta.dependencies.as_deref().unwrap_or_default(),
        None => &[],
    };
    if !wp.file.raw_has_dependencies || meta.dependencies.as_deref() != Some(deps) {
        changes.push(("dependencies", FmValue::List(deps.to_vec())));
    }
    let my_refs = super::resolve::refs_of(refs, &wp.id);
    if !wp.file.raw_has_requirement_refs || meta.requirement_refs.as_deref() != Some(my_refs) {
        changes.push(("requirement_refs", FmValue::List(my_refs.to_vec())));
    }
    // The branch fields: allocated only when they change (re-runs and `--check` change none).
    for (key, current, want) in [
        (
            "planning_base_branch",
            &meta.planning_base_branch,
            target.branch,
        ),
        (
            "merge_target_branch",
            &meta.merge_target_branch,
            target.branch,
        ),
        (
            "branch_strategy",
            &meta.branch_strategy,
            target.strategy.as_str(),
        ),
    ] {
        if current.as_deref() != Some(want) {
            changes.push((key, FmValue::Str(want.to_owned())));
        }
    }
    // Ownership: when the mode or the globs are missing, 3.1.1 inferred a whole manifest from the
    // file's full text (frontmatter included) and took the missing fields from it; a missing
    // surface comes from the *inferred* globs even when owned_files were given.
    let raw: &str = &wp.file.source.text;
    let mode_missing = meta.execution_mode.as_deref().is_none_or(str::is_empty);
    let owned_missing = meta.owned_files.as_ref().is_none_or(Vec::is_empty);
    let mut execution_mode = meta.execution_mode.clone().unwrap_or_default();
    let mut owned_files = meta.owned_files.clone().unwrap_or_default();
    let mut surface = meta.authoritative_surface.clone().unwrap_or_default();
    let mut broad_fallback = false;
    if mode_missing || owned_missing {
        let (globs, fallback) = ownership::infer_owned_files(raw, slug);
        broad_fallback = fallback;
        if mode_missing {
            execution_mode = ownership::infer_execution_mode(raw).to_owned();
            changes.push(("execution_mode", FmValue::Str(execution_mode.clone())));
        }
        if owned_missing {
            owned_files = globs.clone();
            changes.push(("owned_files", FmValue::List(globs.clone())));
        }
        if surface.is_empty() {
            surface = ownership::infer_surface(&globs);
            changes.push(("authoritative_surface", FmValue::Str(surface.clone())));
        }
    }
    // 3.1.1's order of changed fields (the `would_modify` payload).
    changes.sort_by_key(|(k, _)| {
        REPORT_ORDER
            .iter()
            .position(|o| o == k)
            .unwrap_or(usize::MAX)
    });
    WpPlan {
        id: wp.id.clone(),
        changes,
        preserved,
        broad_fallback,
        execution_mode,
        owned_files,
        surface,
    }
}

/// The sorted list of `(wp, ownership)` used by lanes; planning WPs included.
pub(crate) fn owners_from_plans(
    loaded: &Loaded,
    plans: &[WpPlan],
) -> BTreeMap<usize, (String, WpOwnership)> {
    let mut out = BTreeMap::new();
    for (i, (wp, plan)) in loaded.wps.iter().zip(plans).enumerate() {
        // 3.1.1 kept manifests in a dict keyed by WP id, filled from the last readable file with
        // that id: two files for one WP give one manifest, not two that overlap each other.
        if loaded.index.get(&wp.id) != Some(&i) {
            continue;
        }
        if plan.owned_files.is_empty() {
            continue;
        }
        // An execution_mode other than these two leaves the WP readable but without a manifest
        // (3.1.1's `ExecutionMode(...)` raised, and the manifest was skipped).
        let Some(mode) = ownership::execution_mode(&plan.execution_mode) else {
            continue;
        };
        out.insert(
            i,
            (
                wp.id.clone(),
                WpOwnership {
                    execution_mode: mode.to_owned(),
                    owned_files: plan.owned_files.clone(),
                    body: wp.file.body().to_owned(),
                },
            ),
        );
    }
    out
}

/// lanes.json text; `computed_at` is kept when nothing else changed (deliberate difference 3).
/// `old_text` is the file as it is now.
fn lanes_text(
    plan: &LanePlan,
    slug: &str,
    mission_id: &str,
    branch: &str,
    old_text: Option<&str>,
) -> String {
    let now = UtcTime::now().isoformat();
    let fresh = plan.manifest_json(slug, mission_id, branch, &now);
    let Some(old_text) = old_text else {
        return fresh;
    };
    let Ok(Value::Object(mut old)) = serde_json::from_str::<Value>(old_text) else {
        return fresh;
    };
    let Some(Value::String(old_at)) = old.remove("computed_at") else {
        return fresh;
    };
    let kept = plan.manifest_json(slug, mission_id, branch, &old_at);
    let Ok(Value::Object(mut new)) = serde_json::from_str::<Value>(&kept) else {
        return fresh;
    };
    new.remove("computed_at");
    if new == old { kept } else { fresh }
}

/// 3.1.1's phase-1 lane mirror: in a mission whose meta.json says `status_phase: 1`, seeding a WP
/// also set an existing `lane:` key of its prompt file to `planned` (never adding the key; only
/// when exactly one file is named for the WP and it is readable). The indices in `loaded.wps` of
/// the files to edit; the edit is not a WP update in the JSON report, as in 3.1.1.
fn phase1_lane_mirror(
    loaded: &Loaded,
    meta: &Map<String, Value>,
    bootstrap: &Bootstrap,
) -> HashSet<usize> {
    let phase1 = meta
        .get("status_phase")
        .is_some_and(|v| crate::support::pyjson::strip(&crate::support::pyjson::str_of(v)) == "1");
    if !phase1 {
        return HashSet::new();
    }
    let mut files_per_id: HashMap<&str, usize> = HashMap::new();
    for id in &loaded.file_ids {
        *files_per_id.entry(id.as_str()).or_default() += 1;
    }
    bootstrap
        .seeds
        .iter()
        .filter_map(|id| {
            if files_per_id.get(id.as_str()) != Some(&1) {
                return None;
            }
            let i = *loaded.index.get(id)?;
            let file = &loaded.wps[i].file;
            file.key_span("lane")?;
            let lane = file.meta.lane.as_deref().map(str::trim);
            let lane = if lane == Some("doing") {
                Some("in_progress")
            } else {
                lane
            };
            (lane != Some("planned")).then_some(i)
        })
        .collect()
}

/// One file the run would write, with its new text.
pub(crate) type Write = (PathBuf, String);

/// Every file the run would write: WP files whose frontmatter changes (plus the phase-1 lane
/// mirror), tasks.md regenerated from wps.yaml, and lanes.json, each only when its text changes.
pub(crate) fn writes(
    loaded: &Loaded,
    plans: &[WpPlan],
    meta: &Map<String, Value>,
    bootstrap: &Bootstrap,
    lanes: Option<&LanePlan>,
    mission_id: &str,
    branch: &str,
) -> Vec<Write> {
    let mirrored = phase1_lane_mirror(loaded, meta, bootstrap);
    let mut writes: Vec<Write> = Vec::new();
    for (i, (wp, plan)) in loaded.wps.iter().zip(plans).enumerate() {
        let mut changes: Vec<(&str, FmValue)> =
            plan.changes.iter().map(|(k, v)| (*k, v.clone())).collect();
        if mirrored.contains(&i) {
            changes.push(("lane", FmValue::Str("planned".into())));
        }
        if !changes.is_empty() {
            // 3.1.1 wrote the whole frontmatter back from its model, so a list it had read from
            // text (`dependencies: WP01`) was written as a list.
            let meta = &wp.file.meta;
            for (key, text, value) in [
                ("dependencies", meta.dependencies_text, &meta.dependencies),
                (
                    "requirement_refs",
                    meta.requirement_refs_text,
                    &meta.requirement_refs,
                ),
            ] {
                if text && !changes.iter().any(|(k, _)| *k == key) {
                    changes.push((key, FmValue::List(value.clone().unwrap_or_default())));
                }
            }
            writes.push((wp.path.clone(), wp.file.edited(&changes, &OWNED_ORDER)));
        }
    }
    if let Some(m) = &loaded.wps_yaml {
        let text = m.tasks_md(&loaded.slug);
        if loaded.tasks_md.as_ref().map(|s| &*s.text) != Some(text.as_str()) {
            writes.push((loaded.dir.join("tasks.md"), text));
        }
    }
    let lanes_path = loaded.dir.join("lanes.json");
    if let Some(plan) = lanes {
        let old = std::fs::read_to_string(&lanes_path).ok();
        let text = lanes_text(plan, &loaded.slug, mission_id, branch, old.as_deref());
        if old.as_deref() != Some(text.as_str()) {
            writes.push((lanes_path, text));
        }
    }
    writes
}
