//! `[planning]` in the hub config: how plans are made and when the
//! background watcher re-plans (every key documented in
//! `config/cloud-hub.toml`).

use super::PlanningSettings;
use super::watch::WatchSettings;
use serde::Deserialize;
use std::time::Duration;

/// The `[planning]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlanningConfig {
    /// Whether the background watcher re-plans planned sites.
    pub replan: bool,
    /// How often the watcher looks for changes, in milliseconds.
    pub poll_interval_ms: u64,
    /// Quiet time after the last new change before a re-plan, in milliseconds.
    pub debounce_ms: u64,
    /// A machine reported down at least this long is taken out of the plan.
    pub machine_down_threshold_minutes: u32,
    /// How long past now a down machine is assumed to stay down.
    pub assumed_repair_minutes: u32,
    /// An operation finishing or starting more than this off its plan re-plans.
    pub deviation_tolerance_minutes: u32,
    /// Solver time limit of a run that names none, in seconds.
    pub time_limit_seconds: u64,
    /// Longest time limit a run may ask for, in seconds.
    pub max_time_limit_seconds: u64,
    /// Search threads per run.
    pub threads: usize,
    /// Days of calendars expanded ahead; machines count as always
    /// available after them.
    pub horizon_days: u32,
    /// An on-time order with less slack than this is reported at risk.
    pub at_risk_slack_minutes: u32,
}

impl Default for PlanningConfig {
    fn default() -> Self {
        let s = PlanningSettings::default();
        Self {
            replan: true,
            poll_interval_ms: 5_000,
            debounce_ms: 30_000,
            machine_down_threshold_minutes: s.machine_down_threshold_minutes as u32,
            assumed_repair_minutes: s.assumed_repair_minutes as u32,
            deviation_tolerance_minutes: s.deviation_tolerance_minutes as u32,
            time_limit_seconds: s.default_time_limit.as_secs(),
            max_time_limit_seconds: s.max_time_limit.as_secs(),
            threads: s.threads,
            horizon_days: s.horizon_days,
            at_risk_slack_minutes: s.at_risk_slack_minutes as u32,
        }
    }
}

impl PlanningConfig {
    /// The first key out of range, as (`planning.key`, reason).
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let fail = |key, reason: &str| Err((key, reason.to_string()));
        if self.poll_interval_ms < 100 {
            return fail("planning.poll_interval_ms", "must be at least 100");
        }
        if !(1..=3_600).contains(&self.time_limit_seconds) {
            return fail("planning.time_limit_seconds", "must be from 1 to 3600");
        }
        if !(self.time_limit_seconds..=3_600).contains(&self.max_time_limit_seconds) {
            return fail(
                "planning.max_time_limit_seconds",
                "must be from planning.time_limit_seconds to 3600",
            );
        }
        if !(1..=64).contains(&self.threads) {
            return fail("planning.threads", "must be from 1 to 64");
        }
        if !(1..=366).contains(&self.horizon_days) {
            return fail("planning.horizon_days", "must be from 1 to 366");
        }
        Ok(())
    }

    /// The settings plans are made with.
    pub fn settings(&self) -> PlanningSettings {
        PlanningSettings {
            horizon_days: self.horizon_days,
            at_risk_slack_minutes: i64::from(self.at_risk_slack_minutes),
            default_time_limit: Duration::from_secs(self.time_limit_seconds),
            max_time_limit: Duration::from_secs(self.max_time_limit_seconds),
            threads: self.threads,
            machine_down_threshold_minutes: i64::from(self.machine_down_threshold_minutes),
            assumed_repair_minutes: i64::from(self.assumed_repair_minutes),
            deviation_tolerance_minutes: i64::from(self.deviation_tolerance_minutes),
        }
    }

    /// The watcher's settings.
    pub fn watch(&self) -> WatchSettings {
        WatchSettings {
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            debounce_ms: i64::try_from(self.debounce_ms).unwrap_or(i64::MAX),
            planning: self.settings(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mes_protocols::config_text::parse_toml;

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = parse_toml::<PlanningConfig>("hub.toml", "debounce = 3\n").expect_err("unknown key");
        assert!(err.to_string().contains("debounce"), "{err}");
        let config = parse_toml::<PlanningConfig>("hub.toml", "threads = 0\n").expect("parses");
        assert_eq!(config.check().expect_err("no threads").0, "planning.threads");
        assert_eq!(PlanningConfig::default().check(), Ok(()));
        assert_eq!(PlanningConfig::default().settings(), PlanningSettings::default());
    }
}
