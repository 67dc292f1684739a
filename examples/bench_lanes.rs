//! In-process benchmark of lane computation (`lanes::compute`, collapse strategy) and of the lanes
//! summary JSON, on dependency graphs shaped like `scripts/gen-mission.py`'s missions: half of the
//! WPs depend on up to three earlier ones, each WP owns one directory of its own, and its body is
//! one short line. Each figure is the best of ROUNDS runs, on one thread. `lanes::compute` looks
//! for overlapping globs itself; finalize passes the ones its ownership check found
//! (`compute_with_overlaps`), so it does a little less than is timed here.
//!
//! Usage: `cargo run --release --example bench_lanes -- [ROUNDS]` (default 15).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;

use spec_kitty::compiler::graph::DepMap;
use spec_kitty::compiler::lanes::{self, Strategy, WpOwnership};

#[path = "support/best.rs"]
mod support;
use support::best;

/// A deterministic generator (a 64-bit LCG), so every run times the same graph.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

fn mission(n: usize) -> (DepMap, HashMap<String, WpOwnership>) {
    let mut rng = Lcg(42);
    let ids: Vec<String> = (1..=n).map(|i| format!("WP{i:05}")).collect();
    let mut deps = DepMap::default();
    let mut owners = HashMap::new();
    for (i, id) in ids.iter().enumerate() {
        let mut on: Vec<String> = Vec::new();
        if i > 0 && rng.below(2) == 0 {
            for _ in 0..rng.below(4) {
                let j = rng.below(i as u64) as usize;
                if !on.contains(&ids[j]) {
                    on.push(ids[j].clone());
                }
            }
            on.sort();
        }
        deps.insert(id.clone(), on);
        owners.insert(
            id.clone(),
            WpOwnership {
                execution_mode: "code_change".into(),
                owned_files: vec![format!("src/m{i:05}/**")],
                body: format!("# {id}\n\nImplement module m{i:05} in src/m{i:05}/.\n"),
            },
        );
    }
    (deps, owners)
}

fn main() {
    let rounds = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    for n in [1_000, 10_000] {
        let (deps, owners) = mission(n);
        let plan = match lanes::compute(&deps, &owners, Strategy::Collapse) {
            Ok(plan) => plan,
            Err(e) => {
                eprintln!("lanes of the generated graph: {e:?}");
                return;
            }
        };
        let largest = plan.lanes.iter().map(|l| l.wp_ids.len()).max().unwrap_or(0);
        let compute = best(rounds, || {
            std::hint::black_box(lanes::compute(&deps, &owners, Strategy::Collapse).ok());
        });
        let summary = best(rounds, || {
            std::hint::black_box(plan.summary_json());
        });
        println!(
            "{n} WPs: {} lanes (the largest {largest} WPs); compute {compute:.2?}, summary JSON {summary:.2?}",
            plan.lanes.len()
        );
    }
}
