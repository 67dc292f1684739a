//! `spec-kitty dashboard`: start (or reuse) the project's dashboard server, open it, or stop it.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Map, Value};
use spec_kitty::dashboard::{lifecycle, server};

use super::output;

/// Open or stop this project's dashboard: a local, read-only web page with every mission's
/// kanban, lane graph and artifacts, updated live. The server runs in the background on
/// 127.0.0.1 and is recorded in .kittify/.dashboard; a second run reuses it.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Preferred port (default 9237); the next free port is used when it is taken.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Open the dashboard in the browser ($BROWSER, else xdg-open or open).
    #[arg(long)]
    pub open: bool,
    /// Show this mission's page (directory name under kitty-specs/, or its mission_id).
    #[arg(long)]
    pub mission: Option<String>,
    /// Stop this project's dashboard (authenticated with its token) and clear its record.
    #[arg(long, conflicts_with_all = ["port", "open", "mission"])]
    pub kill: bool,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Run the server in the foreground (what the background process runs).
    #[arg(long, hide = true, conflicts_with_all = ["kill", "open", "json"])]
    pub serve: bool,
}

pub fn run(a: DashboardArgs) -> ExitCode {
    let root = match output::project_root() {
        Ok(r) => r,
        Err(f) => return output::failure(f, a.json),
    };
    if a.serve {
        return serve(&root, a.port);
    }
    if a.kill {
        return match lifecycle::stop(&root) {
            Ok(s) => {
                if a.json {
                    output::json_versioned(to_map(&s));
                } else {
                    let line = if s.stopped {
                        format!(
                            "✓ Dashboard stopped (port {}, pid {}); .kittify/.dashboard removed.",
                            s.port.map_or_else(|| "?".to_owned(), |p| p.to_string()),
                            s.pid.map_or_else(|| "?".to_owned(), |p| p.to_string())
                        )
                    } else {
                        format!("No dashboard running: {}.", s.message)
                    };
                    output::stdout_lines(&[line]);
                }
                ExitCode::SUCCESS
            }
            Err(f) => output::failure(f, a.json),
        };
    }
    let mission = match &a.mission {
        Some(flag) => match spec_kitty::project::resolve_mission(
            &root,
            Some(flag),
            "spec-kitty dashboard",
            a.json,
        ) {
            Ok(m) => Some(m.slug),
            Err(f) => return output::failure(f, a.json),
        },
        None => None,
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            return output::failure(
                spec_kitty::support::diagnostics::io_error(
                    "dashboard::exe",
                    std::path::Path::new("spec-kitty"),
                    &e,
                )
                .with_help("run spec-kitty from its installed path")
                .into(),
                a.json,
            );
        }
    };
    let running = match lifecycle::ensure_running(&root, a.port, &exe) {
        Ok(r) => r,
        Err(f) => return output::failure(f, a.json),
    };
    // The page of one mission, or the missions list.
    let page = match &mission {
        Some(slug) => format!("{}/#/m/{slug}", running.url),
        None => running.url.clone(),
    };
    let mut warnings = Vec::new();
    let opened = if a.open {
        match lifecycle::open_browser(&page) {
            Ok(_) => true,
            Err(d) => {
                warnings.push(d);
                false
            }
        }
    } else {
        false
    };
    if a.json {
        let mut m = to_map(&running);
        m.insert("page".into(), page.into());
        m.insert("opened".into(), opened.into());
        output::json_versioned(m);
    } else {
        let mut lines = vec![
            format!("Spec Kitty dashboard: {page}"),
            format!("  Project: {}", running.project_root),
            format!(
                "  Status:  {} (pid {})",
                if running.started {
                    "started"
                } else {
                    "already running"
                },
                running
                    .pid
                    .map_or_else(|| "unknown".to_owned(), |p| p.to_string())
            ),
        ];
        if running.stale_record_removed {
            lines.push("  A stale record of a stopped dashboard was removed.".into());
        }
        if let Some(p) = running.requested_port
            && p != running.port
        {
            lines.push(format!(
                "  Port {p} was not available; using {}.",
                running.port
            ));
        }
        if opened {
            lines.push("  Opened in your browser.".into());
        }
        lines.push("  Stop it with: spec-kitty dashboard --kill".into());
        output::stdout_lines(&lines);
    }
    output::diagnostics(&warnings);
    ExitCode::SUCCESS
}

fn to_map<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// The background server. A startup problem is one JSON document on stdout (`{"error": ...}`),
/// which the starting command reads; after startup nothing is printed (the pipe is gone by then).
fn serve(root: &std::path::Path, port: Option<u16>) -> ExitCode {
    std::panic::set_hook(Box::new(|_| {}));
    match server::serve(root, port.unwrap_or(server::DEFAULT_PORT)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(d) => output::failure(d.into(), true),
    }
}
