//! Exponential backoff with full jitter and a cap: every retry loop of the
//! agent waits with it (the uplink and downlink, Modbus reconnects, the
//! MQTT connection, the equipment task's buffer commits). It depends on
//! nothing else of the agent, so every part can reach it.
//!
//! Jitter (a random delay between half the exponential bound and the bound)
//! keeps a factory's worth of agents from hammering a hub that just came back
//! all at the same instant.

use rand::Rng;
use std::time::Duration;

/// The retry delay state of one retry loop.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// A backoff starting at `initial` and never waiting longer than `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            attempt: 0,
        }
    }

    /// The delay before the next retry; grows with each call.
    pub fn next_delay(&mut self) -> Duration {
        let bound = self.bound();
        self.attempt = self.attempt.saturating_add(1);
        let millis = bound.as_millis().max(1) as u64;
        Duration::from_millis(rand::rng().random_range(millis / 2..=millis))
    }

    /// The upper bound of the next delay (before jitter).
    pub fn bound(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// Back to the initial delay after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// How many failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let delays: Vec<Duration> = (0..8).map(|_| b.next_delay()).collect();
        assert!(delays[0] <= Duration::from_millis(100));
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(2)));
        assert_eq!(b.bound(), Duration::from_secs(2));
        b.reset();
        assert_eq!(b.bound(), Duration::from_millis(100));
    }
}
