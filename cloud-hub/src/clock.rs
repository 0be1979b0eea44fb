//! The hub's clock: "now" as epoch milliseconds, injected wherever an
//! answer depends on it (planning windows, what-if down times, the clock
//! offset of agents) so tests fix the instant instead of reading the wall
//! clock, whose weekday and hour would decide their outcome.

use std::sync::Arc;

/// A source of "now" (epoch ms). Cheap to clone.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The machine's clock.
pub fn system_clock() -> Clock {
    Arc::new(crate::store::now_ms)
}

/// A clock that always answers `at` (epoch ms): for tests.
pub fn fixed_clock(at: i64) -> Clock {
    Arc::new(move || at)
}
