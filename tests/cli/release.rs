//! `spec-kitty --version`, `release check` and `agent release prep`, through the real binary, on
//! scratch repositories with their own Cargo.toml, `.kittify/metadata.yaml` and CHANGELOG.md.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{git, git_init_commit, spec_kitty};

const CHANGELOG_311: &str = "# Changelog\n\n## [3.1.1] - 2026-04-09\n\n### Fixed\n\n- Things.\n\n## [3.1.0] - 2026-03-01\n\n- Older things.\n";

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn manifest(version: &str) -> String {
    format!("[package]\nname = \"spec-kitty\"\nversion = \"{version}\"\nedition = \"2024\"\n")
}

fn metadata(version: &str) -> String {
    format!(
        "# Spec Kitty Project Metadata\n# DO NOT EDIT MANUALLY\n\nspec_kitty:\n  version: {version}\n  initialized_at: '2026-04-09T10:00:00'\n  last_upgraded_at: null\nmigrations:\n  applied: []\n"
    )
}

/// A committed git repository with the three release files.
fn repo(version: &str, metadata_version: &str, changelog: Option<&str>) -> TempDir {
    let dir = TempDir::new().expect("tempdir");
    write(dir.path(), "Cargo.toml", &manifest(version));
    write(
        dir.path(),
        ".kittify/metadata.yaml",
        &metadata(metadata_version),
    );
    if let Some(text) = changelog {
        write(dir.path(), "CHANGELOG.md", text);
    }
    git_init_commit(dir.path());
    dir
}

fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = spec_kitty(dir);
    c.args(args)
        .env_remove("GITHUB_REF_NAME")
        .env_remove("GITHUB_REF");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    cmd(dir, args).output().expect("spec-kitty runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(out: &Output) -> Value {
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().count(),
        1,
        "stdout holds exactly one JSON line:\n{stdout}"
    );
    serde_json::from_str(&stdout).expect("stdout is JSON")
}

fn codes(report: &Value) -> Vec<String> {
    report["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| i["code"].as_str().expect("code").to_owned())
        .collect()
}

// ---- --version ----

#[test]
fn version_prints_name_and_version_and_touches_nothing() {
    let cwd = TempDir::new().expect("tempdir");
    let home = TempDir::new().expect("tempdir");
    for flag in ["--version", "-v"] {
        let out = cmd(cwd.path(), &[flag])
            .env("HOME", home.path())
            .env("SPEC_KITTY_HOME", home.path().join(".kittify"))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            text(&out.stdout),
            format!("spec-kitty {}\n", env!("CARGO_PKG_VERSION"))
        );
        // FR-601: this release is 3.1.1 (update with the version bump).
        assert_eq!(text(&out.stdout), "spec-kitty 3.1.1\n");
        assert!(out.stderr.is_empty());
    }
    for dir in [cwd.path(), home.path()] {
        let entries = std::fs::read_dir(dir).expect("read_dir").count();
        assert_eq!(entries, 0, "{} was written to", dir.display());
    }
}

// ---- release check: versions ----

#[test]
fn matching_versions_pass() {
    let repo = repo("3.1.1", "3.1.1", Some(CHANGELOG_311));
    let out = run(repo.path(), &["release", "check"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("Release Validator Summary\n-------------------------\nMode: branch\n")
    );
    assert!(stdout.contains("Version: 3.1.1\nTag: N/A\n"));
    assert!(stdout.ends_with("All required checks passed.\n"));
    assert!(out.stderr.is_empty());

    let out = run(
        repo.path(),
        &["release", "check", "--mode", "branch", "--json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(report["ok"], true);
    assert_eq!(report["mode"], "branch");
    assert_eq!(report["version"], "3.1.1");
    assert_eq!(report["metadata_version"], "3.1.1");
    assert_eq!(report["issues"], serde_json::json!([]));
    assert_eq!(report["spec_kitty_version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn a_version_mismatch_fails_naming_both_values() {
    let repo = repo("3.1.1", "3.1.0", Some(CHANGELOG_311));
    let out = run(repo.path(), &["release", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let expected = "Version mismatch detected: Cargo.toml='3.1.1' vs .kittify/metadata.yaml='3.1.0' \
         (Hint: Update .kittify/metadata.yaml spec_kitty.version to '3.1.1' so both files agree \
         before cutting the release.)";
    assert!(
        stdout.contains(&format!("Issues detected:\n  1. {expected}\n")),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("release::version-mismatch"), "{stderr}");
    assert!(
        stderr.contains("'3.1.1'") && stderr.contains("'3.1.0'"),
        "{stderr}"
    );

    let out = run(repo.path(), &["release", "check", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["ok"], false);
    assert_eq!(codes(&report), ["release::version-mismatch"]);
    assert_eq!(report["metadata_version"], "3.1.0");
    assert!(out.stderr.is_empty(), "--json keeps stderr quiet");
}

#[test]
fn the_comparison_is_exact() {
    // `3.1.1` and `v3.1.1` or `3.1.1 ` are different strings: 3.1.1's rule.
    let repo = repo("3.1.1", "'3.1.1 '", Some(CHANGELOG_311));
    let report = json(&run(repo.path(), &["release", "check", "--json"]));
    assert_eq!(codes(&report), ["release::version-mismatch"]);
}

#[test]
fn a_missing_metadata_key_or_file_is_an_issue() {
    let repo = repo("3.1.1", "3.1.1", Some(CHANGELOG_311));
    write(
        repo.path(),
        ".kittify/metadata.yaml",
        "spec_kitty:\n  initialized_at: x\n",
    );
    let report = json(&run(repo.path(), &["release", "check", "--json"]));
    assert_eq!(codes(&report), ["release::metadata-version"]);

    std::fs::remove_file(repo.path().join(".kittify/metadata.yaml")).expect("rm");
    let report = json(&run(repo.path(), &["release", "check", "--json"]));
    assert_eq!(codes(&report), ["release::metadata-missing"]);
}

#[test]
fn a_malformed_version_is_an_issue() {
    let repo = repo("3.1", "3.1", Some("## 3.1\n- x\n"));
    let report = json(&run(repo.path(), &["release", "check", "--json"]));
    assert!(codes(&report).contains(&"release::version-format".to_owned()));
}

#[test]
fn semver_prereleases_are_release_versions() {
    let changelog = "## [3.2.0-alpha.1] - 2026-05-01\n\n- Preview.\n";
    let repo = repo("3.2.0-alpha.1", "3.2.0-alpha.1", Some(changelog));
    let out = run(repo.path(), &["release", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

// ---- release check: CHANGELOG ----

#[test]
fn a_changelog_without_the_section_fails_and_adding_it_passes() {
    let repo = repo(
        "3.1.1",
        "3.1.1",
        Some("# Changelog\n\n## [3.1.0] - 2026-03-01\n\n- Older.\n"),
    );
    let out = run(repo.path(), &["release", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "CHANGELOG.md lacks a populated section for 3.1.1. (Hint: Add release notes under a '## 3.1.1' heading.)"
        ),
        "{stdout}"
    );

    write(
        repo.path(),
        "CHANGELOG.md",
        "# Changelog\n\n## [3.1.1] - 2026-04-09\n\n- Hardening.\n\n## [3.1.0] - 2026-03-01\n\n- Older.\n",
    );
    let out = run(repo.path(), &["release", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn an_empty_section_fails_and_says_where() {
    let repo = repo(
        "3.1.1",
        "3.1.1",
        Some("# Changelog\n\n## [3.1.1] - 2026-04-09\n\n\n## 3.1.0\n- x\n"),
    );
    let report = json(&run(repo.path(), &["release", "check", "--json"]));
    assert_eq!(codes(&report), ["release::changelog-section"]);
    let hint = report["issues"][0]["hint"].as_str().expect("hint");
    assert!(hint.contains("line 3"), "{hint}");
}

#[test]
fn a_missing_changelog_fails() {
    let repo = repo("3.1.1", "3.1.1", None);
    let report = json(&run(repo.path(), &["release", "check", "--json"]));
    assert_eq!(codes(&report), ["release::changelog-missing"]);
}

#[test]
fn each_heading_form_of_the_reference() {
    let accepted = [
        "## [3.1.1] - 2026-04-09",
        "## 3.1.1",
        "##3.1.1",
        "## [ 3.1.1 ]",
    ];
    let rejected = [
        "## [3.1.1] 2026-04-09",
        "## [3.1.1] (2026-04-09)",
        "## v3.1.1",
        "### [3.1.1]",
    ];
    let repo = repo("3.1.1", "3.1.1", Some(CHANGELOG_311));
    for (heading, ok) in accepted
        .iter()
        .map(|h| (h, true))
        .chain(rejected.iter().map(|h| (h, false)))
    {
        write(
            repo.path(),
            "CHANGELOG.md",
            &format!("# Changelog\n\n{heading}\n\n- Notes.\n"),
        );
        let out = run(repo.path(), &["release", "check", "--json"]);
        let report = json(&out);
        if ok {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{heading:?} should be accepted: {report}"
            );
        } else {
            assert_eq!(out.status.code(), Some(1), "{heading:?} should be rejected");
            assert_eq!(
                codes(&report),
                ["release::changelog-section"],
                "{heading:?}"
            );
        }
    }
}

// ---- release check: everything at once, and outside a repository ----

#[test]
fn all_problems_are_reported_together() {
    let repo = repo("3.1.1", "3.1.0", Some("# Changelog\n"));
    git(repo.path(), &["tag", "v3.1.2"]);
    let out = run(
        repo.path(),
        &["release", "check", "--mode", "tag", "--tag", "v3.1.0"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    for n in 1..=4 {
        assert!(stdout.contains(&format!("\n  {n}. ")), "{stdout}");
    }
    let report = json(&run(
        repo.path(),
        &[
            "release", "check", "--mode", "tag", "--tag", "v3.1.0", "--json",
        ],
    ));
    assert_eq!(
        codes(&report),
        [
            "release::version-mismatch",
            "release::changelog-section",
            "release::tag-mismatch",
            "release::version-progression",
        ]
    );
}

#[test]
fn outside_a_repository_every_missing_file_is_named() {
    let dir = TempDir::new().expect("tempdir");
    let out = run(dir.path(), &["release", "check", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(
        codes(&report),
        [
            "release::manifest-missing",
            "release::metadata-missing",
            "release::changelog-missing",
            "release::git-tags",
        ]
    );
}

// ---- release check: tags ----

#[test]
fn tag_mode_passes_when_the_tag_matches_and_advances() {
    let repo = repo("3.1.1", "3.1.1", Some(CHANGELOG_311));
    git(repo.path(), &["tag", "v3.1.0"]);
    git(repo.path(), &["tag", "v3.1.1a2"]);
    git(repo.path(), &["tag", "v3.1.1"]);
    let out = run(
        repo.path(),
        &["release", "check", "--mode", "tag", "--tag", "v3.1.1"],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Mode: tag\n") && stdout.contains("Tag: v3.1.1\n"));
    let report = json(&run(
        repo.path(),
        &[
            "release", "check", "--mode", "tag", "--tag", "v3.1.1", "--json",
        ],
    ));
    assert_eq!(report["latest_tag"], "v3.1.1a2");
}

#[test]
fn tag_mode_reads_the_tag_from_ci() {
    let repo = repo("3.1.1", "3.1.1", Some(CHANGELOG_311));
    let out = cmd(repo.path(), &["release", "check", "--mode", "tag"])
        .env("GITHUB_REF_NAME", "v3.1.1")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    let out = run(
        repo.path(),
        &["release", "check", "--mode", "tag", "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&json(&out)), ["release::tag-missing"]);
}

#[test]
fn tag_mode_rejects_a_tag_that_is_not_v_version() {
    let repo = repo("3.1.1", "3.1.1", Some(CHANGELOG_311));
    for tag in ["3.1.1", "v3.1.2", "v3.1.1a1"] {
        let report = json(&run(
            repo.path(),
            &["release", "check", "--mode", "tag", "--tag", tag, "--json"],
        ));
        assert_eq!(codes(&report), ["release::tag-mismatch"], "{tag}");
    }
}

#[test]
fn a_version_that_does_not_advance_fails() {
    let repo = repo("3.1.1", "3.1.1", Some(CHANGELOG_311));
    git(repo.path(), &["tag", "v3.1.1"]);
    // Branch mode: the version is already tagged.
    let out = run(repo.path(), &["release", "check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("Version 3.1.1 does not advance beyond latest tag v3.1.1."),
        "{}",
        text(&out.stdout)
    );
    // Tag mode: an earlier tag is newer.
    git(repo.path(), &["tag", "v3.2.0"]);
    let report = json(&run(
        repo.path(),
        &[
            "release", "check", "--mode", "tag", "--tag", "v3.1.1", "--json",
        ],
    ));
    assert_eq!(codes(&report), ["release::version-progression"]);
    assert_eq!(report["latest_tag"], "v3.2.0");
}

#[test]
fn a_stable_hotfix_may_follow_a_later_minor_alpha() {
    let changelog = "## 3.1.2\n- Hotfix.\n";
    let repo = repo("3.1.2", "3.1.2", Some(changelog));
    git(repo.path(), &["tag", "v3.1.1"]);
    git(repo.path(), &["tag", "v3.2.0a4"]);
    git(repo.path(), &["tag", "not-a-release"]);
    let out = run(
        repo.path(),
        &["release", "check", "--mode", "tag", "--tag", "v3.1.2"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn check_runs_from_a_subdirectory() {
    let repo = repo("3.1.1", "3.1.1", Some(CHANGELOG_311));
    std::fs::create_dir_all(repo.path().join("src/deep")).expect("mkdir");
    let out = run(&repo.path().join("src/deep"), &["release", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn bad_flags_are_usage_errors() {
    let dir = TempDir::new().expect("tempdir");
    let out = run(dir.path(), &["release", "check", "--mode", "nightly"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(dir.path(), &["agent", "release", "prep"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(dir.path(), &["agent", "release", "prep", "--channel", "rc"]);
    assert_eq!(out.status.code(), Some(2));
}

// ---- agent release prep ----

fn event(wp: &str, from: &str, to: &str, at: &str, id: &str) -> String {
    format!(
        "{{\"actor\": \"claude\", \"at\": \"{at}\", \"event_id\": \"{id}\", \"evidence\": null, \"execution_mode\": \"worktree\", \"force\": false, \"from_lane\": \"{from}\", \"mission_slug\": \"001-user-auth\", \"policy_metadata\": null, \"reason\": null, \"review_ref\": null, \"to_lane\": \"{to}\", \"wp_id\": \"{wp}\"}}\n"
    )
}

fn wp(id: &str, title: &str, extra: &str) -> String {
    format!("---\nwork_package_id: {id}\ntitle: {title}\n{extra}---\n\n# {id} {title}\n\nBody.\n")
}

/// A repository at `version` with one mission: WP01 done, WP02 approved, WP03 in progress, WP04
/// without events but `status: done`, WP05 approved then sent back to planned.
fn prep_repo(version: &str) -> TempDir {
    let repo = repo(version, version, Some(CHANGELOG_311));
    let m = "kitty-specs/001-user-auth";
    write(
        repo.path(),
        &format!("{m}/meta.json"),
        "{\"friendly_name\": \"user auth\", \"mission_slug\": \"001-user-auth\"}\n",
    );
    write(
        repo.path(),
        &format!("{m}/tasks/WP01-login.md"),
        &wp("WP01", "WP01 Login endpoint", ""),
    );
    write(
        repo.path(),
        &format!("{m}/tasks/WP02-logout.md"),
        &wp("WP02", "Logout", ""),
    );
    write(
        repo.path(),
        &format!("{m}/tasks/WP03-tokens.md"),
        &wp("WP03", "Tokens", ""),
    );
    write(
        repo.path(),
        &format!("{m}/tasks/WP04-docs.md"),
        &wp("WP04", "'WP04: Docs'", "status: done\n"),
    );
    write(
        repo.path(),
        &format!("{m}/tasks/WP05-audit.md"),
        &wp("WP05", "Audit", ""),
    );
    let mut log = String::new();
    for (i, (w, from, to)) in [
        ("WP01", "planned", "claimed"),
        ("WP01", "claimed", "in_progress"),
        ("WP01", "in_progress", "approved"),
        ("WP01", "approved", "done"),
        ("WP02", "in_progress", "approved"),
        ("WP03", "planned", "in_progress"),
        ("WP05", "in_progress", "approved"),
        ("WP05", "approved", "planned"),
    ]
    .iter()
    .enumerate()
    {
        log.push_str(&event(
            w,
            from,
            to,
            &format!("2026-04-0{}T10:00:00+00:00", i + 1),
            &format!("01J{i:023}"),
        ));
    }
    // A duplicate of WP01's `done` event: reduced away.
    log.push_str(&event(
        "WP01",
        "approved",
        "done",
        "2026-04-04T10:00:00+00:00",
        "01J00000000000000000000003",
    ));
    write(repo.path(), &format!("{m}/status.events.jsonl"), &log);
    // A second mission with nothing accepted stays out of the block.
    write(
        repo.path(),
        "kitty-specs/002-other/tasks/WP01-x.md",
        &wp("WP01", "X", ""),
    );
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "missions"]);
    repo
}

#[test]
fn prep_drafts_a_block_whose_header_names_the_version() {
    let repo = prep_repo("3.1.1-beta.2");
    let out = run(
        repo.path(),
        &["agent", "release", "prep", "--channel", "stable", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let draft = json(&out);
    assert_eq!(draft["channel"], "stable");
    assert_eq!(draft["current_version"], "3.1.1-beta.2");
    assert_eq!(draft["proposed_version"], "3.1.1");
    let block = draft["changelog_block"].as_str().expect("block");
    let first = block.lines().next().expect("non-empty block");
    assert!(first.starts_with("## [3.1.1] - 20"), "{block}");
    assert_eq!(
        &block[first.len()..],
        "\n\n### user auth (`001-user-auth`)\n\n- WP01: Login endpoint\n- WP02: Logout\n- WP04: Docs\n"
    );
    assert!(!block.contains("WP01: WP01"));
    assert_eq!(draft["proposed_changelog_block"], draft["changelog_block"]);
    assert_eq!(
        draft["mission_slug_list"],
        serde_json::json!(["001-user-auth"])
    );
    assert_eq!(draft["target_branch"], "main");
    let inputs = &draft["structured_inputs"];
    assert_eq!(inputs["version"], "3.1.1");
    assert_eq!(inputs["tag_name"], "v3.1.1");
    assert_eq!(inputs["release_title"], "Release v3.1.1");
    assert_eq!(inputs["release_notes_body"], draft["changelog_block"]);
    assert_eq!(inputs["mission_slug_list"], "001-user-auth");
    let wps = &draft["missions"][0]["work_packages"];
    assert_eq!(wps[0]["lane"], "done");
    assert_eq!(wps[2]["lane"], Value::Null);
    let keys: Vec<&str> = draft
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys[..8],
        [
            "channel",
            "current_version",
            "proposed_version",
            "changelog_block",
            "proposed_changelog_block",
            "mission_slug_list",
            "target_branch",
            "structured_inputs",
        ]
    );
    // It wrote nothing.
    assert_eq!(
        git(repo.path(), &["status", "--porcelain", "--ignored"]),
        ""
    );
}

#[test]
fn the_drafted_block_satisfies_release_check_once_versions_are_bumped() {
    let repo = prep_repo("3.1.1-beta.2");
    let draft = json(&run(
        repo.path(),
        &["agent", "release", "prep", "--channel", "stable", "--json"],
    ));
    let block = draft["changelog_block"].as_str().expect("block");
    write(
        repo.path(),
        "CHANGELOG.md",
        &format!("# Changelog\n\n{block}"),
    );
    write(repo.path(), "Cargo.toml", &manifest("3.1.1"));
    write(repo.path(), ".kittify/metadata.yaml", &metadata("3.1.1"));
    let out = run(repo.path(), &["release", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn prep_human_output_has_the_panels() {
    let repo = prep_repo("3.1.1");
    let out = run(
        repo.path(),
        &["agent", "release", "prep", "--channel", "beta"],
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    for needle in [
        "Version Bump\n",
        "  Proposed: 3.1.2-beta.1\n",
        "Draft Changelog Block\n  ## [3.1.2-beta.1] - ",
        "  - WP01: Login endpoint\n",
        "Structured Inputs\n",
        "  tag_name:          v3.1.2-beta.1\n",
        "Next Steps (Manual)\n",
        "gh pr create",
        "git tag -a v3.1.2-beta.1",
        "gh run watch",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
}

#[test]
fn prep_without_accepted_work_packages_gives_just_the_heading() {
    let repo = repo("3.1.1", "3.1.1", Some(CHANGELOG_311));
    let draft = json(&run(
        repo.path(),
        &["agent", "release", "prep", "--channel", "alpha", "--json"],
    ));
    assert_eq!(draft["proposed_version"], "3.1.2-alpha.1");
    let block = draft["changelog_block"].as_str().expect("block");
    assert!(
        block.starts_with("## [3.1.2-alpha.1] - ") && block.lines().count() == 1,
        "{block}"
    );
    assert_eq!(draft["mission_slug_list"], serde_json::json!([]));
}

#[test]
fn prep_refuses_what_it_cannot_propose() {
    let repo = repo("3.1.1-rc.1", "3.1.1-rc.1", Some(CHANGELOG_311));
    let out = run(
        repo.path(),
        &["agent", "release", "prep", "--channel", "stable", "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let payload = json(&out);
    assert!(
        payload["error"].as_str().expect("error").contains("rc"),
        "{payload}"
    );

    let repo = self::repo("3.1.1-beta.1", "3.1.1-beta.1", Some(CHANGELOG_311));
    let out = run(
        repo.path(),
        &["agent", "release", "prep", "--channel", "alpha"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("release::prep-channel"));

    let dir = TempDir::new().expect("tempdir");
    let out = run(
        dir.path(),
        &["agent", "release", "prep", "--channel", "stable"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Cargo.toml"));
}

// ---- this repository (FR-601) ----

#[test]
fn this_repository_carries_one_version_and_its_changelog_section() {
    // Tags are left out of this test (a developer's local tags must not fail it); CI runs the
    // whole `release check --mode branch` on the repository in `.ci/run`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report = json(&run(root, &["release", "check", "--json"]));
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["metadata_version"], env!("CARGO_PKG_VERSION"));
    let codes = codes(&report);
    for code in [
        "release::version-format",
        "release::version-mismatch",
        "release::metadata-missing",
        "release::changelog-section",
        "release::changelog-missing",
    ] {
        assert!(!codes.contains(&code.to_owned()), "{code}: {report}");
    }
}
