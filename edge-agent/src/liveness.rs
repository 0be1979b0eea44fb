//! The agent's own liveness, so that a time when it was not running shows
//! as such downstream instead of stretching the last state it saw.
//!
//! While it runs, the agent records a heartbeat (its clock, unix ms) in the
//! buffer file's agent state every `heartbeat_secs`, and once more when it
//! stops cleanly. At start, before any source runs, it reads the last one:
//! older than `outage_after_secs` means the agent was down (crash, power
//! loss, kill -9, a stop), and it commits an `agent_outage` event from that
//! heartbeat until now, naming every configured equipment, together with a
//! fresh heartbeat in one buffer transaction (so a crash during start-up
//! neither loses the outage nor reports it twice). The hub's machine
//! timeline shows the period as `agent_down`.
//!
//! The equipment task also commits a heartbeat with every batch of machine
//! events, so `from` is never before the last machine event stored; the
//! outage began at most one heartbeat interval after it. A heartbeat is one
//! small durable commit every few seconds (an fsync on the gateway's disk):
//! the interval trades that wear against how exactly an outage starts.

use crate::buffer::{Buffer, BufferError, PreparedEvent, StateUpdate};
use mes_protocols::config_text::ConfigError;
use mes_protocols::event::{AgentOutage, MAX_OUTAGE_EQUIPMENT};
use mes_protocols::{Code, EventBody, EventDraft, Source, Timestamp};
use serde::Deserialize;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The agent-state key of the heartbeat.
pub const HEARTBEAT_KEY: &str = "agent/heartbeat";

/// `[liveness]`: how the agent records that it runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LivenessConfig {
    /// Seconds between heartbeats written to the buffer file (at least 1).
    pub heartbeat_secs: u64,
    /// A last heartbeat older than this many seconds at start is reported
    /// as an outage (more than `heartbeat_secs`); a shorter gap, such as a
    /// quick restart, is not.
    pub outage_after_secs: u64,
}

impl Default for LivenessConfig {
    fn default() -> Self {
        Self {
            heartbeat_secs: 5,
            outage_after_secs: 30,
        }
    }
}

impl LivenessConfig {
    /// Checks the section as read from `file`.
    pub fn validate(&self, file: &str) -> Result<(), ConfigError> {
        if self.heartbeat_secs == 0 {
            return Err(ConfigError::new(
                file,
                "liveness.heartbeat_secs",
                "must be at least 1",
            ));
        }
        if self.outage_after_secs <= self.heartbeat_secs {
            return Err(ConfigError::new(
                file,
                "liveness.outage_after_secs",
                format!(
                    "{} must be more than heartbeat_secs ({}): a running agent's last heartbeat is up to that old",
                    self.outage_after_secs, self.heartbeat_secs
                ),
            ));
        }
        Ok(())
    }
}

/// The `agent_outage` events for a start at `now` after a last heartbeat
/// at `last` (none when there was none, it is recent, the clock went back
/// or no equipment is configured), one per [`MAX_OUTAGE_EQUIPMENT`].
pub fn outage_events(
    last: Option<Timestamp>,
    now: Timestamp,
    outage_after: Duration,
    equipment: &[Code],
) -> Vec<EventDraft> {
    let Some(from) = last else { return Vec::new() };
    let gap = now.millis_since(from);
    if gap <= i64::try_from(outage_after.as_millis()).unwrap_or(i64::MAX) {
        return Vec::new();
    }
    let source = Source::Subsystem(Code::parse("agent").expect("`agent` is a valid code"));
    equipment
        .chunks(MAX_OUTAGE_EQUIPMENT)
        .map(|chunk| {
            let body = EventBody::AgentOutage(AgentOutage {
                from,
                until: now,
                equipment: chunk.to_vec(),
            });
            EventDraft::new(now, source.clone(), body)
        })
        .collect()
}

/// Reads the last heartbeat, commits the outage it shows (if any) with a
/// heartbeat at `now`, and returns how many outage events were committed.
pub async fn on_start(
    buffer: &Buffer,
    config: &LivenessConfig,
    equipment: &[Code],
    now: Timestamp,
) -> Result<usize, BufferError> {
    let last = last_heartbeat(buffer)?;
    if let Some(last) = last
        && now < last
    {
        tracing::warn!(last = %last, now = %now, "the clock is behind the last heartbeat; no outage can be measured");
    }
    let drafts = outage_events(
        last,
        now,
        Duration::from_secs(config.outage_after_secs),
        equipment,
    );
    let events = drafts
        .iter()
        .map(|d| PreparedEvent::new(d).map_err(|error| BufferError::InvalidEvent { index: 0, error }))
        .collect::<Result<Vec<_>, _>>()?;
    let count = events.len();
    buffer.append_with_state(events, vec![heartbeat(now)]).await?;
    if let (Some(from), true) = (last, count > 0) {
        tracing::warn!(from = %from, until = %now, equipment = equipment.len(), "the agent was not running; outage recorded");
    }
    Ok(count)
}

/// Writes a heartbeat every `interval` until `shutdown`, then one last.
pub async fn run(buffer: Buffer, interval: Duration, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.cancelled() => break,
        }
        beat(&buffer).await;
    }
    // A clean stop: the outage, if the agent stays down, starts now.
    beat(&buffer).await;
}

async fn beat(buffer: &Buffer) {
    let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    if let Err(e) = buffer.append_with_state(Vec::new(), vec![heartbeat(now)]).await {
        // The buffer's own health reports a failing disk; an outage that
        // starts a little early is the only cost here.
        tracing::debug!(error = %e, "heartbeat not recorded");
    }
}

/// The heartbeat at `at`, as an agent-state update. The equipment task
/// commits one with each batch of machine events, so an outage never
/// starts before the last machine event the agent stored.
pub fn heartbeat(at: Timestamp) -> StateUpdate {
    StateUpdate {
        key: HEARTBEAT_KEY.into(),
        value: Some(at.unix_millis().to_string()),
    }
}

fn last_heartbeat(buffer: &Buffer) -> Result<Option<Timestamp>, BufferError> {
    Ok(buffer
        .load_state(HEARTBEAT_KEY)?
        .into_iter()
        .find(|(key, _)| key == HEARTBEAT_KEY)
        .and_then(|(_, value)| value.parse().ok())
        .map(Timestamp::from_unix_millis))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffer::BufferSettings;

    const MIN: i64 = 60_000;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_764_000_000_000 + ms)
    }

    fn codes(names: &[&str]) -> Vec<Code> {
        names.iter().map(|n| Code::parse(n).expect("test code")).collect()
    }

    fn outage(draft: &EventDraft) -> &AgentOutage {
        match &draft.body {
            EventBody::AgentOutage(o) => o,
            other => panic!("not an outage: {other:?}"),
        }
    }

    #[test]
    fn a_heartbeat_older_than_the_threshold_is_an_outage_from_it_until_now() {
        let equipment = codes(&["press-1", "lathe-1"]);
        let events = outage_events(Some(at(0)), at(5 * MIN), Duration::from_secs(30), &equipment);
        assert_eq!(events.len(), 1);
        let o = outage(&events[0]);
        assert_eq!(
            (o.from, o.until, o.equipment.clone()),
            (at(0), at(5 * MIN), equipment)
        );
        assert_eq!(events[0].occurred_at, at(5 * MIN));
        assert!(events[0].validate().is_ok());
    }

    #[test]
    fn a_quick_restart_a_first_start_a_clock_going_back_and_no_equipment_are_no_outage() {
        let equipment = codes(&["press-1"]);
        let limit = Duration::from_secs(30);
        assert!(outage_events(Some(at(0)), at(30_000), limit, &equipment).is_empty());
        assert!(outage_events(None, at(5 * MIN), limit, &equipment).is_empty());
        assert!(outage_events(Some(at(5 * MIN)), at(0), limit, &equipment).is_empty());
        assert!(outage_events(Some(at(0)), at(5 * MIN), limit, &[]).is_empty());
    }

    #[test]
    fn many_equipment_are_named_over_several_events() {
        let names: Vec<String> = (0..MAX_OUTAGE_EQUIPMENT + 1).map(|i| format!("m-{i}")).collect();
        let equipment: Vec<Code> = names.iter().map(|n| Code::parse(n).expect("code")).collect();
        let events = outage_events(Some(at(0)), at(5 * MIN), Duration::from_secs(30), &equipment);
        let sizes: Vec<usize> = events.iter().map(|e| outage(e).equipment.len()).collect();
        assert_eq!(sizes, [MAX_OUTAGE_EQUIPMENT, 1]);
        assert!(events.iter().all(|e| e.validate().is_ok()));
    }

    #[tokio::test]
    async fn a_start_after_a_gap_commits_one_outage_and_a_fresh_heartbeat() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (buffer, writer) =
            Buffer::open(BufferSettings::unbounded(dir.path().join("b.db"))).expect("open");
        let config = LivenessConfig::default();
        let equipment = codes(&["press-1"]);
        assert_eq!(
            on_start(&buffer, &config, &equipment, at(0))
                .await
                .expect("first"),
            0
        );
        assert_eq!(last_heartbeat(&buffer).expect("read"), Some(at(0)));
        assert_eq!(
            on_start(&buffer, &config, &equipment, at(10_000))
                .await
                .expect("quick"),
            0,
            "10 s is a restart, not an outage"
        );
        assert_eq!(
            on_start(&buffer, &config, &equipment, at(10 * MIN))
                .await
                .expect("late"),
            1
        );
        assert_eq!(last_heartbeat(&buffer).expect("read"), Some(at(10 * MIN)));
        let depth = crate::buffer::BufferStats::get(&buffer.stats().depth);
        assert_eq!(depth, 1, "the outage is in the buffer, to be synced");
        drop(buffer);
        writer.join();
    }

    #[test]
    fn the_threshold_must_exceed_the_heartbeat() {
        let key = |heartbeat_secs, outage_after_secs| {
            let config = LivenessConfig {
                heartbeat_secs,
                outage_after_secs,
            };
            config.validate("a.toml").err().map(|e| e.key)
        };
        assert_eq!(key(5, 5).as_deref(), Some("liveness.outage_after_secs"));
        assert_eq!(key(0, 5).as_deref(), Some("liveness.heartbeat_secs"));
        assert_eq!(key(5, 6), None);
    }
}
