//! `spec-kitty agent tasks status|move-task|mark-status`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use spec_kitty::runtime::board::{self, MoveOptions};

use super::output;

#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// Show the mission's work packages by lane (a kanban; --json for 3.1.1's keys).
    #[command(after_help = "Examples:
  spec-kitty agent tasks status --mission 001-demo
  spec-kitty agent tasks status --mission 001-demo --json")]
    Status(StatusArgs),
    /// Move a work package to another lane (the 9-lane state machine and its guards).
    #[command(after_help = "Examples:
  spec-kitty agent tasks move-task WP02 --to for_review --agent claude --mission 001-demo
  spec-kitty agent tasks move-task WP02 --to approved --agent reviewer
  spec-kitty agent tasks move-task WP02 --to planned --agent reviewer --review-feedback-file feedback.md")]
    MoveTask(MoveArgs),
    /// Tick (or untick) subtasks in tasks.md: `- [ ] T001` → `- [x] T001`.
    #[command(after_help = "Examples:
  spec-kitty agent tasks mark-status T001 T002 --status done --mission 001-demo")]
    MarkStatus(MarkArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long)]
    pub mission: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The work package (WP01, wp01 or WP01-slug).
    pub wp: String,
    /// The lane: planned, claimed, doing/in_progress, for_review, in_review, approved, done,
    /// blocked, canceled.
    #[arg(long)]
    pub to: String,
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long)]
    pub mission: Option<String>,
    /// Who moves it.
    #[arg(long)]
    pub agent: Option<String>,
    /// Why (recorded as the event's reason).
    #[arg(long)]
    pub note: Option<String>,
    /// Reviewer for approvals (default: --agent, else git's user.name).
    #[arg(long)]
    pub reviewer: Option<String>,
    /// Review feedback (a rejection's reference).
    #[arg(long)]
    pub review_feedback_file: Option<PathBuf>,
    /// Bypass the state machine and its guards (needs --agent and --note).
    #[arg(long)]
    pub force: bool,
    /// Move to done although the WP's lane branch is not merged into the target (recorded as
    /// the reason).
    #[arg(long)]
    pub done_override_reason: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SubtaskStatus {
    Done,
    Pending,
}

#[derive(Debug, Args)]
pub struct MarkArgs {
    /// Subtask ids (T001 ...).
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// The new status.
    #[arg(long, value_enum)]
    pub status: SubtaskStatus,
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long)]
    pub mission: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: TasksCommand) -> ExitCode {
    match cmd {
        TasksCommand::Status(a) => {
            let (root, m) = match output::mission_context(
                a.mission.as_deref(),
                "spec-kitty agent tasks status",
                a.json,
            ) {
                Ok(x) => x,
                Err(code) => return code,
            };
            match board::board(&root, &m) {
                Ok(b) => {
                    output::diagnostics(&b.warnings);
                    if a.json {
                        // 3.1.1 printed this one indented, without `spec_kitty_version`.
                        output::stdout_text(&format!(
                            "{}\n",
                            spec_kitty::support::util::py_json_indent(
                                &serde_json::Value::Object(b.json()),
                                2
                            )
                        ));
                    } else {
                        output::stdout_text(&b.text());
                    }
                    ExitCode::SUCCESS
                }
                Err(f) => output::failure(f, a.json),
            }
        }
        TasksCommand::MoveTask(a) => {
            let (root, m) = match output::mission_context(
                a.mission.as_deref(),
                "spec-kitty agent tasks move-task",
                a.json,
            ) {
                Ok(x) => x,
                Err(code) => return code,
            };
            let wp =
                a.wp.split(['-', '_', '.'])
                    .next()
                    .unwrap_or(&a.wp)
                    .to_owned();
            let opts = MoveOptions {
                agent: a.agent,
                note: a.note,
                reviewer: a.reviewer,
                review_feedback_file: a.review_feedback_file,
                force: a.force,
                done_override_reason: a.done_override_reason,
            };
            match board::move_task(&root, &m, &wp, &a.to, &opts) {
                Ok(moved) => {
                    output::diagnostics(&moved.warnings);
                    let to = moved
                        .events
                        .last()
                        .map_or(moved.from.as_str(), |e| e.to_lane.as_str());
                    if a.json {
                        let mut p = serde_json::Map::new();
                        p.insert("result".into(), "success".into());
                        // 3.1.1's keys.
                        p.insert("task_id".into(), wp.clone().into());
                        p.insert("old_lane".into(), moved.from.clone().into());
                        p.insert("new_lane".into(), to.into());
                        p.insert("path".into(), moved.path.display().to_string().into());
                        p.insert("wp_id".into(), wp.clone().into());
                        p.insert("from_lane".into(), moved.from.clone().into());
                        p.insert("to_lane".into(), to.into());
                        p.insert(
                            "event_ids".into(),
                            moved
                                .events
                                .iter()
                                .map(|e| serde_json::Value::String(e.event_id.clone()))
                                .collect(),
                        );
                        p.insert(
                            "commit_hash".into(),
                            moved
                                .commit
                                .clone()
                                .map_or(serde_json::Value::Null, serde_json::Value::String),
                        );
                        // 3.1.1 printed these without `spec_kitty_version`.
                        output::json_line(&serde_json::Value::Object(p));
                    } else if moved.events.is_empty() {
                        output::stdout_lines(&[format!(
                            "✓ {wp} is already in {to}; nothing changed"
                        )]);
                    } else {
                        output::stdout_lines(&[format!(
                            "✓ Moved {wp} from {} to {to}",
                            moved.from
                        )]);
                        if to == "for_review" {
                            output::stdout_lines(&board::dependent_alert(&root, &m, &wp));
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(f) => output::failure(f, a.json),
            }
        }
        TasksCommand::MarkStatus(a) => {
            let (root, m) = match output::mission_context(
                a.mission.as_deref(),
                "spec-kitty agent tasks mark-status",
                a.json,
            ) {
                Ok(x) => x,
                Err(code) => return code,
            };
            let done = matches!(a.status, SubtaskStatus::Done);
            match board::mark_status(&root, &m, &a.ids, done) {
                Ok(marked) => {
                    let status = if done { "done" } else { "pending" };
                    if !marked.not_found.is_empty() {
                        output::diagnostics(&[spec_kitty::support::diagnostics::Diag::warning(
                            "tasks::unknown-subtask",
                            format!("not found in tasks.md: {}", marked.not_found.join(", ")),
                        )
                        .with_help("subtask lines look like `- [ ] T001 ...`")]);
                    }
                    if a.json {
                        // 3.1.1's keys, then the commit.
                        let mut p = serde_json::Map::new();
                        p.insert("result".into(), "success".into());
                        p.insert("updated".into(), marked.updated.clone().into());
                        p.insert("not_found".into(), marked.not_found.clone().into());
                        p.insert("status".into(), status.into());
                        p.insert("count".into(), marked.updated.len().into());
                        p.insert(
                            "commit_hash".into(),
                            marked
                                .commit
                                .map_or(serde_json::Value::Null, serde_json::Value::String),
                        );
                        // 3.1.1 printed these without `spec_kitty_version`.
                        output::json_line(&serde_json::Value::Object(p));
                    } else {
                        output::stdout_lines(&[format!(
                            "✓ Marked {} as {status}",
                            marked.updated.join(", ")
                        )]);
                    }
                    ExitCode::SUCCESS
                }
                Err(f) => output::failure(f, a.json),
            }
        }
    }
}
