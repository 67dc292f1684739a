//! Reads a JSON array of WP prompt file texts on stdin and prints, for each, what finalize-tasks
//! infers when the frontmatter gives no ownership: `[execution_mode, owned_files, surface,
//! broad_fallback]` for mission `001-m`. Used by `scripts/diff-ownership-311.py`.
#![allow(clippy::print_stdout)] // the output is the point

use std::io::Read;

use spec_kitty::ownership::{infer_execution_mode, infer_owned_files, infer_surface};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let texts: Vec<String> = serde_json::from_str(&input)?;
    let out: Vec<serde_json::Value> = texts
        .iter()
        .map(|t| {
            let (globs, fallback) = infer_owned_files(t, "001-m");
            let surface = infer_surface(&globs);
            serde_json::json!([infer_execution_mode(t), globs, surface, fallback])
        })
        .collect();
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}
