//! WP lanes at run time: the board (`agent tasks status`), lane transitions with the 9-lane state
//! machine and its guards (`agent tasks move-task`), and subtask ticking (`agent tasks
//! mark-status`). Every transition is one event appended to `status.events.jsonl` under the
//! mission's status lock, `status.json` is rewritten from the log, and both are committed with the
//! transition (so the loop's own files never leave the tree dirty).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::diagnostics::{Diag, Failure};
use crate::project::{MissionRef, rel_path};
use crate::status::{self, Event};
use crate::tasks::frontmatter::WpFile;
use crate::util::UtcTime;
use crate::workspace::{self, WorkspaceKind};
use crate::{finalize, git};

/// The lane a name stands for (`doing` is `in_progress`), if it is one.
pub fn canonical_lane(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    let n = if n == "doing" {
        "in_progress".to_owned()
    } else {
        n
    };
    status::LANES.iter().copied().find(|l| *l == n)
}

/// A WP argument as users type it (`wp01`, `WP01`, `WP01-slug`) as its id (`WP01`).
pub fn wp_arg(arg: &str) -> String {
    arg.trim()
        .split(['-', '_', '.'])
        .next()
        .unwrap_or(arg)
        .to_ascii_uppercase()
}

impl Board {
    /// The named WP, or (when `wp` is `None`) the first WP in `default_lane`; the error names the
    /// known WPs, or says nothing is waiting in that lane.
    pub fn pick(&self, wp: Option<&str>, default_lane: &str) -> Result<&WpEntry, Failure> {
        match wp {
            Some(w) => {
                let id = wp_arg(w);
                self.wps.iter().find(|e| e.id == id).ok_or_else(|| {
                    let known: Vec<String> = self.wps.iter().map(|e| e.id.clone()).collect();
                    fail(
                        "status::unknown-wp",
                        format!("mission `{}` has no work package {id}", self.mission_slug),
                        &format!("known work packages: {}", known.join(", ")),
                    )
                })
            }
            None => self
                .wps
                .iter()
                .find(|e| e.lane == default_lane)
                .ok_or_else(|| {
                    fail(
                        "status::no-wp-waiting",
                        format!(
                            "mission `{}` has no work package in {default_lane}",
                            self.mission_slug
                        ),
                        "name the work package",
                    )
                }),
        }
    }
}

/// What a transition requires beyond being allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// No extra requirement.
    None,
    /// An actor (`--agent`).
    Actor,
    /// The WP's workspace exists.
    Workspace,
    /// Every subtask of the WP is checked in tasks.md (or `--force`), and its worktree is clean.
    SubtasksComplete,
    /// A reviewer (`--reviewer`, else the agent, else git's user.name).
    Reviewer,
    /// A review reference (`--review-feedback-file` or `--note`).
    ReviewRef,
    /// A reason (`--note` or `--review-feedback-file`).
    Reason,
}

/// 3.1.1's transition table: `Some(guard)` when `from → to` is allowed.
pub fn allowed(from: &str, to: &str) -> Option<Guard> {
    use Guard::*;
    Some(match (from, to) {
        ("planned", "claimed") => Actor,
        ("claimed", "in_progress") => Workspace,
        ("in_progress", "for_review") => SubtasksComplete,
        ("for_review", "in_review") => Actor,
        // Forward moves step through every lane between (`lane_steps`), so these are single steps.
        ("in_review", "approved" | "in_progress" | "planned" | "blocked" | "canceled") => Reviewer,
        ("approved", "done") => Reviewer,
        ("approved", "in_progress" | "planned") => ReviewRef,
        ("in_progress", "planned") => Reason,
        ("planned" | "claimed" | "in_progress" | "for_review" | "approved", "blocked") => None,
        ("blocked", "in_progress") => None,
        (
            "planned" | "claimed" | "in_progress" | "for_review" | "approved" | "blocked",
            "canceled",
        ) => None,
        _ => return Option::None,
    })
}

/// One WP on the board.
#[derive(Debug, Clone, PartialEq)]
pub struct WpEntry {
    /// `WP01`.
    pub id: String,
    /// The prompt file (relative to the project root).
    pub file: String,
    /// Title from the frontmatter.
    pub title: Option<String>,
    /// Current lane (`planned` when the log has no event for it).
    pub lane: String,
    /// Actor of the WP's last status event (empty when the log has none).
    pub actor: String,
    /// Frontmatter `phase`, `agent`, `agent_profile`, `shell_pid`, `execution_mode`.
    pub fields: Map<String, Value>,
    /// The workspace kind, from the lane manifest (`None` before finalize).
    pub workspace_kind: Option<WorkspaceKind>,
    /// Its execution lane (`lane-a`, ...), from the lane manifest (`None` before finalize).
    pub lane_id: Option<String>,
    /// Its dependencies, from the frontmatter.
    pub deps: Vec<String>,
}

/// The board of a mission.
#[derive(Debug, Clone)]
pub struct Board {
    /// The mission.
    pub mission_slug: String,
    /// `meta.json` values.
    pub meta: Map<String, Value>,
    /// WPs in id order.
    pub wps: Vec<WpEntry>,
    /// Warnings (unreadable event-log lines, unreadable WP files).
    pub warnings: Vec<Diag>,
}

fn read_meta(dir: &Path) -> Map<String, Value> {
    std::fs::read_to_string(dir.join("meta.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

/// Reads the mission's WPs and their lanes.
pub fn board(root: &Path, mission: &MissionRef) -> Result<Board, Failure> {
    let tasks_dir = mission.dir.join("tasks");
    let mut warnings = Vec::new();
    let (events, bad) =
        status::read_events(&mission.dir.join(status::EVENTS_FILE)).map_err(|e| {
            Failure::simple(crate::diagnostics::io_error(
                "status::read",
                &mission.dir,
                &e,
            ))
        })?;
    for b in bad {
        warnings.push(Diag::warning(
            "status::bad-line",
            format!(
                "status.events.jsonl line {} {}: {}",
                b.line,
                if b.torn {
                    "is a torn final line and is ignored"
                } else {
                    "is unreadable and ignored"
                },
                b.message
            ),
        ));
    }
    let (_, states) = status::reduce(&events);
    let manifest = workspace::load_manifest(&mission.dir, &mission.slug).ok();
    let mut names: Vec<String> = std::fs::read_dir(&tasks_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md") && finalize::file_wp_id(n).is_some())
        .collect();
    names.sort();
    let mut wps = Vec::new();
    for name in names {
        let Some(id) = finalize::file_wp_id(&name) else {
            continue;
        };
        let path = tasks_dir.join(&name);
        let display = rel_path(root, &path);
        let mut fields = Map::new();
        let mut title = None;
        let mut deps = Vec::new();
        match std::fs::read_to_string(&path)
            .map_err(|e| Diag::warning("wp::unreadable", e.to_string()))
            .and_then(|t| WpFile::parse(&name, &display, t))
        {
            Ok(f) => {
                title = f.meta.title.clone();
                deps = f.meta.dependencies.clone().unwrap_or_default();
                if let Ok(yaml_serde::Value::Mapping(m)) =
                    yaml_serde::from_str::<yaml_serde::Value>(&f.source.text[f.yaml.clone()])
                {
                    for key in [
                        "phase",
                        "agent",
                        "agent_profile",
                        "shell_pid",
                        "execution_mode",
                    ] {
                        let v = m
                            .get(yaml_serde::Value::String(key.into()))
                            .cloned()
                            .unwrap_or(yaml_serde::Value::Null);
                        fields.insert(key.into(), serde_json::to_value(v).unwrap_or(Value::Null));
                    }
                }
            }
            Err(d) => warnings.push(d),
        }
        let workspace_kind = manifest
            .as_ref()
            .and_then(|m| workspace::resolve_workspace(root, &mission.slug, m, &id).ok())
            .map(|w| w.kind);
        let lane_id = manifest.as_ref().and_then(|m| {
            m.lanes
                .iter()
                .find(|l| l.wp_ids.contains(&id))
                .map(|l| l.lane_id.clone())
        });
        wps.push(WpEntry {
            lane: states
                .get(&id)
                .map_or_else(|| "planned".to_owned(), |s| s.lane.clone()),
            actor: states.get(&id).map(|s| s.actor.clone()).unwrap_or_default(),
            id,
            file: display,
            title,
            fields,
            workspace_kind,
            lane_id,
            deps,
        });
    }
    wps.sort_by(|a, b| crate::graph::wp_cmp(&a.id, &b.id));
    Ok(Board {
        mission_slug: mission.slug.clone(),
        meta: read_meta(&mission.dir),
        wps,
        warnings,
    })
}

/// 3.1.1's weighted progress per lane.
pub fn lane_weight(lane: &str) -> f64 {
    match lane {
        "claimed" => 0.05,
        "in_progress" => 0.3,
        "for_review" => 0.6,
        "in_review" => 0.7,
        "approved" => 0.8,
        "done" => 1.0,
        _ => 0.0,
    }
}

impl Board {
    /// Counts per lane, all nine lanes, in lane order.
    pub fn by_lane(&self) -> Vec<(&'static str, usize)> {
        status::LANES
            .iter()
            .map(|l| {
                (
                    *l,
                    self.wps
                        .iter()
                        .filter(|w| canonical_lane(&w.lane) == Some(*l))
                        .count(),
                )
            })
            .collect()
    }

    /// Weighted completion in percent, one decimal.
    pub fn progress_percentage(&self) -> f64 {
        if self.wps.is_empty() {
            return 0.0;
        }
        let sum: f64 = self.wps.iter().map(|w| lane_weight(&w.lane)).sum();
        (sum / self.wps.len() as f64 * 1000.0).round() / 10.0
    }

    /// `agent tasks status --json`, as 3.1.1 printed it: the mission identity, `by_lane` counting
    /// the lanes that hold WPs (in the order they first appear), each WP's prompt file name and its
    /// frontmatter `phase` (`Unknown Phase` when unset), `agent`, `agent_profile` and `shell_pid`
    /// (`""` when unset). Staleness is not computed: `stale_wps` is 0.
    pub fn json(&self) -> Map<String, Value> {
        let meta_slug = ["mission_slug", "slug"]
            .iter()
            .find_map(|k| {
                self.meta
                    .get(*k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or(&self.mission_slug)
            .to_owned();
        let identity = status::Identity::resolve(
            &Value::String(meta_slug.clone()),
            &self.mission_slug,
            &self.meta,
        );
        let mut m = Map::new();
        m.insert("mission_slug".into(), meta_slug.into());
        m.insert("mission_number".into(), identity.number.into());
        m.insert("mission_type".into(), identity.kind.into());
        m.insert("total_wps".into(), self.wps.len().into());
        let mut by_lane = Map::new();
        for w in &self.wps {
            let lane = canonical_lane(&w.lane)
                .unwrap_or(w.lane.as_str())
                .to_owned();
            let n = by_lane.get(&lane).and_then(Value::as_u64).unwrap_or(0);
            by_lane.insert(lane, (n + 1).into());
        }
        m.insert("by_lane".into(), Value::Object(by_lane));
        let text = |v: Option<&Value>| -> String {
            match v {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            }
        };
        m.insert(
            "work_packages".into(),
            Value::Array(
                self.wps
                    .iter()
                    .map(|w| {
                        let mut o = Map::new();
                        o.insert("id".into(), w.id.clone().into());
                        o.insert(
                            "title".into(),
                            w.title.clone().map_or(Value::Null, Value::String),
                        );
                        o.insert("lane".into(), w.lane.clone().into());
                        let phase = text(w.fields.get("phase"));
                        o.insert(
                            "phase".into(),
                            if phase.is_empty() {
                                "Unknown Phase".to_owned()
                            } else {
                                phase
                            }
                            .into(),
                        );
                        let file = Path::new(&w.file)
                            .file_name()
                            .map_or_else(|| w.file.clone(), |n| n.to_string_lossy().into_owned());
                        o.insert("file".into(), file.into());
                        for key in ["agent", "agent_profile", "shell_pid"] {
                            o.insert(key.into(), text(w.fields.get(key)).into());
                        }
                        if let Some(holder) = w.holder()
                            && text(w.fields.get("agent")).is_empty()
                        {
                            o.insert("agent".into(), holder.into());
                        }
                        o.insert(
                            "execution_mode".into(),
                            w.fields
                                .get("execution_mode")
                                .cloned()
                                .unwrap_or(Value::Null),
                        );
                        o.insert(
                            "workspace_kind".into(),
                            w.workspace_kind.map_or(Value::Null, |k| k.as_str().into()),
                        );
                        Value::Object(o)
                    })
                    .collect(),
            ),
        );
        m.insert(
            "progress_percentage".into(),
            self.progress_percentage().into(),
        );
        m.insert("stale_wps".into(), 0.into());
        m.insert("auto_commit".into(), true.into());
        m
    }

    /// The board for humans: the WPs grouped by status lane, each with its title, who holds it
    /// and its execution lane; the counts per execution lane; and what is next.
    pub fn text(&self) -> String {
        let groups: [(&str, &[&str]); 8] = [
            ("In progress", &["claimed", "in_progress"]),
            ("For review", &["for_review", "in_review"]),
            ("Planned", &["planned"]),
            ("Blocked", &["blocked"]),
            ("Approved", &["approved"]),
            ("Done", &["done"]),
            ("Canceled", &["canceled"]),
            ("Other", &[]),
        ];
        let done = self.wps.iter().filter(|w| w.lane == "done").count();
        let mut out = format!(
            "📊 Work Package Status: {}\nProgress: {done}/{} done ({:.1}% weighted)\n",
            self.mission_slug,
            self.wps.len(),
            self.progress_percentage()
        );
        let known: Vec<&str> = groups.iter().flat_map(|(_, l)| l.iter().copied()).collect();
        let id_w = self.wps.iter().map(|w| w.id.len()).max().unwrap_or(4);
        let title_w = self
            .wps
            .iter()
            .map(|w| w.title.as_deref().unwrap_or("").chars().count())
            .max()
            .unwrap_or(0)
            .min(40);
        for (name, lanes) in groups {
            let members: Vec<&WpEntry> = self
                .wps
                .iter()
                .filter(|w| {
                    let lane = canonical_lane(&w.lane).unwrap_or(w.lane.as_str());
                    if lanes.is_empty() {
                        !known.contains(&lane)
                    } else {
                        lanes.contains(&lane)
                    }
                })
                .collect();
            if members.is_empty() {
                continue;
            }
            out.push_str(&format!("\n{name} ({})\n", members.len()));
            for w in members {
                let title: String = w.title.as_deref().unwrap_or("").chars().take(40).collect();
                let mut notes: Vec<String> = Vec::new();
                if let Some(h) = w.holder() {
                    notes.push(if w.lane == "for_review" {
                        format!("by {h}")
                    } else {
                        h.to_owned()
                    });
                }
                if let Some(l) = &w.lane_id {
                    notes.push(l.clone());
                }
                if w.lane == "planned" {
                    let waiting: Vec<&str> = w
                        .deps
                        .iter()
                        .filter(|d| {
                            !self.wps.iter().any(|o| {
                                &o.id == *d && matches!(o.lane.as_str(), "approved" | "done")
                            })
                        })
                        .map(String::as_str)
                        .collect();
                    notes.push(if waiting.is_empty() {
                        "ready".to_owned()
                    } else {
                        format!("waits for {}", waiting.join(", "))
                    });
                }
                let line = format!(
                    "  {:<id_w$}  {:<title_w$}  {}",
                    w.id,
                    title,
                    notes.join(" · ")
                );
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
        // Per execution lane: how many WPs in each status.
        let mut lanes: Vec<(&str, Vec<&WpEntry>)> = Vec::new();
        for w in &self.wps {
            if let Some(l) = w.lane_id.as_deref() {
                match lanes.iter_mut().find(|(id, _)| *id == l) {
                    Some((_, v)) => v.push(w),
                    None => lanes.push((l, vec![w])),
                }
            }
        }
        lanes.sort_by(|a, b| a.0.cmp(b.0));
        if !lanes.is_empty() {
            out.push_str("\nLanes\n");
            let lane_w = lanes.iter().map(|(l, _)| l.len()).max().unwrap_or(6);
            for (lane, members) in &lanes {
                let counts: Vec<String> = status::LANES
                    .iter()
                    .filter_map(|s| {
                        let n = members
                            .iter()
                            .filter(|w| canonical_lane(&w.lane) == Some(*s))
                            .count();
                        (n > 0).then(|| format!("{n} {}", s.replace('_', " ")))
                    })
                    .collect();
                out.push_str(&format!("  {lane:<lane_w$}  {}\n", counts.join(", ")));
            }
        }
        let ready: Vec<&str> = self
            .wps
            .iter()
            .filter(|w| {
                w.lane == "planned"
                    && w.deps.iter().all(|d| {
                        self.wps
                            .iter()
                            .any(|o| &o.id == d && matches!(o.lane.as_str(), "approved" | "done"))
                    })
            })
            .map(|w| w.id.as_str())
            .collect();
        let reviews: Vec<&str> = self
            .wps
            .iter()
            .filter(|w| w.lane == "for_review")
            .map(|w| w.id.as_str())
            .collect();
        let mut next = Vec::new();
        if !reviews.is_empty() {
            next.push(format!("{} waiting for review", reviews.join(", ")));
        }
        if !ready.is_empty() {
            next.push(format!("{} ready to implement", ready.join(", ")));
        }
        out.push('\n');
        if !next.is_empty() {
            out.push_str(&format!("Next: {}\n", next.join("; ")));
        }
        out.push_str(&format!(
            "▶ Next action: spec-kitty next --agent <your-name> --mission {}\n",
            self.mission_slug
        ));
        out
    }
}

impl WpEntry {
    /// The agent holding the WP: the actor of its last event while it is claimed, in progress,
    /// waiting for or in review (not the finalize seed or an anonymous move).
    pub fn holder(&self) -> Option<&str> {
        (matches!(
            self.lane.as_str(),
            "claimed" | "in_progress" | "doing" | "for_review" | "in_review"
        ) && !matches!(self.actor.as_str(), "" | "finalize-tasks" | "user"))
        .then_some(self.actor.as_str())
    }
}

/// Options of a lane transition.
#[derive(Debug, Clone, Default)]
pub struct MoveOptions {
    /// Who moves it.
    pub agent: Option<String>,
    /// Why (also the reason a forced move needs).
    pub note: Option<String>,
    /// Reviewer for approvals (default: the agent, else git's user.name).
    pub reviewer: Option<String>,
    /// Review feedback file (a rejection's review reference).
    pub review_feedback_file: Option<PathBuf>,
    /// Bypass the state machine and its guards (needs an actor and a note).
    pub force: bool,
    /// A move to done without the lane branch merged into the target: why.
    pub done_override_reason: Option<String>,
}

/// A transition that happened.
#[derive(Debug, Clone)]
pub struct Moved {
    /// The lane the WP was in.
    pub from: String,
    /// The events appended (one per lane stepped through), in order.
    pub events: Vec<Event>,
    /// The WP's prompt file.
    pub path: PathBuf,
    /// The commit, when the project is a git repository.
    pub commit: Option<String>,
    /// Warnings met on the way (unreadable or torn event-log lines).
    pub warnings: Vec<Diag>,
}

fn fail(code: &'static str, message: String, help: &str) -> Failure {
    Failure::simple(Diag::error(code, message).with_help(help.to_owned()))
}

/// Directories of build and tool caches that belong in `.gitignore`, not in a commit.
const CACHE_DIRS: [&str; 7] = [
    "__pycache__/",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    "node_modules/",
    "target/",
    ".venv/",
];

/// When every path is inside a cache directory: those directories (`__pycache__/`, ...), to
/// suggest ignoring them rather than committing them.
fn cache_dirs(paths: &[&str]) -> Option<Vec<&'static str>> {
    let mut found: Vec<&'static str> = Vec::new();
    for p in paths {
        let p = p.trim_matches('"');
        let dir = CACHE_DIRS.iter().find(|d| {
            p.starts_with(*d) || p.contains(&format!("/{d}")) || p == d.trim_end_matches('/')
        })?;
        if !found.contains(dir) {
            found.push(dir);
        }
    }
    (!found.is_empty()).then_some(found)
}

/// Subtask lines of the WP's tasks.md section that are not checked.
fn open_subtasks(mission_dir: &Path, wp: &str) -> Vec<String> {
    subtasks(mission_dir, wp)
        .into_iter()
        .filter(|t| !t.done)
        .map(|t| t.id)
        .collect()
}

/// One subtask line of a WP's section in tasks.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtaskLine {
    /// `T001`.
    pub id: String,
    /// Whether its box is checked.
    pub done: bool,
    /// The line as written (without its line break).
    pub text: String,
}

/// The subtasks in `wp`'s section of tasks.md, in file order (none when tasks.md is missing or
/// does not parse).
pub fn subtasks(mission_dir: &Path, wp: &str) -> Vec<SubtaskLine> {
    let Ok(text) = std::fs::read_to_string(mission_dir.join("tasks.md")) else {
        return Vec::new();
    };
    let Ok(doc) = crate::tasks::parse::parse(&text) else {
        return Vec::new();
    };
    let Some(section) = doc.sections.iter().rev().find(|s| s.id == wp) else {
        return Vec::new();
    };
    doc.subtasks
        .iter()
        .filter(|t| t.span.start >= section.body.start && t.span.start < section.body.end)
        .map(|t| SubtaskLine {
            id: t.id.clone(),
            done: t.done,
            text: text
                .get(t.span.start..t.span.end)
                .unwrap_or_default()
                .trim_end()
                .to_owned(),
        })
        .collect()
}

/// Refuses to record status anywhere but on the mission's target branch (meta.json
/// `target_branch`): when the main checkout is on another branch, two agents would each see a
/// different board. Outside git, or for a mission without a target, there is nothing to check.
pub fn require_target_branch(root: &Path, mission: &MissionRef) -> Result<(), Failure> {
    let target = read_meta(&mission.dir)
        .get("target_branch")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let Some(target) = target else {
        return Ok(());
    };
    if !git::is_repo(root) {
        return Ok(());
    }
    let current = git::current_branch(root);
    if current.as_deref() == Some(target.as_str()) {
        return Ok(());
    }
    Err(fail(
        "status::wrong-branch",
        format!(
            "mission `{}` records its status on {target}, but the main checkout is on {}",
            mission.slug,
            current.as_deref().unwrap_or("a detached HEAD")
        ),
        &format!(
            "`git switch {target}` in {} and run this again (every agent must see one board)",
            root.display()
        ),
    ))
}

/// Moves a WP to another lane.
pub fn move_task(
    root: &Path,
    mission: &MissionRef,
    wp: &str,
    to: &str,
    opts: &MoveOptions,
) -> Result<Moved, Failure> {
    let wp = wp_arg(wp);
    let Some(to) = canonical_lane(to) else {
        return Err(fail(
            "status::unknown-lane",
            format!("`{to}` is not a lane"),
            "lanes: planned, claimed, in_progress (doing), for_review, in_review, approved, done, blocked, canceled",
        ));
    };
    // The guards read the current lane, so they run under the same locks as the append: two
    // agents claiming one WP at once get one claim and one refusal, never two claims.
    let _locks = TransitionLocks::take(root, &mission.slug)?;
    require_target_branch(root, mission)?;
    let b = board(root, mission)?;
    let entry = b.pick(Some(&wp), "planned")?;
    let manifest = workspace::load_manifest(&mission.dir, &mission.slug)?;
    let ws = workspace::resolve_workspace(root, &mission.slug, &manifest, &wp)?;
    let from = canonical_lane(&entry.lane).unwrap_or("planned");
    let actor = opts.agent.clone().filter(|a| !a.trim().is_empty());
    // A WP held by one agent (claimed, in progress or in review) is not moved by another (3.1.1's
    // agent-ownership check; --force overrides it).
    let held_by_other = matches!(from, "claimed" | "in_progress" | "in_review")
        && !entry.actor.is_empty()
        && actor.as_deref().is_some_and(|a| a != entry.actor);
    if !opts.force && held_by_other {
        return Err(fail(
            "status::claimed-by-other",
            format!("{wp} is already {from} by {}", entry.actor),
            "pick another work package (`spec-kitty next --agent <name>` finds one), or ask the holder to release it",
        ));
    }
    if from == to {
        if held_by_other {
            return Err(fail(
                "status::claimed-by-other",
                format!("{wp} is already {to} by {}", entry.actor),
                "pick another work package (`spec-kitty next --agent <name>` finds one), or ask the holder to release it",
            ));
        }
        // Already there: a no-op success, so a scripted retry does not fail.
        return Ok(Moved {
            from: from.to_owned(),
            events: Vec::new(),
            path: root.join(&entry.file),
            commit: None,
            warnings: b.warnings.clone(),
        });
    }
    // As 3.1.1: done means merged. A lane WP goes to done by hand only once its lane branch is in
    // the target (`spec-kitty merge` records done itself, whatever the strategy).
    if to == "done"
        && !opts.force
        && opts.done_override_reason.is_none()
        && let Some(branch) = ws
            .branch
            .as_deref()
            .filter(|b| git::branch_tip(root, b).is_some())
    {
        let target = if manifest.target_branch.is_empty() {
            git::current_branch(root).unwrap_or_else(|| "main".to_owned())
        } else {
            manifest.target_branch.clone()
        };
        if !git::is_ancestor(root, branch, &target) {
            return Err(fail(
                "status::not-merged",
                format!("Merge ancestry check failed: {branch} is not merged into {target}"),
                &format!(
                    "land the mission with `spec-kitty merge --mission {}` (it moves the WPs to done), or pass --done-override-reason \"...\"",
                    mission.slug
                ),
            ));
        }
    }
    let sched = crate::schedule::Schedule::load(root, mission)?;
    if !opts.force && matches!(to, "claimed" | "in_progress") {
        let unmet = sched.unmet_deps(&wp);
        if !unmet.is_empty() {
            let listed: Vec<String> = unmet.iter().map(|(d, l)| format!("{d} ({l})")).collect();
            return Err(fail(
                "status::dependencies-pending",
                format!(
                    "{wp} depends on {}, not approved or done yet",
                    listed.join(", ")
                ),
                "wait for them to be approved, or pass --force with --agent and --note to start anyway (recorded)",
            ));
        }
    }
    // One agent per workspace: a WP does not start while another agent implements a WP of the
    // same lane (its worktree is theirs until that WP goes to review).
    if !opts.force
        && matches!(to, "claimed" | "in_progress")
        && !matches!(from, "claimed" | "in_progress")
        && let Some(other) = sched
            .view(&wp)
            .and_then(|w| sched.lane_holder(w, actor.as_deref().unwrap_or("")))
    {
        return Err(fail(
            "status::lane-busy",
            format!(
                "{wp}'s workspace ({}) is in use: {} is implementing {} there",
                other.lane_id.as_deref().unwrap_or_default(),
                if other.actor.is_empty() {
                    "someone"
                } else {
                    other.actor.as_str()
                },
                other.id
            ),
            "wait until that work package goes to review (`spec-kitty next --agent <name>` finds other work), or pass --force with --agent and --note",
        ));
    }
    // Review by someone else: the implementer does not approve its own WP while other agents
    // take part in the mission (a solo agent still does, as in 3.1.1).
    let implementer = sched
        .wps
        .iter()
        .find(|w| w.id == wp)
        .and_then(|w| w.implementer.clone());
    let self_review = to == "approved"
        && actor.is_some()
        && implementer.is_some()
        && actor == implementer
        && actor.as_deref().is_some_and(|a| sched.others_present(a));
    if self_review && !opts.force {
        return Err(fail(
            "status::self-review",
            format!(
                "{wp} was implemented by {}; another agent must approve it",
                actor.as_deref().unwrap_or_default()
            ),
            "leave it in review for another agent (`spec-kitty next` offers it to them), or pass --force with --note to approve it yourself (recorded)",
        ));
    }
    let reason = opts.note.clone().or_else(|| {
        opts.done_override_reason
            .as_ref()
            .filter(|_| to == "done")
            .map(|r| format!("done override: {r}"))
    });
    if opts.force && (actor.is_none() || reason.is_none()) {
        return Err(fail(
            "status::force-needs-reason",
            format!("a forced move of {wp} needs --agent and --note"),
            "say who forces the move and why",
        ));
    }
    // Work ready for review: every subtask ticked and the WP's work committed in its workspace.
    let ready = || -> Result<(), Failure> {
        let open = open_subtasks(&mission.dir, &wp);
        if !open.is_empty() {
            return Err(fail(
                "status::subtasks-open",
                format!("{wp} has unchecked subtasks: {}", open.join(", ")),
                &format!(
                    "mark them with `spec-kitty agent tasks mark-status {} --status done --mission {}`, or pass --force",
                    open.join(" "),
                    mission.slug
                ),
            ));
        }
        let owned = crate::action::owned_globs(&mission.dir, &wp);
        let dirty = ws.uncommitted_changes(&mission.slug, &owned);
        if !dirty.is_empty() {
            let paths: Vec<&str> = dirty
                .iter()
                .map(|l| l.get(3..).unwrap_or(l).trim())
                .collect();
            let help = match cache_dirs(&paths) {
                Some(dirs) => format!(
                    "these are build or tool caches, not work: add {} to .gitignore in {} (do not commit them)",
                    dirs.join(", "),
                    ws.path.display()
                ),
                None => format!("commit the work in {} first", ws.path.display()),
            };
            return Err(fail(
                "status::dirty-workspace",
                format!(
                    "{wp}'s workspace has uncommitted changes: {}",
                    paths.join(", ")
                ),
                &help,
            ));
        }
        if ws.kind == WorkspaceKind::LaneWorktree
            && crate::action::commits_since_start(root, &mission.slug, &wp, &ws.path) == Some(0)
        {
            return Err(fail(
                "status::no-commits",
                format!(
                    "{wp} has no implementation commits in {}",
                    rel_path(root, &ws.path)
                ),
                &format!(
                    "commit the WP's work in {} (or pass --force if there is truly nothing to commit)",
                    ws.path.display()
                ),
            ));
        }
        Ok(())
    };
    let final_to = to;
    // One hop's guard: the evidence and review reference its event carries.
    let hop = |from: &str, to: &str| -> Result<(Value, Value), Failure> {
        let mut evidence = Value::Null;
        let mut review_ref = Value::Null;
        let Some(guard) = allowed(from, to) else {
            return Err(fail(
                "status::illegal-transition",
                format!("{wp} cannot move from {from} to {to}"),
                "follow the lanes planned → claimed → in_progress → for_review → in_review/approved → done, or pass --force with --agent and --note",
            ));
        };
        match guard {
            Guard::None => {}
            // A claim names its agent; a lane only passed through on the way (3.1.1 recorded
            // `user` there) does not need one.
            Guard::Actor if actor.is_none() && to == final_to => {
                return Err(fail(
                    "status::actor-required",
                    format!("moving {wp} to {to} needs --agent"),
                    "pass --agent <name>",
                ));
            }
            Guard::Actor => {}
            Guard::Workspace if !ws.path.is_dir() => {
                return Err(fail(
                    "status::no-workspace",
                    format!(
                        "{wp}'s workspace {} does not exist yet",
                        rel_path(root, &ws.path)
                    ),
                    &format!(
                        "create it with `spec-kitty agent action implement {wp} --agent <name> --mission {}`",
                        mission.slug
                    ),
                ));
            }
            Guard::Workspace => {}
            Guard::SubtasksComplete => ready()?,
            Guard::Reviewer => {
                let reviewer = opts
                    .reviewer
                    .clone()
                    .or_else(|| actor.clone())
                    .or_else(|| {
                        git::run(root, &["config", "user.name"])
                            .ok()
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                    })
                    .unwrap_or_else(|| "unknown".to_owned());
                evidence = serde_json::json!({"review": {"reviewer": reviewer, "verdict": if to == "approved" || to == "done" { "approved" } else { "changes_requested" }, "reference": reason.clone().unwrap_or_else(|| format!("move-task {wp} --to {to}"))}});
            }
            Guard::ReviewRef | Guard::Reason => {
                let r = opts
                    .review_feedback_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .or_else(|| reason.clone());
                let Some(r) = r else {
                    return Err(fail(
                        "status::reason-required",
                        format!("moving {wp} from {from} to {to} needs a reason"),
                        "pass --note \"...\" or --review-feedback-file <file>",
                    ));
                };
                review_ref = Value::String(r);
            }
        }
        Ok((evidence, review_ref))
    };
    // As 3.1.1: a move forward along planned → claimed → in_progress → for_review → in_review →
    // approved → done steps through every lane in between, each step with its own guard (so
    // `--to approved` from for_review is a review claim and an approval); a forced move is one
    // event.
    // A move back to planned is a rejection: as in 3.1.1 it needs a review feedback file (even
    // with --force), which is kept as the WP's next `tasks/<WP file>/review-cycle-N.md`.
    let feedback = if to == "planned" {
        Some(plan_feedback(root, mission, &wp, &entry.file, opts)?)
    } else {
        None
    };
    let hops: Vec<&str> = if opts.force {
        vec![to]
    } else {
        lane_steps(from, to)
    };
    // As 3.1.1, before any step: a move to for_review, approved or done needs the WP's work
    // complete and committed (checked again on approval: it may have changed since the review).
    if !opts.force && matches!(to, "for_review" | "approved" | "done") {
        ready()?;
    }
    let mut steps: Vec<(String, String, Value, Value)> = Vec::new();
    let mut cur = from;
    for next in hops {
        let (evidence, review_ref) = if opts.force {
            (Value::Null, Value::Null)
        } else {
            hop(cur, next)?
        };
        steps.push((cur.to_owned(), next.to_owned(), evidence, review_ref));
        cur = next;
    }
    // A review's feedback file is the move's review reference, whatever the guard (the next
    // implement prompt picks it up from there).
    let feedback_ref = match &feedback {
        Some(f) => Some(Value::String(f.pointer.clone())),
        None => opts.review_feedback_file.as_ref().map(|f| {
            Value::String(if f.is_absolute() {
                rel_path(root, f)
            } else {
                f.display().to_string()
            })
        }),
    };
    // An approval of a lane WP records the commit that was reviewed: a dependent lane merges
    // exactly that (lane_sync.rs), never later, unapproved work of the same lane.
    let approved_commit = steps
        .iter()
        .any(|(_, to, _, _)| to == "approved")
        .then(|| crate::action::reviewed_commit(root, mission, &wp, &ws))
        .flatten();
    // 3.1.1's reason when none is given: the whole move.
    let reason = reason.unwrap_or_else(|| format!("move-task: {from} -> {to}"));
    let last = steps.len().saturating_sub(1);
    let events: Vec<Event> = steps
        .into_iter()
        .enumerate()
        .map(|(i, (step_from, step_to, evidence, review_ref))| Event {
            actor: actor.clone().unwrap_or_else(|| "user".to_owned()),
            at: UtcTime::now().isoformat(),
            event_id: status::new_event_id(),
            evidence,
            execution_mode: ws.kind.execution_mode().into(),
            force: opts.force,
            from_lane: step_from,
            mission_slug: mission.slug.clone().into(),
            policy_metadata: {
                let mut meta = Map::new();
                if self_review {
                    meta.insert("self_review".into(), true.into());
                }
                if step_to == "approved"
                    && let Some(c) = &approved_commit
                {
                    meta.insert("approved_commit".into(), c.clone().into());
                }
                if meta.is_empty() {
                    Value::Null
                } else {
                    Value::Object(meta)
                }
            },
            reason: Value::String(reason.clone()),
            review_ref: match &feedback_ref {
                Some(r) if i == last => r.clone(),
                _ => review_ref,
            },
            to_lane: step_to,
            wp_id: wp.clone(),
        })
        .collect();
    // A rejection's feedback is committed with the transition, so the review leaves no untracked
    // file behind in the main checkout.
    let extra: Vec<PathBuf> = match &feedback {
        Some(f) => {
            if let Some(text) = &f.write {
                if let Some(dir) = f.artifact.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        Failure::simple(crate::diagnostics::io_error("status::feedback", dir, &e))
                    })?;
                }
                crate::util::write_atomic(&f.artifact, text.as_bytes()).map_err(|e| {
                    Failure::simple(crate::diagnostics::io_error(
                        "status::feedback",
                        &f.artifact,
                        &e,
                    ))
                })?;
            }
            vec![f.artifact.clone()]
        }
        None => opts
            .review_feedback_file
            .iter()
            .map(|f| {
                if f.is_absolute() {
                    f.clone()
                } else {
                    root.join(f)
                }
            })
            .filter(|f| f.is_file() && f.starts_with(root))
            .collect(),
    };
    let commit = append_and_commit_locked(
        root,
        mission,
        &events,
        &extra,
        &format!(
            "chore: Move {wp} to {to} on spec {}{}",
            mission_number(mission),
            actor.map(|a| format!(" [{a}]")).unwrap_or_default()
        ),
    )?;
    Ok(Moved {
        from: from.to_owned(),
        events,
        path: root.join(&entry.file),
        commit,
        warnings: b.warnings.clone(),
    })
}

/// 3.1.1's dependency alert after a WP went to review: the WPs that depend on it and are not yet
/// done (planned, claimed, in progress), and how each picks up changes a review may ask for. Empty
/// when there are none.
pub fn dependent_alert(root: &Path, mission: &MissionRef, wp: &str) -> Vec<String> {
    let Ok(b) = board(root, mission) else {
        return Vec::new();
    };
    let incomplete: Vec<&WpEntry> = b
        .wps
        .iter()
        .filter(|w| {
            matches!(
                canonical_lane(&w.lane),
                Some("planned" | "claimed" | "in_progress")
            ) && crate::action::wp_dependencies(&mission.dir, &w.id)
                .iter()
                .any(|d| d == wp)
        })
        .collect();
    if incomplete.is_empty() {
        return Vec::new();
    }
    let Ok(manifest) = workspace::load_manifest(&mission.dir, &mission.slug) else {
        return Vec::new();
    };
    let resolve = |id: &str| workspace::resolve_workspace(root, &mission.slug, &manifest, id).ok();
    let mine = resolve(wp).and_then(|w| w.branch);
    let mut lines = vec![
        String::new(),
        "⚠️  Dependency Alert".to_owned(),
        format!(
            "{} depend on {wp} (not yet done)",
            incomplete
                .iter()
                .map(|w| w.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        String::new(),
        "If changes are requested during review:".to_owned(),
        "  1. Notify dependent WP agents".to_owned(),
        "  2. Dependent workspaces may need to incorporate your changes".to_owned(),
    ];
    for dep in incomplete {
        let Some(ws) = resolve(&dep.id) else { continue };
        lines.push(match (&ws.branch, &mine) {
            (None, _) => format!(
                "     {}: planning-lane workspace (main repo checkout) — no rebase needed; ensure main is up to date",
                dep.id
            ),
            (Some(b), Some(m)) if b == m => {
                format!("     {}: shares {m} (same lane, no separate rebase command)", dep.id)
            }
            (Some(_), Some(m)) => format!("     cd {} && git rebase {m}", ws.path.display()),
            // The reviewed WP is a planning one: its work is on the target branch.
            (Some(_), None) => format!(
                "     cd {} && git rebase {}",
                ws.path.display(),
                manifest.target_branch
            ),
        });
    }
    lines
}

/// Where a rejection's feedback is kept, and how the event points at it.
struct Feedback {
    /// `kitty-specs/<slug>/tasks/<WP file stem>/review-cycle-N.md`.
    artifact: PathBuf,
    /// The text to write there, when the feedback came from another file.
    write: Option<String>,
    /// 3.1.1's `review-cycle://<slug>/<WP file stem>/review-cycle-N.md`.
    pointer: String,
}

/// The feedback a move back to planned needs (3.1.1's rule: a non-empty file, never bypassed).
/// A file already at the WP's next review-cycle place (where `agent action review` asks for it)
/// is kept; any other is copied there with 3.1.1's review-cycle frontmatter.
fn plan_feedback(
    root: &Path,
    mission: &MissionRef,
    wp: &str,
    wp_file: &str,
    opts: &MoveOptions,
) -> Result<Feedback, Failure> {
    let Some(given) = &opts.review_feedback_file else {
        return Err(fail(
            "status::feedback-required",
            format!("moving {wp} to planned requires review feedback"),
            &format!(
                "write the feedback to a file (`echo '**Issue**: ...' > feedback.md`), then `spec-kitty agent tasks move-task {wp} --to planned --review-feedback-file feedback.md`; --force does not bypass this"
            ),
        ));
    };
    let source = if given.is_absolute() {
        given.clone()
    } else {
        root.join(given)
    };
    let body = match std::fs::read_to_string(&source) {
        Ok(b) if !b.trim().is_empty() => b,
        Ok(_) => {
            return Err(fail(
                "status::feedback-empty",
                format!("review feedback file is empty: {}", rel_path(root, &source)),
                "write what has to change into it",
            ));
        }
        Err(e) => {
            return Err(Failure::simple(crate::diagnostics::io_error(
                "status::feedback-missing",
                &source,
                &e,
            )));
        }
    };
    let stem = Path::new(wp_file)
        .file_stem()
        .map_or_else(|| wp.to_owned(), |s| s.to_string_lossy().into_owned());
    let dir = mission.dir.join("tasks").join(&stem);
    let in_place = source.parent() == Some(dir.as_path())
        && source
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("review-cycle-") && n.ends_with(".md"));
    let (artifact, write) = if in_place {
        (source.clone(), None)
    } else {
        let n = (1..)
            .find(|n| !dir.join(format!("review-cycle-{n}.md")).exists())
            .unwrap_or(1);
        let reviewer = opts.agent.clone().unwrap_or_else(|| "unknown".to_owned());
        let text = format!(
            "---\naffected_files: []\ncycle_number: {n}\nmission_slug: {}\nreproduction_command:\nreviewed_at: {}\nreviewer_agent: {}\nverdict: rejected\nwp_id: {wp}\n---\n\n{body}",
            crate::tasks::frontmatter::scalar(&mission.slug),
            crate::tasks::frontmatter::scalar(&UtcTime::now().iso_z()),
            crate::tasks::frontmatter::scalar(&reviewer),
        );
        (dir.join(format!("review-cycle-{n}.md")), Some(text))
    };
    let file_name = artifact
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Feedback {
        pointer: format!("review-cycle://{}/{stem}/{file_name}", mission.slug),
        artifact,
        write,
    })
}

/// The lanes a move forward steps through, as 3.1.1 emitted them: every lane after `from` up to
/// `to` along planned → claimed → in_progress → for_review → in_review → approved → done; any
/// other move is the one step.
pub fn lane_steps<'a>(from: &str, to: &'a str) -> Vec<&'a str> {
    // The forward lanes: the nine but blocked and canceled.
    const FORWARD: &[&str] = status::LANES.split_at(7).0;
    match (
        FORWARD.iter().position(|l| *l == from),
        FORWARD.iter().position(|l| *l == to),
    ) {
        (Some(i), Some(j)) if j > i => FORWARD[i + 1..=j].to_vec(),
        _ => vec![to],
    }
}

/// The repository's spec-kitty git lock (when in git) and the mission's status lock, taken in
/// that order (the order every writer uses), held until dropped.
pub struct TransitionLocks {
    _git: Option<crate::util::FileLock>,
    _status: status::StatusLock,
}

impl TransitionLocks {
    /// Takes both locks (blocking).
    pub fn take(root: &Path, slug: &str) -> Result<Self, Failure> {
        let git = if git::is_repo(root) {
            Some(
                git::commit_lock(root)
                    .map_err(|e| Failure::simple(Diag::error("git::lock", e.to_string())))?,
            )
        } else {
            None
        };
        let status = status::lock(root, slug).map_err(|e| {
            Failure::simple(crate::diagnostics::io_error(
                "status::lock",
                &status::lock_path(root, slug),
                &e,
            ))
        })?;
        Ok(TransitionLocks {
            _git: git,
            _status: status,
        })
    }
}

fn mission_number(mission: &MissionRef) -> String {
    let digits: String = mission
        .slug
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        mission.slug.clone()
    } else {
        digits
    }
}

/// Appends events under the status lock, rewrites `status.json`, and commits both (when in git),
/// under the repository's spec-kitty git lock.
pub fn append_and_commit(
    root: &Path,
    mission: &MissionRef,
    events: &[Event],
    message: &str,
) -> Result<Option<String>, Failure> {
    let _locks = TransitionLocks::take(root, &mission.slug)?;
    append_and_commit_locked(root, mission, events, &[], message)
}

/// [`append_and_commit`] with the [`TransitionLocks`] already held; `extra` files (absolute, inside
/// the project) are committed with the status files.
fn append_and_commit_locked(
    root: &Path,
    mission: &MissionRef,
    events: &[Event],
    extra: &[PathBuf],
    message: &str,
) -> Result<Option<String>, Failure> {
    let events_path = mission.dir.join(status::EVENTS_FILE);
    let io = |code: &'static str, e: std::io::Error| {
        Failure::simple(crate::diagnostics::io_error(code, &events_path, &e))
    };
    status::append_events(&events_path, events).map_err(|e| io("status::append", e))?;
    let (all, _) = status::read_events(&events_path).map_err(|e| io("status::read", e))?;
    status::write_snapshot(&mission.dir, &all, &mission.slug, &read_meta(&mission.dir))
        .map_err(|e| io("status::write", e))?;
    if !git::is_repo(root) {
        return Ok(None);
    }
    let mut paths = vec![
        rel_path(root, &events_path),
        rel_path(root, &mission.dir.join(status::STATUS_FILE)),
    ];
    paths.extend(extra.iter().map(|p| rel_path(root, p)));
    let changed = git::status_porcelain(root, &paths).unwrap_or_default();
    if changed.trim().is_empty() {
        return Ok(None);
    }
    git::commit_paths(root, &paths, message)
        .map(Some)
        .map_err(|e| Failure::simple(Diag::error("git::commit", e.to_string())))
}

/// Ticks (or unticks) subtasks in tasks.md: `- [ ] T001` → `- [x] T001`, and commits tasks.md.
/// What `mark-status` did.
#[derive(Debug, Clone, Default)]
pub struct Marked {
    /// The subtasks found (and set), in the order given.
    pub updated: Vec<String>,
    /// The ids tasks.md has no subtask for.
    pub not_found: Vec<String>,
    /// The commit (in git, when tasks.md changed).
    pub commit: Option<String>,
}

/// Ticks (or unticks) subtasks in tasks.md and commits the change. As in 3.1.1, ids tasks.md does
/// not have are reported, not fatal, unless none is found.
pub fn mark_status(
    root: &Path,
    mission: &MissionRef,
    ids: &[String],
    done: bool,
) -> Result<Marked, Failure> {
    let path = mission.dir.join("tasks.md");
    // Read, edit, write and commit under the locks: agents ticking different subtasks at once
    // must not overwrite each other's ticks.
    let _locks = TransitionLocks::take(root, &mission.slug)?;
    require_target_branch(root, mission)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::simple(crate::diagnostics::io_error("tasks::read", &path, &e)))?;
    let doc = crate::tasks::parse::parse(&text)
        .map_err(|e| Failure::simple(Diag::error("tasks::parse", e.to_string())))?;
    let mut out = text.clone();
    let mut missing = Vec::new();
    let mut updated = Vec::new();
    // Edit back to front so spans stay valid.
    let mut edits: Vec<(usize, char)> = Vec::new();
    for id in ids {
        let id = id.trim().to_ascii_uppercase();
        let lines: Vec<_> = doc.subtasks.iter().filter(|t| t.id == id).collect();
        if lines.is_empty() {
            missing.push(id);
            continue;
        }
        if !updated.contains(&id) {
            updated.push(id.clone());
        }
        for t in lines {
            if let Some(off) = text[t.span.clone()].find('[') {
                edits.push((t.span.start + off + 1, if done { 'x' } else { ' ' }));
            }
        }
    }
    if updated.is_empty() {
        let mut known: Vec<String> = doc.subtasks.iter().map(|t| t.id.clone()).collect();
        known.dedup();
        return Err(fail(
            "tasks::unknown-subtask",
            format!("tasks.md has no subtask {}", missing.join(", ")),
            &format!(
                "subtask lines look like `- [ ] T001 ...`; known: {}",
                known.join(", ")
            ),
        ));
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (at, c) in edits {
        out.replace_range(at..at + 1, &c.to_string());
    }
    let mut marked = Marked {
        updated,
        not_found: missing,
        commit: None,
    };
    if out == text {
        return Ok(marked);
    }
    crate::util::write_atomic(&path, out.as_bytes())
        .map_err(|e| Failure::simple(crate::diagnostics::io_error("tasks::write", &path, &e)))?;
    if !git::is_repo(root) {
        return Ok(marked);
    }
    // 3.1.1's subjects: the id for one subtask, the count for several.
    let what = match marked.updated.as_slice() {
        [one] => one.clone(),
        many => format!("{} subtasks", many.len()),
    };
    marked.commit = Some(
        git::commit_paths(
            root,
            &[rel_path(root, &path)],
            &format!(
                "chore: Mark {what} as {} on spec {}",
                if done { "done" } else { "pending" },
                mission_number(mission)
            ),
        )
        .map_err(|e| Failure::simple(Diag::error("git::commit", e.to_string())))?,
    );
    Ok(marked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_moves_step_through_every_lane_between() {
        assert_eq!(
            lane_steps("for_review", "approved"),
            ["in_review", "approved"]
        );
        assert_eq!(
            lane_steps("planned", "in_progress"),
            ["claimed", "in_progress"]
        );
        assert_eq!(lane_steps("planned", "claimed"), ["claimed"]);
        // Backwards, sideways and out of the forward chain: one step.
        assert_eq!(lane_steps("approved", "planned"), ["planned"]);
        assert_eq!(lane_steps("in_progress", "blocked"), ["blocked"]);
        assert_eq!(lane_steps("blocked", "in_progress"), ["in_progress"]);
        // Every step of a forward chain is a transition the state machine allows.
        let steps = lane_steps("planned", "done");
        let mut from = "planned";
        for to in steps {
            assert!(allowed(from, to).is_some(), "{from} -> {to}");
            from = to;
        }
    }
}
