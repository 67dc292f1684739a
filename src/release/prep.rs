//! `spec-kitty agent release prep`: the structured draft a human release engineer starts from
//! (FR-605). It proposes the next version and drafts a CHANGELOG block from the missions' accepted
//! work packages. It writes nothing, makes no network call, and never authors the final prose.
//!
//! A WP is *accepted* when its lane, reduced from the mission's `status.events.jsonl`
//! ([`crate::compiler::status::reduce`]), is `approved` or `done`; a WP with no event falls back to a
//! frontmatter `status` of `done`, `accepted` or `merged` (3.1.1's rule). Every mission under
//! `kitty-specs/` is scanned, in name order.
//!
//! The block opens with a version heading in the form `release check` accepts
//! (`## [X.Y.Z] - YYYY-MM-DD`), then one `### <mission> (`slug`)` list per mission with accepted
//! WPs: `- WP01: Login endpoint`. The WP title is the frontmatter `title`, else the file's first
//! `#`/`##` heading, else its file name; a leading copy of the WP id is removed, so 3.1.1's
//! `- WP01: WP01 Login endpoint` does not happen.

use std::path::Path;

use serde::Serialize;

use super::version::{Channel, Version, propose};
use super::{Issue, MANIFEST};
use crate::compiler::status::{EVENTS_FILE, read_events, reduce};
use crate::compiler::tasks::frontmatter::WpFile;
use crate::compiler::tasks::keys::is_wp_id;
use crate::project::{SPECS_DIR, list_missions};

/// Lanes that count as accepted.
pub const ACCEPTED_LANES: [&str; 2] = ["approved", "done"];
/// Frontmatter `status` values that count as accepted for a WP with no event.
pub const ACCEPTED_STATUSES: [&str; 3] = ["done", "accepted", "merged"];

/// The draft. Keys follow 3.1.1's JSON payload; `missions` is ours (the structured data the block
/// was rendered from).
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    /// `alpha`, `beta` or `stable`.
    pub channel: &'static str,
    /// `[package].version`.
    pub current_version: String,
    /// The proposed next version.
    pub proposed_version: String,
    /// The CHANGELOG block (markdown, ends with a newline).
    pub changelog_block: String,
    /// The same block (3.1.1's alias for downstream tools).
    pub proposed_changelog_block: String,
    /// Slugs of the missions in the block.
    pub mission_slug_list: Vec<String>,
    /// Always `main`.
    pub target_branch: &'static str,
    /// Inputs for the tag and release workflow.
    pub structured_inputs: StructuredInputs,
    /// The missions and their accepted WPs.
    pub missions: Vec<MissionDraft>,
    /// Non-fatal problems (unreadable WP files or event-log lines), as text.
    pub warnings: Vec<String>,
}

/// The name→value pairs of 3.1.1's `structured_inputs`.
#[derive(Debug, Clone, Serialize)]
pub struct StructuredInputs {
    /// The proposed version.
    pub version: String,
    /// `v<version>`.
    pub tag_name: String,
    /// `Release v<version>`.
    pub release_title: String,
    /// The changelog block.
    pub release_notes_body: String,
    /// The mission slugs, joined with `, `.
    pub mission_slug_list: String,
}

/// One mission with accepted WPs.
#[derive(Debug, Clone, Serialize)]
pub struct MissionDraft {
    /// Directory name under `kitty-specs/`.
    pub slug: String,
    /// `meta.json` `friendly_name`, else spec.md's first `# ` heading, else the slug.
    pub name: String,
    /// The accepted WPs, in file-name order.
    pub work_packages: Vec<AcceptedWp>,
}

/// An accepted WP.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptedWp {
    /// `WP01`.
    pub id: String,
    /// The title, without a leading copy of the id.
    pub title: String,
    /// The reduced lane, or `None` when acceptance came from the frontmatter `status`.
    pub lane: Option<String>,
}

/// Builds the draft for the repository at `root`. `today` (`YYYY-MM-DD`) dates the heading.
pub fn prep(root: &Path, channel: Channel, today: &str) -> Result<Draft, Issue> {
    let current = super::read_manifest_version(&root.join(MANIFEST))?;
    let parsed = Version::parse(&current).ok_or_else(|| {
        Issue::new(
            "release::version-format",
            format!("Cannot parse version '{current}' from {MANIFEST}."),
        )
        .with_hint("expected X.Y.Z, X.Y.Z-alpha.N or X.Y.Z-beta.N")
    })?;
    let proposed = propose(&parsed, channel)
        .map_err(|m| Issue::new("release::prep-channel", m))?
        .to_string();

    let mut warnings = Vec::new();
    let missions: Vec<MissionDraft> = list_missions(root)
        .into_iter()
        .filter_map(|slug| mission_draft(root, &slug, &mut warnings))
        .collect();
    let block = render_block(&proposed, today, &missions);
    let slugs: Vec<String> = missions.iter().map(|m| m.slug.clone()).collect();
    Ok(Draft {
        channel: channel.name(),
        current_version: current,
        proposed_version: proposed.clone(),
        changelog_block: block.clone(),
        proposed_changelog_block: block.clone(),
        mission_slug_list: slugs.clone(),
        target_branch: "main",
        structured_inputs: StructuredInputs {
            tag_name: format!("v{proposed}"),
            release_title: format!("Release v{proposed}"),
            version: proposed,
            release_notes_body: block,
            mission_slug_list: slugs.join(", "),
        },
        missions,
        warnings,
    })
}

/// Renders the block: the version heading, then one list per mission.
pub fn render_block(version: &str, today: &str, missions: &[MissionDraft]) -> String {
    let mut out = format!("## [{version}] - {today}\n");
    for m in missions {
        out.push_str(&format!("\n### {} (`{}`)\n\n", m.name, m.slug));
        for wp in &m.work_packages {
            out.push_str(&format!("- {}: {}\n", wp.id, wp.title));
        }
    }
    out
}

fn mission_draft(root: &Path, slug: &str, warnings: &mut Vec<String>) -> Option<MissionDraft> {
    let dir = root.join(SPECS_DIR).join(slug);
    let mut files: Vec<String> = std::fs::read_dir(dir.join("tasks"))
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("WP") && n.ends_with(".md"))
        .collect();
    files.sort();
    if files.is_empty() {
        return None;
    }

    let events_path = dir.join(EVENTS_FILE);
    let events = match read_events(&events_path) {
        Ok((events, bad)) => {
            for b in bad {
                warnings.push(format!(
                    "{SPECS_DIR}/{slug}/{EVENTS_FILE}:{}: skipped an unreadable event ({})",
                    b.line, b.message
                ));
            }
            events
        }
        Err(e) => {
            warnings.push(format!("cannot read {SPECS_DIR}/{slug}/{EVENTS_FILE}: {e}"));
            Vec::new()
        }
    };
    let (_, states) = reduce(&events);

    let mut work_packages = Vec::new();
    for file in &files {
        let display = format!("{SPECS_DIR}/{slug}/tasks/{file}");
        let text = match std::fs::read_to_string(dir.join("tasks").join(file)) {
            Ok(t) => t,
            Err(e) => {
                warnings.push(format!("cannot read {display}: {e}"));
                continue;
            }
        };
        let stem = file.trim_end_matches(".md");
        let parsed = WpFile::parse(file, &display, text.clone()).ok();
        let id = parsed
            .as_ref()
            .map(|w| w.meta.work_package_id.trim().to_owned())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| id_from_stem(stem));
        let lane = states.get(&id).map(|s| s.lane.clone());
        let accepted = match &lane {
            Some(l) => ACCEPTED_LANES.contains(&l.as_str()),
            None => parsed
                .as_ref()
                .and_then(frontmatter_status)
                .is_some_and(|s| ACCEPTED_STATUSES.contains(&s.to_ascii_lowercase().as_str())),
        };
        if !accepted {
            continue;
        }
        let title = parsed
            .as_ref()
            .and_then(|w| w.meta.title.clone())
            .and_then(|t| clean_title(&t, &id))
            .or_else(|| {
                let body = parsed.as_ref().map_or(text.as_str(), |w| w.body());
                first_heading(body).and_then(|h| clean_title(h, &id))
            })
            .or_else(|| clean_title(&stem.replace(['-', '_'], " "), &id))
            .unwrap_or_else(|| id.clone());
        work_packages.push(AcceptedWp { id, title, lane });
    }
    if work_packages.is_empty() {
        return None;
    }
    Some(MissionDraft {
        slug: slug.to_owned(),
        name: mission_name(&dir, slug),
        work_packages,
    })
}

/// `WP01` from `WP01-login-endpoint`, else the whole stem.
fn id_from_stem(stem: &str) -> String {
    let head = stem.split(['-', '_', ' ', '.']).next().unwrap_or(stem);
    if is_wp_id(head) { head } else { stem }.to_owned()
}

fn frontmatter_status(wp: &WpFile) -> Option<String> {
    let yaml = &wp.source.text[wp.yaml.clone()];
    let value: serde_json::Value = yaml_serde::from_str(yaml).ok()?;
    match value.get("status")? {
        serde_json::Value::String(s) => Some(s.trim().to_owned()),
        _ => None,
    }
}

fn first_heading(body: &str) -> Option<&str> {
    body.lines().map(str::trim).find_map(|l| {
        l.strip_prefix("# ")
            .or_else(|| l.strip_prefix("## "))
            .map(str::trim)
    })
}

/// The title without a leading copy of the WP id (`WP01 Login`, `WP01: Login`, `WP01 – Login`);
/// `None` when nothing is left.
pub fn clean_title(title: &str, id: &str) -> Option<String> {
    let t = title.trim();
    let rest = match t.get(..id.len()) {
        Some(head) if head.eq_ignore_ascii_case(id) => {
            let after = &t[id.len()..];
            // Only a whole id: `WP010` is not `WP01`.
            if after.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                t
            } else {
                after.trim_start_matches(|c: char| {
                    c.is_whitespace() || matches!(c, ':' | '-' | '.' | '–' | '—' | '|')
                })
            }
        }
        _ => t,
    };
    let rest = rest.trim();
    (!rest.is_empty()).then(|| rest.to_owned())
}

fn mission_name(dir: &Path, slug: &str) -> String {
    let from_meta = std::fs::read_to_string(dir.join("meta.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            v.get("friendly_name")
                .and_then(|n| n.as_str())
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
        });
    from_meta
        .or_else(|| {
            let spec = std::fs::read_to_string(dir.join("spec.md")).ok()?;
            spec.lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix("# "))
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| slug.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_lose_the_duplicated_id() {
        let c = |t: &str| clean_title(t, "WP01");
        assert_eq!(c("WP01 Login endpoint").as_deref(), Some("Login endpoint"));
        assert_eq!(c("WP01: Login endpoint").as_deref(), Some("Login endpoint"));
        assert_eq!(c("wp01 – Login").as_deref(), Some("Login"));
        assert_eq!(c("Login endpoint").as_deref(), Some("Login endpoint"));
        assert_eq!(c("WP010 other").as_deref(), Some("WP010 other"));
        assert_eq!(c("WP01"), None);
        assert_eq!(c("  "), None);
    }

    #[test]
    fn ids_from_file_names() {
        assert_eq!(id_from_stem("WP01-login-endpoint"), "WP01");
        assert_eq!(id_from_stem("WP12"), "WP12");
        assert_eq!(id_from_stem("WPx-thing"), "WPx-thing");
    }

    #[test]
    fn the_block_opens_with_a_heading_release_check_accepts() {
        let missions = vec![MissionDraft {
            slug: "001-user-auth".into(),
            name: "user auth".into(),
            work_packages: vec![AcceptedWp {
                id: "WP01".into(),
                title: "Login endpoint".into(),
                lane: Some("done".into()),
            }],
        }];
        let block = render_block("3.1.1", "2026-04-09", &missions);
        assert_eq!(
            block,
            "## [3.1.1] - 2026-04-09\n\n### user auth (`001-user-auth`)\n\n- WP01: Login endpoint\n"
        );
        assert!(super::super::changelog::has_populated_section(
            &block, "3.1.1"
        ));
    }
}
