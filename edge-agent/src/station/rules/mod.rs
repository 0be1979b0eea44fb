//! The station's rules, pure: given the master data, the floor state, the
//! time and a step, either the events to record with the new floor state, or
//! the one-line reason the step is rejected. No I/O here; `service.rs`
//! commits what these functions decide.
//!
//! One file per flow: `clock.rs` (badges), `operation.rs` (start, pause,
//! resume, finish), `material.rs` (lot scans), `output.rs` (output and
//! downtime reasons).

mod clock;
mod material;
mod operation;
mod output;

use super::state::{Floor, Run, StationState};
use super::step::Step;
use crate::downlink::MasterData;
use mes_protocols::barcode::{Scan, ScanParser};
use mes_protocols::{Code, EventBody, Timestamp};
use std::collections::HashMap;
use std::fmt;

/// Everything a rule may look at.
pub struct Ctx<'a> {
    /// The master data from the hub.
    pub data: &'a MasterData,
    /// The floor state before the step.
    pub floor: &'a Floor,
    /// The station where the step happens.
    pub station: &'a Code,
    /// Now, by the agent's clock.
    pub now: Timestamp,
    /// The site's scan parser.
    pub parser: &'a ScanParser,
    /// Equipment the machines report down, with since when.
    pub down_since: &'a HashMap<Code, Timestamp>,
}

/// An accepted step: its events, the floor after it, the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The events to record, in order.
    pub events: Vec<EventBody>,
    /// The floor state after the step.
    pub floor: Floor,
    /// What to tell the operator.
    pub message: String,
    /// The output lot made, for output steps.
    pub output_lot: Option<Code>,
}

/// Why a step is rejected, in one line for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection(pub String);

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A rejection with `message`.
pub(crate) fn reject<T>(message: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection(message.into()))
}

/// Decides a step.
pub fn decide(ctx: &Ctx<'_>, step: &Step) -> Result<Accepted, Rejection> {
    match step {
        Step::Scan {
            code,
            quantity,
            unit,
            operation,
        } => {
            let scan = ctx
                .parser
                .parse(code, ctx.now.to_datetime().year())
                .map_err(|e| Rejection(capitalize(&e.to_string())))?;
            match scan {
                Scan::Badge(badge) => clock::badge(ctx, &badge),
                Scan::Order(order) => operation::start(ctx, &order, operation.as_ref()),
                other => material::consume(ctx, &other, *quantity, unit.as_ref()),
            }
        }
        Step::Pause { reason } => operation::pause(ctx, reason.as_ref()),
        Step::Resume => operation::resume(ctx),
        Step::Finish => operation::finish(ctx),
        Step::Output {
            good,
            scrap,
            scrap_reason,
        } => output::report(ctx, *good, *scrap, scrap_reason.as_ref()),
        Step::Downtime { reason, equipment } => output::downtime(ctx, reason, equipment.as_ref()),
    }
}

impl Ctx<'_> {
    /// This station's state before the step.
    pub(crate) fn here(&self) -> StationState {
        self.floor.station(self.station)
    }

    /// The run at this station, or the rejection for "nothing runs".
    pub(crate) fn run(&self) -> Result<Run, Rejection> {
        match self.here().run {
            Some(run) => Ok(run),
            None => reject(format!(
                "No operation runs at {}: scan an order first",
                self.station
            )),
        }
    }

    /// The floor with this station's state replaced.
    pub(crate) fn floor_with(&self, state: StationState) -> Floor {
        let mut floor = self.floor.clone();
        floor.stations.insert(self.station.clone(), state);
        floor
    }

    /// An accepted step.
    pub(crate) fn accept(
        &self,
        events: Vec<EventBody>,
        floor: Floor,
        message: String,
    ) -> Result<Accepted, Rejection> {
        Ok(Accepted {
            events,
            floor,
            message,
            output_lot: None,
        })
    }

    /// The `run` reference of events about `run` at this station.
    pub(crate) fn run_ref(&self, run: &Run) -> mes_protocols::event::OperationRun {
        mes_protocols::event::OperationRun {
            execution: run.execution,
            order: run.order.clone(),
            operation: run.operation.clone(),
            station: self.station.clone(),
        }
    }
}

/// The worker's name, or their code when not in the master data.
pub(crate) fn worker_name(data: &MasterData, worker: &Code) -> String {
    data.worker(worker)
        .map_or_else(|| worker.to_string(), |w| w.name.clone())
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
