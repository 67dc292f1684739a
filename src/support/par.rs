//! Spreading a large mission's work over the cores, with the same results as running it in order:
//! [`map`], an order-preserving parallel map for per-item work (reading and parsing WP files,
//! planning each WP); [`join`] and [`beside`], for two independent pieces of work (validation and
//! the status bootstrap, ownership warnings and lanes, diagnostics and JSON output; tasks.md's parse
//! and the WP files); [`drop_later`] and [`Leftovers`], for freeing a large analysis off the
//! caller's path or not at all when the process exits next.
//!
//! Items go to the threads in small batches from a shared counter, so a thread that finishes early
//! (or starts late) takes more; the calling thread works too. Below `min_items` the map runs on the
//! calling thread: a thread costs tens of microseconds to start, more than a small mission's work.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A mission with this many WPs is large: its whole-mission stages pay for a thread of their own.
pub const LARGE: usize = 256;

/// Items a thread takes at a time.
const BATCH: usize = 32;

/// At most this many threads, whatever the machine offers.
const MAX_THREADS: usize = 8;

/// `items.iter().map(f).collect()`, spread over the cores when there are at least `min_items`.
pub fn map<T: Sync, R: Send>(items: &[T], min_items: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    // Small inputs never ask how many cores there are: on Linux that reads cgroup files.
    if items.len() < min_items {
        return items.iter().map(f).collect();
    }
    let threads = cores().min(items.len().div_ceil(BATCH));
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(BATCH, Ordering::Relaxed);
            if start >= items.len() {
                return done;
            }
            let end = (start + BATCH).min(items.len());
            done.push((start, items[start..end].iter().map(&f).collect::<Vec<R>>()));
        }
    };
    let mut batches = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        all
    });
    // Batches back in item order: the result is the sequential map's. (Sized up front: a result
    // can be large, and growing the vector would copy them all again.)
    batches.sort_unstable_by_key(|(start, _)| *start);
    let mut out = Vec::with_capacity(items.len());
    for (_, batch) in batches {
        out.extend(batch);
    }
    out
}

/// `(a(), b())`, with `b` on a thread of its own when `spread` (the caller's judgement that the
/// work pays for a thread, which costs tens of microseconds) and the process may use two cores.
/// Either way the results are the same.
pub fn join<A, B: Send>(
    spread: bool,
    a: impl FnOnce() -> A,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    beside(spread && cores() >= 2, a, b)
}

/// `(a(), b())`, with `b` on a thread of its own when `spread`, without asking how many cores
/// there are: for work worth a thread even on one core (parsing tasks.md while the WP files are
/// read, which wait on the disk), in runs too small for [`join`]'s question, which reads cgroup
/// files, to pay for itself.
pub fn beside<A, B: Send>(
    spread: bool,
    a: impl FnOnce() -> A,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !spread {
        let first = a();
        return (first, b());
    }
    std::thread::scope(|scope| {
        let other = scope.spawn(b);
        let first = a();
        let second = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (first, second)
    })
}

/// Drops `value` on a thread of its own when `spread`: freeing a large mission's hundreds of
/// thousands of allocations takes tens of milliseconds that the caller need not wait for. (A
/// process that exits first never finishes freeing, which costs nothing.)
pub fn drop_later<T: Send + 'static>(spread: bool, value: T) {
    if spread && cores() >= 2 {
        // If no thread can be started, `spawn` drops the closure, and the value with it, here.
        let _ = std::thread::Builder::new().spawn(move || drop(value));
    }
}

/// What a result was worked out from, handed back with it so that its owner chooses when to free
/// it: dropped, it is freed then; a process about to exit may [`Leftovers::leave`] it instead, as
/// the exit frees it at once (freeing a large mission piece by piece takes tens of milliseconds).
/// Only plain data belongs here: leaving skips destructors, so nothing that holds a lock, a
/// temporary file or a child process.
#[derive(Default)]
pub struct Leftovers(Option<Box<dyn Send + Sync>>);

impl Leftovers {
    /// Keeps `value` until the leftovers are dropped or left.
    pub fn new<T: Send + Sync + 'static>(value: T) -> Self {
        Leftovers(Some(Box::new(value)))
    }

    /// Never frees them: for a process that exits next.
    pub fn leave(self) {
        std::mem::forget(self);
    }
}

impl std::fmt::Debug for Leftovers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Leftovers(..)"
        } else {
            "Leftovers(none)"
        })
    }
}

/// The cores this process may use (at most [`MAX_THREADS`]), asked once.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS)
    })
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn results_keep_the_items_order_whether_parallel_or_not() {
        let items: Vec<u64> = (0..10_000).collect();
        let square = |x: &u64| x * x;
        let want: Vec<u64> = items.iter().map(square).collect();
        assert_eq!(map(&items, 64, square), want);
        assert_eq!(map(&items, usize::MAX, square), want);
        assert_eq!(map(&items[..5], 1, square), want[..5]);
        assert!(map(&items[..0], 1, square).is_empty());
    }

    #[test]
    fn join_gives_both_results_on_one_thread_or_two() {
        let items: Vec<u64> = (0..1_000).collect();
        let sum = || items.iter().sum::<u64>();
        let max = || items.iter().max().copied();
        assert_eq!(super::join(true, sum, max), (499_500, Some(999)));
        assert_eq!(super::join(false, sum, max), (499_500, Some(999)));
    }

    #[test]
    fn a_panic_in_a_helper_reaches_the_caller() {
        let items: Vec<u32> = (0..4_096).collect();
        let caught = std::panic::catch_unwind(|| {
            map(&items, 1, |&x| {
                assert!(x != 4_000, "item 4000");
                x
            })
        });
        assert!(caught.is_err());
    }
}
