//! The guards a real run passes before it writes anything (`--check` and `--validate-only` stop
//! before them, as 3.1.1 ran no risk check in validate-only mode):
//! - a started WP does not silently change lanes: its worktree holds its commits (`--force`
//!   re-plans anyway and reports the moves);
//! - the parallelisation risk report, which in `policy.risk.mode: block` stops the run.

use std::collections::HashMap;
use std::path::Path;

use super::inflight::{self, LaneMove};
use super::load::Loaded;
use crate::compiler::lanes::LanePlan;
use crate::compiler::risk::{self, RiskReport};
use crate::compiler::status::Event;
use crate::support::diagnostics::{Diag, Failure};

/// The lane moves of started WPs; a refusal unless `force`.
pub(crate) fn in_flight(
    root: &Path,
    loaded: &Loaded,
    lanes: Option<&LanePlan>,
    existing: &[Event],
    force: bool,
) -> Result<Vec<LaneMove>, Failure> {
    let moves = inflight::moves(root, &loaded.dir, &loaded.slug, lanes, existing);
    if !moves.is_empty() && !force {
        return Err(inflight::refusal(&loaded.slug, &moves));
    }
    Ok(moves)
}

/// The risk report for the lanes, or the failure when the policy blocks it.
pub(crate) fn risk(
    loaded: &Loaded,
    lanes: Option<&LanePlan>,
) -> Result<Option<RiskReport>, Failure> {
    let Some(plan) = lanes else {
        return Ok(None);
    };
    let bodies: HashMap<&str, &str> = loaded
        .wps
        .iter()
        .map(|w| (w.id.as_str(), w.file.body()))
        .collect();
    let policy = risk::policy(&loaded.config);
    let report = risk::assess(plan, &bodies, &policy);
    if policy.mode == "block" && report.exceeds() {
        // 3.1.1's error text, word for word. Its `--force` did not exist; ours re-plans started WPs
        // and does not lift this policy, so the diagnostic's help says what does.
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
    Ok(Some(report))
}
