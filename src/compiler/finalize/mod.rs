//! `spec-kitty agent mission finalize-tasks`: the manifest compiler.
//!
//! The stages run in order, one file each: [`finalize`] reads meta.json, `analyze` runs load to
//! plan (per WP), `decide` the rest.
//!
//! | stage | file | in → out |
//! |---|---|---|
//! | meta.json | `meta.rs` | mission dir → `meta::Meta` (read first, as 3.1.1 did) |
//! | load | `load.rs` | mission → `load::Loaded` (every file read once) |
//! | parse | `parse.rs` | tasks.md → AST (run by load, beside reading the WP files) |
//! | resolve | `resolve.rs` | `load::Loaded` → declared dependency map; it + frontmatter → `resolve::Resolution`, requirement refs |
//! | branch | `branch.rs` | repository + meta.json → the branch planned for, its `branch_strategy` |
//! | plan (per WP) | `plan.rs` | WP + resolution + refs + `plan::Target` → `plan::WpPlan` |
//! | validate | `validate.rs` (+ `checks.rs`) | everything above → `validate::Validated` (ownership, lanes) |
//! | bootstrap | `bootstrap.rs` | status log → `bootstrap::Bootstrap` |
//! | plan (files) | `plan.rs` | plans + lanes → the files to write |
//! | guard | `guard.rs` (+ `inflight.rs`) | lanes + log → lane moves, risk report |
//! | emit | `emit.rs` | files + events → the commit |
//! | report | `report.rs` | all of it → [`Report`] |
//!
//! Checks run in spec-kitty 3.1.1's order so the first failing one gives 3.1.1's JSON payload;
//! nothing is written unless every check passed. `lint` and `lanes` reuse `analyze` and the
//! validate stage.

mod bootstrap;
mod branch;
pub(crate) mod checks;
mod emit;
mod guard;
mod inflight;
mod load;
mod meta;
mod parse;
mod plan;
mod report;
mod resolve;
mod validate;
mod wps_yaml;

use std::path::Path;

use serde_json::{Map, Value};

use crate::compiler::graph::DepMap;
use crate::compiler::lanes;
use crate::project::MissionRef;
use crate::project::config::Config;
use crate::support::diagnostics::{Diag, Failure};
use crate::support::par;

pub(crate) use bootstrap::state_checks;
pub use branch::{branch_strategy, check_branch, meta_target_branch, target_branch};
pub use load::file_wp_id;
pub(crate) use load::{Loaded, Wp};
pub use plan::OWNED_ORDER;
pub(crate) use plan::WpPlan;
pub(crate) use resolve::{DepSource, Resolution};
pub(crate) use validate::{Ownership, Validated, lane_stage, ownership_stage, validate};

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
#[derive(Debug)]
pub struct Report {
    /// 3.1.1's success or validation payload, keys in its order.
    pub payload: Map<String, Value>,
    /// Human output, one line each.
    pub lines: Vec<String>,
    /// Warnings (stderr in every mode).
    pub warnings: Vec<Diag>,
    /// With `check`: whether finalize would change any file.
    pub drift: bool,
    /// The mission as the run read it, for the caller to free (or, exiting, not to).
    pub leftovers: par::Leftovers,
}

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

/// Runs finalize-tasks on one mission.
pub fn finalize(root: &Path, mission: &MissionRef, opts: Options) -> Result<Report, Failure> {
    // 3.1.1 read meta.json first of all (for the target branch): a file that is not UTF-8, or
    // JSON that is not an object, stopped it there.
    let mut meta_warnings = Vec::new();
    let meta::MetaFile {
        meta,
        target_branch: meta_target,
    } = meta::read(root, &mission.dir, &mut meta_warnings);
    if let Some(mut f) = meta.early_failure() {
        f.diagnostics.append(&mut meta_warnings);
        return Err(f);
    }
    // 3.1.1 derived the target from the current branch; the drift gate compares against the
    // mission's own target, so it passes on a PR branch that changed nothing.
    let branch = if opts.check {
        meta_target.clone().unwrap_or_else(|| target_branch(root))
    } else {
        target_branch(root)
    };
    let target = meta_target.as_deref();
    run(root, mission, opts, &branch, &meta, target, meta_warnings).map_err(|mut f| {
        // 3.1.1 printed the target branch before running any check.
        f.preamble.insert(0, report::branch_line(&branch));
        f
    })
}

/// The stages after meta.json, in order.
fn run(
    root: &Path,
    mission: &MissionRef,
    opts: Options,
    branch: &str,
    meta: &meta::Meta,
    meta_target: Option<&str>,
    meta_warnings: Vec<Diag>,
) -> Result<Report, Failure> {
    let mut analysis = analyze(root, mission, branch, Config::read(root))?;
    match decide(root, opts, &mut analysis, meta, meta_target, meta_warnings) {
        Ok(mut report) => {
            report.leftovers = par::Leftovers::new(analysis);
            Ok(report)
        }
        Err(f) => {
            // Freeing a large mission (hundreds of thousands of allocations) is not the caller's
            // wait.
            par::drop_later(analysis.loaded.wps.len() >= par::LARGE, analysis);
            Err(f)
        }
    }
}

/// The stages after the analysis: validate (beside the status bootstrap), then a
/// `--validate-only` report, or the files to write and a `--check` report, or the guards, the
/// commit and its report.
fn decide(
    root: &Path,
    opts: Options,
    analysis: &mut Analysis,
    meta: &meta::Meta,
    meta_target: Option<&str>,
    meta_warnings: Vec<Diag>,
) -> Result<Report, Failure> {
    if let Some(strategy) = opts.lanes {
        analysis.loaded.lane_strategy = strategy;
    }
    let checked = check(root, opts, analysis, meta, meta_warnings)?;
    let Analysis {
        loaded,
        branch,
        parsed,
        refs,
        plans,
        ..
    } = analysis;
    // Every warning from here on is the report's.
    let warnings = std::mem::take(&mut loaded.warnings);
    let outcome = report::Outcome {
        loaded,
        branch,
        plans,
        parsed,
        refs,
        bootstrap: &checked.bootstrap,
        lanes: checked.lanes.as_ref(),
        ownership_warnings: &checked.ownership_warnings,
        meta_target,
    };
    if let Some(preview) = checked.preview {
        return Ok(report::validate_only(&outcome, preview, warnings));
    }
    let fields = meta.fields();
    let mission_id = mission_id(&fields, &loaded.slug);
    let lanes = checked.lanes.as_ref();
    let writes = plan::writes(
        loaded,
        plans,
        &fields,
        &checked.bootstrap,
        lanes,
        &mission_id,
        branch,
    );
    if opts.check {
        return Ok(report::check(root, &outcome, &writes, warnings));
    }
    let in_flight =
        guard::in_flight(root, loaded, lanes, &checked.existing, opts.force).map_err(|mut f| {
            f.diagnostics.extend(warnings.iter().cloned());
            f
        })?;
    let risk = guard::risk(loaded, lanes)?;
    let emitted = emit::emit(
        root,
        loaded,
        &writes,
        &checked.bootstrap,
        &checked.existing,
        &fields,
        lanes.is_some(),
    )?;
    Ok(report::success(
        &outcome,
        &emitted,
        &in_flight,
        risk.as_ref(),
        warnings,
    ))
}

/// What the checks leave for the rest of the run.
struct Checked {
    ownership_warnings: Vec<String>,
    lanes: Option<lanes::LanePlan>,
    /// The status log as it is.
    existing: Vec<crate::compiler::status::Event>,
    bootstrap: bootstrap::Bootstrap,
    /// A `--validate-only` report's file changes.
    preview: Option<report::Preview>,
}

/// Validation and the status bootstrap, which only read the mission: a large one has them worked
/// out side by side (unless reading the log could block: then it waits until validation is
/// done), and the bootstrap's core then previews a `--validate-only` report's file changes.
/// Failures are reported in the order the stages run, with the warnings gathered before them
/// (an unreadable WP file, ...), which often explain them.
fn check(
    root: &Path,
    opts: Options,
    analysis: &mut Analysis,
    meta: &meta::Meta,
    mut meta_warnings: Vec<Diag>,
) -> Result<Checked, Failure> {
    let Analysis {
        loaded,
        parsed,
        resolution,
        refs,
        plans,
        ..
    } = analysis;
    let previewing = opts.validate_only && !opts.check;
    let (validation, (log, preview)) = par::join(
        loaded.wps.len() >= par::LARGE && bootstrap::log_readable_now(loaded),
        || validate(loaded, parsed, resolution, refs, plans),
        || {
            let log = bootstrap::read_log(root, loaded).map(|existing| {
                let planned = bootstrap::plan(loaded, &existing);
                (existing, planned)
            });
            (log, previewing.then(|| report::preview(plans)))
        },
    );
    let (mut validate_warnings, validated) = validation;
    loaded.warnings.append(&mut validate_warnings);
    let Validated {
        ownership_warnings,
        lanes,
    } = validated.map_err(|f| with_warnings(f, &mut loaded.warnings))?;
    loaded.warnings.append(&mut meta_warnings);
    let (existing, bootstrap) = log.map_err(|f| with_warnings(f, &mut loaded.warnings))?;
    // A meta.json that 3.1.1 could not use stopped it (after it had written files; here before).
    let seeding = !opts.validate_only && !opts.check && !bootstrap.seeds.is_empty();
    if let Some(f) = seeding
        .then(|| meta.seeding_failure(&loaded.dir.join("meta.json")))
        .flatten()
    {
        // The meta-unreadable warning says the same thing, at the same place.
        loaded
            .warnings
            .retain(|w| w.code != "mission::meta-unreadable");
        return Err(with_warnings(f, &mut loaded.warnings));
    }
    Ok(Checked {
        ownership_warnings,
        lanes,
        existing,
        bootstrap,
        preview,
    })
}

/// The mission's id for lanes.json: 3.1.1's `mission_id or mission_slug`, so an empty id falls
/// back to the slug too.
fn mission_id(fields: &Map<String, Value>, slug: &str) -> String {
    fields
        .get("mission_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map_or_else(|| slug.to_owned(), str::to_owned)
}

/// A failure with the warnings gathered before it.
fn with_warnings(mut f: Failure, warnings: &mut Vec<Diag>) -> Failure {
    f.diagnostics.append(warnings);
    f
}

/// Loads a mission and works out what finalize would do on `branch`, without validating:
/// load → parse → resolve → plan each WP. `config` is the project's `.kittify/config.yaml`, read
/// once by the caller (`lint` analyzes every mission with it).
pub(crate) fn analyze(
    root: &Path,
    mission: &MissionRef,
    branch: &str,
    config: Config,
) -> Result<Analysis, Failure> {
    let mut loaded = load::load(root, mission, config)?;
    // The requirement references need nothing else: a large mission reads them on another core
    // while the dependencies are parsed and resolved.
    let ((warnings, parsed, resolution), refs) = par::join(
        loaded.wps.len() >= par::LARGE,
        || {
            let mut warnings = checks::duplicates(&loaded);
            if let Some(src) = &loaded.tasks_md {
                warnings.extend(crate::compiler::tasks::phrasing::warnings(src));
            }
            let parsed = resolve::declared(&loaded);
            // 3.1.1's precedence, with kept frontmatter lists used for validation and lanes too
            // (a deliberate difference).
            let resolution = resolve::resolve(&loaded, &parsed);
            (warnings, parsed, resolution)
        },
        || resolve::requirement_refs(&loaded),
    );
    loaded.warnings.extend(warnings);
    let target = plan::Target::new(branch);
    let plans: Vec<WpPlan> = par::map(&loaded.wps, par::LARGE, |wp| {
        plan::wp(wp, &resolution, &refs, &target, &loaded.slug)
    });
    Ok(Analysis {
        loaded,
        branch: branch.to_owned(),
        parsed,
        resolution,
        refs,
        plans,
    })
}
