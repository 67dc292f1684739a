//! The timing helper the in-process benchmarks share (`#[path]`-included: a file here is not an
//! example of its own).

use std::time::{Duration, Instant};

/// The best of `rounds` runs of `f`.
pub fn best(rounds: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}
