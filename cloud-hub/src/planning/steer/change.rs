//! A planner's change of the plan, parsed (times in epoch minutes, names
//! as text), and why a change is refused: the constraint it breaks, named
//! with the operation, machine and time concerned.

use crate::planning::minutes::iso;

/// One change a what-if tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Put operation `op` on `machine` (default: where it is) from `start`
    /// (default: when it starts); it stays fixed there.
    Move {
        /// The operation key `order/operation`.
        op: String,
        /// The machine's code.
        machine: Option<String>,
        /// Epoch minutes.
        start: Option<i64>,
    },
    /// Fix operation `op` where it is.
    Pin {
        /// The operation key.
        op: String,
    },
    /// Let operation `op` be planned freely again.
    Unpin {
        /// The operation key.
        op: String,
    },
    /// Set an order's priority (its weight in the objective).
    Priority {
        /// The order's code.
        order: String,
        /// 0 to 1,000,000.
        priority: i64,
    },
    /// Set an order's due time (none: it cannot be late).
    Due {
        /// The order's code.
        order: String,
        /// Epoch minutes.
        due: Option<i64>,
    },
    /// Freeze the plan until a time (none: thaw it).
    Freeze {
        /// Epoch minutes.
        until: Option<i64>,
    },
}

impl Change {
    /// A short description for the audit log and the undo list.
    pub fn summary(&self) -> String {
        match self {
            Change::Move { op, machine, start } => {
                let mut s = format!("move {op}");
                if let Some(m) = machine {
                    s.push_str(&format!(" to {m}"));
                }
                if let Some(t) = start {
                    s.push_str(&format!(" at {}", iso(*t)));
                }
                s
            }
            Change::Pin { op } => format!("pin {op}"),
            Change::Unpin { op } => format!("unpin {op}"),
            Change::Priority { order, priority } => format!("priority of {order} {priority}"),
            Change::Due { order, due } => match due {
                Some(d) => format!("due of {order} {}", iso(*d)),
                None => format!("no due date for {order}"),
            },
            Change::Freeze { until } => match until {
                Some(u) => format!("freeze until {}", iso(*u)),
                None => "thaw".to_string(),
            },
        }
    }
}

/// Why a change cannot be made. Each names the constraint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The change names an operation or order the plan does not have.
    #[error("{what} {name} is not in the live plan")]
    NotInPlan {
        /// `operation` or `order`.
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// The change names a machine the site does not have.
    #[error("machine {machine} is not a machine of this plan")]
    UnknownMachine {
        /// The machine's code.
        machine: String,
    },
    /// The operation runs on the floor: the floor decides where.
    #[error("operation {op} is running on {machine}; a running operation cannot be moved")]
    InProgress {
        /// The operation.
        op: String,
        /// Where it runs.
        machine: String,
    },
    /// The machine is not one the operation may use.
    #[error("operation {op} may not run on {machine}{why}; it may use {allowed}")]
    MachineNotAllowed {
        /// The operation.
        op: String,
        /// The machine asked for.
        machine: String,
        /// ` (a LATHE; it needs a PRESS)`, when the types are known.
        why: String,
        /// The machines it may use, comma-separated.
        allowed: String,
    },
    /// The machine does not work then (or not long enough for the operation).
    #[error("operation {op} cannot run on {machine} from {}: outside its calendar{}", iso(*start), next.map(|n| format!(" (the next time it fits is {})", iso(n))).unwrap_or_default())]
    OutsideCalendar {
        /// The operation.
        op: String,
        /// The machine.
        machine: String,
        /// The start asked for.
        start: i64,
        /// The earliest start from then that fits.
        next: Option<i64>,
    },
    /// Its material is on order and expected later.
    #[error("operation {op} cannot start at {}: material {material} is not available until {}", iso(*start), iso(*available_at))]
    MaterialNotAvailable {
        /// The operation.
        op: String,
        /// The material.
        material: String,
        /// The start asked for.
        start: i64,
        /// The purchase order's expected time.
        available_at: i64,
    },
    /// Before the plan's now (or the frozen horizon).
    #[error("operation {op} cannot start at {}: nothing may start before {}", iso(*start), iso(*earliest))]
    BeforeEarliestStart {
        /// The operation.
        op: String,
        /// The start asked for.
        start: i64,
        /// Its earliest start.
        earliest: i64,
    },
    /// Before its predecessor ends.
    #[error("operation {op} cannot start at {}: it must follow {predecessor}, which ends at {}", iso(*start), iso(*predecessor_end))]
    BeforePredecessor {
        /// The operation.
        op: String,
        /// The start asked for.
        start: i64,
        /// The predecessor.
        predecessor: String,
        /// When it ends.
        predecessor_end: i64,
    },
    /// The machine is taken then by work that cannot move (running, or
    /// fixed by the planner).
    #[error("operation {op} cannot start at {} on {machine}: the machine is busy until {}", iso(*start), iso(*until))]
    MachineBusy {
        /// The operation.
        op: String,
        /// The machine.
        machine: String,
        /// The start asked for.
        start: i64,
        /// When the operation could start.
        until: i64,
    },
    /// The operation is not fixed (an unpin of a free operation).
    #[error("operation {op} is not pinned")]
    NotPinned {
        /// The operation.
        op: String,
    },
    /// No plan satisfies the changes.
    #[error("no plan satisfies the change: {0}")]
    Unschedulable(String),
}

impl Refusal {
    /// The error code the API answers with: the constraint's name.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotInPlan { .. } => "not_in_plan",
            Refusal::UnknownMachine { .. } => "unknown_machine",
            Refusal::InProgress { .. } => "in_progress",
            Refusal::MachineNotAllowed { .. } => "machine_not_allowed",
            Refusal::OutsideCalendar { .. } => "outside_calendar",
            Refusal::MaterialNotAvailable { .. } => "material_not_available",
            Refusal::BeforeEarliestStart { .. } => "before_earliest_start",
            Refusal::BeforePredecessor { .. } => "before_predecessor",
            Refusal::MachineBusy { .. } => "machine_busy",
            Refusal::NotPinned { .. } => "not_pinned",
            Refusal::Unschedulable(_) => "unschedulable",
        }
    }

    /// The field of a change the refusal is about (`machine`, `start`, …).
    pub fn field(&self) -> &'static str {
        match self {
            Refusal::NotInPlan { what, .. } => {
                if *what == "order" {
                    "order"
                } else {
                    "operation"
                }
            }
            Refusal::UnknownMachine { .. } | Refusal::MachineNotAllowed { .. } => "machine",
            Refusal::InProgress { .. } | Refusal::NotPinned { .. } => "operation",
            Refusal::Unschedulable(_) => "kind",
            _ => "start",
        }
    }
}
