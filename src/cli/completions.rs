//! `spec-kitty completions <shell>` and `spec-kitty man`: a shell completion script and a man page,
//! both generated from the same clap definitions as `--help`.

use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::output;

/// Print a shell completion script for spec-kitty.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  spec-kitty completions bash > ~/.local/share/bash-completion/completions/spec-kitty
  spec-kitty completions zsh > \"${fpath[1]}/_spec-kitty\"
  spec-kitty completions fish > ~/.config/fish/completions/spec-kitty.fish")]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    pub shell: Shell,
}

/// Print the spec-kitty man page (roff) on stdout.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  spec-kitty man > ~/.local/share/man/man1/spec-kitty.1 && man spec-kitty
  spec-kitty man | man -l -")]
pub struct ManArgs {}

pub fn completions(args: CompletionsArgs) -> ExitCode {
    let mut cmd = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "spec-kitty", &mut script);
    output::stdout_text(&String::from_utf8_lossy(&script));
    ExitCode::SUCCESS
}

pub fn man(_args: ManArgs) -> ExitCode {
    let mut page = Vec::new();
    match clap_mangen::Man::new(super::Cli::command()).render(&mut page) {
        Ok(()) => {
            output::stdout_text(&String::from_utf8_lossy(&page));
            ExitCode::SUCCESS
        }
        Err(e) => output::failure(
            spec_kitty::support::diagnostics::Failure::simple(
                spec_kitty::support::diagnostics::Diag::error(
                    "io::write",
                    format!("could not render the man page: {e}"),
                ),
            ),
            false,
        ),
    }
}
