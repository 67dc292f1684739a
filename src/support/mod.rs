//! What every layer uses and nothing here depends on: atomic writes and time, Python-compatible
//! JSON, strict UTF-8, diagnostics, git, interrupts.

pub mod diagnostics;
pub mod git;
pub mod git_head;
pub mod interrupt;
pub mod pattern;
pub mod pyjson;
pub mod utf8;
pub mod util;
