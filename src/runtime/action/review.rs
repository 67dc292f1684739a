//! `spec-kitty agent action review`: claim the WP for review and give the reviewer its diff range.

use std::path::{Path, PathBuf};

use super::fail;
use crate::project::{MissionRef, rel_path};
use crate::runtime::board::{self, MoveOptions};
use crate::runtime::review_range::{ReviewContext, review_context};
use crate::runtime::workspace::{self, Workspace};
use crate::runtime::wp_meta::wp_file;
use crate::support::diagnostics::Failure;

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
