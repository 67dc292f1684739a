//! Per-WP actions: workspace allocation (top-level `spec-kitty implement`, internal) and
//! `spec-kitty agent action implement` (claim the WP, allocate its workspace, write the prompt).
//!
//! Workspaces come from [`crate::runtime::workspace::resolve_workspace`] only: a code lane gets a git
//! worktree `.worktrees/<slug>-<lane>` on `kitty/mission-<slug>-<lane>` (branched from
//! `kitty/mission-<slug>`, itself created from the target branch when missing); `lane-planning` is
//! the main checkout, with no worktree and no branch. `.worktrees/` is excluded through
//! `.git/info/exclude`, so the loop's own directories never dirty the tree.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::compiler::status::{self, Event};
use crate::project::{MissionRef, rel_path};
use crate::runtime::board::{self, MoveOptions};
use crate::runtime::review_range::{ReviewContext, base_record, review_context};
use crate::runtime::workspace::{self, Workspace, WorkspaceKind};
use crate::runtime::wp_meta::{owned_globs, wp_file};
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git;
use crate::support::util::UtcTime;

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
    /// The pending planning changes committed before the worktree was created.
    pub planning: PlanningCommit,
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
            self.workspace.kind.wp_execution_mode().into(),
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
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::simple(crate::support::diagnostics::io_error(
                "git::exclude",
                dir,
                &e,
            ))
        })?;
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# spec-kitty lane worktrees\n/.worktrees/\n");
    crate::support::util::write_atomic(&exclude, text.as_bytes()).map_err(|e| {
        Failure::simple(crate::support::diagnostics::io_error(
            "git::exclude",
            &exclude,
            &e,
        ))
    })
}

/// Allocates or reuses the workspace of `wp` (the internal `spec-kitty implement`).
pub fn allocate(root: &Path, mission: &MissionRef, wp: &str) -> Result<Allocated, Failure> {
    let manifest = crate::compiler::lanes_manifest::load_manifest(&mission.dir, &mission.slug)?;
    let ws = workspace::resolve_workspace(root, &mission.slug, &manifest, wp)?;
    if ws.kind == WorkspaceKind::RepoRoot {
        return Ok(Allocated {
            wp_id: wp.to_owned(),
            workspace: ws,
            created: false,
            planning: PlanningCommit::default(),
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
            planning: PlanningCommit::default(),
        });
    }
    let planning = commit_planning_artifacts(root, mission, &manifest.target_branch, wp)?;
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
        planning,
    })
}

/// As 3.1.1 before creating a lane worktree: uncommitted changes under the mission's directory
/// (a plan edited after finalize, a new research note) are committed on the target branch, so the
/// worktree starts from them. On another branch that is an error, as it was in 3.1.1. Never
/// committed: temporary files of atomic writes (stray ones from an interrupted run are removed),
/// WP files that do not parse, and files another WP in progress owns; those are reported and left
/// as they are. Returns what was committed and what was left.
fn commit_planning_artifacts(
    root: &Path,
    mission: &MissionRef,
    target_branch: &str,
    wp: &str,
) -> Result<PlanningCommit, Failure> {
    remove_stray_temporaries(&mission.dir);
    let dir = crate::project::rel_path(root, &mission.dir);
    let changed = git::changed_paths(root, &[dir]).map_err(git_err)?;
    if changed.is_empty() {
        return Ok(PlanningCommit::default());
    }
    let current = git::current_branch(root).unwrap_or_default();
    if !target_branch.is_empty() && current != target_branch {
        return Err(fail(
            "action::planning-uncommitted",
            format!(
                "{} has uncommitted planning changes, and they must be committed on {target_branch} (the current branch is {})",
                crate::project::rel_path(root, &mission.dir),
                if current.is_empty() {
                    "detached"
                } else {
                    current.as_str()
                }
            ),
            format!(
                "switch to {target_branch} and run this again (the changes are committed for you), or commit them yourself"
            ),
        ));
    }
    // Files owned by the other WPs being implemented right now (in the main checkout).
    let others: Vec<(String, Vec<String>)> = board::board(root, mission)
        .map(|b| {
            b.wps
                .iter()
                .filter(|w| w.id != wp && matches!(w.lane.as_str(), "claimed" | "in_progress"))
                .map(|w| (w.id.clone(), owned_globs(&mission.dir, &w.id)))
                .collect()
        })
        .unwrap_or_default();
    let mut out = PlanningCommit::default();
    for path in changed {
        let abs = root.join(&path);
        let name = abs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let in_tasks = abs.parent().is_some_and(|p| p == mission.dir.join("tasks"));
        let why = if git::is_transient(&path) {
            Some("a temporary file".to_owned())
        } else if in_tasks
            && crate::compiler::finalize::file_wp_id(&name).is_some()
            && std::fs::read_to_string(&abs).is_ok_and(|t| {
                crate::compiler::tasks::frontmatter::WpFile::parse(&path, "", t).is_err()
            })
        {
            Some("a WP file whose frontmatter does not parse".to_owned())
        } else {
            others
                .iter()
                .find(|(_, globs)| {
                    globs
                        .iter()
                        .any(|g| crate::compiler::ownership::fnmatch(&path, g))
                })
                .map(|(id, _)| format!("owned by {id}, which is in progress"))
        };
        match why {
            Some(why) => out.left.push((path, why)),
            None => out.committed.push(path),
        }
    }
    if !out.committed.is_empty() {
        git::commit_paths(
            root,
            &out.committed,
            &format!(
                "chore: planning artifacts for {}\n\nAuto-committed by spec-kitty before creating the lane worktree for {wp}",
                mission.slug
            ),
        )
        .map_err(git_err)?;
    }
    Ok(out)
}

/// What implement committed of the pending planning changes, and what it left (with why).
#[derive(Debug, Clone, Default)]
pub struct PlanningCommit {
    /// Paths committed (relative to the project).
    pub committed: Vec<String>,
    /// Paths left uncommitted, and why.
    pub left: Vec<(String, String)>,
}

/// Removes the temporary files an interrupted atomic write left in the mission's directory
/// (`.spec-kitty-*.tmp` older than a minute: a live write renames its file within milliseconds).
fn remove_stray_temporaries(mission_dir: &Path) {
    let mut dirs = vec![mission_dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                dirs.push(path);
                continue;
            }
            let stale = meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age.as_secs() >= 60);
            if stale && git::is_transient(&entry.file_name().to_string_lossy()) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
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
    /// Dependencies' approved work merged into the workspace now.
    pub synced: Vec<crate::runtime::lane_sync::Merged>,
}

/// Claims `wp` for `agent`, allocates its workspace, and writes its prompt.
pub fn implement(
    root: &Path,
    mission: &MissionRef,
    wp: Option<&str>,
    agent: Option<&str>,
    force: bool,
) -> Result<Implementing, Failure> {
    let Some(agent) = agent.map(str::trim).filter(|a| !a.is_empty()) else {
        return Err(fail(
            "action::agent-required",
            "--agent is required when starting implementation".into(),
            "pass --agent <name> (the name you use with `spec-kitty next`)".into(),
        ));
    };
    board::require_target_branch(root, mission)?;
    let picked = match wp {
        Some(_) => None,
        None => Some(crate::runtime::schedule::pick_for(
            root,
            mission,
            agent,
            "implement",
        )?),
    };
    let b = board::board(root, mission)?;
    let entry = b.pick(picked.as_deref().or(wp), "planned")?;
    let wp = entry.id.clone();
    // Never hand a WP another agent is working on to a second one.
    if matches!(entry.lane.as_str(), "claimed" | "in_progress")
        && entry.actor != agent
        && entry.actor != "finalize-tasks"
    {
        // The same refusal move-task gives under the lock, given early so no workspace is made.
        return Err(fail(
            "status::claimed-by-other",
            format!("{wp} is already {} by {}", entry.lane, entry.actor),
            "pick another work package (`spec-kitty next --agent <name>` finds one), or ask the holder to release it".into(),
        ));
    }
    if matches!(entry.lane.as_str(), "done" | "canceled" | "in_review") {
        return Err(fail("action::wrong-lane", format!("{wp} is in lane '{}', it cannot be implemented now", entry.lane), "only planned, claimed, in_progress, for_review, approved or blocked WPs can be (re)started".into()));
    }
    let mut warnings = Vec::new();
    let sched = crate::runtime::schedule::Schedule::from_board(root, mission, &b);
    let deps = sched.view(&wp).map(|w| w.deps.clone()).unwrap_or_default();
    let pending = sched.unmet_deps(&wp);
    let unmet: Vec<String> = pending.iter().map(|(d, _)| d.clone()).collect();
    let starting = matches!(entry.lane.as_str(), "planned" | "claimed" | "blocked");
    if !unmet.is_empty() && starting {
        let listed: Vec<String> = pending.iter().map(|(d, l)| format!("{d} ({l})")).collect();
        if !force {
            return Err(fail(
                "status::dependencies-pending",
                format!(
                    "{wp} depends on {}, not approved or done yet",
                    listed.join(", ")
                ),
                format!(
                    "wait for {} to be approved (`spec-kitty next --agent {agent} --mission {}` finds other work), or pass --force to start anyway (recorded)",
                    unmet.join(", "),
                    mission.slug
                ),
            ));
        }
        warnings.push(Diag::warning(
            "action::dependencies-pending",
            format!(
                "{wp} starts before {} (forced; recorded in its events)",
                listed.join(", ")
            ),
        ));
    }
    let dep_override = (!unmet.is_empty() && starting).then(|| {
        format!(
            "Started implementation via action command before its dependencies ({}) were approved (--force)",
            unmet.join(", ")
        )
    });

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
    for (to, restart) in moves {
        let moved = board::move_task(
            root,
            mission,
            &wp,
            to,
            &MoveOptions {
                agent: Some(agent.to_owned()),
                note: Some(match (&dep_override, restart) {
                    (Some(why), _) => why.clone(),
                    (None, true) => "Restarted implementation via action command".into(),
                    (None, false) => "Started implementation via action command".into(),
                }),
                force: restart || dep_override.is_some(),
                ..MoveOptions::default()
            },
        )?;
        events.extend(moved.events);
    }
    // A WP whose dependencies live in other lanes starts from their approved work. Only the agent
    // that won the claim touches the workspace; a conflict leaves it as it was, and running
    // implement again (after resolving it) retries.
    let synced = crate::runtime::lane_sync::sync(root, mission, &wp, &deps, &allocated.workspace)?;
    // Where the WP's work starts: the review diffs from here, so a lane's later WP is not reviewed
    // with the earlier members' commits. Kept from the first start (a rework is reviewed whole).
    if let Some(path) = base_record(root, &mission.slug, &wp)
        && !path.is_file()
        && let Ok(head) = git::head(&allocated.workspace.path)
    {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = crate::support::util::write_atomic(&path, format!("{head}\n").as_bytes());
    }
    if entry.lane == "planned" && !allocated.created {
        let dirty = allocated
            .workspace
            .uncommitted_changes(&mission.slug, &owned_globs(&mission.dir, &wp));
        if !dirty.is_empty() {
            warnings.push(Diag::warning(
                "action::workspace-not-clean",
                format!(
                    "{wp} starts in a workspace with uncommitted changes: {}",
                    dirty
                        .iter()
                        .map(|l| l.get(3..).unwrap_or(l).trim())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let prompt_file = write_prompt(root, mission, &wp, agent, &allocated.workspace)?;
    Ok(Implementing {
        allocated,
        prompt_file,
        events,
        warnings,
        synced,
    })
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
    // 3.1.1's pointer `review-cycle://<slug>/<WP file stem>/<file>`, or a path.
    let path = match reference.strip_prefix("review-cycle://") {
        Some(rest) => match rest.split_once('/') {
            Some((slug, file)) => root
                .join(crate::project::SPECS_DIR)
                .join(slug)
                .join("tasks")
                .join(file),
            None => root.join(rest),
        },
        None if Path::new(&reference).is_absolute() => Path::new(&reference).to_path_buf(),
        None => root.join(&reference),
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
    let subtasks = board::subtasks(&mission.dir, wp);
    if !subtasks.is_empty() {
        text.push_str("## Subtasks (from tasks.md)\n\n");
        for t in &subtasks {
            text.push_str(&t.text);
            text.push('\n');
        }
        text.push('\n');
    }
    text.push_str("## Work package\n\n");
    text.push_str(&body);
    let ids = if subtasks.is_empty() {
        "<T###>".to_owned()
    } else {
        subtasks
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    text.push_str(&format!(
        "\n\n## When done\n\n1. Commit your work in the workspace: `git add <files> && git commit -m \"feat({wp}): ...\"`\n2. Tick subtasks: `spec-kitty agent tasks mark-status {ids} --status done --mission {slug}`\n3. `spec-kitty agent tasks move-task {wp} --to for_review --agent {agent} --mission {slug} --note \"Ready for review\"`\n4. Ask for the next step: `spec-kitty next --agent {agent} --mission {slug} --result success`\n",
        slug = mission.slug
    ));
    let path = std::env::temp_dir().join(format!("spec-kitty-implement-{}-{wp}.md", mission.slug));
    crate::support::util::write_atomic(&path, text.as_bytes()).map_err(|e| {
        Failure::simple(crate::support::diagnostics::io_error(
            "action::prompt",
            &path,
            &e,
        ))
    })?;
    Ok(path)
}

/// What `agent action review` did.
#[derive(Debug, Clone)]
pub struct Reviewing {
    /// The WP.
    pub wp_id: String,
    /// Its workspace.
    pub workspace: Workspace,
    /// The review context.
    pub context: ReviewContext,
    /// The prompt file.
    pub prompt_file: PathBuf,
    /// Where a rejection's feedback goes.
    pub feedback_file: PathBuf,
}

/// Claims the review of `wp` (for_review → in_review) and writes the review prompt.
pub fn review(
    root: &Path,
    mission: &MissionRef,
    wp: Option<&str>,
    agent: Option<&str>,
) -> Result<Reviewing, Failure> {
    let Some(agent) = agent.map(str::trim).filter(|a| !a.is_empty()) else {
        return Err(fail(
            "action::agent-required",
            "--agent is required to claim a review".into(),
            "pass --agent <name>".into(),
        ));
    };
    board::require_target_branch(root, mission)?;
    let picked = match wp {
        Some(_) => None,
        None => Some(crate::runtime::schedule::pick_for(
            root, mission, agent, "review",
        )?),
    };
    let b = board::board(root, mission)?;
    let entry = b.pick(picked.as_deref().or(wp), "for_review")?;
    let wp = entry.id.clone();
    let manifest = crate::compiler::lanes_manifest::load_manifest(&mission.dir, &mission.slug)?;
    let ws = workspace::resolve_workspace(root, &mission.slug, &manifest, &wp)?;
    match entry.lane.as_str() {
        "for_review" => {
            board::move_task(
                root,
                mission,
                &wp,
                "in_review",
                &MoveOptions {
                    agent: Some(agent.to_owned()),
                    note: Some("Started review via action command".into()),
                    ..MoveOptions::default()
                },
            )?;
        }
        "in_review" => {
            if entry.actor != agent {
                return Err(fail(
                    "status::claimed-by-other",
                    format!("{wp} is already in_review by {}", entry.actor),
                    "pick another work package to review".into(),
                ));
            }
        }
        other => {
            return Err(fail(
                "action::wrong-lane",
                format!("{wp} is in lane '{other}', not 'for_review'"),
                format!(
                    "move it to for_review first (`spec-kitty agent tasks move-task {wp} --to for_review`)"
                ),
            ));
        }
    }
    let context = review_context(root, mission, &wp, &ws)?;
    let stem = wp_file(&mission.dir, &wp)
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| wp.clone());
    let cycle_dir = mission.dir.join("tasks").join(&stem);
    let cycle = (1..)
        .find(|n| !cycle_dir.join(format!("review-cycle-{n}.md")).exists())
        .unwrap_or(1);
    let feedback_file = cycle_dir.join(format!("review-cycle-{cycle}.md"));
    let body = wp_file(&mission.dir, &wp)
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let text = format!(
        "# Review {wp} ({slug})\n\nReviewer: {agent}\nWorkspace: {path}\nWorkspace contract: lane {lane} shared by {shared}\n\n## Git review context\n\nBase: {base}\nReviewed: {head}\n\n```\n$ git log --oneline {base}..{head}{paths}\n{log}\n$ git diff --stat {base}...{head}{paths}\n{stat}```\n\nInspect the change yourself with exactly these commands:\n\n```\ncd {path}\ngit log -p {base}..{head}{paths}\ngit diff {base}...{head}{paths}\n```\n\n## Work package\n\n{body}\n\n## Verdict\n\n- Approve: `spec-kitty agent tasks move-task {wp} --to approved --agent {agent} --mission {slug} --note \"Review passed\"`\n- Reject: write the feedback to {fb}, then `spec-kitty agent tasks move-task {wp} --to planned --agent {agent} --mission {slug} --review-feedback-file {fb_rel}`\n",
        slug = mission.slug,
        path = ws.path.display(),
        lane = ws.lane_id,
        shared = ws.lane_wp_ids.join(", "),
        base = context.base,
        head = context.head,
        log = context.commits.join("\n"),
        stat = context.diff_stat,
        paths = if context.paths.is_empty() {
            String::new()
        } else {
            format!(
                " -- {}",
                context
                    .paths
                    .iter()
                    .map(|p| format!("'{p}'"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        },
        fb = feedback_file.display(),
        fb_rel = rel_path(root, &feedback_file),
    );
    let prompt_file =
        std::env::temp_dir().join(format!("spec-kitty-review-{}-{wp}.md", mission.slug));
    crate::support::util::write_atomic(&prompt_file, text.as_bytes()).map_err(|e| {
        Failure::simple(crate::support::diagnostics::io_error(
            "action::prompt",
            &prompt_file,
            &e,
        ))
    })?;
    Ok(Reviewing {
        wp_id: wp,
        workspace: ws,
        context,
        prompt_file,
        feedback_file,
    })
}

/// The actions `agent context resolve` knows.
pub const CONTEXT_ACTIONS: [&str; 7] = [
    "tasks",
    "tasks_outline",
    "tasks_packages",
    "tasks_finalize",
    "implement",
    "review",
    "accept",
];

/// `agent context resolve`: the mission, WP and workspace an action works on, as one payload that
/// is the same for planning and code WPs at the lane boundary.
pub fn resolve_context(
    root: &Path,
    mission: &MissionRef,
    action: &str,
    wp: Option<&str>,
    agent: Option<&str>,
) -> Result<Map<String, Value>, Failure> {
    if !CONTEXT_ACTIONS.contains(&action) {
        return Err(fail(
            "context::invalid-action",
            format!(
                "Invalid action '{action}'. Expected one of: {}.",
                CONTEXT_ACTIONS.join(", ")
            ),
            "pick one of the listed actions".into(),
        ));
    }
    let slug = &mission.slug;
    let agent_name = agent.unwrap_or("<agent>");
    let mut m = Map::new();
    m.insert("success".into(), true.into());
    m.insert("action".into(), action.into());
    m.insert("mission_slug".into(), slug.clone().into());
    m.insert(
        "feature_dir".into(),
        mission.dir.display().to_string().into(),
    );
    let mut wp_fields = Map::new();
    let mut wp_id: Option<String> = None;
    if matches!(action, "implement" | "review") {
        // Without a WP, the scheduler's pick for this agent (the same as `next`).
        let picked = match wp {
            Some(_) => None,
            None => Some(crate::runtime::schedule::pick_for(
                root,
                mission,
                agent.unwrap_or(""),
                action,
            )?),
        };
        let b = board::board(root, mission)?;
        let entry = b.pick(
            picked.as_deref().or(wp),
            if action == "implement" {
                "planned"
            } else {
                "for_review"
            },
        )?;
        let id = entry.id.clone();
        let manifest = crate::compiler::lanes_manifest::load_manifest(&mission.dir, slug)?;
        let ws = workspace::resolve_workspace(root, slug, &manifest, &id)?;
        wp_fields.insert("lane".into(), entry.lane.clone().into());
        wp_fields.insert("lane_id".into(), ws.lane_id.clone().into());
        wp_fields.insert(
            "branch_name".into(),
            ws.branch
                .clone()
                .unwrap_or_else(|| {
                    if manifest.target_branch.is_empty() {
                        "main".into()
                    } else {
                        manifest.target_branch.clone()
                    }
                })
                .into(),
        );
        wp_fields.insert("execution_mode".into(), ws.kind.wp_execution_mode().into());
        wp_fields.insert("resolution_kind".into(), ws.kind.as_str().into());
        wp_fields.insert(
            "workspace_path".into(),
            ws.path.display().to_string().into(),
        );
        wp_id = Some(id);
    }
    m.insert(
        "wp_id".into(),
        wp_id.clone().map_or(Value::Null, Value::String),
    );
    for key in [
        "lane",
        "lane_id",
        "branch_name",
        "execution_mode",
        "resolution_kind",
        "workspace_path",
    ] {
        m.insert(
            key.into(),
            wp_fields.get(key).cloned().unwrap_or(Value::Null),
        );
    }
    let w = wp_id.unwrap_or_else(|| "<WP>".into());
    m.insert(
        "commands".into(),
        serde_json::json!({
            "check_prerequisites": format!("spec-kitty lint --mission {slug}"),
            "finalize_tasks": format!("spec-kitty agent mission finalize-tasks --mission {slug} --json"),
            "workflow": format!("spec-kitty next --agent {agent_name} --mission {slug}"),
            "approve": format!("spec-kitty agent tasks move-task {w} --to approved --agent {agent_name} --mission {slug} --note \"Review passed\""),
            "reject": format!("spec-kitty agent tasks move-task {w} --to planned --agent {agent_name} --mission {slug} --review-feedback-file <file>"),
        }),
    );
    Ok(m)
}
