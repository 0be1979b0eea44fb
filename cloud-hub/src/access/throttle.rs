//! Login rate limits, decided from the failures the store counted (so
//! every replica of the hub sees the same counts): a delay that doubles
//! per failure of an account, a lock of the account after too many in an
//! hour, and a lock of an address that tries too many accounts.

use super::config::AccessConfig;
use crate::store::access::LoginFailures;

/// The window failures are counted in, milliseconds.
pub const WINDOW_MS: i64 = 3_600_000;

/// Whether a login attempt may be checked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Check the password.
    Allow,
    /// Refuse without checking; try again after this many seconds.
    Wait {
        /// Seconds until the next attempt is looked at.
        seconds: u64,
        /// Whether it is a lock (too many failures), not just a delay.
        locked: bool,
    },
}

/// What `failures` (counted over the last [`WINDOW_MS`]) allow at `now`.
pub fn verdict(config: &AccessConfig, failures: &LoginFailures, now: i64) -> Verdict {
    let wait_until = |last: Option<i64>, ms: i64| last.map(|at| at + ms - now).filter(|left| *left > 0);
    if failures.address >= config.address_lock_after_failures
        && let Some(left) = wait_until(failures.address_last_at, WINDOW_MS)
    {
        return Verdict::Wait {
            seconds: seconds(left),
            locked: true,
        };
    }
    if failures.account >= config.lock_after_failures
        && let Some(left) = wait_until(failures.account_last_at, WINDOW_MS)
    {
        return Verdict::Wait {
            seconds: seconds(left),
            locked: true,
        };
    }
    if failures.account >= config.delay_after_failures {
        let doublings = (failures.account - config.delay_after_failures).min(30);
        let delay_ms = (1_000i64 << doublings).min(i64::from(config.max_delay_seconds) * 1_000);
        if let Some(left) = wait_until(failures.account_last_at, delay_ms) {
            return Verdict::Wait {
                seconds: seconds(left),
                locked: false,
            };
        }
    }
    Verdict::Allow
}

fn seconds(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0).div_ceil(1_000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(account: u32, address: u32, last: i64) -> LoginFailures {
        LoginFailures {
            account,
            account_last_at: Some(last),
            address,
            address_last_at: Some(last),
        }
    }

    #[test]
    fn a_few_failures_cost_nothing_then_the_delay_doubles() {
        let config = AccessConfig::default();
        let now = 10_000_000;
        assert_eq!(verdict(&config, &failures(2, 2, now), now), Verdict::Allow);
        assert_eq!(
            verdict(&config, &failures(3, 3, now), now),
            Verdict::Wait {
                seconds: 1,
                locked: false
            }
        );
        assert_eq!(
            verdict(&config, &failures(5, 5, now), now),
            Verdict::Wait {
                seconds: 4,
                locked: false
            }
        );
        // Once the delay has passed, the next attempt is looked at.
        assert_eq!(
            verdict(&config, &failures(5, 5, now - 4_000), now),
            Verdict::Allow
        );
        // Capped.
        assert_eq!(
            verdict(&config, &failures(9, 9, now), now),
            Verdict::Wait {
                seconds: 64,
                locked: false
            }
        );
    }

    #[test]
    fn too_many_in_an_hour_lock_the_account_or_the_address() {
        let config = AccessConfig::default();
        let now = 10_000_000;
        let v = verdict(&config, &failures(10, 10, now - 60_000), now);
        assert_eq!(
            v,
            Verdict::Wait {
                seconds: 3_540,
                locked: true
            }
        );
        assert_eq!(
            verdict(&config, &failures(10, 10, now - WINDOW_MS), now),
            Verdict::Allow
        );
        let spraying = LoginFailures {
            account: 0,
            account_last_at: None,
            address: 100,
            address_last_at: Some(now),
        };
        assert!(matches!(
            verdict(&config, &spraying, now),
            Verdict::Wait { locked: true, .. }
        ));
    }
}
