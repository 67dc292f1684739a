//! How wide the lane graph is (the most lanes that can run at once, for the `lanes` report), and
//! whether one WP depends on another (for the ownership checks and the overlap search).

use std::collections::{BTreeSet, HashMap};

use super::LanePlan;
use crate::compiler::graph::DepMap;

/// The most lanes that can run at once: the largest set of lanes none of which depends on
/// another, directly or not (the width of the lane graph, by Dilworth's theorem: lanes minus a
/// maximum matching in the transitive closure).
pub fn max_parallel(plan: &LanePlan) -> usize {
    let n = plan.lanes.len();
    let index: HashMap<&str, usize> = plan
        .lanes
        .iter()
        .enumerate()
        .map(|(i, l)| (l.lane_id.as_str(), i))
        .collect();
    // reach[i]: every lane i depends on, directly or not.
    let mut reach: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (i, set) in reach.iter_mut().enumerate() {
        let mut stack: Vec<usize> = plan.lanes[i]
            .depends_on_lanes
            .iter()
            .filter_map(|d| index.get(d.as_str()).copied())
            .collect();
        while let Some(j) = stack.pop() {
            if j != i && set.insert(j) {
                stack.extend(
                    plan.lanes[j]
                        .depends_on_lanes
                        .iter()
                        .filter_map(|d| index.get(d.as_str()).copied()),
                );
            }
        }
    }
    // Kuhn's augmenting paths: match each lane to one lane it reaches.
    fn augment(
        i: usize,
        reach: &[BTreeSet<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &j in &reach[i] {
            if seen[j] {
                continue;
            }
            seen[j] = true;
            if owner[j].is_none_or(|k| augment(k, reach, seen, owner)) {
                owner[j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; n];
    let mut matched = 0;
    for i in 0..n {
        let mut seen = vec![false; n];
        if augment(i, &reach, &mut seen, &mut owner) {
            matched += 1;
        }
    }
    n - matched
}

pub(super) fn lane_depth(
    i: usize,
    deps: &[Vec<usize>],
    memo: &mut [Option<u64>],
    guard: usize,
) -> u64 {
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

/// Whether `from` depends on `to`, directly or not.
pub fn depends_on(deps: &DepMap, from: &str, to: &str) -> bool {
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
