//! meta.json as finalize reads it: first of all (3.1.1 read the target branch from it), with
//! 3.1.1's failures for a file that is not UTF-8 or not an object, and for malformed JSON once the
//! status bootstrap has WPs to seed.

use std::path::Path;

use serde_json::{Map, Value};

use super::branch::target_in;
use crate::project::rel_path;
use crate::support::diagnostics::{Diag, Failure, Source};

/// meta.json as finalize found it.
pub(crate) enum Meta {
    /// No file: the slug stands in for `mission_id`.
    Missing,
    /// A JSON object.
    Object(Map<String, Value>),
    /// Valid JSON that is not an object.
    NotObject(Value, Place),
    /// Not JSON: Python's message.
    Malformed(String, Place),
    /// Not UTF-8: Python's message (3.1.1 did not catch this one: it always stopped).
    NotUtf8(String, Place),
}

/// Where in meta.json a problem is, for the diagnostic.
pub(crate) struct Place {
    source: Source,
    span: std::ops::Range<usize>,
    label: &'static str,
}

impl Meta {
    /// The object finalize reads fields from (empty unless an object).
    pub(crate) fn fields(&self) -> Map<String, Value> {
        match self {
            Meta::Object(m) => m.clone(),
            _ => Map::new(),
        }
    }

    /// What 3.1.1 stopped with at once, reading the target branch from meta.json: a decode error,
    /// or `meta.get(...)` on JSON that is not an object.
    pub(crate) fn early_failure(&self) -> Option<Failure> {
        match self {
            Meta::NotUtf8(msg, place) => Some(meta_failure(msg.clone(), place)),
            Meta::NotObject(v, place) => {
                let json_kind = match v {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "null",
                };
                let mut f = meta_failure(
                    format!(
                        "'{}' object has no attribute 'get'",
                        crate::support::pyjson::type_name(v)
                    ),
                    place,
                );
                if let Some(d) = f.diagnostics.first_mut() {
                    d.message = format!(
                        "`{}` holds {json_kind}, not a JSON object",
                        place.source.name
                    );
                }
                Some(f)
            }
            _ => None,
        }
    }

    /// What 3.1.1 stopped with later: malformed JSON once the status bootstrap seeded anything
    /// (`load_meta`, for status.json).
    pub(crate) fn seeding_failure(&self, path: &Path) -> Option<Failure> {
        match self {
            Meta::Malformed(msg, place) => Some(meta_failure(
                format!("Malformed JSON in {}: {msg}", path.display()),
                place,
            )),
            _ => None,
        }
    }
}

fn meta_failure(error: String, place: &Place) -> Failure {
    let diag = Diag::error("mission::meta-unusable", error.clone())
        .at(&place.source, place.span.clone(), place.label)
        .with_help("meta.json must be a UTF-8 JSON object (as `spec-kitty agent mission create` writes it); fix or recreate it");
    Failure::with_error_text(diag, error)
}

/// meta.json, read once: what finalize makes of it, and the target branch it names (read as
/// `lint` and `--check` read it, with [`target_in`]).
pub(crate) struct MetaFile {
    pub meta: Meta,
    pub target_branch: Option<String>,
}

pub(crate) fn read(root: &Path, dir: &Path, warnings: &mut Vec<Diag>) -> MetaFile {
    let bytes = std::fs::read(dir.join("meta.json")).ok();
    let target_branch = bytes
        .as_deref()
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(target_in);
    MetaFile {
        meta: state(root, dir, bytes, warnings),
        target_branch,
    }
}

fn state(root: &Path, dir: &Path, bytes: Option<Vec<u8>>, warnings: &mut Vec<Diag>) -> Meta {
    let display = rel_path(root, &dir.join("meta.json"));
    let bytes = match bytes {
        Some(b) => b,
        None => {
            warnings.push(
                Diag::warning(
                    "mission::meta-missing",
                    format!(
                        "meta.json missing in {}; the mission slug is used as mission_id",
                        dir.display()
                    ),
                )
                .with_help("`spec-kitty agent mission create` writes meta.json with a mission_id"),
            );
            return Meta::Missing;
        }
    };
    let text = match crate::support::utf8::decode(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let end = (e.start + '\u{fffd}'.len_utf8()).min(lossy.len());
            let place = Place {
                source: Source::new(display, lossy),
                span: e.start..end,
                label: "not UTF-8",
            };
            return Meta::NotUtf8(e.to_string(), place);
        }
    };
    let place = |span: std::ops::Range<usize>, label| Place {
        source: Source::new(display.clone(), text.to_owned()),
        span,
        label,
    };
    match crate::support::pyjson::check(text) {
        Ok(_) => match crate::support::pyjson::to_value(text) {
            Some(Value::Object(m)) => Meta::Object(m),
            Some(v) => {
                let start = text.len() - text.trim_start().len();
                let end = text.trim_end().len().max(start);
                Meta::NotObject(v, place(start..end, "not a JSON object"))
            }
            None => Meta::Malformed("a lone surrogate escape".to_owned(), place(0..0, "here")),
        },
        Err(r) => {
            let msg = r.python_text(text);
            let at = match r {
                crate::support::pyjson::Rejection::Decode { pos, .. } => {
                    text.char_indices().nth(pos).map_or(text.len(), |(b, _)| b)
                }
                crate::support::pyjson::Rejection::TooDeep(_) => 0,
            };
            warnings.push(
                Diag::warning(
                    "mission::meta-unreadable",
                    format!("Failed to read meta.json for event emission: {msg}"),
                )
                .at(
                    &Source::new(display.clone(), text.to_owned()),
                    at..at,
                    "here",
                )
                .with_help(format!(
                    "fix the JSON in `{display}`; finalize stops before seeding the status log while it is unreadable"
                )),
            );
            Meta::Malformed(msg, place(at..at, "here"))
        }
    }
}
