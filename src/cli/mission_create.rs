//! `spec-kitty agent mission create <slug>`: arguments and rendering.

use std::process::ExitCode;

use clap::Args;

use spec_kitty::project::mission_create::{self, CreateOptions, DEFAULT_MISSION_TYPE};

use super::output;

#[derive(Debug, Args)]
#[command(
    about = "Create a mission: kitty-specs/NNN-<slug>/ with a new mission_id, committed",
    long_about = "\
Create a mission: kitty-specs/NNN-<slug>/ with spec.md, meta.json, tasks/ and an empty status log.

The mission's identity is a new mission_id (a ULID) written to meta.json; the NNN- prefix is
only a display number. spec.md, meta.json and the tasks/ scaffold are committed on the current
branch, each in a commit of its own that leaves anything else you staged alone."
)]
pub struct CreateArgs {
    /// The mission slug, kebab-case (`user-auth`); spec-kitty adds the `NNN-` prefix.
    #[arg(value_name = "SLUG")]
    pub slug: String,
    /// Mission type recorded in meta.json.
    #[arg(long, value_name = "TYPE", default_value = DEFAULT_MISSION_TYPE, alias = "mission")]
    pub mission_type: String,
    /// Branch the mission merges into (default: the current branch).
    #[arg(long, value_name = "BRANCH")]
    pub target_branch: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: CreateArgs) -> ExitCode {
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
                args.json,
            );
        }
    };
    let opts = CreateOptions {
        slug: args.slug,
        mission_type: args.mission_type,
        target_branch: args.target_branch,
    };
    match mission_create::create(&cwd, &opts) {
        Ok(created) => {
            output::diagnostics(&created.warnings);
            if args.json {
                output::json_versioned(created.payload());
            } else {
                output::stdout_lines(&created.lines());
            }
            ExitCode::SUCCESS
        }
        Err(f) => output::failure(f, args.json),
    }
}
