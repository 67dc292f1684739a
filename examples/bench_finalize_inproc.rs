//! In-process benchmark of `finalize-tasks --validate-only` (the `finalize` function, on every
//! core as the command runs it) on one generated mission: what the run costs without starting a
//! process, printing its output, or freeing the mission. The first run sees a fresh heap, as the
//! command does; the best of ROUNDS runs is the floor with a warm heap and warm caches.
//! `scripts/bench-parse.sh` generates the missions and runs this.
//!
//! Usage: `cargo run --release --example bench_finalize_inproc -- PROJECT_ROOT [ROUNDS]`
//! (the mission is `001-bench`, as `scripts/gen-mission.py` names it; default 15 rounds).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use spec_kitty::compiler::finalize::{self, Options};
use spec_kitty::project::resolve_mission;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next().map(PathBuf::from) else {
        eprintln!("usage: bench_finalize_inproc PROJECT_ROOT [ROUNDS]");
        return ExitCode::from(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(15);
    let mission = match resolve_mission(&root, Some("001-bench"), "finalize-tasks", false) {
        Ok(m) => m,
        Err(f) => {
            let why = f.diagnostics.first().map_or("", |d| d.message.as_str());
            eprintln!("{}: {why}", root.display());
            return ExitCode::FAILURE;
        }
    };
    let mut times: Vec<Duration> = Vec::with_capacity(rounds);
    for _ in 0..rounds.max(1) {
        let opts = Options {
            validate_only: true,
            json: true,
            check: false,
            force: false,
            lanes: None,
        };
        let t = Instant::now();
        let report = finalize::finalize(&root, &mission, opts);
        times.push(t.elapsed());
        if let Err(f) = report {
            let why = f.diagnostics.first().map_or("", |d| d.message.as_str());
            eprintln!("finalize failed: {why}");
            return ExitCode::FAILURE;
        }
    }
    let first = times[0];
    times.sort_unstable();
    println!(
        "finalize in process: first {first:.2?}, median {:.2?}, best {:.2?} over {} runs",
        times[times.len() / 2],
        times[0],
        times.len()
    );
    ExitCode::SUCCESS
}
