//! spec-kitty: spec-driven development for AI coding agents.
//!
//! The library holds every decision the CLI makes; the binary (`src/main.rs`, `src/cli/`) only parses
//! arguments and renders results. The heart is the manifest compiler behind
//! `spec-kitty agent mission finalize-tasks` ([`compiler::finalize`]): tasks.md and the WP prompt files go in,
//! WP frontmatter, `lanes.json` and the status event log come out.

// pest's generated parser names `alloc` (the tasks.md grammar is built without pest's `std` feature:
// its per-rule stack probe is not needed by a grammar without recursive rules).
extern crate alloc;

pub mod auth;
pub mod compiler;
pub mod dashboard;
pub mod project;
pub mod release;
pub mod runtime;
pub mod support;

/// The version of this build, from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
