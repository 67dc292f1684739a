//! The WPs' move to `done`, committed on the target on top of what landed.

use std::path::Path;

use serde_json::{Value, json};

use super::target::{TargetStatus, is_finished, read_json_map, target_status};
use super::{DoneWp, Options, Plan, git_fail};
use crate::compiler::status::{self, Event};
use crate::project::SPECS_DIR;
use crate::support::diagnostics::Failure;
use crate::support::git;
use crate::support::util::UtcTime;

/// Appends the done events to the log as it is in `landed` and commits log and snapshot on top of
/// it. Returns the commit and the WPs moved.
pub(super) fn record_done(
    root: &Path,
    plan: &Plan,
    landed: &str,
    before: &TargetStatus,
    opts: &Options,
) -> Result<(String, Vec<DoneWp>), Failure> {
    let at_landed = target_status(root, plan, landed);
    let mut text = at_landed.events_text.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let mut events = at_landed.events.clone();
    let mut done = Vec::new();
    for lane in &plan.lanes {
        for wp in &lane.wp_ids {
            let from = at_landed.lane_of(wp).to_owned();
            if is_finished(&from) {
                continue;
            }
            let reviewer = before.approver(wp).filter(|_| from == "approved");
            let unapproved = from != "approved";
            let evidence = match &reviewer {
                Some(r) => {
                    json!({"review": {"reference": format!("lane-approved:{wp}"), "reviewer": r, "verdict": "approved"}})
                }
                None => Value::Null,
            };
            let event = Event {
                actor: "merge".into(),
                at: UtcTime::now().isoformat(),
                event_id: status::new_event_id(),
                evidence,
                execution_mode: if lane.is_planning() {
                    "direct_repo"
                } else {
                    "worktree"
                }
                .into(),
                force: unapproved,
                from_lane: from.clone(),
                mission_slug: plan.slug.clone().into(),
                policy_metadata: Value::Null,
                reason: if unapproved && opts.allow_unapproved {
                    format!(
                        "Merged {wp} into {} without approval (--allow-unapproved; it was {from})",
                        plan.target_branch
                    )
                } else {
                    format!("Merged {wp} into {}", plan.target_branch)
                }
                .into(),
                review_ref: Value::Null,
                to_lane: "done".into(),
                wp_id: wp.clone(),
            };
            text.push_str(&event.to_line());
            text.push('\n');
            events.push(event);
            done.push(DoneWp {
                wp_id: wp.clone(),
                reviewer,
            });
        }
    }
    if done.is_empty() {
        return Ok((landed.to_owned(), done));
    }
    done.sort_by(|a, b| a.wp_id.cmp(&b.wp_id));
    let meta = read_json_map(git::show_file(
        root,
        landed,
        &format!("{SPECS_DIR}/{}/meta.json", plan.slug),
    ));
    let snapshot = status::snapshot_json(&events, &plan.slug, &meta);
    let commit = git::commit_files(
        root,
        landed,
        &[
            (before.events_path.clone(), text.into_bytes()),
            (before.status_path.clone(), snapshot.into_bytes()),
        ],
        &format!(
            "chore({}): record done transitions for merged WPs",
            plan.slug
        ),
    )
    .map_err(git_fail)?;
    Ok((commit, done))
}
