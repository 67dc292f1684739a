//! The validate stage: every check in 3.1.1's order, stopping at the first that fails, then
//! ownership and lanes.

use std::collections::HashMap;

use super::checks::{self, Manifests};
use super::load::Loaded;
use super::plan::WpPlan;
use super::resolve::Resolution;
use crate::compiler::graph::{DepMap, wp_cmp};
use crate::compiler::lanes::{self, LanePlan, WpOwnership};
use crate::compiler::ownership;
use crate::support::diagnostics::{Diag, Failure};
use crate::support::par;

/// What validation established: the JSON `ownership_warnings`, and the lanes (when there are WP
/// sections and ownership manifests).
pub(crate) struct Validated {
    pub ownership_warnings: Vec<String>,
    pub lanes: Option<LanePlan>,
}

/// What the ownership stage established: the manifests, and its warnings as diagnostics.
pub(crate) struct Ownership {
    pub manifests: Manifests,
    pub diags: Vec<Diag>,
}

/// Every check in 3.1.1's order, stopping at the first that fails, then the lanes. Returns the
/// warnings found on the way (they belong after `loaded.warnings`, on success and on failure) and
/// the outcome. On a large mission the ownership warnings and the lanes are worked out side by side:
/// both only read the manifests, and a failing warning check wins over a lane failure.
pub(crate) fn validate(
    loaded: &Loaded,
    parsed: &DepMap,
    resolution: &Resolution,
    refs: &[(String, Vec<String>)],
    plans: &[WpPlan],
) -> (Vec<Diag>, Result<Validated, Failure>) {
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
        return (Vec::new(), Err(f));
    }
    let manifests = match checks::undecodable(loaded)
        .and_then(|()| checks::ownership(loaded, plans, &resolution.map))
    {
        Ok(manifests) => manifests,
        Err(f) => return (Vec::new(), Err(f)),
    };
    let (warnings, lanes) = par::join(
        loaded.wps.len() >= par::LARGE,
        || ownership_warnings(loaded, plans, &manifests.owners),
        || lane_stage(loaded, resolution, &manifests),
    );
    let (json_warnings, diags) = match warnings {
        Ok(w) => w,
        Err(f) => return (Vec::new(), Err(f)),
    };
    let outcome = lanes.map(|lanes| Validated {
        ownership_warnings: json_warnings,
        lanes,
    });
    (diags, outcome)
}

/// The ownership stage: overlap and surface checks, then the warnings 3.1.1 gave (broad fallback,
/// globs that match nothing, mode mismatches).
pub(crate) fn ownership_stage(
    loaded: &Loaded,
    plans: &[WpPlan],
    deps: &DepMap,
) -> Result<Ownership, Failure> {
    let manifests = checks::ownership(loaded, plans, deps)?;
    let (_, diags) = ownership_warnings(loaded, plans, &manifests.owners)?;
    Ok(Ownership { manifests, diags })
}

/// The ownership warnings, for the JSON (`ownership_warnings`) and as diagnostics. Fails on a glob
/// that is not valid.
fn ownership_warnings(
    loaded: &Loaded,
    plans: &[WpPlan],
    owners: &HashMap<String, WpOwnership>,
) -> Result<(Vec<String>, Vec<Diag>), Failure> {
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
    // One warning per glob, located at the glob itself; renderers group them (a glob for files a
    // WP will create matches nothing yet, which is normal for new code).
    for (wp, glob, msg) in checks::zero_match_globs(loaded, owners)? {
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
    for (wp, o) in owners_sorted(owners) {
        if let Some(w) = ownership::mode_warning(wp, &o.execution_mode, &o.owned_files) {
            diags.push(Diag::warning("ownership::mode-mismatch", w).with_help(
                "planning_artifact WPs own planning files (kitty-specs/, docs/); code_change WPs own files under src/ or tests/",
            ));
        }
    }
    Ok((json_warnings, diags))
}

/// Lanes, when there are both manifests and a dependency map.
pub(crate) fn lane_stage(
    loaded: &Loaded,
    resolution: &Resolution,
    manifests: &Manifests,
) -> Result<Option<LanePlan>, Failure> {
    if manifests.owners.is_empty() || resolution.map.is_empty() {
        return Ok(None);
    }
    lanes::compute_with_overlaps(
        &resolution.map,
        &manifests.owners,
        loaded.lane_strategy,
        &manifests.overlaps,
    )
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
