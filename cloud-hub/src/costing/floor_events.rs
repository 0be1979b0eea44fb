//! The floor facts the costing (and the OEE) read from the event log: the
//! kinds, and how one logged event becomes a fact.

use super::time::FloorFact;
use mes_protocols::event::EquipmentState;
use mes_protocols::{Event, EventBody, EventDraft, Seq};
use serde::Deserialize;

/// The event kinds the costing reads from the log.
pub const COSTING_EVENT_KINDS: &[&str] = &[
    "operation_started",
    "operation_paused",
    "operation_resumed",
    "operation_finished",
    "output_reported",
    "worker_clocked_in",
    "worker_clocked_out",
    "equipment_state_changed",
];

/// An event as the log keeps it: the wire event with its `seq`.
#[derive(Deserialize)]
struct Logged {
    seq: Seq,
    #[serde(flatten)]
    draft: EventDraft,
}

fn floor_fact(event: &Event) -> Option<FloorFact> {
    Some(match &event.body {
        EventBody::OperationStarted(b) => FloorFact::Started {
            execution: b.run.execution.to_string(),
            order: b.run.order.clone(),
            operation: b.run.operation.clone(),
            equipment: b.equipment.clone(),
            workers: b.workers.clone(),
        },
        EventBody::OperationPaused(b) => FloorFact::Paused(b.run.execution.to_string()),
        EventBody::OperationResumed(run) => FloorFact::Resumed(run.execution.to_string()),
        EventBody::OperationFinished(run) => FloorFact::Finished(run.execution.to_string()),
        EventBody::OutputReported(b) => FloorFact::Output {
            execution: b.run.execution.to_string(),
            order: b.run.order.clone(),
            good: b.good,
            scrap: b.scrap,
        },
        EventBody::WorkerClockedIn(c) => FloorFact::Clock {
            worker: c.worker.clone(),
            clocked_in: true,
        },
        EventBody::WorkerClockedOut(c) => FloorFact::Clock {
            worker: c.worker.clone(),
            clocked_in: false,
        },
        EventBody::EquipmentStateChanged(s) => FloorFact::Equipment {
            equipment: s.equipment.clone(),
            running: s.state == EquipmentState::Running,
        },
        _ => return None,
    })
}

/// The floor fact of a logged event (`raw`, the JSON the log keeps) with
/// the event's id; none for an event that cannot be read (the projection
/// reports it) or that is no floor fact.
pub(crate) fn read_fact(raw: &str) -> Option<(String, FloorFact)> {
    let logged = serde_json::from_str::<Logged>(raw).ok()?;
    let id = logged.draft.id.to_string();
    let event = logged.draft.into_event(logged.seq);
    floor_fact(&event).map(|fact| (id, fact))
}
