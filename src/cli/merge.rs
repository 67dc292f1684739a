//! `spec-kitty merge` and `spec-kitty agent mission merge`: one engine ([`spec_kitty::runtime::merge`]),
//! one set of flags and defaults.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};

use spec_kitty::runtime::merge::{self, Options, Push, Report, Strategy};
use spec_kitty::support::diagnostics::Diag;

use super::output;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StrategyArg {
    Merge,
    Squash,
    Rebase,
}

impl From<StrategyArg> for Strategy {
    fn from(s: StrategyArg) -> Self {
        match s {
            StrategyArg::Merge => Strategy::Merge,
            StrategyArg::Squash => Strategy::Squash,
            StrategyArg::Rebase => Strategy::Rebase,
        }
    }
}

/// Land a finished mission on its target branch: every lane into the mission branch, the mission
/// branch into the target (merge, squash or rebase), every WP to done, then the lane worktrees and
/// branches removed. Nothing moves until every step has succeeded; a conflict stops the merge with
/// the files and the commands that resolve it, and `--resume` continues after the fix.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  spec-kitty merge --mission 001-demo --dry-run      show the plan, change nothing
  spec-kitty merge --mission 001-demo                squash-merge (or .kittify/config.yaml merge.strategy)
  spec-kitty merge --strategy merge --keep-branch    a merge commit; keep the lane branches
  spec-kitty merge --mission 001-demo --resume       continue after resolving a conflict
  spec-kitty merge --mission 001-demo --abort        discard an interrupted merge")]
pub struct MergeArgs {
    /// Mission directory name under kitty-specs/, or its mission_id (default: from the current
    /// `kitty/mission-<slug>` branch, or the project's only mission).
    #[arg(long, alias = "feature")]
    pub mission: Option<String>,
    /// How the mission branch goes into the target (default: .kittify/config.yaml
    /// `merge.strategy`, else squash).
    #[arg(long, value_enum)]
    pub strategy: Option<StrategyArg>,
    /// The branch to land on (default: meta.json `target_branch`).
    #[arg(long)]
    pub target: Option<String>,
    /// Show what would be merged, and how; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Push the target branch to origin afterwards.
    #[arg(long)]
    pub push: bool,
    /// Delete the lane branches and the mission branch afterwards (the default).
    #[arg(long, overrides_with = "keep_branch")]
    pub delete_branch: bool,
    /// Keep the lane branches and the mission branch.
    #[arg(long, overrides_with = "delete_branch")]
    pub keep_branch: bool,
    /// Remove the lane worktrees afterwards (the default; never one with uncommitted work).
    #[arg(long, overrides_with = "keep_worktree")]
    pub remove_worktree: bool,
    /// Keep the lane worktrees.
    #[arg(long, overrides_with = "remove_worktree")]
    pub keep_worktree: bool,
    /// Continue an interrupted merge (after resolving its conflict).
    #[arg(long, conflicts_with_all = ["abort", "dry_run"])]
    pub resume: bool,
    /// Discard an interrupted merge and put the mission branch back.
    #[arg(long, conflicts_with = "dry_run")]
    pub abort: bool,
    /// Land work packages that are not approved (and a mission not accepted); recorded in their
    /// done events.
    #[arg(long)]
    pub allow_unapproved: bool,
    /// Accepted for 3.1.1 compatibility; has no effect (the merge always runs here).
    #[arg(long, hide = true, overrides_with = "no_auto_retry")]
    pub auto_retry: bool,
    /// Accepted for 3.1.1 compatibility; has no effect.
    #[arg(long, hide = true, overrides_with = "auto_retry")]
    pub no_auto_retry: bool,
}

pub fn run(args: MergeArgs) -> ExitCode {
    let json = args.json;
    let root = match output::project_root() {
        Ok(r) => r,
        Err(f) => return output::failure(f, json),
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| root.clone());
    if let Err(f) = merge::check_location(&root, &cwd) {
        return output::failure(f, json);
    }
    let flag = args.mission.clone().or_else(|| {
        spec_kitty::support::git::current_branch(&cwd).and_then(|b| merge::mission_from_branch(&b))
    });
    let mission = match spec_kitty::project::resolve_mission(
        &root,
        flag.as_deref(),
        "spec-kitty merge",
        false,
    ) {
        Ok(m) => m,
        Err(f) => return output::failure(f, json),
    };
    let opts = Options {
        strategy: args.strategy.map(Strategy::from),
        target: args.target.clone(),
        push: args.push,
        delete_branch: !args.keep_branch,
        remove_worktree: !args.keep_worktree,
        resume: args.resume,
        allow_unapproved: args.allow_unapproved,
    };
    if args.abort {
        return match merge::abort(&root, &mission) {
            Ok(a) => {
                if json {
                    let mut m = Map::new();
                    m.insert("result".into(), "aborted".into());
                    m.insert("mission_slug".into(), mission.slug.clone().into());
                    m.insert("had_state".into(), a.had_state.into());
                    m.insert(
                        "restored".into(),
                        a.restored
                            .as_ref()
                            .map_or(Value::Null, |(b, c)| json!({"branch": b, "commit": c})),
                    );
                    output::json_versioned(m);
                } else if !a.had_state {
                    output::stdout_lines(&[format!(
                        "No interrupted merge for {}; nothing to abort.",
                        mission.slug
                    )]);
                } else {
                    let mut lines = vec![format!(
                        "Aborted merge for {}. The merge record is removed.",
                        mission.slug
                    )];
                    if let Some((b, c)) = &a.restored {
                        lines.push(format!("  {b} is back at {}", short(c)));
                    }
                    lines
                        .push("  Lane branches, worktrees and the target were not changed.".into());
                    output::stdout_lines(&lines);
                }
                ExitCode::SUCCESS
            }
            Err(f) => output::failure(f, json),
        };
    }
    if args.dry_run {
        return match merge::plan(&root, &mission, &opts) {
            Ok(plan) => {
                // The plan is printed either way (exit 0, as in 3.1.1); what the merge would
                // refuse now is said on stderr, as a warning.
                let stop = merge::would_stop(&root, &plan, &opts);
                if json {
                    output::json_versioned(plan.dry_run_json(&opts));
                } else {
                    let mut lines = dry_run_lines(&plan, &opts);
                    if let Some(code) = stop
                        .as_ref()
                        .and_then(|f| f.diagnostics.first())
                        .map(|d| d.code)
                    {
                        lines.push(format!("  Run now, the merge would stop: {code} (below)"));
                    }
                    output::stdout_lines(&lines);
                }
                if let Some(f) = stop {
                    let warnings: Vec<Diag> = f
                        .diagnostics
                        .into_iter()
                        .map(|d| Diag {
                            severity: miette::Severity::Warning,
                            ..d
                        })
                        .collect();
                    output::diagnostics(&warnings);
                }
                ExitCode::SUCCESS
            }
            Err(f) => output::failure(f, json),
        };
    }
    match merge::merge(&root, &mission, &opts) {
        Ok(report) => {
            let push_failed = matches!(report.push, Push::Failed(_));
            if json {
                output::json_versioned(report_json(&report));
            } else {
                output::stdout_lines(&report_lines(&report));
                if let Push::Failed(msg) = &report.push {
                    output::diagnostics(&[Diag::error(
                        "merge::push-failed",
                        format!("Push failed: {msg}"),
                    )
                    .with_help(format!(
                        "the merge is complete locally; once the remote accepts it, push again with `spec-kitty merge --mission {} --push` or `git push origin {}`",
                        report.plan.slug, report.plan.target_branch
                    ))]);
                }
            }
            if push_failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(f) => output::failure(f, json),
    }
}

fn short(c: &str) -> &str {
    c.get(..7).unwrap_or(c)
}

fn dry_run_lines(plan: &merge::Plan, opts: &Options) -> Vec<String> {
    let mut lines = vec![
        format!("Merge plan for {} (dry run: nothing changes)", plan.slug),
        format!("  Mission branch: {}", plan.mission_branch),
        format!(
            "  Target branch: {} (from {})",
            plan.target_branch, plan.target_source
        ),
        format!("  Strategy: {}", plan.strategy.as_str()),
    ];
    for lane in &plan.lanes {
        lines.push(format!(
            "  {}: {} ({} → {})",
            lane.lane_id,
            lane.wp_ids.join(", "),
            lane.branch,
            plan.mission_branch
        ));
    }
    lines.push(format!(
        "  Then: {} → {} ({}), every WP to done",
        plan.mission_branch,
        plan.target_branch,
        plan.strategy.as_str()
    ));
    lines.push(format!(
        "  Afterwards: {} lane worktrees, {} lane branches and the mission branch{}",
        if opts.remove_worktree {
            "remove"
        } else {
            "keep"
        },
        if opts.delete_branch { "delete" } else { "keep" },
        if opts.push {
            format!(", push {} to origin", plan.target_branch)
        } else {
            String::new()
        }
    ));
    lines
}

fn report_lines(r: &Report) -> Vec<String> {
    let plan = &r.plan;
    if r.already_merged {
        let mut lines = vec![format!(
            "Mission {} is already merged into {}; nothing to do.",
            plan.slug, plan.target_branch
        )];
        if r.push == Push::Pushed {
            lines.push(format!("  ✓ Pushed {} to origin", plan.target_branch));
        }
        return lines;
    }
    let mut lines = Vec::new();
    if r.resumed {
        lines.push(format!("Resuming the interrupted merge of {}", plan.slug));
    }
    lines.push(format!("Lane-based merge for {}", plan.slug));
    lines.push(format!("  Mission branch: {}", plan.mission_branch));
    lines.push(format!(
        "  Lanes: {}",
        plan.lanes
            .iter()
            .map(|l| l.lane_id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for l in &r.lanes {
        let what = match l.outcome {
            "skipped" => {
                lines.push(format!("  - {} skipped (all WPs already done)", l.lane_id));
                continue;
            }
            "fast-forward" => " (fast-forward)",
            "up-to-date" => " (already merged)",
            _ => "",
        };
        let name = if l.lane_id == spec_kitty::compiler::lanes::PLANNING_LANE {
            format!("{} ({})", l.lane_id, l.branch)
        } else {
            l.lane_id.clone()
        };
        lines.push(format!("  ✓ {name} → {}{what}", plan.mission_branch));
    }
    lines.push(String::new());
    lines.push(format!(
        "✓ {} → {} ({}{})",
        plan.mission_branch,
        plan.target_branch,
        plan.strategy.as_str(),
        match r.landed {
            "fast-forward" => ", fast-forward",
            "up-to-date" => ", nothing new",
            _ => "",
        }
    ));
    lines.push(format!("  Commit: {}", short(&r.landed_commit)));
    if !r.done.is_empty() {
        // Grouped by reviewer, in WP order: `WP01, WP02 (approved by rev)`.
        let mut groups: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
        for d in &r.done {
            let who = d.reviewer.as_deref();
            match groups.iter_mut().find(|(r, _)| *r == who) {
                Some((_, wps)) => wps.push(&d.wp_id),
                None => groups.push((who, vec![&d.wp_id])),
            }
        }
        let parts: Vec<String> = groups
            .iter()
            .map(|(who, wps)| match who {
                Some(rv) => format!("{} (approved by {rv})", wps.join(", ")),
                None => format!("{} (unapproved)", wps.join(", ")),
            })
            .collect();
        lines.push(format!("  Done: {}", parts.join("; ")));
    }
    if let Some(dir) = &r.checkout_updated {
        lines.push(format!(
            "  Checkout updated: {} ({} now at {})",
            dir.display(),
            plan.target_branch,
            short(&r.target_after)
        ));
    }
    for w in &r.worktrees_removed {
        lines.push(format!("  Removed worktree: {w}"));
    }
    for (w, why) in &r.worktrees_kept {
        lines.push(format!("  Kept worktree: {w} ({why})"));
    }
    for b in &r.branches_deleted {
        lines.push(format!("  Deleted branch: {b}"));
    }
    for (b, why) in &r.branches_kept {
        lines.push(format!("  Kept branch: {b} ({why})"));
    }
    match &r.push {
        Push::NotRequested | Push::Failed(_) => {}
        Push::NoRemote => lines.push("  Push skipped: no `origin` remote".into()),
        Push::Pushed => lines.push(format!("  ✓ Pushed {} to origin", plan.target_branch)),
    }
    lines
}

fn report_json(r: &Report) -> Map<String, Value> {
    let plan = &r.plan;
    let mut m = Map::new();
    m.insert(
        "result".into(),
        if r.already_merged {
            "already_merged"
        } else {
            "merged"
        }
        .into(),
    );
    m.insert("mission_slug".into(), plan.slug.clone().into());
    m.insert("mission_branch".into(), plan.mission_branch.clone().into());
    m.insert("target_branch".into(), plan.target_branch.clone().into());
    m.insert("strategy".into(), plan.strategy.as_str().into());
    m.insert("resumed".into(), r.resumed.into());
    m.insert(
        "lanes".into(),
        r.lanes
            .iter()
            .map(|l| json!({"lane_id": l.lane_id, "branch": l.branch, "outcome": l.outcome}))
            .collect(),
    );
    m.insert("landed".into(), r.landed.into());
    m.insert("target_before".into(), r.target_before.clone().into());
    m.insert("target_commit".into(), r.target_after.clone().into());
    m.insert(
        "done".into(),
        r.done
            .iter()
            .map(|d| json!({"wp_id": d.wp_id, "reviewer": d.reviewer}))
            .collect(),
    );
    m.insert(
        "checkout_updated".into(),
        r.checkout_updated
            .as_ref()
            .map_or(Value::Null, |p| p.display().to_string().into()),
    );
    m.insert("worktrees_removed".into(), json!(r.worktrees_removed));
    m.insert(
        "worktrees_kept".into(),
        r.worktrees_kept
            .iter()
            .map(|(p, why)| json!({"path": p, "reason": why}))
            .collect(),
    );
    m.insert("branches_deleted".into(), json!(r.branches_deleted));
    m.insert(
        "branches_kept".into(),
        r.branches_kept
            .iter()
            .map(|(b, why)| json!({"branch": b, "reason": why}))
            .collect(),
    );
    let (push, error) = match &r.push {
        Push::NotRequested => ("not_requested", None),
        Push::NoRemote => ("no_remote", None),
        Push::Pushed => ("pushed", None),
        Push::Failed(e) => ("failed", Some(e.clone())),
    };
    m.insert("push".into(), push.into());
    if let Some(e) = error {
        m.insert("error".into(), format!("Push failed: {e}").into());
    }
    m
}
