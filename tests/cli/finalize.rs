//! finalize-tasks through the real binary on projects written by the tests.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{copy_tree, git, git_init_commit, spec_kitty};

/// A scratch project: `.kittify/` plus one mission `001-m` in a git repository.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(spec: &str, tasks_md: &str, wps: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join(".kittify")).expect("mkdir");
        std::fs::write(root.join(".kittify/config.yaml"), "vcs:\n  type: git\n").expect("write");
        let m = root.join("kitty-specs/001-m/tasks");
        std::fs::create_dir_all(&m).expect("mkdir");
        std::fs::write(root.join("kitty-specs/001-m/spec.md"), spec).expect("write");
        std::fs::write(
            root.join("kitty-specs/001-m/meta.json"),
            "{\"mission_id\": \"01KZ00000000000000000000MM\"}\n",
        )
        .expect("write");
        std::fs::write(root.join("kitty-specs/001-m/tasks.md"), tasks_md).expect("write");
        for (name, text) in wps {
            std::fs::write(m.join(name), text).expect("write");
        }
        git_init_commit(root);
        Project { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn mission(&self) -> PathBuf {
        self.root().join("kitty-specs/001-m")
    }

    fn finalize(&self, extra: &[&str]) -> (i32, String, String) {
        let out = finalize_in(self.root()).args(extra).output().expect("runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn json(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["--json"];
        args.extend_from_slice(extra);
        let (code, stdout, _) = self.finalize(&args);
        (
            code,
            serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("one JSON document on stdout ({e}): {stdout}")),
        )
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.mission().join(rel)).expect("file")
    }

    /// Every file of the project except `.git/`, with its bytes.
    fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![self.root().to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("dir").flatten() {
                let p = e.path();
                if p.file_name().is_some_and(|n| n == ".git") {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((p.clone(), std::fs::read(&p).expect("read")));
                }
            }
        }
        out.sort();
        out
    }
}

/// `finalize-tasks --mission 001-m` in `dir`, to be given more arguments.
fn finalize_in(dir: &Path) -> std::process::Command {
    let mut cmd = spec_kitty(dir);
    cmd.args(["agent", "mission", "finalize-tasks", "--mission", "001-m"]);
    cmd
}

const SPEC: &str = "# Spec\n- FR-001 one\n- FR-002 two\n";

fn wp(id: &str, refs: &str, owned: &str, extra: &str) -> String {
    format!(
        "---\nwork_package_id: {id}\ntitle: {id} title\nrequirement_refs: [{refs}]\nexecution_mode: code_change\nowned_files: [{owned}]\nauthoritative_surface: {}\n{extra}---\n# {id}\n",
        owned.trim_end_matches("**")
    )
}

fn frontmatter_deps(text: &str) -> Vec<String> {
    let end = text[4..].find("\n---").map_or(text.len(), |i| i + 4);
    let v: yaml_serde::Value = yaml_serde::from_str(&text[4..end]).expect("yaml");
    v.get("dependencies")
        .and_then(|d| d.as_sequence())
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_else(|| panic!("dependencies key written: {text}"))
}

/// FR-304: the final WP declares none, and prose after it says "depends on WP01".
fn fr304(wp02_extra: &str) {
    let tasks = "# Tasks\n\n## WP01 — First\n\n**Dependencies**: none\n\n## WP02 — Second\n\n**Dependencies**: none\n\n## Notes\n\nWP02 depends on WP01 in spirit only; Depends on WP01.\n";
    let p = Project::new(
        SPEC,
        tasks,
        &[
            ("WP01-first.md", &wp("WP01", "FR-001", "src/a/**", "")),
            (
                "WP02-second.md",
                &wp("WP02", "FR-002", "src/b/**", wp02_extra),
            ),
        ],
    );
    let (code, json) = p.json(&[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["dependencies_parsed"]["WP02"], serde_json::json!([]));
    assert!(frontmatter_deps(&p.read("tasks/WP02-second.md")).is_empty());
    assert_eq!(
        json["lanes"]["lane_ids"],
        serde_json::json!(["lane-a", "lane-b"])
    );
    let lanes: Value = serde_json::from_str(&p.read("lanes.json")).expect("lanes.json");
    assert_eq!(
        lanes["lanes"][1]["wp_ids"],
        serde_json::json!(["WP02"]),
        "WP02 has its own lane"
    );
}

#[test]
fn fr304_prose_after_the_final_wp_is_not_a_dependency() {
    fr304("");
}

#[test]
fn fr304_with_explicit_empty_frontmatter_list() {
    fr304("dependencies: []\n");
}

fn two_wp_project() -> Project {
    let tasks = "## WP01\n**Dependencies**: none\n## WP02\nDepends on WP01\n";
    Project::new(
        SPEC,
        tasks,
        &[
            (
                "WP01-a.md",
                &wp(
                    "WP01",
                    "FR-001",
                    "src/a/**",
                    "# keep this comment\ncustom_key: kept\n",
                ),
            ),
            (
                "WP02-b.md",
                &wp(
                    "WP02",
                    "FR-002",
                    "src/b/**",
                    "lane: planned\nhistory:\n- at: '2026-01-01T00:00:00Z'\n  actor: system\n",
                ),
            ),
        ],
    )
}

#[test]
fn success_writes_lanes_frontmatter_and_status_and_commits_them() {
    let p = two_wp_project();
    let head_before = git(p.root(), &["rev-parse", "HEAD"]);
    let (code, json) = p.json(&[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["result"], "success");
    assert_eq!(json["commit_created"], true);
    assert_ne!(git(p.root(), &["rev-parse", "HEAD"]), head_before);
    assert_eq!(json["lanes"]["lane_ids"], serde_json::json!(["lane-a"]));
    assert_eq!(frontmatter_deps(&p.read("tasks/WP02-b.md")), ["WP01"]);
    // Surgical: comments, unknown keys, `lane:` and history mappings stay as written.
    let wp1 = p.read("tasks/WP01-a.md");
    assert!(
        wp1.contains("# keep this comment\ncustom_key: kept\n"),
        "{wp1}"
    );
    let wp2 = p.read("tasks/WP02-b.md");
    assert!(
        wp2.contains("lane: planned\nhistory:\n- at: '2026-01-01T00:00:00Z'\n  actor: system\n"),
        "{wp2}"
    );
    assert!(!wp2.contains("!!omap"));
    // Status files are written and committed (nothing left dirty).
    assert_eq!(p.read("status.events.jsonl").lines().count(), 2);
    assert!(p.read("status.json").contains("\"planned\": 2"));
    assert_eq!(git(p.root(), &["status", "--porcelain"]), "");
}

#[test]
fn rerun_on_an_unchanged_mission_changes_nothing_and_makes_no_commit() {
    let p = two_wp_project();
    assert_eq!(p.json(&[]).0, 0);
    let before = p.snapshot();
    let head = git(p.root(), &["rev-parse", "HEAD"]);
    let (code, json) = p.json(&[]);
    assert_eq!(code, 0);
    assert_eq!(json["commit_created"], false);
    assert_eq!(json["commit_hash"], Value::Null);
    assert_eq!(json["bootstrap"]["newly_seeded"], 0);
    assert_eq!(p.snapshot(), before, "second run changed files");
    assert_eq!(git(p.root(), &["rev-parse", "HEAD"]), head);
}

#[test]
fn a_project_in_a_subdirectory_of_its_repository_is_committed_too() {
    subdirectory_project(false);
}

#[test]
fn a_stray_git_directory_in_the_project_does_not_hide_the_repository_above() {
    // git looks past a `.git` directory that is not a repository, and so must finalize.
    subdirectory_project(true);
}

/// Finalizes a project that lives in `proj/` of its repository, twice.
fn subdirectory_project(stray_git_dir: bool) {
    let p = two_wp_project();
    let outer = tempfile::tempdir().expect("tempdir");
    let proj = outer.path().join("proj");
    copy_tree(p.root(), &proj);
    std::fs::remove_dir_all(proj.join(".git")).expect("rm .git");
    if stray_git_dir {
        std::fs::create_dir(proj.join(".git")).expect("mkdir .git");
    }
    git_init_commit(outer.path());
    let run = || {
        let out = finalize_in(&proj).arg("--json").output().expect("runs");
        let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        (out.status.code(), json)
    };
    let (code, json) = run();
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["commit_created"], true, "{json}");
    // Git's paths start at the repository's top (`proj/...`); every planning file is committed.
    let dirty = git(
        outer.path(),
        &[
            "status",
            "--porcelain",
            "--",
            "proj/kitty-specs/001-m/tasks",
            "proj/kitty-specs/001-m/tasks.md",
            "proj/kitty-specs/001-m/lanes.json",
        ],
    );
    assert_eq!(dirty, "");
    // The status lock lives in the repository's `.git/`, not beside the log as an untracked file.
    assert_eq!(
        git(
            outer.path(),
            &["status", "--porcelain", "--untracked-files=all"]
        ),
        ""
    );
    let (code, json) = run();
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["commit_created"], false, "{json}");
}

#[test]
fn validate_only_writes_nothing() {
    let p = two_wp_project();
    let before = p.snapshot();
    let (code, json) = p.json(&["--validate-only"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["result"], "validation_passed");
    assert_eq!(json["validation"]["lanes_preview"]["count"], 1);
    assert_eq!(json["would_modify"][1]["wp_id"], "WP02");
    assert_eq!(p.snapshot(), before);
}

#[test]
fn a_failing_run_leaves_every_file_byte_identical() {
    // Frontmatter needs rewriting (missing keys), then ownership fails: nothing may be written.
    let p = Project::new(
        SPEC,
        "## WP01\n## WP02\n",
        &[
            ("WP01-a.md", &wp("WP01", "FR-001", "src/a/**", "")),
            ("WP02-b.md", &wp("WP02", "FR-002", "src/a/**", "")),
        ],
    );
    let before = p.snapshot();
    let (code, json) = p.json(&[]);
    assert_eq!(code, 1);
    assert_eq!(json["error"], "Ownership validation failed");
    assert_eq!(p.snapshot(), before);
    let (code, _, stderr) = p.finalize(&[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("ownership::overlap"), "{stderr}");
}

#[test]
fn json_stdout_is_one_document_and_warnings_go_to_stderr() {
    let p = Project::new(
        SPEC,
        "## WP01\n",
        &[(
            "WP01-a.md",
            &wp("WP01", "FR-001, FR-002", "src/nowhere/**", ""),
        )],
    );
    std::fs::remove_file(p.mission().join("meta.json")).expect("rm");
    let (code, stdout, stderr) = p.finalize(&["--json", "--validate-only"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let _: Value = serde_json::from_str(&stdout).expect("stdout is exactly one JSON document");
    assert!(stderr.contains("meta.json missing"), "{stderr}");
    assert!(
        stderr.contains("ownership::glob-matches-nothing")
            && stderr.contains("WP01  src/nowhere/**"),
        "{stderr}"
    );
}

#[test]
fn three_digit_ids_and_lanes_past_z() {
    let mut tasks = String::new();
    let mut files = Vec::new();
    for n in 1..=28 {
        let id = if n == 28 {
            "WP100".to_owned()
        } else {
            format!("WP{n:02}")
        };
        tasks.push_str(&format!("## {id}\n**Dependencies**: none\n\n"));
        files.push((
            format!("{id}-x.md"),
            wp(&id, "FR-001, FR-002", &format!("src/m{n:02}/**"), ""),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let p = Project::new(SPEC, &tasks, &refs);
    let (code, json) = p.json(&["--validate-only"]);
    assert_eq!(code, 0, "{json}");
    let ids = json["validation"]["lanes_preview"]["lane_ids"]
        .as_array()
        .expect("ids")
        .clone();
    assert_eq!(ids.len(), 28);
    assert_eq!(ids[25], "lane-z");
    assert_eq!(ids[26], "lane-aa");
    assert_eq!(ids[27], "lane-ab");
}

#[test]
fn frontmatter_dependencies_kept_from_frontmatter_join_lanes() {
    // tasks.md declares nothing for WP02; its frontmatter says WP01. 3.1.1 kept the list but put
    // WP02 in a parallel lane; we use it.
    let p = Project::new(
        SPEC,
        "## WP01\n## WP02\n",
        &[
            ("WP01-a.md", &wp("WP01", "FR-001", "src/a/**", "")),
            (
                "WP02-b.md",
                &wp("WP02", "FR-002", "src/b/**", "dependencies: [WP01]\n"),
            ),
        ],
    );
    let (code, json) = p.json(&["--validate-only"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["would_preserve"], serde_json::json!(["WP02"]));
    assert_eq!(
        json["validation"]["lanes_preview"]["lane_ids"],
        serde_json::json!(["lane-a"])
    );
}

/// Two WPs, WP02 depending on WP01; `wp02_extra` goes into WP02's frontmatter.
fn pair(wp02_extra: &str) -> Project {
    Project::new(
        SPEC,
        "## WP01\n**Dependencies**: none\n## WP02\nDepends on WP01\n",
        &[
            ("WP01-a.md", &wp("WP01", "FR-001", "src/a/**", "")),
            ("WP02-b.md", &wp("WP02", "FR-002", "src/b/**", wp02_extra)),
        ],
    )
}

#[test]
fn a_value_3_1_1_schema_refused_makes_the_wp_unreadable_with_a_reason() {
    // An unquoted timestamp is a datetime to 3.1.1's YAML reader, and `created_at` must be text:
    // 3.1.1 skipped WP02, so its requirement refs were missing.
    for extra in [
        "created_at: 2026-01-01T10:00:00Z\n",
        "priority: 1\n",
        "dependencies:\n",
        "subtasks: T001\n",
    ] {
        let p = pair(extra);
        let before = p.snapshot();
        let (code, json) = p.json(&[]);
        assert_eq!(code, 1, "{extra}: {json}");
        assert_eq!(
            json["error"], "Requirement mapping validation failed",
            "{extra}"
        );
        assert_eq!(
            json["missing_requirement_refs_wps"],
            serde_json::json!(["WP02"])
        );
        assert_eq!(p.snapshot(), before);
        let (_, _, stderr) = p.finalize(&[]);
        let key = extra.split(':').next().unwrap_or_default();
        assert!(stderr.contains("wp::frontmatter::schema"), "{stderr}");
        assert!(stderr.contains(&format!("`{key}`")), "{stderr}");
    }
    // A tab after a value: 3.1.1's YAML reader refused it.
    let p = pair("priority: high\t\n");
    let (code, json) = p.json(&[]);
    assert_eq!(
        json["missing_requirement_refs_wps"],
        serde_json::json!(["WP02"]),
        "{code}"
    );
    let (_, _, stderr) = p.finalize(&[]);
    assert!(stderr.contains("wp::frontmatter::tab"), "{stderr}");
    // The same values written as 3.1.1 accepted them.
    for extra in [
        "created_at: '2026-01-01T10:00:00Z'\n",
        "priority: high\n",
        "dependencies: []\n",
        "subtasks: [T001]\nshell_pid: '123'\nlane: doing\nphase: 2\n",
        "priority: 'high\t'\ntags: [a,\tb]\ndescription: |\n  a\tb\n",
    ] {
        let (code, json) = pair(extra).json(&["--validate-only"]);
        assert_eq!(code, 0, "{extra}: {json}");
        assert_eq!(json["wp_count"], 2);
    }
}

#[test]
fn an_unknown_execution_mode_keeps_the_wp_readable_but_gives_it_no_manifest() {
    let p = Project::new(
        SPEC,
        "## WP01\n**Dependencies**: none\n## WP02\nDepends on WP01\n",
        &[
            ("WP01-a.md", &wp("WP01", "FR-001", "src/a/**", "")),
            (
                "WP02-b.md",
                &wp("WP02", "FR-002", "src/b/**", "").replace("code_change", "worktree"),
            ),
        ],
    );
    let (code, json) = p.json(&[]);
    assert_eq!(code, 1, "{json}");
    // Readable: its refs counted (no requirement failure); no manifest: lanes cannot place it.
    assert_eq!(
        json["error"],
        "Executable WP 'WP02' has no ownership manifest. Ensure owned_files and execution_mode are set in WP frontmatter, or run finalize-tasks to infer them."
    );
    // The diagnostic names the cause where it is: the value in the WP file, and the two modes.
    let (code, _, stderr) = p.finalize(&["--validate-only"]);
    assert_eq!(code, 1);
    for part in [
        "ownership::unknown-execution-mode",
        "WP02 has execution_mode `worktree`",
        "tasks/WP02-b.md:",
        "execution_mode: code_change",
        "execution_mode: planning_artifact",
    ] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
}

#[test]
fn two_files_for_one_wp_are_one_manifest_not_an_overlap() {
    let p = pair("");
    std::fs::copy(
        p.mission().join("tasks/WP02-b.md"),
        p.mission().join("tasks/WP02-c.md"),
    )
    .expect("copy");
    let (code, json) = p.json(&["--validate-only"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["wp_count"], 3);
    assert_eq!(json["validation"]["lanes_preview"]["count"], 1);
}

#[test]
fn wps_yaml_disagreeing_with_frontmatter_is_an_error_and_wps_outside_it_get_no_dependencies() {
    let p = pair("dependencies: [WP01, WP02]\n");
    std::fs::write(
        p.mission().join("wps.yaml"),
        "work_packages:\n- id: WP01\n  title: One\n- id: WP02\n  title: Two\n  dependencies: [WP01]\n",
    )
    .expect("write");
    let (code, json) = p.json(&[]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        json["dependency_conflicts"],
        serde_json::json!([
            "WP02: frontmatter has ['WP01', 'WP02'], tasks.md parsed ['WP01']. Resolve the disagreement in tasks.md or WP frontmatter before finalizing."
        ])
    );
    let (_, _, stderr) = p.finalize(&[]);
    assert!(stderr.contains("wps.yaml declares WP01"), "{stderr}");

    // WP02 is not in wps.yaml: its frontmatter list is replaced by [] (nothing is preserved).
    let p = pair("dependencies: [WP01]\n");
    std::fs::write(
        p.mission().join("wps.yaml"),
        "work_packages:\n- id: WP01\n  title: One\n",
    )
    .expect("write");
    let (code, json) = p.json(&[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["preserved_wps"], serde_json::json!([]));
    assert!(frontmatter_deps(&p.read("tasks/WP02-b.md")).is_empty());
}

#[test]
fn wps_yaml_entries_follow_3_1_1_schema() {
    for (yaml, why) in [
        ("work_packages:\n- id: WP01\n", "work_packages.0.title"),
        (
            "work_packages:\n- id: WP01\n  title:\n",
            "work_packages.0.title",
        ),
        (
            "work_packages:\n- id: WP01\n  title: T\n  owned_files:\n",
            "work_packages.0.owned_files",
        ),
        (
            "work_packages:\n- id: WP01\n  title: T\n  prompt_file: 3\n",
            "work_packages.0.prompt_file",
        ),
        (
            "work_packages:\n- id: WP1\n  title: T\n",
            "work_packages.0.id",
        ),
        ("work_packages:\n", "work_packages"),
        ("- id: WP01\n", "'list' object has no attribute 'get'"),
        ("# nothing\n", "'NoneType' object has no attribute 'get'"),
    ] {
        let p = pair("");
        std::fs::write(p.mission().join("wps.yaml"), yaml).expect("write");
        let (code, json) = p.json(&[]);
        assert_eq!(code, 1, "{yaml}: {json}");
        let error = json["error"].as_str().unwrap_or_default();
        assert!(
            error.starts_with("wps.yaml is present but could not be loaded: ")
                && error.contains(why),
            "{yaml}: {error}"
        );
    }
}

#[test]
fn an_empty_mission_id_falls_back_to_the_slug() {
    let p = pair("");
    std::fs::write(p.mission().join("meta.json"), "{\"mission_id\": \"\"}\n").expect("write");
    git(p.root(), &["commit", "-qam", "empty id"]);
    let (code, json) = p.json(&[]);
    assert_eq!(code, 0, "{json}");
    let lanes: Value = serde_json::from_str(&p.read("lanes.json")).expect("lanes.json");
    assert_eq!(lanes["mission_id"], "001-m");
}

#[test]
fn a_meta_json_3_1_1_could_not_use_stops_the_run_as_it_did_and_writes_nothing() {
    // (meta.json bytes, error of a real run, error of --validate-only)
    let cases: [(&[u8], &str, Option<&str>); 5] = [
        (
            b"[]",
            "'list' object has no attribute 'get'",
            Some("'list' object has no attribute 'get'"),
        ),
        (
            b"null",
            "'NoneType' object has no attribute 'get'",
            Some("'NoneType' object has no attribute 'get'"),
        ),
        (
            b"{\"mission_id\": \"\xff\"}",
            "'utf-8' codec can't decode byte 0xff in position 16: invalid start byte",
            Some("'utf-8' codec can't decode byte 0xff in position 16: invalid start byte"),
        ),
        // Malformed JSON: a warning, then fatal once the status bootstrap seeds anything.
        (
            b"{\"mission_id\": \"x\",}\n",
            "Malformed JSON in <meta>: Expecting property name enclosed in double quotes: line 1 column 20 (char 19)",
            None,
        ),
        (b"{}", "", None),
    ];
    for (bytes, error, validate_error) in cases {
        let p = pair("");
        let meta = p.mission().join("meta.json");
        std::fs::write(&meta, bytes).expect("write");
        git(p.root(), &["commit", "-qam", "meta"]);
        let before = p.snapshot();
        let (code, json) = p.json(&["--validate-only"]);
        match validate_error {
            Some(e) => assert_eq!((code, json["error"].as_str()), (1, Some(e))),
            None => assert_eq!(code, 0, "{json}"),
        }
        let (code, json) = p.json(&[]);
        if error.is_empty() {
            assert_eq!(code, 0, "{json}");
            continue;
        }
        assert_eq!(code, 1, "{json}");
        let expected = error.replace("<meta>", &meta.display().to_string());
        assert_eq!(json["error"].as_str(), Some(expected.as_str()));
        assert_eq!(p.snapshot(), before, "a failed run wrote files");
    }
}

#[test]
fn a_phase_1_mission_mirrors_the_seeded_lane_into_an_existing_lane_key() {
    for (meta, lane_after) in [
        (
            "{\"mission_id\": \"m\", \"status_phase\": \"1\"}",
            "lane: planned\n",
        ),
        (
            "{\"mission_id\": \"m\", \"status_phase\": 1}",
            "lane: planned\n",
        ),
        ("{\"mission_id\": \"m\"}", "lane: doing\n"),
    ] {
        let p = pair("lane: doing\n");
        std::fs::write(p.mission().join("meta.json"), meta).expect("write");
        git(p.root(), &["commit", "-qam", "meta"]);
        let (code, json) = p.json(&[]);
        assert_eq!(code, 0, "{json}");
        let wp2 = p.read("tasks/WP02-b.md");
        assert!(wp2.contains(lane_after), "{meta}: {wp2}");
        // WP01 has no lane key: none is added.
        assert!(!p.read("tasks/WP01-a.md").contains("lane:"));
        // Seeded once: a second run changes nothing.
        let before = p.snapshot();
        assert_eq!(p.json(&[]).0, 0);
        assert_eq!(p.snapshot(), before);
    }
}

#[test]
fn a_directory_named_like_a_wp_file_fails_as_3_1_1_failed() {
    // Its section gives it refs: 3.1.1 got as far as reading it, and failed with Python's error.
    let p = Project::new(
        SPEC,
        "## WP01\n## WP02\n## WP03\n**Requirement Refs**: FR-001\n",
        &[
            ("WP01-a.md", &wp("WP01", "FR-001", "src/a/**", "")),
            ("WP02-b.md", &wp("WP02", "FR-002", "src/b/**", "")),
        ],
    );
    let dir = p.mission().join("tasks/WP03-c.md");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "x").expect("write");
    let before = p.snapshot();
    let (code, json) = p.json(&[]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        json["error"].as_str(),
        Some(format!("[Errno 21] Is a directory: '{}'", dir.display()).as_str())
    );
    assert_eq!(p.snapshot(), before);
    let (_, _, stderr) = p.finalize(&[]);
    assert!(stderr.contains("wp::unreadable"), "{stderr}");
}

#[test]
fn edits_settle_after_one_run_where_3_1_1_rewrite_settled() {
    let flow = "---\n{work_package_id: WP02, title: Two, requirement_refs: [FR-002], execution_mode: code_change, owned_files: [src/b/**], authoritative_surface: src/b/}\n---\n# WP02\n".to_owned();
    let explicit = "---\nwork_package_id: WP02\n? requirement_refs\n: [FR-002]\nexecution_mode: code_change\nowned_files: [src/b/**]\nauthoritative_surface: src/b/\n---\n# WP02\n".to_owned();
    let bom = format!("\u{feff}{}", wp("WP02", "FR-002", "src/b/**", ""));
    let comment = wp("WP02", "FR-002", "src/b/**", "").replacen(
        "requirement_refs",
        "# --- ownership ---\nrequirement_refs",
        1,
    );
    let text_lists = wp("WP02", "FR-002", "src/b/**", "dependencies: WP01\n")
        .replace("requirement_refs: [FR-002]", "requirement_refs: FR-002");
    for wp2 in [flow, explicit, bom, comment, text_lists] {
        let p = Project::new(
            SPEC,
            "## WP01\n**Dependencies**: none\n## WP02\nDepends on WP01\n",
            &[
                ("WP01-a.md", &wp("WP01", "FR-001", "src/a/**", "")),
                ("WP02-b.md", &wp2),
            ],
        );
        let (code, json) = p.json(&[]);
        assert_eq!(code, 0, "{wp2}: {json}");
        let written = p.read("tasks/WP02-b.md");
        assert!(!written.starts_with('\u{feff}'), "{written}");
        assert_eq!(frontmatter_deps(&written), ["WP01"], "{written}");
        let (code, json) = p.json(&["--validate-only"]);
        assert_eq!(code, 0, "{written}: {json}");
        assert_eq!(json["would_modify"], serde_json::json!([]), "{written}");
        assert_eq!(json["unchanged"], serde_json::json!(["WP01", "WP02"]));
        // Lists are lists, comments stay.
        let v: yaml_serde::Value =
            yaml_serde::from_str(written.split("---\n").nth(1).unwrap_or_default()).expect("yaml");
        assert!(v["requirement_refs"].is_sequence(), "{written}");
        if wp2.contains("# --- ownership ---") {
            assert!(written.contains("# --- ownership ---\n"), "{written}");
        }
    }
}

#[test]
fn tasks_md_with_old_mac_line_endings_reads_as_3_1_1_read_it() {
    // Python's text mode turned a lone `\r` into a line break.
    let p = Project::new(
        SPEC,
        "## WP01\r**Dependencies**: none\r## WP02\rDepends on WP01\r",
        &[
            ("WP01-a.md", &wp("WP01", "FR-001", "src/a/**", "")),
            ("WP02-b.md", &wp("WP02", "FR-002", "src/b/**", "")),
        ],
    );
    let (code, json) = p.json(&["--validate-only"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        json["would_modify"][1]["changes"]["dependencies"],
        serde_json::json!(["WP01"])
    );
}

#[test]
fn the_example_project_finalizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-project"),
        dir.path(),
    );
    git_init_commit(dir.path());
    let out = spec_kitty(dir.path())
        .args([
            "agent",
            "mission",
            "finalize-tasks",
            "--mission",
            "001-demo",
            "--json",
        ])
        .output()
        .expect("runs");
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        json["lanes"]["lane_ids"],
        serde_json::json!(["lane-a", "lane-b", "lane-planning"]),
        "{json}"
    );
    assert_eq!(
        json["lanes"]["planning_artifact_wps"],
        serde_json::json!(["WP01"])
    );
    assert_eq!(json["ownership_warnings"], serde_json::json!([]));
}

#[test]
fn parallelization_risk_warns_and_blocks_by_policy() {
    // Two parallel lanes under the same parent directory: 0.12 per shared directory.
    let p = Project::new(
        SPEC,
        "## WP01\n## WP02\n",
        &[
            ("WP01-a.md", &wp("WP01", "FR-001", "src/app/views/a/**", "")),
            ("WP02-b.md", &wp("WP02", "FR-002", "src/app/views/b/**", "")),
        ],
    );
    let (code, stdout, _) = p.finalize(&["--validate-only"]);
    assert_eq!(code, 0);
    assert!(
        !stdout.contains("Parallelization risk"),
        "validate-only runs no risk check: {stdout}"
    );

    std::fs::write(
        p.root().join(".kittify/config.yaml"),
        "vcs:\n  type: git\npolicy:\n  risk:\n    mode: block\n    threshold: 0.2\n",
    )
    .expect("write");
    git(p.root(), &["commit", "-qam", "policy"]);
    let before = p.snapshot();
    let (code, json) = p.json(&[]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        json["error"],
        "Parallelization risk 0.24 exceeds threshold 0.20. Use --force to override."
    );
    assert_eq!(
        json["risk_report"],
        serde_json::json!({"overall_score": 0.24, "threshold": 0.2})
    );
    assert_eq!(p.snapshot(), before, "a blocked run writes nothing");
    // Human mode: the breakdown, then the error.
    let (code, stdout, stderr) = p.finalize(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "Branch: main (target for this mission)\n⚠ Parallelization risk: 0.24 (threshold: 0.20)\n  lane-a ↔ lane-b: 0.24\n    shared dir: src/app\n    shared dir: src/app/views\n"
    );
    assert!(stderr.contains("lanes::parallelization-risk"), "{stderr}");

    std::fs::write(p.root().join(".kittify/config.yaml"), "vcs:\n  type: git\n").expect("write");
    git(p.root(), &["commit", "-qam", "default policy"]);
    let (code, stdout, _) = p.finalize(&[]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("⚠ Parallelization risk: 0.24 (threshold: 0.60)\n  lane-a ↔ lane-b: 0.24\n    shared dir: src/app\n    shared dir: src/app/views\n"),
        "{stdout}"
    );
}

/// Two WP files, a third that repeats WP01's `work_package_id`.
fn duplicate_id_project() -> Project {
    Project::new(
        SPEC,
        "## WP01\n**Dependencies**: none\n## WP02\n**Dependencies**: none\n",
        &[
            ("WP01-a.md", &wp("WP01", "FR-001", "src/a/**", "")),
            ("WP02-b.md", &wp("WP02", "FR-002", "src/b/**", "")),
            ("WP03-c.md", &wp("WP01", "FR-002", "src/c/**", "")),
        ],
    )
}

#[test]
fn bootstrap_seeds_a_duplicated_frontmatter_id_twice_as_3_1_1_did() {
    let p = duplicate_id_project();
    let (code, json) = p.json(&[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        json["bootstrap"],
        serde_json::json!({"total_wps": 3, "newly_seeded": 3, "already_initialized": 0})
    );
    let events: Vec<Value> = p
        .read("status.events.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("event"))
        .collect();
    let ids: Vec<&str> = events.iter().filter_map(|e| e["wp_id"].as_str()).collect();
    assert_eq!(ids, ["WP01", "WP02", "WP01"]);
    let at: Vec<&str> = events.iter().filter_map(|e| e["at"].as_str()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    let status: Value = serde_json::from_str(&p.read("status.json")).expect("status.json");
    assert_eq!(status["event_count"], 3);
    assert_eq!(status["summary"]["planned"], 2);
    assert_eq!(status["work_packages"]["WP01"]["force_count"], 2);
    assert_eq!(
        status["work_packages"]["WP01"]["last_event_id"],
        events[2]["event_id"]
    );
    // The preview counts the same way; a re-run finds all three initialised.
    let (_, json) = p.json(&["--validate-only"]);
    assert_eq!(
        json["validation"]["bootstrap_preview"],
        serde_json::json!({"total_wps": 3, "newly_seeded": 0, "already_initialized": 3})
    );
}

#[test]
fn validate_only_previews_duplicate_seeding() {
    let p = duplicate_id_project();
    let (code, json) = p.json(&["--validate-only"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        json["validation"]["bootstrap_preview"],
        serde_json::json!({"total_wps": 3, "newly_seeded": 3, "already_initialized": 0})
    );
}

const GOOD_EVENT: &str = r#"{"actor": "finalize-tasks", "at": "2026-11-28T11:00:26.010370+00:00", "event_id": "01M8GX0G8TW1YFRZHEXS93YV2T", "evidence": null, "execution_mode": "worktree", "force": true, "from_lane": "planned", "mission_slug": "001-m", "policy_metadata": null, "reason": "canonical bootstrap", "review_ref": null, "to_lane": "planned", "wp_id": "WP01"}"#;

fn project_with_log(log: &str) -> Project {
    let p = two_wp_project();
    std::fs::write(p.mission().join("status.events.jsonl"), log).expect("write");
    git(p.root(), &["add", "-A"]);
    git(p.root(), &["commit", "-q", "-m", "log"]);
    p
}

#[test]
fn a_corrupt_event_log_fails_the_run_with_3_1_1_s_message_and_writes_nothing() {
    // Texts as 3.1.1's `read_events` raised them (its StoreError, or the AttributeError for a
    // line that is JSON but not an object).
    let cases = [
        (
            format!("{GOOD_EVENT}\nnot json at all\n"),
            "Invalid JSON on line 2: Expecting value: line 1 column 1 (char 0)",
        ),
        (
            format!("{GOOD_EVENT}\n\n{{\"actor\": \"x\"\n"),
            "Invalid JSON on line 3: Expecting ',' delimiter: line 1 column 14 (char 13)",
        ),
        (
            format!("{GOOD_EVENT}\n{{\"at\": \"é\n"),
            "Invalid JSON on line 2: Unterminated string starting at: line 1 column 8 (char 7)",
        ),
        (
            "{\"actor\": \"x\"}\n".to_owned(),
            "Invalid event structure on line 1: 'event_id'",
        ),
        (
            format!("{GOOD_EVENT}\n[1, 2]\n"),
            "'list' object has no attribute 'get'",
        ),
    ];
    for (log, error) in cases {
        let p = project_with_log(&log);
        let before = p.snapshot();
        for extra in [&[][..], &["--validate-only"][..]] {
            let (code, json) = p.json(extra);
            assert_eq!(code, 1, "{json}");
            assert_eq!(
                json,
                serde_json::json!({"error": error, "spec_kitty_version": spec_kitty::VERSION})
            );
            assert_eq!(p.snapshot(), before, "a failed run wrote files");
        }
    }
}

#[test]
fn a_corrupt_event_log_is_a_diagnostic_on_the_line() {
    let p = project_with_log(&format!("{GOOD_EVENT}\n{{\"a\": 1,}}\n"));
    let (code, stdout, stderr) = p.finalize(&[]);
    assert_eq!(code, 1);
    // Only 3.1.1's branch line, printed before any check ran.
    assert_eq!(stdout, "Branch: main (target for this mission)\n");
    assert!(stderr.contains("status::corrupt-log"), "{stderr}");
    assert!(
        stderr.contains("line 2 of `kitty-specs/001-m/status.events.jsonl` is not valid JSON"),
        "{stderr}"
    );
    assert!(stderr.contains("status.events.jsonl:2:9"), "{stderr}");
    assert!(
        stderr.contains("expecting property name enclosed in double quotes"),
        "{stderr}"
    );
}

#[test]
fn a_log_with_only_good_lines_and_blank_ones_is_read() {
    let p = project_with_log(&format!("\n{GOOD_EVENT}\n\n"));
    let (code, json) = p.json(&[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        json["bootstrap"],
        serde_json::json!({"total_wps": 2, "newly_seeded": 1, "already_initialized": 1})
    );
}

#[test]
fn status_json_identity_follows_meta_json_and_keeps_unicode() {
    let cases = [
        (
            r#"{"mission_number": 7, "mission_type": "dév-é", "title": "Café ☕"}"#,
            ("7", "dév-é"),
        ),
        (
            r#"{"mission_number": " 007 ", "mission": "research"}"#,
            ("007", "research"),
        ),
        (
            r#"{"mission_number": 0, "mission_type": ""}"#,
            ("001", "software-dev"),
        ),
        (
            r#"{"mission_number": 3.0, "mission_type": ["a"]}"#,
            ("3.0", "['a']"),
        ),
        (r#"{"mission_slug": "077-x"}"#, ("077", "software-dev")),
        (
            r#"{"mission_number": true, "mission_type": 5}"#,
            ("True", "5"),
        ),
    ];
    for (meta, (number, kind)) in cases {
        let p = two_wp_project();
        std::fs::write(p.mission().join("meta.json"), meta).expect("write");
        git(p.root(), &["commit", "-q", "-am", "meta"]);
        let (code, json) = p.json(&[]);
        assert_eq!(code, 0, "{json}");
        let text = p.read("status.json");
        // Written as 3.1.1 wrote it: ensure_ascii=False, so non-ASCII stays as it is.
        assert!(
            text.contains(&format!(
                "  \"mission_number\": \"{number}\",\n  \"mission_slug\": \"001-m\",\n  \"mission_type\": {},\n",
                serde_json::to_string(kind).expect("json")
            )),
            "{meta}: {text}"
        );
    }
}

/// A one-WP mission owning `owned`, with a source file `src/a/x.py` to match against.
fn one_wp_owning(owned: &str) -> Project {
    let p = Project::new(
        SPEC,
        "## WP01\n",
        &[("WP01-a.md", &wp("WP01", "FR-001, FR-002", owned, ""))],
    );
    std::fs::create_dir_all(p.root().join("src/a")).expect("mkdir");
    std::fs::write(p.root().join("src/a/x.py"), "x\n").expect("write");
    git(p.root(), &["add", "-A"]);
    git(p.root(), &["commit", "-qm", "src"]);
    p
}

/// Diagnostic text with miette's line wrapping undone (gutters dropped, whitespace collapsed).
fn flat(stderr: &str) -> String {
    stderr
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn globs_python_311_pathlib_refuses_fail_with_its_text_and_write_nothing() {
    // 3.1.1's zero-match check called `Path.glob`, whose exception became `{"error": str(e)}`.
    for (owned, error, explained) in [
        (
            "src/**.py",
            "Invalid pattern: '**' can only be an entire path component",
            "`**` can only be a whole path segment",
        ),
        (
            "src/a**/x.py",
            "Invalid pattern: '**' can only be an entire path component",
            "`**` can only be a whole path segment",
        ),
        (
            ".",
            "tuple index out of range",
            "names only the repository root",
        ),
        (
            "./",
            "'_TerminatingSelector' object has no attribute 'select_from'",
            "names only the repository root",
        ),
    ] {
        let p = one_wp_owning(&format!("'{owned}'"));
        let before = p.snapshot();
        for extra in [&[][..], &["--validate-only"][..]] {
            let (code, json) = p.json(extra);
            assert_eq!(code, 1, "{owned}: {json}");
            assert_eq!(
                json,
                serde_json::json!({"error": error, "spec_kitty_version": env!("CARGO_PKG_VERSION")}),
                "{owned}"
            );
        }
        let (code, _, stderr) = p.finalize(&[]);
        let stderr = flat(&stderr);
        assert_eq!(code, 1);
        assert!(stderr.contains("ownership::bad-glob"), "{stderr}");
        assert!(stderr.contains(explained), "{owned}: {stderr}");
        assert!(stderr.contains("help:"), "{stderr}");
        assert_eq!(p.snapshot(), before, "{owned}: a failed run wrote files");
    }
}

#[test]
fn a_trailing_slash_matches_directories_only() {
    for (owned, zero) in [
        ("src/a/", false),
        ("src/*/", false),
        ("src/**/", false),
        ("src/a/x.py/", true),
        ("src/*/x.py/", true),
        ("src/a/x.py", false),
    ] {
        let p = one_wp_owning(&format!("'{owned}'"));
        let (code, json) = p.json(&["--validate-only"]);
        assert_eq!(code, 0, "{owned}: {json}");
        let want: Vec<String> = if zero {
            vec![format!(
                "WP01: owned_files glob '{owned}' matches zero files in the repository"
            )]
        } else {
            Vec::new()
        };
        assert_eq!(
            json["ownership_warnings"],
            serde_json::json!(want),
            "{owned}"
        );
    }
}

/// Replaces a mission file with raw bytes and commits it.
fn put_bytes(p: &Project, rel: &str, bytes: &[u8]) {
    std::fs::write(p.mission().join(rel), bytes).expect("write");
    git(p.root(), &["commit", "-qam", "bytes"]);
}

fn json_error(p: &Project, extra: &[&str]) -> Value {
    let before = p.snapshot();
    let (code, json) = p.json(extra);
    assert_eq!(code, 1, "{json}");
    assert_eq!(p.snapshot(), before, "a failed run wrote files");
    json
}

#[test]
fn non_utf8_spec_and_tasks_fail_with_pythons_decode_error() {
    let p = one_wp_owning("'src/a/**'");
    put_bytes(&p, "spec.md", b"# Spec\n- FR-001 one \xff\n- FR-002 two\n");
    assert_eq!(
        json_error(&p, &[])["error"],
        "'utf-8' codec can't decode byte 0xff in position 20: invalid start byte"
    );
    let (_, _, stderr) = p.finalize(&[]);
    let stderr = flat(&stderr);
    assert!(stderr.contains("io::not-utf8"), "{stderr}");
    assert!(
        stderr.contains("kitty-specs/001-m/spec.md` is not valid UTF-8: invalid start byte at byte offset 20 (line 2, column 14)"),
        "{stderr}"
    );
    assert!(stderr.contains("help:"), "{stderr}");

    let p = one_wp_owning("'src/a/**'");
    put_bytes(&p, "tasks.md", b"## WP01 \xe2\x82(\n");
    assert_eq!(
        json_error(&p, &["--validate-only"])["error"],
        "'utf-8' codec can't decode bytes in position 8-9: invalid continuation byte"
    );
    put_bytes(&p, "tasks.md", b"## WP01 \xe2\x82");
    assert_eq!(
        json_error(&p, &[])["error"],
        "'utf-8' codec can't decode bytes in position 8-9: unexpected end of data"
    );
    put_bytes(&p, "tasks.md", b"## WP01 \xc3(\n");
    assert_eq!(
        json_error(&p, &[])["error"],
        "'utf-8' codec can't decode byte 0xc3 in position 8: invalid continuation byte"
    );
}

#[test]
fn a_non_utf8_wp_file_has_no_refs_then_fails_the_run() {
    let text = wp("WP01", "FR-001, FR-002", "src/a/**", "");
    let mut bytes = text.clone().into_bytes();
    bytes.extend_from_slice(b"caf\xe9\n");
    let offset = text.len() + 3;

    // With its refs only in its own frontmatter, requirement mapping fails first (as in 3.1.1);
    // the human output also names the undecodable file.
    let p = one_wp_owning("'src/a/**'");
    put_bytes(&p, "tasks/WP01-a.md", &bytes);
    let json = json_error(&p, &[]);
    assert_eq!(json["error"], "Requirement mapping validation failed");
    assert_eq!(
        json["missing_requirement_refs_wps"],
        serde_json::json!(["WP01"])
    );
    let (_, _, stderr) = p.finalize(&[]);
    assert!(stderr.contains("io::not-utf8"), "{stderr}");

    // With refs from tasks.md, 3.1.1 got as far as reading the file and failed there.
    put_bytes(
        &p,
        "tasks.md",
        b"## WP01\n**Requirement Refs**: FR-001, FR-002\n",
    );
    let want = format!(
        "'utf-8' codec can't decode byte 0xe9 in position {offset}: invalid continuation byte"
    );
    assert_eq!(json_error(&p, &[])["error"], want.as_str());
    assert_eq!(json_error(&p, &["--validate-only"])["error"], want.as_str());
    let (code, _, stderr) = p.finalize(&[]);
    let stderr = flat(&stderr);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!(
            "invalid continuation byte at byte offset {offset} (line 10, column 4)"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("the WP is skipped"), "{stderr}");
}

/// Ctrl-C (SIGINT) at any moment of a run: the project is left either as it was or fully
/// finalized and committed, never with some WP files rewritten or lanes.json uncommitted.
#[cfg(unix)]
#[test]
fn an_interrupt_at_any_moment_leaves_nothing_or_everything() {
    let n = 60;
    let tasks: String = (1..=n)
        .map(|i| {
            format!("## WP{i:02} — part {i}\n\n**Dependencies**: none\n\n- [ ] T{i:03} do it\n\n")
        })
        .collect();
    let files: Vec<(String, String)> = (1..=n)
        .map(|i| {
            let id = format!("WP{i:02}");
            let owned = format!("src/part{i:02}/**");
            (
                format!("{id}-part.md"),
                wp(&id, "FR-001, FR-002", &owned, ""),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let template = Project::new(SPEC, &format!("# Tasks\n\n{tasks}"), &refs);
    let before = git(template.root(), &["rev-parse", "HEAD"]);
    for step in 0..25u64 {
        let work = tempfile::tempdir().expect("tempdir");
        let root = work.path().join("p");
        git(
            work.path(),
            &[
                "clone",
                "-q",
                &template.root().display().to_string(),
                &root.display().to_string(),
            ],
        );
        let mut child = spec_kitty(&root)
            .args(["agent", "mission", "finalize-tasks", "--mission", "001-m"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(step * 12));
        let _ = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let status = child.wait().expect("wait");
        let dirty = git(&root, &["status", "--porcelain"]);
        assert_eq!(
            dirty,
            "",
            "after SIGINT at {}ms (exit {status:?}) the tree is clean",
            step * 12
        );
        let head = git(&root, &["rev-parse", "HEAD"]);
        if head == before {
            // Interrupted before the write phase: nothing changed.
        } else {
            assert!(
                git(&root, &["log", "-1", "--format=%s"]).starts_with("Add tasks for feature"),
                "a new commit is finalize's"
            );
            assert!(root.join("kitty-specs/001-m/lanes.json").is_file());
        }
    }
}

/// The branch line of a `--validate-only` run in `dir`.
fn branch_line(dir: &Path) -> String {
    let out = finalize_in(dir)
        .env("SPECIFY_REPO_ROOT", dir)
        .arg("--validate-only")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_branch_is_the_one_git_reports_checked_out() {
    let p = two_wp_project();
    git(p.root(), &["checkout", "-q", "-b", "feature/x-1"]);
    assert_eq!(
        branch_line(p.root()),
        "Branch: feature/x-1 (target for this mission)"
    );
    // A linked worktree (made the project root) has a HEAD of its own.
    let wt = p.root().join(".worktrees/other");
    git(
        p.root(),
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "lane/b",
            wt.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(branch_line(&wt), "Branch: lane/b (target for this mission)");
    assert_eq!(
        branch_line(p.root()),
        "Branch: feature/x-1 (target for this mission)"
    );
    // A detached HEAD plans for main, as 3.1.1 did.
    git(p.root(), &["checkout", "-q", "--detach"]);
    assert_eq!(
        branch_line(p.root()),
        "Branch: main (target for this mission)"
    );
}

/// A WP file whose frontmatter cannot be read is skipped with a warning (3.1.1); the errors that
/// follow from it say so, instead of asking for refs the file already has.
#[test]
fn errors_that_follow_from_a_skipped_wp_file_say_so() {
    let p = Project::new(
        SPEC,
        "## WP01\n**Dependencies**: none\n## WP02\n**Dependencies**: none\n",
        &[
            ("WP01-a.md", &wp("WP01", "FR-001", "src/a/**", "")),
            (
                "WP02-b.md",
                &wp("WP02", "FR-002", "src/b/**", "").replace("title: WP02 title", "title: [open"),
            ),
        ],
    );
    let (code, _, stderr) = p.finalize(&["--validate-only"]);
    assert_eq!(code, 1, "{stderr}");
    let missing = stderr
        .split("tasks::requirements::missing")
        .nth(1)
        .unwrap_or_else(|| panic!("the refs error: {stderr}"));
    let missing = missing.split("tasks::").next().unwrap_or_default();
    assert!(
        missing.contains("WP02 maps to no requirement") && missing.contains("could not be read"),
        "{missing}"
    );
    assert!(stderr.contains("wp::frontmatter::yaml"), "{stderr}");
}

/// A WP file whose work_package_id is not the id in its name runs as in 3.1.1 (planned under the
/// name's id, status seeded under the frontmatter's) and is warned about, at the id.
#[test]
fn a_frontmatter_id_that_disagrees_with_the_file_name_is_warned_about() {
    let p = Project::new(
        SPEC,
        "## WP01\n**Dependencies**: none\n## WP02\n**Dependencies**: WP01\n",
        &[
            ("WP01-a.md", &wp("WP01", "FR-001", "src/a/**", "")),
            (
                "WP02-b.md",
                &wp("WP02", "FR-002", "src/b/**", "")
                    .replace("work_package_id: WP02", "work_package_id: WP09"),
            ),
        ],
    );
    let (code, _, stderr) = p.finalize(&["--validate-only"]);
    assert_eq!(code, 0, "{stderr}");
    for part in [
        "wp::frontmatter::id-mismatch",
        "`WP02-b.md` is named for WP02 but its work_package_id is WP09",
        "work_package_id: WP09",
        "set `work_package_id: WP02`",
    ] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
    let (_, _, clean) = pair("").finalize(&["--validate-only"]);
    assert!(!clean.contains("id-mismatch"), "{clean}");
}
