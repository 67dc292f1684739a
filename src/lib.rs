//! spec-kitty: spec-driven development for AI coding agents.
//!
//! The library holds every decision the CLI makes; the binary (`src/main.rs`, `src/cli/`) only parses
//! arguments and renders results. The heart is the manifest compiler behind
//! `spec-kitty agent mission finalize-tasks` ([`finalize`]): tasks.md and the WP prompt files go in,
//! WP frontmatter, `lanes.json` and the status event log come out.

pub mod accept;
pub mod action;
pub mod agents;
pub mod auth;
pub mod board;
pub mod dashboard;
pub mod diagnostics;
pub mod finalize;
pub mod git;
pub mod graph;
pub mod init;
pub mod interrupt;
pub mod lane_report;
pub mod lane_sync;
pub mod lanes;
pub mod lanes_manifest;
pub mod lint;
pub mod merge;
pub mod mission_create;
pub mod next;
pub mod ownership;
pub mod project;
pub mod pyjson;
pub mod release;
pub mod requirements;
pub mod review_range;
pub mod risk;
pub mod schedule;
pub mod status;
pub mod tasks;
pub mod utf8;
pub mod util;
pub mod workspace;
pub mod wp_meta;

/// The version of this build, from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
