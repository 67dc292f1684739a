//! The parallelisation risk report finalize-tasks prints after computing lanes: how likely two
//! lanes that run at the same time are to conflict when merged, from three heuristics of spec-kitty
//! 3.1.1 (shared parent directories, cross-lane module references in WP bodies, shared test files).
//! With `policy.risk.mode: block` in `.kittify/config.yaml`, a score above the threshold stops
//! finalize.

use std::collections::{BTreeSet, HashMap};

use crate::project::config::Config;
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

/// The policy; a missing or unreadable file or section gives the defaults, as in 3.1.1.
pub fn policy(config: &Config) -> RiskPolicy {
    let Some(risk) = config.get("policy", "risk") else {
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
    /// The pairs with a score above 0, in lane order (every other pair scores 0).
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
///
/// 3.1.1 scored every pair, which is quadratic in the lanes (a 5,000-WP mission took seconds).
/// Here each lane's facts are worked out once, and only the pairs that share something (a
/// parent directory, a test file, or a module one names and the other owns) are scored: every
/// other pair scores 0, so `overall` and the printed lines are 3.1.1's.
pub fn assess(plan: &LanePlan, bodies: &HashMap<&str, &str>, policy: &RiskPolicy) -> RiskReport {
    // Parallel groups in order of first appearance, lanes in plan order within each.
    let mut groups: Vec<Vec<&Lane>> = Vec::new();
    let mut group_of: HashMap<u64, usize> = HashMap::new();
    for lane in &plan.lanes {
        let g = *group_of.entry(lane.parallel_group).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(lane);
    }
    let mut pairs = Vec::new();
    for lanes in &groups {
        let facts: Vec<LaneFacts<'_>> = lanes.iter().map(|l| LaneFacts::new(l, bodies)).collect();
        for (i, j) in candidate_pairs(&facts) {
            pairs.push(score_pair(&facts[i], &facts[j]));
        }
    }
    let overall = pairs.iter().map(|p| p.score).fold(0.0, f64::max);
    RiskReport {
        pairs,
        overall,
        threshold: policy.threshold,
    }
}

/// What one lane brings to a pair, worked out once.
struct LaneFacts<'a> {
    lane: &'a Lane,
    /// Its WP bodies, joined with spaces.
    body: String,
    parent_dirs: BTreeSet<String>,
    modules: BTreeSet<String>,
    tests: BTreeSet<String>,
}

impl<'a> LaneFacts<'a> {
    fn new(lane: &'a Lane, bodies: &HashMap<&str, &str>) -> Self {
        let body = lane
            .wp_ids
            .iter()
            .map(|w| bodies.get(w.as_str()).copied().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ");
        let tests = test_refs(lane, &body);
        LaneFacts {
            lane,
            parent_dirs: parent_dirs(&lane.write_scope),
            modules: modules(&lane.write_scope),
            tests,
            body,
        }
    }
}

/// The pairs `(i, j)`, `i < j`, in lane order, that share a parent directory or a test file, or
/// where one lane's body names a module the other owns: the pairs whose score can be above 0.
fn candidate_pairs(facts: &[LaneFacts<'_>]) -> BTreeSet<(usize, usize)> {
    let mut out = BTreeSet::new();
    let mut pair = |a: usize, b: usize| {
        if a != b {
            out.insert((a.min(b), a.max(b)));
        }
    };
    // Lanes by each directory and test file they have.
    let mut shared: HashMap<(bool, &str), Vec<usize>> = HashMap::new();
    for (i, f) in facts.iter().enumerate() {
        for d in &f.parent_dirs {
            shared.entry((false, d)).or_default().push(i);
        }
        for t in &f.tests {
            shared.entry((true, t)).or_default().push(i);
        }
    }
    for lanes in shared.values() {
        for (n, &a) in lanes.iter().enumerate() {
            for &b in &lanes[n + 1..] {
                pair(a, b);
            }
        }
    }
    // Every module in every body at once (overlapping matches: `core` and `core.models` both).
    let mut owners: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in facts.iter().enumerate() {
        for m in &f.modules {
            owners.entry(m).or_default().push(i);
        }
    }
    // A scope like `**/*.py` gives the empty module, which every body contains: its owners pair
    // with every lane (searching for it would match at every byte).
    if let Some(everywhere) = owners.remove("") {
        for &owner in &everywhere {
            for i in 0..facts.len() {
                pair(i, owner);
            }
        }
    }
    let names: Vec<&str> = owners.keys().copied().collect();
    if let Ok(searcher) = aho_corasick::AhoCorasick::new(&names) {
        for (i, f) in facts.iter().enumerate() {
            for m in searcher.find_overlapping_iter(&f.body) {
                for &owner in &owners[names[m.pattern().as_usize()]] {
                    pair(i, owner);
                }
            }
        }
    } else {
        // Too many modules for one automaton: compare every pair, as 3.1.1 did.
        for a in 0..facts.len() {
            for b in a + 1..facts.len() {
                pair(a, b);
            }
        }
    }
    out
}

fn score_pair(a: &LaneFacts<'_>, b: &LaneFacts<'_>) -> PairRisk {
    let shared_parent_dirs: Vec<String> = a
        .parent_dirs
        .intersection(&b.parent_dirs)
        .cloned()
        .collect();
    let mut import_coupling = Vec::new();
    for (x, y) in [(a, b), (b, a)] {
        for m in y.modules.iter().filter(|m| x.body.contains(m.as_str())) {
            import_coupling.push(format!(
                "{} references {m} (owned by {})",
                x.lane.lane_id, y.lane.lane_id
            ));
        }
    }
    let shared_test_surfaces: Vec<String> = a.tests.intersection(&b.tests).cloned().collect();
    let raw = shared_parent_dirs.len().min(5) as f64 * 0.12
        + import_coupling.len().min(5) as f64 * 0.10
        + shared_test_surfaces.len().min(3) as f64 * 0.08;
    PairRisk {
        lane_a: a.lane.lane_id.clone(),
        lane_b: b.lane.lane_id.clone(),
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
        let bodies: HashMap<&str, &str> = [
            ("WP01", "uses core.models and tests/test_shared.py"),
            ("WP02", "also tests/test_shared.py"),
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

    /// Every pair scored, as 3.1.1 did it.
    fn all_pairs(plan: &LanePlan, bodies: &HashMap<&str, &str>) -> Vec<PairRisk> {
        let facts: Vec<LaneFacts<'_>> = plan
            .lanes
            .iter()
            .map(|l| LaneFacts::new(l, bodies))
            .collect();
        // Groups in order of first appearance, every pair within each.
        let mut order: Vec<u64> = Vec::new();
        for f in &facts {
            if !order.contains(&f.lane.parallel_group) {
                order.push(f.lane.parallel_group);
            }
        }
        let mut out = Vec::new();
        for g in order {
            let group: Vec<&LaneFacts<'_>> = facts
                .iter()
                .filter(|f| f.lane.parallel_group == g)
                .collect();
            for (i, a) in group.iter().enumerate() {
                for b in &group[i + 1..] {
                    out.push(score_pair(a, b));
                }
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn only_pairs_scoring_zero_are_skipped(
            lanes in proptest::collection::vec(
                (
                    proptest::collection::vec("(src|tests)/(app|core|ui)(/(models|views|test_a))?(/\\*\\*|\\.py)?|\\*\\*/\\*\\.py|\\*\\*", 0..3),
                    "(uses |see )?(app|core|ui)(\\.(models|views))?( tests/test_(a|b))?",
                    0u64..2,
                ),
                0..7,
            ),
        ) {
            let plan = LanePlan {
                lanes: lanes
                    .iter()
                    .enumerate()
                    .map(|(i, (scope, _, group))| Lane {
                        parallel_group: *group,
                        ..lane(&format!("lane-{i}"), &[&format!("WP{i:02}")], &scope.iter().map(String::as_str).collect::<Vec<_>>())
                    })
                    .collect(),
                planning_artifact_wps: vec![],
                collapse: Some(vec![]),
                independent_collapsed: 0,
            };
            let ids: Vec<String> = (0..lanes.len()).map(|i| format!("WP{i:02}")).collect();
            let bodies: HashMap<&str, &str> = lanes
                .iter()
                .zip(&ids)
                .map(|((_, body, _), id)| (id.as_str(), body.as_str()))
                .collect();
            let want: Vec<PairRisk> = all_pairs(&plan, &bodies)
                .into_iter()
                .filter(|p| p.score > 0.0)
                .collect();
            let got = assess(&plan, &bodies, &RiskPolicy::default());
            proptest::prop_assert_eq!(&got.pairs, &want);
        }
    }
}
