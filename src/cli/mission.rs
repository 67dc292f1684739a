//! `spec-kitty agent mission ...`: create and finalize-tasks.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use spec_kitty::finalize;

use super::output;

#[derive(Debug, Subcommand)]
pub enum MissionCommand {
    // Help text: `mission_create::CreateArgs` (a doc comment here would replace its long help).
    Create(super::mission_create::CreateArgs),
    /// Compile tasks.md and the WP prompt files into WP frontmatter, lanes.json and status events.
    FinalizeTasks(FinalizeArgs),
    /// Accept a mission whose work packages are all approved: move them to done and record the
    /// acceptance in meta.json.
    Accept(AcceptArgs),
}

#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long)]
    pub mission: Option<String>,
    /// Who accepts (default: git's user.name).
    #[arg(long)]
    pub actor: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FinalizeArgs {
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long)]
    pub mission: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Run every check and report what would change; write nothing.
    #[arg(long)]
    pub validate_only: bool,
    /// Drift gate for CI: exit 1 and list the files if finalize would change any; write nothing.
    #[arg(long, conflicts_with = "validate_only")]
    pub check: bool,
}

pub fn run(cmd: MissionCommand) -> ExitCode {
    match cmd {
        MissionCommand::Create(args) => super::mission_create::run(args),
        MissionCommand::FinalizeTasks(args) => finalize(args),
        MissionCommand::Accept(args) => accept(args),
    }
}

fn finalize(args: FinalizeArgs) -> ExitCode {
    let (root, mission) = match output::mission_context(
        args.mission.as_deref(),
        "spec-kitty agent mission finalize-tasks",
        args.json,
    ) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let opts = finalize::Options {
        validate_only: args.validate_only,
        json: args.json,
        check: args.check,
    };
    match finalize::finalize(&root, &mission, opts) {
        Ok(report) => {
            output::diagnostics(&report.warnings);
            if args.json {
                output::json_versioned(report.payload);
            } else {
                output::stdout_lines(&report.lines);
            }
            if report.drift {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(f) => output::failure(f, args.json),
    }
}

fn accept(args: AcceptArgs) -> ExitCode {
    let (root, mission) = match output::mission_context(
        args.mission.as_deref(),
        "spec-kitty agent mission accept",
        args.json,
    ) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match spec_kitty::board::accept(&root, &mission, args.actor.as_deref()) {
        Ok(a) => {
            if args.json {
                let mut p = serde_json::Map::new();
                p.insert("result".into(), "success".into());
                p.insert("mission_slug".into(), mission.slug.clone().into());
                p.insert("accepted_by".into(), a.accepted_by.clone().into());
                p.insert("accepted_at".into(), a.accepted_at.clone().into());
                p.insert("moved_to_done".into(), a.moved.clone().into());
                p.insert(
                    "commit_hash".into(),
                    a.commit
                        .clone()
                        .map_or(serde_json::Value::Null, serde_json::Value::String),
                );
                output::json_versioned(p);
            } else {
                output::stdout_lines(&[
                    format!("✓ Mission {} accepted by {}", mission.slug, a.accepted_by),
                    format!(
                        "  Moved to done: {}",
                        if a.moved.is_empty() {
                            "none".to_owned()
                        } else {
                            a.moved.join(", ")
                        }
                    ),
                ]);
            }
            ExitCode::SUCCESS
        }
        Err(f) => output::failure(f, args.json),
    }
}
