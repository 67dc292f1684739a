//! In-process benchmark of finalize's two parsers on one mission: the tasks.md grammar (the whole
//! parse, level 1 alone, and each declaration scan over every WP section) and the WP prompt files'
//! frontmatter (the YAML library alone, and `WpFile::parse`, which adds locating the keys and
//! 3.1.1's schema), and reading those files (open, read, close). The parsers are timed on texts
//! read beforehand; each figure is the best of ROUNDS runs, on one thread.
//! `scripts/bench-parse.sh` generates the missions and runs this.
//!
//! Usage: `cargo run --release --example bench_parse -- MISSION_DIR [ROUNDS]` (default 25).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use pest::Parser;
use spec_kitty::compiler::tasks::frontmatter::WpFile;
use spec_kitty::compiler::tasks::parse::{Rule, TasksParser, parse};

#[path = "support/best.rs"]
mod support;
use support::best;

fn run(dir: &Path, rounds: usize) -> Result<(), String> {
    let tasks = std::fs::read_to_string(dir.join("tasks.md")).map_err(|e| e.to_string())?;
    let doc = parse(&tasks).map_err(|e| e.to_string())?;
    let bodies: Vec<&str> = doc
        .sections
        .iter()
        .map(|s| &tasks[s.body.clone()])
        .collect();
    let scan = |rule: Rule| {
        let bodies = &bodies;
        move || {
            for b in bodies {
                let pairs = TasksParser::parse(rule, b).map(|p| p.flatten().count());
                std::hint::black_box(pairs.ok());
            }
        }
    };
    let whole = best(rounds, || {
        std::hint::black_box(parse(&tasks).ok());
    });
    let mb_s = tasks.len() as f64 / whole.as_secs_f64() / 1e6;
    println!(
        "tasks.md: {} bytes, {} WP sections",
        tasks.len(),
        bodies.len()
    );
    println!("  whole parse     {whole:>12.3?}  ({mb_s:.1} MB/s)");
    let level1 = best(rounds, || {
        let pairs = TasksParser::parse(Rule::document, &tasks).map(|p| p.flatten().count());
        std::hint::black_box(pairs.ok());
    });
    println!("  level 1 (lines) {level1:>12.3?}");
    for (name, rule) in [
        ("inline scan", Rule::inline_scan),
        ("colon scan", Rule::colon_scan),
        ("refs scan", Rule::refs_scan),
    ] {
        println!("  {name:<15} {:>12.3?}", best(rounds, scan(rule)));
    }

    let tasks_dir = dir.join("tasks");
    let mut files: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(&tasks_dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if let Some(name) = name.filter(|n| n.starts_with("WP") && n.ends_with(".md")) {
            files.push((
                name,
                std::fs::read_to_string(&path).map_err(|e| e.to_string())?,
            ));
        }
    }
    files.sort();
    let read = best(rounds, || {
        for (name, _) in &files {
            let text = spec_kitty::support::utf8::read_to_string(&tasks_dir.join(name));
            std::hint::black_box(text.ok());
        }
    });
    // The frontmatter of each file, where `WpFile::parse` finds it (files it cannot read are left
    // out of the YAML figure).
    let frontmatters: Vec<&str> = files
        .iter()
        .filter_map(|(name, text)| {
            let found = WpFile::parse(name, name, text.clone()).ok()?;
            text.get(found.yaml)
        })
        .collect();
    let yaml = best(rounds, || {
        for frontmatter in &frontmatters {
            std::hint::black_box(yaml_serde::from_str::<yaml_serde::Value>(frontmatter).ok());
        }
    });
    let wp_file = best(rounds, || {
        for (name, text) in &files {
            std::hint::black_box(WpFile::parse(name, name, text.clone()).ok());
        }
    });
    let per = |d: Duration| d / u32::try_from(files.len().max(1)).unwrap_or(u32::MAX);
    println!("WP files: {}", files.len());
    println!(
        "  reading alone   {read:>12.3?}  ({:.2?} a file)",
        per(read)
    );
    println!(
        "  YAML alone      {yaml:>12.3?}  ({:.2?} a file)",
        per(yaml)
    );
    println!(
        "  WpFile::parse   {wp_file:>12.3?}  ({:.2?} a file)",
        per(wp_file)
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: bench_parse MISSION_DIR [ROUNDS]");
        return ExitCode::from(2);
    };
    let rounds = args.next().and_then(|r| r.parse().ok()).unwrap_or(25);
    match run(Path::new(&dir), rounds) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_parse: {e}");
            ExitCode::FAILURE
        }
    }
}
