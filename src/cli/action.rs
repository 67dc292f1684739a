//! `spec-kitty agent action implement` and the internal top-level `spec-kitty implement`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use spec_kitty::project;
use spec_kitty::runtime::workspace::WorkspaceKind;

use super::output;

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Claim a work package, create or reuse its lane workspace, and write its prompt.
    #[command(after_help = "Examples:
  spec-kitty agent action implement WP02 --agent claude --mission 001-demo
  spec-kitty agent action implement --agent claude          # what the scheduler picks for claude
  spec-kitty agent action implement WP03 --agent claude --force   # before its dependencies are approved (recorded)")]
    Implement(ImplementActionArgs),
    /// Claim a review (for_review → in_review) and print its git review context and verdict commands.
    #[command(after_help = "Examples:
  spec-kitty agent action review WP02 --agent reviewer --mission 001-demo
  spec-kitty agent action review --agent reviewer           # the first review waiting that reviewer did not implement
  spec-kitty agent action review WP02 --agent reviewer --json")]
    Review(ActionArgs),
}

#[derive(Debug, Args)]
pub struct ImplementActionArgs {
    #[command(flatten)]
    pub action: ActionArgs,
    /// Start the WP although its dependencies are not approved or done (recorded in its events).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ActionArgs {
    /// The work package (WP01, wp01 or WP01-slug); default: the scheduler's pick for --agent (what
    /// `spec-kitty next` gives it).
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

/// The subtask ids of `wp` for the mark-status hint (`T001 T002`), or `<T###>` when it has none.
fn subtask_ids(mission_dir: &std::path::Path, wp: &str) -> String {
    let ids: Vec<String> = spec_kitty::runtime::board::subtasks(mission_dir, wp)
        .into_iter()
        .map(|t| t.id)
        .collect();
    if ids.is_empty() {
        "<T###>".to_owned()
    } else {
        ids.join(" ")
    }
}

/// What implement committed of the pending planning changes, and what it left (on stderr, so
/// `--json` output stays one document).
fn planning_commit_lines(p: &spec_kitty::runtime::action::PlanningCommit) {
    let mut lines = Vec::new();
    if !p.committed.is_empty() {
        lines.push("Committed pending planning changes first:".to_owned());
        lines.extend(p.committed.iter().map(|f| format!("  {f}")));
    }
    if !p.left.is_empty() {
        lines.push("Left uncommitted:".to_owned());
        lines.extend(p.left.iter().map(|(f, why)| format!("  {f} ({why})")));
    }
    output::stderr_lines(&lines);
}

pub fn implement_internal(a: ImplementArgs) -> ExitCode {
    let (root, m) =
        match output::mission_context(a.mission.as_deref(), "spec-kitty implement", a.json) {
            Ok(x) => x,
            Err(code) => return code,
        };
    let wp =
        a.wp.split(['-', '_', '.'])
            .next()
            .unwrap_or(&a.wp)
            .to_ascii_uppercase();
    match spec_kitty::runtime::action::allocate(&root, &m, &wp) {
        Ok(alloc) => {
            planning_commit_lines(&alloc.planning);
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
    let (a, force) = match cmd {
        ActionCommand::Implement(ImplementActionArgs { action, force }) => (action, force),
        ActionCommand::Review(a) => return review(a),
    };
    let (root, m) = match output::mission_context(
        a.mission.as_deref(),
        "spec-kitty agent action implement",
        a.json,
    ) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match spec_kitty::runtime::action::implement(
        &root,
        &m,
        a.wp.as_deref(),
        a.agent.as_deref(),
        force,
    ) {
        Ok(done) => {
            output::diagnostics(&done.warnings);
            planning_commit_lines(&done.allocated.planning);
            output::stderr_lines(
                &done
                    .synced
                    .iter()
                    .map(|m| {
                        format!(
                            "Merged {}'s approved work ({} at {}) into the workspace",
                            m.wp,
                            m.lane,
                            m.commit.get(..7).unwrap_or(&m.commit)
                        )
                    })
                    .collect::<Vec<_>>(),
            );
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
                        "  2. spec-kitty agent tasks mark-status {} --status done --mission {}",
                        subtask_ids(&m.dir, wp),
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

fn review(a: ActionArgs) -> ExitCode {
    let (root, m) = match output::mission_context(
        a.mission.as_deref(),
        "spec-kitty agent action review",
        a.json,
    ) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match spec_kitty::runtime::action::review(&root, &m, a.wp.as_deref(), a.agent.as_deref()) {
        Ok(r) => {
            if a.json {
                let mut p = serde_json::Map::new();
                p.insert("wp_id".into(), r.wp_id.clone().into());
                p.insert("lane_id".into(), r.workspace.lane_id.clone().into());
                p.insert(
                    "workspace_path".into(),
                    r.workspace.path.display().to_string().into(),
                );
                p.insert("workspace_kind".into(), r.workspace.kind.as_str().into());
                p.insert(
                    "branch".into(),
                    r.workspace
                        .branch
                        .clone()
                        .map_or(serde_json::Value::Null, serde_json::Value::String),
                );
                p.insert("base".into(), r.context.base.clone().into());
                p.insert("head".into(), r.context.head.clone().into());
                p.insert("commits".into(), r.context.commits.clone().into());
                p.insert("diff_stat".into(), r.context.diff_stat.clone().into());
                p.insert(
                    "prompt_file".into(),
                    r.prompt_file.display().to_string().into(),
                );
                p.insert(
                    "feedback_file".into(),
                    r.feedback_file.display().to_string().into(),
                );
                output::json_versioned(p);
            } else {
                let agent = a.agent.unwrap_or_default();
                output::stdout_lines(&[
                    format!(
                        "🔍 Reviewing {} in {} ({})",
                        r.wp_id,
                        r.workspace.path.display(),
                        r.workspace.lane_id
                    ),
                    format!(
                        "   Base: {}  ({} commit(s))",
                        r.context.base,
                        r.context.commits.len()
                    ),
                    "▶▶▶ NEXT STEP: Read the full prompt file now:".to_owned(),
                    format!("    cat {}", r.prompt_file.display()),
                    "Then either:".to_owned(),
                    format!(
                        "  spec-kitty agent tasks move-task {} --to approved --agent {agent} --mission {} --note \"Review passed\"",
                        r.wp_id, m.slug
                    ),
                    format!(
                        "  spec-kitty agent tasks move-task {} --to planned --agent {agent} --mission {} --review-feedback-file {}",
                        r.wp_id,
                        m.slug,
                        r.feedback_file.display()
                    ),
                ]);
            }
            ExitCode::SUCCESS
        }
        Err(f) => output::failure(f, a.json),
    }
}

#[derive(Debug, Subcommand)]
pub enum ContextCommand {
    /// Resolve the mission, work package and workspace an action works on.
    #[command(after_help = "Examples:
  spec-kitty agent context resolve --action implement --wp-id WP02 --mission 001-demo --json
  spec-kitty agent context resolve --action review --agent reviewer --json")]
    Resolve(ContextArgs),
}

#[derive(Debug, Args)]
pub struct ContextArgs {
    /// tasks, tasks_outline, tasks_packages, tasks_finalize, implement, review or accept.
    #[arg(long)]
    pub action: String,
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long)]
    pub mission: Option<String>,
    /// The work package (implement and review; default: the next one waiting).
    #[arg(long)]
    pub wp_id: Option<String>,
    /// Agent name, for the rendered commands.
    #[arg(long)]
    pub agent: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn context(cmd: ContextCommand) -> ExitCode {
    let ContextCommand::Resolve(a) = cmd;
    let fail_json = |f: spec_kitty::support::diagnostics::Failure, json: bool| {
        if json {
            let code = f.diagnostics.first().map(|d| d.code).unwrap_or("error");
            let error = f.payload.get("error").cloned().unwrap_or_default();
            output::json_line(
                &serde_json::json!({"success": false, "error_code": code, "error": error}),
            );
            ExitCode::from(1)
        } else {
            output::failure(f, false)
        }
    };
    let root = match output::project_root() {
        Ok(r) => r,
        Err(f) => return fail_json(f, a.json),
    };
    let m = match project::resolve_mission(
        &root,
        a.mission.as_deref(),
        "spec-kitty agent context resolve",
        a.json,
    ) {
        Ok(m) => m,
        Err(f) => return fail_json(f, a.json),
    };
    match spec_kitty::runtime::action::resolve_context(
        &root,
        &m,
        &a.action,
        a.wp_id.as_deref(),
        a.agent.as_deref(),
    ) {
        Ok(p) => {
            if a.json {
                output::stdout_text(&format!(
                    "{}\n",
                    spec_kitty::support::util::py_json_indent(&serde_json::Value::Object(p), 2)
                ));
            } else {
                let mut lines = vec![
                    format!("✓ Resolved {} context", a.action),
                    format!("  Mission: {}", m.slug),
                ];
                if let Some(w) = p.get("wp_id").and_then(|v| v.as_str()) {
                    lines.push(format!(
                        "  Work package: {w} ({})",
                        p["lane"].as_str().unwrap_or("")
                    ));
                    lines.push(format!(
                        "  Lane: {} ({})",
                        p["lane_id"].as_str().unwrap_or(""),
                        p["resolution_kind"].as_str().unwrap_or("")
                    ));
                    lines.push(format!(
                        "  Workspace: {}",
                        p["workspace_path"].as_str().unwrap_or("")
                    ));
                }
                if let Some(cmds) = p.get("commands").and_then(|c| c.as_object()) {
                    for (k, v) in cmds {
                        lines.push(format!("  {k}: {}", v.as_str().unwrap_or("")));
                    }
                }
                output::stdout_lines(&lines);
            }
            ExitCode::SUCCESS
        }
        Err(f) => fail_json(f, a.json),
    }
}
