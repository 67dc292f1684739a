//! The emit stage: the only stage that changes anything. Git must be usable first; then every
//! planned file is written (all or none), the bootstrap events are appended under the status
//! lock, and the planning files are committed under the repository's commit lock. From the first
//! write to the commit an interrupt waits.
//!
//! 3.1.1 committed tasks.md, every file in tasks/ and lanes.json; the status files it left
//! uncommitted are committed too (a deliberate difference).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::bootstrap::Bootstrap;
use super::load::Loaded;
use crate::compiler::status::{self, Event};
use crate::project::rel_path;
use crate::support::diagnostics::{Diag, Failure, io_error};
use crate::support::git;
use crate::support::util::write_atomic;

/// What the emit stage did.
pub(crate) struct Emitted {
    /// The commit, when anything changed.
    pub commit: Option<String>,
    /// The paths offered to the commit (3.1.1's `files_committed`), relative to the root.
    pub files: Vec<String>,
}

/// Writes, seeds and commits.
pub(crate) fn emit(
    root: &Path,
    loaded: &Loaded,
    writes: &[(PathBuf, String)],
    bootstrap: &Bootstrap,
    existing: &[Event],
    meta: &Map<String, Value>,
    with_lanes: bool,
) -> Result<Emitted, Failure> {
    if !git::is_repo(root) {
        return Err(Failure::simple(
            Diag::error("git::not-a-repository", format!("`{}` is not a git repository; finalize-tasks commits the planning files", root.display()))
                .with_help("run `git init` (and make a first commit) in the project root, or use --validate-only"),
        ));
    }
    let _critical = crate::support::interrupt::critical();
    write_all_or_none(writes)?;
    if !bootstrap.seeds.is_empty() {
        seed(loaded, bootstrap, existing, meta)?;
    }
    let files = commit_candidates(root, loaded, with_lanes);
    // One spec-kitty git write at a time in this repository.
    let _git_lock = git::commit_lock(root)
        .map_err(|e| Failure::simple(Diag::error("git::lock", e.to_string())))?;
    // What changed under the mission's directory, kept to the candidates: one directory pathspec
    // costs git a few milliseconds, one pathspec per WP file costs it time quadratic in the WPs.
    let candidates: std::collections::HashSet<&str> = files.iter().map(String::as_str).collect();
    let changed = git::changed_paths(root, &[rel_path(root, &loaded.dir)])
        .map_err(|e| Failure::simple(Diag::error("git::status", e.to_string())))?;
    if !changed.iter().any(|p| candidates.contains(p.as_str())) {
        return Ok(Emitted {
            commit: None,
            files,
        });
    }
    let message = format!("Add tasks for feature {}", loaded.slug);
    let commit = git::commit_paths(root, &files, &message).map_err(|e| {
        Failure::with_error_text(
            Diag::error("git::commit", format!("git commit failed: {}", e.message)).with_help(
                "the files were written; commit them yourself or fix the repository and re-run",
            ),
            "Git commit failed: Failed to commit tasks updates",
        )
        .unversioned()
    })?;
    Ok(Emitted {
        commit: Some(commit),
        files,
    })
}

/// Appends the bootstrap events and rewrites the status snapshot.
fn seed(
    loaded: &Loaded,
    bootstrap: &Bootstrap,
    existing: &[Event],
    meta: &Map<String, Value>,
) -> Result<(), Failure> {
    let events_path = loaded.dir.join(status::EVENTS_FILE);
    let _lock = status::lock(&loaded.root, &loaded.slug)
        .map_err(|e| Failure::simple(io_error("status::lock", &events_path, &e)))?;
    let events = bootstrap.events(&loaded.slug);
    status::append_events(&events_path, &events)
        .map_err(|e| Failure::simple(io_error("status::append", &events_path, &e)))?;
    let mut all = existing.to_vec();
    all.extend(events);
    status::write_snapshot(&loaded.dir, &all, &loaded.slug, meta).map_err(|e| {
        Failure::simple(io_error(
            "status::write",
            &loaded.dir.join(status::STATUS_FILE),
            &e,
        ))
    })
}

/// The planning files: tasks.md, every file in tasks/, lanes.json and the status files.
fn commit_candidates(root: &Path, loaded: &Loaded, with_lanes: bool) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    if loaded.dir.join("tasks.md").is_file() {
        files.push(rel_path(root, &loaded.dir.join("tasks.md")));
    }
    let mut task_files: Vec<String> = std::fs::read_dir(loaded.dir.join("tasks"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| rel_path(root, &e.path()))
        .collect();
    task_files.sort();
    files.extend(task_files);
    if with_lanes {
        files.push(rel_path(root, &loaded.dir.join("lanes.json")));
    }
    for f in [status::EVENTS_FILE, status::STATUS_FILE] {
        if loaded.dir.join(f).is_file() {
            files.push(rel_path(root, &loaded.dir.join(f)));
        }
    }
    files
}

/// Writes every file, or, when one write fails, puts back the ones already written and fails.
fn write_all_or_none(writes: &[(PathBuf, String)]) -> Result<(), Failure> {
    let mut done: Vec<(&Path, Option<Vec<u8>>)> = Vec::new();
    for (path, text) in writes {
        let before = std::fs::read(path).ok();
        if let Err(e) = write_atomic(path, text.as_bytes()) {
            for (p, old) in done.into_iter().rev() {
                let _ = match old {
                    Some(bytes) => write_atomic(p, &bytes),
                    None => std::fs::remove_file(p),
                };
            }
            return Err(Failure::simple(io_error("io::write", path, &e)));
        }
        done.push((path, before));
    }
    Ok(())
}
