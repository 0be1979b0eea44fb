//! The station service: one task owns the floor state and handles every
//! station's steps in arrival order (so two stations never race for the same
//! operation or worker). Each accepted step is committed to the buffer with
//! the new floor state in one transaction before the answer goes out; each
//! rejected step records one `scan_rejected` event and nothing else.

use super::config::StationSpec;
use super::rules::{Ctx, decide};
use super::state::{FLOOR_KEY, Floor};
use super::step::{Answer, Step};
use super::view::{StationView, ViewSources, build_view};
use crate::buffer::{Buffer, BufferError, PreparedEvent, StateUpdate};
use crate::downlink::{DownlinkStatus, MasterDataHandle};
use crate::equipment::EquipmentBoard;
use mes_protocols::barcode::ScanParser;
use mes_protocols::event::{EquipmentState, ScanRejected};
use mes_protocols::{Code, EventBody, EventDraft, Source, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// How many steps may wait for the service; callers beyond that wait.
const QUEUE: usize = 256;

/// Why the service could not handle a request.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// No `[[station]]` with this code is configured.
    #[error("no station {0} is configured on this agent")]
    UnknownStation(String),
    /// The service has stopped (the agent is shutting down).
    #[error("the station service is stopped")]
    Closed,
}

/// The answer to a step with the station's state after it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepReply {
    /// Green or red, one line.
    #[serde(flatten)]
    pub answer: Answer,
    /// The station after the step.
    pub state: StationView,
}

enum Request {
    Step {
        station: Code,
        step: Step,
        reply: oneshot::Sender<StepReply>,
    },
    View {
        station: Code,
        reply: oneshot::Sender<StationView>,
    },
}

/// The handle pages and scanner ports use; cheap to clone.
#[derive(Clone)]
pub struct StationHandle {
    tx: mpsc::Sender<Request>,
    specs: Arc<Vec<StationSpec>>,
}

impl StationHandle {
    /// The configured stations.
    pub fn stations(&self) -> &[StationSpec] {
        &self.specs
    }

    /// The configured station named `code`.
    pub fn spec(&self, code: &str) -> Result<&StationSpec, StationError> {
        self.specs
            .iter()
            .find(|s| s.code.as_str() == code)
            .ok_or_else(|| StationError::UnknownStation(code.to_string()))
    }

    /// Handles one step at `station`; returns once its events are committed.
    pub async fn step(&self, station: &str, step: Step) -> Result<StepReply, StationError> {
        let station = self.spec(station)?.code.clone();
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Step { station, step, reply })
            .await
            .map_err(|_| StationError::Closed)?;
        rx.await.map_err(|_| StationError::Closed)
    }

    /// The station's current state.
    pub async fn view(&self, station: &str) -> Result<StationView, StationError> {
        let station = self.spec(station)?.code.clone();
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::View { station, reply })
            .await
            .map_err(|_| StationError::Closed)?;
        rx.await.map_err(|_| StationError::Closed)
    }
}

/// What the service needs.
pub struct StationService {
    /// The configured stations.
    pub specs: Vec<StationSpec>,
    /// The site's scan parser.
    pub parser: ScanParser,
    /// The master data.
    pub data: MasterDataHandle,
    /// The downlink's status, shown on the pages.
    pub downlink: Arc<DownlinkStatus>,
    /// Equipment states from the machines (for downtime).
    pub board: Arc<EquipmentBoard>,
    /// The buffer.
    pub buffer: Buffer,
}

impl StationService {
    /// Loads the saved floor state; returns the handle and the service task
    /// to spawn (it ends at `shutdown`, after the step in progress).
    pub fn start(
        self,
        shutdown: CancellationToken,
    ) -> Result<
        (
            StationHandle,
            impl std::future::Future<Output = ()> + Send + 'static,
        ),
        BufferError,
    > {
        let floor = load_floor(&self.buffer)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let handle = StationHandle {
            tx,
            specs: Arc::new(self.specs.clone()),
        };
        Ok((handle, self.run(floor, rx, shutdown)))
    }

    async fn run(self, mut floor: Floor, mut rx: mpsc::Receiver<Request>, shutdown: CancellationToken) {
        loop {
            let request = tokio::select! {
                _ = shutdown.cancelled() => return,
                r = rx.recv() => match r { Some(r) => r, None => return },
            };
            match request {
                Request::Step { station, step, reply } => {
                    let answer = self.handle(&mut floor, &station, &step).await;
                    let state = self.view(&floor, &station);
                    let _ = reply.send(StepReply { answer, state });
                }
                Request::View { station, reply } => {
                    let _ = reply.send(self.view(&floor, &station));
                }
            }
        }
    }

    async fn handle(&self, floor: &mut Floor, station: &Code, step: &Step) -> Answer {
        let data = self.data.snapshot();
        let down_since = self.down_since();
        let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
        let ctx = Ctx {
            data: &data,
            floor,
            station,
            now,
            parser: &self.parser,
            down_since: &down_since,
        };
        match decide(&ctx, step) {
            Ok(accepted) => {
                let committed = self.commit(station, now, accepted.events, &accepted.floor).await;
                match committed {
                    Ok(()) => {
                        *floor = accepted.floor;
                        Answer {
                            ok: true,
                            message: accepted.message,
                            output_lot: accepted.output_lot,
                        }
                    }
                    Err(e) => {
                        tracing::error!(%station, error = %e, "station step not saved");
                        Answer {
                            ok: false,
                            message: format!("Not saved, try again: {e}"),
                            output_lot: None,
                        }
                    }
                }
            }
            Err(rejection) => {
                let event = EventBody::ScanRejected(ScanRejected {
                    station: station.clone(),
                    code: step.audit_text(),
                    reason: rejection.0.clone(),
                });
                if let Err(e) = self.commit(station, now, vec![event], floor).await {
                    tracing::error!(%station, error = %e, "scan_rejected event not saved");
                }
                Answer {
                    ok: false,
                    message: rejection.0,
                    output_lot: None,
                }
            }
        }
    }

    /// Commits `events` with the floor state in one transaction.
    async fn commit(
        &self,
        station: &Code,
        now: Timestamp,
        events: Vec<EventBody>,
        floor: &Floor,
    ) -> Result<(), String> {
        let prepared = events
            .into_iter()
            .map(|body| PreparedEvent::new(&EventDraft::new(now, Source::Station(station.clone()), body)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("invalid event: {e}"))?;
        let value = serde_json::to_string(floor).map_err(|e| format!("station state: {e}"))?;
        let update = StateUpdate {
            key: FLOOR_KEY.to_string(),
            value: Some(value),
        };
        self.buffer
            .append_with_state(prepared, vec![update])
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Equipment the machines report down, with since when.
    fn down_since(&self) -> HashMap<Code, Timestamp> {
        self.board
            .snapshot()
            .into_iter()
            .filter(|(_, s)| s.state == Some(EquipmentState::Down))
            .filter_map(|(name, s)| {
                Some((Code::parse(&name).ok()?, Timestamp::from_unix_millis(s.since_ms?)))
            })
            .collect()
    }

    fn view(&self, floor: &Floor, station: &Code) -> StationView {
        let sound = self
            .specs
            .iter()
            .find(|s| s.code == *station)
            .is_none_or(|s| s.sound);
        build_view(&ViewSources {
            station,
            sound,
            data: &self.data.snapshot(),
            floor,
            board: &self.board.snapshot(),
            downlink: self.downlink.view(),
        })
    }
}

/// The saved floor state (empty on a fresh buffer).
fn load_floor(buffer: &Buffer) -> Result<Floor, BufferError> {
    let saved = buffer.load_state(FLOOR_KEY)?;
    let Some((_, json)) = saved.into_iter().find(|(k, _)| k == FLOOR_KEY) else {
        return Ok(Floor::default());
    };
    serde_json::from_str(&json)
        .map_err(|e| BufferError::Commit(format!("saved station state is unreadable: {e}")))
}
