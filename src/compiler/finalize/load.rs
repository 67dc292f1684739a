//! The load stage: every input file read once (spec.md, wps.yaml, tasks.md, each WP file, the lane
//! strategy). WP files are parsed as they are read, spread over the cores for large missions.
//! Failures here are 3.1.1's early ones: no tasks/, no spec.md, a file that is not UTF-8, a bad
//! wps.yaml.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{parse, wps_yaml};
use crate::compiler::graph::sort_wps;
use crate::compiler::lanes;
use crate::compiler::tasks::ast::TasksDoc;
use crate::compiler::tasks::frontmatter::WpFile;
use crate::project::config::{CONFIG_PATH, Config};
use crate::project::{MissionRef, rel_path};
use crate::support::diagnostics::{Diag, Failure, Source};
use crate::support::par;
use crate::support::utf8::{self, ReadError};

/// tasks.md's size from which its parse runs on a thread of its own, beside the reading of the WP
/// files: the grammar reads about 20 MB/s, so 1 KiB takes about what starting a thread costs
/// (tens of microseconds); a 30-WP mission's tasks.md is a few KiB.
const PARSE_BESIDE_READING: usize = 1024;

/// The number of WP files from which they are read on every core: reading and parsing one costs
/// about 20 µs, so fewer do not pay for the threads.
const READ_IN_PARALLEL: usize = 64;

/// A readable WP file with the id its file name gives.
#[derive(Debug)]
pub(crate) struct Wp {
    pub id: String,
    pub file: WpFile,
    pub path: PathBuf,
}

/// The loaded mission: every input file read once.
pub(crate) struct Loaded {
    pub root: PathBuf,
    pub slug: String,
    pub dir: PathBuf,
    pub tasks_md: Option<Source>,
    pub doc: TasksDoc,
    pub spec: Source,
    pub wps: Vec<Wp>,
    /// WP ids from every WP file name (readable or not), sorted.
    pub file_ids: Vec<String>,
    /// Every `tasks/WP*.md` file's frontmatter id (for the bootstrap), including unreadable ones
    /// as `None`.
    pub bootstrap_ids: Vec<Option<String>>,
    pub wps_yaml: Option<wps_yaml::Manifest>,
    pub warnings: Vec<Diag>,
    /// WP files (with an id in their name) that are not UTF-8, sorted by file name: 3.1.1 failed
    /// on the first when its main loop reached it (`checks::undecodable`).
    pub undecodable: Vec<(String, Failure)>,
    /// WP id → index in `wps` (the last file with that id, as 3.1.1's dicts kept).
    pub index: HashMap<String, usize>,
    /// How dependencies shape lanes (`.kittify/config.yaml` `lanes.strategy`, or `--lanes`).
    pub lane_strategy: lanes::Strategy,
    /// `.kittify/config.yaml`.
    pub config: Config,
}

impl Loaded {
    /// The readable WP file with this id (the last one when two files share it).
    pub fn wp(&self, id: &str) -> Option<&Wp> {
        self.index.get(id).map(|&i| &self.wps[i])
    }
}

/// One WP file as read: the parsed file or why not, and the failure when it is not UTF-8 or not
/// readable at all.
type ReadWp = (Result<WpFile, Diag>, Option<Failure>);

/// A WP file's path and what reading it gave.
type ReadFile = (PathBuf, ReadWp);

/// Reads every input file. Errors here are 3.1.1's early failures (no tasks/, no spec.md, bad
/// wps.yaml).
pub(crate) fn load(root: &Path, mission: &MissionRef, config: Config) -> Result<Loaded, Failure> {
    let dir = mission.dir.clone();
    let tasks_dir = dir.join("tasks");
    if !tasks_dir.is_dir() {
        return Err(Failure::with_error_text(
            Diag::error("mission::no-tasks-dir", format!("tasks directory not found: {}", rel_path(root, &tasks_dir)))
                .with_help("create `tasks/` with one `WPnn-<slug>.md` prompt file per work package (the /spec-kitty.tasks step)"),
            format!("Tasks directory not found: {}", tasks_dir.display()),
        ));
    }
    let spec_path = dir.join("spec.md");
    let spec_text = match utf8::read_to_string(&spec_path) {
        Ok(t) => t,
        Err(ReadError::Decode { error, lossy }) => {
            return Err(not_utf8(root, &spec_path, &error, lossy));
        }
        Err(ReadError::Io(_)) => {
            return Err(Failure::with_error_text(
                Diag::error("mission::no-spec", format!("spec.md not found: {}", rel_path(root, &spec_path)))
                    .with_help("write the mission's spec.md first (the /spec-kitty.specify step); finalize checks requirement coverage against it"),
                format!("spec.md not found: {}", spec_path.display()),
            )
            .unversioned());
        }
    };
    let spec = Source::new(rel_path(root, &spec_path), spec_text);

    let mut warnings = Vec::new();
    let wps_yaml_path = dir.join("wps.yaml");
    let wps_yaml = if wps_yaml_path.is_file() {
        Some(wps_yaml::load(
            &wps_yaml_path,
            &rel_path(root, &wps_yaml_path),
        )?)
    } else {
        None
    };

    let tasks_path = dir.join("tasks.md");
    // 3.1.1 read tasks.md only without wps.yaml (which regenerates it), so only then can an
    // undecodable tasks.md fail the run.
    let tasks_md = match utf8::read_to_string(&tasks_path) {
        // Python's text mode read `\r\n` and a lone `\r` as `\n` (universal newlines).
        Ok(t) if wps_yaml.is_none() && t.contains('\r') => Some(Source::new(
            rel_path(root, &tasks_path),
            t.replace("\r\n", "\n").replace('\r', "\n"),
        )),
        Ok(t) => Some(Source::new(rel_path(root, &tasks_path), t)),
        Err(ReadError::Decode { error, lossy }) if wps_yaml.is_none() => {
            return Err(not_utf8(root, &tasks_path, &error, lossy));
        }
        Err(_) => None,
    };
    // tasks.md is parsed beside the listing and reading of the WP files when its parse pays for a
    // thread.
    let (listed_and_read, doc) = par::beside(
        tasks_md
            .as_ref()
            .is_some_and(|t| t.text.len() >= PARSE_BESIDE_READING),
        || {
            wp_file_names(&tasks_dir).map(|names| {
                let read = read_wp_files(root, &tasks_dir, &names);
                (names, read)
            })
        },
        || parse::tasks_doc(tasks_md.as_ref()),
    );
    // A tasks.md the grammar cannot read is reported before anything about the WP files.
    let doc = doc?;
    let (names, read) = listed_and_read?;
    let mut wps = Vec::with_capacity(names.len());
    let mut file_ids = Vec::with_capacity(names.len());
    let mut bootstrap_ids = Vec::with_capacity(names.len());
    let mut undecodable = Vec::new();
    for (name, (path, (parsed, not_decodable))) in names.into_iter().zip(read) {
        bootstrap_ids.push(parsed.as_ref().ok().map(|f| f.meta.work_package_id.clone()));
        let Some(id) = file_wp_id(&name) else {
            continue;
        };
        file_ids.push(id.clone());
        if let Some(f) = not_decodable {
            // Not skipped with a warning: 3.1.1 had no refs for it, then failed on reading it.
            undecodable.push((id, f));
            continue;
        }
        match parsed {
            Ok(file) => {
                if let Some(d) = id_mismatch(&id, &file, &name) {
                    warnings.push(d);
                }
                wps.push(Wp { id, file, path });
            }
            Err(d) => warnings.push(Diag {
                message: format!("{}; the WP is skipped", d.message),
                ..d
            }),
        }
    }
    sort_wps(&mut file_ids);
    let index = wps
        .iter()
        .enumerate()
        .map(|(i, w): (usize, &Wp)| (w.id.clone(), i))
        .collect();
    Ok(Loaded {
        root: root.to_path_buf(),
        slug: mission.slug.clone(),
        dir,
        tasks_md,
        doc,
        spec,
        wps,
        file_ids,
        bootstrap_ids,
        wps_yaml,
        warnings,
        undecodable,
        index,
        lane_strategy: configured_strategy(root, &config)?,
        config,
    })
}

/// The WP prompt files in `tasks/`: names `WP` + two or more digits, then `-`, `_`, `.` or the
/// end; sorted by name.
fn wp_file_names(tasks_dir: &Path) -> Result<Vec<String>, Failure> {
    let mut names: Vec<String> = std::fs::read_dir(tasks_dir)
        .map_err(|e| {
            Failure::simple(crate::support::diagnostics::io_error(
                "io::read", tasks_dir, &e,
            ))
        })?
        .flatten()
        // 3.1.1's `glob("WP*.md")` matched directories too (and then could not read them).
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("WP") && n.ends_with(".md"))
        .collect();
    names.sort();
    Ok(names)
}

/// Each WP prompt file read and parsed, in the order of `names`. The files are independent: many
/// are spread over the cores.
fn read_wp_files(root: &Path, tasks_dir: &Path, names: &[String]) -> Vec<ReadFile> {
    let tasks_display = rel_path(root, tasks_dir);
    let read_one = |name: &String| {
        let path = tasks_dir.join(name);
        let display = format!("{tasks_display}/{name}");
        let read = match utf8::read_to_string(&path) {
            Ok(t) => (WpFile::parse(name, &display, t), None),
            Err(ReadError::Decode { error, lossy }) => {
                let f = not_utf8(root, &path, &error, lossy);
                let diag = f.diagnostics.first().cloned();
                (
                    Err(diag.unwrap_or_else(|| Diag::warning("io::not-utf8", error.to_string()))),
                    Some(f),
                )
            }
            Err(ReadError::Io(e)) => {
                // 3.1.1 counted it as having no refs, then failed reading it in its main loop
                // with Python's OSError text.
                let diag = Diag::error("wp::unreadable", format!("cannot read `{display}`: {e}"))
                    .with_help("make it a readable WP prompt file, or move it out of tasks/");
                let error = python_os_error(&e, &path);
                (
                    Err(diag.clone()),
                    Some(Failure::with_error_text(diag, error)),
                )
            }
        };
        (path, read)
    };
    par::map(names, READ_IN_PARALLEL, read_one)
}

/// A WP file whose `work_package_id` is not the id its name gives. As in 3.1.1, the name places
/// the WP (tasks.md, dependencies, lanes) and the frontmatter id is the one whose status is seeded,
/// so the two disagree from the first run on.
fn id_mismatch(id: &str, file: &WpFile, name: &str) -> Option<Diag> {
    let declared = file.meta.work_package_id.as_str();
    if declared.is_empty() || declared == id {
        return None;
    }
    let span = file.value_or_key_span("work_package_id", declared);
    Some(
        Diag::warning(
            "wp::frontmatter::id-mismatch",
            format!("`{name}` is named for {id} but its work_package_id is {declared}: it is planned as {id} but its status is tracked as {declared}"),
        )
        .at(&file.source, span, format!("the file name says {id}"))
        .with_help(format!("set `work_package_id: {id}`, or rename the file to `{declared}-...md` if it is {declared}")),
    )
}

/// `.kittify/config.yaml` `lanes: {strategy: collapse|fan-in}`; `collapse` when unset.
fn configured_strategy(root: &Path, config: &Config) -> Result<lanes::Strategy, Failure> {
    let Some(raw) = config.get("lanes", "strategy") else {
        return Ok(lanes::Strategy::default());
    };
    raw.as_str()
        .and_then(lanes::Strategy::parse)
        .ok_or_else(|| {
            Failure::simple(
                Diag::error(
                    "lanes::unknown-strategy",
                    format!(
                        "`lanes.strategy` in {} is {}, not a lane strategy",
                        rel_path(root, &root.join(CONFIG_PATH)),
                        yaml_serde::to_string(raw).unwrap_or_default().trim()
                    ),
                )
                .with_help("set it to `collapse` (3.1.1's lanes, the default) or `fan-in`"),
            )
        })
}

/// A mission file that is not UTF-8: 3.1.1's `{"error": "'utf-8' codec can't decode ..."}`.
fn not_utf8(root: &Path, path: &Path, error: &utf8::DecodeError, lossy: String) -> Failure {
    let diag = crate::support::diagnostics::not_utf8(&rel_path(root, path), error, lossy);
    Failure::with_error_text(diag, error.to_string())
}

/// Python's `str(OSError)`: `[Errno 21] Is a directory: '/abs/path'`.
fn python_os_error(e: &std::io::Error, path: &Path) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => {
            let reason = text
                .strip_suffix(&format!(" (os error {code})"))
                .unwrap_or(&text);
            format!(
                "[Errno {code}] {reason}: {}",
                crate::support::util::py_str(&path.display().to_string())
            )
        }
        None => text,
    }
}

/// The WP id a prompt file's name gives: `WP01-x.md`, `WP01_x.md`, `WP01.md` → `WP01`.
pub fn file_wp_id(name: &str) -> Option<String> {
    let rest = name.strip_prefix("WP")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits < 2 {
        return None;
    }
    let after = &rest[digits..];
    (after.is_empty() || after.starts_with(['-', '_', '.']))
        .then(|| format!("WP{}", &rest[..digits]))
}
