//! The equipment task: takes observations from every source, runs them
//! through the equipment models and commits the resulting events (with the
//! counter state they came from) to the buffer in batches.
//!
//! Bad input the models find (a value of the wrong type for its use) and
//! messages for a device no equipment uses are counted in [`SourceStats`]
//! and logged with where they came from (topic and payload excerpt).
//!
//! If the buffer refuses a commit (disk failure), the task retries the same
//! batch with backoff instead of dropping it; the bounded observation channel
//! then makes the sources wait.

use super::model::{EquipmentModel, EquipmentStatus, ModelOutput};
use crate::buffer::{Buffer, PreparedEvent};
use crate::sources::{BadInputKind, Envelope, Observation, ObservationKind, Origin, SourceStats};
use crate::uplink::Backoff;
use mes_protocols::event::{DeviceCommunicationChanged, LinkState};
use mes_protocols::{Code, EventBody, EventDraft, Source, Timestamp};
use std::collections::{BTreeMap, HashMap, HashSet};
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

/// The equipment models and what routes observations to them.
pub struct Models {
    models: Vec<EquipmentModel>,
    devices: HashMap<Code, Vec<usize>>,
    stats: Arc<SourceStats>,
    /// Devices without equipment already logged (once each; counted always).
    unknown_logged: HashSet<Code>,
}

impl Models {
    /// The models, routed by their device; bad input counted in `stats`.
    pub fn new(models: Vec<EquipmentModel>, stats: Arc<SourceStats>) -> Self {
        let mut devices: HashMap<Code, Vec<usize>> = HashMap::new();
        for (i, m) in models.iter().enumerate() {
            devices.entry(m.device().clone()).or_default().push(i);
        }
        Self {
            models,
            devices,
            stats,
            unknown_logged: HashSet::new(),
        }
    }
}

/// Runs the models until `shutdown`, then commits what is still queued.
pub async fn run(
    mut models: Models,
    buffer: Buffer,
    mut rx: mpsc::Receiver<Envelope>,
    board: Arc<EquipmentBoard>,
    shutdown: CancellationToken,
) {
    board.update(&models.models);
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
                    models.apply(&envelope.observation, &mut out);
                    receipts.extend(envelope.committed);
                }
            }
            _ = tick.tick() => {
                let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
                for m in &mut models.models {
                    m.check_silence(now, &mut out);
                }
            }
            _ = shutdown.cancelled() => {
                rx.close();
                while let Some(envelope) = rx.recv().await {
                    models.apply(&envelope.observation, &mut out);
                    receipts.extend(envelope.committed);
                }
                if commit(&buffer, out, &shutdown).await {
                    fire(&mut receipts);
                }
                board.update(&models.models);
                break;
            }
        }
        if commit(&buffer, out, &shutdown).await {
            fire(&mut receipts);
        }
        receipts.clear();
        board.update(&models.models);
    }
}

impl Models {
    fn apply(&mut self, obs: &Observation, out: &mut ModelOutput) {
        let indices = self.devices.get(&obs.device).cloned().unwrap_or_default();
        match &obs.kind {
            ObservationKind::Snapshot { values, origin } => {
                if indices.is_empty() {
                    self.no_equipment(obs, origin);
                }
                for &i in &indices {
                    if let Err(problems) = self.models[i].observe(values, obs.at, out) {
                        for p in problems {
                            self.stats.count(obs.device.as_str(), p.kind);
                            tracing::warn!(device = %obs.device, equipment = %self.models[i].name(), source = %origin, reason = %p.reason, kind = p.kind.as_str(), "bad input counted; the snapshot made no event");
                        }
                    }
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
                    for &i in &indices {
                        self.models[i].set_offline(obs.at, out);
                    }
                }
            }
        }
    }

    /// A message for a device no equipment uses: counted every time, logged
    /// the first time per device. (A Modbus device without equipment is a
    /// configuration choice, e.g. while commissioning, and is not counted.)
    fn no_equipment(&mut self, obs: &Observation, origin: &Origin) {
        if !matches!(origin, Origin::Message { .. }) {
            return;
        }
        self.stats.count(obs.device.as_str(), BadInputKind::NoEquipment);
        if self.unknown_logged.insert(obs.device.clone()) {
            tracing::warn!(device = %obs.device, source = %origin, "message for a device no equipment uses; counted and skipped (logged once per device)");
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
