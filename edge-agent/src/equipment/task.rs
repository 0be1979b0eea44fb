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
use crate::backoff::Backoff;
use crate::buffer::{Buffer, PreparedEvent};
use crate::sources::{BadInputKind, Envelope, Observation, ObservationKind, Origin, SourceStats, TagValue};
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
    /// For a device that feeds several equipment: which of them (by
    /// position in `devices`) read each tag. Its snapshots are split so
    /// that each equipment sees only its own tags: one OPC UA server of
    /// 10,000 tags feeding 100 machines would otherwise have every machine
    /// check and keep all 10,000 (measured: 180 MB and a quarter of a core
    /// at 4,000 changes/s).
    routes: HashMap<Code, HashMap<Code, Vec<usize>>>,
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
        let mut routes: HashMap<Code, HashMap<Code, Vec<usize>>> = HashMap::new();
        for (device, indices) in devices.iter().filter(|(_, i)| i.len() > 1) {
            let route = routes.entry(device.clone()).or_default();
            for (position, &i) in indices.iter().enumerate() {
                for tag in models[i].spec().tags() {
                    let readers = route.entry(tag.clone()).or_default();
                    if readers.last() != Some(&position) {
                        readers.push(position);
                    }
                }
            }
        }
        Self {
            models,
            devices,
            routes,
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
            ObservationKind::Snapshot {
                values,
                origin,
                received,
            } => {
                if indices.is_empty() {
                    self.no_equipment(obs, origin);
                }
                let split = self.split(&obs.device, values, indices.len());
                for (position, &i) in indices.iter().enumerate() {
                    let values = split
                        .as_ref()
                        .map_or(values.as_slice(), |parts| parts[position].as_slice());
                    if let Err(problems) = self.models[i].observe(values, obs.at, *received, out) {
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

    /// A snapshot of a device feeding several equipment, split into each
    /// one's own tags (by position in the device's equipment); None when
    /// one equipment takes it whole.
    fn split(
        &self,
        device: &Code,
        values: &[(Code, TagValue)],
        count: usize,
    ) -> Option<Vec<Vec<(Code, TagValue)>>> {
        let route = self.routes.get(device)?;
        let mut parts = vec![Vec::new(); count];
        for (tag, value) in values {
            for &position in route.get(tag).into_iter().flatten() {
                parts[position].push((tag.clone(), value.clone()));
            }
        }
        Some(parts)
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
    // The agent ran at least until these events: an outage reported after
    // a crash starts no earlier (see `crate::liveness`).
    let mut state = out.state;
    state.push(crate::liveness::heartbeat(Timestamp::from_datetime(
        time::OffsetDateTime::now_utc(),
    )));
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        match buffer.append_with_state(events.clone(), state.clone()).await {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equipment::{EquipmentConfig, parse_equipment};
    use mes_protocols::config_text::parse_toml;

    #[derive(serde::Deserialize)]
    struct Doc {
        equipment: Vec<EquipmentConfig>,
    }

    fn models(stats: &Arc<SourceStats>) -> Models {
        models_of(
            stats,
            r#"
[[equipment]]
name = "m1"
device = "m1"
counters = { good = { tag = "parts", mode = "per_message" } }
"#,
        )
    }

    fn models_of(stats: &Arc<SourceStats>, text: &str) -> Models {
        let doc: Doc = parse_toml("agent.toml", text).expect("parses");
        let specs = parse_equipment("agent.toml", &doc.equipment).expect("valid");
        let models = specs
            .into_iter()
            .map(|s| EquipmentModel::new(s, &HashMap::new()))
            .collect();
        Models::new(models, stats.clone())
    }

    fn snapshot(device: &str, parts: TagValue, origin: Origin) -> Observation {
        Observation {
            device: Code::parse(device).expect("code"),
            at: Timestamp::from_unix_millis(1_000),
            kind: ObservationKind::Snapshot {
                values: vec![(Code::parse("parts").expect("code"), parts)],
                origin,
                received: Timestamp::from_unix_millis(1_000),
            },
        }
    }

    fn message() -> Origin {
        Origin::Message {
            topic: "t/x/count".into(),
            excerpt: "{}".into(),
        }
    }

    #[test]
    fn bad_input_and_messages_without_equipment_are_counted_by_device_and_reason() {
        let stats = Arc::new(SourceStats::default());
        let mut m = models(&stats);
        let mut out = ModelOutput::default();
        m.apply(
            &snapshot("m1", TagValue::Text("three".into()), message()),
            &mut out,
        );
        m.apply(&snapshot("m1", TagValue::Int(2), message()), &mut out);
        m.apply(&snapshot("ghost", TagValue::Int(1), message()), &mut out);
        m.apply(&snapshot("ghost", TagValue::Int(1), message()), &mut out);
        let poll = Origin::Poll { group: "fast".into() };
        m.apply(
            &snapshot("plc-without-equipment", TagValue::Int(1), poll),
            &mut out,
        );
        assert_eq!(out.events.len(), 1, "only the good count is an event");
        let counted: Vec<(String, &str, u64)> = stats
            .by_reason()
            .into_iter()
            .map(|((d, k), n)| (d, k.as_str(), n))
            .collect();
        assert_eq!(
            counted,
            [("ghost".into(), "no_equipment", 2), ("m1".into(), "count", 1)],
            "a polled device without equipment is a configuration choice, not bad input"
        );
    }

    #[test]
    fn a_device_feeding_several_equipment_gives_each_only_its_own_tags() {
        let stats = Arc::new(SourceStats::default());
        let mut m = models_of(
            &stats,
            r#"
[[equipment]]
name = "m1"
device = "server"
values = ["t1"]
counters = { good = { tag = "p1", mode = "per_message" } }
[[equipment]]
name = "m2"
device = "server"
values = ["t2"]
"#,
        );
        let code = |s: &str| Code::parse(s).expect("code");
        let observation = Observation {
            device: code("server"),
            at: Timestamp::from_unix_millis(1_000),
            kind: ObservationKind::Snapshot {
                values: vec![
                    (code("t1"), TagValue::Float(1.5)),
                    (code("p1"), TagValue::Text("three".into())),
                    (code("t2"), TagValue::Float(2.5)),
                    (code("other"), TagValue::Float(9.0)),
                ],
                origin: Origin::Poll { group: "g".into() },
                received: Timestamp::from_unix_millis(1_000),
            },
        };
        let mut out = ModelOutput::default();
        m.apply(&observation, &mut out);
        // m1's bad count refuses m1's part of the snapshot, not m2's.
        let samples: Vec<String> = out
            .events
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::ProcessValueSampled(p) => Some(format!("{}:{}={}", p.equipment, p.tag, p.value)),
                _ => None,
            })
            .collect();
        assert_eq!(samples, ["m2:t2=2.5"]);
        let status = m.models[1].status();
        assert_eq!(status.values.get("t2"), Some(&2.5));
        assert_eq!(status.last_seen_ms, Some(1_000));
        assert_eq!(
            m.models[0].status().last_seen_ms,
            Some(1_000),
            "m1 heard from too"
        );
    }
}
