//! Reads a JSON array of `[dependency map, {wp: [execution_mode, owned_files]}, {wp: body}]` cases
//! on stdin and prints, for each, the lane manifest finalize-tasks would write for mission `001-m`
//! (without `computed_at`, with the collapse report under `_collapse`), or `ERR <wp>` for a WP
//! without a manifest. Used by `scripts/diff-lanes-311.py`.
#![allow(clippy::print_stdout)] // the output is the point

use std::collections::HashMap;
use std::io::Read;

use serde_json::Value;
use spec_kitty::graph::DepMap;
use spec_kitty::lanes::{WpOwnership, compute};

type Case = (
    serde_json::Map<String, Value>,
    HashMap<String, (String, Vec<String>)>,
    HashMap<String, String>,
);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let cases: Vec<Case> = serde_json::from_str(&input)?;
    let mut out = Vec::new();
    for (graph, manifests, bodies) in cases {
        let mut deps = DepMap::default();
        for (wp, list) in &graph {
            let ids = list.as_array().into_iter().flatten();
            deps.insert(
                wp.clone(),
                ids.filter_map(|d| d.as_str().map(str::to_owned)).collect(),
            );
        }
        let owners: HashMap<String, WpOwnership> = manifests
            .into_iter()
            .map(|(wp, (mode, globs))| {
                let body = bodies.get(&wp).cloned().unwrap_or_default();
                let o = WpOwnership {
                    execution_mode: mode,
                    owned_files: globs,
                    body,
                };
                (wp, o)
            })
            .collect();
        match compute(&deps, &owners) {
            Ok(plan) => {
                let mut v: Value =
                    serde_json::from_str(&plan.manifest_json("001-m", "MID", "main", ""))?;
                if let Some(o) = v.as_object_mut() {
                    o.remove("computed_at");
                    o.insert("_collapse".into(), plan.collapse_json());
                }
                out.push(v);
            }
            Err(e) => out.push(Value::String(format!("ERR {}", e.id))),
        }
    }
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}
