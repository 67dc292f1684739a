//! `spec-kitty lint` and `spec-kitty lanes`.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use spec_kitty::compiler::lint::{self, Format};
use spec_kitty::project;

use super::output;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LintFormat {
    #[value(alias = "text")]
    Human,
    Json,
    Github,
    Sarif,
}

/// Runs every finalize-tasks check and the lint rules, writing nothing, and reports every problem.
///
/// Without --mission every mission under kitty-specs/ is linted (as with --all).
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Lint one mission (directory name under kitty-specs/, or its mission_id).
    #[arg(long, conflicts_with = "all")]
    pub mission: Option<String>,
    /// Lint every mission under kitty-specs/ (the default).
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: LintFormat,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Leave warnings out of the human output (they still count in the summary).
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(mut args: LintArgs) -> ExitCode {
    if args.json {
        args.format = LintFormat::Json;
    }
    let json = matches!(args.format, LintFormat::Json | LintFormat::Sarif);
    let root = match output::project_root() {
        Ok(r) => r,
        Err(f) => return output::failure(f, json),
    };
    let results = match &args.mission {
        Some(m) => match project::resolve_mission(&root, Some(m), "spec-kitty lint", false) {
            Ok(mission) => vec![lint::lint_mission(&root, &mission)],
            Err(f) => return output::failure(f, json),
        },
        None => lint::lint_all(&root),
    };
    let format = match args.format {
        LintFormat::Human => Format::Human,
        LintFormat::Json => Format::Json,
        LintFormat::Github => Format::Github,
        LintFormat::Sarif => Format::Sarif,
    };
    let errors: usize = results.iter().map(|r| r.errors()).sum();
    let warnings: usize = results.iter().map(|r| r.warnings()).sum();
    match format {
        Format::Human => {
            let mut text = String::new();
            for r in &results {
                text.push_str(&output::render_quiet(&r.diagnostics, args.quiet));
            }
            text.push_str(&format!(
                "{} mission(s) checked: {errors} error(s), {warnings} warning(s)\n",
                results.len()
            ));
            output::stdout_text(&text);
        }
        Format::Json => output::stdout_text(&lint::render_json(&results)),
        Format::Github => output::stdout_text(&lint::render_github(&results)),
        Format::Sarif => output::stdout_text(&lint::render_sarif(&results)),
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LanesFormat {
    #[value(alias = "human")]
    Text,
    Json,
    Dot,
    Mermaid,
}

/// Shows the lanes finalize-tasks computes for a mission (writing nothing).
#[derive(Debug, Args)]
pub struct LanesArgs {
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long)]
    pub mission: Option<String>,
    /// Explain each lane: the dependency or overlap that joined each WP, the critical path, and
    /// how many WPs can run in parallel at each depth.
    #[arg(long)]
    pub explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: LanesFormat,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

pub fn lanes(mut args: LanesArgs) -> ExitCode {
    if args.json {
        args.format = LanesFormat::Json;
    }
    let json = matches!(args.format, LanesFormat::Json);
    let (root, mission) =
        match output::mission_context(args.mission.as_deref(), "spec-kitty lanes", json) {
            Ok(x) => x,
            Err(code) => return code,
        };
    match spec_kitty::compiler::lane_report::report(&root, &mission) {
        Ok(r) => {
            output::stdout_text(&match args.format {
                LanesFormat::Text => r.text(args.explain),
                LanesFormat::Json => r.json(),
                LanesFormat::Dot => r.dot(),
                LanesFormat::Mermaid => r.mermaid(),
            });
            ExitCode::SUCCESS
        }
        Err(f) => output::failure(f, json),
    }
}
