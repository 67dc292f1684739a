//! Behavioural tests through the real binary. One test binary (faster to link); each area has a
//! module under `tests/cli/`, and `tests/cmd/*.toml` holds the trycmd snapshot cases.

#![allow(clippy::print_stderr, clippy::unwrap_used)]

#[path = "cli/auth.rs"]
mod auth;
#[path = "cli/auth_server.rs"]
mod auth_server;
#[path = "cli/dashboard.rs"]
mod dashboard;
#[path = "cli/dashboard_browser.rs"]
mod dashboard_browser;
#[path = "cli/fan_in.rs"]
mod fan_in;
#[path = "cli/finalize.rs"]
mod finalize;
#[path = "cli/finalize_large.rs"]
mod finalize_large;
#[path = "cli/fixtures.rs"]
mod fixtures;
#[path = "cli/help.rs"]
mod help;
#[path = "cli/init.rs"]
mod init;
#[path = "cli/layers.rs"]
mod layers;
#[path = "cli/lint.rs"]
mod lint;
#[path = "cli/loop_e2e.rs"]
mod loop_e2e;
#[path = "cli/merge.rs"]
mod merge;
#[path = "cli/mission_create.rs"]
mod mission_create;
#[path = "cli/parallel.rs"]
mod parallel;
#[path = "cli/release.rs"]
mod release;
#[path = "cli/support.rs"]
mod support;
#[path = "cli/tasks.rs"]
mod tasks;

/// The trycmd snapshot cases. `git` and `sh` are registered so `.trycmd` cases can set up a
/// repository and do an agent's work in it;
/// every command runs with a fixed git identity and no user or system git config.
#[test]
fn trycmd_cases() {
    let cases = trycmd::TestCases::new();
    // `sh -c "cd <worktree> && spec-kitty ..."` finds the binary under test first.
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_spec-kitty"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths)
                .collect::<Vec<_>>(),
        ),
    )
    .unwrap_or_default();
    cases
        .env("PATH", path.to_string_lossy())
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .register_bin("git", find_on_path("git"))
        .register_bin("sh", find_on_path("sh"))
        .case("tests/cmd/*.toml")
        .case("tests/cmd/*.trycmd");
}

fn find_on_path(name: &str) -> std::path::PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| std::path::PathBuf::from(name))
}
