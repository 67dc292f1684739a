//! spec-kitty: spec-driven development for AI coding agents.
//!
//! The library holds every decision the CLI makes; the binary (`src/main.rs`, `src/cli/`) only parses
//! arguments and renders results. The heart is the manifest compiler behind
//! `spec-kitty agent mission finalize-tasks` ([`compiler::finalize`]): tasks.md and the WP prompt files go in,
//! WP frontmatter, `lanes.json` and the status event log come out.

pub mod auth;
pub mod compiler;
pub mod dashboard;
pub mod project;
pub mod release;
pub mod runtime;
pub mod support;

/// The version of this build, from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
