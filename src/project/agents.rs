//! The 13 AI coding agents `spec-kitty init --ai` knows, and the slash-command files each gets.
//!
//! Every agent gets the same 16 commands ([`COMMANDS`]): 9 prompt-driven ones rendered from
//! `templates/commands/<name>.md` and 7 thin shims that run one spec-kitty command
//! (`templates/commands/shim.md`). An agent differs only in where the files go, how they are named,
//! which placeholder carries the user's arguments, and whether the file is Markdown or TOML
//! ([`Agent`]). Templates use two tokens: `{{ARGS}}` (the agent's argument placeholder) and
//! `{{AGENT}}` (the agent key). To add an agent, add a row to [`AGENTS`] and to `docs/init.md`;
//! to add a command, add a row to [`COMMANDS`] (and a template for a prompt-driven one).

/// How an agent's command files are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown with a `description:` frontmatter; the file name ends with this suffix.
    Markdown(&'static str),
    /// A TOML document with `description` and `prompt` keys (`.toml`).
    Toml,
}

/// One agent: its `--ai` key and where and how its slash commands are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agent {
    /// The `--ai` key, e.g. `codex`.
    pub key: &'static str,
    /// The human name, e.g. `Codex CLI`.
    pub display: &'static str,
    /// The project-relative folder that holds the command files, e.g. `.codex/prompts`.
    pub dir: &'static str,
    /// File encoding and suffix.
    pub format: Format,
    /// Whether `-` in a command name becomes `_` in the file name (codex: `tasks_outline`).
    pub underscore_names: bool,
    /// The argument placeholder in prompt-driven files.
    pub prompt_args: &'static str,
    /// The argument placeholder in shims.
    pub shim_args: &'static str,
}

const MD: Format = Format::Markdown(".md");

/// Every agent, in 3.1.1's order (the order of the "Choose from" list).
pub const AGENTS: [Agent; 13] = [
    agent(
        "copilot",
        "GitHub Copilot",
        ".github/prompts",
        Format::Markdown(".prompt.md"),
    ),
    agent("claude", "Claude Code", ".claude/commands", MD),
    Agent {
        prompt_args: "{{args}}",
        shim_args: "{{args}}",
        ..agent("gemini", "Gemini CLI", ".gemini/commands", Format::Toml)
    },
    agent("cursor", "Cursor", ".cursor/commands", MD),
    Agent {
        prompt_args: "{{args}}",
        shim_args: "{{args}}",
        ..agent("qwen", "Qwen Code", ".qwen/commands", Format::Toml)
    },
    agent("opencode", "opencode", ".opencode/command", MD),
    Agent {
        underscore_names: true,
        shim_args: "$PROMPT",
        ..agent("codex", "Codex CLI", ".codex/prompts", MD)
    },
    agent("windsurf", "Windsurf", ".windsurf/workflows", MD),
    agent("kilocode", "Kilo Code", ".kilocode/workflows", MD),
    agent("auggie", "Auggie CLI", ".augment/commands", MD),
    agent("roo", "Roo Code", ".roo/commands", MD),
    agent("q", "Amazon Q Developer CLI", ".amazonq/prompts", MD),
    agent("antigravity", "Google Antigravity", ".agent/workflows", MD),
];

const fn agent(
    key: &'static str,
    display: &'static str,
    dir: &'static str,
    format: Format,
) -> Agent {
    Agent {
        key,
        display,
        dir,
        format,
        underscore_names: false,
        prompt_args: "$ARGUMENTS",
        shim_args: "$ARGUMENTS",
    }
}

/// The agent with this `--ai` key.
pub fn find(key: &str) -> Option<&'static Agent> {
    AGENTS.iter().find(|a| a.key == key)
}

/// The valid `--ai` keys, comma-separated, in [`AGENTS`] order.
pub fn keys_list() -> String {
    AGENTS.iter().map(|a| a.key).collect::<Vec<_>>().join(", ")
}

/// The agent key closest to `typed` (at most two edits away), for a "did you mean".
pub fn closest_key(typed: &str) -> Option<&'static str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    AGENTS
        .iter()
        .map(|a| (distance(typed, a.key), a.key))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

/// What a slash command's body is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// A guidance prompt (the template's text).
    Prompt(&'static str),
    /// A shim that runs this command line (with `{{ARGS}}` / `{{AGENT}}` tokens).
    Shim(&'static str),
}

/// One slash command (`/spec-kitty.<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlashCommand {
    /// The name after `spec-kitty.`, e.g. `tasks-finalize`.
    pub name: &'static str,
    /// One line for the agent's command picker.
    pub description: &'static str,
    /// Prompt text or shim command.
    pub body: Body,
}

/// The first line of every command body: the version that wrote it.
pub fn version_marker() -> String {
    format!("<!-- spec-kitty-command-version: {} -->", crate::VERSION)
}

const SHIM: &str = include_str!("../../templates/commands/shim.md");

/// The 16 slash commands every agent gets, sorted by name.
pub const COMMANDS: [SlashCommand; 16] = [
    shim(
        "accept",
        "Run acceptance checks for a mission",
        "spec-kitty agent mission accept {{ARGS}}",
    ),
    prompt(
        "analyze",
        "Report inconsistencies between spec, plan and tasks (read-only)",
        include_str!("../../templates/commands/analyze.md"),
    ),
    prompt(
        "charter",
        "Write or update the project charter (principles every mission follows)",
        include_str!("../../templates/commands/charter.md"),
    ),
    prompt(
        "checklist",
        "Write a requirements-quality checklist for a mission",
        include_str!("../../templates/commands/checklist.md"),
    ),
    shim(
        "dashboard",
        "Open the spec-kitty dashboard",
        "spec-kitty dashboard {{ARGS}}",
    ),
    shim(
        "implement",
        "Implement a work package in its lane workspace",
        "spec-kitty agent action implement {{ARGS}} --agent {{AGENT}}",
    ),
    shim(
        "merge",
        "Merge a finished mission into its target branch",
        "spec-kitty merge {{ARGS}}",
    ),
    prompt(
        "plan",
        "Write the implementation plan for a mission",
        include_str!("../../templates/commands/plan.md"),
    ),
    prompt(
        "research",
        "Record research and evidence for a mission",
        include_str!("../../templates/commands/research.md"),
    ),
    shim(
        "review",
        "Review a work package",
        "spec-kitty agent action review {{ARGS}} --agent {{AGENT}}",
    ),
    prompt(
        "specify",
        "Create a mission and write its specification",
        include_str!("../../templates/commands/specify.md"),
    ),
    shim(
        "status",
        "Show the status of a mission's work packages",
        "spec-kitty agent tasks status {{ARGS}}",
    ),
    prompt(
        "tasks",
        "Break a mission into work packages and finalize them",
        include_str!("../../templates/commands/tasks.md"),
    ),
    shim(
        "tasks-finalize",
        "Validate and commit a mission's work packages, dependencies and lanes",
        "spec-kitty agent mission finalize-tasks {{ARGS}}",
    ),
    prompt(
        "tasks-outline",
        "Write tasks.md: the work packages, their dependencies and requirements",
        include_str!("../../templates/commands/tasks-outline.md"),
    ),
    prompt(
        "tasks-packages",
        "Write one prompt file per work package from tasks.md",
        include_str!("../../templates/commands/tasks-packages.md"),
    ),
];

const fn prompt(name: &'static str, description: &'static str, text: &'static str) -> SlashCommand {
    SlashCommand {
        name,
        description,
        body: Body::Prompt(text),
    }
}

const fn shim(
    name: &'static str,
    description: &'static str,
    command: &'static str,
) -> SlashCommand {
    SlashCommand {
        name,
        description,
        body: Body::Shim(command),
    }
}

impl Agent {
    /// The file name of `command` for this agent, e.g. `spec-kitty.tasks_outline.md`.
    pub fn file_name(&self, command: &SlashCommand) -> String {
        let name = if self.underscore_names {
            command.name.replace('-', "_")
        } else {
            command.name.to_owned()
        };
        let suffix = match self.format {
            Format::Markdown(suffix) => suffix,
            Format::Toml => ".toml",
        };
        format!("spec-kitty.{name}{suffix}")
    }

    /// The project folder the agent owns (`.codex/`), the first component of [`Agent::dir`].
    pub fn folder(&self) -> String {
        let first = self.dir.split('/').next().unwrap_or(self.dir);
        format!("{first}/")
    }

    /// The full text of `command`'s file for this agent.
    pub fn render(&self, command: &SlashCommand) -> String {
        let body = match command.body {
            Body::Prompt(text) => text.replace("{{ARGS}}", self.prompt_args),
            Body::Shim(line) => SHIM
                .replace("{{COMMAND}}", line)
                .replace("{{ARGS}}", self.shim_args),
        };
        let body = body.replace("{{AGENT}}", self.key);
        let marked = format!("{}\n{}", version_marker(), body);
        match self.format {
            Format::Markdown(_) => {
                format!("---\ndescription: {}\n---\n{marked}", command.description)
            }
            Format::Toml => format!(
                "description = {}\n\nprompt = \"\"\"\n{}\"\"\"\n",
                toml_basic_string(command.description),
                toml_multiline_body(&marked)
            ),
        }
    }

    /// Every command file of this agent as (project-relative path, contents), sorted by path.
    pub fn files(&self) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = COMMANDS
            .iter()
            .map(|c| {
                (
                    format!("{}/{}", self.dir, self.file_name(c)),
                    self.render(c),
                )
            })
            .collect();
        files.sort();
        files
    }
}

/// A TOML basic string (`"..."`) holding `s`.
fn toml_basic_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_toml_char(&mut out, c, false);
    }
    out.push('"');
    out
}

/// The inside of a TOML multi-line basic string (`"""..."""`): backslashes and quotes escaped,
/// newlines kept, so the value is exactly `s`.
fn toml_multiline_body(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        push_toml_char(&mut out, c, true);
    }
    out
}

fn push_toml_char(out: &mut String, c: char, multiline: bool) {
    match c {
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        '\n' if multiline => out.push('\n'),
        '\n' => out.push_str("\\n"),
        '\t' => out.push('\t'),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            out.push_str(&format!("\\u{:04X}", c as u32));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_each_agent_pattern() {
        let outline = COMMANDS
            .iter()
            .find(|c| c.name == "tasks-outline")
            .expect("command");
        let name = |key: &str| find(key).expect("agent").file_name(outline);
        assert_eq!(name("codex"), "spec-kitty.tasks_outline.md");
        assert_eq!(name("claude"), "spec-kitty.tasks-outline.md");
        assert_eq!(name("gemini"), "spec-kitty.tasks-outline.toml");
        assert_eq!(name("copilot"), "spec-kitty.tasks-outline.prompt.md");
    }

    #[test]
    fn shims_use_the_agent_placeholder_and_key() {
        let implement = COMMANDS
            .iter()
            .find(|c| c.name == "implement")
            .expect("command");
        let codex = find("codex").expect("agent").render(implement);
        assert!(codex.contains("`spec-kitty agent action implement $PROMPT --agent codex`"));
        let gemini = find("gemini").expect("agent").render(implement);
        assert!(gemini.contains("spec-kitty agent action implement {{args}} --agent gemini"));
        assert!(gemini.starts_with("description = \"Implement a work package"));
    }

    #[test]
    fn toml_escapes() {
        assert_eq!(toml_basic_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(toml_multiline_body("x\"\"\"y\n"), "x\\\"\\\"\\\"y\n");
    }

    #[test]
    fn commands_are_sorted_and_unique() {
        let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
