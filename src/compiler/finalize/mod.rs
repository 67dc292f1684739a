//! `spec-kitty agent mission finalize-tasks`: the manifest compiler.
//!
//! [`finalize`] is the whole pipeline in one place: load every file once, parse tasks.md, resolve
//! each WP's dependencies, validate (cycles, references, requirement mapping, disagreements,
//! ownership, lanes), plan the edits, and only then write them and commit. Checks run in
//! spec-kitty 3.1.1's order so the first failing one gives 3.1.1's JSON payload; nothing is
//! written unless every check passed.

pub(crate) mod checks;
mod inflight;
mod wps_yaml;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::compiler::graph::{DepMap, sort_wps, wp_cmp};
use crate::compiler::lanes::{self, LanePlan, WpOwnership};
use crate::compiler::ownership::{self, CODE_CHANGE, PLANNING_ARTIFACT};
use crate::compiler::status::{self, Event};
use crate::compiler::tasks::ast::TasksDoc;
use crate::compiler::tasks::frontmatter::{FmValue, WpFile};
use crate::compiler::tasks::parse;
use crate::project::{MissionRef, rel_path};
use crate::support::diagnostics::{Diag, Failure, Source};
use crate::support::utf8::{self, ReadError};
use crate::support::util::{UtcTime, py_list, write_atomic};
use crate::{compiler::requirements, support::git};

/// What the caller asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Check and report; write nothing.
    pub validate_only: bool,
    /// JSON mode (affects only the example command in mission errors).
    pub json: bool,
    /// Drift gate: report what would change, write nothing (`Report::drift` tells the outcome).
    pub check: bool,
    /// Re-plan even when started work packages would move to another lane.
    pub force: bool,
    /// The lane strategy, overriding the project's configuration.
    pub lanes: Option<lanes::Strategy>,
}

/// A successful run: the JSON payload (without `spec_kitty_version`), the human lines for stdout,
/// and warnings for stderr.
#[derive(Debug, Clone)]
pub struct Report {
    /// 3.1.1's success or validation payload, keys in its order.
    pub payload: Map<String, Value>,
    /// Human output, one line each.
    pub lines: Vec<String>,
    /// Warnings (stderr in every mode).
    pub warnings: Vec<Diag>,
    /// With `check`: whether finalize would change any file.
    pub drift: bool,
}

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

/// The sentence 3.1.1 writes into `branch_strategy`.
pub fn branch_strategy(branch: &str) -> String {
    format!(
        "Planning artifacts for this feature were generated on {branch}. During /spec-kitty.implement this WP may branch from a dependency-specific base, but completed changes must merge back into {branch} unless the human explicitly redirects the landing branch."
    )
}

/// A readable WP file with the id its file name gives.
#[derive(Debug)]
pub(crate) struct Wp {
    pub id: String,
    pub file: WpFile,
    pub path: PathBuf,
}

/// The loaded mission: every input file read once.
pub(crate) struct Loaded {
    pub root: PathBuf,
    pub slug: String,
    pub dir: PathBuf,
    pub tasks_md: Option<Source>,
    pub doc: TasksDoc,
    pub spec: Source,
    pub wps: Vec<Wp>,
    /// WP ids from every WP file name (readable or not), sorted.
    pub file_ids: Vec<String>,
    /// Every `tasks/WP*.md` file's frontmatter id (for the bootstrap), including unreadable ones
    /// as `None`.
    pub bootstrap_ids: Vec<Option<String>>,
    pub wps_yaml: Option<wps_yaml::Manifest>,
    pub warnings: Vec<Diag>,
    /// WP files (with an id in their name) that are not UTF-8, sorted by file name: 3.1.1 failed
    /// on the first when its main loop reached it (`checks::undecodable`).
    pub undecodable: Vec<(String, Failure)>,
    /// WP id → index in `wps` (the last file with that id, as 3.1.1's dicts kept).
    pub index: HashMap<String, usize>,
    /// How dependencies shape lanes (`.kittify/config.yaml` `lanes.strategy`, or `--lanes`).
    pub lane_strategy: lanes::Strategy,
}

impl Loaded {
    /// The readable WP file with this id (the last one when two files share it).
    pub fn wp(&self, id: &str) -> Option<&Wp> {
        self.index.get(id).map(|&i| &self.wps[i])
    }
}

/// One WP file as read: the parsed file or why not, and the failure when it is not UTF-8 or not
/// readable at all.
type ReadWp = (Result<WpFile, Diag>, Option<Failure>);

/// Everything finalize knows about a mission before it validates or decides anything.
pub(crate) struct Analysis {
    pub loaded: Loaded,
    pub branch: String,
    /// The dependency map as tasks.md (or wps.yaml) declares it.
    pub parsed: DepMap,
    pub resolution: Resolution,
    pub refs: Vec<(String, Vec<String>)>,
    /// What each readable WP's frontmatter would become.
    pub plans: Vec<WpPlan>,
}

/// The branch finalize plans for: the checked-out branch, `main` on a detached HEAD or outside git.
pub fn target_branch(root: &Path) -> String {
    git::current_branch(root).unwrap_or_else(|| "main".to_owned())
}

/// The mission's own target branch (meta.json `target_branch`), when it names one.
pub fn meta_target_branch(mission_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(mission_dir.join("meta.json")).ok()?;
    serde_json::from_str::<Value>(&text)
        .ok()?
        .get("target_branch")?
        .as_str()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
}

/// finalize derives the branch it writes from the current branch, as 3.1.1 did; when that is not
/// the mission's target, it says so.
fn branch_note(mission_dir: &Path, branch: &str) -> Option<String> {
    meta_target_branch(mission_dir)
        .filter(|t| t != branch)
        .map(|target| {
            format!(
                "Note: written for {branch}, the current branch (as 3.1.1 does); meta.json targets {target}, which `--check` and `lint` compare against"
            )
        })
}

/// The branch `--check` and `lint` compare against: the mission's target branch (what finalize
/// writes there), so a PR branch that changed nothing passes; else the current branch.
pub fn check_branch(root: &Path, mission_dir: &Path) -> String {
    meta_target_branch(mission_dir).unwrap_or_else(|| target_branch(root))
}

/// Loads a mission and works out what finalize would do on `branch`, without validating.
pub(crate) fn analyze(
    root: &Path,
    mission: &MissionRef,
    branch: &str,
) -> Result<Analysis, Failure> {
    let branch = branch.to_owned();
    let mut loaded = load(root, mission)?;
    let duplicates = checks::duplicates(&loaded);
    loaded.warnings.extend(duplicates);
    if let Some(src) = &loaded.tasks_md {
        let phrasing = crate::compiler::tasks::phrasing::warnings(src);
        loaded.warnings.extend(phrasing);
    }
    // Dependencies: from wps.yaml, else tasks.md; then the resolved map (3.1.1's precedence, with
    // kept frontmatter lists used for validation and lanes too: a deliberate difference).
    let parsed = match &loaded.wps_yaml {
        Some(m) => m.dependency_map(),
        None => parsed_map(&loaded.doc),
    };
    let resolution = resolve(&loaded, &parsed);
    let refs = requirement_refs(&loaded);
    let refs_by_wp: HashMap<&str, &Vec<String>> =
        refs.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let plans: Vec<WpPlan> = loaded
        .wps
        .iter()
        .map(|wp| plan_wp(wp, &resolution, &refs_by_wp, &branch, &loaded.slug))
        .collect();
    Ok(Analysis {
        loaded,
        branch,
        parsed,
        resolution,
        refs,
        plans,
    })
}

/// What validation established: the JSON `ownership_warnings`, and the lanes (when there are WP
/// sections and ownership manifests).
pub(crate) struct Validated {
    pub ownership_warnings: Vec<String>,
    pub lanes: Option<LanePlan>,
}

/// Every check in 3.1.1's order, stopping at the first that fails, then the lanes.
pub(crate) fn validate(
    loaded: &mut Loaded,
    parsed: &DepMap,
    resolution: &Resolution,
    refs: &[(String, Vec<String>)],
    plans: &[WpPlan],
) -> Result<Validated, Failure> {
    let early = (|| {
        if !resolution.map.is_empty() {
            checks::cycles(loaded, resolution)?;
            checks::references(loaded, resolution)?;
        }
        checks::requirement_mapping(loaded, parsed, refs)?;
        checks::disagreements(loaded, resolution)
    })();
    if let Err(mut f) = early {
        // An undecodable WP file would stop the run next; say so now.
        f.diagnostics.extend(
            loaded
                .undecodable
                .iter()
                .flat_map(|(_, u)| u.diagnostics.iter().cloned()),
        );
        return Err(f);
    }
    checks::undecodable(loaded)?;
    let (owners, ownership_warnings) = ownership_stage(loaded, plans, &resolution.map)?;
    let lanes = lane_stage(loaded, resolution, &owners)?;
    Ok(Validated {
        ownership_warnings,
        lanes,
    })
}

/// Runs finalize-tasks on one mission.
pub fn finalize(root: &Path, mission: &MissionRef, opts: Options) -> Result<Report, Failure> {
    // 3.1.1 read meta.json first of all (for the target branch): a file that is not UTF-8, or
    // JSON that is not an object, stopped it there.
    let mut meta_warnings = Vec::new();
    let meta_read = read_meta(root, &mission.dir, &mut meta_warnings);
    if let Some(mut f) = meta_read.early_failure() {
        f.diagnostics.append(&mut meta_warnings);
        return Err(f);
    }
    // 3.1.1 derived the target from the current branch; the drift gate compares against the
    // mission's own target, so it passes on a PR branch that changed nothing.
    let branch = if opts.check {
        check_branch(root, &mission.dir)
    } else {
        target_branch(root)
    };
    finalize_on(root, mission, opts, &branch, meta_read, meta_warnings).map_err(|mut f| {
        // 3.1.1 printed the target branch before running any check.
        f.preamble
            .insert(0, format!("Branch: {branch} (target for this mission)"));
        f
    })
}

fn finalize_on(
    root: &Path,
    mission: &MissionRef,
    opts: Options,
    branch: &str,
    meta_read: Meta,
    mut meta_warnings: Vec<Diag>,
) -> Result<Report, Failure> {
    let Analysis {
        mut loaded,
        branch,
        parsed,
        resolution,
        refs,
        plans,
    } = analyze(root, mission, branch)?;
    if let Some(strategy) = opts.lanes {
        loaded.lane_strategy = strategy;
    }

    let Validated {
        ownership_warnings,
        lanes: lane_plan,
    } = match validate(&mut loaded, &parsed, &resolution, &refs, &plans) {
        Ok(v) => v,
        Err(mut f) => {
            // Warnings gathered so far (an unreadable WP file, ...) often explain the failure.
            f.diagnostics.append(&mut loaded.warnings);
            return Err(f);
        }
    };

    loaded.warnings.append(&mut meta_warnings);
    let meta = meta_read.fields();
    let mission_id = meta
        .get("mission_id")
        .and_then(Value::as_str)
        // 3.1.1: `mission_id or mission_slug`, so an empty id falls back to the slug too.
        .filter(|id| !id.is_empty())
        .map_or_else(|| loaded.slug.clone(), str::to_owned);

    // Status bootstrap. 3.1.1 read the log only when some WP file has an id, and refused it
    // whole when a line was not an event.
    let events_path = loaded.dir.join(status::EVENTS_FILE);
    let existing_events = match read_log_as_311(root, &loaded) {
        Ok(events) => events,
        Err(mut f) => {
            f.diagnostics.append(&mut loaded.warnings);
            return Err(f);
        }
    };
    let bootstrap = plan_bootstrap(&loaded, &existing_events);
    // A meta.json that 3.1.1 could not use stopped it (after it had written files; here before).
    let seeding = !opts.validate_only && !opts.check && !bootstrap.new_events.is_empty();
    if let Some(mut f) = seeding
        .then(|| meta_read.seeding_failure(&loaded.dir.join("meta.json")))
        .flatten()
    {
        // The meta-unreadable warning says the same thing, at the same place.
        loaded
            .warnings
            .retain(|w| w.code != "mission::meta-unreadable");
        f.diagnostics.append(&mut loaded.warnings);
        return Err(f);
    }

    let updated: Vec<&WpPlan> = plans.iter().filter(|p| !p.changes.is_empty()).collect();
    let preserved: Vec<String> = plans
        .iter()
        .filter(|p| p.preserved)
        .map(|p| p.id.clone())
        .collect();
    let modified: Vec<String> = updated
        .iter()
        .filter(|p| !p.preserved)
        .map(|p| p.id.clone())
        .collect();
    let unchanged: Vec<String> = plans
        .iter()
        .filter(|p| p.changes.is_empty() && !p.preserved)
        .map(|p| p.id.clone())
        .collect();
    let deps_parsed = map_json(&parsed);
    let refs_json = refs_json(&refs);

    let mirrored = phase1_lane_mirror(&loaded, &meta, &bootstrap);
    let mut writes: Vec<(PathBuf, String)> = Vec::new();
    for (i, (wp, plan)) in loaded.wps.iter().zip(&plans).enumerate() {
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
        let current = loaded.tasks_md.as_ref().map(|s| s.text.to_string());
        if current.as_deref() != Some(text.as_str()) {
            writes.push((loaded.dir.join("tasks.md"), text));
        }
    }
    let lanes_path = loaded.dir.join("lanes.json");
    if let Some(plan) = &lane_plan {
        let text = lanes_text(plan, &loaded.slug, &mission_id, &branch, &lanes_path);
        if std::fs::read_to_string(&lanes_path).ok().as_deref() != Some(text.as_str()) {
            writes.push((lanes_path.clone(), text));
        }
    }
    if opts.check {
        return Ok(check_report(root, &loaded, &plans, &writes, &bootstrap));
    }
    if opts.validate_only {
        // 3.1.1 ran no risk check in validate-only mode.
        return Ok(validate_only_report(ValidateOnly {
            branch: &branch,
            loaded: &loaded,
            plans: &plans,
            preserved: &preserved,
            unchanged: &unchanged,
            updated: updated.len(),
            ownership_warnings,
            bootstrap: &bootstrap,
            lanes: lane_plan.as_ref(),
        }));
    }

    // A started WP does not silently change lanes: its worktree holds its commits.
    let in_flight = inflight::moves(
        root,
        &loaded.dir,
        &loaded.slug,
        lane_plan.as_ref(),
        &existing_events,
    );
    if !in_flight.is_empty() && !opts.force {
        let mut f = inflight::refusal(&loaded.slug, &in_flight);
        f.diagnostics.append(&mut loaded.warnings);
        return Err(f);
    }

    // The parallelisation risk report (before any write: in `block` mode it stops the run).
    let risk = lane_plan.as_ref().map(|plan| {
        let bodies: HashMap<String, String> = loaded
            .wps
            .iter()
            .map(|w| (w.id.clone(), w.file.body().to_owned()))
            .collect();
        let policy = crate::compiler::risk::load_policy(root);
        (
            crate::compiler::risk::assess(plan, &bodies, &policy),
            policy,
        )
    });
    if let Some((report, policy)) = &risk
        && policy.mode == "block"
        && report.exceeds()
    {
        let message = format!(
            "Parallelization risk {:.2} exceeds threshold {:.2}. Use --force to override.",
            report.overall, report.threshold
        );
        let mut f = Failure::with_error_text(
                Diag::error("lanes::parallelization-risk", format!("parallelization risk {:.2} exceeds the threshold {:.2}", report.overall, report.threshold))
                    .with_help("make the parallel lanes touch fewer shared directories, modules and tests, or raise `policy.risk.threshold` (or set `policy.risk.mode: warn`) in .kittify/config.yaml"),
                message,
            );
        f.payload.insert(
            "risk_report".into(),
            serde_json::json!({"overall_score": report.overall, "threshold": report.threshold}),
        );
        // 3.1.1 printed the breakdown before the error.
        f.preamble = report.lines();
        return Err(f);
    }

    // Everything validated. Nothing has been written yet; git must be usable before we start.
    if !git::is_repo(root) {
        return Err(Failure::simple(
            Diag::error("git::not-a-repository", format!("`{}` is not a git repository; finalize-tasks commits the planning files", root.display()))
                .with_help("run `git init` (and make a first commit) in the project root, or use --validate-only"),
        ));
    }
    // The write phase: from here to the commit, an interrupt waits (all written and committed,
    // or, before this point, nothing).
    let _critical = crate::support::interrupt::critical();
    write_all_or_none(&writes)?;
    if !bootstrap.new_events.is_empty() {
        let _lock = status::lock(root, &loaded.slug).map_err(|e| {
            Failure::simple(crate::support::diagnostics::io_error(
                "status::lock",
                &events_path,
                &e,
            ))
        })?;
        status::append_events(&events_path, &bootstrap.new_events).map_err(|e| {
            Failure::simple(crate::support::diagnostics::io_error(
                "status::append",
                &events_path,
                &e,
            ))
        })?;
        let mut all = existing_events.clone();
        all.extend(bootstrap.new_events.iter().cloned());
        status::write_snapshot(&loaded.dir, &all, &loaded.slug, &meta).map_err(|e| {
            Failure::simple(crate::support::diagnostics::io_error(
                "status::write",
                &loaded.dir.join(status::STATUS_FILE),
                &e,
            ))
        })?;
    }

    // Commit the planning files (3.1.1's set, plus the status files it left uncommitted).
    let mut candidates: Vec<String> = Vec::new();
    if loaded.dir.join("tasks.md").is_file() {
        candidates.push(rel_path(root, &loaded.dir.join("tasks.md")));
    }
    let mut task_files: Vec<String> = std::fs::read_dir(loaded.dir.join("tasks"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| rel_path(root, &e.path()))
        .collect();
    task_files.sort();
    candidates.extend(task_files);
    if lane_plan.is_some() {
        candidates.push(rel_path(root, &lanes_path));
    }
    for f in [status::EVENTS_FILE, status::STATUS_FILE] {
        if loaded.dir.join(f).is_file() {
            candidates.push(rel_path(root, &loaded.dir.join(f)));
        }
    }
    // One spec-kitty git write at a time in this repository.
    let _git_lock = git::commit_lock(root)
        .map_err(|e| Failure::simple(Diag::error("git::lock", e.to_string())))?;
    let changed = git::status_porcelain(root, &candidates)
        .map_err(|e| Failure::simple(Diag::error("git::status", e.to_string())))?;
    let commit = if changed.trim().is_empty() {
        None
    } else {
        Some(
            git::commit_paths(root, &candidates, &format!("Add tasks for feature {}", loaded.slug)).map_err(|e| {
                Failure::with_error_text(
                    Diag::error("git::commit", format!("git commit failed: {}", e.message))
                        .with_help("the files were written; commit them yourself or fix the repository and re-run"),
                    "Git commit failed: Failed to commit tasks updates",
                )
                .unversioned()
            })?,
        )
    };

    let mut payload = Map::new();
    payload.insert("result".into(), "success".into());
    payload.insert("wp_count".into(), loaded.wps.len().into());
    payload.insert("updated_wp_count".into(), updated.len().into());
    payload.insert("modified_wps".into(), strings(&modified));
    payload.insert("unchanged_wps".into(), strings(&unchanged));
    payload.insert("preserved_wps".into(), strings(&preserved));
    payload.insert(
        "tasks_dir".into(),
        loaded.dir.join("tasks").display().to_string().into(),
    );
    payload.insert("commit_created".into(), commit.is_some().into());
    payload.insert(
        "commit_hash".into(),
        commit.clone().map_or(Value::Null, Value::String),
    );
    payload.insert("files_committed".into(), strings(&candidates));
    payload.insert("dependencies_parsed".into(), deps_parsed);
    payload.insert("requirement_refs_parsed".into(), refs_json);
    payload.insert("bootstrap".into(), bootstrap.json());
    payload.insert("lanes".into(), lanes_summary(lane_plan.as_ref(), false));
    payload.insert("ownership_warnings".into(), strings(&ownership_warnings));

    let mut lines = vec![format!("Branch: {branch} (target for this mission)")];
    lines.extend(branch_note(&loaded.dir, &branch));
    if loaded.wps_yaml.is_some() {
        lines.push(format!(
            "Regenerated tasks.md from wps.yaml ({} WPs)",
            loaded.wps_yaml.as_ref().map_or(0, |m| m.entries.len())
        ));
    }
    if !bootstrap.new_events.is_empty() {
        lines.push(format!(
            "✓ Bootstrapped canonical status: {} WPs seeded",
            bootstrap.new_events.len()
        ));
    }
    if let Some(plan) = &lane_plan {
        lines.push(format!("✓ Computed {} execution lane(s)", plan.lanes.len()));
        if plan.independent_collapsed > 0 {
            lines.push(format!(
                "⚠ {} independent WP pair(s) collapsed into same lane. Run with --json to see details.",
                plan.independent_collapsed
            ));
        }
    }
    if !in_flight.is_empty() {
        lines.extend(inflight::forced_lines(&in_flight));
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
    if let Some((report, _)) = &risk {
        lines.extend(report.lines());
    }
    match &commit {
        Some(hash) => {
            lines.push(format!("✓ Tasks committed to {branch}"));
            lines.push(format!("Commit: {}", &hash[..hash.len().min(7)]));
            // 3.1.1 printed the count only with a commit.
            lines.push(format!(
                "Updated {} WP files with dependencies",
                updated.len()
            ));
        }
        None => lines.push("Tasks unchanged, no commit needed".to_owned()),
    }
    Ok(Report {
        payload,
        lines,
        warnings: std::mem::take(&mut loaded.warnings),
        drift: false,
    })
}

/// Writes every file, or, when one write fails, puts back the ones already written and fails.
fn write_all_or_none(writes: &[(PathBuf, String)]) -> Result<(), Failure> {
    let mut done: Vec<(&Path, Option<Vec<u8>>)> = Vec::new();
    for (path, text) in writes {
        let before = std::fs::read(path).ok();
        if let Err(e) = write_atomic(path, text.as_bytes()) {
            for (p, old) in done.into_iter().rev() {
                let _ = match old {
                    Some(bytes) => write_atomic(p, &bytes),
                    None => std::fs::remove_file(p),
                };
            }
            return Err(Failure::simple(crate::support::diagnostics::io_error(
                "io::write",
                path,
                &e,
            )));
        }
        done.push((path, before));
    }
    Ok(())
}

/// The ownership stage: overlap and surface checks, then the warnings 3.1.1 gave (broad fallback,
/// globs that match nothing, mode mismatches). Returns the manifests and the JSON
/// `ownership_warnings`; the warnings are also added to `loaded.warnings` as diagnostics.
pub(crate) fn ownership_stage(
    loaded: &mut Loaded,
    plans: &[WpPlan],
    deps: &DepMap,
) -> Result<(HashMap<String, WpOwnership>, Vec<String>), Failure> {
    let mut json_warnings: Vec<String> = Vec::new();
    let mut diags: Vec<Diag> = Vec::new();
    for (wp, plan) in loaded.wps.iter().zip(plans) {
        if plan.broad_fallback {
            json_warnings.push(ownership::BROAD_FALLBACK_WARNING.to_owned());
            diags.push(
                Diag::warning(
                    "ownership::broad-fallback",
                    format!("{}: {}", wp.id, ownership::BROAD_FALLBACK_WARNING),
                )
                .at(
                    &wp.file.source,
                    wp.file.yaml.start..wp.file.yaml.start,
                    "no `owned_files` here",
                )
                .with_help("list the files this WP writes in `owned_files`"),
            );
        }
    }
    let owners = checks::ownership(loaded, plans, deps)?;
    // One warning per glob, located at the glob itself; renderers group them (a glob for files a
    // WP will create matches nothing yet, which is normal for new code).
    for (wp, glob, msg) in checks::zero_match_globs(loaded, &owners)? {
        let mut d = Diag::warning(ownership::GLOB_MATCHES_NOTHING, msg.clone()).with_help(
            "normal for files the WP will create; otherwise check the glob's spelling and directory",
        );
        if let Some(w) = loaded.wp(&wp)
            && let Some(span) = w
                .file
                .value_span("owned_files", &glob)
                .or_else(|| w.file.key_span("owned_files"))
        {
            d = d.at(&w.file.source, span, format!("{wp}  {glob}"));
        }
        diags.push(d);
        json_warnings.push(msg);
    }
    for (wp, o) in owners_sorted(&owners) {
        if let Some(w) = ownership::mode_warning(wp, &o.execution_mode, &o.owned_files) {
            diags.push(Diag::warning("ownership::mode-mismatch", w).with_help(
                "planning_artifact WPs own planning files (kitty-specs/, docs/); code_change WPs own files under src/ or tests/",
            ));
        }
    }
    loaded.warnings.extend(diags);
    Ok((owners, json_warnings))
}

/// Lanes, when there are both manifests and a dependency map.
pub(crate) fn lane_stage(
    loaded: &Loaded,
    resolution: &Resolution,
    owners: &HashMap<String, WpOwnership>,
) -> Result<Option<LanePlan>, Failure> {
    if owners.is_empty() || resolution.map.is_empty() {
        return Ok(None);
    }
    lanes::compute(&resolution.map, owners, loaded.lane_strategy)
        .map(Some)
        .map_err(|e| match e {
            lanes::LaneError::MissingManifest(e) => checks::missing_manifest(loaded, &e),
            lanes::LaneError::Cycle(c) => checks::lane_cycle(&c),
        })
}

fn owners_sorted(owners: &HashMap<String, WpOwnership>) -> Vec<(&String, &WpOwnership)> {
    let mut v: Vec<_> = owners.iter().collect();
    v.sort_by(|a, b| wp_cmp(a.0, b.0));
    v
}

/// lanes.json text; `computed_at` is kept when nothing else changed (deliberate difference 3).
fn lanes_text(plan: &LanePlan, slug: &str, mission_id: &str, branch: &str, path: &Path) -> String {
    let now = UtcTime::now().isoformat();
    let fresh = plan.manifest_json(slug, mission_id, branch, &now);
    let Ok(old_text) = std::fs::read_to_string(path) else {
        return fresh;
    };
    let Ok(Value::Object(mut old)) = serde_json::from_str::<Value>(&old_text) else {
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

fn lanes_summary(plan: Option<&LanePlan>, preview_short: bool) -> Value {
    match plan {
        Some(p) => p.summary_json(),
        None if preview_short => serde_json::json!({"computed": false}),
        None => {
            serde_json::json!({"computed": false, "count": 0, "lane_ids": [], "planning_artifact_wps": [], "collapse_report": null})
        }
    }
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

fn map_json(map: &DepMap) -> Value {
    Value::Object(map.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
}

/// Reads every input file. Errors here are 3.1.1's early failures (no tasks/, no spec.md, bad
/// wps.yaml).
fn load(root: &Path, mission: &MissionRef) -> Result<Loaded, Failure> {
    let dir = mission.dir.clone();
    let tasks_dir = dir.join("tasks");
    if !tasks_dir.is_dir() {
        return Err(Failure::with_error_text(
            Diag::error("mission::no-tasks-dir", format!("tasks directory not found: {}", rel_path(root, &tasks_dir)))
                .with_help("create `tasks/` with one `WPnn-<slug>.md` prompt file per work package (the /spec-kitty.tasks step)"),
            format!("Tasks directory not found: {}", tasks_dir.display()),
        ));
    }
    let spec_path = dir.join("spec.md");
    let spec_text = match utf8::read_to_string(&spec_path) {
        Ok(t) => t,
        Err(ReadError::Decode { error, lossy }) => {
            return Err(not_utf8(root, &spec_path, &error, lossy));
        }
        Err(ReadError::Io(_)) => {
            return Err(Failure::with_error_text(
                Diag::error("mission::no-spec", format!("spec.md not found: {}", rel_path(root, &spec_path)))
                    .with_help("write the mission's spec.md first (the /spec-kitty.specify step); finalize checks requirement coverage against it"),
                format!("spec.md not found: {}", spec_path.display()),
            )
            .unversioned());
        }
    };
    let spec = Source::new(rel_path(root, &spec_path), spec_text);

    let mut warnings = Vec::new();
    let wps_yaml_path = dir.join("wps.yaml");
    let wps_yaml = if wps_yaml_path.is_file() {
        Some(wps_yaml::load(
            &wps_yaml_path,
            &rel_path(root, &wps_yaml_path),
        )?)
    } else {
        None
    };

    let tasks_path = dir.join("tasks.md");
    // 3.1.1 read tasks.md only without wps.yaml (which regenerates it), so only then can an
    // undecodable tasks.md fail the run.
    let tasks_md = match utf8::read_to_string(&tasks_path) {
        // Python's text mode read `\r\n` and a lone `\r` as `\n` (universal newlines).
        Ok(t) if wps_yaml.is_none() && t.contains('\r') => Some(Source::new(
            rel_path(root, &tasks_path),
            t.replace("\r\n", "\n").replace('\r', "\n"),
        )),
        Ok(t) => Some(Source::new(rel_path(root, &tasks_path), t)),
        Err(ReadError::Decode { error, lossy }) if wps_yaml.is_none() => {
            return Err(not_utf8(root, &tasks_path, &error, lossy));
        }
        Err(_) => None,
    };
    let doc = match &tasks_md {
        Some(src) => parse::parse(&src.text).map_err(|e| {
            Failure::simple(
                Diag::error("tasks::parse", e.to_string())
                    .at(src, e.offset..e.offset, "here")
                    .with_help(
                        "this is a bug in spec-kitty's grammar; please report it with the file",
                    ),
            )
        })?,
        None => TasksDoc::default(),
    };

    // WP files: names `WP` + two or more digits, then `-`, `_`, `.` or the end; sorted by name.
    let mut names: Vec<String> = std::fs::read_dir(&tasks_dir)
        .map_err(|e| {
            Failure::simple(crate::support::diagnostics::io_error(
                "io::read", &tasks_dir, &e,
            ))
        })?
        .flatten()
        // 3.1.1's `glob("WP*.md")` matched directories too (and then could not read them).
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("WP") && n.ends_with(".md"))
        .collect();
    names.sort();
    let mut wps = Vec::new();
    let mut file_ids = Vec::new();
    let mut bootstrap_ids = Vec::new();
    let mut undecodable = Vec::new();
    // Reading and parsing the WP files is independent per file: large missions spread it over
    // the cores (in order, so everything after is as deterministic as a sequential read).
    let read_one = |name: &String| {
        let path = tasks_dir.join(name);
        let display = rel_path(root, &path);
        let read = match utf8::read_to_string(&path) {
            Ok(t) => (WpFile::parse(name, &display, t), None),
            Err(ReadError::Decode { error, lossy }) => {
                let f = not_utf8(root, &path, &error, lossy);
                let diag = f.diagnostics.first().cloned();
                (
                    Err(diag.unwrap_or_else(|| Diag::warning("io::not-utf8", error.to_string()))),
                    Some(f),
                )
            }
            Err(ReadError::Io(e)) => {
                // 3.1.1 counted it as having no refs, then failed reading it in its main loop
                // with Python's OSError text.
                let diag = Diag::error("wp::unreadable", format!("cannot read `{display}`: {e}"))
                    .with_help("make it a readable WP prompt file, or move it out of tasks/");
                let error = python_os_error(&e, &path);
                (
                    Err(diag.clone()),
                    Some(Failure::with_error_text(diag, error)),
                )
            }
        };
        (path, read)
    };
    let read: Vec<(PathBuf, ReadWp)> = if names.len() < 64 {
        names.iter().map(read_one).collect()
    } else {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let chunk = names.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = names
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(read_one).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    for (name, (path, (parsed, not_decodable))) in names.into_iter().zip(read) {
        bootstrap_ids.push(parsed.as_ref().ok().map(|f| f.meta.work_package_id.clone()));
        let Some(id) = file_wp_id(&name) else {
            continue;
        };
        file_ids.push(id.clone());
        if let Some(f) = not_decodable {
            // Not skipped with a warning: 3.1.1 had no refs for it, then failed on reading it.
            undecodable.push((id, f));
            continue;
        }
        match parsed {
            Ok(file) => wps.push(Wp { id, file, path }),
            Err(d) => warnings.push(Diag {
                message: format!("{}; the WP is skipped", d.message),
                ..d
            }),
        }
    }
    sort_wps(&mut file_ids);
    let index = wps
        .iter()
        .enumerate()
        .map(|(i, w): (usize, &Wp)| (w.id.clone(), i))
        .collect();
    Ok(Loaded {
        root: root.to_path_buf(),
        slug: mission.slug.clone(),
        dir,
        tasks_md,
        doc,
        spec,
        wps,
        file_ids,
        bootstrap_ids,
        wps_yaml,
        warnings,
        undecodable,
        index,
        lane_strategy: configured_strategy(root)?,
    })
}

/// `.kittify/config.yaml` `lanes: {strategy: collapse|fan-in}`; `collapse` when unset.
fn configured_strategy(root: &Path) -> Result<lanes::Strategy, Failure> {
    let path = root.join(".kittify").join("config.yaml");
    let value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| yaml_serde::from_str::<yaml_serde::Value>(&t).ok());
    let Some(raw) = value
        .as_ref()
        .and_then(|v| v.get("lanes"))
        .and_then(|l| l.get("strategy"))
    else {
        return Ok(lanes::Strategy::default());
    };
    raw.as_str()
        .and_then(lanes::Strategy::parse)
        .ok_or_else(|| {
            Failure::simple(
                Diag::error(
                    "lanes::unknown-strategy",
                    format!(
                        "`lanes.strategy` in {} is {}, not a lane strategy",
                        rel_path(root, &path),
                        yaml_serde::to_string(raw).unwrap_or_default().trim()
                    ),
                )
                .with_help("set it to `collapse` (3.1.1's lanes, the default) or `fan-in`"),
            )
        })
}

/// A mission file that is not UTF-8: 3.1.1's `{"error": "'utf-8' codec can't decode ..."}`.
fn not_utf8(root: &Path, path: &Path, error: &utf8::DecodeError, lossy: String) -> Failure {
    let diag = crate::support::diagnostics::not_utf8(&rel_path(root, path), error, lossy);
    Failure::with_error_text(diag, error.to_string())
}

/// Python's `str(OSError)`: `[Errno 21] Is a directory: '/abs/path'`.
fn python_os_error(e: &std::io::Error, path: &Path) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => {
            let reason = text
                .strip_suffix(&format!(" (os error {code})"))
                .unwrap_or(&text);
            format!(
                "[Errno {code}] {reason}: {}",
                crate::support::util::py_str(&path.display().to_string())
            )
        }
        None => text,
    }
}

/// The WP id a prompt file's name gives: `WP01-x.md`, `WP01_x.md`, `WP01.md` → `WP01`.
pub fn file_wp_id(name: &str) -> Option<String> {
    let rest = name.strip_prefix("WP")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits < 2 {
        return None;
    }
    let after = &rest[digits..];
    (after.is_empty() || after.starts_with(['-', '_', '.']))
        .then(|| format!("WP{}", &rest[..digits]))
}

fn parsed_map(doc: &TasksDoc) -> DepMap {
    let mut map = DepMap::default();
    for s in &doc.sections {
        map.insert(s.id.clone(), s.dependency_ids());
    }
    map
}

/// Where a WP's effective dependency list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DepSource {
    /// tasks.md or wps.yaml.
    Parsed,
    /// Kept from the WP's frontmatter because tasks.md declared none.
    Frontmatter,
}

/// The resolved dependency map and what it was made of.
pub(crate) struct Resolution {
    pub map: DepMap,
    pub source: HashMap<String, DepSource>,
    /// (wp, frontmatter list, parsed list) for every disagreement.
    pub conflicts: Vec<(String, Vec<String>, Vec<String>)>,
    pub preserved: Vec<String>,
    /// Whether a WP outside the map keeps its frontmatter list (tasks.md) or gets `[]` (wps.yaml
    /// is the whole map).
    pub outside_keeps_frontmatter: bool,
}

fn resolve(loaded: &Loaded, parsed: &DepMap) -> Resolution {
    let mut kept: HashMap<&str, Vec<String>> = HashMap::new();
    let mut conflicts = Vec::new();
    let mut preserved = Vec::new();
    // wps.yaml is authoritative: nothing is kept from frontmatter. It can still disagree with a
    // WP's frontmatter list, as tasks.md can (3.1.1 checked whichever map it had).
    if loaded.wps_yaml.is_none() {
        for wp in &loaded.wps {
            let p = parsed.get(&wp.id).cloned().unwrap_or_default();
            let e = wp.file.meta.dependencies.clone().unwrap_or_default();
            if p.is_empty() && !e.is_empty() {
                preserved.push(wp.id.clone());
                kept.insert(&wp.id, e);
            }
        }
    }
    // Disagreements in the map's order (tasks.md or wps.yaml order, as 3.1.1 reported them).
    for (id, p) in parsed.iter() {
        let Some(wp) = loaded.wp(id) else {
            continue;
        };
        let e = wp.file.meta.dependencies.clone().unwrap_or_default();
        if !p.is_empty() && !e.is_empty() {
            let (a, b): (BTreeSet<&String>, BTreeSet<&String>) =
                (e.iter().collect(), p.iter().collect());
            if a != b {
                conflicts.push((id.clone(), e, p.clone()));
            }
        }
    }
    let mut map = DepMap::default();
    let mut source = HashMap::new();
    for (wp, p) in parsed.iter() {
        match kept.get(wp.as_str()) {
            Some(e) => {
                map.insert(wp.clone(), e.clone());
                source.insert(wp.clone(), DepSource::Frontmatter);
            }
            None => {
                map.insert(wp.clone(), p.clone());
                source.insert(wp.clone(), DepSource::Parsed);
            }
        }
    }
    Resolution {
        map,
        source,
        conflicts,
        preserved,
        outside_keeps_frontmatter: loaded.wps_yaml.is_none(),
    }
}

/// Requirement refs as 3.1.1 collected them: every WP file (an unreadable one counts as having
/// none) from its frontmatter, then tasks.md sections fill in WPs that have none, including WPs
/// that have a section but no file. Keys are sorted.
fn requirement_refs(loaded: &Loaded) -> Vec<(String, Vec<String>)> {
    let mut refs: BTreeMap<String, Vec<String>> = loaded
        .file_ids
        .iter()
        .map(|id| (id.clone(), Vec::new()))
        .collect();
    for w in &loaded.wps {
        refs.insert(
            w.id.clone(),
            requirements::normalise_refs(w.file.meta.requirement_refs.as_deref().unwrap_or(&[])),
        );
    }
    if loaded.wps_yaml.is_none() && loaded.tasks_md.is_some() {
        // A later section for the same id replaces an earlier one (3.1.1 kept a dict).
        let mut sections: HashMap<&str, std::ops::Range<usize>> = HashMap::new();
        for s in &loaded.doc.req_sections {
            sections.insert(&s.id, s.body.clone());
        }
        let text = loaded.tasks_md.as_ref().map_or("", |s| &s.text);
        for (id, body) in sections {
            if refs.get(id).is_none_or(Vec::is_empty) {
                let found: Vec<String> = parse::section_refs(text, body)
                    .into_iter()
                    .map(|r| r.id)
                    .collect();
                if !found.is_empty() {
                    refs.insert(id.to_owned(), found);
                }
            }
        }
    }
    let mut out: Vec<(String, Vec<String>)> = refs.into_iter().collect();
    out.sort_by(|a, b| wp_cmp(&a.0, &b.0));
    out
}

fn refs_json(refs: &[(String, Vec<String>)]) -> Value {
    Value::Object(refs.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
}

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

fn plan_wp(
    wp: &Wp,
    res: &Resolution,
    refs: &HashMap<&str, &Vec<String>>,
    branch: &str,
    slug: &str,
) -> WpPlan {
    let meta = &wp.file.meta;
    let mut changes: Vec<(&'static str, FmValue)> = Vec::new();
    let preserved = res.preserved.contains(&wp.id);
    // Dependencies: the resolved list; a WP outside the map keeps its frontmatter list when the
    // map came from tasks.md, and gets [] when it came from wps.yaml (as 3.1.1 wrote).
    let deps = match res.map.get(&wp.id) {
        Some(d) => d.clone(),
        None if res.outside_keeps_frontmatter => meta.dependencies.clone().unwrap_or_default(),
        None => Vec::new(),
    };
    if !wp.file.raw_has_dependencies || meta.dependencies.as_ref() != Some(&deps) {
        changes.push(("dependencies", FmValue::List(deps)));
    }
    let my_refs = refs
        .get(wp.id.as_str())
        .map(|v| (*v).clone())
        .unwrap_or_default();
    if !wp.file.raw_has_requirement_refs || meta.requirement_refs.as_ref() != Some(&my_refs) {
        changes.push(("requirement_refs", FmValue::List(my_refs)));
    }
    for (key, current, want) in [
        (
            "planning_base_branch",
            &meta.planning_base_branch,
            branch.to_owned(),
        ),
        (
            "merge_target_branch",
            &meta.merge_target_branch,
            branch.to_owned(),
        ),
        (
            "branch_strategy",
            &meta.branch_strategy,
            branch_strategy(branch),
        ),
    ] {
        if current.as_deref() != Some(want.as_str()) {
            changes.push((key, FmValue::Str(want)));
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

/// The status log as 3.1.1's bootstrap read it: only when some WP file has an id, and refused
/// whole when a line is not an event.
fn read_log_as_311(root: &Path, loaded: &Loaded) -> Result<Vec<Event>, Failure> {
    if loaded.bootstrap_ids.iter().flatten().next().is_none() {
        return Ok(Vec::new());
    }
    let events_path = loaded.dir.join(status::EVENTS_FILE);
    status::read_events_strict(&events_path).map_err(|e| corrupt_log_failure(root, &events_path, e))
}

/// The checks finalize makes on meta.json and the status log, for `spec-kitty lint`: what would
/// stop a real run (a meta.json that is not UTF-8 or not an object; a corrupt event log; malformed
/// meta.json when there are WPs to seed) and the malformed-meta.json warning. A missing meta.json
/// is no problem there.
pub(crate) fn state_checks(root: &Path, loaded: &Loaded) -> Vec<Diag> {
    let mut diags = Vec::new();
    let meta = read_meta(root, &loaded.dir, &mut diags);
    diags.retain(|d| d.code != "mission::meta-missing");
    if let Some(f) = meta.early_failure() {
        return f.diagnostics;
    }
    let events = match read_log_as_311(root, loaded) {
        Ok(events) => events,
        Err(f) => {
            diags.extend(f.diagnostics);
            return diags;
        }
    };
    if !plan_bootstrap(loaded, &events).new_events.is_empty()
        && let Some(f) = meta.seeding_failure(&loaded.dir.join("meta.json"))
    {
        diags.retain(|d| d.code != "mission::meta-unreadable");
        diags.extend(f.diagnostics);
    }
    diags
}

/// meta.json as finalize found it.
enum Meta {
    /// No file: the slug stands in for `mission_id`.
    Missing,
    /// A JSON object.
    Object(Map<String, Value>),
    /// Valid JSON that is not an object.
    NotObject(Value, Place),
    /// Not JSON: Python's message.
    Malformed(String, Place),
    /// Not UTF-8: Python's message (3.1.1 did not catch this one: it always stopped).
    NotUtf8(String, Place),
}

/// Where in meta.json a problem is, for the diagnostic.
struct Place {
    source: Source,
    span: std::ops::Range<usize>,
    label: &'static str,
}

impl Meta {
    /// The object finalize reads fields from (empty unless an object).
    fn fields(&self) -> Map<String, Value> {
        match self {
            Meta::Object(m) => m.clone(),
            _ => Map::new(),
        }
    }

    /// What 3.1.1 stopped with at once, reading the target branch from meta.json: a decode error,
    /// or `meta.get(...)` on JSON that is not an object.
    fn early_failure(&self) -> Option<Failure> {
        match self {
            Meta::NotUtf8(msg, place) => Some(meta_failure(msg.clone(), place)),
            Meta::NotObject(v, place) => {
                let json_kind = match v {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "null",
                };
                let mut f = meta_failure(
                    format!(
                        "'{}' object has no attribute 'get'",
                        crate::support::pyjson::type_name(v)
                    ),
                    place,
                );
                if let Some(d) = f.diagnostics.first_mut() {
                    d.message = format!(
                        "`{}` holds {json_kind}, not a JSON object",
                        place.source.name
                    );
                }
                Some(f)
            }
            _ => None,
        }
    }

    /// What 3.1.1 stopped with later: malformed JSON once the status bootstrap seeded anything
    /// (`load_meta`, for status.json).
    fn seeding_failure(&self, path: &Path) -> Option<Failure> {
        match self {
            Meta::Malformed(msg, place) => Some(meta_failure(
                format!("Malformed JSON in {}: {msg}", path.display()),
                place,
            )),
            _ => None,
        }
    }
}

fn meta_failure(error: String, place: &Place) -> Failure {
    let diag = Diag::error("mission::meta-unusable", error.clone())
        .at(&place.source, place.span.clone(), place.label)
        .with_help("meta.json must be a UTF-8 JSON object (as `spec-kitty agent mission create` writes it); fix or recreate it");
    Failure::with_error_text(diag, error)
}

fn read_meta(root: &Path, dir: &Path, warnings: &mut Vec<Diag>) -> Meta {
    let path = dir.join("meta.json");
    let display = rel_path(root, &path);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(_) => {
            warnings.push(
                Diag::warning(
                    "mission::meta-missing",
                    format!(
                        "meta.json missing in {}; the mission slug is used as mission_id",
                        dir.display()
                    ),
                )
                .with_help("`spec-kitty agent mission create` writes meta.json with a mission_id"),
            );
            return Meta::Missing;
        }
    };
    let text = match crate::support::utf8::decode(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let end = (e.start + '\u{fffd}'.len_utf8()).min(lossy.len());
            let place = Place {
                source: Source::new(display, lossy),
                span: e.start..end,
                label: "not UTF-8",
            };
            return Meta::NotUtf8(e.to_string(), place);
        }
    };
    let place = |span: std::ops::Range<usize>, label| Place {
        source: Source::new(display.clone(), text.to_owned()),
        span,
        label,
    };
    match crate::support::pyjson::check(text) {
        Ok(_) => match crate::support::pyjson::to_value(text) {
            Some(Value::Object(m)) => Meta::Object(m),
            Some(v) => {
                let start = text.len() - text.trim_start().len();
                let end = text.trim_end().len().max(start);
                Meta::NotObject(v, place(start..end, "not a JSON object"))
            }
            None => Meta::Malformed("a lone surrogate escape".to_owned(), place(0..0, "here")),
        },
        Err(r) => {
            let msg = r.python_text(text);
            let at = match r {
                crate::support::pyjson::Rejection::Decode { pos, .. } => {
                    text.char_indices().nth(pos).map_or(text.len(), |(b, _)| b)
                }
                crate::support::pyjson::Rejection::TooDeep(_) => 0,
            };
            warnings.push(
                Diag::warning(
                    "mission::meta-unreadable",
                    format!("Failed to read meta.json for event emission: {msg}"),
                )
                .at(
                    &Source::new(display.clone(), text.to_owned()),
                    at..at,
                    "here",
                )
                .with_help(format!(
                    "fix the JSON in `{display}`; finalize stops before seeding the status log while it is unreadable"
                )),
            );
            Meta::Malformed(msg, place(at..at, "here"))
        }
    }
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
        .new_events
        .iter()
        .filter_map(|e| {
            let id = &e.wp_id;
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

/// The status bootstrap: one `planned` event per WP the log does not know yet.
struct Bootstrap {
    total: usize,
    new_events: Vec<Event>,
    already: usize,
}

impl Bootstrap {
    fn json(&self) -> Value {
        serde_json::json!({"total_wps": self.total, "newly_seeded": self.new_events.len(), "already_initialized": self.already})
    }
}

/// 3.1.1 seeded every collected id, duplicates included: two WP files with the same
/// `work_package_id` get two events. Each event is later than the one before (3.1.1's were, one
/// write apart), so the reducer keeps the log's order.
fn plan_bootstrap(loaded: &Loaded, existing: &[Event]) -> Bootstrap {
    let known: std::collections::HashSet<&str> =
        existing.iter().map(|e| e.wp_id.as_str()).collect();
    let ids: Vec<&String> = loaded.bootstrap_ids.iter().flatten().collect();
    let mut new_events = Vec::new();
    let mut already = 0;
    let mut previous: Option<UtcTime> = None;
    for id in &ids {
        if known.contains(id.as_str()) {
            already += 1;
            continue;
        }
        let now = UtcTime::now();
        let at = match previous {
            Some(p) if (now.unix_seconds(), now.micros) <= (p.unix_seconds(), p.micros) => {
                p.plus_micro()
            }
            _ => now,
        };
        previous = Some(at);
        new_events.push(Event {
            actor: "finalize-tasks".into(),
            at: at.isoformat(),
            event_id: status::new_event_id(),
            evidence: Value::Null,
            execution_mode: "worktree".into(),
            force: true,
            from_lane: "planned".into(),
            mission_slug: loaded.slug.clone().into(),
            policy_metadata: Value::Null,
            reason: "canonical bootstrap".into(),
            review_ref: Value::Null,
            to_lane: "planned".into(),
            wp_id: (*id).clone(),
        });
    }
    Bootstrap {
        total: ids.len(),
        new_events,
        already,
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

struct ValidateOnly<'a> {
    loaded: &'a Loaded,
    branch: &'a str,
    plans: &'a [WpPlan],
    preserved: &'a [String],
    unchanged: &'a [String],
    updated: usize,
    ownership_warnings: Vec<String>,
    bootstrap: &'a Bootstrap,
    lanes: Option<&'a LanePlan>,
}

fn validate_only_report(v: ValidateOnly<'_>) -> Report {
    let would_modify: Vec<Value> = v
        .plans
        .iter()
        .filter(|p| !p.changes.is_empty())
        .map(|p| {
            let changes: Map<String, Value> = p
                .changes
                .iter()
                .map(|(k, val)| ((*k).to_owned(), val.to_json()))
                .collect();
            serde_json::json!({"wp_id": p.id, "changes": changes})
        })
        .collect();
    let mut validation = Map::new();
    validation.insert("bootstrap_preview".into(), v.bootstrap.json());
    validation.insert("lanes_preview".into(), lanes_summary(v.lanes, true));
    let mut payload = Map::new();
    payload.insert("result".into(), "validation_passed".into());
    payload.insert("mission_slug".into(), v.loaded.slug.clone().into());
    payload.insert("wp_count".into(), v.loaded.wps.len().into());
    payload.insert("validate_only".into(), true.into());
    payload.insert("would_modify".into(), Value::Array(would_modify.clone()));
    payload.insert("would_preserve".into(), strings(v.preserved));
    payload.insert("unchanged".into(), strings(v.unchanged));
    payload.insert("updated_wp_count".into(), v.updated.into());
    payload.insert("ownership_warnings".into(), strings(&v.ownership_warnings));
    payload.insert("validation".into(), Value::Object(validation));
    payload.insert(
        "message".into(),
        "All validations passed. Run without --validate-only to commit.".into(),
    );
    let mut lines = vec![format!("Branch: {} (target for this mission)", v.branch)];
    lines.extend(branch_note(&v.loaded.dir, v.branch));
    lines.extend([
        "✓ All validations passed (--validate-only mode, no commit)".to_owned(),
        format!("  Mission: {}", v.loaded.slug),
        format!("  WPs validated: {}", v.loaded.wps.len()),
        format!(
            "  Would modify: {} WP(s), preserve: {}, unchanged: {}",
            would_modify.len(),
            v.preserved.len(),
            v.unchanged.len()
        ),
        format!(
            "  Bootstrap: {} WPs would be seeded, {} already initialized",
            v.bootstrap.new_events.len(),
            v.bootstrap.already
        ),
    ]);
    if let Some(l) = v.lanes {
        lines.push(format!(
            "  Lanes: {} lane(s) would be computed",
            l.lanes.len()
        ));
    }
    Report {
        payload,
        lines,
        warnings: v.loaded.warnings.clone(),
        drift: false,
    }
}

/// The drift gate's report: every file finalize would write, and why.
fn check_report(
    root: &Path,
    loaded: &Loaded,
    plans: &[WpPlan],
    writes: &[(PathBuf, String)],
    bootstrap: &Bootstrap,
) -> Report {
    let mut files: Vec<Value> = Vec::new();
    let mut lines = Vec::new();
    for (path, _) in writes {
        let rel = rel_path(root, path);
        let fields: Vec<String> = loaded
            .wps
            .iter()
            .zip(plans)
            .find(|(w, _)| &w.path == path)
            .map(|(_, p)| p.changes.iter().map(|(k, _)| (*k).to_owned()).collect())
            .unwrap_or_default();
        let exists = path.exists();
        lines.push(if fields.is_empty() {
            format!("  {} {rel}", if exists { "M" } else { "A" })
        } else {
            format!("  M {rel} ({})", fields.join(", "))
        });
        files.push(serde_json::json!({"path": rel, "change": if exists { "modify" } else { "create" }, "fields": fields}));
    }
    if !bootstrap.new_events.is_empty() {
        let events = rel_path(root, &loaded.dir.join(status::EVENTS_FILE));
        let snapshot = rel_path(root, &loaded.dir.join(status::STATUS_FILE));
        let ids: Vec<&str> = bootstrap
            .new_events
            .iter()
            .map(|e| e.wp_id.as_str())
            .collect();
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
        warnings: loaded.warnings.clone(),
        drift,
    }
}

/// Renders a WP list as 3.1.1 printed lists in messages.
pub(crate) fn list(items: &[String]) -> String {
    py_list(items)
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
        let mode = match plan.execution_mode.as_str() {
            PLANNING_ARTIFACT => PLANNING_ARTIFACT,
            CODE_CHANGE => CODE_CHANGE,
            _ => continue,
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
