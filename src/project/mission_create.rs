//! `spec-kitty agent mission create <slug>`: a new mission directory with a canonical identity.
//!
//! Identity is the `mission_id`, a ULID minted here and written to `meta.json`; it never depends on
//! the local `NNN-` prefix space, so creates in two clones cannot collide. The `NNN-` prefix is a
//! display number (the highest prefix under `kitty-specs/` and `.worktrees/`, plus one). Within
//! one checkout, every create holds an exclusive lock on `<git dir>/spec-kitty-locks/git.lock`
//! while it picks the number, claims the directory and commits, and the directory itself is
//! claimed with an exclusive `create_dir` (on a clash: next number, retry), so concurrent creates
//! never share a directory and never race on git's `index.lock`.
//!
//! Files and commits follow 3.1.1 (spec.md, then meta.json, each in its own path-limited commit),
//! plus a third commit for the `tasks/` scaffold and the empty status event log, which 3.1.1 left
//! untracked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::project::{self, SPECS_DIR};
use crate::support::diagnostics::{Diag, Failure, io_error};
use crate::support::git;
use crate::support::util::{UtcTime, lock_file};

/// The default `--mission-type`.
pub const DEFAULT_MISSION_TYPE: &str = "software-dev";

const TASKS_README: &str = include_str!("../../templates/tasks-README.md");

/// What to create.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// The kebab-case slug, without a number (`user-auth`).
    pub slug: String,
    /// `--mission-type` (not validated, as in 3.1.1).
    pub mission_type: String,
    /// `--target-branch`; the current branch when absent.
    pub target_branch: Option<String>,
}

/// A created mission.
#[derive(Debug, Clone)]
pub struct Created {
    /// The project root.
    pub root: PathBuf,
    /// The mission directory.
    pub dir: PathBuf,
    /// `NNN-slug`.
    pub mission_slug: String,
    /// `NNN`.
    pub mission_number: String,
    /// The ULID.
    pub mission_id: String,
    /// `--mission-type`.
    pub mission_type: String,
    /// The slug with `-` as spaces.
    pub friendly_name: String,
    /// `meta.json`'s `created_at`.
    pub created_at: String,
    /// The branch checked out.
    pub current_branch: String,
    /// Where the mission merges.
    pub target_branch: String,
    /// When the command ran, `YYYY-MM-DDTHH:MM:SSZ`.
    pub now_utc_iso: String,
    /// Whether the spec.md commit was made.
    pub spec_committed: bool,
    /// Commits that failed (the files are still written).
    pub warnings: Vec<Diag>,
}

/// 3.1.1's slug rule: `^[a-z0-9][a-z0-9]*(-[a-z0-9]+)*$`.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn invalid_slug(slug: &str) -> Failure {
    let text = format!(
        "Invalid feature slug '{slug}'. Must be kebab-case (lowercase letters, numbers, hyphens only).\
         \n\nValid examples:\n  - user-auth\n  - fix-bug-123\n  - 068-feature-name\n  - new-dashboard\
         \n\nInvalid examples:\n  - User-Auth (uppercase)\n  - user_auth (underscores)"
    );
    Failure::with_error_text(
        Diag::error(
            "mission::invalid-slug",
            format!("invalid mission slug `{slug}`: must be kebab-case (lowercase letters, digits and single hyphens)"),
        )
        .with_help("for example `user-auth` or `fix-bug-123`; no uppercase, `_`, `/`, `.` or spaces; spec-kitty adds the `NNN-` prefix"),
        text,
    )
}

fn simple(code: &'static str, json_text: &str, message: String, help: &str) -> Failure {
    Failure::with_error_text(Diag::error(code, message).with_help(help), json_text)
}

/// Creates a mission from the checkout that contains `cwd`.
pub fn create(cwd: &Path, opts: &CreateOptions) -> Result<Created, Failure> {
    if !is_valid_slug(&opts.slug) {
        return Err(invalid_slug(&opts.slug));
    }
    if in_worktree(cwd) {
        return Err(simple(
            "mission::in-worktree",
            "Cannot create missions from inside a worktree. Run from the project root checkout.",
            "cannot create missions from inside a worktree".to_owned(),
            "run this from the project's main checkout",
        ));
    }
    let root = project::find_root(cwd)?;
    if !git::is_repo(&root) {
        return Err(simple(
            "mission::not-git",
            "Not in a git repository. Mission creation requires git.",
            format!(
                "`{}` is not in a git repository; mission creation requires git",
                root.display()
            ),
            "run `git init` (and make a first commit) in the project, then try again",
        ));
    }
    let Some(current_branch) = git::current_branch(&root) else {
        return Err(simple(
            "mission::detached-head",
            "Must be on a branch to create missions (detached HEAD detected).",
            "HEAD is detached; missions are created on a branch".to_owned(),
            "check out the branch the mission should start from (`git switch <branch>`)",
        ));
    };
    let target_branch = opts
        .target_branch
        .clone()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| current_branch.clone());

    let git_dir = git::run(&root, &["rev-parse", "--absolute-git-dir"])
        .map(|s| PathBuf::from(s.trim()))
        .map_err(|e| Failure::simple(Diag::error("mission::git", e.to_string())))?;
    let lock_path = git_dir.join("spec-kitty-locks").join("git.lock");
    let _lock = lock_file(&lock_path)
        .map_err(|e| Failure::simple(io_error("mission::lock", &lock_path, &e)))?;

    // Missions with this slug already (under another number): say so; a new number is made, as
    // 3.1.1 did.
    let existing: Vec<String> = crate::project::list_missions(&root)
        .into_iter()
        .filter(|m| {
            m.split_once('-')
                .is_some_and(|(n, rest)| rest == opts.slug && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    let (number, dir) = claim_dir(&root, &opts.slug)?;
    let mission_number = format!("{number:03}");
    let mission_slug = format!("{mission_number}-{}", opts.slug);
    let now = UtcTime::now();
    let mut created = Created {
        mission_id: ulid::Ulid::generate().to_string(),
        friendly_name: opts.slug.replace('-', " ").trim().to_owned(),
        created_at: now.isoformat(),
        now_utc_iso: now.iso_z(),
        mission_type: opts.mission_type.clone(),
        root: root.clone(),
        dir: dir.clone(),
        mission_slug,
        mission_number,
        current_branch,
        target_branch,
        spec_committed: false,
        warnings: Vec::new(),
    };
    if !existing.is_empty() {
        created.warnings.push(
            Diag::warning(
                "mission::slug-exists",
                format!(
                    "a mission named `{}` exists already ({}); this one is {}",
                    opts.slug,
                    existing.join(", "),
                    created.mission_slug
                ),
            )
            .with_help(
                "to work on the existing mission, write its spec.md instead of creating another",
            ),
        );
    }
    // A clone without the project files is not a project: warn while they are not committed.
    let tracked = git::run(&root, &["ls-files", "--", ".kittify/config.yaml"]).unwrap_or_default();
    if tracked.trim().is_empty() {
        created.warnings.push(
            Diag::warning(
                "mission::project-untracked",
                ".kittify/ is not tracked by git: a clone of this repository is not a spec-kitty project (and CI's `spec-kitty lint` fails there)",
            )
            .with_help("commit the project files: `git add .kittify .gitignore .gitattributes && git commit -m 'spec-kitty project'`"),
        );
    }
    if let Err(e) = write_files(&created) {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }

    let rel = |name: &str| project::rel_path(&root, &dir.join(name));
    let commits: [(&str, Vec<String>); 3] = [
        ("spec", vec![rel("spec.md")]),
        ("meta", vec![rel("meta.json")]),
        (
            "tasks scaffold",
            vec![
                rel("status.events.jsonl"),
                rel("tasks/.gitkeep"),
                rel("tasks/README.md"),
            ],
        ),
    ];
    for (what, paths) in commits {
        let message = format!("Add {what} for feature {}", created.mission_slug);
        match commit_retrying(&root, &paths, &message) {
            Ok(_) => created.spec_committed |= what == "spec",
            Err(e) => created.warnings.push(
                Diag::warning(
                    "mission::commit-failed",
                    format!("could not commit {what}: {e}"),
                )
                .with_help("the files are written; commit them yourself once git works"),
            ),
        }
    }
    Ok(created)
}

/// 3.1.1's worktree guard: a `.worktrees` component in the path, or a nearest `.git` that is a file.
fn in_worktree(cwd: &Path) -> bool {
    if cwd.components().any(|c| c.as_os_str() == ".worktrees") {
        return true;
    }
    cwd.ancestors()
        .map(|d| d.join(".git"))
        .find(|g| g.exists())
        .is_some_and(|g| g.is_file())
}

/// The display number of a directory name: its leading digits, when there are at least three.
fn prefix_number(name: &str) -> Option<u64> {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    (digits >= 3).then(|| name[..digits].parse().ok()).flatten()
}

/// The next display number: the highest prefix under `kitty-specs/` and `.worktrees/`, plus one.
fn next_number(root: &Path) -> u64 {
    [SPECS_DIR, ".worktrees"]
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d)).ok())
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| prefix_number(&e.file_name().to_string_lossy()))
        .max()
        .unwrap_or(0)
        + 1
}

/// Claims `kitty-specs/NNN-slug` with an exclusive create; on a clash takes the next number.
fn claim_dir(root: &Path, slug: &str) -> Result<(u64, PathBuf), Failure> {
    let specs = root.join(SPECS_DIR);
    std::fs::create_dir_all(&specs)
        .map_err(|e| Failure::simple(io_error("mission::io", &specs, &e)))?;
    let mut number = next_number(root);
    loop {
        let dir = specs.join(format!("{number:03}-{slug}"));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((number, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => number += 1,
            Err(e) => return Err(Failure::simple(io_error("mission::io", &dir, &e))),
        }
    }
}

/// `meta.json`: sorted keys, 2-space indent, non-ASCII kept, trailing newline (3.1.1's format).
pub fn meta_json(c: &Created) -> String {
    let mut meta: BTreeMap<&str, Value> = BTreeMap::new();
    meta.insert("created_at", c.created_at.clone().into());
    meta.insert("friendly_name", c.friendly_name.clone().into());
    meta.insert("mission_id", c.mission_id.clone().into());
    meta.insert("mission_number", c.mission_number.clone().into());
    meta.insert("mission_slug", c.mission_slug.clone().into());
    meta.insert("mission_type", c.mission_type.clone().into());
    meta.insert("slug", c.mission_slug.clone().into());
    meta.insert("target_branch", c.target_branch.clone().into());
    if c.mission_type == "documentation" {
        meta.insert(
            "documentation_state",
            serde_json::json!({
                "coverage_percentage": 0.0,
                "divio_types_selected": [],
                "generators_configured": [],
                "iteration_mode": "initial",
                "last_audit_date": null,
                "target_audience": "developers",
            }),
        );
    }
    let mut text = serde_json::to_string_pretty(&meta).unwrap_or_default();
    text.push('\n');
    text
}

fn write_files(c: &Created) -> Result<(), Failure> {
    let io = |path: &Path, e: std::io::Error| Failure::simple(io_error("mission::io", path, &e));
    let write = |rel: &str, bytes: &[u8]| -> Result<(), Failure> {
        let path = c.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| io(&path, e))
    };
    for sub in ["checklists", "research", "tasks"] {
        let p = c.dir.join(sub);
        std::fs::create_dir_all(&p).map_err(|e| io(&p, e))?;
    }
    write("tasks/.gitkeep", b"")?;
    write("status.events.jsonl", b"")?;
    write(
        "tasks/README.md",
        TASKS_README
            .replace("{{BRANCH}}", &c.target_branch)
            .as_bytes(),
    )?;
    let template = [
        ".kittify/templates/spec-template.md",
        "templates/spec-template.md",
    ]
    .iter()
    .map(|t| c.root.join(t))
    .find(|p| p.is_file());
    let spec = match template {
        Some(t) => std::fs::read(&t).map_err(|e| io(&t, e))?,
        None => Vec::new(),
    };
    write("spec.md", &spec)?;
    write("meta.json", meta_json(c).as_bytes())
}

/// Commits `paths`, retrying a few times when another git process holds `index.lock`.
fn commit_retrying(root: &Path, paths: &[String], message: &str) -> Result<String, git::GitError> {
    let mut attempt = 0;
    loop {
        match git::commit_paths(root, paths, message) {
            Err(e) if e.message.contains("index.lock") && attempt < 50 => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

impl Created {
    fn branch_strategy_summary(&self) -> String {
        let t = &self.target_branch;
        format!(
            "Current branch at workflow start: {}. Planning/base branch for this feature: {t}. \
             Completed changes must merge into {t}.",
            self.current_branch
        )
    }

    /// The `--json` payload, in 3.1.1's key order (without `spec_kitty_version`).
    pub fn payload(&self) -> Map<String, Value> {
        let path = |p: PathBuf| Value::String(p.to_string_lossy().into_owned());
        let t = || Value::String(self.target_branch.clone());
        let cur = || Value::String(self.current_branch.clone());
        let matches = Value::Bool(self.current_branch == self.target_branch);
        let summary = Value::String(self.branch_strategy_summary());
        let mut m = Map::new();
        m.insert("result".into(), "success".into());
        m.insert("mission_slug".into(), self.mission_slug.clone().into());
        m.insert("mission_number".into(), self.mission_number.clone().into());
        m.insert("mission_id".into(), self.mission_id.clone().into());
        m.insert("mission_type".into(), self.mission_type.clone().into());
        m.insert("slug".into(), self.mission_slug.clone().into());
        m.insert("friendly_name".into(), self.friendly_name.clone().into());
        m.insert("feature_dir".into(), path(self.dir.clone()));
        m.insert("spec_file".into(), path(self.dir.join("spec.md")));
        m.insert("meta_file".into(), path(self.dir.join("meta.json")));
        m.insert("created_at".into(), self.created_at.clone().into());
        m.insert(
            "created_files".into(),
            Value::Array(vec![
                path(self.dir.join("spec.md")),
                path(self.dir.join("meta.json")),
                path(self.dir.join("tasks").join("README.md")),
            ]),
        );
        m.insert("write_mode".into(), "update_existing_files".into());
        m.insert(
            "next_step".into(),
            "Read then update spec_file/meta_file; do not recreate with blind write.".into(),
        );
        m.insert("current_branch".into(), cur());
        m.insert("CURRENT_BRANCH".into(), cur());
        for key in [
            "target_branch",
            "base_branch",
            "TARGET_BRANCH",
            "BASE_BRANCH",
            "planning_base_branch",
            "PLANNING_BASE_BRANCH",
            "merge_target_branch",
            "MERGE_TARGET_BRANCH",
            "EXPECTED_TARGET_BRANCH",
            "EXPECTED_BASE_BRANCH",
        ] {
            m.insert(key.into(), t());
        }
        m.insert("branch_matches_target".into(), matches.clone());
        m.insert("BRANCH_MATCHES_TARGET".into(), matches.clone());
        m.insert("branch_strategy_summary".into(), summary.clone());
        let mut vars = Map::new();
        vars.insert("now_utc_iso".into(), self.now_utc_iso.clone().into());
        vars.insert("current_branch".into(), cur());
        for key in [
            "target_branch",
            "base_branch",
            "planning_base_branch",
            "merge_target_branch",
        ] {
            vars.insert(key.into(), t());
        }
        vars.insert("branch_matches_target".into(), matches.clone());
        vars.insert("branch_strategy_summary".into(), summary.clone());
        m.insert("runtime_vars".into(), Value::Object(vars));
        m.insert("NOW_UTC_ISO".into(), self.now_utc_iso.clone().into());
        let mut ctx = Map::new();
        ctx.insert("current_branch".into(), cur());
        for key in [
            "target_branch",
            "base_branch",
            "planning_base_branch",
            "merge_target_branch",
            "expected_checkout_branch",
        ] {
            ctx.insert(key.into(), t());
        }
        ctx.insert("matches_target".into(), matches);
        ctx.insert("branch_strategy_summary".into(), summary);
        m.insert("branch_context".into(), Value::Object(ctx));
        m
    }

    /// The human report, 3.1.1's lines plus the mission_id.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("Branch: {} (target for this mission)", self.target_branch),
            format!("✓ Mission created: {}", self.mission_slug),
            format!("   Mission ID: {}", self.mission_id),
            format!("   Directory: {}", self.dir.display()),
        ];
        if self.spec_committed {
            lines.push(format!("   Spec committed to {}", self.current_branch));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["user-auth", "a", "069", "fix-bug-123"] {
            assert!(is_valid_slug(ok), "{ok}");
        }
        for bad in [
            "",
            "User-Auth",
            "user_auth",
            "-a",
            "a-",
            "a--b",
            "a/b",
            "..",
            "../x",
            "a b",
            "é",
        ] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix_number("001-x"), Some(1));
        assert_eq!(prefix_number("1000-x"), Some(1000));
        assert_eq!(prefix_number("01-x"), None);
        assert_eq!(prefix_number("x"), None);
    }
}
