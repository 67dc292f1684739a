//! `spec-kitty init`: arguments, the optional interactive agent question, and the report.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::Args;

use spec_kitty::project::init::{self, InitOptions, InitOutcome};

use super::output;

const ABOUT: &str = "Create a spec-kitty project: project files only, no git";

const LONG_ABOUT: &str = "\
Create a spec-kitty project in <name> (a new directory) or in the current directory (`.` or no name).

init creates project files only: .kittify/config.yaml, .kittify/metadata.yaml, the auto-managed
.gitignore block, the .gitattributes line, and the slash commands of each chosen agent in that
agent's own folder of the project (.claude/commands/, .codex/prompts/, ...). It writes nothing
outside the project (not in $HOME).

init never runs git: it does not initialise a repository, does not create any commit, and does not
stage, branch or touch .git/ in any way. No flag, variable or setting changes that. Run `git init`
yourself when you want a repository; spec-kitty's mission commands need one.

Re-running init in an initialised directory exits 0 and changes nothing.";

const AFTER_HELP: &str = "\
Next steps after init:
  1. git init                 (your own step, if the directory is not a repository yet)
  2. git add -A && git commit  (commit .kittify/, .gitignore, .gitattributes and the agent
                               files: a clone without them is not a spec-kitty project)
  3. /spec-kitty.specify, /spec-kitty.plan, /spec-kitty.tasks in your agent
  4. spec-kitty next --agent <agent> --mission <slug>       (the mission loop)
     spec-kitty agent action implement <WP> --agent <agent>  (per-WP action the loop calls)
     spec-kitty agent action review <WP> --agent <agent>     (per-WP action the loop calls)

Examples:
  spec-kitty init my-project --ai claude --non-interactive
  spec-kitty init . --ai codex,gemini                       # in the current directory";

#[derive(Debug, Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct InitArgs {
    /// Project directory to create, or `.` (the default) for the current directory.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Agents to install slash commands for, comma-separated (e.g. `codex,claude`).
    #[arg(long = "ai", value_name = "AGENTS")]
    pub ai: Option<String>,
    /// Never ask; fail if something is missing (also on when stdin is not a terminal or
    /// SPEC_KITTY_NON_INTERACTIVE is set).
    #[arg(long = "non-interactive", visible_alias = "yes")]
    pub non_interactive: bool,
}

pub fn run(args: InitArgs) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(c) => c,
        Err(e) => {
            return output::failure(
                spec_kitty::support::diagnostics::io_error(
                    "io::cwd",
                    std::path::Path::new("."),
                    &e,
                )
                .into(),
                false,
            );
        }
    };
    let mut agents = match init::parse_agents(args.ai.as_deref().unwrap_or("")) {
        Ok(a) => a,
        Err(f) => return output::failure(f, false),
    };
    let target = init::target_dir(&cwd, args.name.as_deref());
    if agents.is_empty() && !init::is_initialized(&target) && interactive(args.non_interactive) {
        agents = match ask_agents() {
            Ok(a) => a,
            Err(f) => return output::failure(f, false),
        };
    }
    let opts = InitOptions {
        cwd,
        name: args.name,
        agents,
    };
    match init::init(&opts) {
        Ok(InitOutcome::AlreadyInitialized { target }) => {
            output::stdout_lines(&[format!(
                "Already initialized: {} is a spec-kitty project (.kittify/config.yaml exists). \
                 Nothing was changed.",
                target.display()
            )]);
            ExitCode::SUCCESS
        }
        Ok(InitOutcome::AgentsAdded {
            target,
            agents,
            created,
            config_updated,
        }) => {
            let names: Vec<&str> = agents.iter().map(|a| a.display).collect();
            let mut lines = vec![format!(
                "✓ Added {} to the spec-kitty project in {}",
                names.join(", "),
                target.display()
            )];
            lines.push(format!("  Created {} files:", created.len()));
            lines.extend(created.iter().map(|f| format!("    {f}")));
            lines.push(if config_updated {
                "  Listed in .kittify/config.yaml (agents.available).".to_owned()
            } else {
                "  .kittify/config.yaml was left as it is (its agents list is not in init's layout): add them to agents.available yourself.".to_owned()
            });
            lines.push("  Commit the new files: git add -A && git commit".to_owned());
            output::stdout_lines(&lines);
            ExitCode::SUCCESS
        }
        Ok(InitOutcome::Created(report)) => {
            let mut lines = vec![format!(
                "✓ spec-kitty project created in {}",
                report.target.display()
            )];
            let names: Vec<&str> = report.agents.iter().map(|a| a.display).collect();
            lines.push(format!("  Agents: {}", names.join(", ")));
            lines.push(format!("  Created {} files:", report.created.len()));
            lines.extend(report.created.iter().map(|f| format!("    {f}")));
            for f in &report.updated {
                lines.push(format!("  Updated {f}"));
            }
            lines.push("  No git commands were run.".to_owned());
            lines.push(String::new());
            lines.push("Next steps:".to_owned());
            for (i, step) in report.next_steps.iter().enumerate() {
                let mut it = step.iter();
                if let Some(first) = it.next() {
                    lines.push(format!("  {}. {first}", i + 1));
                }
                lines.extend(it.map(|l| format!("       {l}")));
            }
            output::stdout_lines(&lines);
            ExitCode::SUCCESS
        }
        Err(f) => output::failure(f, false),
    }
}

/// Interactive only when asked for nothing else, stdin is a terminal and the variable is unset.
fn interactive(non_interactive_flag: bool) -> bool {
    let env_says_no = std::env::var("SPEC_KITTY_NON_INTERACTIVE").is_ok_and(|v| {
        matches!(
            v.trim().to_lowercase().as_str(),
            "1" | "true" | "yes" | "y" | "on"
        )
    });
    !non_interactive_flag && !env_says_no && std::io::stdin().is_terminal()
}

fn ask_agents() -> Result<
    Vec<&'static spec_kitty::project::agents::Agent>,
    spec_kitty::support::diagnostics::Failure,
> {
    output::prompt(&format!(
        "Agents to set up (comma-separated; {}) [copilot]: ",
        spec_kitty::project::agents::keys_list()
    ));
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    let answer = if line.trim().is_empty() {
        "copilot"
    } else {
        line.trim()
    };
    init::parse_agents(answer)
}
