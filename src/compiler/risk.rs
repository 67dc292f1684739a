//! The parallelisation risk report finalize-tasks prints after computing lanes: how likely two
//! lanes that run at the same time are to conflict when merged, from three heuristics of spec-kitty
//! 3.1.1 (shared parent directories, cross-lane module references in WP bodies, shared test files).
//! With `policy.risk.mode: block` in `.kittify/config.yaml`, a score above the threshold stops
//! finalize.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::support::pattern::Pattern;

use crate::compiler::lanes::{Lane, LanePlan};

/// `policy.risk` of `.kittify/config.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskPolicy {
    /// `warn` (default), `block` or `off`; anything else reads as `warn`.
    pub mode: String,
    /// Scores strictly above this block in `block` mode (default 0.6).
    pub threshold: f64,
}

impl Default for RiskPolicy {
    fn default() -> Self {
        RiskPolicy {
            mode: "warn".to_owned(),
            threshold: 0.6,
        }
    }
}

/// Reads the policy; a missing or unreadable file or section gives the defaults, as in 3.1.1.
pub fn load_policy(root: &Path) -> RiskPolicy {
    let Ok(text) = std::fs::read_to_string(root.join(".kittify/config.yaml")) else {
        return RiskPolicy::default();
    };
    let Ok(value) = yaml_serde::from_str::<yaml_serde::Value>(&text) else {
        return RiskPolicy::default();
    };
    let Some(risk) = value.get("policy").and_then(|p| p.get("risk")) else {
        return RiskPolicy::default();
    };
    let mode = match risk.get("mode").and_then(yaml_serde::Value::as_str) {
        Some(m @ ("warn" | "block" | "off")) => m.to_owned(),
        _ => "warn".to_owned(),
    };
    let threshold = risk
        .get("threshold")
        .and_then(|t| {
            t.as_f64()
                .or_else(|| t.as_str().and_then(|s| s.trim().parse().ok()))
        })
        .unwrap_or(0.6);
    RiskPolicy { mode, threshold }
}

/// The risk of one pair of lanes in the same parallel group.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRisk {
    /// First lane.
    pub lane_a: String,
    /// Second lane.
    pub lane_b: String,
    /// Parent directories (depth 2 or more) both lanes write under.
    pub shared_parent_dirs: Vec<String>,
    /// Cross-lane module references found in WP bodies.
    pub import_coupling: Vec<String>,
    /// Test files both lanes refer to.
    pub shared_test_surfaces: Vec<String>,
    /// `min(1, 0.12·dirs + 0.10·couplings + 0.08·tests)` (each count capped), 3 decimals.
    pub score: f64,
}

/// The report over every pair.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskReport {
    /// Pairs in lane order.
    pub pairs: Vec<PairRisk>,
    /// The highest pair score, or 0.
    pub overall: f64,
    /// The policy's threshold.
    pub threshold: f64,
}

impl RiskReport {
    /// Whether the overall score is strictly above the threshold.
    pub fn exceeds(&self) -> bool {
        self.overall > self.threshold
    }

    /// The human lines 3.1.1 printed when the score is above zero.
    pub fn lines(&self) -> Vec<String> {
        if self.overall <= 0.0 {
            return Vec::new();
        }
        let mut out = vec![format!(
            "⚠ Parallelization risk: {:.2} (threshold: {:.2})",
            self.overall, self.threshold
        )];
        for p in self.pairs.iter().filter(|p| p.score > 0.0) {
            out.push(format!("  {} ↔ {}: {:.2}", p.lane_a, p.lane_b, p.score));
            out.extend(
                p.shared_parent_dirs
                    .iter()
                    .take(3)
                    .map(|d| format!("    shared dir: {d}")),
            );
            out.extend(
                p.import_coupling
                    .iter()
                    .take(3)
                    .map(|c| format!("    coupling: {c}")),
            );
        }
        out
    }
}

/// Scores every pair of lanes that share a parallel group. `bodies` maps WP id to its body.
pub fn assess(
    plan: &LanePlan,
    bodies: &HashMap<String, String>,
    policy: &RiskPolicy,
) -> RiskReport {
    let mut groups: Vec<(u64, Vec<&Lane>)> = Vec::new();
    for lane in &plan.lanes {
        match groups.iter_mut().find(|(g, _)| *g == lane.parallel_group) {
            Some((_, v)) => v.push(lane),
            None => groups.push((lane.parallel_group, vec![lane])),
        }
    }
    let mut pairs = Vec::new();
    for (_, lanes) in &groups {
        for (i, a) in lanes.iter().enumerate() {
            for b in &lanes[i + 1..] {
                pairs.push(score_pair(a, b, bodies));
            }
        }
    }
    let overall = pairs.iter().map(|p| p.score).fold(0.0, f64::max);
    RiskReport {
        pairs,
        overall,
        threshold: policy.threshold,
    }
}

fn score_pair(a: &Lane, b: &Lane, bodies: &HashMap<String, String>) -> PairRisk {
    let shared_parent_dirs: Vec<String> = parent_dirs(&a.write_scope)
        .intersection(&parent_dirs(&b.write_scope))
        .cloned()
        .collect();
    let text = |lane: &Lane| -> String {
        lane.wp_ids
            .iter()
            .map(|w| bodies.get(w).map_or("", String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (body_a, body_b) = (text(a), text(b));
    let mut import_coupling = Vec::new();
    for m in modules(&b.write_scope) {
        if body_a.contains(&m) {
            import_coupling.push(format!(
                "{} references {m} (owned by {})",
                a.lane_id, b.lane_id
            ));
        }
    }
    for m in modules(&a.write_scope) {
        if body_b.contains(&m) {
            import_coupling.push(format!(
                "{} references {m} (owned by {})",
                b.lane_id, a.lane_id
            ));
        }
    }
    let shared_test_surfaces: Vec<String> = test_refs(a, &body_a)
        .intersection(&test_refs(b, &body_b))
        .cloned()
        .collect();
    let raw = shared_parent_dirs.len().min(5) as f64 * 0.12
        + import_coupling.len().min(5) as f64 * 0.10
        + shared_test_surfaces.len().min(3) as f64 * 0.08;
    PairRisk {
        lane_a: a.lane_id.clone(),
        lane_b: b.lane_id.clone(),
        shared_parent_dirs,
        import_coupling,
        shared_test_surfaces,
        score: (raw.min(1.0) * 1000.0).round() / 1000.0,
    }
}

/// A glob with every `/**`, `/*` and `**` removed and trailing slashes trimmed.
fn clean(glob: &str) -> String {
    glob.replace("/**", "")
        .replace("/*", "")
        .replace("**", "")
        .trim_end_matches('/')
        .to_owned()
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect()
}

fn parent_dirs(scope: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for g in scope {
        let c = clean(g);
        let parts = segments(&c);
        // Proper ancestors with at least two segments.
        for n in 2..parts.len() {
            out.insert(parts[..n].join("/"));
        }
    }
    out
}

/// Write-scope globs as dotted module paths (`src/core/models.py` → `core.models`); iteration
/// order follows 3.1.1's set only in content, so the result is sorted.
fn modules(scope: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for g in scope {
        let mut c = clean(g);
        if c.is_empty() {
            continue;
        }
        if let Some(rest) = c.strip_prefix("src/") {
            c = rest.to_owned();
        }
        if let Some(rest) = c.strip_suffix(".py") {
            c = rest.to_owned();
        }
        out.insert(c.replace('/', "."));
    }
    out
}

/// A test file named in a WP body; it never spans a line.
static TEST_FILE: Pattern = Pattern::new(r"(?i)tests?/[\w/]*test_\w+");

fn test_refs(lane: &Lane, body: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for g in &lane.write_scope {
        if g.to_lowercase().contains("test") {
            let c = g
                .replace("/**", "")
                .replace("/*", "")
                .trim_end_matches('/')
                .to_owned();
            if !c.is_empty() {
                out.insert(c);
            }
        }
    }
    out.extend(
        TEST_FILE
            .find_all_by_line(body)
            .into_iter()
            .map(|r| body[r].to_owned()),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(id: &str, wps: &[&str], scope: &[&str]) -> Lane {
        Lane {
            lane_id: id.into(),
            wp_ids: wps.iter().map(|s| s.to_string()).collect(),
            write_scope: scope.iter().map(|s| s.to_string()).collect(),
            predicted_surfaces: vec![],
            depends_on_lanes: vec![],
            parallel_group: 0,
        }
    }

    #[test]
    fn scores_shared_dirs_couplings_and_tests() {
        let plan = LanePlan {
            lanes: vec![
                lane(
                    "lane-a",
                    &["WP01"],
                    &["src/app/views/a.py", "tests/test_a.py"],
                ),
                lane(
                    "lane-b",
                    &["WP02"],
                    &["src/app/views/b.py", "src/core/models.py"],
                ),
            ],
            planning_artifact_wps: vec![],
            collapse: Some(vec![]),
            independent_collapsed: 0,
        };
        let bodies: HashMap<String, String> = [
            (
                "WP01".to_string(),
                "uses core.models and tests/test_shared.py".to_string(),
            ),
            ("WP02".to_string(), "also tests/test_shared.py".to_string()),
        ]
        .into_iter()
        .collect();
        let r = assess(&plan, &bodies, &RiskPolicy::default());
        let p = &r.pairs[0];
        assert_eq!(p.shared_parent_dirs, ["src/app", "src/app/views"]);
        assert_eq!(
            p.import_coupling,
            ["lane-a references core.models (owned by lane-b)"]
        );
        assert_eq!(p.shared_test_surfaces, ["tests/test_shared"]);
        assert_eq!(p.score, 0.42);
        assert_eq!(
            r.lines()[0],
            "⚠ Parallelization risk: 0.42 (threshold: 0.60)"
        );
        assert!(!r.exceeds());
    }
}
