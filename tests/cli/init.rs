//! `spec-kitty init` through the real binary: the documented file set, no git and no `$HOME`
//! side effects, idempotent re-runs, conflicts, and the guidance it prints and installs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{git, git_init_commit, spec_kitty};

const AGENT_KEYS: [&str; 13] = [
    "copilot",
    "claude",
    "gemini",
    "cursor",
    "qwen",
    "opencode",
    "codex",
    "windsurf",
    "kilocode",
    "auggie",
    "roo",
    "q",
    "antigravity",
];

/// A scratch directory with a private, initially empty HOME beside the work area.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        std::fs::create_dir_all(dir.path().join("work")).expect("work");
        Sandbox { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Runs the binary in `cwd` with HOME pointing at the sandbox's home and stdin closed.
    fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        spec_kitty(cwd)
            .env("HOME", self.home())
            .env_remove("SPEC_KITTY_NON_INTERACTIVE")
            .stdin(std::process::Stdio::null())
            .args(args)
            .output()
            .expect("binary runs")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `root` (relative, `/`-separated) with its bytes; `.git/` included.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .expect("under root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

/// The fenced ```` ```files <name> ```` blocks of docs/init.md.
fn documented_file_sets() -> BTreeMap<String, Vec<String>> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/init.md"))
        .expect("docs/init.md");
    let mut sets = BTreeMap::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in doc.lines() {
        if let Some((name, files)) = current.as_mut() {
            if line.trim() == "```" {
                sets.insert(name.clone(), std::mem::take(files));
                current = None;
            } else {
                files.push(line.trim().to_owned());
            }
        } else if let Some(name) = line.strip_prefix("```files ") {
            current = Some((name.trim().to_owned(), Vec::new()));
        }
    }
    sets
}

#[test]
fn file_set_per_agent_equals_the_documented_one_and_nothing_else_is_touched() {
    let sb = Sandbox::new();
    let docs = documented_file_sets();
    let common = docs.get("common").expect("common block in docs/init.md");
    for key in AGENT_KEYS {
        let out = sb.run(&sb.work(), &["init", key, "--ai", key, "--non-interactive"]);
        assert_eq!(out.status.code(), Some(0), "{key}: {}", text(&out.stderr));
        assert_eq!(text(&out.stderr), "", "{key}: no error lines");
        let project = sb.work().join(key);
        let actual: Vec<String> = snapshot(&project).into_keys().collect();
        let mut expected: Vec<String> = common.clone();
        expected.extend(
            docs.get(key)
                .unwrap_or_else(|| panic!("docs block for {key}"))
                .clone(),
        );
        expected.sort();
        assert_eq!(actual, expected, "file set of `init --ai {key}`");
        assert_eq!(
            expected.len(),
            4 + 16,
            "{key}: 16 commands plus 4 project files"
        );
        assert!(!project.join(".git").exists(), "{key}: no .git");
        assert!(!project.join(".agents").exists(), "{key}: no .agents/");
    }
    assert!(
        snapshot(&sb.home()).is_empty(),
        "init wrote into HOME: {:?}",
        snapshot(&sb.home()).keys().collect::<Vec<_>>()
    );
    let work_entries: Vec<String> = std::fs::read_dir(sb.work())
        .expect("work")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        work_entries.len(),
        AGENT_KEYS.len(),
        "only the project dirs"
    );
    assert_eq!(
        docs.len(),
        AGENT_KEYS.len() + 1,
        "docs/init.md documents exactly the 13 agents plus the common files"
    );
}

#[test]
fn output_is_deterministic_apart_from_the_timestamp() {
    let sb = Sandbox::new();
    for name in ["a", "b"] {
        let out = sb.run(
            &sb.work(),
            &["init", name, "--ai", "claude,gemini,codex", "--yes"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let strip = |mut files: BTreeMap<String, Vec<u8>>| {
        let meta = files.get_mut(".kittify/metadata.yaml").expect("metadata");
        let kept: Vec<&str> = std::str::from_utf8(meta)
            .expect("utf-8")
            .lines()
            .filter(|l| !l.trim_start().starts_with("initialized_at:"))
            .collect();
        *meta = kept.join("\n").into_bytes();
        files
    };
    let a = strip(snapshot(&sb.work().join("a")));
    let b = strip(snapshot(&sb.work().join("b")));
    assert_eq!(a.len(), 4 + 3 * 16);
    assert_eq!(a, b);
}

#[test]
fn metadata_and_config_follow_3_1_1() {
    let sb = Sandbox::new();
    let out = sb.run(
        &sb.work(),
        &["init", "demo", "--ai", "codex", "--non-interactive"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let project = sb.work().join("demo");
    let meta_text = std::fs::read_to_string(project.join(".kittify/metadata.yaml")).expect("meta");
    assert!(meta_text.starts_with(
        "# Spec Kitty Project Metadata\n# Auto-generated by spec-kitty init/upgrade\n# DO NOT EDIT MANUALLY\n\n"
    ));
    let meta: yaml_serde::Value = yaml_serde::from_str(&meta_text).expect("yaml");
    assert_eq!(
        meta["spec_kitty"]["version"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert!(meta["spec_kitty"]["last_upgraded_at"].is_null());
    assert!(meta["spec_kitty"]["initialized_at"].as_str().is_some());
    assert_eq!(
        meta["migrations"]["applied"].as_sequence().map(Vec::len),
        Some(0)
    );
    let config: yaml_serde::Value = yaml_serde::from_str(
        &std::fs::read_to_string(project.join(".kittify/config.yaml")).expect("config"),
    )
    .expect("yaml");
    assert_eq!(config["agents"]["available"][0].as_str(), Some("codex"));
    assert_eq!(config["agents"]["auto_commit"].as_bool(), Some(true));
    let gitignore = std::fs::read_to_string(project.join(".gitignore")).expect("gitignore");
    assert!(gitignore.starts_with("# Added by Spec Kitty CLI (auto-managed)\n.claude/\n.codex/\n"));
    assert_eq!(gitignore.lines().count(), 26);
    assert_eq!(
        std::fs::read_to_string(project.join(".gitattributes")).expect("gitattributes"),
        "kitty-specs/**/status.events.jsonl merge=spec-kitty-event-log\n"
    );
}

#[test]
fn toml_agents_get_valid_toml() {
    let sb = Sandbox::new();
    let out = sb.run(
        &sb.work(),
        &["init", ".", "--ai", "gemini,qwen", "--non-interactive"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let files = snapshot(&sb.work());
    let tomls: Vec<(&String, &Vec<u8>)> =
        files.iter().filter(|(p, _)| p.ends_with(".toml")).collect();
    assert_eq!(tomls.len(), 32);
    for (path, bytes) in tomls {
        let doc: toml_edit::Document<String> = std::str::from_utf8(bytes)
            .expect("utf-8")
            .to_owned()
            .parse()
            .unwrap_or_else(|e| panic!("{path} is not valid TOML: {e}"));
        let prompt = doc["prompt"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: prompt"));
        let description = doc["description"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: description"));
        assert!(!description.is_empty(), "{path}: description");
        assert!(
            prompt.starts_with("<!-- spec-kitty-command-version: "),
            "{path}"
        );
        assert!(!prompt.contains("$ARGUMENTS"), "{path}: uses {{{{args}}}}");
        assert!(prompt.contains("{{args}}"), "{path}: passes the arguments");
    }
}

#[test]
fn guidance_teaches_next_and_agent_actions_never_top_level_implement() {
    let sb = Sandbox::new();
    let all = AGENT_KEYS.join(",");
    let out = sb.run(
        &sb.work(),
        &["init", "all", "--ai", &all, "--non-interactive"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let files = snapshot(&sb.work().join("all"));
    assert_eq!(files.len(), 4 + 13 * 16);
    for (path, bytes) in &files {
        let body = text(bytes);
        assert!(
            !body.contains("spec-kitty implement"),
            "{path} names top-level implement"
        );
    }
    for key in AGENT_KEYS {
        let in_dir = |suffix: &str| -> String {
            files
                .iter()
                .find(|(p, _)| {
                    let cmd = p.rsplit('/').next().unwrap_or("");
                    cmd.starts_with(&format!("spec-kitty.{suffix}."))
                        && !p.starts_with(".kittify")
                        && p.split('/').next().is_some_and(|top| {
                            let agent_dirs = [
                                (".github", "copilot"),
                                (".claude", "claude"),
                                (".gemini", "gemini"),
                                (".cursor", "cursor"),
                                (".qwen", "qwen"),
                                (".opencode", "opencode"),
                                (".codex", "codex"),
                                (".windsurf", "windsurf"),
                                (".kilocode", "kilocode"),
                                (".augment", "auggie"),
                                (".roo", "roo"),
                                (".amazonq", "q"),
                                (".agent", "antigravity"),
                            ];
                            agent_dirs.contains(&(top, key))
                        })
                })
                .map(|(_, b)| text(b))
                .unwrap_or_else(|| panic!("{key}: spec-kitty.{suffix}"))
        };
        assert!(in_dir("implement").contains("spec-kitty agent action implement "));
        assert!(in_dir("implement").contains(&format!("--agent {key}`")));
        assert!(in_dir("review").contains("spec-kitty agent action review "));
        assert!(in_dir("review").contains(&format!("--agent {key}`")));
        let tasks = in_dir("tasks");
        assert!(tasks.contains(&format!(
            "spec-kitty next --agent {key} --mission <mission_slug>"
        )));
        assert!(tasks.contains(&format!(
            "spec-kitty agent action implement <WP> --agent {key}"
        )));
        assert!(tasks.contains(&format!(
            "spec-kitty agent action review <WP> --agent {key}"
        )));
        assert!(tasks.contains("spec-kitty agent mission finalize-tasks --mission <mission_slug>"));
        assert!(
            in_dir(if key == "codex" {
                "tasks_finalize"
            } else {
                "tasks-finalize"
            })
            .contains("spec-kitty agent mission finalize-tasks ")
        );
        assert!(in_dir("specify").contains("spec-kitty agent mission create <slug> --json"));
    }
}

/// The `  N. ` step numbers of the Next steps panel.
fn step_numbers(stdout: &str) -> Vec<u32> {
    stdout
        .split("Next steps:")
        .nth(1)
        .unwrap_or("")
        .lines()
        .filter_map(|l| {
            let t = l.strip_prefix("  ")?;
            let (n, _) = t.split_once(". ")?;
            n.parse().ok()
        })
        .collect()
}

#[test]
fn next_steps_are_numbered_and_name_the_loop() {
    let sb = Sandbox::new();
    let out = sb.run(
        &sb.work(),
        &["init", "demo", "--ai", "codex", "--non-interactive"],
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let numbers = step_numbers(&stdout);
    assert!(numbers.len() >= 4, "{stdout}");
    assert_eq!(
        numbers,
        (1..=numbers.len() as u32).collect::<Vec<_>>(),
        "{stdout}"
    );
    assert!(stdout.contains("spec-kitty next --agent codex --mission <slug>"));
    assert!(stdout.contains("spec-kitty agent action implement <WP> --agent codex"));
    assert!(stdout.contains("spec-kitty agent action review <WP> --agent codex"));
    assert!(!stdout.contains("spec-kitty implement"));
    assert!(stdout.contains("cd demo"));
    // Not in a git repository: the user is told to run `git init` themselves.
    assert!(stdout.contains("git init"), "{stdout}");
    assert!(stdout.contains("need one"), "{stdout}");
    assert!(!sb.work().join("demo/.git").exists());
    assert!(!sb.work().join(".git").exists());
}

#[test]
fn inside_a_git_repository_git_state_is_untouched() {
    let sb = Sandbox::new();
    let repo = sb.work();
    std::fs::write(repo.join("README.md"), "hello\n").expect("write");
    git_init_commit(&repo);
    // Something staged, a hook, a config value: all must survive as they are.
    std::fs::write(repo.join("staged.txt"), "staged\n").expect("write");
    git(&repo, &["add", "staged.txt"]);
    git(&repo, &["config", "user.name", "Repo User"]);
    std::fs::write(repo.join(".git/hooks/pre-commit"), "#!/bin/sh\nexit 0\n").expect("hook");

    let head = git(&repo, &["rev-parse", "HEAD"]);
    let tracked_status = git(&repo, &["status", "--porcelain", "--untracked-files=no"]);
    let full_status = git(&repo, &["status", "--porcelain"]);
    let refs = git(&repo, &["for-each-ref"]);
    let dot_git = snapshot(&repo.join(".git"));

    for args in [
        vec![
            "init",
            ".",
            "--ai",
            "codex,claude,copilot",
            "--non-interactive",
        ],
        vec!["init", "sub", "--ai", "gemini", "--yes"],
    ] {
        let out = sb.run(&repo, &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let stdout = text(&out.stdout);
        assert!(
            !stdout.contains("git init"),
            "inside a repo no git init hint: {stdout}"
        );
    }

    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), head, "HEAD");
    assert_eq!(git(&repo, &["for-each-ref"]), refs, "refs");
    assert_eq!(
        git(&repo, &["status", "--porcelain", "--untracked-files=no"]),
        tracked_status,
        "index and tracked files"
    );
    // Every byte under .git/ (config, index, hooks, refs, objects) is as it was.
    assert_eq!(snapshot(&repo.join(".git")), dot_git, ".git/ changed");
    assert!(!repo.join("sub/.git").exists());
    // The only new status lines are untracked files.
    let after = git(&repo, &["status", "--porcelain"]);
    let new_lines: Vec<&str> = after
        .lines()
        .filter(|l| !full_status.lines().any(|b| b == *l))
        .collect();
    assert!(!new_lines.is_empty());
    assert!(
        new_lines.iter().all(|l| l.starts_with("?? ")),
        "{new_lines:?}"
    );
    assert_eq!(
        git(&repo, &["diff", "--cached", "--name-only"]).trim(),
        "staged.txt"
    );
}

#[test]
fn rerun_in_an_initialised_directory_changes_nothing() {
    let sb = Sandbox::new();
    let out = sb.run(
        &sb.work(),
        &["init", "demo", "--ai", "codex", "--non-interactive"],
    );
    assert_eq!(out.status.code(), Some(0));
    let before = snapshot(&sb.work());
    let project = sb.work().join("demo");
    for (cwd, args) in [
        (
            project.clone(),
            vec!["init", "--ai", "codex", "--non-interactive"],
        ),
        (project.clone(), vec!["init", ".", "--ai", "codex", "--yes"]),
        (project.clone(), vec!["init", "--non-interactive"]),
        (
            sb.work(),
            vec!["init", "demo", "--ai", "codex", "--non-interactive"],
        ),
    ] {
        let out = sb.run(&cwd, &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("Already initialized"),
            "{args:?}"
        );
        assert!(
            text(&out.stdout).contains("Nothing was changed"),
            "{args:?}"
        );
        assert_eq!(snapshot(&sb.work()), before, "{args:?} changed files");
    }
}

#[test]
fn existing_directory_that_is_not_a_project_is_a_conflict() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.work().join("demo")).expect("mkdir");
    std::fs::write(sb.work().join("demo/notes.txt"), "mine\n").expect("write");
    let before = snapshot(&sb.work());
    let out = sb.run(
        &sb.work(),
        &["init", "demo", "--ai", "codex", "--non-interactive"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("init::conflict"), "{stderr}");
    assert!(stderr.contains("`demo` already exists"), "{stderr}");
    assert_eq!(snapshot(&sb.work()), before);
}

#[test]
fn an_existing_file_init_would_create_stops_it_before_any_write() {
    let sb = Sandbox::new();
    let mine = sb.work().join(".codex/prompts/spec-kitty.plan.md");
    std::fs::create_dir_all(mine.parent().expect("parent")).expect("mkdir");
    std::fs::write(&mine, "my own plan prompt\n").expect("write");
    let before = snapshot(&sb.work());
    let out = sb.run(
        &sb.work(),
        &["init", ".", "--ai", "codex", "--non-interactive"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(".codex/prompts/spec-kitty.plan.md"),
        "{stderr}"
    );
    assert_eq!(snapshot(&sb.work()), before, "nothing written");
}

#[test]
fn existing_gitignore_and_gitattributes_are_appended_to() {
    let sb = Sandbox::new();
    std::fs::write(sb.work().join(".gitignore"), "target/\n.codex/\n").expect("write");
    std::fs::write(sb.work().join(".gitattributes"), "*.png binary\n").expect("write");
    let out = sb.run(
        &sb.work(),
        &["init", ".", "--ai", "codex", "--non-interactive"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let gitignore = std::fs::read_to_string(sb.work().join(".gitignore")).expect("read");
    assert!(gitignore.starts_with(
        "target/\n.codex/\n\n# Added by Spec Kitty CLI (auto-managed)\n.claude/\n.opencode/\n"
    ));
    assert_eq!(gitignore.matches(".codex/").count(), 1);
    assert_eq!(
        std::fs::read_to_string(sb.work().join(".gitattributes")).expect("read"),
        "*.png binary\nkitty-specs/**/status.events.jsonl merge=spec-kitty-event-log\n"
    );
    assert!(text(&out.stdout).contains("Updated .gitignore"));
}

#[test]
fn bad_invocations() {
    let sb = Sandbox::new();
    let out = sb.run(
        &sb.work(),
        &["init", "x", "--ai", "codex,bogus", "--non-interactive"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bogus"), "{stderr}");
    for key in AGENT_KEYS {
        assert!(stderr.contains(key), "valid keys listed: {stderr}");
    }

    // Non-interactive (flag, variable, or stdin not a terminal) without --ai.
    let out = sb.run(&sb.work(), &["init", "x", "--non-interactive"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--ai is required in non-interactive mode"));
    let out = sb.run(&sb.work(), &["init", "x"]);
    assert_eq!(out.status.code(), Some(1), "stdin is not a terminal");

    let out = sb.run(&sb.work(), &["init", "x", "--ai", "codex", "--no-git"]);
    assert_eq!(out.status.code(), Some(2), "--no-git is a usage error");
    assert!(text(&out.stderr).contains("--no-git"));

    assert!(snapshot(&sb.work()).is_empty(), "nothing created");
}

#[test]
fn help_describes_the_model() {
    let sb = Sandbox::new();
    let out = sb.run(&sb.work(), &["init", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for needle in [
        "never runs git",
        "does not initialise a repository",
        "does not create any commit",
        "spec-kitty next --agent <agent> --mission <slug>",
        "spec-kitty agent action implement <WP> --agent <agent>",
        "spec-kitty agent action review <WP> --agent <agent>",
        "--non-interactive",
        "--ai",
    ] {
        assert!(help.contains(needle), "help lacks {needle:?}:\n{help}");
    }
    assert!(!help.contains("--no-git"));
    assert!(!help.contains("spec-kitty implement"));
}

#[test]
fn the_old_initial_commit_message_appears_nowhere_in_the_source() {
    let needle = ["Initial commit", "from Specify template"].join(" ");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.to_path_buf()];
    let mut checked = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name == ".git" || name == "target" || (d == root && name == "bench") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                checked += 1;
                assert!(
                    !text(&bytes).contains(&needle),
                    "{} contains the old init commit message",
                    p.display()
                );
            }
        }
    }
    assert!(checked > 20);
}

/// The completion scripts are valid shell and the man page is roff, all from the live definitions.
#[test]
fn completions_and_the_man_page_come_from_the_command_definitions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::support::ok(dir.path(), &["completions", "bash"]);
    let script = dir.path().join("spec-kitty.bash");
    std::fs::write(&script, &out.stdout).expect("write");
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "finalize-tasks",
        "move-task",
        "merge",
        "dashboard",
        "completions",
    ] {
        assert!(text.contains(sub), "the script completes `{sub}`");
    }
    let man = crate::support::ok(dir.path(), &["man"]);
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(
        page.contains(".TH spec-kitty 1") && page.contains("finalize"),
        "{page}"
    );
}

/// `man --dir` writes a page for every command at every depth, each naming the release; a missing
/// directory is an error that says how to create it, and nothing is written.
#[test]
fn man_dir_writes_a_page_per_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = dir.path().join("man1");
    let missing = crate::support::run(dir.path(), &["man", "--dir", "man1"]);
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("man::no-dir") && err.contains("mkdir -p man1"),
        "{err}"
    );
    assert!(!pages.exists());

    std::fs::create_dir(&pages).expect("mkdir");
    let out = crate::support::ok(dir.path(), &["man", "--dir", "man1"]);
    let written = std::fs::read_dir(&pages).expect("read_dir").count();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("Wrote {written} man pages")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let page = std::fs::read_to_string(pages.join("spec-kitty-agent-mission-finalize-tasks.1"))
        .expect("the finalize-tasks page");
    assert!(
        page.contains(".TH spec-kitty-agent-mission-finalize-tasks 1")
            && page.contains(concat!("spec-kitty ", env!("CARGO_PKG_VERSION"))),
        "{page}"
    );
    for name in [
        "spec-kitty.1",
        "spec-kitty-merge.1",
        "spec-kitty-auth-login.1",
    ] {
        assert!(pages.join(name).is_file(), "{name}");
    }
    assert!(!pages.join("spec-kitty-help.1").exists());
}
