//! The scheduling model: machines, orders, operations and precedence.
//!
//! The caller (the hub) fills a [`crate::ModelBuilder`] with these plain
//! structs; [`crate::ModelBuilder::build`] checks them once and returns a
//! [`Model`] that the solver, validator and rescheduler trust without
//! re-checking. Times are integer minutes from a horizon origin chosen by the
//! caller.

use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, Interval};
use crate::setup::{SetupFamily, SetupMatrix};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub(crate) u32);

        impl $name {
            /// Position of this item in the model's list (0-based).
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// Identifies an operation within one [`Model`] (issued by the builder).
    OpId
);
id_type!(
    /// Identifies a machine within one [`Model`] (issued by the builder).
    MachineId
);
id_type!(
    /// Identifies a production order within one [`Model`] (issued by the builder).
    OrderId
);

/// A machine (piece of equipment) and when it can work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// Unique name, used in errors and violations.
    pub name: String,
    /// Working intervals over the horizon.
    pub calendar: Calendar,
    /// Sequence-dependent changeover times, if this machine has any.
    pub setup_matrix: Option<SetupMatrix>,
    /// Family the machine is set up for at the start of the horizon.
    pub initial_family: Option<SetupFamily>,
}

impl Machine {
    /// A machine with the given calendar and no setup matrix.
    pub fn new(name: impl Into<String>, calendar: Calendar) -> Self {
        Self {
            name: name.into(),
            calendar,
            setup_matrix: None,
            initial_family: None,
        }
    }
}

/// A released production order: what its operations are late against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Unique name, used in reports.
    pub name: String,
    /// Due time; `None` means the order cannot be late.
    pub due: Option<i64>,
    /// Priority: tardiness minutes are multiplied by it (0..=1_000_000).
    pub weight: i64,
}

impl Order {
    /// An order without due date, weight 1.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            due: None,
            weight: 1,
        }
    }

    /// This order with a due time.
    pub fn due(mut self, due: i64) -> Self {
        self.due = Some(due);
        self
    }

    /// This order with a weight.
    pub fn weight(mut self, weight: i64) -> Self {
        self.weight = weight;
        self
    }
}

/// One machine an operation may run on, and how fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alternative {
    /// The machine.
    pub machine: MachineId,
    /// Speed in percent of nominal: run time on this machine is
    /// `ceil(run * 100 / speed_percent)`; setup time is not scaled.
    pub speed_percent: u32,
}

impl Alternative {
    /// The machine at nominal speed (100 %).
    pub fn nominal(machine: MachineId) -> Self {
        Self {
            machine,
            speed_percent: 100,
        }
    }

    /// The machine at the given speed in percent of nominal.
    pub fn with_speed(machine: MachineId, speed_percent: u32) -> Self {
        Self {
            machine,
            speed_percent,
        }
    }
}

/// An operation already in progress: it keeps its machine and start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The machine it runs on.
    pub machine: MachineId,
    /// When it started (or must start).
    pub start: i64,
}

/// One open operation of a production order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// Unique name: the stable key that rescheduling matches plans by.
    pub name: String,
    /// The order it belongs to.
    pub order: OrderId,
    /// Setup minutes (unless a setup matrix says otherwise, see [`SetupMatrix`]).
    pub setup: i64,
    /// Run minutes at nominal speed.
    pub run: i64,
    /// Machines it may run on (all of its equipment type).
    pub alternatives: Vec<Alternative>,
    /// Release / material-availability time: it may not start earlier.
    pub earliest_start: i64,
    /// Whether it may be interrupted by calendar breaks. Unsplittable
    /// operations must fit inside one working interval.
    pub splittable: bool,
    /// Its setup family, for sequence-dependent setups.
    pub family: Option<SetupFamily>,
    /// Set when the operation is in progress.
    pub pin: Option<Pin>,
}

impl Operation {
    /// An unsplittable, unpinned operation released at time 0.
    pub fn new(
        name: impl Into<String>,
        order: OrderId,
        setup: i64,
        run: i64,
        alternatives: Vec<Alternative>,
    ) -> Self {
        Self {
            name: name.into(),
            order,
            setup,
            run,
            alternatives,
            earliest_start: 0,
            splittable: false,
            family: None,
            pin: None,
        }
    }
}

/// A checked scheduling model; build it with [`crate::ModelBuilder`].
///
/// Invariants: every id inside refers to an item of this model; precedence
/// is acyclic; pinned operations have only pinned predecessors, which end
/// before they start; pinned operations do not overlap on a machine.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) machines: Vec<Machine>,
    pub(crate) orders: Vec<Order>,
    pub(crate) ops: Vec<Operation>,
    pub(crate) precedences: Vec<(OpId, OpId)>,
    pub(crate) preds: Vec<Vec<OpId>>,
    pub(crate) succs: Vec<Vec<OpId>>,
    /// Run minutes per alternative, already scaled by the speed factor.
    pub(crate) runs: Vec<Vec<(MachineId, i64)>>,
    /// Pinned operations per machine, sorted by start.
    pub(crate) pinned_on: Vec<Vec<OpId>>,
    /// Occupied span of each pinned operation.
    pub(crate) pinned_span: Vec<Option<Interval>>,
    /// A topological order of all operations.
    pub(crate) topo: Vec<OpId>,
    /// Number of unpinned predecessors of each operation.
    pub(crate) unpinned_preds: Vec<u32>,
    /// Number of unpinned operations.
    pub(crate) unpinned_count: usize,
}

impl Model {
    /// A builder holding this model's parts with the same ids, for deriving a
    /// changed model (a machine down, a new order) to reschedule against.
    pub fn to_builder(&self) -> crate::ModelBuilder {
        let mut b = crate::ModelBuilder::new();
        for m in &self.machines {
            b.add_machine(m.clone());
        }
        for o in &self.orders {
            b.add_order(o.clone());
        }
        for op in &self.ops {
            b.add_operation(op.clone());
        }
        for &(before, after) in &self.precedences {
            b.add_precedence(before, after);
        }
        b
    }

    /// All machines, indexed by [`MachineId::index`].
    pub fn machines(&self) -> &[Machine] {
        &self.machines
    }

    /// All orders, indexed by [`OrderId::index`].
    pub fn orders(&self) -> &[Order] {
        &self.orders
    }

    /// All operations, indexed by [`OpId::index`].
    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    /// Ids of all operations in index order.
    pub fn op_ids(&self) -> impl Iterator<Item = OpId> + '_ {
        (0..self.ops.len()).map(|i| OpId(i as u32))
    }

    /// Ids of all machines in index order.
    pub fn machine_ids(&self) -> impl Iterator<Item = MachineId> + '_ {
        (0..self.machines.len()).map(|i| MachineId(i as u32))
    }

    /// The operation with this id, if it belongs to this model.
    pub fn operation(&self, id: OpId) -> Option<&Operation> {
        self.ops.get(id.index())
    }

    /// The machine with this id, if it belongs to this model.
    pub fn machine(&self, id: MachineId) -> Option<&Machine> {
        self.machines.get(id.index())
    }

    /// The operation with this name.
    pub fn find_operation(&self, name: &str) -> Option<OpId> {
        self.ops
            .iter()
            .position(|o| o.name == name)
            .map(|i| OpId(i as u32))
    }

    /// The machine with this name.
    pub fn find_machine(&self, name: &str) -> Option<MachineId> {
        self.machines
            .iter()
            .position(|m| m.name == name)
            .map(|i| MachineId(i as u32))
    }

    /// The precedence arcs `(before, after)`: `after` may not start before `before` ends.
    pub fn precedences(&self) -> &[(OpId, OpId)] {
        &self.precedences
    }

    /// Run minutes of `op` on `machine` after the speed factor, or `None` if
    /// the machine is not among its alternatives.
    pub fn run_on(&self, op: OpId, machine: MachineId) -> Option<i64> {
        let runs = self.runs.get(op.index())?;
        runs.iter().find(|(m, _)| *m == machine).map(|(_, r)| *r)
    }

    /// Setup minutes of `op` on `machine` when the previous operation on the
    /// machine had family `prev` (see [`SetupMatrix`] for the rule).
    pub fn setup_on(&self, op: OpId, machine: MachineId, prev: Option<SetupFamily>) -> i64 {
        let Some(o) = self.ops.get(op.index()) else {
            return 0;
        };
        let matrix = self
            .machines
            .get(machine.index())
            .and_then(|m| m.setup_matrix.as_ref());
        match (matrix, prev, o.family) {
            (Some(mx), Some(from), Some(to)) => mx.get(from, to).unwrap_or(o.setup),
            _ => o.setup,
        }
    }

    /// The span a pinned operation occupies, from its pinned start for its
    /// setup plus run time. An unsplittable one runs contiguously (it is
    /// already running, so calendar breaks are the floor's business, not the
    /// plan's); a splittable one that started in working time pauses at the
    /// breaks of its machine's calendar, as it would have when planned, so
    /// pinning it at its planned start keeps its planned end.
    pub fn pinned_span(&self, op: OpId) -> Option<Interval> {
        self.pinned_span.get(op.index()).copied().flatten()
    }
}
