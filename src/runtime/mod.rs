//! The mission at run time: the board and its transitions, workspaces, the scheduler and
//! the agent actions, `next`, acceptance and merge.

pub mod accept;
pub mod action;
pub mod board;
pub mod lane_sync;
pub mod merge;
pub mod next;
pub mod review_range;
pub mod schedule;
pub mod workspace;
pub mod wp_meta;
