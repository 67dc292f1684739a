//! Ctrl-C and termination around the write phases: outside a critical section the process stops
//! at once (exit 130, nothing half-written since every write is atomic); inside one (finalize's
//! writes and commit, for example) the interrupt is noted and the section runs to its end, so the
//! files are either all written and committed or left as they were. Git commands started inside a
//! critical section run in their own process group, so the terminal's Ctrl-C does not kill them
//! half-way either.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static CRITICAL: AtomicUsize = AtomicUsize::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// A critical section, open until dropped.
#[must_use = "the section ends when this guard is dropped"]
pub struct Critical(());

impl Drop for Critical {
    fn drop(&mut self) {
        CRITICAL.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Opens a critical section: an interrupt now waits until it ends.
pub fn critical() -> Critical {
    CRITICAL.fetch_add(1, Ordering::SeqCst);
    Critical(())
}

/// Whether a critical section is open.
pub fn in_critical() -> bool {
    CRITICAL.load(Ordering::SeqCst) > 0
}

/// What the signal handler calls: `true` when the process may stop now, `false` when the
/// interrupt was noted for after the critical section.
pub fn on_interrupt() -> bool {
    if in_critical() {
        INTERRUPTED.store(true, Ordering::SeqCst);
        false
    } else {
        true
    }
}

/// Whether an interrupt arrived during a critical section.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_waits_for_the_open_section_only() {
        assert!(on_interrupt(), "no section open: stop now");
        {
            let _c = critical();
            assert!(!on_interrupt(), "inside: noted");
        }
        assert!(interrupted());
        assert!(!in_critical());
    }
}
