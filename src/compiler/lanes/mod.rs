//! Execution lanes and the lane manifest (`lanes.json`).
//!
//! Two strategies ([`Strategy`]). `collapse` (the default, spec-kitty 3.1.1's): code WPs joined by
//! a dependency share a lane (union-find), so a lane is a chain of work one agent can do in one
//! worktree; lanes run in parallel. `fan-in` (opt-in, upstream 3.2's model): only overlapping
//! `owned_files` put two code WPs in one lane; a dependency between WPs of different lanes becomes
//! a lane edge (`depends_on_lanes`), `parallel_group` is the lane's depth, and lanes are ordered by
//! (depth, id), so two chains that meet at a final WP are two lanes working at once. Every WP
//! whose `execution_mode` is `planning_artifact` goes to `lane-planning`, which resolves to the
//! main checkout. Lanes are named `lane-a` .. `lane-z`, then `lane-aa`, `lane-ab`, ...

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use crate::compiler::graph::{DepMap, sort_wps, wp_cmp, wp_sort_key};
use crate::compiler::ownership::{Overlap, PLANNING_ARTIFACT, find_overlaps};
use crate::support::util::py_str;

mod manifest;
mod surfaces;
#[cfg(test)]
mod tests;
mod width;

pub use surfaces::surface_tags;
use width::lane_depth;
pub use width::{depends_on, max_parallel};

/// The planning lane's id.
pub const PLANNING_LANE: &str = "lane-planning";

/// How dependencies shape lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// 3.1.1: a dependency between code WPs puts them in one lane.
    #[default]
    Collapse,
    /// Only overlapping ownership fuses lanes; dependencies order them.
    FanIn,
}

impl Strategy {
    /// `collapse` or `fan-in` (also `fan_in`, `fanin`).
    pub fn parse(s: &str) -> Option<Strategy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "collapse" => Some(Strategy::Collapse),
            "fan-in" | "fan_in" | "fanin" => Some(Strategy::FanIn),
            _ => None,
        }
    }

    /// Its name in config and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Collapse => "collapse",
            Strategy::FanIn => "fan-in",
        }
    }
}

/// Why lanes could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaneError {
    /// A code WP without an ownership manifest.
    MissingManifest(MissingManifest),
    /// Lanes depend on each other in a circle (fan-in: overlap fused an early and a late WP).
    Cycle(LaneCycle),
}

/// A circle in the lane graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneCycle {
    /// The lanes on the circle, with their WPs, in order.
    pub lanes: Vec<(String, Vec<String>)>,
    /// The overlap evidence that fused WPs of those lanes.
    pub fused_by: Vec<String>,
}

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

/// Two WPs' owned globs that overlap: glob `glob_a` of `wp_a`'s `owned_files` and glob `glob_b` of
/// `wp_b`'s (what [`find_overlaps`] finds, by WP id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobOverlap {
    /// One WP.
    pub wp_a: String,
    /// The index of its glob.
    pub glob_a: usize,
    /// The other WP.
    pub wp_b: String,
    /// The index of its glob.
    pub glob_b: usize,
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
    /// `dependency` or `write_scope_overlap`. (3.1.1's third rule, `surface_heuristic`, never
    /// fires: a surface merge needs overlapping manifests, which the overlap rule joined already.)
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
    strategy: Strategy,
) -> Result<LanePlan, LaneError> {
    compute_inner(deps, owners, strategy, None)
}

/// [`compute`], given every overlap between the manifests of `owners` (finalize has found them
/// while checking ownership, and looking again costs as much).
pub fn compute_with_overlaps(
    deps: &DepMap,
    owners: &HashMap<String, WpOwnership>,
    strategy: Strategy,
    overlaps: &[GlobOverlap],
) -> Result<LanePlan, LaneError> {
    compute_inner(deps, owners, strategy, Some(overlaps))
}

fn compute_inner(
    deps: &DepMap,
    owners: &HashMap<String, WpOwnership>,
    strategy: Strategy,
    known: Option<&[GlobOverlap]>,
) -> Result<LanePlan, LaneError> {
    let mut universe: Vec<String> = deps.keys().to_vec();
    sort_wps(&mut universe);
    let mut planning: Vec<String> = Vec::new();
    let mut code: Vec<String> = Vec::new();
    for wp in &universe {
        match owners.get(wp) {
            Some(o) if o.execution_mode == PLANNING_ARTIFACT => planning.push(wp.clone()),
            Some(_) => code.push(wp.clone()),
            None => {
                return Err(LaneError::MissingManifest(MissingManifest {
                    wp: py_str(wp),
                    id: wp.clone(),
                }));
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
    // Rule 1 (collapse only): dependencies between code WPs (dependencies on planning WPs are
    // ignored).
    for (i, wp) in code.iter().enumerate() {
        if strategy == Strategy::FanIn {
            break;
        }
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
    // Rule 2: overlapping write scopes. (Finalize accepts an overlap only between WPs joined by a
    // dependency path, so this fires under fan-in, or under collapse when the path runs through a
    // planning WP. 3.1.1's rule 3, shared surfaces with non-disjoint ownership, needs an overlap
    // too, which rule 2 has already joined.)
    let globs: Vec<&[String]> = code
        .iter()
        .map(|w| owners[w].owned_files.as_slice())
        .collect();
    let overlaps = match known {
        None => find_overlaps(&globs),
        // The same pairs by code-lane index, in `find_overlaps`' order.
        Some(known) => {
            let mut found: Vec<Overlap> = known
                .iter()
                .filter_map(|k| {
                    let (a, b) = (*idx.get(k.wp_a.as_str())?, *idx.get(k.wp_b.as_str())?);
                    Some(if a < b {
                        Overlap {
                            i: a,
                            j: b,
                            gi: k.glob_a,
                            gj: k.glob_b,
                        }
                    } else {
                        Overlap {
                            i: b,
                            j: a,
                            gi: k.glob_b,
                            gj: k.glob_a,
                        }
                    })
                })
                .collect();
            found.sort_unstable();
            found.dedup();
            found
        }
    };
    let mut by_pair: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
    for o in overlaps {
        by_pair.entry((o.i, o.j)).or_default().push(format!(
            "{} vs {}",
            py_str(&globs[o.i][o.gi]),
            py_str(&globs[o.j][o.gj])
        ));
    }
    for ((i, j), pairs) in by_pair {
        if uf.union(i, j) {
            let mut evidence = format!("overlapping globs: {}", pairs.join(", "));
            // As upstream: say so when one of the pair depends on the other.
            if strategy == Strategy::FanIn {
                for (a, b) in [(&code[i], &code[j]), (&code[j], &code[i])] {
                    if deps.get(a).is_some_and(|d| d.contains(b)) {
                        evidence.push_str(&format!("; {a} depends on {b}"));
                    }
                }
            }
            events.push(MergeEvent {
                wp_a: code[i].clone(),
                wp_b: code[j].clone(),
                rule: "write_scope_overlap",
                evidence,
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
    // Fan-in: the planning lane takes part in the lane graph (after the code lanes), as upstream
    // does since 3.2.
    let planning_index = groups.len();
    if strategy == Strategy::FanIn {
        for p in &planning {
            lane_of.insert(p, planning_index);
        }
    }
    // One lane: its members in dependency order, their globs and surfaces, and the lanes its
    // members depend on.
    let build = |n: usize, lane_id: String, members: &[&str], surfaces: Vec<String>| {
        let mut depends: BTreeSet<usize> = BTreeSet::new();
        for m in members {
            for d in deps.get(m).into_iter().flatten() {
                if let Some(&l) = lane_of.get(d.as_str())
                    && l != n
                {
                    depends.insert(l);
                }
            }
        }
        Lane {
            lane_id,
            wp_ids: topo_order(members, deps),
            write_scope: sorted_union(
                members
                    .iter()
                    .flat_map(|m| owners[*m].owned_files.iter().map(String::as_str)),
            ),
            predicted_surfaces: surfaces,
            depends_on_lanes: depends.iter().map(|&l| lane_name(l)).collect(),
            parallel_group: 0,
        }
    };
    let mut lanes: Vec<Lane> = Vec::new();
    for (n, g) in groups.iter().enumerate() {
        let members: Vec<&str> = g.iter().map(|&i| code[i].as_str()).collect();
        let surfaces = sorted_union(members.iter().flat_map(|m| surface_tags(&owners[*m].body)));
        lanes.push(build(n, lane_name(n), &members, surfaces));
    }
    if strategy == Strategy::FanIn && !planning.is_empty() {
        let members: Vec<&str> = planning.iter().map(String::as_str).collect();
        lanes.push(build(
            planning_index,
            PLANNING_LANE.to_owned(),
            &members,
            vec!["planning".to_owned()],
        ));
        // Code lanes name the planning lane by its id, not by a letter, and list the lanes they
        // depend on sorted by id. (Under collapse no lane depends on another: rule 1 puts
        // dependent code WPs in one lane, and the planning lane is outside the graph.)
        let name = lane_name(planning_index);
        for l in &mut lanes {
            for d in &mut l.depends_on_lanes {
                if *d == name {
                    *d = PLANNING_LANE.to_owned();
                }
            }
            l.depends_on_lanes.sort();
        }
    }
    // Depth: 0 without lane dependencies, else 1 + the deepest dependency (acyclic by rule 1
    // under collapse; checked under fan-in).
    let lane_index: HashMap<&str, usize> = lanes
        .iter()
        .enumerate()
        .map(|(i, l)| (l.lane_id.as_str(), i))
        .collect();
    let lane_deps: Vec<Vec<usize>> = lanes
        .iter()
        .map(|l| {
            l.depends_on_lanes
                .iter()
                .filter_map(|id| lane_index.get(id.as_str()).copied())
                .collect()
        })
        .collect();
    if strategy == Strategy::FanIn
        && let Some(circle) = crate::compiler::graph::find_cycle(&lane_deps)
    {
        let on: BTreeSet<&str> = circle
            .iter()
            .flat_map(|&l| lanes[l].wp_ids.iter().map(String::as_str))
            .collect();
        return Err(LaneError::Cycle(LaneCycle {
            lanes: circle
                .iter()
                .map(|&l| (lanes[l].lane_id.clone(), lanes[l].wp_ids.clone()))
                .collect(),
            fused_by: events
                .iter()
                .filter(|e| on.contains(e.wp_a.as_str()) && on.contains(e.wp_b.as_str()))
                .map(|e| format!("{} and {}: {}", e.wp_a, e.wp_b, e.evidence))
                .collect(),
        }));
    }
    let mut depth: Vec<Option<u64>> = vec![None; lanes.len()];
    for i in 0..lanes.len() {
        lane_depth(i, &lane_deps, &mut depth, 0);
    }
    for (l, d) in lanes.iter_mut().zip(depth) {
        l.parallel_group = d.unwrap_or(0);
    }
    if strategy == Strategy::FanIn {
        lanes.sort_by(|a, b| (a.parallel_group, &a.lane_id).cmp(&(b.parallel_group, &b.lane_id)));
    }

    // Collapse keeps 3.1.1's planning lane, which `build` would not make: its members in id order
    // (not dependency order), no lane dependencies, outside the depth computation, always last.
    if strategy == Strategy::Collapse && !planning.is_empty() {
        lanes.push(Lane {
            lane_id: PLANNING_LANE.to_owned(),
            wp_ids: planning.clone(),
            write_scope: sorted_union(
                planning
                    .iter()
                    .flat_map(|m| owners[m].owned_files.iter().map(String::as_str)),
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
                        && !depends_on(deps, &e.wp_a, &e.wp_b)
                        && !depends_on(deps, &e.wp_b, &e.wp_a)
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

fn sorted_union<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut all: Vec<&str> = items.collect();
    all.sort_unstable();
    all.dedup();
    all.into_iter().map(str::to_owned).collect()
}

/// Members (distinct ids) in dependency order using only edges inside the lane; among ready WPs
/// the smallest id goes first.
fn topo_order(members: &[&str], deps: &DepMap) -> Vec<String> {
    let index: HashMap<&str, usize> = members.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut indegree = vec![0usize; members.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); members.len()];
    // A dependency listed twice is one edge: `last_counted_for[j]` is the last member whose edge
    // from j was counted (linear in the edges, however many dependencies one WP lists).
    let mut last_counted_for: Vec<Option<usize>> = vec![None; members.len()];
    for (i, m) in members.iter().enumerate() {
        for d in deps.get(m).into_iter().flatten() {
            if let Some(&j) = index.get(d.as_str())
                && j != i
                && last_counted_for[j] != Some(i)
            {
                last_counted_for[j] = Some(i);
                indegree[i] += 1;
                dependents[j].push(i);
            }
        }
    }
    // Ready WPs in a min-heap ordered by `wp_cmp` (shorter digit runs first, then by text).
    let key = |i: usize| Reverse((wp_sort_key(members[i]), i));
    let mut ready: BinaryHeap<Reverse<((usize, &str), usize)>> = (0..members.len())
        .filter(|&i| indegree[i] == 0)
        .map(key)
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(members.len());
    let mut placed = vec![false; members.len()];
    while let Some(Reverse(((_, next), i))) = ready.pop() {
        for &dep in &dependents[i] {
            indegree[dep] -= 1;
            if indegree[dep] == 0 {
                ready.push(key(dep));
            }
        }
        placed[i] = true;
        out.push(next.to_owned());
    }
    // A cycle cannot reach here (validated earlier); keep any leftovers in id order regardless.
    let mut rest: Vec<String> = members
        .iter()
        .zip(&placed)
        .filter(|(_, placed)| !**placed)
        .map(|(m, _)| (*m).to_owned())
        .collect();
    sort_wps(&mut rest);
    out.extend(rest);
    out
}
