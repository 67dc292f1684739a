//! `spec-kitty agent context resolve`: which WP, workspace and files an action works on.

use std::path::Path;

use serde_json::{Map, Value};

use super::fail;
use crate::project::MissionRef;
use crate::runtime::board;
use crate::runtime::workspace;
use crate::support::diagnostics::Failure;

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
