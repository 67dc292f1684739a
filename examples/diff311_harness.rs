//! The Rust side of the differential fuzz scripts (`scripts/diff-*-311.py`): reads a JSON array of
//! cases on stdin, runs one part of finalize-tasks on each, and prints a JSON array of results
//! that the scripts compare with what spec-kitty 3.1.1's own functions return.
//!
//! Modes (the first argument):
//! - `parse`: tasks.md documents → `[dependency map, requirement-reference map]` (3.1.1's dict
//!   semantics: a later section with the same id replaces an earlier one; `\r\n` and a lone `\r`
//!   are line breaks, as Python's text mode read them);
//! - `ownership`: WP prompt texts → `[execution_mode, owned_files, surface, broad_fallback]` for
//!   mission `001-m`;
//! - `lanes`: `[dependency map, {wp: [mode, globs]}, {wp: body}]` → the lane manifest (without
//!   `computed_at`, with the collapse report under `_collapse`), or `ERR <wp>`;
//! - `overlap`: `{wp: [globs, authoritative_surface]}` → the sorted ownership errors;
//! - `edit`: `[WP file text, text]` → the file after finalize's edit that writes the text into
//!   `planning_base_branch`, `branch_strategy` (with ` and more`), `dependencies` (`[text, WP02]`)
//!   and `owned_files` (`[src/<text>/**]`), or null when the file is unreadable.
#![allow(clippy::print_stdout)] // the output is the point

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use serde_json::{Map, Value, json};
use spec_kitty::compiler::graph::DepMap;
use spec_kitty::compiler::lanes::{WpOwnership, compute};
use spec_kitty::compiler::ownership;
use spec_kitty::compiler::tasks::parse;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let out = match mode.as_str() {
        "parse" => parse_cases(serde_json::from_str(&input)?),
        "ownership" => ownership_cases(serde_json::from_str(&input)?),
        "lanes" => lanes_cases(serde_json::from_str(&input)?)?,
        "overlap" => overlap_cases(serde_json::from_str(&input)?),
        "edit" => edit_cases(serde_json::from_str(&input)?),
        other => {
            return Err(format!(
                "unknown mode {other:?}: parse, ownership, lanes, overlap or edit"
            )
            .into());
        }
    };
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}

fn parse_cases(docs: Vec<String>) -> Vec<Value> {
    docs.iter()
        .map(|doc| {
            let text = doc.replace("\r\n", "\n").replace('\r', "\n");
            match parse::parse(&text) {
                Err(e) => json!([format!("ERR {e}")]),
                Ok(parsed) => {
                    let mut deps = Map::new();
                    for s in &parsed.sections {
                        deps.insert(s.id.clone(), json!(s.dependency_ids()));
                    }
                    let mut refs = Map::new();
                    for s in &parsed.req_sections {
                        let ids: Vec<String> = parse::section_refs(&text, s.body.clone())
                            .into_iter()
                            .map(|r| r.id)
                            .collect();
                        refs.insert(s.id.clone(), json!(ids));
                    }
                    json!([Value::Object(deps), Value::Object(refs)])
                }
            }
        })
        .collect()
}

fn ownership_cases(texts: Vec<String>) -> Vec<Value> {
    texts
        .iter()
        .map(|t| {
            let (globs, fallback) = ownership::infer_owned_files(t, "001-m");
            let surface = ownership::infer_surface(&globs);
            json!([ownership::infer_execution_mode(t), globs, surface, fallback])
        })
        .collect()
}

type LaneCase = (
    Map<String, Value>,
    HashMap<String, (String, Vec<String>)>,
    HashMap<String, String>,
);

fn lanes_cases(cases: Vec<LaneCase>) -> Result<Vec<Value>> {
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
            .map(|(wp, (execution_mode, owned_files))| {
                let body = bodies.get(&wp).cloned().unwrap_or_default();
                let o = WpOwnership {
                    execution_mode,
                    owned_files,
                    body,
                };
                (wp, o)
            })
            .collect();
        match compute(
            &deps,
            &owners,
            spec_kitty::compiler::lanes::Strategy::Collapse,
        ) {
            Ok(plan) => {
                let mut v: Value =
                    serde_json::from_str(&plan.manifest_json("001-m", "MID", "main", ""))?;
                if let Some(o) = v.as_object_mut() {
                    o.remove("computed_at");
                    o.insert("_collapse".into(), plan.collapse_json());
                }
                out.push(v);
            }
            Err(spec_kitty::compiler::lanes::LaneError::MissingManifest(e)) => {
                out.push(Value::String(format!("ERR {}", e.id)))
            }
            Err(e) => out.push(Value::String(format!("ERR {e:?}"))),
        }
    }
    Ok(out)
}

fn overlap_cases(cases: Vec<BTreeMap<String, (Vec<String>, String)>>) -> Vec<Value> {
    cases
        .iter()
        .map(|wps| {
            let ids: Vec<&String> = wps.keys().collect();
            let globs: Vec<&[String]> = wps.values().map(|(g, _)| g.as_slice()).collect();
            let mut errors: Vec<String> = ownership::find_overlaps(&globs)
                .iter()
                .map(|o| {
                    ownership::overlap_message(
                        ids[o.i],
                        &globs[o.i][o.gi],
                        ids[o.j],
                        &globs[o.j][o.gj],
                    )
                })
                .collect();
            for (wp, (g, surface)) in wps {
                errors.extend(ownership::surface_error(wp, surface, g));
            }
            errors.sort();
            json!(errors)
        })
        .collect()
}

fn edit_cases(cases: Vec<(String, String)>) -> Vec<Value> {
    use spec_kitty::compiler::tasks::frontmatter::{FmValue, WpFile};
    let order = spec_kitty::compiler::finalize::OWNED_ORDER;
    cases
        .into_iter()
        .map(|(text, value)| {
            let Ok(file) = WpFile::parse("WP01-x.md", "WP01-x.md", text) else {
                return Value::Null;
            };
            let changes = [
                (
                    "dependencies",
                    FmValue::List(vec![value.clone(), "WP02".into()]),
                ),
                ("planning_base_branch", FmValue::Str(value.clone())),
                ("branch_strategy", FmValue::Str(format!("{value} and more"))),
                (
                    "owned_files",
                    FmValue::List(vec![format!("src/{value}/**")]),
                ),
            ];
            Value::String(file.edited(&changes, &order))
        })
        .collect()
}
