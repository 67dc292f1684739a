//! `spec-kitty release check`: the pre-release validation (FR-602, FR-606), with the rules of
//! spec-kitty 3.1.1's `scripts/release/validate_release.py`.
//!
//! Every check runs and every problem is collected before the report is returned, in this order:
//! 1. the manifest version is a release version ([`super::version::Version::parse`]);
//! 2. `.kittify/metadata.yaml` `spec_kitty.version` equals it exactly;
//! 3. CHANGELOG.md has a populated section for it ([`super::changelog`]);
//! 4. tag mode: a tag is given (`--tag`, or `GITHUB_REF_NAME` / `GITHUB_REF` from CI) and equals
//!    `v<version>`;
//! 5. the version is greater than every existing `v*.*.*` tag (the tag under test excluded), with
//!    the later hotfix rule: a final release is only held back by final tags and by pre-release
//!    tags of its own major version at or below its minor, so `3.1.7` can ship after `v3.2.0a4`.
//!
//! Reading is cheap (three small files and one `git tag --list`), so the check runs in
//! milliseconds (NFR-005: well under 5 s).

use std::path::Path;

use serde::Serialize;

use super::version::Version;
use super::{CHANGELOG, Issue, MANIFEST, METADATA, changelog};

/// What is being released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Before tagging: the branch is ready to be cut.
    Branch,
    /// At the tag: the tag matches the version.
    Tag,
}

impl Mode {
    /// The mode's name as the flag spells it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Branch => "branch",
            Mode::Tag => "tag",
        }
    }
}

/// The inputs of a check.
#[derive(Debug, Clone)]
pub struct Options {
    /// Branch or tag mode.
    pub mode: Mode,
    /// The tag under test (tag mode): `--tag`, else what CI's environment names (see
    /// [`tag_from_env`]).
    pub tag: Option<String>,
}

/// The result: what was read, and every problem found. `ok` is true when `issues` is empty.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// True when every check passed.
    pub ok: bool,
    /// `branch` or `tag`.
    pub mode: &'static str,
    /// The repository root.
    pub root: String,
    /// Path of `Cargo.toml`.
    pub manifest: String,
    /// Path of `.kittify/metadata.yaml`.
    pub metadata: String,
    /// Path of `CHANGELOG.md`.
    pub changelog: String,
    /// `[package].version`, when it could be read.
    pub version: Option<String>,
    /// `spec_kitty.version`, when it could be read.
    pub metadata_version: Option<String>,
    /// The tag under test (tag mode).
    pub tag: Option<String>,
    /// The highest existing tag that gates progression, if any.
    pub latest_tag: Option<String>,
    /// Every problem, in check order.
    pub issues: Vec<Issue>,
}

/// The tag CI names in its environment (`GITHUB_REF_NAME`, else the last part of a
/// `refs/tags/...` `GITHUB_REF`), when it looks like a release tag.
pub fn tag_from_env(ref_name: Option<&str>, git_ref: Option<&str>) -> Option<String> {
    let is_release_tag = |t: &str| t.strip_prefix('v').and_then(Version::parse).is_some();
    if let Some(name) = ref_name
        && is_release_tag(name)
    {
        return Some(name.to_owned());
    }
    let candidate = git_ref?.strip_prefix("refs/tags/")?.rsplit('/').next()?;
    is_release_tag(candidate).then(|| candidate.to_owned())
}

/// Runs every check on the repository at `root`.
pub fn check(root: &Path, opts: &Options) -> Report {
    let manifest = root.join(MANIFEST);
    let metadata = root.join(METADATA);
    let changelog_path = root.join(CHANGELOG);
    let mut issues: Vec<Issue> = Vec::new();

    // 1. The manifest version and its format.
    let version = match super::read_manifest_version(&manifest) {
        Ok(v) => Some(v),
        Err(issue) => {
            issues.push(issue);
            None
        }
    };
    let parsed = version.as_deref().and_then(|v| {
        let parsed = Version::parse(v);
        if parsed.is_none() {
            issues.push(
                Issue::new(
                    "release::version-format",
                    format!(
                        "Version '{v}' is not a supported release version (expected X.Y.Z, \
                         X.Y.ZaN/X.Y.ZbN/X.Y.ZrcN or X.Y.Z-alpha.N/X.Y.Z-beta.N/X.Y.Z-rc.N)."
                    ),
                )
                .with_hint(format!(
                    "set [package].version in {MANIFEST} to a release version"
                )),
            );
        }
        parsed
    });

    // 2. metadata.yaml agrees, exactly.
    let metadata_version = match super::read_metadata_version(&metadata) {
        Ok(m) => Some(m),
        Err(issue) => {
            issues.push(issue);
            None
        }
    };
    if let (Some(v), Some(m)) = (&version, &metadata_version)
        && v != m
    {
        issues.push(
            Issue::new(
                "release::version-mismatch",
                format!("Version mismatch detected: {MANIFEST}='{v}' vs {METADATA}='{m}'"),
            )
            .with_hint(format!(
                "Update {METADATA} spec_kitty.version to '{v}' so both files agree before cutting the release."
            )),
        );
    }

    // 3. CHANGELOG.md has a populated section.
    match std::fs::read_to_string(&changelog_path) {
        Ok(text) => {
            if let Some(v) = &version {
                let section = changelog::find_section(&text, v);
                if !section.is_some_and(|s| s.populated) {
                    let hint = match section {
                        Some(s) => format!(
                            "The '{v}' heading on line {} of {CHANGELOG} has no content under it; add release notes there.",
                            s.line
                        ),
                        None => format!("Add release notes under a '## {v}' heading."),
                    };
                    issues.push(
                        Issue::new(
                            "release::changelog-section",
                            format!("{CHANGELOG} lacks a populated section for {v}."),
                        )
                        .with_hint(hint),
                    );
                }
            }
        }
        Err(e) => issues.push(Issue::new(
            "release::changelog-missing",
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("CHANGELOG not found at {}.", changelog_path.display())
            } else {
                format!("cannot read {}: {e}", changelog_path.display())
            },
        )),
    }

    // 4. Tag mode: the tag matches the version.
    let tag = match opts.mode {
        Mode::Branch => None,
        Mode::Tag => opts.tag.clone(),
    };
    if opts.mode == Mode::Tag {
        match (&tag, &version) {
            (None, _) => issues.push(
                Issue::new(
                    "release::tag-missing",
                    "No tag supplied and none detected from environment.",
                )
                .with_hint("Use --tag vX.Y.Z, or set GITHUB_REF_NAME when running in CI."),
            ),
            (Some(t), Some(v)) if *t != format!("v{v}") => issues.push(
                Issue::new(
                    "release::tag-mismatch",
                    format!("Tag {t} does not match project version {v}."),
                )
                .with_hint(format!(
                    "Retag the commit as v{v} or bump the version in {MANIFEST}."
                )),
            ),
            _ => {}
        }
    }

    // 5. Progression over the existing tags.
    let mut latest_tag = None;
    match release_tags(root, tag.as_deref()) {
        Ok(tags) => {
            if let Some(current) = &parsed
                && let Some((name, latest)) = gating_tag(current, &tags)
            {
                latest_tag = Some(name.clone());
                if current <= latest {
                    issues.push(
                        Issue::new(
                            "release::version-progression",
                            format!(
                                "Version {} does not advance beyond latest tag {name}.",
                                version.as_deref().unwrap_or_default()
                            ),
                        )
                        .with_hint(
                            "Select a stable or prerelease version greater than previously published releases.",
                        ),
                    );
                }
            }
        }
        Err(issue) => issues.push(issue),
    }

    Report {
        ok: issues.is_empty(),
        mode: opts.mode.name(),
        root: root.display().to_string(),
        manifest: manifest.display().to_string(),
        metadata: metadata.display().to_string(),
        changelog: changelog_path.display().to_string(),
        version,
        metadata_version,
        tag,
        latest_tag,
        issues,
    }
}

/// The repository's release tags (`v*.*.*` that parse as versions), the tag under test excluded.
fn release_tags(root: &Path, exclude: Option<&str>) -> Result<Vec<(String, Version)>, Issue> {
    let out = crate::support::git::run(root, &["tag", "--list", "v*.*.*"]).map_err(|e| {
        Issue::new(
            "release::git-tags",
            format!("cannot list the git tags: {e}"),
        )
        .with_hint("run release check inside a git checkout of the repository")
    })?;
    Ok(out
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty() && Some(*t) != exclude)
        .filter_map(|t| {
            let v = Version::parse(t.strip_prefix('v')?)?;
            Some((t.to_owned(), v))
        })
        .collect())
}

/// The highest tag that gates `current` (see the module docs for the hotfix rule).
pub fn gating_tag<'a>(
    current: &Version,
    tags: &'a [(String, Version)],
) -> Option<(&'a String, &'a Version)> {
    tags.iter()
        .filter(|(_, t)| {
            current.is_prerelease()
                || !t.is_prerelease()
                || (t.major == current.major && t.minor <= current.minor)
        })
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
        .map(|(n, v)| (n, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(names: &[&str]) -> Vec<(String, Version)> {
        names
            .iter()
            .filter_map(|n| Some((n.to_string(), Version::parse(n.strip_prefix('v')?)?)))
            .collect()
    }

    fn gate(current: &str, names: &[&str]) -> Option<String> {
        let current = Version::parse(current).expect("version");
        gating_tag(&current, &tags(names)).map(|(n, _)| n.clone())
    }

    #[test]
    fn the_highest_tag_gates() {
        assert_eq!(
            gate("3.1.1", &["v3.0.0", "v3.1.0", "v3.1.0a7"]).as_deref(),
            Some("v3.1.0")
        );
        assert_eq!(gate("3.1.1", &[]), None);
    }

    #[test]
    fn a_stable_hotfix_ignores_later_minor_prereleases() {
        assert_eq!(
            gate("3.1.7", &["v3.1.6", "v3.2.0a4"]).as_deref(),
            Some("v3.1.6")
        );
        // Same-line pre-releases still count: 3.1.6 cannot follow v3.1.7a1.
        assert_eq!(
            gate("3.1.6", &["v3.1.5", "v3.1.7a1"]).as_deref(),
            Some("v3.1.7a1")
        );
        // A pre-release is gated by everything.
        assert_eq!(
            gate("3.1.8a1", &["v3.1.6", "v3.2.0a4"]).as_deref(),
            Some("v3.2.0a4")
        );
    }

    #[test]
    fn env_tags() {
        assert_eq!(
            tag_from_env(Some("v3.1.1"), None).as_deref(),
            Some("v3.1.1")
        );
        assert_eq!(tag_from_env(Some("main"), None), None);
        assert_eq!(
            tag_from_env(Some("main"), Some("refs/tags/v3.2.0-alpha.1")).as_deref(),
            Some("v3.2.0-alpha.1")
        );
        assert_eq!(tag_from_env(None, Some("refs/heads/v3.1.1")), None);
    }
}
