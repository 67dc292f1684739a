//! The board: every WP of a mission with its lane, holder, execution lane and dependencies, read
//! from the WP files, the status log and lanes.json (`agent tasks status`, human and JSON).

use std::path::Path;

use serde_json::{Map, Value};

use crate::compiler::finalize;
use crate::compiler::status;
use crate::compiler::tasks::frontmatter::WpFile;
use crate::project::{MissionRef, rel_path};
use crate::runtime::workspace::{self, WorkspaceKind};
use crate::support::diagnostics::{Diag, Failure};

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

pub(super) fn read_meta(dir: &Path) -> Map<String, Value> {
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
            Failure::simple(crate::support::diagnostics::io_error(
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
    let manifest = crate::compiler::lanes_manifest::load_manifest(&mission.dir, &mission.slug).ok();
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
    wps.sort_by(|a, b| crate::compiler::graph::wp_cmp(&a.id, &b.id));
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

/// A failure with a code, a message and a help line.
pub(super) fn fail(code: &'static str, message: String, help: &str) -> Failure {
    Failure::simple(Diag::error(code, message).with_help(help.to_owned()))
}
