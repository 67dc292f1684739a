//! `spec-kitty completions <shell>` and `spec-kitty man`: a shell completion script and the man
//! pages, all generated from the same clap definitions as `--help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use spec_kitty::support::diagnostics::{Diag, Failure, io_error};
use spec_kitty::support::util::write_atomic;

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

/// Print the spec-kitty man page (roff) on stdout, or write every page into a directory.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  spec-kitty man --dir ~/.local/share/man/man1 && man spec-kitty-agent-mission-finalize-tasks
  spec-kitty man > ~/.local/share/man/man1/spec-kitty.1 && man spec-kitty
  spec-kitty man | man -l -")]
pub struct ManArgs {
    /// Write spec-kitty.1 and a page for each subcommand (spec-kitty-init.1, ...) into DIR,
    /// which must exist, instead of printing the top page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn completions(args: CompletionsArgs) -> ExitCode {
    let mut cmd = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "spec-kitty", &mut script);
    output::stdout_text(&String::from_utf8_lossy(&script));
    ExitCode::SUCCESS
}

pub fn man(args: ManArgs) -> ExitCode {
    let result = match &args.dir {
        None => page(clap_mangen::Man::new(super::Cli::command()))
            .map(|text| output::stdout_text(&String::from_utf8_lossy(&text))),
        Some(dir) => write_pages(dir).map(|written| {
            output::stdout_lines(&[format!("Wrote {written} man pages to {}", dir.display())]);
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(diag) => output::failure(Failure::simple(diag), false),
    }
}

fn page(man: clap_mangen::Man) -> Result<Vec<u8>, Diag> {
    let mut text = Vec::new();
    man.render(&mut text)
        .map_err(|e| Diag::error("io::write", format!("could not render the man page: {e}")))?;
    Ok(text)
}

/// Every page, the top one and one per subcommand at every depth, each written atomically; the
/// number written.
fn write_pages(dir: &Path) -> Result<usize, Diag> {
    fn pages(cmd: clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), Diag> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            pages(sub.clone(), out)?;
        }
        let man =
            clap_mangen::Man::new(cmd).source(concat!("spec-kitty ", env!("CARGO_PKG_VERSION")));
        let name = man.get_filename();
        out.push((name, page(man)?));
        Ok(())
    }
    if !dir.is_dir() {
        return Err(Diag::error(
            "man::no-dir",
            format!("`{}` is not a directory", dir.display()),
        )
        .with_help(format!("create it first: mkdir -p {}", dir.display())));
    }
    // As clap_mangen's own generator: no `help` pages, names built for every subcommand.
    let mut cmd = super::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    pages(cmd, &mut out)?;
    for (name, text) in &out {
        let path = dir.join(name);
        write_atomic(&path, text).map_err(|e| io_error("io::write", &path, &e))?;
    }
    Ok(out.len())
}
