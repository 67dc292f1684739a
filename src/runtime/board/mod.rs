//! WP lanes at run time: the board (`agent tasks status`), lane transitions with the 9-lane state
//! machine and its guards (`agent tasks move-task`), and subtask ticking (`agent tasks
//! mark-status`). Every transition is one event appended to `status.events.jsonl` under the
//! mission's status lock, `status.json` is rewritten from the log, and both are committed with the
//! transition (so the loop's own files never leave the tree dirty).
//!
//! One concern a file, lowest first: [`view`] (the board), [`commit`] (locks, the target branch,
//! append and commit), [`subtasks`](mod@subtasks), [`feedback`] (a rejection's file), [`transitions`]. This file
//! only names what the rest of the crate uses.

pub mod commit;
pub mod feedback;
pub mod subtasks;
pub mod transitions;
pub mod view;

pub use commit::{TransitionLocks, append_and_commit, require_target_branch};
pub use subtasks::{Marked, SubtaskLine, mark_status, subtasks};
pub use transitions::{Guard, MoveOptions, Moved, allowed, dependent_alert, lane_steps, move_task};
pub use view::{Board, WpEntry, board, canonical_lane, lane_weight, wp_arg};
