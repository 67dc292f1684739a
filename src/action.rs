//! Per-WP actions: workspace allocation (top-level `spec-kitty implement`, internal) and
//! `spec-kitty agent action implement` (claim the WP, allocate its workspace, write the prompt).
//!
//! Workspaces come from [`crate::workspace::resolve_workspace`] only: a code lane gets a git
//! worktree `.worktrees/<slug>-<lane>` on `kitty/mission-<slug>-<lane>` (branched from
//! `kitty/mission-<slug>`, itself created from the target branch when missing); `lane-planning` is
//! the main checkout, with no worktree and no branch. `.worktrees/` is excluded through
//! `.git/info/exclude`, so the loop's own directories never dirty the tree.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::board::{self, MoveOptions};
use crate::diagnostics::{Diag, Failure};
use crate::git;
use crate::project::{MissionRef, rel_path};
use crate::status::{self, Event};
use crate::util::UtcTime;
use crate::workspace::{self, Workspace, WorkspaceKind};

fn fail(code: &'static str, message: String, help: String) -> Failure {
    Failure::simple(Diag::error(code, message).with_help(help))
}

fn git_err(e: git::GitError) -> Failure {
    Failure::simple(Diag::error("git::command", e.to_string()))
}

/// What `implement` allocated.
#[derive(Debug, Clone)]
pub struct Allocated {
    /// The WP.
    pub wp_id: String,
    /// Its workspace.
    pub workspace: Workspace,
    /// Whether a worktree was created now (false when reused or the planning lane).
    pub created: bool,
}

impl Allocated {
    /// 3.1.1's `implement --json` payload.
    pub fn json(
        &self,
        root: &Path,
        mission: &MissionRef,
        meta: &Map<String, Value>,
    ) -> Map<String, Value> {
        let ws = if self.workspace.kind == WorkspaceKind::RepoRoot {
            ".".to_owned()
        } else {
            rel_path(root, &self.workspace.path)
        };
        let mut m = Map::new();
        m.insert("workspace".into(), ws.clone().into());
        m.insert("workspace_path".into(), ws.into());
        m.insert(
            "branch".into(),
            self.workspace
                .branch
                .clone()
                .map_or(Value::Null, Value::String),
        );
        m.insert("mission_slug".into(), mission.slug.clone().into());
        m.insert(
            "mission_number".into(),
            meta.get("mission_number").cloned().unwrap_or(Value::Null),
        );
        m.insert(
            "mission_type".into(),
            meta.get("mission_type")
                .cloned()
                .unwrap_or_else(|| "software-dev".into()),
        );
        m.insert("wp_id".into(), self.wp_id.clone().into());
        m.insert("lane_id".into(), self.workspace.lane_id.clone().into());
        m.insert(
            "execution_mode".into(),
            if self.workspace.kind == WorkspaceKind::RepoRoot {
                "planning_artifact"
            } else {
                "code_change"
            }
            .into(),
        );
        m.insert("status".into(), "created".into());
        m
    }
}

/// Keeps `.worktrees/` out of `git status` without touching tracked files.
fn exclude_worktrees(root: &Path) -> Result<(), Failure> {
    let common = git::run(
        root,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )
    .map_err(git_err)?;
    let exclude = PathBuf::from(common.trim()).join("info").join("exclude");
    let current = std::fs::read_to_string(&exclude).unwrap_or_default();
    if current
        .lines()
        .any(|l| l.trim() == "/.worktrees/" || l.trim() == ".worktrees/")
    {
        return Ok(());
    }
    if let Some(dir) = exclude.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::simple(crate::diagnostics::io_error("git::exclude", dir, &e)))?;
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# spec-kitty lane worktrees\n/.worktrees/\n");
    crate::util::write_atomic(&exclude, text.as_bytes())
        .map_err(|e| Failure::simple(crate::diagnostics::io_error("git::exclude", &exclude, &e)))
}

/// Allocates or reuses the workspace of `wp` (the internal `spec-kitty implement`).
pub fn allocate(root: &Path, mission: &MissionRef, wp: &str) -> Result<Allocated, Failure> {
    let manifest = workspace::load_manifest(&mission.dir, &mission.slug)?;
    let ws = workspace::resolve_workspace(root, &mission.slug, &manifest, wp)?;
    if ws.kind == WorkspaceKind::RepoRoot {
        return Ok(Allocated {
            wp_id: wp.to_owned(),
            workspace: ws,
            created: false,
        });
    }
    if !git::is_repo(root) {
        return Err(fail(
            "git::not-a-repository",
            format!(
                "`{}` is not a git repository; lane worktrees need one",
                root.display()
            ),
            "run `git init` and commit the project".into(),
        ));
    }
    let _lock = git::commit_lock(root).map_err(git_err)?;
    exclude_worktrees(root)?;
    if ws.path.is_dir() {
        return Ok(Allocated {
            wp_id: wp.to_owned(),
            workspace: ws,
            created: false,
        });
    }
    let mission_branch = if manifest.mission_branch.is_empty() {
        format!("kitty/mission-{}", mission.slug)
    } else {
        manifest.mission_branch.clone()
    };
    let exists = |b: &str| {
        git::run(
            root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/heads/{b}"),
            ],
        )
        .is_ok()
    };
    if !exists(&mission_branch) {
        let base = if manifest.target_branch.is_empty() {
            "HEAD".to_owned()
        } else {
            manifest.target_branch.clone()
        };
        git::run(root, &["branch", &mission_branch, &base]).map_err(git_err)?;
    }
    let branch = ws.branch.clone().unwrap_or_default();
    let path = ws.path.display().to_string();
    if exists(&branch) {
        git::run(root, &["worktree", "add", &path, &branch]).map_err(git_err)?;
    } else {
        git::run(
            root,
            &["worktree", "add", "-b", &branch, &path, &mission_branch],
        )
        .map_err(git_err)?;
    }
    Ok(Allocated {
        wp_id: wp.to_owned(),
        workspace: ws,
        created: true,
    })
}

/// What `agent action implement` did.
#[derive(Debug, Clone)]
pub struct Implementing {
    /// The workspace.
    pub allocated: Allocated,
    /// The prompt file written.
    pub prompt_file: PathBuf,
    /// Lane transitions made (claim, start).
    pub events: Vec<Event>,
    /// Warnings (dependencies not yet approved).
    pub warnings: Vec<Diag>,
}

/// Claims `wp` for `agent`, allocates its workspace, and writes its prompt.
pub fn implement(
    root: &Path,
    mission: &MissionRef,
    wp: Option<&str>,
    agent: Option<&str>,
) -> Result<Implementing, Failure> {
    let b = board::board(root, mission)?;
    let wp = match wp {
        Some(w) => w
            .split(['-', '_', '.'])
            .next()
            .unwrap_or(w)
            .to_ascii_uppercase(),
        None => b
            .wps
            .iter()
            .find(|w| w.lane == "planned")
            .map(|w| w.id.clone())
            .ok_or_else(|| {
                fail(
                    "action::nothing-planned",
                    format!("mission `{}` has no planned work package", mission.slug),
                    "name the WP to implement".into(),
                )
            })?,
    };
    let Some(entry) = b.wps.iter().find(|w| w.id == wp) else {
        let known: Vec<String> = b.wps.iter().map(|w| w.id.clone()).collect();
        return Err(fail(
            "status::unknown-wp",
            format!("mission `{}` has no work package {wp}", mission.slug),
            format!("known work packages: {}", known.join(", ")),
        ));
    };
    let Some(agent) = agent.map(str::trim).filter(|a| !a.is_empty()) else {
        return Err(fail(
            "action::agent-required",
            "--agent is required when starting implementation".into(),
            "pass --agent <name> (the name you use with `spec-kitty next`)".into(),
        ));
    };
    // Never hand a WP another agent is working on to a second one.
    let (events_now, _) =
        status::read_events(&mission.dir.join(status::EVENTS_FILE)).unwrap_or_default();
    let (_, states) = status::reduce(&events_now);
    if let Some(s) = states.get(&wp)
        && matches!(s.lane.as_str(), "claimed" | "in_progress")
        && s.actor != agent
        && s.actor != "finalize-tasks"
    {
        return Err(fail("action::claimed-by-other", format!("{wp} is {} by {}", s.lane, s.actor), "pick another WP (`spec-kitty next --agent <name>` finds one), or ask the other agent to release it".into()));
    }
    if matches!(entry.lane.as_str(), "done" | "canceled" | "in_review") {
        return Err(fail("action::wrong-lane", format!("{wp} is in lane '{}', it cannot be implemented now", entry.lane), "only planned, claimed, in_progress, for_review, approved or blocked WPs can be (re)started".into()));
    }
    let mut warnings = Vec::new();
    let deps = wp_dependencies(&mission.dir, &wp);
    let unmet: Vec<String> = deps
        .iter()
        .filter(|d| {
            !matches!(
                states.get(*d).map(|s| s.lane.as_str()),
                Some("approved" | "done")
            )
        })
        .cloned()
        .collect();
    if !unmet.is_empty() {
        warnings.push(Diag::warning(
            "action::dependencies-pending",
            format!(
                "{wp} depends on {} which {} not approved or done yet",
                unmet.join(", "),
                if unmet.len() == 1 { "is" } else { "are" }
            ),
        ));
    }

    let allocated = allocate(root, mission, &wp)?;
    // Claim and start, committing the events with the transition.
    let mut moves: Vec<(&str, bool)> = Vec::new();
    match entry.lane.as_str() {
        "planned" => moves.extend([("claimed", false), ("in_progress", false)]),
        "claimed" => moves.push(("in_progress", false)),
        "in_progress" => {}
        "blocked" => moves.push(("in_progress", false)),
        _ => moves.push(("in_progress", true)),
    }
    let mut events = Vec::new();
    for (to, force) in moves {
        let moved = board::move_task(
            root,
            mission,
            &wp,
            to,
            &MoveOptions {
                agent: Some(agent.to_owned()),
                note: Some(if force {
                    "Restarted implementation via action command".into()
                } else {
                    "Started implementation via action command".into()
                }),
                force,
                ..MoveOptions::default()
            },
        )?;
        events.push(moved.event);
    }
    let prompt_file = write_prompt(root, mission, &wp, agent, &allocated.workspace)?;
    Ok(Implementing {
        allocated,
        prompt_file,
        events,
        warnings,
    })
}

/// The WP's dependencies from its frontmatter (finalize wrote the resolved list there).
pub fn wp_dependencies(mission_dir: &Path, wp: &str) -> Vec<String> {
    wp_file(mission_dir, wp)
        .and_then(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .and_then(|(p, t)| {
            crate::tasks::frontmatter::WpFile::parse(&p.display().to_string(), "", t).ok()
        })
        .and_then(|f| f.meta.dependencies)
        .unwrap_or_default()
}

/// The WP's prompt file.
pub fn wp_file(mission_dir: &Path, wp: &str) -> Option<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(mission_dir.join("tasks"))
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md") && crate::finalize::file_wp_id(n).as_deref() == Some(wp))
        .collect();
    names.sort();
    names.first().map(|n| mission_dir.join("tasks").join(n))
}

/// The last rejection's feedback for `wp`: the review reference of its latest move back to
/// planned or in_progress, and the text of that file when it exists.
pub fn review_feedback(
    root: &Path,
    mission_dir: &Path,
    wp: &str,
) -> Option<(String, Option<String>)> {
    let (events, _) = status::read_events(&mission_dir.join(status::EVENTS_FILE)).ok()?;
    let (ordered, _) = status::reduce(&events);
    let e = ordered.iter().rev().filter(|e| e.wp_id == wp).find(|e| {
        matches!(e.to_lane.as_str(), "planned" | "in_progress")
            && matches!(
                e.from_lane.as_str(),
                "in_review" | "approved" | "in_progress" | "for_review"
            )
    })?;
    let reference = e.review_ref.as_str()?.to_owned();
    if reference == "action-review-claim" {
        return None;
    }
    let path = Path::new(&reference);
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    Some((reference, std::fs::read_to_string(path).ok()))
}

fn write_prompt(
    root: &Path,
    mission: &MissionRef,
    wp: &str,
    agent: &str,
    ws: &Workspace,
) -> Result<PathBuf, Failure> {
    let file = wp_file(&mission.dir, wp);
    let body = file
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let mut text = format!(
        "# Implement {wp} ({slug})\n\nAgent: {agent}\nWorkspace: {path}\nWorkspace contract: lane {lane} shared by {shared}\nStarted: {now}\n\n",
        slug = mission.slug,
        path = ws.path.display(),
        lane = ws.lane_id,
        shared = ws.lane_wp_ids.join(", "),
        now = UtcTime::now().iso_z(),
    );
    text.push_str("Work only inside the workspace above, and only on the files this WP owns (`owned_files`).\n\n");
    if let Some((reference, feedback)) = review_feedback(root, &mission.dir, wp) {
        text.push_str(&format!(
            "## Review feedback to address (from {reference})\n\n"
        ));
        text.push_str(
            feedback
                .as_deref()
                .unwrap_or("(the feedback file is missing; ask the reviewer)\n"),
        );
        text.push_str("\n\n");
    }
    text.push_str("## Work package\n\n");
    text.push_str(&body);
    text.push_str(&format!(
        "\n\n## When done\n\n1. Commit your work in the workspace: `git add <files> && git commit -m \"feat({wp}): ...\"`\n2. Tick subtasks: `spec-kitty agent tasks mark-status T001 --status done --mission {slug}`\n3. `spec-kitty agent tasks move-task {wp} --to for_review --agent {agent} --mission {slug} --note \"Ready for review\"`\n4. Ask for the next step: `spec-kitty next --agent {agent} --mission {slug} --result success`\n",
        slug = mission.slug
    ));
    let path = std::env::temp_dir().join(format!("spec-kitty-implement-{}-{wp}.md", mission.slug));
    crate::util::write_atomic(&path, text.as_bytes())
        .map_err(|e| Failure::simple(crate::diagnostics::io_error("action::prompt", &path, &e)))?;
    Ok(path)
}
