//! Lane transitions (`agent tasks move-task`): 3.1.1's nine-lane state machine, the steps a
//! forward move goes through, and the guards each step checks under the status lock (holder,
//! dependencies, one agent per lane workspace, review by someone else, committed work).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::compiler::status::{self, Event};
use crate::project::{MissionRef, rel_path};
use crate::runtime::workspace::{self, WorkspaceKind};
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git;
use crate::support::util::UtcTime;

use super::commit::{
    TransitionLocks, append_and_commit_locked, mission_number, require_target_branch,
};
use super::feedback::plan_feedback;
use super::subtasks::open_subtasks;
use super::view::{WpEntry, board, canonical_lane, fail, wp_arg};

/// What a transition requires beyond being allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// No extra requirement.
    None,
    /// An actor (`--agent`).
    Actor,
    /// The WP's workspace exists.
    Workspace,
    /// Every subtask of the WP is checked in tasks.md (or `--force`), and its worktree is clean.
    SubtasksComplete,
    /// A reviewer (`--reviewer`, else the agent, else git's user.name).
    Reviewer,
    /// A review reference (`--review-feedback-file` or `--note`).
    ReviewRef,
    /// A reason (`--note` or `--review-feedback-file`).
    Reason,
}

/// 3.1.1's transition table: `Some(guard)` when `from → to` is allowed.
pub fn allowed(from: &str, to: &str) -> Option<Guard> {
    use Guard::*;
    Some(match (from, to) {
        ("planned", "claimed") => Actor,
        ("claimed", "in_progress") => Workspace,
        ("in_progress", "for_review") => SubtasksComplete,
        ("for_review", "in_review") => Actor,
        // Forward moves step through every lane between (`lane_steps`), so these are single steps.
        ("in_review", "approved" | "in_progress" | "planned" | "blocked" | "canceled") => Reviewer,
        ("approved", "done") => Reviewer,
        ("approved", "in_progress" | "planned") => ReviewRef,
        ("in_progress", "planned") => Reason,
        ("planned" | "claimed" | "in_progress" | "for_review" | "approved", "blocked") => None,
        ("blocked", "in_progress") => None,
        (
            "planned" | "claimed" | "in_progress" | "for_review" | "approved" | "blocked",
            "canceled",
        ) => None,
        _ => return Option::None,
    })
}

/// Options of a lane transition.
#[derive(Debug, Clone, Default)]
pub struct MoveOptions {
    /// Who moves it.
    pub agent: Option<String>,
    /// Why (also the reason a forced move needs).
    pub note: Option<String>,
    /// Reviewer for approvals (default: the agent, else git's user.name).
    pub reviewer: Option<String>,
    /// Review feedback file (a rejection's review reference).
    pub review_feedback_file: Option<PathBuf>,
    /// Bypass the state machine and its guards (needs an actor and a note).
    pub force: bool,
    /// A move to done without the lane branch merged into the target: why.
    pub done_override_reason: Option<String>,
}

/// A transition that happened.
#[derive(Debug, Clone)]
pub struct Moved {
    /// The lane the WP was in.
    pub from: String,
    /// The events appended (one per lane stepped through), in order.
    pub events: Vec<Event>,
    /// The WP's prompt file.
    pub path: PathBuf,
    /// The commit, when the project is a git repository.
    pub commit: Option<String>,
    /// Warnings met on the way (unreadable or torn event-log lines).
    pub warnings: Vec<Diag>,
}

/// Directories of build and tool caches that belong in `.gitignore`, not in a commit.
const CACHE_DIRS: [&str; 7] = [
    "__pycache__/",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    "node_modules/",
    "target/",
    ".venv/",
];

/// When every path is inside a cache directory: those directories (`__pycache__/`, ...), to
/// suggest ignoring them rather than committing them.
fn cache_dirs(paths: &[&str]) -> Option<Vec<&'static str>> {
    let mut found: Vec<&'static str> = Vec::new();
    for p in paths {
        let p = p.trim_matches('"');
        let dir = CACHE_DIRS.iter().find(|d| {
            p.starts_with(*d) || p.contains(&format!("/{d}")) || p == d.trim_end_matches('/')
        })?;
        if !found.contains(dir) {
            found.push(dir);
        }
    }
    (!found.is_empty()).then_some(found)
}

/// Moves a WP to another lane.
pub fn move_task(
    root: &Path,
    mission: &MissionRef,
    wp: &str,
    to: &str,
    opts: &MoveOptions,
) -> Result<Moved, Failure> {
    let wp = wp_arg(wp);
    let Some(to) = canonical_lane(to) else {
        return Err(fail(
            "status::unknown-lane",
            format!("`{to}` is not a lane"),
            "lanes: planned, claimed, in_progress (doing), for_review, in_review, approved, done, blocked, canceled",
        ));
    };
    // The guards read the current lane, so they run under the same locks as the append: two
    // agents claiming one WP at once get one claim and one refusal, never two claims.
    let _locks = TransitionLocks::take(root, &mission.slug)?;
    require_target_branch(root, mission)?;
    let b = board(root, mission)?;
    let entry = b.pick(Some(&wp), "planned")?;
    let manifest = crate::compiler::lanes_manifest::load_manifest(&mission.dir, &mission.slug)?;
    let ws = workspace::resolve_workspace(root, &mission.slug, &manifest, &wp)?;
    let from = canonical_lane(&entry.lane).unwrap_or("planned");
    let actor = opts.agent.clone().filter(|a| !a.trim().is_empty());
    // A WP held by one agent (claimed, in progress or in review) is not moved by another (3.1.1's
    // agent-ownership check; --force overrides it).
    let held_by_other = matches!(from, "claimed" | "in_progress" | "in_review")
        && !entry.actor.is_empty()
        && actor.as_deref().is_some_and(|a| a != entry.actor);
    if !opts.force && held_by_other {
        return Err(fail(
            "status::claimed-by-other",
            format!("{wp} is already {from} by {}", entry.actor),
            "pick another work package (`spec-kitty next --agent <name>` finds one), or ask the holder to release it",
        ));
    }
    if from == to {
        if held_by_other {
            return Err(fail(
                "status::claimed-by-other",
                format!("{wp} is already {to} by {}", entry.actor),
                "pick another work package (`spec-kitty next --agent <name>` finds one), or ask the holder to release it",
            ));
        }
        // Already there: a no-op success, so a scripted retry does not fail.
        return Ok(Moved {
            from: from.to_owned(),
            events: Vec::new(),
            path: root.join(&entry.file),
            commit: None,
            warnings: b.warnings.clone(),
        });
    }
    // As 3.1.1: done means merged. A lane WP goes to done by hand only once its lane branch is in
    // the target (`spec-kitty merge` records done itself, whatever the strategy).
    if to == "done"
        && !opts.force
        && opts.done_override_reason.is_none()
        && let Some(branch) = ws
            .branch
            .as_deref()
            .filter(|b| git::branch_tip(root, b).is_some())
    {
        let target = if manifest.target_branch.is_empty() {
            git::current_branch(root).unwrap_or_else(|| "main".to_owned())
        } else {
            manifest.target_branch.clone()
        };
        if !git::is_ancestor(root, branch, &target) {
            return Err(fail(
                "status::not-merged",
                format!("Merge ancestry check failed: {branch} is not merged into {target}"),
                &format!(
                    "land the mission with `spec-kitty merge --mission {}` (it moves the WPs to done), or pass --done-override-reason \"...\"",
                    mission.slug
                ),
            ));
        }
    }
    let sched = crate::runtime::schedule::Schedule::from_board(root, mission, &b);
    if !opts.force && matches!(to, "claimed" | "in_progress") {
        let unmet = sched.unmet_deps(&wp);
        if !unmet.is_empty() {
            let listed: Vec<String> = unmet.iter().map(|(d, l)| format!("{d} ({l})")).collect();
            return Err(fail(
                "status::dependencies-pending",
                format!(
                    "{wp} depends on {}, not approved or done yet",
                    listed.join(", ")
                ),
                "wait for them to be approved, or pass --force with --agent and --note to start anyway (recorded)",
            ));
        }
    }
    // One agent per workspace: a WP does not start while another agent implements a WP of the
    // same lane (its worktree is theirs until that WP goes to review).
    if !opts.force
        && matches!(to, "claimed" | "in_progress")
        && !matches!(from, "claimed" | "in_progress")
        && let Some(other) = sched
            .view(&wp)
            .and_then(|w| sched.lane_holder(w, actor.as_deref().unwrap_or("")))
    {
        return Err(fail(
            "status::lane-busy",
            format!(
                "{wp}'s workspace ({}) is in use: {} is implementing {} there",
                other.lane_id.as_deref().unwrap_or_default(),
                if other.actor.is_empty() {
                    "someone"
                } else {
                    other.actor.as_str()
                },
                other.id
            ),
            "wait until that work package goes to review (`spec-kitty next --agent <name>` finds other work), or pass --force with --agent and --note",
        ));
    }
    // Review by someone else: the implementer does not approve its own WP while other agents
    // take part in the mission (a solo agent still does, as in 3.1.1).
    let implementer = sched
        .wps
        .iter()
        .find(|w| w.id == wp)
        .and_then(|w| w.implementer.clone());
    let self_review = to == "approved"
        && actor.is_some()
        && implementer.is_some()
        && actor == implementer
        && actor.as_deref().is_some_and(|a| sched.others_present(a));
    if self_review && !opts.force {
        return Err(fail(
            "status::self-review",
            format!(
                "{wp} was implemented by {}; another agent must approve it",
                actor.as_deref().unwrap_or_default()
            ),
            "leave it in review for another agent (`spec-kitty next` offers it to them), or pass --force with --note to approve it yourself (recorded)",
        ));
    }
    let reason = opts.note.clone().or_else(|| {
        opts.done_override_reason
            .as_ref()
            .filter(|_| to == "done")
            .map(|r| format!("done override: {r}"))
    });
    if opts.force && (actor.is_none() || reason.is_none()) {
        return Err(fail(
            "status::force-needs-reason",
            format!("a forced move of {wp} needs --agent and --note"),
            "say who forces the move and why",
        ));
    }
    // Work ready for review: every subtask ticked and the WP's work committed in its workspace.
    let ready = || -> Result<(), Failure> {
        let open = open_subtasks(&mission.dir, &wp);
        if !open.is_empty() {
            return Err(fail(
                "status::subtasks-open",
                format!("{wp} has unchecked subtasks: {}", open.join(", ")),
                &format!(
                    "mark them with `spec-kitty agent tasks mark-status {} --status done --mission {}`, or pass --force",
                    open.join(" "),
                    mission.slug
                ),
            ));
        }
        let owned = crate::runtime::wp_meta::owned_globs(&mission.dir, &wp);
        let dirty = ws.uncommitted_changes(&mission.slug, &owned);
        if !dirty.is_empty() {
            let paths: Vec<&str> = dirty
                .iter()
                .map(|l| l.get(3..).unwrap_or(l).trim())
                .collect();
            let help = match cache_dirs(&paths) {
                Some(dirs) => format!(
                    "these are build or tool caches, not work: add {} to .gitignore in {} (do not commit them)",
                    dirs.join(", "),
                    ws.path.display()
                ),
                None => format!("commit the work in {} first", ws.path.display()),
            };
            return Err(fail(
                "status::dirty-workspace",
                format!(
                    "{wp}'s workspace has uncommitted changes: {}",
                    paths.join(", ")
                ),
                &help,
            ));
        }
        if ws.kind == WorkspaceKind::LaneWorktree
            && crate::runtime::review_range::commits_since_start(root, &mission.slug, &wp, &ws.path)
                == Some(0)
        {
            return Err(fail(
                "status::no-commits",
                format!(
                    "{wp} has no implementation commits in {}",
                    rel_path(root, &ws.path)
                ),
                &format!(
                    "commit the WP's work in {} (or pass --force if there is truly nothing to commit)",
                    ws.path.display()
                ),
            ));
        }
        Ok(())
    };
    let final_to = to;
    // One hop's guard: the evidence and review reference its event carries.
    let hop = |from: &str, to: &str| -> Result<(Value, Value), Failure> {
        let mut evidence = Value::Null;
        let mut review_ref = Value::Null;
        let Some(guard) = allowed(from, to) else {
            return Err(fail(
                "status::illegal-transition",
                format!("{wp} cannot move from {from} to {to}"),
                "follow the lanes planned → claimed → in_progress → for_review → in_review/approved → done, or pass --force with --agent and --note",
            ));
        };
        match guard {
            Guard::None => {}
            // A claim names its agent; a lane only passed through on the way (3.1.1 recorded
            // `user` there) does not need one.
            Guard::Actor if actor.is_none() && to == final_to => {
                return Err(fail(
                    "status::actor-required",
                    format!("moving {wp} to {to} needs --agent"),
                    "pass --agent <name>",
                ));
            }
            Guard::Actor => {}
            Guard::Workspace if !ws.path.is_dir() => {
                return Err(fail(
                    "status::no-workspace",
                    format!(
                        "{wp}'s workspace {} does not exist yet",
                        rel_path(root, &ws.path)
                    ),
                    &format!(
                        "create it with `spec-kitty agent action implement {wp} --agent <name> --mission {}`",
                        mission.slug
                    ),
                ));
            }
            Guard::Workspace => {}
            Guard::SubtasksComplete => ready()?,
            Guard::Reviewer => {
                let reviewer = opts
                    .reviewer
                    .clone()
                    .or_else(|| actor.clone())
                    .or_else(|| {
                        git::run(root, &["config", "user.name"])
                            .ok()
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                    })
                    .unwrap_or_else(|| "unknown".to_owned());
                evidence = serde_json::json!({"review": {"reviewer": reviewer, "verdict": if to == "approved" || to == "done" { "approved" } else { "changes_requested" }, "reference": reason.clone().unwrap_or_else(|| format!("move-task {wp} --to {to}"))}});
            }
            Guard::ReviewRef | Guard::Reason => {
                let r = opts
                    .review_feedback_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .or_else(|| reason.clone());
                let Some(r) = r else {
                    return Err(fail(
                        "status::reason-required",
                        format!("moving {wp} from {from} to {to} needs a reason"),
                        "pass --note \"...\" or --review-feedback-file <file>",
                    ));
                };
                review_ref = Value::String(r);
            }
        }
        Ok((evidence, review_ref))
    };
    // As 3.1.1: a move forward along planned → claimed → in_progress → for_review → in_review →
    // approved → done steps through every lane in between, each step with its own guard (so
    // `--to approved` from for_review is a review claim and an approval); a forced move is one
    // event.
    // A move back to planned is a rejection: as in 3.1.1 it needs a review feedback file (even
    // with --force), which is kept as the WP's next `tasks/<WP file>/review-cycle-N.md`.
    let feedback = if to == "planned" {
        Some(plan_feedback(
            root,
            mission,
            &wp,
            &entry.file,
            opts.review_feedback_file.as_deref(),
            opts.agent.as_deref(),
        )?)
    } else {
        None
    };
    let hops: Vec<&str> = if opts.force {
        vec![to]
    } else {
        lane_steps(from, to)
    };
    // As 3.1.1, before any step: a move to for_review, approved or done needs the WP's work
    // complete and committed (checked again on approval: it may have changed since the review).
    if !opts.force && matches!(to, "for_review" | "approved" | "done") {
        ready()?;
    }
    let mut steps: Vec<(String, String, Value, Value)> = Vec::new();
    let mut cur = from;
    for next in hops {
        let (evidence, review_ref) = if opts.force {
            (Value::Null, Value::Null)
        } else {
            hop(cur, next)?
        };
        steps.push((cur.to_owned(), next.to_owned(), evidence, review_ref));
        cur = next;
    }
    // A review's feedback file is the move's review reference, whatever the guard (the next
    // implement prompt picks it up from there).
    let feedback_ref = match &feedback {
        Some(f) => Some(Value::String(f.pointer.clone())),
        None => opts.review_feedback_file.as_ref().map(|f| {
            Value::String(if f.is_absolute() {
                rel_path(root, f)
            } else {
                f.display().to_string()
            })
        }),
    };
    // An approval of a lane WP records the commit that was reviewed: a dependent lane merges
    // exactly that (lane_sync.rs), never later, unapproved work of the same lane.
    let approved_commit = steps
        .iter()
        .any(|(_, to, _, _)| to == "approved")
        .then(|| crate::runtime::review_range::reviewed_commit(root, mission, &wp, &ws))
        .flatten();
    // 3.1.1's reason when none is given: the whole move.
    let reason = reason.unwrap_or_else(|| format!("move-task: {from} -> {to}"));
    let last = steps.len().saturating_sub(1);
    let events: Vec<Event> = steps
        .into_iter()
        .enumerate()
        .map(|(i, (step_from, step_to, evidence, review_ref))| Event {
            actor: actor.clone().unwrap_or_else(|| "user".to_owned()),
            at: UtcTime::now().isoformat(),
            event_id: status::new_event_id(),
            evidence,
            execution_mode: ws.kind.execution_mode().into(),
            force: opts.force,
            from_lane: step_from,
            mission_slug: mission.slug.clone().into(),
            policy_metadata: {
                let mut meta = Map::new();
                if self_review {
                    meta.insert("self_review".into(), true.into());
                }
                if step_to == "approved"
                    && let Some(c) = &approved_commit
                {
                    meta.insert("approved_commit".into(), c.clone().into());
                }
                if meta.is_empty() {
                    Value::Null
                } else {
                    Value::Object(meta)
                }
            },
            reason: Value::String(reason.clone()),
            review_ref: match &feedback_ref {
                Some(r) if i == last => r.clone(),
                _ => review_ref,
            },
            to_lane: step_to,
            wp_id: wp.clone(),
        })
        .collect();
    // A rejection's feedback is committed with the transition, so the review leaves no untracked
    // file behind in the main checkout.
    let extra: Vec<PathBuf> = match &feedback {
        Some(f) => {
            if let Some(text) = &f.write {
                if let Some(dir) = f.artifact.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        Failure::simple(crate::support::diagnostics::io_error(
                            "status::feedback",
                            dir,
                            &e,
                        ))
                    })?;
                }
                crate::support::util::write_atomic(&f.artifact, text.as_bytes()).map_err(|e| {
                    Failure::simple(crate::support::diagnostics::io_error(
                        "status::feedback",
                        &f.artifact,
                        &e,
                    ))
                })?;
            }
            vec![f.artifact.clone()]
        }
        None => opts
            .review_feedback_file
            .iter()
            .map(|f| {
                if f.is_absolute() {
                    f.clone()
                } else {
                    root.join(f)
                }
            })
            .filter(|f| f.is_file() && f.starts_with(root))
            .collect(),
    };
    let commit = append_and_commit_locked(
        root,
        mission,
        &events,
        &extra,
        &format!(
            "chore: Move {wp} to {to} on spec {}{}",
            mission_number(mission),
            actor.map(|a| format!(" [{a}]")).unwrap_or_default()
        ),
    )?;
    Ok(Moved {
        from: from.to_owned(),
        events,
        path: root.join(&entry.file),
        commit,
        warnings: b.warnings.clone(),
    })
}

/// 3.1.1's dependency alert after a WP went to review: the WPs that depend on it and are not yet
/// done (planned, claimed, in progress), and how each picks up changes a review may ask for. Empty
/// when there are none.
pub fn dependent_alert(root: &Path, mission: &MissionRef, wp: &str) -> Vec<String> {
    let Ok(b) = board(root, mission) else {
        return Vec::new();
    };
    let incomplete: Vec<&WpEntry> = b
        .wps
        .iter()
        .filter(|w| {
            matches!(
                canonical_lane(&w.lane),
                Some("planned" | "claimed" | "in_progress")
            ) && w.deps.iter().any(|d| d == wp)
        })
        .collect();
    if incomplete.is_empty() {
        return Vec::new();
    }
    let Ok(manifest) = crate::compiler::lanes_manifest::load_manifest(&mission.dir, &mission.slug)
    else {
        return Vec::new();
    };
    let resolve = |id: &str| workspace::resolve_workspace(root, &mission.slug, &manifest, id).ok();
    let mine = resolve(wp).and_then(|w| w.branch);
    let mut lines = vec![
        String::new(),
        "⚠️  Dependency Alert".to_owned(),
        format!(
            "{} depend on {wp} (not yet done)",
            incomplete
                .iter()
                .map(|w| w.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        String::new(),
        "If changes are requested during review:".to_owned(),
        "  1. Notify dependent WP agents".to_owned(),
        "  2. Dependent workspaces may need to incorporate your changes".to_owned(),
    ];
    for dep in incomplete {
        let Some(ws) = resolve(&dep.id) else { continue };
        lines.push(match (&ws.branch, &mine) {
            (None, _) => format!(
                "     {}: planning-lane workspace (main repo checkout) — no rebase needed; ensure main is up to date",
                dep.id
            ),
            (Some(b), Some(m)) if b == m => {
                format!("     {}: shares {m} (same lane, no separate rebase command)", dep.id)
            }
            (Some(_), Some(m)) => format!("     cd {} && git rebase {m}", ws.path.display()),
            // The reviewed WP is a planning one: its work is on the target branch.
            (Some(_), None) => format!(
                "     cd {} && git rebase {}",
                ws.path.display(),
                manifest.target_branch
            ),
        });
    }
    lines
}

/// The lanes a move forward steps through, as 3.1.1 emitted them: every lane after `from` up to
/// `to` along planned → claimed → in_progress → for_review → in_review → approved → done; any
/// other move is the one step.
pub fn lane_steps<'a>(from: &str, to: &'a str) -> Vec<&'a str> {
    // The forward lanes: the nine but blocked and canceled.
    const FORWARD: &[&str] = status::LANES.split_at(7).0;
    match (
        FORWARD.iter().position(|l| *l == from),
        FORWARD.iter().position(|l| *l == to),
    ) {
        (Some(i), Some(j)) if j > i => FORWARD[i + 1..=j].to_vec(),
        _ => vec![to],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_moves_step_through_every_lane_between() {
        assert_eq!(
            lane_steps("for_review", "approved"),
            ["in_review", "approved"]
        );
        assert_eq!(
            lane_steps("planned", "in_progress"),
            ["claimed", "in_progress"]
        );
        assert_eq!(lane_steps("planned", "claimed"), ["claimed"]);
        // Backwards, sideways and out of the forward chain: one step.
        assert_eq!(lane_steps("approved", "planned"), ["planned"]);
        assert_eq!(lane_steps("in_progress", "blocked"), ["blocked"]);
        assert_eq!(lane_steps("blocked", "in_progress"), ["in_progress"]);
        // Every step of a forward chain is a transition the state machine allows.
        let steps = lane_steps("planned", "done");
        let mut from = "planned";
        for to in steps {
            assert!(allowed(from, to).is_some(), "{from} -> {to}");
            from = to;
        }
    }
}
