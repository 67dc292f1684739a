//! Project root and mission lookup: the one rule every command uses.
//!
//! The root is found as spec-kitty 3.1.1 finds it (`SPECIFY_REPO_ROOT`, then walking up through git
//! worktrees and `.kittify/` directories). A mission is named by its directory under `kitty-specs/`
//! or by the `mission_id` in its `meta.json`; when the flag is omitted and the project has exactly one
//! mission, that one is used. Anything else is 3.1.1's `FEATURE_CONTEXT_UNRESOLVED` error.

pub mod agents;
pub mod config;
pub mod init;
pub mod mission_create;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::support::diagnostics::{Diag, Failure};

/// Name of the directory that holds missions.
pub const SPECS_DIR: &str = "kitty-specs";

/// Finds the project root from `start` (normally the current directory).
pub fn find_root(start: &Path) -> Result<PathBuf, Failure> {
    if let Some(env_root) = std::env::var_os("SPECIFY_REPO_ROOT") {
        let p = PathBuf::from(env_root);
        if p.is_dir() && p.join(".kittify").is_dir() {
            return Ok(p);
        }
    }
    let mut fallback: Option<PathBuf> = None;
    for dir in start.ancestors() {
        let git = dir.join(".git");
        if git.is_file() {
            if let Some(main) = worktree_main_checkout(&git)
                && main.join(".kittify").is_dir()
            {
                return Ok(main);
            }
        } else if git.is_dir() && dir.join(".kittify").is_dir() {
            return Ok(dir.to_path_buf());
        }
        if fallback.is_none() && dir.join(".kittify").is_dir() {
            fallback = Some(dir.to_path_buf());
        }
    }
    fallback.ok_or_else(|| {
        Failure::simple(
            Diag::error("project::root-not-found", "Could not locate project root").with_help(
                "run this inside a spec-kitty project (a directory with `.kittify/`), or create one with `spec-kitty init`",
            ),
        )
    })
}

/// For a `.git` file of a linked worktree (`gitdir: <main>/.git/worktrees/<name>`), the main checkout.
fn worktree_main_checkout(git_file: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(git_file).ok()?;
    let gitdir = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
    let gitdir = PathBuf::from(gitdir);
    let gitdir = if gitdir.is_relative() {
        git_file.parent()?.join(gitdir)
    } else {
        gitdir
    };
    // <main>/.git/worktrees/<name> -> <main>
    let worktrees = gitdir.parent()?;
    if worktrees.file_name()? != "worktrees" {
        return None;
    }
    let dot_git = worktrees.parent()?;
    Some(dot_git.parent()?.to_path_buf())
}

/// A mission directory that lookup settled on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissionRef {
    /// The directory name under `kitty-specs/` (the slug, with its `NNN-` prefix if any).
    pub slug: String,
    /// Absolute path of the mission directory.
    pub dir: PathBuf,
}

/// Every mission directory under `kitty-specs/`, sorted by name. Hidden directories are skipped.
pub fn list_missions(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join(SPECS_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Reads `mission_id` from a mission directory's `meta.json`, if there is one.
pub fn read_mission_id(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("meta.json")).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value.get("mission_id")?.as_str().map(str::to_owned)
}

/// Resolves `--mission` (a directory name or a `mission_id`) to a mission directory.
///
/// `command` is the command line shown in the error's example (`spec-kitty agent mission
/// finalize-tasks`); `json` adds `--json` to it as 3.1.1 did.
pub fn resolve_mission(
    root: &Path,
    flag: Option<&str>,
    command: &str,
    json: bool,
) -> Result<MissionRef, Failure> {
    let missions = list_missions(root);
    let wanted = flag.map(str::trim).filter(|s| !s.is_empty());
    match wanted {
        Some(flag_name) => {
            // 3.1.1 joined the name onto `kitty-specs/` as a path, which normalises `001-m/` and
            // `./001-m` to `001-m`.
            let parts: Vec<&str> = flag_name
                .split('/')
                .filter(|p| !p.is_empty() && *p != ".")
                .collect();
            let name = match parts.as_slice() {
                [one] => *one,
                _ => flag_name,
            };
            let by_name = !name.contains(['/', '\\']) && name != "." && name != "..";
            if by_name && missions.iter().any(|m| m == name) {
                return Ok(mission_ref(root, name));
            }
            if let Some(slug) = missions.iter().find(|m| {
                read_mission_id(&root.join(SPECS_DIR).join(m)).as_deref() == Some(flag_name)
            }) {
                return Ok(mission_ref(root, slug));
            }
        }
        None => {
            if missions.len() == 1 {
                return Ok(mission_ref(root, &missions[0]));
            }
        }
    }
    Err(unresolved(&missions, flag, wanted, command, json))
}

fn mission_ref(root: &Path, slug: &str) -> MissionRef {
    MissionRef {
        slug: slug.to_owned(),
        dir: root.join(SPECS_DIR).join(slug),
    }
}

fn unresolved(
    missions: &[String],
    flag: Option<&str>,
    wanted: Option<&str>,
    command: &str,
    json: bool,
) -> Failure {
    let (error, remediation) = if missions.is_empty() {
        (
            "No missions found in kitty-specs/".to_owned(),
            "Run /spec-kitty.specify or: spec-kitty agent mission create <name> --json".to_owned(),
        )
    } else {
        (
            format!(
                "{} missions found, pass --mission <slug> to disambiguate",
                missions.len()
            ),
            "Re-run with --mission <slug>".to_owned(),
        )
    };
    let mut payload = Map::new();
    payload.insert("error_code".into(), "FEATURE_CONTEXT_UNRESOLVED".into());
    payload.insert(
        "mission_flag".into(),
        flag.map_or(Value::Null, |f| Value::String(f.to_owned())),
    );
    // 3.1.1 puts the version third in this payload, not last.
    payload.insert("spec_kitty_version".into(), crate::VERSION.into());
    payload.insert("error".into(), error.clone().into());
    let example = missions.first().map(|first| {
        format!(
            "{command} --mission {first}{}",
            if json { " --json" } else { "" }
        )
    });
    if let Some(example) = &example {
        payload.insert(
            "available_missions".into(),
            Value::Array(missions.iter().map(|m| Value::String(m.clone())).collect()),
        );
        payload.insert("example_command".into(), example.clone().into());
    }
    payload.insert("remediation".into(), remediation.clone().into());

    let message = match wanted {
        Some(name) => format!("mission `{name}` not found in kitty-specs/"),
        None if missions.is_empty() => "no missions found in kitty-specs/".to_owned(),
        None => format!(
            "{} missions found; pass --mission <slug> to choose one",
            missions.len()
        ),
    };
    let help = if missions.is_empty() {
        "create one with `spec-kitty agent mission create <name>`".to_owned()
    } else {
        let shown: Vec<&str> = missions.iter().take(20).map(String::as_str).collect();
        let more = missions.len().saturating_sub(shown.len());
        format!(
            "available missions: {}{}; for example `{}`",
            shown.join(", "),
            if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            },
            example.unwrap_or_default()
        )
    };
    Failure {
        diagnostics: vec![Diag::error("project::mission-unresolved", message).with_help(help)],
        payload,
        versioned: false,
        preamble: Vec::new(),
    }
}

/// Renders `path` relative to `root` with `/` separators, as 3.1.1 listed paths in its JSON.
pub fn rel_path(root: &Path, path: &Path) -> String {
    // A path outside the project is shown whole (joining its components would double the root's
    // slash: `//tmp/x`).
    let Ok(rel) = path.strip_prefix(root) else {
        return path.display().to_string();
    };
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mission_flag_is_read_as_3_1_1_joined_it_onto_kitty_specs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let m = dir.path().join(SPECS_DIR).join("001-m");
        std::fs::create_dir_all(&m).expect("mkdir");
        std::fs::write(m.join("meta.json"), r#"{"mission_id": "01ABC"}"#).expect("write");
        std::fs::create_dir_all(dir.path().join(SPECS_DIR).join("002-n")).expect("mkdir");
        for ok in ["001-m", "001-m/", "./001-m", " 001-m ", "001-m/.", "01ABC"] {
            let r = resolve_mission(dir.path(), Some(ok), "x", false);
            assert_eq!(r.map(|r| r.slug).ok().as_deref(), Some("001-m"), "{ok}");
        }
        for bad in ["kitty-specs/001-m", "001-m/tasks", "..", "", "003"] {
            assert!(
                resolve_mission(dir.path(), Some(bad), "x", false).is_err(),
                "{bad}"
            );
        }
    }
}
