//! The manifest compiler: the tasks.md grammar and AST, WP frontmatter, requirements, the
//! dependency graph, ownership, lanes, finalize-tasks' stages and the checks `lint` and `lanes`
//! run; and the formats of what it emits and the runtime reads back (`lanes.json`, the status
//! event log).

pub mod finalize;
pub mod graph;
pub mod lane_report;
pub mod lanes;
pub mod lanes_manifest;
pub mod lint;
pub mod ownership;
pub mod requirements;
pub mod risk;
pub mod status;
pub mod tasks;
