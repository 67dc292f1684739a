//! spec-kitty's own release tooling: `spec-kitty release check` ([`check`]) and
//! `spec-kitty agent release prep` ([`prep`]).
//!
//! Both work on the spec-kitty repository they run in: the nearest directory at or above the
//! current one that holds a `Cargo.toml` ([`find_repo_root`]). Its two version surfaces are
//! `Cargo.toml` `[package].version` and `.kittify/metadata.yaml` `spec_kitty.version` (3.1.1
//! compared `pyproject.toml` instead). [`version`] parses and orders versions, [`changelog`] reads
//! CHANGELOG.md sections. Everything here returns typed data; `src/cli/release.rs` renders it.
//!
//! To add a check: write it in `check.rs` as a function that pushes [`Issue`]s (never stop at the
//! first problem), give it a code under `release::`, and document it in `docs/release.md`.

pub mod changelog;
pub mod check;
pub mod prep;
pub mod version;

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The manifest file name.
pub const MANIFEST: &str = "Cargo.toml";
/// The project metadata file, relative to the root.
pub const METADATA: &str = ".kittify/metadata.yaml";
/// The changelog file name.
pub const CHANGELOG: &str = "CHANGELOG.md";

/// One problem found by a release command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Stable code, e.g. `release::version-mismatch`.
    pub code: &'static str,
    /// The problem, one line.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Issue {
    /// An issue without a hint.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Issue {
            code,
            message: message.into(),
            hint: None,
        }
    }

    /// Sets the hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// 3.1.1's one-line form: `message (Hint: hint)`.
    pub fn format(&self) -> String {
        match &self.hint {
            Some(h) => format!("{} (Hint: {h})", self.message),
            None => self.message.clone(),
        }
    }
}

/// The nearest directory at or above `start` that holds a `Cargo.toml`.
pub fn find_repo_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(MANIFEST).is_file())
        .map(Path::to_path_buf)
}

/// Reads `[package].version` from the manifest at `path`.
pub fn read_manifest_version(path: &Path) -> Result<String, Issue> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Issue::new(
                "release::manifest-missing",
                format!("{MANIFEST} not found at {}", path.display()),
            )
            .with_hint("run this inside the spec-kitty repository"));
        }
        Err(e) => {
            return Err(Issue::new(
                "release::manifest-unreadable",
                format!("cannot read {}: {e}", path.display()),
            ));
        }
    };
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        Issue::new(
            "release::manifest-unreadable",
            format!(
                "{MANIFEST} is not valid TOML: {}",
                e.message().trim_end_matches('\n')
            ),
        )
    })?;
    let version = table
        .get("package")
        .and_then(|p| p.as_table())
        .and_then(|p| p.get("version"));
    match version {
        Some(toml::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Issue::new(
            "release::manifest-version",
            format!("[package].version in {MANIFEST} must be a string"),
        )
        .with_hint(
            "write the version literally (`version = \"X.Y.Z\"`), not inherited from a workspace",
        )),
        None => Err(Issue::new(
            "release::manifest-version",
            format!("Unable to locate [package].version in {MANIFEST}."),
        )),
    }
}

/// Reads `spec_kitty.version` from `.kittify/metadata.yaml` at `path` (a number is taken as its
/// text, as 3.1.1's `str(version)` did).
pub fn read_metadata_version(path: &Path) -> Result<String, Issue> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Issue::new(
                "release::metadata-missing",
                format!("{METADATA} not found at {}", path.display()),
            )
            .with_hint("this repository dogfoods spec-kitty: restore .kittify/metadata.yaml"));
        }
        Err(e) => {
            return Err(Issue::new(
                "release::metadata-unreadable",
                format!("cannot read {}: {e}", path.display()),
            ));
        }
    };
    let value: serde_json::Value = yaml_serde::from_str(&text).map_err(|e| {
        Issue::new(
            "release::metadata-unreadable",
            format!("{METADATA} is not valid YAML: {e}"),
        )
    })?;
    let version = value.get("spec_kitty").and_then(|s| s.get("version"));
    match version {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
        _ => Err(Issue::new(
            "release::metadata-version",
            format!("{METADATA} missing spec_kitty.version"),
        )),
    }
}
