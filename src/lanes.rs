//! Execution lanes and the lane manifest (`lanes.json`).
//!
//! Code WPs joined by a dependency share a lane (union-find, as spec-kitty 3.1.1 does), so a lane
//! is a chain of work one agent can do in one worktree; lanes run in parallel. Every WP whose
//! `execution_mode` is `planning_artifact` goes to `lane-planning`, which resolves to the main
//! checkout. Lanes are named `lane-a` .. `lane-z`, then `lane-aa`, `lane-ab`, ...

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::graph::{DepMap, sort_wps, wp_cmp};
use crate::ownership::{PLANNING_ARTIFACT, find_overlaps};
use crate::util::{py_json_indent, py_str};

/// The planning lane's id.
pub const PLANNING_LANE: &str = "lane-planning";

/// What lane computation needs to know about one WP.
#[derive(Debug, Clone)]
pub struct WpOwnership {
    /// `code_change` or `planning_artifact`.
    pub execution_mode: String,
    /// Owned globs.
    pub owned_files: Vec<String>,
    /// The WP body (after the frontmatter), for surface tags.
    pub body: String,
}

/// One lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// `lane-a`, ..., or `lane-planning`.
    pub lane_id: String,
    /// Members in execution order.
    pub wp_ids: Vec<String>,
    /// Sorted union of the members' globs.
    pub write_scope: Vec<String>,
    /// Sorted union of the members' surface tags.
    pub predicted_surfaces: Vec<String>,
    /// Lanes this one waits for.
    pub depends_on_lanes: Vec<String>,
    /// Depth in the lane graph.
    pub parallel_group: u64,
}

/// Why two WPs were put in one lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeEvent {
    /// The dependent (or first) WP.
    pub wp_a: String,
    /// The dependency (or second) WP.
    pub wp_b: String,
    /// `dependency`, `write_scope_overlap` or `surface_heuristic`.
    pub rule: &'static str,
    /// Human-readable reason.
    pub evidence: String,
}

/// The lane plan for a mission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanePlan {
    /// Code lanes, then the planning lane.
    pub lanes: Vec<Lane>,
    /// The planning lane's members (sorted).
    pub planning_artifact_wps: Vec<String>,
    /// Union events; `None` when the mission has only planning WPs.
    pub collapse: Option<Vec<MergeEvent>>,
    /// `independent_wps_collapsed`.
    pub independent_collapsed: u64,
}

/// A WP in the dependency map that cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Executable WP {wp} has no ownership manifest. Ensure owned_files and execution_mode are set in WP frontmatter, or run finalize-tasks to infer them."
)]
pub struct MissingManifest {
    /// The WP (as Python repr, `'WP03'`).
    pub wp: String,
    /// The bare id.
    pub id: String,
}

/// Lane name for the n-th code lane: a..z, aa..az, ba.. (bijective base 26).
pub fn lane_name(mut n: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push((b'a' + (n % 26) as u8) as char);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    letters.reverse();
    format!("lane-{}", letters.into_iter().collect::<String>())
}

const SURFACES: [(&str, &[&str]); 8] = [
    ("dashboard", &["dashboard", "landing page", "landing-page"]),
    ("workspace", &["workspace", "mission workspace"]),
    (
        "app-shell",
        &["app shell", "app-shell", "navigation", "sidebar", "layout"],
    ),
    (
        "legacy-cleanup",
        &["legacy", "cleanup", "deprecat", "remov"],
    ),
    (
        "tests",
        &[
            "test suite",
            "test infrastructure",
            "e2e test",
            "integration test",
        ],
    ),
    ("tracker-integration", &["tracker", "saas", "sync"]),
    ("artifact-rendering", &["artifact", "render", "template"]),
    ("api", &["api", "endpoint", "route", "view"]),
];

/// Surface tags of a WP body (plain substring search on the lower-cased text, as 3.1.1 did).
pub fn surface_tags(body: &str) -> Vec<&'static str> {
    let lower = body.to_lowercase();
    SURFACES
        .iter()
        .filter(|(_, words)| words.iter().any(|w| lower.contains(w)))
        .map(|(tag, _)| *tag)
        .collect()
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi] = lo;
        true
    }
}

/// Computes lanes over the dependency map's keys. `owners` holds every WP with a manifest.
pub fn compute(
    deps: &DepMap,
    owners: &HashMap<String, WpOwnership>,
) -> Result<LanePlan, MissingManifest> {
    let mut universe: Vec<String> = deps.keys().to_vec();
    sort_wps(&mut universe);
    let mut planning: Vec<String> = Vec::new();
    let mut code: Vec<String> = Vec::new();
    for wp in &universe {
        match owners.get(wp) {
            Some(o) if o.execution_mode == PLANNING_ARTIFACT => planning.push(wp.clone()),
            Some(_) => code.push(wp.clone()),
            None => {
                return Err(MissingManifest {
                    wp: py_str(wp),
                    id: wp.clone(),
                });
            }
        }
    }
    let idx: HashMap<&str, usize> = code
        .iter()
        .enumerate()
        .map(|(i, w)| (w.as_str(), i))
        .collect();
    let mut uf = UnionFind {
        parent: (0..code.len()).collect(),
    };
    let mut events: Vec<MergeEvent> = Vec::new();
    // Rule 1: dependencies between code WPs (dependencies on planning WPs are ignored).
    for (i, wp) in code.iter().enumerate() {
        for d in deps.get(wp).into_iter().flatten() {
            if let Some(&j) = idx.get(d.as_str())
                && uf.union(i, j)
            {
                events.push(MergeEvent {
                    wp_a: wp.clone(),
                    wp_b: d.clone(),
                    rule: "dependency",
                    evidence: format!("{wp} depends on {d}"),
                });
            }
        }
    }
    // Rule 2: overlapping write scopes. (Finalize rejects overlaps before lanes are computed, so
    // this only fires for callers that skip that check. 3.1.1's rule 3, shared surfaces with
    // non-disjoint ownership, needs an overlap too, which rule 2 has already joined.)
    let globs: Vec<&[String]> = code
        .iter()
        .map(|w| owners[w].owned_files.as_slice())
        .collect();
    let mut by_pair: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
    for o in find_overlaps(&globs) {
        by_pair.entry((o.i, o.j)).or_default().push(format!(
            "{} vs {}",
            py_str(&globs[o.i][o.gi]),
            py_str(&globs[o.j][o.gj])
        ));
    }
    for ((i, j), pairs) in by_pair {
        if uf.union(i, j) {
            events.push(MergeEvent {
                wp_a: code[i].clone(),
                wp_b: code[j].clone(),
                rule: "write_scope_overlap",
                evidence: format!("overlapping globs: {}", pairs.join(", ")),
            });
        }
    }

    // Groups, ordered by their smallest member.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..code.len() {
        let r = uf.find(i);
        groups.entry(r).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    groups.sort_by(|a, b| wp_cmp(&code[a[0]], &code[b[0]]));

    let mut lane_of: HashMap<&str, usize> = HashMap::new();
    for (n, g) in groups.iter().enumerate() {
        for &i in g {
            lane_of.insert(&code[i], n);
        }
    }
    let mut lanes: Vec<Lane> = Vec::new();
    for (n, g) in groups.iter().enumerate() {
        let members: Vec<&str> = g.iter().map(|&i| code[i].as_str()).collect();
        let mut depends: BTreeSet<usize> = BTreeSet::new();
        for m in &members {
            for d in deps.get(m).into_iter().flatten() {
                if let Some(&l) = lane_of.get(d.as_str())
                    && l != n
                {
                    depends.insert(l);
                }
            }
        }
        lanes.push(Lane {
            lane_id: lane_name(n),
            wp_ids: topo_order(&members, deps),
            write_scope: sorted_union(
                members
                    .iter()
                    .flat_map(|m| owners[*m].owned_files.iter().cloned()),
            ),
            predicted_surfaces: sorted_union(
                members
                    .iter()
                    .flat_map(|m| surface_tags(&owners[*m].body))
                    .map(str::to_owned),
            ),
            depends_on_lanes: depends.iter().map(|&l| lane_name(l)).collect(),
            parallel_group: 0,
        });
    }
    // Depth: 0 without lane dependencies, else 1 + the deepest dependency (acyclic by rule 1).
    let lane_deps: Vec<Vec<usize>> = lanes
        .iter()
        .map(|l| {
            l.depends_on_lanes
                .iter()
                .filter_map(|id| lanes.iter().position(|x| &x.lane_id == id))
                .collect()
        })
        .collect();
    let mut depth: Vec<Option<u64>> = vec![None; lanes.len()];
    for i in 0..lanes.len() {
        lane_depth(i, &lane_deps, &mut depth, 0);
    }
    for (l, d) in lanes.iter_mut().zip(depth) {
        l.parallel_group = d.unwrap_or(0);
    }

    if !planning.is_empty() {
        lanes.push(Lane {
            lane_id: PLANNING_LANE.to_owned(),
            wp_ids: planning.clone(),
            write_scope: sorted_union(
                planning
                    .iter()
                    .flat_map(|m| owners[m].owned_files.iter().cloned()),
            ),
            predicted_surfaces: vec!["planning".to_owned()],
            depends_on_lanes: Vec::new(),
            parallel_group: 0,
        });
    }
    let collapse = if code.is_empty() { None } else { Some(events) };
    let independent_collapsed = collapse
        .as_ref()
        .map(|ev| {
            ev.iter()
                .filter(|e| {
                    e.rule != "dependency"
                        && !related(deps, &e.wp_a, &e.wp_b)
                        && !related(deps, &e.wp_b, &e.wp_a)
                })
                .count() as u64
        })
        .unwrap_or(0);
    Ok(LanePlan {
        lanes,
        planning_artifact_wps: planning,
        collapse,
        independent_collapsed,
    })
}

fn lane_depth(i: usize, deps: &[Vec<usize>], memo: &mut [Option<u64>], guard: usize) -> u64 {
    if let Some(d) = memo[i] {
        return d;
    }
    if guard > deps.len() {
        return 0;
    }
    let d = deps[i]
        .iter()
        .map(|&j| lane_depth(j, deps, memo, guard + 1) + 1)
        .max()
        .unwrap_or(0);
    memo[i] = Some(d);
    d
}

/// Whether `from` transitively depends on `to`.
fn related(deps: &DepMap, from: &str, to: &str) -> bool {
    let mut stack = vec![from.to_owned()];
    let mut seen = BTreeSet::new();
    while let Some(n) = stack.pop() {
        for d in deps.get(&n).into_iter().flatten() {
            if d == to {
                return true;
            }
            if seen.insert(d.clone()) {
                stack.push(d.clone());
            }
        }
    }
    false
}

fn sorted_union(items: impl Iterator<Item = String>) -> Vec<String> {
    items.collect::<BTreeSet<String>>().into_iter().collect()
}

/// Members in dependency order using only edges inside the lane; among ready WPs the smallest id
/// goes first.
fn topo_order(members: &[&str], deps: &DepMap) -> Vec<String> {
    let set: BTreeSet<&str> = members.iter().copied().collect();
    let mut indegree: HashMap<&str, usize> = members.iter().map(|m| (*m, 0)).collect();
    let mut dependents: HashMap<&str, Vec<&str>> = HashMap::new();
    for m in members {
        let mut seen = BTreeSet::new();
        for d in deps.get(m).into_iter().flatten() {
            if set.contains(d.as_str()) && d != m && seen.insert(d.as_str()) {
                *indegree.entry(m).or_default() += 1;
                dependents.entry(d.as_str()).or_default().push(m);
            }
        }
    }
    // Ready WPs in a min-heap ordered like `wp_cmp` (shorter digit runs first, then by text).
    let key = |w: &str| std::cmp::Reverse((w.len(), w.to_owned()));
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<(usize, String)>> = members
        .iter()
        .filter(|m| indegree[*m] == 0)
        .map(|m| key(m))
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(members.len());
    let mut placed: std::collections::HashSet<String> = std::collections::HashSet::new();
    while let Some(std::cmp::Reverse((_, next))) = ready.pop() {
        for dep in dependents.get(next.as_str()).into_iter().flatten() {
            if let Some(d) = indegree.get_mut(dep) {
                *d -= 1;
                if *d == 0 {
                    ready.push(key(dep));
                }
            }
        }
        placed.insert(next.clone());
        out.push(next);
    }
    // A cycle cannot reach here (validated earlier); keep any leftovers in id order regardless.
    let mut rest: Vec<String> = members
        .iter()
        .filter(|m| !placed.contains(**m))
        .map(|m| m.to_string())
        .collect();
    sort_wps(&mut rest);
    out.extend(rest);
    out
}

impl LanePlan {
    /// Lane ids in order.
    pub fn lane_ids(&self) -> Vec<String> {
        self.lanes.iter().map(|l| l.lane_id.clone()).collect()
    }

    /// The collapse report as 3.1.1 printed it in the command's JSON (always an object when lanes
    /// hold code WPs).
    pub fn collapse_json(&self) -> Value {
        match &self.collapse {
            None => Value::Null,
            Some(events) => {
                let mut by_rule = Map::new();
                for e in events {
                    let n = by_rule.get(e.rule).and_then(Value::as_u64).unwrap_or(0);
                    by_rule.insert(e.rule.to_owned(), (n + 1).into());
                }
                let mut m = Map::new();
                m.insert(
                    "events".into(),
                    Value::Array(
                        events
                            .iter()
                            .map(|e| {
                                let mut o = Map::new();
                                o.insert("wp_a".into(), e.wp_a.clone().into());
                                o.insert("wp_b".into(), e.wp_b.clone().into());
                                o.insert("rule".into(), e.rule.into());
                                o.insert("evidence".into(), e.evidence.clone().into());
                                Value::Object(o)
                            })
                            .collect(),
                    ),
                );
                m.insert("total_merges".into(), events.len().into());
                m.insert(
                    "independent_wps_collapsed".into(),
                    self.independent_collapsed.into(),
                );
                m.insert("by_rule".into(), Value::Object(by_rule));
                Value::Object(m)
            }
        }
    }

    /// The `lanes` summary object of the finalize JSON.
    pub fn summary_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("computed".into(), true.into());
        m.insert("count".into(), self.lanes.len().into());
        m.insert("lane_ids".into(), strings(&self.lane_ids()));
        m.insert(
            "planning_artifact_wps".into(),
            strings(&self.planning_artifact_wps),
        );
        m.insert("collapse_report".into(), self.collapse_json());
        Value::Object(m)
    }

    /// The manifest as `lanes.json` text (2-space indent, ASCII, trailing newline).
    pub fn manifest_json(
        &self,
        slug: &str,
        mission_id: &str,
        target_branch: &str,
        computed_at: &str,
    ) -> String {
        let mut m = Map::new();
        m.insert("version".into(), 1.into());
        m.insert("mission_slug".into(), slug.into());
        m.insert("mission_id".into(), mission_id.into());
        m.insert(
            "mission_branch".into(),
            format!("kitty/mission-{slug}").into(),
        );
        m.insert("target_branch".into(), target_branch.into());
        m.insert(
            "lanes".into(),
            Value::Array(
                self.lanes
                    .iter()
                    .map(|l| {
                        let mut o = Map::new();
                        o.insert("lane_id".into(), l.lane_id.clone().into());
                        o.insert("wp_ids".into(), strings(&l.wp_ids));
                        o.insert("write_scope".into(), strings(&l.write_scope));
                        o.insert("predicted_surfaces".into(), strings(&l.predicted_surfaces));
                        o.insert("depends_on_lanes".into(), strings(&l.depends_on_lanes));
                        o.insert("parallel_group".into(), l.parallel_group.into());
                        Value::Object(o)
                    })
                    .collect(),
            ),
        );
        m.insert("computed_at".into(), computed_at.into());
        m.insert("computed_from".into(), "dependency_graph+ownership".into());
        m.insert(
            "planning_artifact_wps".into(),
            strings(&self.planning_artifact_wps),
        );
        if self.collapse.as_ref().is_some_and(|e| !e.is_empty()) {
            m.insert("collapse_report".into(), self.collapse_json());
        }
        let mut text = py_json_indent(&Value::Object(m), 2);
        text.push('\n');
        text
    }
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(mode: &str, globs: &[&str]) -> WpOwnership {
        WpOwnership {
            execution_mode: mode.into(),
            owned_files: globs.iter().map(|s| s.to_string()).collect(),
            body: String::new(),
        }
    }

    #[test]
    fn lane_names_go_past_z() {
        assert_eq!(lane_name(0), "lane-a");
        assert_eq!(lane_name(25), "lane-z");
        assert_eq!(lane_name(26), "lane-aa");
        assert_eq!(lane_name(27), "lane-ab");
        assert_eq!(lane_name(26 + 26 * 26), "lane-aaa");
    }

    #[test]
    fn dependencies_join_code_lanes_and_planning_goes_to_its_lane() {
        let mut deps = DepMap::default();
        deps.insert("WP01".into(), vec![]);
        deps.insert("WP02".into(), vec!["WP01".into()]);
        deps.insert("WP03".into(), vec![]);
        deps.insert("WP04".into(), vec!["WP03".into(), "WP01".into()]);
        deps.insert("WP05".into(), vec![]);
        let owners: HashMap<String, WpOwnership> = [
            ("WP01", own("planning_artifact", &["kitty-specs/x/**"])),
            ("WP02", own("code_change", &["src/a/**"])),
            ("WP03", own("code_change", &["src/b/**"])),
            ("WP04", own("code_change", &["src/c/**"])),
            ("WP05", own("code_change", &["src/d/**"])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let plan = compute(&deps, &owners).expect("lanes");
        let got: Vec<(String, Vec<String>)> = plan
            .lanes
            .iter()
            .map(|l| (l.lane_id.clone(), l.wp_ids.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("lane-a".into(), vec!["WP02".into()]),
                ("lane-b".into(), vec!["WP03".into(), "WP04".into()]),
                ("lane-c".into(), vec!["WP05".into()]),
                ("lane-planning".into(), vec!["WP01".into()]),
            ]
        );
        assert_eq!(plan.planning_artifact_wps, ["WP01"]);
        let events = plan.collapse.expect("report");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].evidence, "WP04 depends on WP03");
    }

    #[test]
    fn missing_manifest_is_an_error() {
        let mut deps = DepMap::default();
        deps.insert("WP03".into(), vec![]);
        let err = compute(&deps, &HashMap::new()).expect_err("no manifest");
        assert!(
            err.to_string()
                .starts_with("Executable WP 'WP03' has no ownership manifest.")
        );
    }

    #[test]
    fn surfaces_are_substrings() {
        assert_eq!(
            surface_tags("Please REVIEW the layout"),
            vec!["app-shell", "api"]
        );
    }
}
