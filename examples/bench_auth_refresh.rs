//! NFR-002 benchmark: what the refresh lock adds to an uncontended refresh transaction.
//!
//! Runs, alternately, the locked transaction (`auth::refresh::refresh`: lock, read, POST, write) and
//! a baseline without the lock (read, POST, write), against the server named in the credentials of
//! `$HOME/.spec-kitty` (log in first), and prints the medians and their difference. Both kinds
//! rotate the tokens, so the server must rotate (each refresh token single-use) and both keep
//! working. `scripts/bench-auth.sh` sets up a local server and a login and runs this.
//!
//! Usage: `cargo run --release --example bench_auth_refresh -- [ROUNDS]` (default 200 each).

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use spec_kitty::auth::{AuthPaths, http, refresh, store};

fn baseline(paths: &AuthPaths) -> Result<(), String> {
    let creds = store::read(&paths.credentials)
        .map_err(|e| e.to_string())?
        .ok_or("not logged in")?;
    let issued =
        http::refresh(&creds.server.url, &creds.tokens.refresh).map_err(|e| e.to_string())?;
    let now = spec_kitty::support::util::UtcTime::now().unix_seconds();
    let fresh = issued.credentials(
        &creds.user.username,
        &creds.server.url,
        creds.user.team_slug.clone(),
        now,
    );
    store::write(&paths.credentials, &fresh).map_err(|e| e.to_string())
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn p90(v: &mut [Duration]) -> Duration {
    v.sort();
    v[(v.len() * 9 / 10).min(v.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<(), String> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(a) => a
            .parse()
            .map_err(|_| format!("ROUNDS must be a number, not {a:?}"))?,
        None => 200,
    }
    .max(1);
    let paths = AuthPaths::from_env().map_err(|d| d.message)?;
    let (mut locked, mut bare, mut waits) = (Vec::new(), Vec::new(), Vec::new());
    // Warm up both paths (connection setup, page cache) before timing.
    for _ in 0..5 {
        baseline(&paths)?;
        refresh::refresh(&paths).map_err(|e| e.to_string())?;
    }
    for _ in 0..rounds {
        let t = Instant::now();
        baseline(&paths)?;
        bare.push(t.elapsed());
        let t = Instant::now();
        let outcome = refresh::refresh(&paths).map_err(|e| e.to_string())?;
        locked.push(t.elapsed());
        waits.push(outcome.lock_wait);
    }
    let (mb, ml) = (median(&mut bare), median(&mut locked));
    println!("auth refresh, uncontended, {rounds} rounds each, in-process");
    println!(
        "  baseline (read, POST, write):        median {:.3} ms, p90 {:.3} ms",
        ms(mb),
        ms(p90(&mut bare))
    );
    println!(
        "  locked transaction (FR-401..403):    median {:.3} ms, p90 {:.3} ms",
        ms(ml),
        ms(p90(&mut locked))
    );
    println!(
        "  lock acquisition (lock_wait):        median {:.3} ms",
        ms(median(&mut waits))
    );
    println!(
        "  added by the lock (median difference): {:+.3} ms (NFR-002: at most +50 ms)",
        ms(ml) - ms(mb)
    );
    Ok(())
}
