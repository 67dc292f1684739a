//! `spec-kitty lanes`: the lanes finalize-tasks computes for a mission, and why.
//!
//! The plan is computed exactly as finalize computes it (same checks, nothing written). The
//! explanation replays the union-find evidence (which dependency or which overlapping globs joined
//! each WP to its lane), and adds the critical path (the longest dependency chain) and how many WPs
//! could run in parallel at each depth of the DAG. DOT and Mermaid render the DAG with lanes as
//! clusters.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Value, json};

use crate::compiler::finalize::{self, Analysis};
use crate::compiler::graph::{DepMap, sort_wps, wp_cmp};
use crate::compiler::lanes::{LanePlan, MergeEvent, PLANNING_LANE, Strategy, max_parallel};
use crate::compiler::lanes_manifest::lane_branch;
use crate::project::MissionRef;
use crate::project::config::Config;
use crate::support::diagnostics::{Diag, Failure};

/// Lanes of a mission with the evidence behind them.
#[derive(Debug, Clone)]
pub struct LaneReport {
    /// The mission.
    pub slug: String,
    /// The plan finalize would write.
    pub plan: LanePlan,
    /// The resolved dependency map.
    pub deps: DepMap,
    /// WP titles, where known.
    pub titles: HashMap<String, String>,
    /// Longest dependency chain, first WP first.
    pub critical_path: Vec<String>,
    /// WPs per depth (depth 0: no dependencies).
    pub levels: Vec<Vec<String>>,
    /// The strategy the plan was computed with.
    pub strategy: Strategy,
    /// Under `collapse`: what `fan-in` would give (or why it cannot).
    pub fan_in: Option<Result<LanePlan, String>>,
}

/// Computes the lanes of a mission as finalize-tasks would, writing nothing.
pub fn report(root: &Path, mission: &MissionRef) -> Result<LaneReport, Failure> {
    let Analysis {
        mut loaded,
        parsed,
        resolution,
        refs,
        plans,
        ..
    } = finalize::analyze(
        root,
        mission,
        &finalize::target_branch(root),
        Config::read(root),
    )?;
    let validated = finalize::validate(&loaded, &parsed, &resolution, &refs, &plans).1?;
    let Some(plan) = validated.lanes else {
        return Err(Failure::simple(
            Diag::error("lanes::none", format!("{} has no lanes: tasks.md declares no WP sections, or no WP has an ownership manifest", mission.slug))
                .with_help("add `## WP01 …` sections to tasks.md and run `spec-kitty agent mission finalize-tasks`"),
        ));
    };
    let strategy = loaded.lane_strategy;
    let fan_in = (strategy == Strategy::Collapse).then(|| {
        loaded.lane_strategy = Strategy::FanIn;
        let alt = finalize::validate(&loaded, &parsed, &resolution, &refs, &plans).1;
        loaded.lane_strategy = strategy;
        match alt {
            Ok(v) => v.lanes.ok_or_else(|| "no lanes".to_owned()),
            Err(f) => Err(f
                .diagnostics
                .first()
                .map_or_else(|| "it fails".to_owned(), |d| d.message.clone())),
        }
    });
    let titles = loaded
        .wps
        .iter()
        .filter_map(|w| w.file.meta.title.clone().map(|t| (w.id.clone(), t)))
        .collect();
    let (critical_path, levels) = depth_analysis(&resolution.map);
    Ok(LaneReport {
        slug: mission.slug.clone(),
        plan,
        deps: resolution.map,
        titles,
        critical_path,
        levels,
        strategy,
        fan_in,
    })
}

/// The longest dependency chain and the WPs at each depth. Dependencies on WPs outside the map
/// are ignored. The map must be acyclic (check `graph::cyclic_components` first): finalize
/// validates it before this runs, the dashboard checks it.
pub fn depth_analysis(deps: &DepMap) -> (Vec<String>, Vec<Vec<String>>) {
    let mut depth: HashMap<&str, usize> = HashMap::new();
    let mut via: HashMap<&str, Option<&str>> = HashMap::new();
    // Iterative post-order so long chains cannot overflow the stack.
    let mut ids: Vec<&String> = deps.keys().iter().collect();
    ids.sort_by(|a, b| wp_cmp(a, b));
    for root in ids {
        let mut stack: Vec<(&str, bool)> = vec![(root.as_str(), false)];
        while let Some((node, done)) = stack.pop() {
            if depth.contains_key(node) {
                continue;
            }
            let children: Vec<&str> = deps
                .get(node)
                .into_iter()
                .flatten()
                .map(String::as_str)
                .filter(|d| deps.contains(d))
                .collect();
            if done {
                let best = children
                    .iter()
                    .filter_map(|c| depth.get(c).map(|d| (*d, *c)))
                    .max_by(|a, b| a.0.cmp(&b.0).then_with(|| wp_cmp(b.1, a.1)));
                depth.insert(node, best.map_or(0, |(d, _)| d + 1));
                via.insert(node, best.map(|(_, c)| c));
            } else {
                stack.push((node, true));
                for c in children {
                    if !depth.contains_key(c) {
                        stack.push((c, false));
                    }
                }
            }
        }
    }
    let mut levels: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (wp, d) in &depth {
        levels.entry(*d).or_default().push((*wp).to_owned());
    }
    let levels: Vec<Vec<String>> = levels
        .into_values()
        .map(|mut v| {
            sort_wps(&mut v);
            v
        })
        .collect();
    let end = depth
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| wp_cmp(b.0, a.0)))
        .map(|(w, _)| *w);
    let mut path = Vec::new();
    let mut cur = end;
    while let Some(w) = cur {
        path.push(w.to_owned());
        cur = via.get(w).copied().flatten();
    }
    path.reverse();
    (path, levels)
}

impl LaneReport {
    /// The lane a WP is in.
    pub fn lane_of(&self, wp: &str) -> Option<&str> {
        self.plan
            .lanes
            .iter()
            .find(|l| l.wp_ids.iter().any(|w| w == wp))
            .map(|l| l.lane_id.as_str())
    }

    fn workspace(&self, lane: &str) -> String {
        if lane == PLANNING_LANE {
            "main checkout".to_owned()
        } else {
            format!(".worktrees/{}-{lane}", self.slug)
        }
    }

    fn events_for(&self, lane_wps: &[String]) -> Vec<&MergeEvent> {
        self.plan
            .collapse
            .iter()
            .flatten()
            .filter(|e| lane_wps.contains(&e.wp_a) || lane_wps.contains(&e.wp_b))
            .collect()
    }

    /// Plain text; with `explain`, the evidence, the critical path and the parallelism.
    pub fn text(&self, explain: bool) -> String {
        let mut out = format!("Lanes of {} ({}):\n", self.slug, self.plan.lanes.len());
        for lane in &self.plan.lanes {
            out.push_str(&format!(
                "  {}  [{}]  {}\n",
                lane.lane_id,
                self.workspace(&lane.lane_id),
                lane.wp_ids.join(" → ")
            ));
            if !explain {
                continue;
            }
            if lane.lane_id == PLANNING_LANE {
                out.push_str("      planning-artifact WPs (execution_mode: planning_artifact) work on the main checkout\n");
                continue;
            }
            let first = lane.wp_ids.iter().min_by(|a, b| wp_cmp(a, b));
            if let Some(first) = first {
                out.push_str(&format!(
                    "      {first}: starts the lane (smallest id of its group)\n"
                ));
            }
            for e in self.events_for(&lane.wp_ids) {
                out.push_str(&format!(
                    "      {}: joined {} ({}: {})\n",
                    e.wp_a, e.wp_b, e.rule, e.evidence
                ));
            }
            if !lane.depends_on_lanes.is_empty() {
                out.push_str(&format!(
                    "      waits for {}: starts from their approved work\n",
                    lane.depends_on_lanes.join(", ")
                ));
            } else if lane.wp_ids.len() == 1 {
                out.push_str(
                    "      no dependency or shared files with another code WP: runs in parallel\n",
                );
            }
        }
        if explain {
            out.push_str(&format!(
                "Strategy: {} (up to {} lane{} at once)\n",
                self.strategy.as_str(),
                max_parallel(&self.plan),
                if max_parallel(&self.plan) == 1 {
                    ""
                } else {
                    "s"
                }
            ));
            if self.strategy == Strategy::FanIn {
                out.push_str("Lane graph (a lane starts from the approved work of the lanes it depends on):\n");
                for lane in &self.plan.lanes {
                    out.push_str(&format!(
                        "  {} (group {}){}\n",
                        lane.lane_id,
                        lane.parallel_group,
                        if lane.depends_on_lanes.is_empty() {
                            String::new()
                        } else {
                            format!(" ← {}", lane.depends_on_lanes.join(", "))
                        }
                    ));
                }
            }
            match &self.fan_in {
                Some(Ok(alt)) => out.push_str(&format!(
                    "With `lanes.strategy: fan-in`: {} lane{}, up to {} at once\n",
                    alt.lanes.len(),
                    if alt.lanes.len() == 1 { "" } else { "s" },
                    max_parallel(alt)
                )),
                Some(Err(why)) => {
                    out.push_str(&format!(
                        "With `lanes.strategy: fan-in`: not possible ({why})\n"
                    ));
                }
                None => {}
            }
            out.push_str(&format!(
                "Critical path ({} WP{}): {}\n",
                self.critical_path.len(),
                if self.critical_path.len() == 1 {
                    ""
                } else {
                    "s"
                },
                self.critical_path.join(" → ")
            ));
            out.push_str("Parallelism by depth:\n");
            for (d, wps) in self.levels.iter().enumerate() {
                out.push_str(&format!(
                    "  depth {d}: {} WP{} ({})\n",
                    wps.len(),
                    if wps.len() == 1 { "" } else { "s" },
                    wps.join(", ")
                ));
            }
        }
        out
    }

    /// JSON (documented in docs/lanes.md).
    pub fn json(&self) -> String {
        let lanes: Vec<Value> = self
            .plan
            .lanes
            .iter()
            .map(|l| {
                json!({
                    "lane_id": l.lane_id,
                    "wp_ids": l.wp_ids,
                    "workspace": self.workspace(&l.lane_id),
                    "branch": if l.lane_id == PLANNING_LANE { Value::Null } else { Value::String(lane_branch(&self.slug, &l.lane_id)) },
                    "write_scope": l.write_scope,
                    "depends_on_lanes": l.depends_on_lanes,
                    "parallel_group": l.parallel_group,
                    "evidence": self.events_for(&l.wp_ids).iter().map(|e| json!({"wp_a": e.wp_a, "wp_b": e.wp_b, "rule": e.rule, "evidence": e.evidence})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let fan_in = match &self.fan_in {
            Some(Ok(alt)) => {
                json!({"lanes": alt.lanes.len(), "max_parallel_lanes": max_parallel(alt)})
            }
            Some(Err(why)) => json!({"error": why}),
            None => Value::Null,
        };
        let v = json!({
            "mission": self.slug,
            "strategy": self.strategy.as_str(),
            "max_parallel_lanes": max_parallel(&self.plan),
            "fan_in": fan_in,
            "lanes": lanes,
            "critical_path": self.critical_path,
            "parallelism": self.levels.iter().enumerate().map(|(d, w)| json!({"depth": d, "count": w.len(), "wp_ids": w})).collect::<Vec<_>>(),
        });
        serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
    }

    fn edges(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (wp, ds) in self.deps.iter() {
            for d in ds {
                if self.deps.contains(d) {
                    out.push((d.clone(), wp.clone()));
                }
            }
        }
        out.sort_by(|a, b| wp_cmp(&a.0, &b.0).then_with(|| wp_cmp(&a.1, &b.1)));
        out
    }

    fn label(&self, wp: &str) -> String {
        match self.titles.get(wp) {
            Some(t) => format!("{wp}: {t}"),
            None => wp.to_owned(),
        }
    }

    /// Graphviz DOT: lanes as clusters, edges from dependency to dependent.
    pub fn dot(&self) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = format!(
            "digraph {} {{\n  rankdir=LR;\n  node [shape=box];\n",
            q(&self.slug)
        );
        for (i, lane) in self.plan.lanes.iter().enumerate() {
            out.push_str(&format!(
                "  subgraph cluster_{i} {{\n    label={};\n",
                q(&format!(
                    "{} ({})",
                    lane.lane_id,
                    self.workspace(&lane.lane_id)
                ))
            ));
            for wp in &lane.wp_ids {
                out.push_str(&format!("    {} [label={}];\n", q(wp), q(&self.label(wp))));
            }
            out.push_str("  }\n");
        }
        for (a, b) in self.edges() {
            out.push_str(&format!("  {} -> {};\n", q(&a), q(&b)));
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid flowchart: lanes as subgraphs.
    pub fn mermaid(&self) -> String {
        let text = |s: &str| s.replace('"', "#quot;");
        let mut out = String::from("flowchart LR\n");
        for lane in &self.plan.lanes {
            out.push_str(&format!(
                "  subgraph {}[\"{} ({})\"]\n",
                lane.lane_id.replace('-', "_"),
                lane.lane_id,
                text(&self.workspace(&lane.lane_id))
            ));
            for wp in &lane.wp_ids {
                out.push_str(&format!("    {wp}[\"{}\"]\n", text(&self.label(wp))));
            }
            out.push_str("  end\n");
        }
        for (a, b) in self.edges() {
            out.push_str(&format!("  {a} --> {b}\n"));
        }
        out
    }
}
