//! `spec-kitty agent action implement`: claim the WP, allocate its workspace, write the prompt
//! (with the feedback of a rejected review).

use std::path::{Path, PathBuf};

use super::{Allocated, allocate, fail};
use crate::compiler::status::{self, Event};
use crate::project::MissionRef;
use crate::runtime::board::{self, MoveOptions};
use crate::runtime::review_range::base_record;
use crate::runtime::workspace::Workspace;
use crate::runtime::wp_meta::{owned_globs, wp_file};
use crate::support::diagnostics::{Diag, Failure};
use crate::support::git;
use crate::support::util::UtcTime;

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

pub(super) fn write_prompt(
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
