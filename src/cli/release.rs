//! `spec-kitty release check` and `spec-kitty agent release prep`: parse the flags, call
//! [`spec_kitty::release`], render the report (human text or `--json`).

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;

use spec_kitty::release::check::{self, Mode, Options, Report};
use spec_kitty::release::prep::{self, Draft};
use spec_kitty::release::version::Channel;
use spec_kitty::release::{Issue, find_repo_root};
use spec_kitty::support::diagnostics::{Diag, Failure};
use spec_kitty::support::util::UtcTime;

use super::output;

#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Pre-release validation of this repository: version format, Cargo.toml and
    /// .kittify/metadata.yaml agree, CHANGELOG.md has the version's section, tags progress.
    #[command(after_help = "Examples:
  spec-kitty release check --mode branch
  spec-kitty release check --mode tag --tag v3.1.1")]
    Check(CheckArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// Before tagging: the branch is ready to be cut.
    Branch,
    /// At the tag: the tag equals v<version> and is newer than every earlier tag.
    Tag,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// What is being validated.
    #[arg(long, value_enum, default_value = "branch")]
    pub mode: ModeArg,
    /// The tag under test in tag mode (default: GITHUB_REF_NAME / GITHUB_REF).
    #[arg(long, value_name = "vX.Y.Z")]
    pub tag: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AgentReleaseCommand {
    /// Draft the next release: proposed version and a CHANGELOG block from the missions' accepted
    /// work packages. Writes nothing.
    #[command(after_help = "Examples:
  spec-kitty agent release prep --channel stable --json")]
    Prep(PrepArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChannelArg {
    /// The next alpha.
    Alpha,
    /// The next beta.
    Beta,
    /// The next final release.
    Stable,
}

#[derive(Debug, Args)]
pub struct PrepArgs {
    /// Release channel of the proposed version.
    #[arg(long, value_enum)]
    pub channel: ChannelArg,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: ReleaseCommand) -> ExitCode {
    match cmd {
        ReleaseCommand::Check(args) => run_check(args),
    }
}

pub fn run_agent(cmd: AgentReleaseCommand) -> ExitCode {
    match cmd {
        AgentReleaseCommand::Prep(args) => run_prep(args),
    }
}

fn diag(issue: &Issue) -> Diag {
    let d = Diag::error(issue.code, issue.message.clone());
    match &issue.hint {
        Some(h) => d.with_help(h.clone()),
        None => d,
    }
}

fn cwd(json: bool) -> Result<std::path::PathBuf, ExitCode> {
    std::env::current_dir().map_err(|e| {
        output::failure(
            spec_kitty::support::diagnostics::io_error("io::cwd", std::path::Path::new("."), &e)
                .into(),
            json,
        )
    })
}

fn run_check(args: CheckArgs) -> ExitCode {
    let cwd = match cwd(args.json) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // Outside a repository the report still runs, and names every missing file.
    let root = find_repo_root(&cwd).unwrap_or(cwd);
    let mode = match args.mode {
        ModeArg::Branch => Mode::Branch,
        ModeArg::Tag => Mode::Tag,
    };
    let tag = args.tag.or_else(|| {
        check::tag_from_env(
            std::env::var("GITHUB_REF_NAME").ok().as_deref(),
            std::env::var("GITHUB_REF").ok().as_deref(),
        )
    });
    let report = check::check(&root, &Options { mode, tag });
    if args.json {
        if let Ok(Value::Object(map)) = serde_json::to_value(&report) {
            output::json_versioned(map);
        }
    } else {
        output::stdout_lines(&summary_lines(&report));
        let diags: Vec<Diag> = report.issues.iter().map(diag).collect();
        output::diagnostics(&diags);
    }
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// 3.1.1's "Release Validator Summary".
fn summary_lines(r: &Report) -> Vec<String> {
    let header = "Release Validator Summary";
    let mut lines = vec![
        header.to_owned(),
        "-".repeat(header.len()),
        format!("Mode: {}", r.mode),
        format!("Cargo.toml: {}", r.manifest),
        format!(".kittify/metadata.yaml: {}", r.metadata),
        format!("CHANGELOG.md: {}", r.changelog),
        format!("Version: {}", r.version.as_deref().unwrap_or("N/A")),
        format!("Tag: {}", r.tag.as_deref().unwrap_or("N/A")),
        String::new(),
    ];
    if r.ok {
        lines.push("All required checks passed.".to_owned());
    } else {
        lines.push("Issues detected:".to_owned());
        for (i, issue) in r.issues.iter().enumerate() {
            lines.push(format!("  {}. {}", i + 1, issue.format()));
        }
    }
    lines
}

fn run_prep(args: PrepArgs) -> ExitCode {
    let cwd = match cwd(args.json) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(root) = find_repo_root(&cwd) else {
        let issue = Issue::new(
            "release::manifest-missing",
            format!(
                "no {} found in {} or above it",
                spec_kitty::release::MANIFEST,
                cwd.display()
            ),
        )
        .with_hint("run release prep inside the spec-kitty repository");
        return output::failure(Failure::simple(diag(&issue)), args.json);
    };
    let channel = match args.channel {
        ChannelArg::Alpha => Channel::Alpha,
        ChannelArg::Beta => Channel::Beta,
        ChannelArg::Stable => Channel::Stable,
    };
    let now = UtcTime::now();
    let today = format!("{:04}-{:02}-{:02}", now.year, now.month, now.day);
    let draft = match prep::prep(&root, channel, &today) {
        Ok(d) => d,
        Err(issue) => return output::failure(Failure::simple(diag(&issue)), args.json),
    };
    let warnings: Vec<Diag> = draft
        .warnings
        .iter()
        .map(|w| Diag::warning("release::prep-input", w.clone()))
        .collect();
    output::diagnostics(&warnings);
    if args.json {
        if let Ok(value) = serde_json::to_value(&draft) {
            output::json_line(&value);
        }
    } else {
        output::stdout_lines(&prep_lines(&draft));
    }
    ExitCode::SUCCESS
}

/// The panels of 3.1.1's text mode, as plain sections.
fn prep_lines(d: &Draft) -> Vec<String> {
    let v = &d.proposed_version;
    let mut lines = vec![
        "Version Bump".to_owned(),
        format!("  Channel:  {}", d.channel),
        format!("  Current:  {}", d.current_version),
        format!("  Proposed: {v}"),
        String::new(),
        "Draft Changelog Block".to_owned(),
    ];
    lines.extend(d.changelog_block.lines().map(|l| format!("  {l}")));
    if d.missions.is_empty() {
        lines.push("  (no accepted work packages under kitty-specs/)".to_owned());
    }
    let s = &d.structured_inputs;
    lines.extend([
        String::new(),
        "Structured Inputs".to_owned(),
        format!("  version:           {}", s.version),
        format!("  tag_name:          {}", s.tag_name),
        format!("  release_title:     {}", s.release_title),
        format!("  mission_slug_list: {}", s.mission_slug_list),
        String::new(),
        "Next Steps (Manual)".to_owned(),
        format!(
            "  1. Write the release notes under '## [{v}]' in CHANGELOG.md (this block is a draft, not the notes)."
        ),
        format!(
            "  2. Set the version to {v} in Cargo.toml and .kittify/metadata.yaml, then run: spec-kitty release check --mode branch"
        ),
        format!("  3. gh pr create --title \"Release v{v}\" --body-file <notes>"),
        format!("  4. git tag -a v{v} -m \"Release v{v}\" && git push origin v{v}"),
        "  5. gh run watch".to_owned(),
    ]);
    lines
}
