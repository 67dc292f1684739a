//! Machine formats for lint results: a documented JSON schema, GitHub Actions workflow commands,
//! and SARIF 2.1.0 for code-scanning upload. (The human format is miette's, rendered by the CLI.)

use serde_json::{Map, Value, json};

use super::{MissionLint, RULES};
use crate::support::diagnostics::Diag;

/// Output format of `spec-kitty lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// miette diagnostics with source snippets.
    Human,
    /// `docs/lint.md`'s JSON schema.
    Json,
    /// GitHub Actions workflow commands.
    Github,
    /// SARIF 2.1.0.
    Sarif,
}

/// Where a diagnostic points: file, start line/column, end line/column (1-based).
struct Place {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn place(d: &Diag) -> Option<Place> {
    let source = d.source.as_ref()?;
    let label = d.labels.first()?;
    let (line, column) = source.line_col(label.offset);
    let (end_line, end_column) = source.line_col(label.offset + label.len);
    Some(Place {
        file: source.name.to_string(),
        line,
        column,
        end_line,
        end_column: end_column.max(if end_line == line { column } else { 1 }),
    })
}

fn severity(d: &Diag) -> &'static str {
    if d.is_error() { "error" } else { "warning" }
}

fn diag_json(d: &Diag) -> Value {
    let mut m = Map::new();
    m.insert("code".into(), d.code.into());
    m.insert("severity".into(), severity(d).into());
    m.insert("message".into(), d.message.clone().into());
    m.insert(
        "help".into(),
        d.help.clone().map_or(Value::Null, Value::String),
    );
    match place(d) {
        Some(p) => {
            m.insert("file".into(), p.file.into());
            m.insert("line".into(), p.line.into());
            m.insert("column".into(), p.column.into());
            m.insert("end_line".into(), p.end_line.into());
            m.insert("end_column".into(), p.end_column.into());
        }
        None => {
            for k in ["file", "line", "column", "end_line", "end_column"] {
                m.insert(k.into(), Value::Null);
            }
        }
    }
    m.insert(
        "related".into(),
        Value::Array(d.related.iter().map(diag_json).collect()),
    );
    Value::Object(m)
}

/// The JSON report (schema version 1, documented in `docs/lint.md`).
pub fn render_json(results: &[MissionLint]) -> String {
    let errors: usize = results.iter().map(MissionLint::errors).sum();
    let warnings: usize = results.iter().map(MissionLint::warnings).sum();
    let v = json!({
        "schema_version": 1,
        "missions": results.iter().map(|r| json!({
            "mission": r.slug,
            "errors": r.errors(),
            "warnings": r.warnings(),
            "diagnostics": r.diagnostics.iter().map(diag_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "summary": {"missions": results.len(), "errors": errors, "warnings": warnings},
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// GitHub's escaping for workflow command data.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping for workflow command properties.
fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error ...::message` / `::warning ...::message` line per diagnostic.
pub fn render_github(results: &[MissionLint]) -> String {
    let mut out = String::new();
    for r in results {
        for d in &r.diagnostics {
            let mut props = Vec::new();
            if let Some(p) = place(d) {
                props.push(format!("file={}", gh_prop(&p.file)));
                props.push(format!("line={}", p.line));
                props.push(format!("col={}", p.column));
                props.push(format!("endLine={}", p.end_line));
                if p.end_line == p.line {
                    props.push(format!("endColumn={}", p.end_column));
                }
            }
            props.push(format!(
                "title={}",
                gh_prop(&format!("{} ({})", d.code, r.slug))
            ));
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(h);
            }
            out.push_str(&format!(
                "::{} {}::{}\n",
                severity(d),
                props.join(","),
                gh_data(&message)
            ));
        }
    }
    out
}

/// A SARIF 2.1.0 log with one run.
pub fn render_sarif(results: &[MissionLint]) -> String {
    let mut codes: Vec<&str> = results
        .iter()
        .flat_map(|r| r.diagnostics.iter().map(|d| d.code))
        .collect();
    codes.extend(RULES.iter().map(|(c, _)| *c));
    codes.sort_unstable();
    codes.dedup();
    let describe = |code: &str| {
        RULES.iter().find(|(c, _)| *c == code).map_or_else(
            || format!("finalize-tasks check `{code}`"),
            |(_, d)| (*d).to_owned(),
        )
    };
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| json!({"id": c, "name": c.replace("::", "/"), "shortDescription": {"text": describe(c)}}))
        .collect();
    let mut results_json = Vec::new();
    for r in results {
        for d in &r.diagnostics {
            let mut res = json!({
                "ruleId": d.code,
                "ruleIndex": codes.iter().position(|c| *c == d.code).unwrap_or(0),
                "level": severity(d),
                "message": {"text": match &d.help { Some(h) => format!("{}\nhelp: {h}", d.message), None => d.message.clone() }},
                "properties": {"mission": r.slug},
            });
            let locations: Vec<Value> = std::iter::once(d)
                .chain(d.related.iter())
                .filter_map(place)
                .map(|p| {
                    json!({"physicalLocation": {
                        "artifactLocation": {"uri": p.file, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": p.line, "startColumn": p.column, "endLine": p.end_line, "endColumn": p.end_column.max(1)},
                    }})
                })
                .collect();
            if let Some(obj) = res.as_object_mut() {
                match locations.split_first() {
                    Some((first, rest)) => {
                        obj.insert("locations".into(), Value::Array(vec![first.clone()]));
                        if !rest.is_empty() {
                            obj.insert(
                                "relatedLocations".into(),
                                Value::Array(
                                    rest.iter()
                                        .enumerate()
                                        .map(|(i, l)| {
                                            let mut l = l.clone();
                                            if let Some(o) = l.as_object_mut() {
                                                o.insert("id".into(), (i + 1).into());
                                            }
                                            l
                                        })
                                        .collect(),
                                ),
                            );
                        }
                    }
                    None => {
                        obj.insert(
                            "locations".into(),
                            json!([{"physicalLocation": {"artifactLocation": {"uri": format!("kitty-specs/{}", r.slug), "uriBaseId": "%SRCROOT%"}}}]),
                        );
                    }
                }
            }
            results_json.push(res);
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "spec-kitty",
                "version": crate::VERSION,
                "rules": rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": "./"}},
            "results": results_json,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}
