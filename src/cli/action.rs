//! `spec-kitty agent action implement` and the internal top-level `spec-kitty implement`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use spec_kitty::project;
use spec_kitty::workspace::WorkspaceKind;

use super::output;

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Claim a work package, create or reuse its lane workspace, and write its prompt.
    Implement(ActionArgs),
}

#[derive(Debug, Args)]
pub struct ActionArgs {
    /// The work package (WP01, wp01 or WP01-slug); default: the first planned one.
    pub wp: Option<String>,
    /// Your agent name (required to claim).
    #[arg(long)]
    pub agent: Option<String>,
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long)]
    pub mission: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Internal infrastructure: allocate or reuse the lane worktree for a work package.
///
/// This is an implementation detail of `spec-kitty agent action implement`, kept for direct
/// invokers; it is not a step of the workflow. Drive a mission with `spec-kitty next --agent
/// <name> --mission <slug>` (the loop), and start a WP with `spec-kitty agent action implement
/// <WP> --agent <name>` (the per-WP verb).
#[derive(Debug, Args)]
pub struct ImplementArgs {
    /// The work package (WP01, wp01 or WP01-slug).
    pub wp: String,
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long)]
    pub mission: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

fn meta(dir: &std::path::Path) -> serde_json::Map<String, serde_json::Value> {
    std::fs::read_to_string(dir.join("meta.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

pub fn implement_internal(a: ImplementArgs) -> ExitCode {
    let root = match output::project_root() {
        Ok(r) => r,
        Err(f) => return output::failure(f, a.json),
    };
    let m =
        match project::resolve_mission(&root, a.mission.as_deref(), "spec-kitty implement", a.json)
        {
            Ok(m) => m,
            Err(f) => return output::failure(f, a.json),
        };
    let wp =
        a.wp.split(['-', '_', '.'])
            .next()
            .unwrap_or(&a.wp)
            .to_ascii_uppercase();
    match spec_kitty::action::allocate(&root, &m, &wp) {
        Ok(alloc) => {
            if a.json {
                output::json_line(&serde_json::Value::Object(alloc.json(
                    &root,
                    &m,
                    &meta(&m.dir),
                )));
            } else {
                output::stdout_lines(&[format!(
                    "✓ Workspace for {wp}: {} ({})",
                    alloc.workspace.path.display(),
                    alloc.workspace.lane_id
                )]);
            }
            ExitCode::SUCCESS
        }
        Err(f) => output::failure(f, a.json),
    }
}

pub fn run(cmd: ActionCommand) -> ExitCode {
    let ActionCommand::Implement(a) = cmd;
    let root = match output::project_root() {
        Ok(r) => r,
        Err(f) => return output::failure(f, a.json),
    };
    let m = match project::resolve_mission(
        &root,
        a.mission.as_deref(),
        "spec-kitty agent action implement",
        a.json,
    ) {
        Ok(m) => m,
        Err(f) => return output::failure(f, a.json),
    };
    match spec_kitty::action::implement(&root, &m, a.wp.as_deref(), a.agent.as_deref()) {
        Ok(done) => {
            output::diagnostics(&done.warnings);
            let ws = &done.allocated.workspace;
            if a.json {
                let mut p = done.allocated.json(&root, &m, &meta(&m.dir));
                p.insert(
                    "workspace_path".into(),
                    ws.path.display().to_string().into(),
                );
                p.insert("workspace_kind".into(), ws.kind.as_str().into());
                p.insert("lane_wp_ids".into(), ws.lane_wp_ids.clone().into());
                p.insert(
                    "prompt_file".into(),
                    done.prompt_file.display().to_string().into(),
                );
                output::json_versioned(p);
            } else {
                let wp = &done.allocated.wp_id;
                let agent = a.agent.unwrap_or_default();
                output::stdout_lines(&[
                    format!("📍 Workspace: cd {}", ws.path.display()),
                    format!(
                        "   Lane workspace: {} (shared by {}){}",
                        ws.lane_id,
                        ws.lane_wp_ids.join(", "),
                        if ws.kind == WorkspaceKind::RepoRoot {
                            " — the main checkout"
                        } else {
                            ""
                        }
                    ),
                    "▶▶▶ NEXT STEP: Read the full prompt file now:".to_owned(),
                    format!("    cat {}", done.prompt_file.display()),
                    "After implementation, run:".to_owned(),
                    format!(
                        "  1. git status && git add <your-files> && git commit -m \"feat({wp}): <description>\""
                    ),
                    format!(
                        "  2. spec-kitty agent tasks mark-status <T###> --status done --mission {}",
                        m.slug
                    ),
                    format!(
                        "  3. spec-kitty agent tasks move-task {wp} --to for_review --agent {agent} --mission {} --note \"Ready for review\"",
                        m.slug
                    ),
                ]);
            }
            ExitCode::SUCCESS
        }
        Err(f) => output::failure(f, a.json),
    }
}
