//! What the API shows of a plan: per machine, per order (estimated
//! completion, lateness, state), the critical orders, and the comparison
//! of a what-if with the live plan. Times are RFC 3339 UTC.

use super::build::Problem;
use super::stored::StoredPlan;
use mes_protocols::Timestamp;
use mes_scheduler::{Model, Plan, ScheduledOp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use super::minutes::iso;

/// One operation's place in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlannedOperation {
    /// The production order.
    pub order: String,
    /// The operation number.
    pub operation: String,
    /// The machine.
    pub equipment: String,
    /// Start of its setup (or run), RFC 3339.
    pub start: String,
    /// When it is done, RFC 3339 (calendar breaks it waits through included).
    pub end: String,
    /// Setup minutes included.
    pub setup_minutes: i64,
    /// Whether it is running on the floor (pinned where it runs).
    pub in_progress: bool,
}

/// A machine's sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MachinePlan {
    /// The machine.
    pub equipment: String,
    /// Its operations in start order.
    pub operations: Vec<PlannedOperation>,
}

/// Where an order stands against its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Estimated to complete after its due time.
    Late,
    /// On time, but with less slack than `planning.at_risk_slack_minutes`.
    AtRisk,
    /// On time with slack to spare.
    OnTime,
    /// It has no due date.
    NoDueDate,
}

/// An order's estimated completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderPlan {
    /// The production order.
    pub order: String,
    /// Its due time (end of its due day, site time), RFC 3339.
    pub due: Option<String>,
    /// Its priority (the weight of its lateness).
    pub priority: i64,
    /// When its last open operation is done, RFC 3339.
    pub completion: String,
    /// Completion minus due, minutes (negative: slack).
    pub lateness_minutes: Option<i64>,
    /// Late, at risk, on time.
    pub state: OrderState,
    /// Its open operations in routing order.
    pub operations: Vec<PlannedOperation>,
}

/// The plan's objective value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CostView {
    /// Σ priority × minutes late.
    pub weighted_tardiness: i64,
    /// When the last operation is done, RFC 3339.
    pub makespan: String,
    /// Σ setup minutes.
    pub setup_minutes: i64,
}

/// A plan as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanReport {
    /// The site.
    pub site: String,
    /// The live plan's revision (none for a what-if).
    pub revision: Option<i64>,
    /// When it was made, RFC 3339 (none: the site has no plan yet).
    pub made_at: Option<String>,
    /// The "now" it starts from, RFC 3339.
    pub planned_from: Option<String>,
    /// Why it was made.
    pub trigger: String,
    /// Its objective value (none without a plan).
    pub cost: Option<CostView>,
    /// Per machine.
    pub machines: Vec<MachinePlan>,
    /// Per order, by code.
    pub orders: Vec<OrderPlan>,
    /// Orders left out of the plan (and why), pins given up.
    pub problems: Vec<Problem>,
}

impl PlanReport {
    /// The report of a site that has no plan yet (revision 0, nothing planned).
    pub fn none(site: &str) -> Self {
        Self {
            site: site.to_string(),
            revision: Some(0),
            made_at: None,
            planned_from: None,
            trigger: "no plan yet: POST …/run makes one".into(),
            cost: None,
            machines: Vec::new(),
            orders: Vec::new(),
            problems: Vec::new(),
        }
    }
}

fn planned(model: &Model, s: &ScheduledOp) -> PlannedOperation {
    let op = &model.operations()[s.op.index()];
    let (order, operation) = op.name.rsplit_once('/').unwrap_or((op.name.as_str(), ""));
    PlannedOperation {
        order: order.to_string(),
        operation: operation.to_string(),
        equipment: model.machines()[s.machine.index()].name.clone(),
        start: iso(s.start),
        end: iso(s.end),
        setup_minutes: s.setup,
        in_progress: op.pin.is_some(),
    }
}

/// The state of an order completing at `completion` against `due`.
pub fn order_state(completion: i64, due: Option<i64>, at_risk_slack: i64) -> (Option<i64>, OrderState) {
    match due {
        None => (None, OrderState::NoDueDate),
        Some(due) => {
            let lateness = completion - due;
            let state = if lateness > 0 {
                OrderState::Late
            } else if -lateness < at_risk_slack {
                OrderState::AtRisk
            } else {
                OrderState::OnTime
            };
            (Some(lateness), state)
        }
    }
}

/// The report of `plan` for `model`.
pub fn report(
    site: &str,
    revision: Option<i64>,
    stored: &StoredPlan,
    model: &Model,
    at_risk_slack: i64,
) -> PlanReport {
    let plan: &Plan = &stored.plan;
    let machines = model
        .machine_ids()
        .map(|m| MachinePlan {
            equipment: model.machines()[m.index()].name.clone(),
            operations: plan
                .machine_sequence(m)
                .iter()
                .map(|s| planned(model, s))
                .collect(),
        })
        .collect();
    let mut per_order: HashMap<usize, Vec<&ScheduledOp>> = HashMap::new();
    for s in &plan.ops {
        if let Some(op) = model.operation(s.op) {
            per_order.entry(op.order.index()).or_default().push(s);
        }
    }
    let mut orders: Vec<OrderPlan> = model
        .orders()
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let mut ops = per_order.remove(&i)?;
            ops.sort_by_key(|s| (s.start, s.op));
            let completion = ops.iter().map(|s| s.end).max()?;
            let (lateness_minutes, state) = order_state(completion, o.due, at_risk_slack);
            Some(OrderPlan {
                order: o.name.clone(),
                due: o.due.map(iso),
                priority: o.weight,
                completion: iso(completion),
                lateness_minutes,
                state,
                operations: ops.iter().map(|s| planned(model, s)).collect(),
            })
        })
        .collect();
    orders.sort_by(|a, b| a.order.cmp(&b.order));
    PlanReport {
        site: site.to_string(),
        revision,
        made_at: Some(Timestamp::from_unix_millis(stored.made_at).to_string()),
        planned_from: Some(iso(stored.now)),
        trigger: stored.trigger.clone(),
        cost: Some(CostView {
            weighted_tardiness: stored.cost.weighted_tardiness,
            makespan: iso(stored.cost.makespan),
            setup_minutes: stored.cost.setup,
        }),
        machines,
        orders,
        problems: stored.problems.clone(),
    }
}

/// Operations whose machine or times differ between two plans (matched by
/// operation key), sorted.
pub fn moved_operations(a: (&Model, &Plan), b: (&Model, &Plan)) -> Vec<String> {
    let place = |(model, plan): (&Model, &Plan)| -> HashMap<String, (String, i64, i64)> {
        plan.ops
            .iter()
            .filter_map(|s| {
                let op = model.operation(s.op)?;
                let machine = model.machine(s.machine)?;
                Some((op.name.clone(), (machine.name.clone(), s.start, s.end)))
            })
            .collect()
    };
    let (before, after) = (place(a), place(b));
    let mut moved: Vec<String> = after
        .iter()
        .filter(|(name, p)| before.get(*name).is_some_and(|q| q != *p))
        .map(|(name, _)| name.clone())
        .collect();
    moved.sort();
    moved
}
