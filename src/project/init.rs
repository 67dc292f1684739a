//! `spec-kitty init`: create a project's files, and nothing else.
//!
//! Init writes `.kittify/config.yaml`, `.kittify/metadata.yaml`, the auto-managed `.gitignore` block,
//! the `.gitattributes` line, and each chosen agent's slash commands ([`crate::project::agents`]) in that
//! agent's folder of the project. It never runs git and never reads or writes `.git/` or `$HOME`;
//! it only looks for a `.git` entry above the target to phrase the next steps. The file set is a
//! pure function of the chosen agents ([`planned_files`]), so it is deterministic and documented in
//! `docs/init.md`, which a test compares against.
//!
//! The steps are: resolve the target, stop with "already initialized" when
//! `.kittify/config.yaml` exists, check that no file init would create already exists (nothing is
//! written if one does), then write everything, `config.yaml` last so that it marks a finished
//! init.

use std::path::{Path, PathBuf};

use crate::project::agents::{self, Agent};
use crate::support::diagnostics::{Diag, Failure, io_error};
use crate::support::util::{UtcTime, write_atomic};

/// The marker line of the auto-managed `.gitignore` block.
pub const GITIGNORE_MARKER: &str = "# Added by Spec Kitty CLI (auto-managed)";

/// The `.gitignore` entries init makes sure of (3.1.1's list: every agent folder, whichever were
/// chosen, plus runtime files under `.kittify/`).
pub const GITIGNORE_ENTRIES: [&str; 25] = [
    ".claude/",
    ".codex/",
    ".opencode/",
    ".windsurf/",
    ".gemini/",
    ".cursor/",
    ".qwen/",
    ".kilocode/",
    ".augment/",
    ".roo/",
    ".amazonq/",
    ".agent/",
    ".github/copilot/",
    ".kittify/.dashboard",
    ".kittify/charter/context-state.json",
    ".kittify/charter/directives.yaml",
    ".kittify/charter/governance.yaml",
    ".kittify/charter/metadata.yaml",
    ".kittify/charter/references.yaml",
    ".kittify/dossiers/",
    ".kittify/events/",
    ".kittify/merge-state.json",
    ".kittify/missions/__pycache__/",
    ".kittify/runtime/",
    ".kittify/workspaces/",
];

/// The `.gitattributes` line that gives status event logs their merge driver.
pub const GITATTRIBUTES_LINE: &str =
    "kitty-specs/**/status.events.jsonl merge=spec-kitty-event-log";

/// What `init` was asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The directory init runs in.
    pub cwd: PathBuf,
    /// `<name>`: a new directory under `cwd`; `None` or `.` means `cwd` itself.
    pub name: Option<String>,
    /// The chosen agents, without duplicates, in the order given.
    pub agents: Vec<&'static Agent>,
}

/// What `init` did.
#[derive(Debug, Clone)]
pub enum InitOutcome {
    /// A new project was written.
    Created(InitReport),
    /// The target already had `.kittify/config.yaml`; nothing was touched.
    AlreadyInitialized {
        /// The project directory.
        target: PathBuf,
    },
    /// An existing project got the command files of agents it did not have yet.
    AgentsAdded {
        /// The project directory.
        target: PathBuf,
        /// The agents added.
        agents: Vec<&'static Agent>,
        /// Files created, relative to the target, sorted.
        created: Vec<String>,
        /// Whether `.kittify/config.yaml` now lists them.
        config_updated: bool,
    },
}

/// A finished init, for the CLI to render.
#[derive(Debug, Clone)]
pub struct InitReport {
    /// The project directory.
    pub target: PathBuf,
    /// The `<name>` given, when init created a new directory for it.
    pub new_dir: Option<String>,
    /// Files created, relative to the target, sorted.
    pub created: Vec<String>,
    /// Existing files init appended to (`.gitignore`, `.gitattributes`).
    pub updated: Vec<String>,
    /// Whether the target is inside a git work tree (a `.git` entry in it or above it).
    pub in_git_repo: bool,
    /// The chosen agents.
    pub agents: Vec<&'static Agent>,
    /// The "Next steps" panel: each step is a first line plus indented detail lines.
    pub next_steps: Vec<Vec<String>>,
}

/// Parses `--ai`: keys separated by `,` or `;`, trimmed, lowercased, de-duplicated keeping order.
/// An unknown key is an error that lists the valid ones; an empty list is `Ok(vec![])`.
pub fn parse_agents(list: &str) -> Result<Vec<&'static Agent>, Failure> {
    let mut chosen: Vec<&'static Agent> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for key in list.split([',', ';']).map(|k| k.trim().to_lowercase()) {
        if key.is_empty() {
            continue;
        }
        match agents::find(&key) {
            Some(a) if !chosen.contains(&a) => chosen.push(a),
            Some(_) => {}
            None if !unknown.contains(&key) => unknown.push(key),
            None => {}
        }
    }
    if unknown.is_empty() {
        return Ok(chosen);
    }
    let diag = Diag::error(
        "init::unknown-agent",
        format!("unknown agent(s): {}", unknown.join(", ")),
    )
    .with_help({
        let hints: Vec<String> = unknown
            .iter()
            .filter_map(|k| agents::closest_key(k).map(|c| format!("`{k}`: did you mean `{c}`?")))
            .collect();
        if hints.is_empty() {
            format!("valid --ai keys: {}", agents::keys_list())
        } else {
            format!(
                "{} valid --ai keys: {}",
                hints.join(" "),
                agents::keys_list()
            )
        }
    });
    Err(Failure::with_error_text(
        diag,
        format!(
            "Invalid AI assistant(s): {}. Choose from: {}",
            unknown.join(", "),
            agents::keys_list()
        ),
    ))
}

/// The error for a non-interactive run without `--ai`.
pub fn agents_required() -> Failure {
    Failure::with_error_text(
        Diag::error(
            "init::no-agents",
            "--ai is required in non-interactive mode",
        )
        .with_help(format!(
            "pass --ai <agent>[,<agent>...]; valid keys: {}",
            agents::keys_list()
        )),
        "--ai is required in non-interactive mode",
    )
}

/// The project directory `init` targets.
pub fn target_dir(cwd: &Path, name: Option<&str>) -> PathBuf {
    match name {
        None | Some(".") | Some("") => cwd.to_path_buf(),
        Some(n) => cwd.join(n),
    }
}

/// True when `dir` is an initialized spec-kitty project (it has `.kittify/config.yaml`).
pub fn is_initialized(dir: &Path) -> bool {
    dir.join(".kittify").join("config.yaml").is_file()
}

/// The files init creates for these agents, as (project-relative path, contents), sorted by path.
/// `.gitignore` and `.gitattributes` are not included (they are merged, see [`gitignore_update`]);
/// `initialized_at` and the `vcs` key are the only inputs besides the agents.
pub fn planned_files(
    agents: &[&'static Agent],
    initialized_at: &UtcTime,
    git_available: bool,
) -> Vec<(String, String)> {
    let mut files = vec![
        (
            ".kittify/config.yaml".to_owned(),
            config_yaml(agents, git_available),
        ),
        (
            ".kittify/metadata.yaml".to_owned(),
            metadata_yaml(initialized_at),
        ),
    ];
    for agent in agents {
        files.extend(agent.files());
    }
    files.sort();
    files
}

/// `.kittify/config.yaml` as 3.1.1 wrote it.
pub fn config_yaml(agents: &[&'static Agent], git_available: bool) -> String {
    let mut out = String::new();
    if git_available {
        out.push_str("vcs:\n  type: git\n");
    }
    out.push_str("agents:\n  available:\n");
    for a in agents {
        out.push_str(&format!("  - {}\n", a.key));
    }
    out.push_str("  auto_commit: true\n");
    out
}

/// `.kittify/metadata.yaml`: 3.1.1's header and keys, with this binary's version.
pub fn metadata_yaml(initialized_at: &UtcTime) -> String {
    format!(
        "# Spec Kitty Project Metadata\n\
         # Auto-generated by spec-kitty init/upgrade\n\
         # DO NOT EDIT MANUALLY\n\
         \n\
         spec_kitty:\n  \
         version: {}\n  \
         initialized_at: '{}'\n  \
         last_upgraded_at: null\n\
         environment:\n  \
         platform: {}\n\
         migrations:\n  \
         applied: []\n",
        crate::VERSION,
        initialized_at.isoformat(),
        python_platform()
    )
}

/// `sys.platform` as Python names it, which is what 3.1.1 recorded.
fn python_platform() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    }
}

/// The new `.gitignore` text, or `None` when every entry is already there. Follows 3.1.1: the
/// marker (after a blank line) and then only the missing entries are appended; CRLF files stay CRLF.
pub fn gitignore_update(existing: Option<&str>) -> Option<String> {
    let text = existing.unwrap_or("");
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let eol = if body.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<&str> = body.lines().collect();
    let missing: Vec<&str> = GITIGNORE_ENTRIES
        .iter()
        .copied()
        .filter(|e| !lines.contains(e))
        .collect();
    if missing.is_empty() {
        return None;
    }
    if !lines.contains(&GITIGNORE_MARKER) {
        if lines.last().is_some_and(|l| !l.trim().is_empty()) {
            lines.push("");
        }
        lines.push(GITIGNORE_MARKER);
    }
    lines.extend(missing);
    let mut out = String::from(bom);
    for line in lines {
        out.push_str(line);
        out.push_str(eol);
    }
    Some(out)
}

/// The new `.gitattributes` text, or `None` when the merge-driver line is already there.
pub fn gitattributes_update(existing: Option<&str>) -> Option<String> {
    let text = existing.unwrap_or("");
    if text.lines().any(|l| l == GITATTRIBUTES_LINE) {
        return None;
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let kept = text.trim_end();
    Some(if kept.is_empty() {
        format!("{GITATTRIBUTES_LINE}{eol}")
    } else {
        format!("{kept}{eol}{GITATTRIBUTES_LINE}{eol}")
    })
}

/// Runs init. See the module doc for the order of steps.
pub fn init(opts: &InitOptions) -> Result<InitOutcome, Failure> {
    let name = opts.name.as_deref().filter(|n| !n.is_empty() && *n != ".");
    let target = target_dir(&opts.cwd, name);
    if is_initialized(&target) {
        return add_agents(target, &opts.agents);
    }
    if let Some(name) = name
        && (target.exists() || target.is_symlink())
    {
        return Err(Failure::with_error_text(
            Diag::error(
                "init::conflict",
                format!("directory `{name}` already exists and is not a spec-kitty project"),
            )
            .with_help(format!(
                "choose another name, remove `{name}`, or run `spec-kitty init .` inside it to \
                 turn it into a project"
            )),
            format!("Directory '{name}' already exists"),
        ));
    }
    if opts.agents.is_empty() {
        return Err(agents_required());
    }

    let files = planned_files(&opts.agents, &UtcTime::now(), git_on_path());
    // Refuse before writing anything if a file init would create is already there.
    let clashes: Vec<&str> = files
        .iter()
        .filter(|(rel, _)| {
            let p = target.join(rel);
            p.exists() || p.is_symlink()
        })
        .map(|(rel, _)| rel.as_str())
        .collect();
    if !clashes.is_empty() {
        let shown: Vec<String> = clashes.iter().take(5).map(|c| format!("`{c}`")).collect();
        let more = clashes.len().saturating_sub(shown.len());
        return Err(Failure::simple(
            Diag::error(
                "init::conflict",
                format!(
                    "{} already exist{} in {}; init only creates new files",
                    shown.join(", "),
                    if more > 0 {
                        format!(" (and {more} more)")
                    } else if clashes.len() == 1 {
                        "s".to_owned()
                    } else {
                        String::new()
                    },
                    target.display()
                ),
            )
            .with_help("move those files away and run init again; nothing was written"),
        ));
    }

    let io = |path: &Path, e: &std::io::Error| Failure::simple(io_error("init::io", path, e));
    if name.is_some() {
        std::fs::create_dir_all(&target).map_err(|e| io(&target, &e))?;
    }
    let mut updated = Vec::new();
    for (rel, update) in [
        (
            ".gitignore",
            gitignore_update as fn(Option<&str>) -> Option<String>,
        ),
        (".gitattributes", gitattributes_update),
    ] {
        let path = target.join(rel);
        let existing = match std::fs::read(&path) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&path, &e)),
        };
        if let Some(text) = update(existing.as_deref()) {
            write_atomic(&path, text.as_bytes()).map_err(|e| io(&path, &e))?;
            if existing.is_some() {
                updated.push(rel.to_owned());
            }
        }
    }
    // config.yaml marks a finished init, so it goes last.
    let (config, rest): (Vec<_>, Vec<_>) = files
        .iter()
        .partition(|(rel, _)| rel == ".kittify/config.yaml");
    for (rel, text) in rest.into_iter().chain(config) {
        let path = target.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
        }
        write_atomic(&path, text.as_bytes()).map_err(|e| io(&path, &e))?;
    }

    let mut created: Vec<String> = files.into_iter().map(|(rel, _)| rel).collect();
    for rel in [".gitignore", ".gitattributes"] {
        if !updated.iter().any(|u| u == rel) && target.join(rel).is_file() {
            created.push(rel.to_owned());
        }
    }
    created.sort();
    let in_git_repo = inside_git_work_tree(&target);
    let next_steps = next_steps(name, in_git_repo, &opts.agents);
    Ok(InitOutcome::Created(InitReport {
        target,
        new_dir: name.map(str::to_owned),
        created,
        updated,
        in_git_repo,
        agents: opts.agents.clone(),
        next_steps,
    }))
}

/// `init --ai <agents>` on an existing project: writes the command files of the agents whose
/// files are not there yet (never touching an existing file) and adds them to `agents.available`
/// in `.kittify/config.yaml`. Nothing to add is the idempotent "already initialized".
fn add_agents(target: PathBuf, agents: &[&'static Agent]) -> Result<InitOutcome, Failure> {
    let io = |path: &Path, e: &std::io::Error| Failure::simple(io_error("init::io", path, e));
    let mut added = Vec::new();
    let mut created = Vec::new();
    for agent in agents {
        let missing: Vec<(String, String)> = agent
            .files()
            .into_iter()
            .filter(|(rel, _)| !target.join(rel).exists())
            .collect();
        if missing.is_empty() {
            continue;
        }
        for (rel, text) in missing {
            let path = target.join(&rel);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
            }
            write_atomic(&path, text.as_bytes()).map_err(|e| io(&path, &e))?;
            created.push(rel);
        }
        added.push(*agent);
    }
    if added.is_empty() {
        return Ok(InitOutcome::AlreadyInitialized { target });
    }
    created.sort();
    let config = target.join(".kittify").join("config.yaml");
    let text = std::fs::read_to_string(&config).map_err(|e| io(&config, &e))?;
    let updated = list_agents(&text, &added);
    if let Some(new_text) = &updated {
        write_atomic(&config, new_text.as_bytes()).map_err(|e| io(&config, &e))?;
    }
    Ok(InitOutcome::AgentsAdded {
        target,
        agents: added,
        created,
        config_updated: updated.is_some(),
    })
}

/// `config.yaml` with `keys` appended to its `agents:` / `available:` list (as init writes it),
/// or `None` when that list is not in init's layout.
fn list_agents(text: &str, agents: &[&'static Agent]) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let agents_at = lines.iter().position(|l| *l == "agents:")?;
    let available_at = agents_at
        + 1
        + lines[agents_at + 1..]
            .iter()
            .position(|l| l.trim_end() == "  available:")?;
    let mut end = available_at + 1;
    while end < lines.len() && lines[end].starts_with("  - ") {
        end += 1;
    }
    let present: Vec<&str> = lines[available_at + 1..end]
        .iter()
        .map(|l| l.trim_start_matches("  - ").trim())
        .collect();
    let mut out: Vec<String> = lines[..end].iter().map(|l| (*l).to_owned()).collect();
    for a in agents {
        if !present.contains(&a.key) {
            out.push(format!("  - {}", a.key));
        }
    }
    out.extend(lines[end..].iter().map(|l| (*l).to_owned()));
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Some(joined)
}

/// Whether a `git` executable is on `PATH` (looked up, never run), for config.yaml's `vcs` key.
fn git_on_path() -> bool {
    let exe = if cfg!(windows) { "git.exe" } else { "git" };
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .any(|dir| dir.join(exe).is_file())
}

/// Whether `dir` or a parent holds a `.git` entry. Only looks; git is not run.
pub fn inside_git_work_tree(dir: &Path) -> bool {
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| dir.to_path_buf(), |c| c.join(dir))
    };
    abs.ancestors().any(|d| d.join(".git").exists())
}

/// The "Next steps" panel. Never names top-level `spec-kitty implement`.
pub fn next_steps(
    new_dir: Option<&str>,
    in_git_repo: bool,
    agents: &[&'static Agent],
) -> Vec<Vec<String>> {
    let agent = match agents {
        [one] => one.key,
        _ => "<agent>",
    };
    let mut steps = Vec::new();
    if let Some(name) = new_dir {
        steps.push(vec![format!("Go to the project folder: cd {name}")]);
    }
    if !in_git_repo {
        steps.push(vec![
            "Create a git repository: spec-kitty's mission commands need one.".to_owned(),
            "git init    (your step: spec-kitty init never runs git)".to_owned(),
        ]);
    }
    steps.push(vec![
        "Commit the project files: a clone without them is not a spec-kitty project, and CI's `spec-kitty lint` fails there.".to_owned(),
        "git add .kittify .gitignore .gitattributes && git add -A && git commit -m 'spec-kitty project'".to_owned(),
    ]);
    let dirs: Vec<String> = agents
        .iter()
        .map(|a| format!("{} ({}/)", a.display, a.dir))
        .collect();
    steps.push(vec![format!(
        "Open your agent: slash commands are installed for {}.",
        dirs.join(", ")
    )]);
    steps.push(vec![
        "Plan the mission with slash commands, in order:".to_owned(),
        "/spec-kitty.charter    project principles (once per project, optional)".to_owned(),
        "/spec-kitty.specify    create the mission and write spec.md".to_owned(),
        "/spec-kitty.plan       write plan.md".to_owned(),
        "/spec-kitty.tasks      write the work packages and finalize them".to_owned(),
    ]);
    steps.push(vec![
        "Run the mission loop (the canonical workflow):".to_owned(),
        format!("spec-kitty next --agent {agent} --mission <slug>"),
        "For each decision the agent runs a per-WP action:".to_owned(),
        format!(
            "spec-kitty agent action implement <WP> --agent {agent}   (implement a work package)"
        ),
        format!("spec-kitty agent action review <WP> --agent {agent}      (review a work package)"),
    ]);
    steps.push(vec![
        "Watch the agents work: a live kanban, lanes and artifacts in your browser:".to_owned(),
        "spec-kitty dashboard --open    (or /spec-kitty.dashboard; --kill stops it)".to_owned(),
    ]);
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_block_is_appended_once() {
        let fresh = gitignore_update(None).expect("new file");
        assert!(fresh.starts_with(GITIGNORE_MARKER));
        assert_eq!(fresh.lines().count(), 26);
        assert_eq!(gitignore_update(Some(&fresh)), None);
        let user = "target/\r\n.claude/\r\n";
        let merged = gitignore_update(Some(user)).expect("appended");
        assert!(merged.starts_with("target/\r\n.claude/\r\n\r\n# Added by"));
        assert_eq!(merged.matches(".claude/").count(), 1);
        assert!(merged.ends_with(".kittify/workspaces/\r\n"));
    }

    #[test]
    fn gitattributes_line_is_appended_once() {
        assert_eq!(
            gitattributes_update(None).as_deref(),
            Some("kitty-specs/**/status.events.jsonl merge=spec-kitty-event-log\n")
        );
        let merged = gitattributes_update(Some("*.png binary\n\n")).expect("appended");
        assert_eq!(
            merged,
            "*.png binary\nkitty-specs/**/status.events.jsonl merge=spec-kitty-event-log\n"
        );
        assert_eq!(gitattributes_update(Some(&merged)), None);
    }

    #[test]
    fn agents_parse_like_3_1_1() {
        let keys = |s: &str| -> Vec<&str> {
            parse_agents(s)
                .map(|v| v.iter().map(|a| a.key).collect())
                .unwrap_or_default()
        };
        assert_eq!(keys(" Codex; claude,codex ,"), vec!["codex", "claude"]);
        let err = parse_agents("codex,bogus").expect_err("error");
        assert_eq!(
            err.payload["error"],
            "Invalid AI assistant(s): bogus. Choose from: copilot, claude, gemini, cursor, qwen, \
             opencode, codex, windsurf, kilocode, auggie, roo, q, antigravity"
        );
    }

    #[test]
    fn next_steps_never_name_top_level_implement() {
        let codex = agents::find("codex").expect("agent");
        let steps = next_steps(Some("demo"), false, &[codex]);
        let text: String = steps.concat().join("\n");
        assert!(text.contains("spec-kitty next --agent codex --mission <slug>"));
        assert!(text.contains("spec-kitty agent action implement <WP> --agent codex"));
        assert!(text.contains("git init"));
        assert!(!text.contains("spec-kitty implement"));
    }
}
