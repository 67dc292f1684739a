//! The command line: clap definitions and dispatch. Each command group lives in its own file, parses
//! its arguments, calls one library function, and renders the result with [`output`].

#![allow(missing_docs)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod action;
mod auth;
mod completions;
mod dashboard;
mod init;
mod lint;
mod merge;
mod mission;
mod mission_create;
mod next;
pub mod output;
mod release;
mod tasks;

/// spec-kitty: spec-driven development for AI coding agents.
#[derive(Debug, Parser)]
#[command(name = "spec-kitty", version, disable_version_flag = true)]
struct Cli {
    /// Print the version and exit.
    #[arg(short = 'v', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    // Help text: `init::InitArgs` (a doc comment here would replace its long help).
    Init(init::InitArgs),
    /// Commands for AI agents (missions, tasks, actions).
    #[command(subcommand)]
    Agent(AgentCommand),
    /// spec-kitty's own release tooling (run in the spec-kitty repository).
    #[command(subcommand)]
    Release(release::ReleaseCommand),
    /// Log in to the spec-kitty server, check the session, refresh or forget the tokens.
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// The loop: report your last step and get the next decision (read-only without --result).
    #[command(after_help = "Examples:
  spec-kitty next --agent claude --mission 001-demo                    # what would come next (read-only)
  spec-kitty next --agent claude --mission 001-demo --result success   # report the last step, get the next one
  spec-kitty next --agent claude --mission 001-demo --result failed    # hold your WP back for everyone
  spec-kitty next --agent claude --mission 001-demo --clear            # drop your failure report")]
    Next(next::NextArgs),
    // Internal infrastructure; the help text comes from `ImplementArgs`.
    #[command(after_help = "Examples:
  spec-kitty implement WP02 --mission 001-demo --json   # only the workspace; prefer `agent action implement`")]
    Implement(action::ImplementArgs),
    /// Check missions for CI: every finalize-tasks check, nothing written, every problem reported.
    #[command(after_help = "Examples:
  spec-kitty lint                                           # every mission, human output
  spec-kitty lint --format github                           # annotations on a pull request
  spec-kitty lint --mission 001-demo --json --deny-warnings
  spec-kitty lint --quiet                                   # errors only")]
    Lint(lint::LintArgs),
    /// Show a mission's execution lanes, and with --explain why each WP is where it is.
    #[command(after_help = "Examples:
  spec-kitty lanes --mission 001-demo --explain
  spec-kitty lanes --mission 001-demo --json
  spec-kitty lanes --mission 001-demo --format dot | dot -Tsvg > lanes.svg")]
    Lanes(lint::LanesArgs),
    // Help text: `merge::MergeArgs`.
    Merge(merge::MergeArgs),
    // Help text: `mission::AcceptArgs`.
    Accept(mission::AcceptArgs),
    // Help text: `dashboard::DashboardArgs`.
    #[command(after_help = "Examples:
  spec-kitty dashboard --open                               # start (or reuse) and open the page
  spec-kitty dashboard --port 9300 --json
  spec-kitty dashboard --kill")]
    Dashboard(dashboard::DashboardArgs),
    // Help text: `completions::CompletionsArgs`.
    Completions(completions::CompletionsArgs),
    // Help text: `completions::ManArgs`.
    Man(completions::ManArgs),
}

#[derive(Debug, Subcommand)]
enum AgentCommand {
    /// Mission lifecycle: create, finalize-tasks, accept, merge.
    #[command(subcommand)]
    Mission(mission::MissionCommand),
    /// Per-WP actions: implement (claim a WP, get its workspace) and review (claim a review, see the diff).
    #[command(subcommand)]
    Action(action::ActionCommand),
    /// Resolve the context (mission, WP, workspace) of an action.
    #[command(subcommand)]
    Context(action::ContextCommand),
    /// Work package lanes: status board, move-task, mark-status.
    #[command(subcommand)]
    Tasks(tasks::TasksCommand),
    /// Release preparation: draft the next version's changelog block.
    #[command(subcommand)]
    Release(release::AgentReleaseCommand),
}

/// Parses the command line, runs the command, and returns the process exit code:
/// 0 success, 1 any handled failure, 2 usage error (clap's own).
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C stops at once, except inside a write phase, which runs to its end first.
    let _ = ctrlc::set_handler(|| {
        if spec_kitty::support::interrupt::on_interrupt() {
            std::process::exit(130);
        }
    });
    let code = dispatch(cli);
    if spec_kitty::support::interrupt::interrupted() {
        output::stderr_lines(&["Interrupted (after the write phase had completed).".to_owned()]);
        return ExitCode::from(130);
    }
    code
}

fn dispatch(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Init(args) => init::run(args),
        Command::Agent(AgentCommand::Mission(cmd)) => mission::run(cmd),
        Command::Agent(AgentCommand::Tasks(cmd)) => tasks::run(cmd),
        Command::Agent(AgentCommand::Action(cmd)) => action::run(cmd),
        Command::Agent(AgentCommand::Context(cmd)) => action::context(cmd),
        Command::Implement(args) => action::implement_internal(args),
        Command::Next(args) => next::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Auth(cmd) => auth::run(cmd),
        Command::Lanes(args) => lint::lanes(args),
        Command::Merge(args) => merge::run(args),
        Command::Accept(args) => mission::accept(args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
        Command::Dashboard(args) => dashboard::run(args),
        Command::Agent(AgentCommand::Release(cmd)) => release::run_agent(cmd),
        Command::Release(cmd) => release::run(cmd),
    }
}
