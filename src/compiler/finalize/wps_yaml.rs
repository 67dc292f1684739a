//! `wps.yaml`, the optional authoritative WP manifest: loading, its dependency map, and the
//! tasks.md that finalize generates from it.

use std::path::Path;

use yaml_serde::Value;

use crate::compiler::graph::DepMap;
use crate::compiler::tasks::keys::is_wp_id;
use crate::support::diagnostics::{Diag, Failure};
use crate::support::util::py_str;

/// One `work_packages` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `WP01`.
    pub id: String,
    /// Title.
    pub title: String,
    /// `dependencies`; `None` when the key is absent.
    pub dependencies: Option<Vec<String>>,
    /// `requirement_refs`.
    pub requirement_refs: Vec<String>,
    /// `owned_files`.
    pub owned_files: Vec<String>,
    /// `subtasks`.
    pub subtasks: Vec<String>,
    /// `prompt_file`.
    pub prompt_file: Option<String>,
}

/// A loaded wps.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Entries in file order.
    pub entries: Vec<Entry>,
}

fn fail(display: &str, detail: String) -> Failure {
    Failure::with_error_text(
        Diag::error("wps-yaml::invalid", format!("`{display}` could not be loaded: {detail}"))
            .with_help("wps.yaml needs a `work_packages:` list whose entries have an `id` like WP01; fix it or delete it to use tasks.md"),
        format!("wps.yaml is present but could not be loaded: {detail}"),
    )
}

/// Loads and validates wps.yaml with 3.1.1's schema: a mapping with a `work_packages` list; each
/// entry a mapping with a string `id` (`WPnn`) and a string `title`; `dependencies`,
/// `owned_files`, `requirement_refs` and `subtasks` lists of strings when present (null is not a
/// list); `prompt_file` a string or null. Keys outside the schema are ignored, as 3.1.1 ignored
/// them.
pub fn load(path: &Path, display: &str) -> Result<Manifest, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| fail(display, e.to_string()))?;
    let value: Value = if text.trim().is_empty() {
        Value::Null
    } else {
        yaml_serde::from_str(&text).map_err(|e| fail(display, e.to_string()))?
    };
    let Value::Mapping(top) = &value else {
        // 3.1.1's words: it called `.get` on whatever the file held.
        let py_type = match &value {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Number(n) if n.is_f64() => "float",
            Value::Number(_) => "int",
            Value::String(_) => "str",
            Value::Sequence(_) => "list",
            Value::Mapping(_) | Value::Tagged(_) => "object",
        };
        let mut f = fail(
            display,
            format!("'{py_type}' object has no attribute 'get'"),
        );
        if let Some(d) = f.diagnostics.first_mut() {
            d.message = format!(
                "`{display}` holds {}, not a mapping with a `work_packages` list",
                kind(&value)
            );
        }
        return Err(f);
    };
    let items = match top.get("work_packages") {
        None => return Err(fail(display, "`work_packages`: field required".into())),
        Some(Value::Sequence(items)) => items,
        Some(other) => {
            return Err(fail(
                display,
                format!(
                    "`work_packages`: input should be a valid list, not {}",
                    kind(other)
                ),
            ));
        }
    };
    let mut entries = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let at = |field: &str| format!("`work_packages.{n}.{field}`");
        let Value::Mapping(item) = item else {
            return Err(fail(
                display,
                format!(
                    "`work_packages.{n}`: input should be a mapping, not {}",
                    kind(item)
                ),
            ));
        };
        let string = |field: &str| -> Result<Option<String>, Failure> {
            match item.get(field) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(fail(
                    display,
                    format!(
                        "{}: input should be a valid string, not {}",
                        at(field),
                        kind(other)
                    ),
                )),
            }
        };
        let list = |field: &str| -> Result<Option<Vec<String>>, Failure> {
            match item.get(field) {
                None => Ok(None),
                Some(Value::Sequence(xs)) => xs
                    .iter()
                    .enumerate()
                    .map(|(k, x)| match x {
                        Value::String(s) => Ok(s.clone()),
                        other => Err(fail(
                            display,
                            format!(
                                "{}.{k}: input should be a valid string, not {}",
                                at(field),
                                kind(other)
                            ),
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Some(other) => Err(fail(
                    display,
                    format!(
                        "{}: input should be a valid list, not {}",
                        at(field),
                        kind(other)
                    ),
                )),
            }
        };
        let Some(id) = string("id")? else {
            return Err(fail(display, format!("{}: field required", at("id"))));
        };
        if !is_wp_id(&id) {
            return Err(fail(
                display,
                format!(
                    "{}: WP id must be WPnn (e.g. WP01), got: {}",
                    at("id"),
                    py_str(&id)
                ),
            ));
        }
        let title = match item.get("title") {
            Some(Value::Null) => {
                return Err(fail(
                    display,
                    format!("{}: input should be a valid string, not null", at("title")),
                ));
            }
            _ => string("title")?,
        };
        let Some(title) = title else {
            return Err(fail(display, format!("{}: field required", at("title"))));
        };
        let dependencies = list("dependencies")?;
        if let Some(bad) = dependencies.iter().flatten().find(|d| !is_wp_id(d)) {
            return Err(fail(
                display,
                format!(
                    "{}: dependency must be WPnn (e.g. WP01), got: {}",
                    at("dependencies"),
                    py_str(bad)
                ),
            ));
        }
        let prompt_file = match item.get("prompt_file") {
            Some(Value::Null) => None,
            _ => string("prompt_file")?,
        };
        entries.push(Entry {
            title,
            dependencies,
            requirement_refs: list("requirement_refs")?.unwrap_or_default(),
            owned_files: list("owned_files")?.unwrap_or_default(),
            subtasks: list("subtasks")?.unwrap_or_default(),
            prompt_file,
            id,
        });
    }
    Ok(Manifest { entries })
}

/// A YAML value's kind, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

impl Manifest {
    /// The dependency map: each entry's list, `[]` when the key is absent.
    pub fn dependency_map(&self) -> DepMap {
        let mut m = DepMap::default();
        for e in &self.entries {
            m.insert(e.id.clone(), e.dependencies.clone().unwrap_or_default());
        }
        m
    }

    /// The tasks.md finalize generates from the manifest (3.1.1's layout).
    pub fn tasks_md(&self, slug: &str) -> String {
        let mut lines: Vec<String> = vec![
            format!("# Work Packages: {slug}"),
            String::new(),
            "_Generated by finalize-tasks from wps.yaml. Do not edit directly._".into(),
            String::new(),
            "---".into(),
            String::new(),
        ];
        for e in &self.entries {
            lines.push(format!("## Work Package {}: {}", e.id, e.title));
            lines.push(String::new());
            let deps = e.dependencies.clone().unwrap_or_default();
            lines.push(format!(
                "**Dependencies**: {}",
                if deps.is_empty() {
                    "None".to_owned()
                } else {
                    deps.join(", ")
                }
            ));
            if !e.requirement_refs.is_empty() {
                lines.push(format!(
                    "**Requirement Refs**: {}",
                    e.requirement_refs.join(", ")
                ));
            }
            if !e.owned_files.is_empty() {
                lines.push(format!("**Owned Files**: {}", e.owned_files.join(", ")));
            }
            if !e.subtasks.is_empty() {
                lines.push(format!("**Subtasks**: {}", e.subtasks.join(", ")));
            }
            if let Some(p) = &e.prompt_file {
                lines.push(format!("**Prompt**: `{p}`"));
            }
            lines.push(String::new());
            lines.push("---".into());
            lines.push(String::new());
        }
        lines.join("\n")
    }
}
