//! The kinds of shop-floor events and their bodies.
//!
//! The list of kinds is written once, in the `event_kinds!` invocation below;
//! the enum, the kind names used on the wire and the decoder all come from it,
//! so adding a kind is one line plus its body struct.
//!
//! Bodies do not deny unknown fields: a newer agent may add optional fields to
//! a known kind, and an older hub must still accept (and keep, raw) its events.

use crate::code::Code;
use crate::field_error::FieldError;
use crate::ids::ExecutionId;
use crate::quantity::Quantity;
use crate::timestamp::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

macro_rules! event_kinds {
    ($( $(#[$doc:meta])* $variant:ident($body:ty) = $name:literal, )*) => {
        /// What happened: one variant per event kind, each with its body.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", content = "data")]
        pub enum EventBody {
            $( $(#[$doc])* #[serde(rename = $name)] $variant($body), )*
        }

        /// The kind of an event, without its body.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind {
            $( $(#[$doc])* $variant, )*
        }

        impl EventKind {
            /// Every kind this version of the protocol knows.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),*];

            /// The kind's name on the wire (`equipment_state_changed`).
            pub fn as_str(self) -> &'static str {
                match self { $(EventKind::$variant => $name,)* }
            }

            /// The kind with this wire name, or `None` for a kind this
            /// version does not know (sent by a newer agent).
            pub fn parse(name: &str) -> Option<Self> {
                match name { $($name => Some(EventKind::$variant),)* _ => None }
            }
        }

        impl EventBody {
            /// This body's kind.
            pub fn kind(&self) -> EventKind {
                match self { $(EventBody::$variant(_) => EventKind::$variant,)* }
            }

            /// Decodes and validates the JSON `data` of an event of `kind`.
            /// The error's field path is relative to `data`.
            pub fn decode(kind: EventKind, data: &str) -> Result<Self, FieldError> {
                let body = match kind {
                    $(EventKind::$variant => decode_data::<$body>(data).map(EventBody::$variant),)*
                }?;
                body.validate()?;
                Ok(body)
            }
        }
    };
}

fn decode_data<T: serde::de::DeserializeOwned>(data: &str) -> Result<T, FieldError> {
    let mut de = serde_json::Deserializer::from_str(data);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        FieldError::from_json(path, e.inner())
    })
}

event_kinds! {
    /// An equipment's state changed.
    EquipmentStateChanged(EquipmentStateChanged) = "equipment_state_changed",
    /// Parts were counted on an equipment.
    PartsCounted(PartsCounted) = "parts_counted",
    /// A process value (temperature, pressure, spindle speed) was sampled.
    ProcessValueSampled(ProcessValueSampled) = "process_value_sampled",
    /// Communication with a device was lost or restored.
    DeviceCommunicationChanged(DeviceCommunicationChanged) = "device_communication_changed",
    /// A worker clocked in at a station.
    WorkerClockedIn(WorkerClock) = "worker_clocked_in",
    /// A worker clocked out at a station.
    WorkerClockedOut(WorkerClock) = "worker_clocked_out",
    /// A scan at a station was rejected (kept for audit).
    ScanRejected(ScanRejected) = "scan_rejected",
    /// An operation of a production order started at a station.
    OperationStarted(OperationStarted) = "operation_started",
    /// A running operation was paused.
    OperationPaused(OperationPaused) = "operation_paused",
    /// A paused operation was resumed.
    OperationResumed(OperationRun) = "operation_resumed",
    /// An operation was finished.
    OperationFinished(OperationRun) = "operation_finished",
    /// Material (optionally a lot of it) was consumed by a running operation.
    MaterialConsumed(MaterialConsumed) = "material_consumed",
    /// Good and scrap output was reported for a running operation.
    OutputReported(OutputReported) = "output_reported",
    /// A reason was given for a stop of an equipment.
    DowntimeReasonAssigned(DowntimeReasonAssigned) = "downtime_reason_assigned",
    /// The agent was not running for a while (crash, power loss, kill -9,
    /// a stop): nothing was observed on its equipment then.
    AgentOutage(AgentOutage) = "agent_outage",
}

/// The state of an equipment, as the MES sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentState {
    /// Producing.
    Running,
    /// Available but not producing.
    Idle,
    /// Stopped by a fault or an unplanned stop.
    Down,
    /// Being set up for an operation.
    Setup,
    /// The agent cannot tell: the device does not answer.
    Offline,
}

/// Body of `equipment_state_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquipmentStateChanged {
    /// The equipment whose state changed.
    pub equipment: Code,
    /// Its new state.
    pub state: EquipmentState,
    /// A reason code (a PLC fault code, a stop reason), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Code>,
}

/// Body of `parts_counted`: deltas since the previous count, and the agent's
/// running totals for the equipment after adding them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartsCounted {
    /// The equipment that made the parts.
    pub equipment: Code,
    /// Good parts since the previous count.
    pub good: u64,
    /// Scrap parts since the previous count.
    pub scrap: u64,
    /// Running total of good parts, including `good`.
    pub good_total: u64,
    /// Running total of scrap parts, including `scrap`.
    pub scrap_total: u64,
}

/// Body of `process_value_sampled`. A measurement, so a float: it never feeds
/// stock or money.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessValueSampled {
    /// The equipment measured.
    pub equipment: Code,
    /// The configured tag name (`spindle_speed`).
    pub tag: Code,
    /// The measured value, after scale and offset.
    pub value: f64,
    /// Engineering unit, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Code>,
}

/// Whether a communication link works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// The device answers.
    Up,
    /// The device does not answer.
    Down,
}

/// Body of `device_communication_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCommunicationChanged {
    /// The configured device name.
    pub device: Code,
    /// The link's new state.
    pub state: LinkState,
    /// What failed (timeout, connection refused, exception), for `down`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Body of `worker_clocked_in` and `worker_clocked_out`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerClock {
    /// The worker (their code, resolved from the badge).
    pub worker: Code,
    /// The station where they clocked.
    pub station: Code,
}

/// Body of `scan_rejected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRejected {
    /// The station where the scan happened.
    pub station: Code,
    /// The raw scanned text (control characters escaped by JSON).
    pub code: String,
    /// Why it was rejected, as shown to the operator.
    pub reason: String,
}

/// Which run of which operation an event belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationRun {
    /// This run of the operation (one start to one finish).
    pub execution: ExecutionId,
    /// Production order number.
    pub order: Code,
    /// Operation number within the order's routing (`10`, `20`).
    pub operation: Code,
    /// Station where it runs.
    pub station: Code,
}

/// Body of `operation_started`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationStarted {
    /// The run that starts.
    pub run: OperationRun,
    /// The equipment it runs on.
    pub equipment: Code,
    /// Workers clocked in at the station when it started.
    #[serde(default)]
    pub workers: Vec<Code>,
}

/// Body of `operation_paused`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationPaused {
    /// The run that pauses.
    pub run: OperationRun,
    /// Why, when the operator gave a reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Code>,
}

/// Body of `material_consumed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialConsumed {
    /// The run that consumed it.
    pub run: OperationRun,
    /// The material code.
    pub material: Code,
    /// The lot, for lot-tracked materials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<Code>,
    /// How much, in the unit the operator entered (converted by the hub).
    pub quantity: Quantity,
}

/// Body of `output_reported`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputReported {
    /// The run that produced it.
    pub run: OperationRun,
    /// The material produced.
    pub material: Code,
    /// Good quantity.
    #[serde(with = "crate::decimal::text")]
    pub good: Decimal,
    /// Scrap quantity.
    #[serde(with = "crate::decimal::text")]
    pub scrap: Decimal,
    /// Unit of both quantities.
    pub unit: Code,
    /// Why the scrap was scrapped; required when `scrap` is positive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrap_reason: Option<Code>,
    /// The output lot the good quantity was booked into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<Code>,
}

/// Most equipment one `agent_outage` names; an agent with more sends
/// several events for the same period. (With codes of at most 64
/// characters this keeps the event far below `wire::MAX_EVENT_BYTES`.)
pub const MAX_OUTAGE_EQUIPMENT: usize = 500;

/// Body of `agent_outage`: the agent that sends it was not running from
/// `from` to `until`, so what its equipment did then is unknown. Sent once,
/// when the agent starts again and finds that its last liveness record
/// (written every few seconds while it runs) is older than its threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentOutage {
    /// When the agent was last known to run (its last liveness record), by
    /// its clock. The outage began at most one record interval later.
    pub from: Timestamp,
    /// When it started again, by its clock.
    pub until: Timestamp,
    /// The equipment whose data it collects (every `[[equipment]]` of its
    /// configuration when it started again): the timelines the outage covers.
    pub equipment: Vec<Code>,
}

/// Body of `downtime_reason_assigned`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DowntimeReasonAssigned {
    /// The equipment that stopped.
    pub equipment: Code,
    /// The downtime reason code.
    pub reason: Code,
    /// When the stop this reason explains began.
    pub down_since: Timestamp,
    /// The station where the reason was given, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<Code>,
}
