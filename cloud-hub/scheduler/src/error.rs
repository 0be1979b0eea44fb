//! Typed errors of the scheduler: a model that cannot be scheduled as given,
//! and a solve that found no place for some operation.
//!
//! Every variant names the operation, machine or order concerned by the name
//! the caller gave it, so the hub can show the planner what to fix.

use thiserror::Error;

use crate::calendar::CalendarError;

/// Why a model was rejected by [`crate::ModelBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModelError {
    /// Two operations share a name; names are the stable keys used by rescheduling.
    #[error("operation name {name:?} is used twice")]
    DuplicateOperationName {
        /// The repeated name.
        name: String,
    },
    /// Two machines share a name.
    #[error("machine name {name:?} is used twice")]
    DuplicateMachineName {
        /// The repeated name.
        name: String,
    },
    /// An operation lists no machine it could run on.
    #[error("operation {op:?} has no allowed machine")]
    NoAllowedMachine {
        /// The operation.
        op: String,
    },
    /// An operation refers to a machine id this builder never issued.
    #[error("operation {op:?} refers to unknown machine id {machine}")]
    UnknownMachine {
        /// The operation.
        op: String,
        /// The unknown machine id.
        machine: u32,
    },
    /// An operation refers to an order id this builder never issued.
    #[error("operation {op:?} refers to unknown order id {order}")]
    UnknownOrder {
        /// The operation.
        op: String,
        /// The unknown order id.
        order: u32,
    },
    /// An operation lists the same machine twice among its alternatives.
    #[error("operation {op:?} lists machine {machine:?} twice")]
    DuplicateAlternative {
        /// The operation.
        op: String,
        /// The machine listed twice.
        machine: String,
    },
    /// A speed factor outside 1..=100000 percent.
    #[error("operation {op:?} on machine {machine:?}: speed {speed_percent}% is outside 1..=100000")]
    BadSpeed {
        /// The operation.
        op: String,
        /// The machine of the alternative.
        machine: String,
        /// The rejected speed factor in percent.
        speed_percent: u32,
    },
    /// A duration, time or weight outside the supported range.
    #[error("{owner:?}: {field} = {value} is outside the supported range")]
    OutOfRange {
        /// The operation, order or machine the value belongs to.
        owner: String,
        /// Which field holds the value.
        field: &'static str,
        /// The rejected value.
        value: i64,
    },
    /// A precedence arc names an operation id this builder never issued.
    #[error("precedence refers to unknown operation id {id}")]
    UnknownOperation {
        /// The unknown id.
        id: u32,
    },
    /// An operation must precede itself.
    #[error("operation {op:?} is its own predecessor")]
    SelfPrecedence {
        /// The operation.
        op: String,
    },
    /// The precedence arcs contain a cycle; `op` lies on it.
    #[error("precedence cycle through operation {op:?}")]
    PrecedenceCycle {
        /// An operation on the cycle.
        op: String,
    },
    /// An operation is pinned to a machine that is not among its alternatives.
    #[error("pinned operation {op:?} is pinned to machine {machine:?}, which it may not use")]
    PinnedMachineNotAllowed {
        /// The operation.
        op: String,
        /// The machine it is pinned to.
        machine: String,
    },
    /// A pinned (in-progress) operation has a predecessor that is not pinned.
    #[error("pinned operation {op:?} has predecessor {pred:?}, which is not pinned")]
    PinnedAfterUnpinned {
        /// The pinned operation.
        op: String,
        /// Its unpinned predecessor.
        pred: String,
    },
    /// A pinned operation starts before its pinned predecessor ends.
    #[error("pinned operation {op:?} starts before its predecessor {pred:?} ends")]
    PinnedPrecedence {
        /// The pinned operation.
        op: String,
        /// Its predecessor.
        pred: String,
    },
    /// Two pinned operations overlap on the same machine.
    #[error("pinned operations {first:?} and {second:?} overlap on machine {machine:?}")]
    PinnedOverlap {
        /// The earlier one.
        first: String,
        /// The later one.
        second: String,
        /// The machine.
        machine: String,
    },
    /// A machine's setup matrix has an entry outside the supported range.
    #[error("machine {machine:?}: setup matrix entry {value} is outside the supported range")]
    BadSetupEntry {
        /// The machine.
        machine: String,
        /// The rejected entry.
        value: i64,
    },
    /// A calendar could not be built.
    #[error("machine calendar: {0}")]
    Calendar(#[from] CalendarError),
}

/// Why the solver (or rescheduler) produced no plan.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SolveError {
    /// No allowed machine's calendar has room for the operation after its
    /// earliest start (typically: unsplittable work longer than every working
    /// interval, or a calendar that ends before the work does).
    #[error("operation {op:?} fits in no allowed machine's calendar")]
    Unschedulable {
        /// The operation.
        op: String,
    },
    /// The machine sequences contradict the precedence arcs (a rescheduling
    /// input whose kept order conflicts with new arcs; never produced by
    /// [`crate::solve`]).
    #[error("machine sequences contradict precedence")]
    SequenceCycle,
}
