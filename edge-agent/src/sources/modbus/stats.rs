//! Poll statistics of the Modbus source: how many polls and reads, and how
//! late polls start against their schedule (the jitter an integrator and the
//! benchmark look at).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Lateness samples kept for the percentiles.
const WINDOW: usize = 10_000;

/// Counters shared by every device poller.
#[derive(Debug, Default)]
pub struct ModbusStats {
    /// Poll cycles run (one per group per interval).
    pub polls_total: AtomicU64,
    /// Read requests sent.
    pub requests_total: AtomicU64,
    /// Tag values decoded.
    pub tags_read_total: AtomicU64,
    /// Poll cycles skipped because the previous one overran the interval.
    pub overruns_total: AtomicU64,
    lateness_us: Mutex<VecDeque<u64>>,
}

impl ModbusStats {
    /// Records how late a poll started.
    pub fn record_lateness(&self, late: Duration) {
        let mut window = self.lateness_us.lock().unwrap_or_else(|p| p.into_inner());
        if window.len() == WINDOW {
            window.pop_front();
        }
        window.push_back(late.as_micros() as u64);
    }

    /// The `q` quantile (0..=1) of recent poll lateness, if any polls ran.
    pub fn lateness_quantile(&self, q: f64) -> Option<Duration> {
        let window = self.lateness_us.lock().unwrap_or_else(|p| p.into_inner());
        if window.is_empty() {
            return None;
        }
        let mut sorted: Vec<u64> = window.iter().copied().collect();
        sorted.sort_unstable();
        let index = ((sorted.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
        Some(Duration::from_micros(sorted[index]))
    }

    /// Increments a counter.
    pub fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_recorded_lateness() {
        let stats = ModbusStats::default();
        assert_eq!(stats.lateness_quantile(0.5), None);
        for ms in 1..=100 {
            stats.record_lateness(Duration::from_millis(ms));
        }
        assert_eq!(stats.lateness_quantile(0.5), Some(Duration::from_millis(51)));
        assert_eq!(stats.lateness_quantile(0.99), Some(Duration::from_millis(99)));
    }
}
