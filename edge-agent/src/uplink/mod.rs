//! The uplink: sends buffered events to the hub in batches, deletes what the
//! hub acknowledged, and retries everything else with backoff. It never
//! blocks producers: it only reads the buffer and sends acknowledgements to
//! the writer.
//!
//! After any restart of either side it resumes from the buffer's saved
//! acknowledged sequence number; a batch the hub already has is answered
//! idempotently, so resending after a lost reply is harmless.
//!
//! Two backoffs: one for the hub (cut short when another hub request, the
//! downlink's, succeeds: [`crate::hub::HubReachable`]), one for recording
//! acknowledgements in the buffer (a full disk must not turn into resending
//! the same batch as fast as the hub answers).

mod client;

pub use client::{SyncError, SyncReply, send};

use crate::backoff::Backoff;
use crate::buffer::{Buffer, BufferStats, PendingBatch};
use crate::hub::{HubConnection, HubSpec, ReachableWatch};
use mes_protocols::wire::{BatchHeader, BufferReport, SCHEMA_VERSION, encode_batch, gzip};
use mes_protocols::{AgentId, Incarnation, Seq, Timestamp};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How the uplink behaves.
#[derive(Debug, Clone)]
pub struct UplinkSettings {
    /// This agent.
    pub agent_id: AgentId,
    /// Most events per batch.
    pub batch_size: usize,
    /// First retry delay.
    pub backoff_initial: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Clock offset beyond which to warn, in milliseconds.
    pub clock_warn_ms: i64,
}

impl UplinkSettings {
    /// The uplink's part of the `[hub]` section, for agent `agent_id`.
    pub fn new(hub: &HubSpec, agent_id: AgentId) -> Self {
        Self {
            agent_id,
            batch_size: hub.batch_size,
            backoff_initial: hub.backoff_initial,
            backoff_max: hub.backoff_max,
            clock_warn_ms: hub.clock_warn_ms,
        }
    }
}

/// Live uplink counters for metrics and the status page.
#[derive(Debug, Default)]
pub struct UplinkStats {
    /// Batches the hub acknowledged.
    pub batches_total: AtomicU64,
    /// Events the hub acknowledged as newly stored.
    pub events_stored_total: AtomicU64,
    /// Failed sync attempts.
    pub retries_total: AtomicU64,
    /// New incarnations started on the hub's request.
    pub incarnations_started_total: AtomicU64,
    /// Hub clock minus agent clock, milliseconds (0 until first contact).
    pub clock_offset_ms: AtomicI64,
    /// Unix milliseconds of the last acknowledged batch (0: never).
    pub last_success_ms: AtomicI64,
    /// The last error, for the status page.
    pub last_error: Mutex<Option<String>>,
}

impl UplinkStats {
    fn set_error(&self, error: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = error;
    }

    /// The last sync error, if the last attempt failed.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Runs the uplink until `shutdown` is cancelled; a success of another
/// request through `hub` (the downlink's) ends a backoff wait early.
pub async fn run(
    buffer: Buffer,
    hub: HubConnection,
    settings: UplinkSettings,
    stats: std::sync::Arc<UplinkStats>,
    shutdown: CancellationToken,
) {
    let mut reader = match buffer.reader() {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::error!(error = %e, "uplink cannot read the buffer; sync is off");
            return;
        }
    };
    let mut backoff = Backoff::new(settings.backoff_initial, settings.backoff_max);
    let mut ack_backoff = Backoff::new(settings.backoff_initial, settings.backoff_max);
    let mut hub_back = hub.reachable().watch();
    let mut batch_size = settings.batch_size;
    let buffer_stats = buffer.stats().clone();
    while !shutdown.is_cancelled() {
        let notified = buffer_stats.new_events.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let cursor = Seq(BufferStats::get(&buffer_stats.acked_seq));
        let Some(mut r) = reader.take() else { return };
        let read = tokio::task::spawn_blocking(move || {
            let batch = r.next_batch(cursor, batch_size);
            (r, batch)
        })
        .await;
        let pending = match read {
            Ok((r, result)) => {
                reader = Some(r);
                result
            }
            Err(e) => {
                tracing::error!(error = %e, "uplink reader task failed; sync is off");
                return;
            }
        };
        let pending = match pending {
            Ok(Some(p)) => p,
            Ok(None) => {
                tokio::select! {
                    _ = &mut notified => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.cancelled() => {}
                }
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "uplink cannot read the buffer");
                pause(&mut backoff, &shutdown, None).await;
                continue;
            }
        };
        let outcome = tokio::select! {
            outcome = send_batch(&hub, &settings, &buffer_stats, pending) => outcome,
            _ = shutdown.cancelled() => break,
        };
        match outcome {
            Ok(reply) => {
                backoff.reset();
                stats.set_error(None);
                record_success(&stats, &settings, &reply);
                if let Err(e) = buffer.ack(reply.ack.acked_seq).await {
                    // The hub has the batch; only the buffer cannot record it
                    // (a full disk). Resending at once would just repeat that.
                    tracing::error!(error = %e, retry_in = ?ack_backoff.bound(), "cannot record the hub's acknowledgement");
                    stats.set_error(Some(format!("cannot record the hub's acknowledgement: {e}")));
                    pause(&mut ack_backoff, &shutdown, None).await;
                } else {
                    ack_backoff.reset();
                }
            }
            Err(e) => {
                hub_back.forget();
                stats.retries_total.fetch_add(1, Ordering::Relaxed);
                stats.set_error(Some(e.to_string()));
                match e {
                    SyncError::TooLarge(_) if batch_size > 1 => {
                        batch_size = (batch_size / 2).max(1);
                        tracing::warn!(
                            batch_size,
                            "hub says the batch is too large; sending smaller batches"
                        );
                    }
                    SyncError::SequenceMismatch {
                        ref code,
                        ref message,
                        ..
                    } => {
                        tracing::error!(
                            code,
                            message,
                            "the hub's record of this agent disagrees with the buffer; starting a new incarnation so nothing is discarded as a duplicate"
                        );
                        if buffer.rotate_incarnation().await.is_ok() {
                            stats.incarnations_started_total.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    SyncError::Refused { .. } => {
                        tracing::error!(error = %e, "the hub refused the batch; events stay buffered, retrying");
                        pause(&mut backoff, &shutdown, Some(&mut hub_back)).await;
                    }
                    _ => {
                        tracing::warn!(error = %e, retry_in = ?backoff.bound(), "sync failed; retrying");
                        pause(&mut backoff, &shutdown, Some(&mut hub_back)).await;
                    }
                }
            }
        }
    }
    tracing::debug!("uplink stopped");
}

async fn send_batch(
    hub: &HubConnection,
    settings: &UplinkSettings,
    buffer_stats: &BufferStats,
    pending: PendingBatch,
) -> Result<SyncReply, SyncError> {
    let Some(incarnation) = buffer_stats.incarnation() else {
        return Err(SyncError::Network("the buffer has no incarnation yet".into()));
    };
    let header = batch_header(settings.agent_id, incarnation, &pending, buffer_stats);
    let body = tokio::task::spawn_blocking(move || {
        let json = encode_batch(&header, pending.events.iter().map(|(s, r)| (*s, r.as_str())));
        gzip(&json)
    })
    .await
    .map_err(|e| SyncError::Network(format!("encoding task failed: {e}")))?;
    send(hub, body).await
}

fn batch_header(
    agent_id: AgentId,
    incarnation: Incarnation,
    p: &PendingBatch,
    s: &BufferStats,
) -> BatchHeader {
    BatchHeader {
        schema_version: SCHEMA_VERSION,
        agent_id,
        incarnation,
        first_seq: p.first,
        last_seq: p.last,
        dropped: p.dropped.clone(),
        buffer: BufferReport {
            depth: BufferStats::get(&s.depth),
            dropped_total: BufferStats::get(&s.dropped_total),
            refused_total: BufferStats::get(&s.refused_total),
        },
        sent_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
    }
}

fn record_success(stats: &UplinkStats, settings: &UplinkSettings, reply: &SyncReply) {
    stats.batches_total.fetch_add(1, Ordering::Relaxed);
    stats
        .events_stored_total
        .fetch_add(reply.ack.stored, Ordering::Relaxed);
    stats
        .last_success_ms
        .store(reply.ack.hub_time.unix_millis(), Ordering::Relaxed);
    if let Some(offset) = reply.clock_offset_ms {
        let previous = stats.clock_offset_ms.swap(offset, Ordering::Relaxed);
        let limit = settings.clock_warn_ms;
        if offset.abs() > limit && previous.abs() <= limit {
            tracing::warn!(
                offset_ms = offset,
                limit_ms = limit,
                "the agent's clock differs from the hub's; event times may be off (check NTP on the gateway)"
            );
        }
    }
}

/// Waits the backoff's next delay; when `hub_back` reports a successful hub
/// request meanwhile, stops waiting and starts the backoff over.
async fn pause(backoff: &mut Backoff, shutdown: &CancellationToken, hub_back: Option<&mut ReachableWatch>) {
    let delay = backoff.next_delay();
    let reached = async {
        match hub_back {
            Some(watch) => watch.reached().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::time::sleep(delay) => {}
        _ = shutdown.cancelled() => {}
        _ = reached => {
            tracing::info!("the hub answers again; syncing now");
            backoff.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::HubReachable;

    #[tokio::test]
    async fn a_hub_success_elsewhere_ends_the_backoff_wait() {
        let reachable = HubReachable::default();
        let mut watch = reachable.watch();
        reachable.reached();
        // A success before the failure does not count.
        watch.forget();
        let mut backoff = Backoff::new(Duration::from_secs(600), Duration::from_secs(600));
        backoff.next_delay();
        let shutdown = CancellationToken::new();
        let signal = reachable.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            signal.reached();
        });
        tokio::time::timeout(
            Duration::from_secs(10),
            pause(&mut backoff, &shutdown, Some(&mut watch)),
        )
        .await
        .expect("the wait of 5-10 minutes ended when the hub answered elsewhere");
        assert_eq!(backoff.failures(), 0, "the backoff starts over");
    }
}
