//! What a change does to the plan, and what moved between two plans: the
//! orders that finish later or earlier (minutes, with their lateness), the
//! setup time added, the makespan before and after, and the operations
//! that moved (machine, minutes). Pure; plans are compared by operation
//! key and machine code, so two plans of different models compare.

use crate::planning::minutes::iso;
use mes_scheduler::{Model, Plan};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Most operations listed in a comparison (the count is always whole).
pub const MAX_LISTED: usize = 200;

/// An order that finishes at another time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderShift {
    /// The order.
    pub order: String,
    /// Its completion before, RFC 3339.
    pub before: String,
    /// Its completion after, RFC 3339.
    pub after: String,
    /// Minutes later (negative: earlier).
    pub shift_minutes: i64,
    /// Minutes late before (none: no due date; negative: slack).
    pub lateness_before: Option<i64>,
    /// Minutes late after.
    pub lateness_after: Option<i64>,
}

/// An operation that moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OperationShift {
    /// The operation key `order/operation`.
    pub operation: String,
    /// Its machine before.
    pub machine_before: String,
    /// Its machine after.
    pub machine_after: String,
    /// Its start before, RFC 3339.
    pub start_before: String,
    /// Its start after, RFC 3339.
    pub start_after: String,
    /// Minutes later (negative: earlier).
    pub shift_minutes: i64,
}

/// The difference between two plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Consequences {
    /// Orders finishing later or earlier, the largest shift first.
    pub orders: Vec<OrderShift>,
    /// How many finish later.
    pub orders_later: usize,
    /// How many finish earlier.
    pub orders_earlier: usize,
    /// Orders late before and after.
    pub late_before: usize,
    /// Orders late after.
    pub late_after: usize,
    /// Σ setup minutes before.
    pub setup_minutes_before: i64,
    /// Σ setup minutes after.
    pub setup_minutes_after: i64,
    /// Setup minutes added (negative: saved).
    pub added_setup_minutes: i64,
    /// Latest end before, RFC 3339.
    pub makespan_before: String,
    /// Latest end after, RFC 3339.
    pub makespan_after: String,
    /// Makespan minutes later (negative: earlier).
    pub makespan_shift_minutes: i64,
    /// Σ weight × minutes late, before.
    pub weighted_tardiness_before: i64,
    /// Σ weight × minutes late, after.
    pub weighted_tardiness_after: i64,
    /// How many operations moved (machine or start).
    pub operations_moved: usize,
    /// The operations that moved, the largest shift first (at most
    /// [`MAX_LISTED`]).
    pub operations: Vec<OperationShift>,
}

/// Per operation key: machine code, start, end.
pub(super) fn places(model: &Model, plan: &Plan) -> HashMap<String, (String, i64, i64)> {
    plan.ops
        .iter()
        .filter_map(|s| {
            let op = model.operation(s.op)?;
            let machine = model.machine(s.machine)?;
            Some((op.name.clone(), (machine.name.clone(), s.start, s.end)))
        })
        .collect()
}

/// Per order code: completion and due.
fn completions(model: &Model, plan: &Plan) -> HashMap<String, (i64, Option<i64>)> {
    let mut out: HashMap<String, (i64, Option<i64>)> = HashMap::new();
    for s in &plan.ops {
        let Some(order) = model
            .operation(s.op)
            .and_then(|op| model.orders().get(op.order.index()))
        else {
            continue;
        };
        let e = out.entry(order.name.clone()).or_insert((s.end, order.due));
        e.0 = e.0.max(s.end);
    }
    out
}

/// What changes from `before` to `after`.
pub fn compare(before: (&Model, &Plan), after: (&Model, &Plan)) -> Consequences {
    let (cost_before, cost_after) = (before.1.cost(before.0), after.1.cost(after.0));
    let (done_before, done_after) = (completions(before.0, before.1), completions(after.0, after.1));
    let late = |m: &HashMap<String, (i64, Option<i64>)>| {
        m.values()
            .filter(|(end, due)| due.is_some_and(|d| *end > d))
            .count()
    };
    let mut orders: Vec<OrderShift> = done_after
        .iter()
        .filter_map(|(order, &(end, due))| {
            let &(was, due_was) = done_before.get(order)?;
            (was != end || due_was != due).then(|| OrderShift {
                order: order.clone(),
                before: iso(was),
                after: iso(end),
                shift_minutes: end - was,
                lateness_before: due_was.map(|d| was - d),
                lateness_after: due.map(|d| end - d),
            })
        })
        .collect();
    orders.sort_by(|a, b| {
        b.shift_minutes
            .abs()
            .cmp(&a.shift_minutes.abs())
            .then_with(|| a.order.cmp(&b.order))
    });
    let operations = moved(before, after);
    Consequences {
        orders_later: orders.iter().filter(|o| o.shift_minutes > 0).count(),
        orders_earlier: orders.iter().filter(|o| o.shift_minutes < 0).count(),
        orders,
        late_before: late(&done_before),
        late_after: late(&done_after),
        setup_minutes_before: cost_before.setup,
        setup_minutes_after: cost_after.setup,
        added_setup_minutes: cost_after.setup - cost_before.setup,
        makespan_before: iso(cost_before.makespan),
        makespan_after: iso(cost_after.makespan),
        makespan_shift_minutes: cost_after.makespan - cost_before.makespan,
        weighted_tardiness_before: cost_before.weighted_tardiness,
        weighted_tardiness_after: cost_after.weighted_tardiness,
        operations_moved: operations.1,
        operations: operations.0,
    }
}

/// The operations whose machine or start differ (largest shift first, at
/// most [`MAX_LISTED`]) and how many there are.
pub fn moved(before: (&Model, &Plan), after: (&Model, &Plan)) -> (Vec<OperationShift>, usize) {
    let was = places(before.0, before.1);
    let mut out: Vec<OperationShift> = places(after.0, after.1)
        .into_iter()
        .filter_map(|(op, (machine, start, _))| {
            let (m0, s0, _) = was.get(&op)?;
            (*m0 != machine || *s0 != start).then(|| OperationShift {
                operation: op,
                machine_before: m0.clone(),
                machine_after: machine,
                start_before: iso(*s0),
                start_after: iso(start),
                shift_minutes: start - s0,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (b.machine_before != b.machine_after)
            .cmp(&(a.machine_before != a.machine_after))
            .then_with(|| b.shift_minutes.abs().cmp(&a.shift_minutes.abs()))
            .then_with(|| a.operation.cmp(&b.operation))
    });
    let count = out.len();
    out.truncate(MAX_LISTED);
    (out, count)
}
