//! Subtasks in tasks.md: listing a WP's subtask lines and ticking them (`agent tasks
//! mark-status`), committed like a transition.

use std::path::Path;

use crate::project::{MissionRef, rel_path};
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git;

use super::commit::{TransitionLocks, mission_number, require_target_branch};
use super::view::fail;

/// Subtask lines of the WP's tasks.md section that are not checked.
pub(super) fn open_subtasks(mission_dir: &Path, wp: &str) -> Vec<String> {
    subtasks(mission_dir, wp)
        .into_iter()
        .filter(|t| !t.done)
        .map(|t| t.id)
        .collect()
}

/// One subtask line of a WP's section in tasks.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtaskLine {
    /// `T001`.
    pub id: String,
    /// Whether its box is checked.
    pub done: bool,
    /// The line as written (without its line break).
    pub text: String,
}

/// The subtasks in `wp`'s section of tasks.md, in file order (none when tasks.md is missing or
/// does not parse).
pub fn subtasks(mission_dir: &Path, wp: &str) -> Vec<SubtaskLine> {
    let Ok(text) = std::fs::read_to_string(mission_dir.join("tasks.md")) else {
        return Vec::new();
    };
    let Ok(doc) = crate::compiler::tasks::parse::parse(&text) else {
        return Vec::new();
    };
    let Some(section) = doc.sections.iter().rev().find(|s| s.id == wp) else {
        return Vec::new();
    };
    doc.subtasks
        .iter()
        .filter(|t| t.span.start >= section.body.start && t.span.start < section.body.end)
        .map(|t| SubtaskLine {
            id: t.id.clone(),
            done: t.done,
            text: text
                .get(t.span.start..t.span.end)
                .unwrap_or_default()
                .trim_end()
                .to_owned(),
        })
        .collect()
}

/// Ticks (or unticks) subtasks in tasks.md: `- [ ] T001` → `- [x] T001`, and commits tasks.md.
/// What `mark-status` did.
#[derive(Debug, Clone, Default)]
pub struct Marked {
    /// The subtasks found (and set), in the order given.
    pub updated: Vec<String>,
    /// The ids tasks.md has no subtask for.
    pub not_found: Vec<String>,
    /// The commit (in git, when tasks.md changed).
    pub commit: Option<String>,
}

/// Ticks (or unticks) subtasks in tasks.md and commits the change. As in 3.1.1, ids tasks.md does
/// not have are reported, not fatal, unless none is found.
pub fn mark_status(
    root: &Path,
    mission: &MissionRef,
    ids: &[String],
    done: bool,
) -> Result<Marked, Failure> {
    let path = mission.dir.join("tasks.md");
    // Read, edit, write and commit under the locks: agents ticking different subtasks at once
    // must not overwrite each other's ticks.
    let _locks = TransitionLocks::take(root, &mission.slug)?;
    require_target_branch(root, mission)?;
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::simple(crate::support::diagnostics::io_error(
            "tasks::read",
            &path,
            &e,
        ))
    })?;
    let doc = crate::compiler::tasks::parse::parse(&text)
        .map_err(|e| Failure::simple(Diag::error("tasks::parse", e.to_string())))?;
    let mut out = text.clone();
    let mut missing = Vec::new();
    let mut updated = Vec::new();
    // Edit back to front so spans stay valid.
    let mut edits: Vec<(usize, char)> = Vec::new();
    for id in ids {
        let id = id.trim().to_ascii_uppercase();
        let lines: Vec<_> = doc.subtasks.iter().filter(|t| t.id == id).collect();
        if lines.is_empty() {
            missing.push(id);
            continue;
        }
        if !updated.contains(&id) {
            updated.push(id.clone());
        }
        for t in lines {
            if let Some(off) = text[t.span.clone()].find('[') {
                edits.push((t.span.start + off + 1, if done { 'x' } else { ' ' }));
            }
        }
    }
    if updated.is_empty() {
        let mut known: Vec<String> = doc.subtasks.iter().map(|t| t.id.clone()).collect();
        known.dedup();
        return Err(fail(
            "tasks::unknown-subtask",
            format!("tasks.md has no subtask {}", missing.join(", ")),
            &format!(
                "subtask lines look like `- [ ] T001 ...`; known: {}",
                known.join(", ")
            ),
        ));
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (at, c) in edits {
        out.replace_range(at..at + 1, &c.to_string());
    }
    let mut marked = Marked {
        updated,
        not_found: missing,
        commit: None,
    };
    if out == text {
        return Ok(marked);
    }
    crate::support::util::write_atomic(&path, out.as_bytes()).map_err(|e| {
        Failure::simple(crate::support::diagnostics::io_error(
            "tasks::write",
            &path,
            &e,
        ))
    })?;
    if !git::is_repo(root) {
        return Ok(marked);
    }
    // 3.1.1's subjects: the id for one subtask, the count for several.
    let what = match marked.updated.as_slice() {
        [one] => one.clone(),
        many => format!("{} subtasks", many.len()),
    };
    marked.commit = Some(
        git::commit_paths(
            root,
            &[rel_path(root, &path)],
            &format!(
                "chore: Mark {what} as {} on spec {}",
                if done { "done" } else { "pending" },
                mission_number(mission)
            ),
        )
        .map_err(|e| Failure::simple(Diag::error("git::commit", e.to_string())))?,
    );
    Ok(marked)
}
