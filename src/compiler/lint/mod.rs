//! `spec-kitty lint`: every finalize-tasks check over one mission or all of them, writing nothing
//! and reporting every problem at once, plus warnings for tasks.md constructs that spec-kitty
//! 3.1.1 silently read differently from what their authors meant.
//!
//! Each lint warning has its own code under `lint::`; [`RULES`] lists them with their one-line
//! descriptions (used by the SARIF rule table and `docs/lint.md`). To add a rule: write a function
//! that pushes diagnostics in [`lint_mission`], add its code to [`RULES`], document it, and add a
//! trycmd case that triggers it.

mod format;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::compiler::finalize::{self, Analysis, checks};
use crate::compiler::ownership::PLANNING_ARTIFACT;
use crate::compiler::tasks::ast::DepForm;
use crate::compiler::tasks::parse::{mentions, py_strip};
use crate::project::config::Config;
use crate::project::{MissionRef, SPECS_DIR, list_missions};
use crate::support::diagnostics::Diag;

pub use format::{Format, render_github, render_json, render_sarif};

/// The lint-only rules: (code, description).
pub const RULES: [(&str, &str); 12] = [
    (
        "tasks::duplicate-wp",
        "a WP id heads two tasks.md sections; the later one is used",
    ),
    (
        "wp::duplicate-file",
        "two prompt files claim the same WP id; the later one is used",
    ),
    (
        "lint::none-names-wp",
        "a dependency declaration says \"none\" but names a WP, which finalize counts as a dependency",
    ),
    (
        "lint::dependencies-heading-colon",
        "a `## Dependencies:` heading with a colon ends the final WP section; what follows is not read",
    ),
    (
        "lint::wp-without-section",
        "a WP prompt file has no section in tasks.md, so it gets no lane",
    ),
    (
        "lint::section-without-file",
        "a tasks.md section has no WP prompt file",
    ),
    (
        "lint::planning-dependency-in-prose",
        "a WP mentions a planning-artifact WP in prose without declaring the dependency",
    ),
    (
        "ownership::glob-matches-nothing",
        "an owned_files glob matches no file in the repository",
    ),
    (
        "lint::depends-on-colon",
        "`Depends on: WP01` (a colon after \"on\") declares no dependency",
    ),
    (
        "lint::lowercase-wp-id",
        "a lower-case id (`wp01`) in a dependency declaration is not read as a dependency",
    ),
    (
        "lint::misspelled-dependencies",
        "a label or heading close to `Dependencies` (`**Depndencies**:`, `Dependency:`) declares nothing",
    ),
    (
        "lint::work-package-number-heading",
        "a `## Work Package 1` heading opens no work package section",
    ),
];

/// The result for one mission.
#[derive(Debug, Clone)]
pub struct MissionLint {
    /// The mission directory name.
    pub slug: String,
    /// Errors and warnings, in check order.
    pub diagnostics: Vec<Diag>,
}

impl MissionLint {
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Lints every mission under `kitty-specs/`, in name order.
pub fn lint_all(root: &Path) -> Vec<MissionLint> {
    let branch = finalize::target_branch(root);
    let config = Config::read(root);
    list_missions(root)
        .into_iter()
        .map(|slug| {
            let mission = MissionRef {
                dir: root.join(SPECS_DIR).join(&slug),
                slug,
            };
            let target = finalize::meta_target_branch(&mission.dir);
            lint_on(
                root,
                &mission,
                target.as_deref().unwrap_or(&branch),
                &config,
            )
        })
        .collect()
}

/// Runs every finalize check on one mission (none stops the others) and the lint rules.
pub fn lint_mission(root: &Path, mission: &MissionRef) -> MissionLint {
    let branch = finalize::check_branch(root, &mission.dir);
    lint_on(root, mission, &branch, &Config::read(root))
}

fn lint_on(root: &Path, mission: &MissionRef, branch: &str, config: &Config) -> MissionLint {
    let mut diags: Vec<Diag> = Vec::new();
    let analysis = match finalize::analyze(root, mission, branch, config.clone()) {
        Ok(a) => a,
        Err(f) => {
            return MissionLint {
                slug: mission.slug.clone(),
                diagnostics: f.diagnostics,
            };
        }
    };
    let Analysis {
        mut loaded,
        parsed,
        resolution,
        refs,
        plans,
        ..
    } = analysis;
    let mut collect = |r: Result<(), crate::support::diagnostics::Failure>| {
        if let Err(f) = r {
            diags.extend(f.diagnostics);
        }
    };
    if !resolution.map.is_empty() {
        collect(checks::cycles(&loaded, &resolution));
        collect(checks::references(&loaded, &resolution));
    }
    collect(checks::requirement_mapping(&loaded, &parsed, &refs));
    collect(checks::disagreements(&loaded, &resolution));
    for (_, f) in &loaded.undecodable {
        diags.extend(f.diagnostics.iter().cloned());
    }
    match finalize::ownership_stage(&loaded, &plans, &resolution.map) {
        Ok(finalize::Ownership {
            manifests,
            diags: mut ownership_diags,
        }) => {
            loaded.warnings.append(&mut ownership_diags);
            let acyclic = crate::compiler::graph::cycles_as_311(&resolution.map).is_empty();
            if acyclic && let Err(f) = finalize::lane_stage(&loaded, &resolution, &manifests) {
                diags.extend(f.diagnostics);
            }
        }
        Err(f) => diags.extend(f.diagnostics),
    }
    diags.extend(finalize::state_checks(root, &loaded));
    diags.extend(std::mem::take(&mut loaded.warnings));

    // Lint rules.
    if let Some(src) = &loaded.tasks_md {
        let text: &str = &src.text;
        for section in &loaded.doc.sections {
            for d in section.deps.iter().filter(|d| d.form == DepForm::Colon) {
                let line_start = text[..d.decl_span.start].rfind('\n').map_or(0, |i| i + 1);
                let before = text[line_start..d.decl_span.start].to_lowercase();
                let decl = &text[d.decl_span.clone()];
                let value = decl.split_once(':').map_or("", |(_, v)| v);
                let value = py_strip(value)
                    .trim_start_matches('*')
                    .trim_start()
                    .to_lowercase();
                let says_none = value.starts_with("none")
                    || value.starts_with("no dep")
                    || value.starts_with("n/a")
                    || before
                        .trim_end()
                        .trim_end_matches('*')
                        .trim_end()
                        .ends_with("no");
                if says_none {
                    diags.push(
                        Diag::warning(
                            "lint::none-names-wp",
                            format!("{}: this declaration says there are no dependencies, yet finalize reads {} as one", section.id, d.wp),
                        )
                        .at(src, d.decl_span.clone(), "declaration")
                        .and_at(d.span.clone(), format!("read as a dependency on {}", d.wp))
                        .with_help("keep the Dependencies line to WP ids only (`**Dependencies**: none`) and move the prose to another line"),
                    );
                }
            }
        }
        for h in &loaded.doc.other_h2 {
            let line = &text[h.clone()];
            let title = py_strip(line.trim_start_matches('#'))
                .trim_start_matches('*')
                .to_lowercase();
            if title.starts_with("dependencies") && line.contains(':') {
                diags.push(
                    Diag::warning("lint::dependencies-heading-colon", "a `## Dependencies:` heading with a colon ends the final WP section")
                        .at(src, h.start..h.start + line.trim_end().len(), "ends the section above; nothing below is read")
                        .with_help("write `## Dependencies` (no colon) with a bullet list below it, or move the ids into the WP's section"),
                );
            }
        }
        if loaded.wps_yaml.is_none() {
            let sections: BTreeSet<&str> =
                loaded.doc.sections.iter().map(|s| s.id.as_str()).collect();
            for w in &loaded.wps {
                if !sections.contains(w.id.as_str()) {
                    diags.push(
                        Diag::warning("lint::wp-without-section", format!("{} has a prompt file but no section in tasks.md, so it gets no lane", w.id))
                            .at(&w.file.source, w.file.yaml.start..w.file.yaml.start, "this WP")
                            .with_help(format!("add a `## {}` section to tasks.md: without one it has no lane, so it cannot be implemented", w.id)),
                    );
                }
            }
            let files: BTreeSet<&str> = loaded.file_ids.iter().map(String::as_str).collect();
            let mut seen = BTreeSet::new();
            for s in loaded
                .doc
                .sections
                .iter()
                .filter(|s| !files.contains(s.id.as_str()))
            {
                if seen.insert(s.id.as_str()) {
                    diags.push(
                        Diag::warning(
                            "lint::section-without-file",
                            format!("{} has a section in tasks.md but no prompt file", s.id),
                        )
                        .at(src, s.id_span.clone(), "no tasks/ file for this WP")
                        .with_help(format!(
                            "add `tasks/{}-<slug>.md` with its frontmatter, or remove the section",
                            s.id
                        )),
                    );
                }
            }
        }
        // Dependencies on planning WPs that live only in prose.
        let planning: HashMap<&str, ()> = plans
            .iter()
            .filter(|p| p.execution_mode == PLANNING_ARTIFACT)
            .map(|p| (p.id.as_str(), ()))
            .collect();
        for section in &loaded.doc.sections {
            if planning.contains_key(section.id.as_str()) {
                continue;
            }
            let declared: BTreeSet<&str> = resolution
                .map
                .get(&section.id)
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            let mut reported = BTreeSet::new();
            for (id, span) in mentions(text, section.body.clone()) {
                if planning.contains_key(id.as_str())
                    && !declared.contains(id.as_str())
                    && id != section.id
                    && reported.insert(id.clone())
                {
                    diags.push(
                        Diag::warning(
                            "lint::planning-dependency-in-prose",
                            format!("{} mentions planning WP {id} but does not declare a dependency on it", section.id),
                        )
                        .at(src, span, "mentioned here")
                        .with_help(format!(
                            "if {} needs {id}'s output, declare it (`**Dependencies**: {id}`); planning WPs run in lane-planning on the main checkout",
                            section.id
                        )),
                    );
                }
            }
        }
    }
    MissionLint {
        slug: mission.slug.clone(),
        diagnostics: diags,
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use crate::project::MissionRef;

    fn fragment() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("## WP01 — A\n"),
            Just("## WP02\n"),
            Just("### WP03 x\n"),
            Just("#### WP04\n"),
            Just("## Notes\n"),
            Just("## Dependencies: WP01\n"),
            Just("### Dependencies\n"),
            Just("- WP02\n"),
            Just("**Dependencies**: none (WP01)\n"),
            Just("Depends on WP01, WP02\n"),
            Just("Requirement Refs: FR-001\n"),
            Just("- [ ] T001 x\n"),
            Just("é\r\n"),
            Just("WP01 WP02 prose\n"),
            Just("\n"),
            Just("**Dependencies**:\n"),
            Just("Depends on: WP9\n"),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(150))]

        /// Every check and lint rule on arbitrary tasks.md and WP files: no panic, and every label
        /// stays inside its source text.
        #[test]
        fn lint_never_panics(parts in proptest::collection::vec(fragment(), 0..25), wp in "[a-z:\\[\\]#\\n -]{0,60}", planning in any::<bool>()) {
            let dir = tempfile::tempdir().expect("tempdir");
            let root = dir.path();
            let m = root.join("kitty-specs/001-m");
            std::fs::create_dir_all(m.join("tasks")).expect("mkdir");
            std::fs::create_dir_all(root.join(".kittify")).expect("mkdir");
            std::fs::write(m.join("spec.md"), "- FR-001\n").expect("write");
            std::fs::write(m.join("tasks.md"), parts.concat()).expect("write");
            let mode = if planning { "planning_artifact" } else { "code_change" };
            std::fs::write(m.join("tasks/WP01-a.md"), format!("---\nwork_package_id: WP01\nexecution_mode: {mode}\n---\nsrc/a/x.py WP02\n")).expect("write");
            std::fs::write(m.join("tasks/WP02-b.md"), format!("---\nwork_package_id: WP02\n{wp}\n---\nbody\n")).expect("write");
            let mission = MissionRef { slug: "001-m".into(), dir: m };
            let result = super::lint_mission(root, &mission);
            for d in &result.diagnostics {
                if let Some(src) = &d.source {
                    for l in &d.labels {
                        prop_assert!(l.offset + l.len <= src.text.len(), "{}: label outside its source", d.code);
                    }
                }
            }
            let _ = super::render_sarif(std::slice::from_ref(&result));
            let _ = super::render_github(std::slice::from_ref(&result));
        }
    }
}
