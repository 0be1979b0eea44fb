//! `[access]`: browser sessions and login limits. Every key is explained
//! in `config/cloud-hub.toml`.

use serde::Deserialize;

/// Sessions and login limits.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// A session with no request for this long ends, minutes.
    pub idle_timeout_minutes: u32,
    /// A session ends this long after its login whatever happens, hours.
    pub absolute_timeout_hours: u32,
    /// Failed logins of one account (since its last success, within the
    /// last hour) before each further attempt must wait: 1 s after this
    /// many, doubling with each further failure, up to `max_delay_seconds`.
    pub delay_after_failures: u32,
    /// Longest wait between attempts, seconds.
    pub max_delay_seconds: u32,
    /// Failed logins of one account within an hour that lock it until the
    /// hour has passed (a success before then resets the count).
    pub lock_after_failures: u32,
    /// Failed logins from one address (any account) within an hour that
    /// refuse further attempts from it until the hour has passed.
    pub address_lock_after_failures: u32,
    /// Take the client's address from `X-Forwarded-For` (its last entry)
    /// instead of the connection: only behind a proxy that sets it.
    pub trust_forwarded_for: bool,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            idle_timeout_minutes: 30,
            absolute_timeout_hours: 12,
            delay_after_failures: 3,
            max_delay_seconds: 300,
            lock_after_failures: 10,
            address_lock_after_failures: 100,
            trust_forwarded_for: false,
        }
    }
}

impl AccessConfig {
    /// The idle timeout, milliseconds.
    pub fn idle_ms(&self) -> i64 {
        i64::from(self.idle_timeout_minutes) * 60_000
    }

    /// The absolute timeout, milliseconds.
    pub fn absolute_ms(&self) -> i64 {
        i64::from(self.absolute_timeout_hours) * 3_600_000
    }

    /// What is wrong with the settings: (key, reason).
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let positive = [
            ("access.idle_timeout_minutes", self.idle_timeout_minutes),
            ("access.absolute_timeout_hours", self.absolute_timeout_hours),
            ("access.lock_after_failures", self.lock_after_failures),
            (
                "access.address_lock_after_failures",
                self.address_lock_after_failures,
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err((key, "must be at least 1".into()));
            }
        }
        Ok(())
    }
}
