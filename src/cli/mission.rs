//! `spec-kitty agent mission ...`: create and finalize-tasks.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use spec_kitty::compiler::finalize;

use super::output;

#[derive(Debug, Subcommand)]
pub enum MissionCommand {
    // Help text: `mission_create::CreateArgs` (a doc comment here would replace its long help).
    #[command(after_help = "Examples:
  spec-kitty agent mission create user-auth --json
  spec-kitty agent mission create \"Fix the merge target\" --target-branch develop")]
    Create(super::mission_create::CreateArgs),
    /// Compile tasks.md and the WP prompt files into WP frontmatter, lanes.json and status events.
    #[command(after_help = "Examples:
  spec-kitty agent mission finalize-tasks --mission 001-demo --validate-only   # check, write nothing
  spec-kitty agent mission finalize-tasks --mission 001-demo                   # write and commit
  spec-kitty agent mission finalize-tasks --mission 001-demo --check           # CI drift gate
  spec-kitty agent mission finalize-tasks --mission 001-demo --lanes fan-in    # lanes ordered by dependencies")]
    FinalizeTasks(FinalizeArgs),
    // Help text: `AcceptArgs`.
    Accept(AcceptArgs),
    // Help text: `super::merge::MergeArgs`.
    Merge(super::merge::MergeArgs),
}

/// Check that a mission is ready to merge (every WP approved, subtasks ticked, no clarification
/// markers, artifacts present and committed) and record the acceptance in meta.json, committed on
/// the target branch. Moves no WP: `spec-kitty merge` lands the lanes and moves the WPs to done.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  spec-kitty accept --mission 001-demo                  check and record the acceptance
  spec-kitty accept --mission 001-demo --mode checklist check only, write nothing
  spec-kitty accept --mission 001-demo --json           the result as one JSON document")]
pub struct AcceptArgs {
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long, alias = "feature")]
    pub mission: Option<String>,
    /// auto (pr when the repository has a remote, else local), pr, local, or checklist (check only).
    #[arg(long, default_value = "auto")]
    pub mode: String,
    /// Who accepts (default: git's author identity).
    #[arg(long)]
    pub actor: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Skip the WP file checks.
    #[arg(long)]
    pub lenient: bool,
    /// Check and report; write nothing.
    #[arg(long)]
    pub no_commit: bool,
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
    /// Re-plan even when work packages that have started would move to another lane (their
    /// worktrees are listed as orphaned).
    #[arg(long)]
    pub force: bool,
    /// Lane strategy: `collapse` (3.1.1: a dependency joins two WPs in one lane) or `fan-in`
    /// (only shared files do; dependencies order the lanes). Overrides `lanes.strategy` in
    /// .kittify/config.yaml.
    #[arg(long, value_name = "STRATEGY", value_parser = parse_strategy)]
    pub lanes: Option<spec_kitty::compiler::lanes::Strategy>,
    /// Leave warnings out of the human output (the --json payload keeps them).
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_strategy(s: &str) -> Result<spec_kitty::compiler::lanes::Strategy, String> {
    spec_kitty::compiler::lanes::Strategy::parse(s)
        .ok_or_else(|| format!("`{s}` is not a lane strategy (collapse, fan-in)"))
}

pub fn run(cmd: MissionCommand) -> ExitCode {
    match cmd {
        MissionCommand::Create(args) => super::mission_create::run(args),
        MissionCommand::FinalizeTasks(args) => finalize(args),
        MissionCommand::Accept(args) => accept(args),
        MissionCommand::Merge(args) => super::merge::run(args),
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
        force: args.force,
        lanes: args.lanes,
    };
    match finalize::finalize(&root, &mission, opts) {
        Ok(report) => {
            // The process exits next, which frees the mission faster than dropping it would.
            report.leftovers.leave();
            if args.json {
                output::diagnostics_and_json(report.warnings, args.quiet, report.payload);
            } else {
                output::diagnostics_quiet(&report.warnings, args.quiet);
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

pub fn accept(args: AcceptArgs) -> ExitCode {
    use spec_kitty::runtime::accept::{self, Mode, Outcome};
    let mode = match Mode::parse(&args.mode) {
        Ok(m) => m,
        Err(f) => return output::failure(f, args.json),
    };
    let (root, mission) =
        match output::mission_context(args.mission.as_deref(), "spec-kitty accept", args.json) {
            Ok(x) => x,
            Err(code) => return code,
        };
    let opts = accept::Options {
        mode,
        actor: args.actor.clone(),
        lenient: args.lenient,
        no_commit: args.no_commit,
    };
    match accept::accept(&root, &mission, &opts) {
        Ok(Outcome::Checked(summary)) => {
            if args.json {
                output::json_line(&serde_json::Value::Object(summary.json()));
            } else {
                output::stdout_lines(&[
                    format!("Mission {} is ready for acceptance.", mission.slug),
                    "  No outstanding acceptance issues detected (nothing recorded).".to_owned(),
                ]);
            }
            ExitCode::SUCCESS
        }
        Ok(Outcome::AlreadyAccepted {
            summary,
            accepted_at,
            accepted_by,
        }) => {
            if args.json {
                let mut p = serde_json::Map::new();
                p.insert("result".into(), "already_accepted".into());
                p.insert("accepted_at".into(), accepted_at.into());
                p.insert("accepted_by".into(), accepted_by.into());
                p.insert("commit_created".into(), false.into());
                p.insert("summary".into(), summary.json().into());
                output::json_line(&serde_json::Value::Object(p));
            } else {
                output::stdout_lines(&[
                    format!(
                        "Mission {} is already accepted (by {accepted_by} at {accepted_at}); nothing changed.",
                        mission.slug
                    ),
                    format!("  Next: spec-kitty merge --mission {}", mission.slug),
                ]);
            }
            ExitCode::SUCCESS
        }
        Ok(Outcome::Accepted(a)) => {
            if args.json {
                let mut p = serde_json::Map::new();
                p.insert("result".into(), "accepted".into());
                p.insert("accepted_at".into(), a.accepted_at.clone().into());
                p.insert("accepted_by".into(), a.accepted_by.clone().into());
                p.insert("mode".into(), a.mode.into());
                p.insert("parent_commit".into(), serde_json::json!(a.parent_commit));
                p.insert("accept_commit".into(), serde_json::json!(a.accept_commit));
                p.insert("commit_created".into(), a.accept_commit.is_some().into());
                p.insert("instructions".into(), serde_json::json!(a.instructions));
                p.insert(
                    "cleanup_instructions".into(),
                    serde_json::json!(a.cleanup_instructions),
                );
                p.insert("notes".into(), serde_json::json!([]));
                p.insert("summary".into(), a.summary.json().into());
                output::json_line(&serde_json::Value::Object(p));
            } else {
                let mut lines = vec![
                    format!("✓ Mission {} accepted by {}", mission.slug, a.accepted_by),
                    "  No outstanding acceptance issues detected.".to_owned(),
                ];
                if let Some(c) = &a.accept_commit {
                    lines.push(format!("  Acceptance commit: {}", c.get(..7).unwrap_or(c)));
                }
                lines.push("Next steps:".to_owned());
                lines.extend(a.instructions.iter().map(|i| format!("  - {i}")));
                lines.extend(a.cleanup_instructions.iter().map(|i| format!("  - {i}")));
                output::stdout_lines(&lines);
            }
            ExitCode::SUCCESS
        }
        Err(f) => output::failure(f, args.json),
    }
}
