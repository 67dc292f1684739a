//! Behavioural tests through the real binary. One test binary (faster to link); each area has a
//! module under `tests/cli/`, and `tests/cmd/*.toml` holds the trycmd snapshot cases.

#![allow(clippy::print_stderr, clippy::unwrap_used)]

#[path = "cli/finalize.rs"]
mod finalize;
#[path = "cli/fixtures.rs"]
mod fixtures;
#[path = "cli/support.rs"]
mod support;

#[test]
fn trycmd_cases() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
