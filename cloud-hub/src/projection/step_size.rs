//! How many events a tenant's next projection step reads, so a step holds
//! a bounded amount of event JSON in memory whatever the events' size.
//!
//! A step reads its events' JSON whole (up to 64 KiB each): 10,000 events
//! of a few hundred bytes are a few megabytes, but 10,000 large ones
//! (unknown kinds kept raw, events with extra fields) are up to 640 MB.
//! So the configured `[projection] batch` is the most a step reads; after
//! each step the next one reads as many events as fit [`STEP_BYTES`] at
//! the average size just seen. The first step of a tenant reads at most
//! [`FIRST_STEP`] events, since nothing is known of their size yet.

/// Bytes of event JSON a step aims to read.
pub const STEP_BYTES: usize = 8 << 20;

/// Events the first step of a tenant reads at most.
pub const FIRST_STEP: usize = 1_000;

/// Events a step reads at least (a step of large events still progresses
/// by more than one).
pub const MIN_STEP: usize = 100;

/// The events per step of one tenant.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepSize {
    /// Events per step as last measured; `None` before the first step.
    next: Option<usize>,
}

impl StepSize {
    /// Events the next step reads, at most `batch`.
    pub fn next(&self, batch: usize) -> usize {
        self.next.unwrap_or(FIRST_STEP).clamp(1, batch.max(1))
    }

    /// Learns from a step that read `events` events of `bytes` bytes.
    pub fn measured(&mut self, events: usize, bytes: usize) {
        if events == 0 {
            return;
        }
        let average = (bytes / events).max(1);
        self.next = Some((STEP_BYTES / average).max(MIN_STEP));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_about_the_byte_budget_within_the_configured_batch() {
        let mut size = StepSize::default();
        assert_eq!(size.next(10_000), FIRST_STEP);
        assert_eq!(size.next(50), 50, "never more than configured");
        // Small events: the configured batch.
        size.measured(1_000, 300_000);
        assert_eq!(size.next(10_000), 10_000);
        // 6 KB events: about 8 MiB per step.
        size.measured(10_000, 60_000_000);
        assert_eq!(size.next(10_000), STEP_BYTES / 6_000);
        // 64 KiB events: still at least MIN_STEP.
        size.measured(1_000, 1_000 * 65_536);
        assert_eq!(size.next(10_000), (STEP_BYTES / 65_536).max(MIN_STEP));
        // A step that read nothing teaches nothing.
        size.measured(0, 0);
        assert_eq!(size.next(10_000), (STEP_BYTES / 65_536).max(MIN_STEP));
    }
}
