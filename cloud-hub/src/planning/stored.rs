//! A plan as the hub keeps it: the model it was made for (so it can be
//! re-read, validated and repaired later), the plan, and what the floor
//! had reported when it was made. Stored as one JSON document per site
//! (`store/plans.rs`).

use super::build::{DownWindow, MaterialWait, Problem};
use super::facts::FloorFacts;
use super::steer::Steering;
use mes_scheduler::{
    Cost, Machine, Model, ModelBuilder, ModelError, OpId, Operation, Order, Plan, ScheduledOp,
};
use serde::{Deserialize, Serialize};

/// A plan with its model and circumstances.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPlan {
    /// When it was made, epoch ms.
    pub made_at: i64,
    /// The "now" it was made for, epoch minutes.
    pub now: i64,
    /// The end of the calendars' horizon, epoch minutes.
    pub horizon_end: i64,
    /// Why it was made (`api`, `records changed`, `machine M1 down`, …).
    pub trigger: String,
    /// The model's machines (with their calendars), in id order.
    pub machines: Vec<Machine>,
    /// The model's orders, in id order.
    pub orders: Vec<Order>,
    /// The model's operations, in id order.
    pub operations: Vec<Operation>,
    /// The model's precedence arcs.
    pub precedences: Vec<(OpId, OpId)>,
    /// The plan.
    pub plan: Plan,
    /// Its objective value.
    pub cost: Cost,
    /// The floor facts it took in.
    pub facts: FloorFacts,
    /// Machine-down windows it assumed.
    pub down: Vec<DownWindow>,
    /// Orders left out and pins given up.
    pub problems: Vec<Problem>,
    /// The planner's standing decisions this plan keeps (issue 17).
    #[serde(default)]
    pub steering: Steering,
    /// Operations waiting for material on order.
    #[serde(default)]
    pub material_waits: Vec<MaterialWait>,
}

impl StoredPlan {
    /// Each planned operation with its model operation and machine, in the
    /// plan's order (entries naming neither are skipped).
    pub fn placed(&self) -> impl Iterator<Item = (&ScheduledOp, &Operation, &Machine)> {
        self.plan.ops.iter().filter_map(|s| {
            let op = self.operations.get(s.op.index())?;
            let machine = self.machines.get(s.machine.index())?;
            Some((s, op, machine))
        })
    }

    /// The plan of `model`, with its circumstances.
    pub fn new(model: &Model, plan: Plan, meta: PlanMeta) -> Self {
        Self {
            made_at: meta.made_at,
            now: meta.now,
            horizon_end: meta.horizon_end,
            trigger: meta.trigger,
            machines: model.machines().to_vec(),
            orders: model.orders().to_vec(),
            operations: model.operations().to_vec(),
            precedences: model.precedences().to_vec(),
            cost: plan.cost(model),
            plan,
            facts: meta.facts,
            down: meta.down,
            problems: meta.problems,
            steering: meta.steering,
            material_waits: meta.waits,
        }
    }

    /// The model it was made for, rebuilt with the same ids.
    pub fn model(&self) -> Result<Model, ModelError> {
        let mut b = ModelBuilder::new();
        for m in &self.machines {
            b.add_machine(m.clone());
        }
        for o in &self.orders {
            b.add_order(o.clone());
        }
        for op in &self.operations {
            b.add_operation(op.clone());
        }
        for &(before, after) in &self.precedences {
            b.add_precedence(before, after);
        }
        b.build()
    }
}

/// The circumstances of a plan, besides its model.
#[derive(Debug, Clone, Default)]
pub struct PlanMeta {
    /// When it was made, epoch ms.
    pub made_at: i64,
    /// The "now" it was made for, epoch minutes.
    pub now: i64,
    /// The end of the calendars' horizon, epoch minutes.
    pub horizon_end: i64,
    /// Why it was made.
    pub trigger: String,
    /// The floor facts it took in.
    pub facts: FloorFacts,
    /// Machine-down windows it assumed.
    pub down: Vec<DownWindow>,
    /// Orders left out and pins given up.
    pub problems: Vec<Problem>,
    /// The planner's standing decisions it keeps.
    pub steering: Steering,
    /// Operations waiting for material on order.
    pub waits: Vec<MaterialWait>,
}
