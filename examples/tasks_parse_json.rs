//! Reads a JSON array of tasks.md documents on stdin and prints, for each, the dependency map and
//! the requirement-reference map that finalize-tasks parses from it (3.1.1's dict semantics: a
//! later section with the same id replaces an earlier one). Used by `scripts/diff-parser-311.py`.
//!
//! The text is read as 3.1.1 read tasks.md: `\r\n` and a lone `\r` are line breaks.

#![allow(clippy::print_stdout)] // the output is the point

use std::io::Read;

use serde_json::{Map, Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let docs: Vec<String> = serde_json::from_str(&input)?;
    let mut out = Vec::new();
    for doc in docs {
        let text = doc.replace("\r\n", "\n").replace('\r', "\n");
        match spec_kitty::tasks::parse::parse(&text) {
            Err(e) => out.push(json!([format!("ERR {e}")])),
            Ok(parsed) => {
                let mut deps = Map::new();
                for s in &parsed.sections {
                    deps.insert(s.id.clone(), json!(s.dependency_ids()));
                }
                let mut refs = Map::new();
                for s in &parsed.req_sections {
                    let ids: Vec<String> =
                        spec_kitty::tasks::parse::section_refs(&text, s.body.clone())
                            .into_iter()
                            .map(|r| r.id)
                            .collect();
                    refs.insert(s.id.clone(), json!(ids));
                }
                out.push(json!([Value::Object(deps), Value::Object(refs)]));
            }
        }
    }
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}
