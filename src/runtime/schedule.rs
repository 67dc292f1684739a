//! The scheduler: which work package an agent does next, by one rule that `next`, `agent action
//! implement` (without a WP), `agent action review` (without a WP) and `agent context resolve` all
//! use, and the failure records that rule respects.
//!
//! The rule, in order: the WP this agent already holds (claimed or in progress: implement; in
//! review: review); then a WP waiting in `for_review` that this agent did not implement (unless no
//! other agent has taken part in the mission, when it reviews its own work as in 3.1.1); then a
//! planned WP whose dependencies are all approved or done and whose lane workspace no other agent
//! is working in. A WP reported failed or blocked, and every WP that depends on it, is handed to no
//! one until the agent that reported it clears it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::compiler::status;
use crate::project::MissionRef;
use crate::runtime::board::view as board;
use crate::support::diagnostics::{Failure, io_error};

/// Actors that are not agents: the seed events of finalize, `move-task` without `--agent`, merge.
const NOT_AGENTS: [&str; 4] = ["finalize-tasks", "user", "merge", ""];

/// One WP as the scheduler sees it.
#[derive(Debug, Clone)]
pub struct WpView {
    /// `WP01`.
    pub id: String,
    /// Its lane.
    pub lane: String,
    /// The actor of its last event.
    pub actor: String,
    /// The agent that last started implementing it (claimed or moved it to in_progress).
    pub implementer: Option<String>,
    /// Its dependencies.
    pub deps: Vec<String>,
    /// Its execution lane (`lane-a`, ...), when finalized.
    pub lane_id: Option<String>,
}

/// A step an agent reported failed or blocked (`next --result failed|blocked`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRecord {
    /// Who reported it.
    pub agent: String,
    /// The WP it was working on, if any (`None`: the agent's own planning step).
    #[serde(default)]
    pub wp_id: Option<String>,
    /// That WP's execution lane.
    #[serde(default)]
    pub lane_id: Option<String>,
    /// `failed` or `blocked`.
    pub result: String,
    /// When.
    pub at: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FailureFile {
    #[serde(default)]
    failures: Vec<FailureRecord>,
}

/// What the rule picks for an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// Implement (or go on implementing) this WP.
    Implement(String),
    /// Review this WP.
    Review(String),
    /// Nothing is available now.
    Nothing,
}

/// The mission's WPs, the agents seen, and the failure records.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Every WP, in id order.
    pub wps: Vec<WpView>,
    /// Every agent that appears in the status log.
    pub agents: BTreeSet<String>,
    /// Open failure records.
    pub failures: Vec<FailureRecord>,
}

/// Where the failure records of a mission live (out of the tree: under `.git/` in a checkout).
pub fn failures_path(root: &Path, slug: &str) -> PathBuf {
    let git = root.join(".git");
    let base = if git.is_dir() {
        git.join("spec-kitty").join("next")
    } else {
        root.join(".kittify").join("runtime").join("next")
    };
    base.join(format!("{slug}.json"))
}

/// Reads the failure records. An unreadable or old-format file counts as no records.
pub fn read_failures(root: &Path, slug: &str) -> Vec<FailureRecord> {
    std::fs::read_to_string(failures_path(root, slug))
        .ok()
        .and_then(|t| serde_json::from_str::<FailureFile>(&t).ok())
        .map(|f| f.failures)
        .unwrap_or_default()
}

/// Writes the failure records (removing the file when there are none).
pub fn write_failures(root: &Path, slug: &str, failures: &[FailureRecord]) -> Result<(), Failure> {
    let path = failures_path(root, slug);
    if failures.is_empty() {
        return match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Failure::simple(io_error("next::record", &path, &e))),
        };
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::simple(io_error("next::record", dir, &e)))?;
    }
    let file = FailureFile {
        failures: failures.to_vec(),
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    crate::support::util::write_atomic(&path, text.as_bytes())
        .map_err(|e| Failure::simple(io_error("next::record", &path, &e)))
}

impl Schedule {
    /// Reads the mission's board, status log and failure records.
    pub fn load(root: &Path, mission: &MissionRef) -> Result<Schedule, Failure> {
        let b = board::board(root, mission)?;
        Ok(Schedule::from_board(root, mission, &b))
    }

    /// The schedule of a board already read (its lanes, holders, execution lanes and
    /// dependencies), with the implementers and agents from the status log and the failure records.
    pub fn from_board(root: &Path, mission: &MissionRef, b: &board::Board) -> Schedule {
        let (events, _) =
            status::read_events(&mission.dir.join(status::EVENTS_FILE)).unwrap_or_default();
        let (ordered, _) = status::reduce(&events);
        let mut implementer: BTreeMap<&str, &str> = BTreeMap::new();
        let mut agents = BTreeSet::new();
        for e in &ordered {
            if !NOT_AGENTS.contains(&e.actor.as_str()) {
                agents.insert(e.actor.clone());
                if matches!(e.to_lane.as_str(), "claimed" | "in_progress" | "doing") {
                    implementer.insert(e.wp_id.as_str(), e.actor.as_str());
                }
            }
        }
        let wps = b
            .wps
            .iter()
            .map(|w| WpView {
                id: w.id.clone(),
                lane: w.lane.clone(),
                actor: w.actor.clone(),
                implementer: implementer.get(w.id.as_str()).map(|a| (*a).to_owned()),
                deps: w.deps.clone(),
                lane_id: w.lane_id.clone(),
            })
            .collect();
        Schedule {
            wps,
            agents,
            failures: read_failures(root, &mission.slug),
        }
    }

    /// One WP, by id.
    pub fn view(&self, id: &str) -> Option<&WpView> {
        self.wps.iter().find(|w| w.id == id)
    }

    fn lane_of(&self, id: &str) -> &str {
        self.view(id).map_or("planned", |w| w.lane.as_str())
    }

    /// Whether any agent other than `me` has taken part in the mission.
    pub fn others_present(&self, me: &str) -> bool {
        self.agents.iter().any(|a| a != me)
    }

    /// Dependencies of `wp` that are not approved or done, with their lanes.
    pub fn unmet_deps(&self, wp: &str) -> Vec<(String, String)> {
        self.view(wp)
            .map(|w| {
                w.deps
                    .iter()
                    .filter(|d| !matches!(self.lane_of(d), "approved" | "done"))
                    .map(|d| (d.clone(), self.lane_of(d).to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The WP `me` holds: claimed, in progress or in review, `me` being the actor of its last event.
    pub fn held_by(&self, me: &str) -> Option<&WpView> {
        self.wps.iter().find(|w| {
            matches!(w.lane.as_str(), "claimed" | "in_progress" | "in_review")
                && w.actor == me
                && !me.is_empty()
        })
    }

    /// The failure record that keeps `wp` from being handed out: one on the WP itself or on any WP
    /// it depends on, directly or not.
    pub fn failure_blocking(&self, wp: &str) -> Option<&FailureRecord> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![wp.to_owned()];
        while let Some(id) = stack.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            if let Some(f) = self
                .failures
                .iter()
                .find(|f| f.wp_id.as_deref() == Some(id.as_str()))
            {
                return Some(f);
            }
            if let Some(w) = self.view(&id) {
                stack.extend(w.deps.iter().cloned());
            }
        }
        None
    }

    /// Whether `me` may review `wp`: not its implementer, unless no other agent has taken part.
    pub fn may_review(&self, wp: &str, me: &str) -> bool {
        let implementer = self.view(wp).and_then(|w| w.implementer.as_deref());
        implementer != Some(me) || me.is_empty() || !self.others_present(me)
    }

    /// The WP of another agent that is being implemented in `wp`'s lane workspace, if any: one
    /// workspace holds one agent at a time.
    pub fn lane_holder(&self, wp: &WpView, me: &str) -> Option<&WpView> {
        let lane = wp.lane_id.as_ref()?;
        self.wps.iter().find(|o| {
            o.id != wp.id
                && o.lane_id.as_ref() == Some(lane)
                && matches!(o.lane.as_str(), "claimed" | "in_progress")
                && o.actor != me
        })
    }

    /// The rule.
    pub fn pick(&self, me: &str) -> Pick {
        if let Some(w) = self.held_by(me) {
            return if w.lane == "in_review" {
                Pick::Review(w.id.clone())
            } else {
                Pick::Implement(w.id.clone())
            };
        }
        if let Some(w) = self.review_candidate(me) {
            return Pick::Review(w.id.clone());
        }
        if let Some(w) = self.implement_candidate(me) {
            return Pick::Implement(w.id.clone());
        }
        Pick::Nothing
    }

    /// The first WP in for_review that `me` may review and no failure holds back.
    pub fn review_candidate(&self, me: &str) -> Option<&WpView> {
        self.wps.iter().find(|w| {
            w.lane == "for_review"
                && self.may_review(&w.id, me)
                && self.failure_blocking(&w.id).is_none()
        })
    }

    /// The first planned WP whose dependencies are approved or done, whose lane workspace no other
    /// agent is working in, and that no failure holds back.
    pub fn implement_candidate(&self, me: &str) -> Option<&WpView> {
        self.wps.iter().find(|w| {
            w.lane == "planned"
                && self.unmet_deps(&w.id).is_empty()
                && self.lane_holder(w, me).is_none()
                && self.failure_blocking(&w.id).is_none()
        })
    }
}

/// The WP `agent` should take for `action` (`implement` or `review`) when none is named: what the
/// rule picks, or an error that says what the rule picks instead (or why nothing is available).
pub fn pick_for(
    root: &Path,
    mission: &MissionRef,
    agent: &str,
    action: &str,
) -> Result<String, Failure> {
    let sched = Schedule::load(root, mission)?;
    let slug = &mission.slug;
    let other = |verb: &str, wp: &str| {
        Failure::simple(
            crate::support::diagnostics::Diag::error(
                "action::next-is-other",
                format!("the next step for {agent} is to {verb} {wp}, not to {action}"),
            )
            .with_help(format!(
                "run `spec-kitty agent action {verb} {wp} --agent {agent} --mission {slug}`, or name the work package to {action}"
            )),
        )
    };
    match sched.pick(agent) {
        Pick::Implement(w) if action == "implement" => Ok(w),
        Pick::Review(w) if action == "review" => Ok(w),
        Pick::Implement(w) => Err(other("implement", &w)),
        Pick::Review(w) => Err(other("review", &w)),
        Pick::Nothing => Err(Failure::simple(
            crate::support::diagnostics::Diag::error(
                "status::no-wp-waiting",
                format!("no work package of mission `{slug}` is available to {agent} to {action}"),
            )
            .with_help(format!(
                "`spec-kitty next --agent {agent} --mission {slug}` says what it is waiting on"
            )),
        )),
    }
}
