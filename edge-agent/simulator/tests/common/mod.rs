//! Helpers shared by the simulator's integration tests.

#![allow(dead_code)]

use machine_sim::SimConfig;
use machine_sim::config::BehaviourConfig;
use std::future::Future;
use std::time::Duration;

/// How long any condition may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Re-evaluates `check` every 20 ms until it yields a value, failing the
/// test with `what` after [`DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < give_up,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Behaviour without random stops, faults, setups or scrap: the machine
/// runs and makes a good part every `cycle_time_ms`.
pub fn steady(cycle_time_ms: u64) -> BehaviourConfig {
    BehaviourConfig {
        cycle_time_ms: Some(cycle_time_ms),
        scrap_rate: Some(0.0),
        stops_per_hour: Some(0.0),
        faults_per_hour: Some(0.0),
        setups_per_hour: Some(0.0),
        ..BehaviourConfig::default()
    }
}

/// `count` steady machines on a free loopback port, clock paused.
pub fn paused_machines(count: u16, cycle_time_ms: u64) -> SimConfig {
    let mut config = SimConfig::with_machines(count, "127.0.0.1:0");
    config.start_paused = true;
    config.behaviour = steady(cycle_time_ms);
    config
}
