//! finalize-tasks on missions large enough for its stages to spread over the cores: the output must
//! be the one the same run gives on one core (`taskset -c 0`, so the sequential path), for a
//! success with warnings and for each failure that can meet another in the stages run side by side.

use std::path::Path;
use std::process::Command;

use crate::support::{git_init_commit, spec_kitty};

/// WPs in a generated mission: above the size at which finalize spreads its stages.
const WPS: usize = 300;

/// A generated mission `001-m` of [`WPS`] WPs: every third depends on the one before, each owns
/// `src/mNNN/**` (nothing there yet, so each glob gives a warning), WP010 is a planning WP owning
/// code (a mode warning). `edit` may change any WP file's text before it is written; `log` is the
/// status event log, if any.
fn mission(edit: impl Fn(usize, String) -> String, log: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let m = root.join("kitty-specs/001-m");
    std::fs::create_dir_all(m.join("tasks")).expect("mkdir");
    std::fs::create_dir_all(root.join(".kittify")).expect("mkdir");
    std::fs::write(root.join(".kittify/config.yaml"), "vcs:\n  type: git\n").expect("write");
    let mut spec = String::from("# Spec\n");
    let mut tasks = String::from("# Tasks\n\n");
    for i in 1..=WPS {
        spec.push_str(&format!("- FR-{i:03} requirement {i}\n"));
        let deps = if i % 3 == 0 {
            format!("WP{:03}", i - 1)
        } else {
            "none".to_owned()
        };
        tasks.push_str(&format!(
            "## WP{i:03} — Work package {i}\n\n**Dependencies**: {deps}\n\n- [ ] T{i:03} Do it\n\n"
        ));
        let mode = if i == 10 {
            "planning_artifact"
        } else {
            "code_change"
        };
        let text = format!(
            "---\nwork_package_id: WP{i:03}\ntitle: Work package {i}\nrequirement_refs: [FR-{i:03}]\nexecution_mode: {mode}\nowned_files:\n- src/m{i:03}/**\nauthoritative_surface: src/m{i:03}/\n---\n# WP{i:03}\n"
        );
        std::fs::write(m.join(format!("tasks/WP{i:03}-work.md")), edit(i, text)).expect("write");
    }
    std::fs::write(m.join("spec.md"), spec).expect("write");
    std::fs::write(m.join("tasks.md"), tasks).expect("write");
    std::fs::write(
        m.join("meta.json"),
        "{\"mission_id\": \"01KZ00000000000000000000MM\"}\n",
    )
    .expect("write");
    if let Some(log) = log {
        std::fs::write(m.join("status.events.jsonl"), log).expect("write");
    }
    git_init_commit(root);
    dir
}

/// Exit code, stdout and stderr of `finalize-tasks` with `args`, on every core or on one.
fn run(root: &Path, args: &[&str], one_core: bool) -> (Option<i32>, String, String) {
    let probe = spec_kitty(root);
    let mut cmd = if one_core {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(probe.get_program());
        c.current_dir(root);
        for (k, v) in probe.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c
    } else {
        probe
    };
    cmd.args(["agent", "mission", "finalize-tasks", "--mission", "001-m"])
        .args(args);
    let out = cmd.output().expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs finalize on every core and on one, asserts the same output, and returns it.
fn same_on_one_core(root: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let spread = run(root, args, false);
    let single = run(root, args, true);
    assert_eq!(spread, single, "the output depends on the cores used");
    spread
}

#[test]
fn a_large_mission_validates_as_it_does_on_one_core() {
    let dir = mission(|_, t| t, None);
    for args in [&["--validate-only", "--json"][..], &["--validate-only"][..]] {
        let (code, stdout, stderr) = same_on_one_core(dir.path(), args);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.contains("validation"), "{stdout}");
        assert!(
            stderr.contains(&format!("{WPS} owned_files globs match no file yet")),
            "{stderr}"
        );
        assert!(stderr.contains("ownership::mode-mismatch"), "{stderr}");
    }
}

#[test]
fn a_large_mission_fails_on_a_lane_without_a_manifest_as_on_one_core() {
    // An unknown execution mode leaves WP150 readable but without a manifest.
    let dir = mission(
        |i, t| {
            if i == 150 {
                t.replace("code_change", "bogus")
            } else {
                t
            }
        },
        None,
    );
    let (code, _, stderr) = same_on_one_core(dir.path(), &["--validate-only"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("lanes::no-manifest"), "{stderr}");
    // The warnings found before the failure go with it.
    assert!(
        stderr.contains("owned_files globs match no file yet"),
        "{stderr}"
    );
}

#[test]
fn a_bad_glob_wins_over_a_corrupt_status_log_as_on_one_core() {
    let bad_glob = |i: usize, t: String| {
        if i == 200 {
            t.replace("- src/m200/**", "- src/m200/a**x")
        } else {
            t
        }
    };
    let dir = mission(bad_glob, Some("not json at all\n"));
    let (code, stdout, stderr) = same_on_one_core(dir.path(), &["--json"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stdout.contains("Invalid pattern: '**' can only be an entire path component"),
        "{stdout}"
    );
    // Validation ran first: the log's failure is never reached.
    assert!(!stderr.contains("status::corrupt-log"), "{stderr}");
}

#[test]
fn a_corrupt_status_log_fails_a_large_mission_as_on_one_core() {
    let dir = mission(|_, t| t, Some("not json at all\n"));
    let (code, _, stderr) = same_on_one_core(dir.path(), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("status::corrupt-log"), "{stderr}");
    // The warnings validation found go with the failure.
    assert!(
        stderr.contains("owned_files globs match no file yet"),
        "{stderr}"
    );
}
