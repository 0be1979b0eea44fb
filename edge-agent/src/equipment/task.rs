//! The equipment task: takes observations from every source, runs them
//! through the equipment models and commits the resulting events (with the
//! counter state they came from) to the buffer in batches.
//!
//! If the buffer refuses a commit (disk failure), the task retries the same
//! batch with backoff instead of dropping it; the bounded observation channel
//! then makes the sources wait.

use super::model::{EquipmentModel, EquipmentStatus, ModelOutput};
use crate::buffer::{Buffer, PreparedEvent};
use crate::sources::{Envelope, Observation, ObservationKind};
use crate::uplink::Backoff;
use mes_protocols::event::{DeviceCommunicationChanged, LinkState};
use mes_protocols::{Code, EventBody, EventDraft, Source, Timestamp};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Most observations turned into one buffer commit.
const MAX_BATCH: usize = 1000;

/// Live status of every equipment, for the status page and metrics.
#[derive(Debug, Default)]
pub struct EquipmentBoard {
    inner: Mutex<BTreeMap<String, EquipmentStatus>>,
}

impl EquipmentBoard {
    /// A copy of every equipment's status.
    pub fn snapshot(&self) -> BTreeMap<String, EquipmentStatus> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn update(&self, models: &[EquipmentModel]) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for m in models {
            inner.insert(m.name().to_string(), m.status());
        }
    }
}

/// Runs the models until `shutdown`, then commits what is still queued.
pub async fn run(
    mut models: Vec<EquipmentModel>,
    devices: HashMap<Code, Vec<usize>>,
    buffer: Buffer,
    mut rx: mpsc::Receiver<Envelope>,
    board: Arc<EquipmentBoard>,
    shutdown: CancellationToken,
) {
    board.update(&models);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut receipts = Vec::new();
    loop {
        let mut out = ModelOutput::default();
        tokio::select! {
            n = rx.recv_many(&mut batch, MAX_BATCH) => {
                if n == 0 {
                    break;
                }
                for envelope in batch.drain(..) {
                    apply(&mut models, &devices, &envelope.observation, &mut out);
                    receipts.extend(envelope.committed);
                }
            }
            _ = tick.tick() => {
                let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
                for m in &mut models {
                    m.check_silence(now, &mut out);
                }
            }
            _ = shutdown.cancelled() => {
                rx.close();
                while let Some(envelope) = rx.recv().await {
                    apply(&mut models, &devices, &envelope.observation, &mut out);
                    receipts.extend(envelope.committed);
                }
                if commit(&buffer, out, &shutdown).await {
                    fire(&mut receipts);
                }
                board.update(&models);
                break;
            }
        }
        if commit(&buffer, out, &shutdown).await {
            fire(&mut receipts);
        }
        receipts.clear();
        board.update(&models);
    }
}

fn apply(
    models: &mut [EquipmentModel],
    devices: &HashMap<Code, Vec<usize>>,
    obs: &Observation,
    out: &mut ModelOutput,
) {
    let indices = devices.get(&obs.device).map(Vec::as_slice).unwrap_or(&[]);
    match &obs.kind {
        ObservationKind::Tag { tag, value } => {
            for &i in indices {
                models[i].observe_tag(tag, value, obs.at, out);
            }
        }
        ObservationKind::Link { state, detail } => {
            let body = EventBody::DeviceCommunicationChanged(DeviceCommunicationChanged {
                device: obs.device.clone(),
                state: *state,
                detail: detail.clone(),
            });
            out.events
                .push(EventDraft::new(obs.at, Source::Device(obs.device.clone()), body));
            if *state == LinkState::Down {
                for &i in indices {
                    models[i].set_offline(obs.at, out);
                }
            }
        }
    }
}

/// Tells every waiting source that its observations are committed.
fn fire(receipts: &mut Vec<tokio::sync::oneshot::Sender<()>>) {
    for receipt in receipts.drain(..) {
        let _ = receipt.send(());
    }
}

/// Commits the output; true when it is durable (or there was nothing to
/// commit), false when it could not be stored.
async fn commit(buffer: &Buffer, out: ModelOutput, shutdown: &CancellationToken) -> bool {
    if out.events.is_empty() && out.state.is_empty() {
        return true;
    }
    let events: Vec<PreparedEvent> = out
        .events
        .iter()
        .filter_map(|d| match PreparedEvent::new(d) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::error!(error = %e, kind = d.body.kind().as_str(), "equipment model made an invalid event; skipped");
                None
            }
        })
        .collect();
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        match buffer.append_with_state(events.clone(), out.state.clone()).await {
            Ok(_) => return true,
            Err(crate::buffer::BufferError::Closed) => {
                tracing::error!(
                    events = events.len(),
                    "buffer closed before equipment events could be stored"
                );
                return false;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot store equipment events; retrying");
                if shutdown.is_cancelled() && backoff.failures() > 5 {
                    return false;
                }
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
}
