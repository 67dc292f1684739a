//! What every layer uses and nothing here depends on: atomic writes and time, Python-compatible
//! JSON, strict UTF-8, diagnostics, git, interrupts, an order-preserving parallel map.

pub mod diagnostics;
pub mod git;
pub mod git_head;
pub mod interrupt;
pub mod par;
pub mod pattern;
pub mod pyjson;
pub mod utf8;
pub mod util;
