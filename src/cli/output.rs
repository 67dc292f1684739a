//! Rendering: JSON documents on stdout, miette diagnostics and notes on stderr.
//!
//! This is the only module that prints. Diagnostics use a fixed width (80 columns) and no colour
//! unless stderr is a terminal and `NO_COLOR` is unset, so output in pipes and tests is stable.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use miette::{GraphicalReportHandler, GraphicalTheme};
use serde_json::{Map, Value};
use spec_kitty::support::diagnostics::{Diag, Failure};
use spec_kitty::support::util::py_json;

/// Prints one JSON document (3.1.1's single-line encoding) on stdout.
pub fn json_line(value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", py_json(value));
}

/// Prints a JSON object, appending `spec_kitty_version` as 3.1.1 did on most payloads.
pub fn json_versioned(map: Map<String, Value>) {
    json_line(&versioned(map));
}

/// A JSON object with `spec_kitty_version` appended.
fn versioned(mut map: Map<String, Value>) -> Value {
    map.insert("spec_kitty_version".into(), spec_kitty::VERSION.into());
    Value::Object(map)
}

/// Prints lines of human output on stdout.
pub fn stdout_lines(lines: &[String]) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

/// Prints lines of human output on stderr (notes beside a `--json` document).
pub fn stderr_lines(lines: &[String]) {
    let mut err = std::io::stderr().lock();
    for line in lines {
        let _ = writeln!(err, "{line}");
    }
}

/// Asks a question on stderr (no newline), for interactive prompts.
pub fn prompt(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{text}");
    let _ = err.flush();
}

/// Prints text as is on stdout.
pub fn stdout_text(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
}

/// Renders diagnostics for a terminal when stdout is one, without the warnings when `quiet`.
pub fn render_quiet(diags: &[Diag], quiet: bool) -> String {
    render_with(diags, std::io::stdout().is_terminal(), quiet)
}

/// Warnings shown as one block with a line each rather than a report each: many of them are
/// normal (a glob for files a WP will create), and one report each would bury the errors. Each
/// kind with its block's headline for a number of them.
const COMPACT: [(&str, Headline); 1] = [(
    spec_kitty::compiler::ownership::GLOB_MATCHES_NOTHING,
    globs_matching_nothing,
)];

/// A compact block's headline for its number of warnings.
type Headline = fn(usize) -> String;

fn globs_matching_nothing(n: usize) -> String {
    format!(
        "{n} owned_files glob{} match{} no file yet (normal for files a WP will create; check the others)",
        if n == 1 { "" } else { "s" },
        if n == 1 { "es" } else { "" },
    )
}

/// Renders diagnostics: errors first, then warnings (none with `quiet`), the compact kinds last as
/// one block each.
fn render_with(diags: &[Diag], terminal: bool, quiet: bool) -> String {
    use miette::Severity;
    let handler = handler_for(terminal);
    let mut s = String::new();
    let is_error = |d: &&Diag| matches!(d.severity, Severity::Error);
    let full = diags.iter().filter(is_error).chain(
        diags
            .iter()
            .filter(|d| !quiet && !is_error(d) && !COMPACT.iter().any(|(c, _)| *c == d.code)),
    );
    for d in full {
        if handler.render_report(&mut s, d).is_err() {
            s.push_str(&format!("{}: {}\n", d.code, d.message));
        }
        if !s.ends_with('\n') {
            s.push('\n');
        }
    }
    if quiet {
        return s;
    }
    for (code, headline) in COMPACT {
        let group: Vec<&Diag> = diags
            .iter()
            .filter(|d| d.code == code && !is_error(d))
            .collect();
        if group.is_empty() {
            continue;
        }
        s.push_str(&format!("⚠ {code}: {}\n", headline(group.len())));
        for d in group {
            let place = d.source.as_ref().zip(d.labels.first()).map(|(src, l)| {
                let (line, col) = src.line_col(l.offset);
                (format!("{}:{line}:{col}", src.name), l.text.clone())
            });
            match place {
                Some((at, Some(what))) => s.push_str(&format!("  {at}  {what}\n")),
                Some((at, None)) => s.push_str(&format!("  {at}  {}\n", d.message)),
                None => s.push_str(&format!("  {}\n", d.message)),
            }
        }
    }
    s
}

/// The project root above the current directory.
pub fn project_root() -> Result<std::path::PathBuf, Failure> {
    let cwd = std::env::current_dir().map_err(|e| {
        Failure::from(spec_kitty::support::diagnostics::io_error(
            "io::cwd",
            std::path::Path::new("."),
            &e,
        ))
    })?;
    spec_kitty::project::find_root(&cwd)
}

/// The project root and the mission `--mission` names (slug or mission_id; optional when the
/// project has one mission). On failure the error is already reported and the exit code returned.
pub fn mission_context(
    flag: Option<&str>,
    command: &str,
    json: bool,
) -> Result<(std::path::PathBuf, spec_kitty::project::MissionRef), ExitCode> {
    let root = project_root().map_err(|f| failure(f, json))?;
    let mission = spec_kitty::project::resolve_mission(&root, flag, command, json)
        .map_err(|f| failure(f, json))?;
    Ok((root, mission))
}

/// Renders diagnostics (errors or warnings) on stderr.
pub fn diagnostics(diags: &[Diag]) {
    diagnostics_quiet(diags, false);
}

/// [`diagnostics`], without the warnings when `quiet` (`-q/--quiet`).
pub fn diagnostics_quiet(diags: &[Diag], quiet: bool) {
    let text = render_with(diags, std::io::stderr().is_terminal(), quiet);
    let _ = write!(std::io::stderr().lock(), "{text}");
}

/// From this many diagnostics (a large mission's warnings), rendering them pays for a thread of its
/// own beside the JSON.
const MANY_DIAGNOSTICS: usize = 256;

/// The diagnostics on stderr, then a JSON object with `spec_kitty_version` on stdout. A large
/// report (thousands of warnings, a payload of megabytes) is rendered on two cores at once, and
/// is not freed: the process is about to exit, which frees it at once.
pub fn diagnostics_and_json(diags: Vec<Diag>, quiet: bool, map: Map<String, Value>) {
    let terminal = std::io::stderr().is_terminal();
    let many = diags.len() >= MANY_DIAGNOSTICS;
    let (text, (json, value)) = spec_kitty::support::par::join(
        many,
        || render_with(&diags, terminal, quiet),
        || {
            let value = versioned(map);
            (py_json(&value), value)
        },
    );
    let _ = write!(std::io::stderr().lock(), "{text}");
    let _ = writeln!(std::io::stdout().lock(), "{json}");
    // Freeing a megabyte payload's tree (tens of thousands of allocations) costs tens of
    // milliseconds that change nothing.
    if many || json.len() >= 1 << 20 {
        spec_kitty::support::par::Leftovers::new((diags, value, text, json)).leave();
    }
}

fn handler_for(terminal: bool) -> GraphicalReportHandler {
    let color = terminal && std::env::var_os("NO_COLOR").is_none();
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(80)
        // Lines break at spaces only, and a path or command longer than the line stays whole,
        // so it can be copied (the default also breaks after `/` and `-`).
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false)
        .with_links(false)
}

/// Reports a failure in the requested mode and returns exit code 1.
///
/// `--json`: the payload alone on stdout (warnings and diagnostics stay off stdout).
/// Human: every diagnostic on stderr.
pub fn failure(failure: Failure, json: bool) -> ExitCode {
    if json {
        let Failure {
            payload, versioned, ..
        } = failure;
        if versioned {
            json_versioned(payload);
        } else {
            json_line(&Value::Object(payload));
        }
    } else {
        stdout_lines(&failure.preamble);
        diagnostics(&failure.diagnostics);
    }
    ExitCode::from(1)
}
