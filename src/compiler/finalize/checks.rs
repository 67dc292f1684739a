//! The validation checks of finalize-tasks, each returning 3.1.1's JSON payload for `--json` and a
//! diagnostic with spans for every problem it found.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value};

use super::plan::owners_from_plans;
use super::{DepSource, Loaded, Resolution, WpPlan};
use crate::compiler::graph::{
    DepMap, cycles_as_311, cyclic_components, reference_errors, sort_wps,
};
use crate::compiler::lanes::{GlobOverlap, MissingManifest, WpOwnership};
use crate::compiler::ownership::{
    CODE_CHANGE, PLANNING_ARTIFACT, RepoFs, execution_mode, find_overlaps, overlap_message,
    repo_glob_matches, surface_error,
};
use crate::support::diagnostics::{Diag, Failure};
use crate::support::util::{json_lists, json_strings, py_list};

fn failure(diags: Vec<Diag>, payload: Map<String, Value>) -> Failure {
    Failure {
        diagnostics: diags,
        payload,
        versioned: true,
        preamble: Vec::new(),
    }
}

/// The help of an error that follows from a WP file finalize could not read.
const SKIPPED_HELP: &str = "the WP's prompt file could not be read, so it was skipped (its `wp::frontmatter` warning says why; `-q` hides it): fix the file first";

/// Whether `id` has a prompt file that could not be read (its warning is reported).
fn skipped_file(loaded: &Loaded, id: &str) -> bool {
    loaded.wp(id).is_none() && loaded.file_ids.iter().any(|f| f == id)
}

/// The WP file of `id`, if readable.
fn wp<'a>(loaded: &'a Loaded, id: &str) -> Option<&'a super::Wp> {
    loaded.wp(id)
}

/// Points `diag` at where `wp` declares its dependency on `dep`: the tasks.md declaration when
/// the list came from tasks.md, else the WP file's `dependencies` key.
fn at_dependency(
    diag: Diag,
    loaded: &Loaded,
    res: &Resolution,
    wp_id: &str,
    dep: &str,
    label: String,
) -> Diag {
    let from_tasks = res.source.get(wp_id) == Some(&DepSource::Parsed);
    if from_tasks {
        if let Some(src) = &loaded.tasks_md
            && let Some(section) = loaded.doc.sections.iter().rev().find(|s| s.id == wp_id)
        {
            let span = section
                .deps
                .iter()
                .find(|d| d.wp == dep)
                .map_or(section.id_span.clone(), |d| d.span.clone());
            let same_source = diag.source.as_ref().is_none_or(|s| s.name == src.name);
            return if same_source {
                if diag.source.is_none() {
                    diag.at(src, span, label)
                } else {
                    diag.and_at(span, label)
                }
            } else {
                diag.with_related(
                    Diag::error("related", format!("{wp_id} depends on {dep} here"))
                        .at(src, span, label),
                )
            };
        }
    } else if let Some(w) = wp(loaded, wp_id) {
        let span = w.file.key_or_frontmatter_span("dependencies");
        let related = Diag::error(
            "related",
            format!("{wp_id} depends on {dep} (in its frontmatter)"),
        )
        .at(&w.file.source, span, label);
        return diag.with_related(related);
    }
    diag
}

/// Cycles: 3.1.1's DFS list for JSON; one diagnostic per strongly connected component, with a
/// label on every dependency edge inside it.
pub(crate) fn cycles(loaded: &Loaded, res: &Resolution) -> Result<(), Failure> {
    let cycles = cycles_as_311(&res.map);
    if cycles.is_empty() {
        return Ok(());
    }
    let rendered: Vec<String> = cycles.iter().map(|c| py_list(c)).collect();
    let mut payload = Map::new();
    payload.insert(
        "error".into(),
        format!("Circular dependencies detected: [{}]", rendered.join(", ")).into(),
    );
    payload.insert(
        "cycles".into(),
        Value::Array(cycles.iter().map(|c| json_strings(c)).collect()),
    );
    let mut diags = Vec::new();
    for component in cyclic_components(&res.map) {
        let members: BTreeSet<&str> = component.iter().map(String::as_str).collect();
        let path = cycles
            .iter()
            .find(|c| c.iter().all(|w| members.contains(w.as_str())))
            .map(|c| c.join(" → "))
            .unwrap_or_else(|| component.join(", "));
        let message = if component.len() == 1 {
            format!("{} depends on itself", component[0])
        } else {
            format!("dependency cycle: {path}")
        };
        let mut d = Diag::error("tasks::deps::cycle", message).with_help(
            "remove one of these dependencies; work packages must form a DAG (check prose the parser reads as a declaration, such as `Dependencies: none ... WP02`)",
        );
        for wp_id in &component {
            for dep in res.map.get(wp_id).into_iter().flatten() {
                if members.contains(dep.as_str()) {
                    d = at_dependency(
                        d,
                        loaded,
                        res,
                        wp_id,
                        dep,
                        format!("{wp_id} depends on {dep}"),
                    );
                }
            }
        }
        diags.push(d);
    }
    Err(failure(diags, payload))
}

/// References to WPs that have no section: JSON for the first failing WP, a diagnostic for each.
pub(crate) fn references(loaded: &Loaded, res: &Resolution) -> Result<(), Failure> {
    let errors = reference_errors(&res.map, &loaded.file_ids);
    let Some((first_wp, first_errors)) = errors.first() else {
        return Ok(());
    };
    let mut payload = Map::new();
    payload.insert(
        "error".into(),
        format!(
            "Invalid dependencies for {first_wp}: {}",
            py_list(first_errors)
        )
        .into(),
    );
    payload.insert("wp_id".into(), first_wp.clone().into());
    payload.insert("errors".into(), json_strings(first_errors));
    let mut known: Vec<String> = res.map.keys().to_vec();
    sort_wps(&mut known);
    let mut diags = Vec::new();
    for (wp_id, _) in &errors {
        for dep in res.map.get(wp_id).into_iter().flatten() {
            if res.map.contains(dep) || loaded.file_ids.contains(dep) {
                continue;
            }
            let d = Diag::error("tasks::deps::unknown-wp", format!("{wp_id} depends on unknown work package `{dep}`"))
                .with_help(format!("known work packages: {}; add a `## {dep}` section to tasks.md and its `tasks/{dep}-<slug>.md` file, or fix the reference", known.join(", ")));
            diags.push(at_dependency(
                d,
                loaded,
                res,
                wp_id,
                dep,
                format!("`{dep}` has no section in tasks.md"),
            ));
        }
    }
    Err(failure(diags, payload))
}

/// Requirement mapping against spec.md.
pub(crate) fn requirement_mapping(
    loaded: &Loaded,
    parsed: &DepMap,
    refs: &[(String, Vec<String>)],
) -> Result<(), Failure> {
    // Sorted and unique, as 3.1.1's set of spec ids was iterated sorted.
    let spec_ids = crate::compiler::requirements::spec_ids(&loaded.spec.text);
    let defined: HashSet<&str> = spec_ids.iter().map(String::as_str).collect();
    let mut missing: Vec<String> = Vec::new();
    let mut unknown: Vec<(String, Vec<String>)> = Vec::new();
    let mut mapped: HashSet<&str> = HashSet::new();
    // `file_ids` is sorted: a repeated id (two files for one WP) counts once.
    let mut last: Option<&str> = None;
    for id in &loaded.file_ids {
        if last == Some(id.as_str()) {
            continue;
        }
        last = Some(id);
        let wp_refs = super::resolve::refs_of(refs, id);
        if wp_refs.is_empty() {
            missing.push(id.clone());
            continue;
        }
        let mut bad: Vec<String> = wp_refs
            .iter()
            .filter(|r| !defined.contains(r.as_str()))
            .cloned()
            .collect();
        if bad.is_empty() {
            mapped.extend(wp_refs.iter().map(String::as_str));
        } else {
            bad.sort();
            unknown.push((id.clone(), bad));
        }
    }
    let unmapped: Vec<String> = spec_ids
        .iter()
        .filter(|id| id.starts_with("FR-") && !mapped.contains(id.as_str()))
        .cloned()
        .collect();
    if missing.is_empty() && unknown.is_empty() && unmapped.is_empty() {
        return Ok(());
    }
    let mut payload = Map::new();
    payload.insert(
        "error".into(),
        "Requirement mapping validation failed".into(),
    );
    payload.insert(
        "missing_requirement_refs_wps".into(),
        json_strings(&missing),
    );
    payload.insert(
        "unknown_requirement_refs".into(),
        Value::Object(
            unknown
                .iter()
                .map(|(k, v)| (k.clone(), json_strings(v)))
                .collect(),
        ),
    );
    payload.insert(
        "unmapped_functional_requirements".into(),
        json_strings(&unmapped),
    );
    payload.insert("dependencies_parsed".into(), json_lists(parsed.iter()));
    payload.insert(
        "requirement_refs_parsed".into(),
        json_lists(refs.iter().map(|(k, v)| (k, v))),
    );

    let mut diags = Vec::new();
    for id in &missing {
        let mut d = Diag::error("tasks::requirements::missing", format!("{id} maps to no requirement")).with_help(
            "add `requirement_refs: [FR-001, ...]` to the WP's frontmatter (or a `**Requirement Refs**: FR-001` line in its tasks.md section)",
        );
        if let Some(w) = wp(loaded, id) {
            let span = w
                .file
                .key_span("requirement_refs")
                .unwrap_or(w.file.yaml.start..w.file.yaml.start);
            d = d.at(&w.file.source, span, "no requirement ids here");
        } else if skipped_file(loaded, id) {
            d = d.with_help(SKIPPED_HELP);
        }
        diags.push(d);
    }
    for (id, bad) in &unknown {
        let mut d = Diag::error(
            "tasks::requirements::unknown",
            format!("{id} refers to requirement(s) spec.md does not define: {}", bad.join(", ")),
        )
        .with_help("fix the ids, or add the requirements to spec.md; none of this WP's refs count as mapped until then");
        if let Some(w) = wp(loaded, id) {
            let span = w.file.key_or_frontmatter_span("requirement_refs");
            d = d.at(&w.file.source, span, format!("unknown: {}", bad.join(", ")));
        }
        diags.push(d);
    }
    for fr in &unmapped {
        let mut d = Diag::error(
            "tasks::requirements::unmapped",
            format!("functional requirement {fr} is not covered by any work package"),
        )
        .with_help(format!(
            "add {fr} to the `requirement_refs` of the WP that implements it"
        ));
        let found = crate::compiler::requirements::find_ids(&loaded.spec.text)
            .into_iter()
            .find(|(id, _)| id == fr);
        if let Some((_, span)) = found {
            d = d.at(&loaded.spec, span, "defined here");
        }
        diags.push(d);
    }
    Err(Failure {
        diagnostics: diags,
        payload,
        versioned: false,
        preamble: Vec::new(),
    })
}

/// tasks.md and the frontmatter both declare dependencies, with different sets.
pub(crate) fn disagreements(loaded: &Loaded, res: &Resolution) -> Result<(), Failure> {
    if res.conflicts.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = res
        .conflicts
        .iter()
        .map(|(wp, e, p)| {
            let (mut e, mut p) = (e.clone(), p.clone());
            e.sort();
            p.sort();
            format!(
                "{wp}: frontmatter has {}, tasks.md parsed {}. Resolve the disagreement in tasks.md or WP frontmatter before finalizing.",
                py_list(&e),
                py_list(&p)
            )
        })
        .collect();
    let mut payload = Map::new();
    payload.insert(
        "error".into(),
        format!("Dependency disagreement detected:\n{}", lines.join("\n")).into(),
    );
    payload.insert("dependency_conflicts".into(), json_strings(&lines));
    let mut diags = Vec::new();
    let (origin, help) = if loaded.wps_yaml.is_some() {
        (
            "wps.yaml",
            "make the two lists agree, or delete the frontmatter list so wps.yaml decides",
        )
    } else {
        (
            "tasks.md",
            "make the two lists agree, or delete the frontmatter list so tasks.md decides",
        )
    };
    for (wp_id, e, p) in &res.conflicts {
        let mut d = Diag::error(
            "tasks::deps::disagreement",
            format!(
                "{wp_id}: {origin} declares {} but its frontmatter says {}",
                p.join(", "),
                e.join(", ")
            ),
        )
        .with_help(help);
        if let (None, Some(src), Some(section)) = (
            &loaded.wps_yaml,
            &loaded.tasks_md,
            loaded.doc.sections.iter().rev().find(|s| &s.id == wp_id),
        ) {
            let mut spans: Vec<_> = section.deps.iter().map(|dd| dd.span.clone()).collect();
            spans.dedup();
            let mut it = spans.into_iter();
            d = d.at(
                src,
                it.next().unwrap_or(section.id_span.clone()),
                "tasks.md declares this",
            );
            for s in it {
                d = d.and_at(s, "and this");
            }
        }
        if let Some(w) = wp(loaded, wp_id) {
            let span = w.file.key_or_frontmatter_span("dependencies");
            d = d.with_related(
                Diag::error(
                    "tasks::deps::disagreement",
                    format!("{wp_id}'s frontmatter declares {}", py_list(e)),
                )
                .at(&w.file.source, span, "the frontmatter says this"),
            );
        }
        diags.push(d);
    }
    Err(failure(diags, payload))
}

/// The manifests of every WP that has one, and the overlaps between them (for lanes).
pub(crate) struct Manifests {
    /// By WP id.
    pub owners: HashMap<String, WpOwnership>,
    /// Every overlap between two manifests (only between WPs joined by a dependency path, once
    /// the ownership check has passed).
    pub overlaps: Vec<GlobOverlap>,
}

/// Ownership: overlapping globs between WPs and authoritative surfaces. Returns the manifests.
pub(crate) fn ownership(
    loaded: &Loaded,
    plans: &[WpPlan],
    deps: &crate::compiler::graph::DepMap,
) -> Result<Manifests, Failure> {
    let owners = owners_from_plans(loaded, plans);
    let entries: Vec<(usize, &(String, WpOwnership))> =
        owners.iter().map(|(i, o)| (*i, o)).collect();
    let globs: Vec<&[String]> = entries
        .iter()
        .map(|(_, (_, o))| o.owned_files.as_slice())
        .collect();
    let mut errors: Vec<String> = Vec::new();
    let mut diags = Vec::new();
    let mut overlaps = Vec::new();
    for o in find_overlaps(&globs) {
        let (ia, (wa, oa)) = entries[o.i];
        let (ib, (wb, ob)) = entries[o.j];
        overlaps.push(GlobOverlap {
            wp_a: wa.clone(),
            glob_a: o.gi,
            wp_b: wb.clone(),
            glob_b: o.gj,
        });
        // WPs joined by a dependency path never run at the same time: they may share files, and
        // the lanes put them in one lane (a deliberate difference: 3.1.1 refused any overlap).
        if crate::compiler::lanes::depends_on(deps, wa, wb)
            || crate::compiler::lanes::depends_on(deps, wb, wa)
        {
            continue;
        }
        let (ga, gb) = (&oa.owned_files[o.gi], &ob.owned_files[o.gj]);
        errors.push(overlap_message(wa, ga, wb, gb));
        let (fa, fb) = (&loaded.wps[ia].file, &loaded.wps[ib].file);
        let span_a = fa.key_or_frontmatter_span("owned_files");
        let span_b = fb.key_or_frontmatter_span("owned_files");
        diags.push(
            Diag::error("ownership::overlap", format!("{wa} and {wb} both claim `{ga}` / `{gb}`"))
                .at(&fa.source, span_a, format!("{wa} owns `{ga}`"))
                .with_related(Diag::error("ownership::overlap", format!("{wb} owns `{gb}`")).at(&fb.source, span_b, format!("{wb} owns `{gb}`")))
                .with_help("give each file to exactly one WP (WPs in parallel lanes must not write the same files); if one WP builds on the other, move the shared file to the earlier WP"),
        );
    }
    for (i, (wp_id, _)) in &owners {
        let plan = &plans[*i];
        if let Some(msg) = surface_error(wp_id, &plan.surface, &plan.owned_files) {
            let f = &loaded.wps[*i].file;
            let span = f
                .key_span("authoritative_surface")
                .or_else(|| f.key_span("owned_files"))
                .unwrap_or(f.yaml.clone());
            diags.push(
                Diag::error("ownership::surface", msg.clone())
                    .at(&f.source, span, "not a prefix of any owned glob")
                    .with_help("set `authoritative_surface` to the directory prefix the WP owns, e.g. `src/app/`"),
            );
            errors.push(msg);
        }
    }
    if !errors.is_empty() {
        let mut payload = Map::new();
        payload.insert("error".into(), "Ownership validation failed".into());
        payload.insert("ownership_errors".into(), json_strings(&errors));
        return Err(failure(diags, payload));
    }
    Ok(Manifests {
        owners: owners.into_values().collect(),
        overlaps,
    })
}

/// The first WP file that is not UTF-8 or cannot be read at all (a directory named like one): 3.1.1
/// failed when its main loop read it, after the requirement and dependency checks (which had
/// treated the WP as having no frontmatter).
pub(crate) fn undecodable(loaded: &Loaded) -> Result<(), Failure> {
    match loaded.undecodable.first() {
        Some((_, f)) => Err(f.clone()),
        None => Ok(()),
    }
}

/// Globs that match nothing in the repository (warnings), WPs in sorted order.
pub(crate) fn zero_match_globs(
    loaded: &Loaded,
    owners: &HashMap<String, WpOwnership>,
) -> Result<Vec<(String, String, String)>, Failure> {
    let mut ids: Vec<String> = owners.keys().cloned().collect();
    sort_wps(&mut ids);
    let mut out = Vec::new();
    let fs = RepoFs::new(&loaded.root);
    for id in ids {
        for glob in &owners[&id].owned_files {
            match repo_glob_matches(&fs, glob) {
                Ok(true) => {}
                Ok(false) => out.push((
                    id.clone(),
                    glob.clone(),
                    // 3.1.1 quoted the glob literally here (not with repr).
                    format!("{id}: owned_files glob '{glob}' matches zero files in the repository"),
                )),
                Err(e) => {
                    let mut d = Diag::error(
                        "ownership::bad-glob",
                        format!(
                            "{id}: owned_files glob {} is invalid: {}",
                            crate::support::util::py_str(glob),
                            e.explain()
                        ),
                    )
                    .with_help(e.help());
                    if let Some(w) = wp(loaded, &id) {
                        d = d.at(
                            &w.file.source,
                            w.file.key_or_frontmatter_span("owned_files"),
                            "here",
                        );
                    }
                    // 3.1.1 surfaced Python's exception text as a generic error.
                    return Err(Failure::with_error_text(d, e.to_string()));
                }
            }
        }
    }
    Ok(out)
}

/// A WP in the dependency map without an ownership manifest: no readable file, or one whose
/// `execution_mode` is neither mode (the diagnostic then points at the value).
pub(crate) fn missing_manifest(loaded: &Loaded, e: &MissingManifest) -> Failure {
    if let Some(w) = wp(loaded, &e.id)
        && let Some(mode) = w.file.meta.execution_mode.as_deref()
        && !mode.is_empty()
        && execution_mode(mode).is_none()
    {
        let span = w.file.value_or_key_span("execution_mode", mode);
        let d = Diag::error(
            "ownership::unknown-execution-mode",
            format!("{} has execution_mode `{mode}`, which is neither `{CODE_CHANGE}` nor `{PLANNING_ARTIFACT}`, so it cannot be placed in a lane", e.id),
        )
        .at(&w.file.source, span, "not an execution mode")
        .with_help(format!("set `execution_mode: {CODE_CHANGE}` (the WP writes code in a lane worktree) or `execution_mode: {PLANNING_ARTIFACT}` (it edits planning files in the main checkout), or remove the key to have finalize-tasks infer it"));
        return Failure::with_error_text(d, e.to_string());
    }
    let mut d = Diag::error(
        "lanes::no-manifest",
        format!(
            "{} has no ownership manifest, so it cannot be placed in a lane",
            e.id
        ),
    );
    d = if skipped_file(loaded, &e.id) {
        d.with_help(SKIPPED_HELP)
    } else {
        d.with_help(format!("add a readable `tasks/{}-<slug>.md` with `execution_mode` and `owned_files` in its frontmatter", e.id))
    };
    if let (Some(src), Some(section)) = (
        &loaded.tasks_md,
        loaded.doc.sections.iter().rev().find(|s| s.id == e.id),
    ) {
        d = d.at(src, section.id_span.clone(), "declared here");
    }
    Failure::with_error_text(d, e.to_string())
}

/// A circle in the fan-in lane graph: which lanes, which WPs, and the overlap that fused them.
pub(crate) fn lane_cycle(c: &crate::compiler::lanes::LaneCycle) -> Failure {
    let lanes: Vec<String> = c
        .lanes
        .iter()
        .map(|(l, wps)| format!("{l} ({})", wps.join(", ")))
        .collect();
    let mut message = format!(
        "the lanes depend on each other in a circle: {}",
        lanes.join(" → ")
    );
    if !c.fused_by.is_empty() {
        message.push_str(&format!(
            "; overlapping owned_files put these WPs in one lane: {}",
            c.fused_by.join("; ")
        ));
    }
    Failure::simple(Diag::error("lanes::cycle", message).with_help(
        "give the shared files to one WP (or split them), or make the WPs that share files depend on each other directly, or finalize with `--lanes collapse`",
    ))
}

/// WP ids used twice: two tasks.md sections, or two prompt files. 3.1.1 accepted both silently
/// (the later one wins, as in its dicts); finalize does the same and says so.
pub(crate) fn duplicates(loaded: &Loaded) -> Vec<Diag> {
    let mut out = Vec::new();
    if let Some(src) = &loaded.tasks_md {
        let mut seen: HashMap<&str, &crate::compiler::tasks::ast::WpSection> = HashMap::new();
        for s in &loaded.doc.sections {
            if let Some(first) = seen.insert(&s.id, s) {
                out.push(
                    Diag::warning(
                        "tasks::duplicate-wp",
                        format!(
                            "{} heads two sections of tasks.md; the later one is used",
                            s.id
                        ),
                    )
                    .at(src, first.id_span.clone(), "first section")
                    .and_at(s.id_span.clone(), "this one wins")
                    .with_help("give each work package one section (rename or merge the sections)"),
                );
            }
        }
    }
    let mut files: HashMap<&str, &super::Wp> = HashMap::new();
    for w in &loaded.wps {
        if let Some(first) = files.insert(&w.id, w) {
            out.push(
                Diag::warning(
                    "wp::duplicate-file",
                    format!(
                        "{} and {} both claim {}; the later one is used",
                        first.file.file_name, w.file.file_name, w.id
                    ),
                )
                .at(
                    &w.file.source,
                    w.file.yaml.start..w.file.yaml.start,
                    "this file wins",
                )
                .with_help("keep one prompt file per work package"),
            );
        }
    }
    out
}
