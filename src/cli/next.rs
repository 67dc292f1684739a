//! `spec-kitty next`: ask what to do next in a mission.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use spec_kitty::runtime::next::{self, StepResult};

use super::output;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ResultArg {
    Success,
    Failed,
    Blocked,
}

/// The loop: report the last step's result and get the next decision. Without --result it only
/// shows what would come next (read-only).
#[derive(Debug, Args)]
pub struct NextArgs {
    /// Your agent name (required with --result).
    #[arg(long)]
    pub agent: Option<String>,
    /// Mission directory name under kitty-specs/, or its mission_id.
    #[arg(long)]
    pub mission: Option<String>,
    /// The result of the step you just did.
    #[arg(long, value_enum)]
    pub result: Option<ResultArg>,
    /// Drop the failure you reported earlier (`--result failed|blocked`) without a success.
    #[arg(long, requires = "agent")]
    pub clear: bool,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: NextArgs) -> ExitCode {
    let root = match output::project_root() {
        Ok(r) => r,
        Err(f) => return output::failure(f, a.json),
    };
    let m = match spec_kitty::project::resolve_mission(
        &root,
        a.mission.as_deref(),
        "spec-kitty next",
        a.json,
    ) {
        Ok(m) => m,
        Err(f) => return output::failure(f, a.json),
    };
    if a.clear {
        let agent = a.agent.as_deref().unwrap_or_default().trim();
        if let Err(f) = next::clear_failures(&root, &m.slug, agent) {
            return output::failure(f, a.json);
        }
    }
    let result = a.result.map(|r| match r {
        ResultArg::Success => StepResult::Success,
        ResultArg::Failed => StepResult::Failed,
        ResultArg::Blocked => StepResult::Blocked,
    });
    match next::decide(&root, &m, a.agent.as_deref(), result) {
        Ok(d) => {
            if a.json {
                let meta = std::fs::read_to_string(m.dir.join("meta.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default();
                output::stdout_text(&format!(
                    "{}\n",
                    spec_kitty::support::util::py_json_indent(
                        &d.json(&m, a.agent.as_deref(), &meta),
                        2
                    )
                ));
            } else {
                output::stdout_lines(&d.lines(&m));
            }
            if d.kind == "blocked" {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(f) => output::failure(f, a.json),
    }
}
