//! The dependency graph: an ordered WP → dependencies map, cycle detection and reference checks.
//!
//! Two cycle views are computed. [`cycles_as_311`] reproduces spec-kitty 3.1.1's depth-first
//! search exactly (the closed paths its JSON reported, in its order); [`cyclic_components`] uses
//! petgraph's Tarjan SCCs so human diagnostics can name every member of every cycle and label each
//! edge inside it.

use std::cmp::Ordering;
use std::collections::HashMap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// WP ids ordered as 3.1.1 sorted them for two-digit ids, and numerically beyond (`WP99` <
/// `WP100`).
pub fn wp_cmp(a: &str, b: &str) -> Ordering {
    wp_sort_key(a).cmp(&wp_sort_key(b))
}

/// What [`wp_cmp`] compares: the length of the id after `WP` (0 for an id without it), then the
/// id.
pub fn wp_sort_key(id: &str) -> (usize, &str) {
    (id.strip_prefix("WP").map_or(0, str::len), id)
}

/// Sorts WP ids with [`wp_cmp`].
pub fn sort_wps(ids: &mut [String]) {
    ids.sort_by(|a, b| wp_cmp(a, b));
}

/// An insertion-ordered map from WP id to its dependency list (3.1.1 used a Python dict: the first
/// insertion fixes the position, a later insertion replaces the value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepMap {
    order: Vec<String>,
    deps: HashMap<String, Vec<String>>,
}

impl DepMap {
    /// Inserts or replaces (keeping the first position).
    pub fn insert(&mut self, wp: String, deps: Vec<String>) {
        if !self.deps.contains_key(&wp) {
            self.order.push(wp.clone());
        }
        self.deps.insert(wp, deps);
    }

    /// The dependencies of `wp`, if it is a key.
    pub fn get(&self, wp: &str) -> Option<&Vec<String>> {
        self.deps.get(wp)
    }

    /// Whether `wp` is a key.
    pub fn contains(&self, wp: &str) -> bool {
        self.deps.contains_key(wp)
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> &[String] {
        &self.order
    }

    /// (key, deps) in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<String>)> {
        self.order
            .iter()
            .filter_map(|k| self.deps.get(k).map(|d| (k, d)))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Cycles as spec-kitty 3.1.1 reported them: a depth-first search over the keys in insertion
/// order; every back edge yields the closed path from the repeated node (`[WP01, WP02, WP01]`).
/// Nodes that are not keys are explored as leaves. Iterative, so deep chains cannot overflow.
pub fn cycles_as_311(map: &DepMap) -> Vec<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        Gray,
        Black,
    }
    let empty: Vec<String> = Vec::new();
    let mut color: HashMap<&str, Color> = HashMap::new();
    let mut cycles = Vec::new();
    for root in map.keys() {
        if color.contains_key(root.as_str()) {
            continue;
        }
        let mut path: Vec<&str> = vec![root];
        let mut pos: HashMap<&str, usize> = HashMap::from([(root.as_str(), 0)]);
        let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
        color.insert(root, Color::Gray);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let children = map.get(node).unwrap_or(&empty);
            if *next < children.len() {
                let child = children[*next].as_str();
                *next += 1;
                match color.get(child) {
                    Some(Color::Gray) => {
                        let start = pos.get(child).copied().unwrap_or(0);
                        let mut cycle: Vec<String> =
                            path[start..].iter().map(|s| s.to_string()).collect();
                        cycle.push(child.to_owned());
                        cycles.push(cycle);
                    }
                    Some(Color::Black) => {}
                    None => {
                        color.insert(child, Color::Gray);
                        pos.insert(child, path.len());
                        path.push(child);
                        stack.push((child, 0));
                    }
                }
            } else {
                stack.pop();
                path.pop();
                pos.remove(node);
                color.insert(node, Color::Black);
            }
        }
    }
    cycles
}

/// Every strongly connected component that contains a cycle (two or more members, or one member
/// that depends on itself), members sorted, components in order of their first member.
pub fn cyclic_components(map: &DepMap) -> Vec<Vec<String>> {
    let mut graph: DiGraph<&str, ()> = DiGraph::new();
    let mut index: HashMap<&str, NodeIndex> = HashMap::new();
    for k in map.keys() {
        index.insert(k, graph.add_node(k));
    }
    for (k, deps) in map.iter() {
        for d in deps {
            let to = *index
                .entry(d.as_str())
                .or_insert_with(|| graph.add_node(d.as_str()));
            graph.add_edge(index[k.as_str()], to, ());
        }
    }
    let mut out: Vec<Vec<String>> = tarjan_scc(&graph)
        .into_iter()
        .filter(|c| c.len() > 1 || graph.contains_edge(c[0], c[0]))
        .map(|c| {
            let mut ids: Vec<String> = c.iter().map(|n| graph[*n].to_owned()).collect();
            sort_wps(&mut ids);
            ids
        })
        .collect();
    out.sort_by(|a, b| wp_cmp(&a[0], &b[0]));
    out
}

/// The first circle in a graph given as adjacency lists (node `i` depends on `adj[i]`): the
/// members of the first strongly connected component with a cycle, sorted; `None` when acyclic.
pub fn find_cycle(adj: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..adj.len()).map(|i| graph.add_node(i)).collect();
    for (i, deps) in adj.iter().enumerate() {
        for &d in deps {
            if let Some(&to) = nodes.get(d) {
                graph.add_edge(nodes[i], to, ());
            }
        }
    }
    tarjan_scc(&graph)
        .into_iter()
        .filter(|c| c.len() > 1 || graph.contains_edge(c[0], c[0]))
        .map(|c| {
            let mut members: Vec<usize> = c.iter().map(|n| graph[*n]).collect();
            members.sort_unstable();
            members
        })
        .min()
}

/// 3.1.1's per-WP reference check: for each key in order, the problems with its dependencies.
/// Returns (wp, messages) for every WP that has any.
///
/// `files` are the WPs that have a prompt file: a dependency on one of them is valid even without a
/// tasks.md section (a deliberate difference; such a WP gets no lane, as in 3.1.1).
pub fn reference_errors(map: &DepMap, files: &[String]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (wp, deps) in map.iter() {
        let mut errors = Vec::new();
        for d in deps {
            if !crate::compiler::tasks::keys::is_wp_id(d) {
                errors.push(format!(
                    "Invalid WP ID format: {d} (must be WP## like WP01)"
                ));
            } else if d == wp {
                errors.push(format!("Cannot depend on self: {wp}"));
            } else if !map.contains(d) && !files.contains(d) {
                errors.push(format!("Dependency {d} not found in graph"));
            }
        }
        if !errors.is_empty() {
            out.push((wp.clone(), errors));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &[&str])]) -> DepMap {
        let mut m = DepMap::default();
        for (k, v) in pairs {
            m.insert(k.to_string(), v.iter().map(|s| s.to_string()).collect());
        }
        m
    }

    #[test]
    fn dfs_cycles_match_311_order() {
        let m = map(&[
            ("WP01", &[]),
            ("WP02", &["WP03", "WP05"]),
            ("WP03", &["WP02"]),
            ("WP04", &["WP05", "WP06", "WP07"]),
            ("WP05", &["WP01", "WP02", "WP04"]),
            ("WP06", &["WP04"]),
            ("WP07", &["WP04", "WP05"]),
        ]);
        let got = cycles_as_311(&m);
        let want: Vec<Vec<&str>> = vec![
            vec!["WP02", "WP03", "WP02"],
            vec!["WP02", "WP05", "WP02"],
            vec!["WP05", "WP04", "WP05"],
            vec!["WP04", "WP06", "WP04"],
            vec!["WP04", "WP07", "WP04"],
            vec!["WP05", "WP04", "WP07", "WP05"],
        ];
        assert_eq!(got, want);
        assert_eq!(
            cyclic_components(&m),
            vec![vec!["WP02", "WP03", "WP04", "WP05", "WP06", "WP07"]]
        );
    }

    #[test]
    fn self_dependency_is_a_cycle() {
        let m = map(&[("WP01", &["WP01"])]);
        assert_eq!(cycles_as_311(&m), vec![vec!["WP01", "WP01"]]);
        assert_eq!(cyclic_components(&m), vec![vec!["WP01"]]);
    }

    #[test]
    fn unknown_references() {
        let m = map(&[("WP01", &["WP09"]), ("WP02", &["WP01"])]);
        assert!(cycles_as_311(&m).is_empty());
        assert_eq!(
            reference_errors(&m, &[]),
            vec![(
                "WP01".into(),
                vec!["Dependency WP09 not found in graph".into()]
            )]
        );
    }

    #[test]
    fn ordering_extends_past_two_digits() {
        let mut ids = vec!["WP100".to_string(), "WP99".into(), "WP01".into()];
        sort_wps(&mut ids);
        assert_eq!(ids, ["WP01", "WP99", "WP100"]);
    }
}
