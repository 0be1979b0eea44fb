//! Building a [`Model`]: collect machines, orders, operations and precedence
//! arcs, then check them all once in [`ModelBuilder::build`].
//!
//! Parse, don't validate: everything the solver relies on (ids in range,
//! acyclic precedence, consistent pinned operations, bounded numbers) is
//! established here, so the rest of the crate does not re-check.

use std::collections::HashSet;

use crate::calendar::{Interval, TIME_MAX, TIME_MIN};
use crate::error::ModelError;
use crate::model::{Machine, MachineId, Model, OpId, Operation, Order, OrderId};

/// Longest accepted setup or run time, in minutes (about two million years).
pub const MAX_DURATION: i64 = 1 << 40;
/// Largest accepted order weight.
pub const MAX_WEIGHT: i64 = 1_000_000;

/// Collects the parts of a model; [`ModelBuilder::build`] checks them.
#[derive(Debug, Clone, Default)]
pub struct ModelBuilder {
    machines: Vec<Machine>,
    orders: Vec<Order>,
    ops: Vec<Operation>,
    precedences: Vec<(OpId, OpId)>,
}

impl ModelBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a machine and returns its id.
    pub fn add_machine(&mut self, machine: Machine) -> MachineId {
        self.machines.push(machine);
        MachineId((self.machines.len() - 1) as u32)
    }

    /// Adds a production order and returns its id.
    pub fn add_order(&mut self, order: Order) -> OrderId {
        self.orders.push(order);
        OrderId((self.orders.len() - 1) as u32)
    }

    /// Adds an operation and returns its id.
    pub fn add_operation(&mut self, op: Operation) -> OpId {
        self.ops.push(op);
        OpId((self.ops.len() - 1) as u32)
    }

    /// Requires `after` not to start before `before` ends.
    pub fn add_precedence(&mut self, before: OpId, after: OpId) {
        self.precedences.push((before, after));
    }

    /// Adds precedence arcs along a routing: each operation after the previous one.
    pub fn add_chain(&mut self, ops: &[OpId]) {
        for pair in ops.windows(2) {
            self.add_precedence(pair[0], pair[1]);
        }
    }

    /// The machine with this id, to change it (e.g. cut a down window out of its calendar).
    pub fn machine_mut(&mut self, id: MachineId) -> Option<&mut Machine> {
        self.machines.get_mut(id.index())
    }

    /// The operation with this id, to change it (e.g. pin it once it has started).
    pub fn operation_mut(&mut self, id: OpId) -> Option<&mut Operation> {
        self.ops.get_mut(id.index())
    }

    /// The order with this id, to change it (e.g. a new due date).
    pub fn order_mut(&mut self, id: OrderId) -> Option<&mut Order> {
        self.orders.get_mut(id.index())
    }

    /// Checks everything and returns the model, or the first problem found.
    pub fn build(self) -> Result<Model, ModelError> {
        check_names(&self)?;
        check_machines(&self.machines)?;
        check_orders(&self.orders)?;
        let runs = self
            .ops
            .iter()
            .map(|op| check_operation(op, &self.machines, self.orders.len()))
            .collect::<Result<Vec<_>, _>>()?;
        let (preds, succs, precedences) = adjacency(&self.ops, &self.precedences)?;
        let topo = topological_order(&self.ops, &preds, &succs)?;
        let mut model = Model {
            machines: self.machines,
            orders: self.orders,
            ops: self.ops,
            precedences,
            preds,
            succs,
            runs,
            pinned_on: Vec::new(),
            pinned_span: Vec::new(),
            topo,
            unpinned_preds: Vec::new(),
            unpinned_count: 0,
        };
        index_pinned(&mut model)?;
        Ok(model)
    }
}

fn check_names(b: &ModelBuilder) -> Result<(), ModelError> {
    let mut seen = HashSet::new();
    if let Some(op) = b.ops.iter().find(|o| !seen.insert(o.name.as_str())) {
        return Err(ModelError::DuplicateOperationName {
            name: op.name.clone(),
        });
    }
    let mut seen = HashSet::new();
    if let Some(m) = b.machines.iter().find(|m| !seen.insert(m.name.as_str())) {
        return Err(ModelError::DuplicateMachineName { name: m.name.clone() });
    }
    Ok(())
}

fn in_range(owner: &str, field: &'static str, value: i64, lo: i64, hi: i64) -> Result<(), ModelError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(ModelError::OutOfRange {
            owner: owner.to_owned(),
            field,
            value,
        })
    }
}

fn check_machines(machines: &[Machine]) -> Result<(), ModelError> {
    for m in machines {
        if let Some(mx) = &m.setup_matrix
            && let Some((_, value)) = mx.entries().find(|(_, v)| !(0..=MAX_DURATION).contains(v))
        {
            return Err(ModelError::BadSetupEntry {
                machine: m.name.clone(),
                value,
            });
        }
    }
    Ok(())
}

fn check_orders(orders: &[Order]) -> Result<(), ModelError> {
    for o in orders {
        in_range(&o.name, "weight", o.weight, 0, MAX_WEIGHT)?;
        if let Some(due) = o.due {
            in_range(&o.name, "due", due, TIME_MIN, TIME_MAX)?;
        }
    }
    Ok(())
}

/// Checks one operation and returns its speed-scaled run time per alternative.
fn check_operation(
    op: &Operation,
    machines: &[Machine],
    order_count: usize,
) -> Result<Vec<(MachineId, i64)>, ModelError> {
    let name = &op.name;
    if op.order.index() >= order_count {
        return Err(ModelError::UnknownOrder {
            op: name.clone(),
            order: op.order.0,
        });
    }
    in_range(name, "setup", op.setup, 0, MAX_DURATION)?;
    in_range(name, "run", op.run, 0, MAX_DURATION)?;
    in_range(name, "earliest_start", op.earliest_start, TIME_MIN, TIME_MAX)?;
    if op.alternatives.is_empty() {
        return Err(ModelError::NoAllowedMachine { op: name.clone() });
    }
    let mut runs: Vec<(MachineId, i64)> = Vec::with_capacity(op.alternatives.len());
    for alt in &op.alternatives {
        let machine = machines
            .get(alt.machine.index())
            .ok_or(ModelError::UnknownMachine {
                op: name.clone(),
                machine: alt.machine.0,
            })?;
        if runs.iter().any(|(m, _)| *m == alt.machine) {
            return Err(ModelError::DuplicateAlternative {
                op: name.clone(),
                machine: machine.name.clone(),
            });
        }
        if !(1..=100_000).contains(&alt.speed_percent) {
            return Err(ModelError::BadSpeed {
                op: name.clone(),
                machine: machine.name.clone(),
                speed_percent: alt.speed_percent,
            });
        }
        let speed = i64::from(alt.speed_percent);
        runs.push((alt.machine, (op.run * 100 + speed - 1) / speed));
    }
    if let Some(pin) = op.pin {
        in_range(name, "pin.start", pin.start, TIME_MIN, TIME_MAX)?;
        if !runs.iter().any(|(m, _)| *m == pin.machine) {
            let machine = machines
                .get(pin.machine.index())
                .map_or_else(|| pin.machine.0.to_string(), |m| m.name.clone());
            return Err(ModelError::PinnedMachineNotAllowed {
                op: name.clone(),
                machine,
            });
        }
    }
    Ok(runs)
}

type Adjacency = (Vec<Vec<OpId>>, Vec<Vec<OpId>>, Vec<(OpId, OpId)>);

/// Predecessor and successor lists, with duplicate arcs removed.
fn adjacency(ops: &[Operation], arcs: &[(OpId, OpId)]) -> Result<Adjacency, ModelError> {
    let mut preds = vec![Vec::new(); ops.len()];
    let mut succs = vec![Vec::new(); ops.len()];
    let mut seen = HashSet::new();
    let mut unique = Vec::with_capacity(arcs.len());
    for &(a, b) in arcs {
        for id in [a, b] {
            if id.index() >= ops.len() {
                return Err(ModelError::UnknownOperation { id: id.0 });
            }
        }
        if a == b {
            return Err(ModelError::SelfPrecedence {
                op: ops[a.index()].name.clone(),
            });
        }
        if seen.insert((a, b)) {
            preds[b.index()].push(a);
            succs[a.index()].push(b);
            unique.push((a, b));
        }
    }
    Ok((preds, succs, unique))
}

/// Kahn's algorithm; on a cycle, names an operation that lies on it.
fn topological_order(
    ops: &[Operation],
    preds: &[Vec<OpId>],
    succs: &[Vec<OpId>],
) -> Result<Vec<OpId>, ModelError> {
    let mut indeg: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut stack: Vec<OpId> = (0..ops.len())
        .filter(|&i| indeg[i] == 0)
        .map(|i| OpId(i as u32))
        .collect();
    stack.reverse();
    let mut order = Vec::with_capacity(ops.len());
    while let Some(op) = stack.pop() {
        order.push(op);
        for &s in &succs[op.index()] {
            indeg[s.index()] -= 1;
            if indeg[s.index()] == 0 {
                stack.push(s);
            }
        }
    }
    if order.len() == ops.len() {
        return Ok(order);
    }
    // Walk back through unfinished predecessors: within as many steps as there
    // are operations the walk must enter the cycle it is stuck behind.
    let mut cur = (0..ops.len()).find(|&i| indeg[i] > 0).unwrap_or(0);
    for _ in 0..ops.len() {
        match preds[cur].iter().find(|p| indeg[p.index()] > 0) {
            Some(p) => cur = p.index(),
            None => break,
        }
    }
    Err(ModelError::PrecedenceCycle {
        op: ops[cur].name.clone(),
    })
}

/// Fills the pinned indexes and checks pinned operations against each other.
fn index_pinned(model: &mut Model) -> Result<(), ModelError> {
    model.pinned_span = vec![None; model.ops.len()];
    model.pinned_on = vec![Vec::new(); model.machines.len()];
    for (i, op) in model.ops.iter().enumerate() {
        if let Some(pin) = op.pin {
            let run = model.runs[i]
                .iter()
                .find(|(m, _)| *m == pin.machine)
                .map_or(0, |(_, r)| *r);
            let work = op.setup + run;
            let contiguous = Interval::new(pin.start, pin.start + work);
            // A splittable operation pauses at breaks while it runs, so its
            // span follows the calendar, as it did in the plan it was pinned
            // from; started outside working time (overtime), it runs through.
            let span = if op.splittable {
                model.machines[pin.machine.index()]
                    .calendar
                    .earliest_fit(pin.start, work, true)
                    .filter(|fit| fit.start == pin.start)
                    .unwrap_or(contiguous)
            } else {
                contiguous
            };
            model.pinned_span[i] = Some(span);
            model.pinned_on[pin.machine.index()].push(OpId(i as u32));
        }
    }
    let spans = &model.pinned_span;
    model.unpinned_count = spans.iter().filter(|s| s.is_none()).count();
    model.unpinned_preds = model
        .preds
        .iter()
        .map(|ps| ps.iter().filter(|p| spans[p.index()].is_none()).count() as u32)
        .collect();
    let start_of = |id: &OpId| spans[id.index()].map_or(0, |s| s.start);
    for list in &mut model.pinned_on {
        list.sort_by_key(|id| (start_of(id), *id));
    }
    for (m, list) in model.pinned_on.iter().enumerate() {
        for pair in list.windows(2) {
            let (a, b) = (spans[pair[0].index()], spans[pair[1].index()]);
            if let (Some(a), Some(b)) = (a, b)
                && a.overlaps(&b)
            {
                return Err(ModelError::PinnedOverlap {
                    first: model.ops[pair[0].index()].name.clone(),
                    second: model.ops[pair[1].index()].name.clone(),
                    machine: model.machines[m].name.clone(),
                });
            }
        }
    }
    check_pinned_precedence(model)
}

fn check_pinned_precedence(model: &Model) -> Result<(), ModelError> {
    for &(a, b) in &model.precedences {
        let Some(span_b) = model.pinned_span[b.index()] else {
            continue;
        };
        let names = || {
            (
                model.ops[b.index()].name.clone(),
                model.ops[a.index()].name.clone(),
            )
        };
        match model.pinned_span[a.index()] {
            None => {
                let (op, pred) = names();
                return Err(ModelError::PinnedAfterUnpinned { op, pred });
            }
            Some(span_a) if span_a.end > span_b.start => {
                let (op, pred) = names();
                return Err(ModelError::PinnedPrecedence { op, pred });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::model::{Alternative, Pin};

    fn base() -> (ModelBuilder, MachineId, OrderId) {
        let mut b = ModelBuilder::new();
        let m = b.add_machine(Machine::new("saw", Calendar::always()));
        let o = b.add_order(Order::new("PO-1"));
        (b, m, o)
    }

    #[test]
    fn operation_without_machine_is_named() {
        let (mut b, _, o) = base();
        b.add_operation(Operation::new("PO-1/10", o, 0, 5, vec![]));
        assert_eq!(
            b.build().err(),
            Some(ModelError::NoAllowedMachine { op: "PO-1/10".into() })
        );
    }

    #[test]
    fn precedence_cycle_names_an_operation_on_it() {
        let (mut b, m, o) = base();
        let free = b.add_operation(Operation::new("free", o, 0, 5, vec![Alternative::nominal(m)]));
        let x = b.add_operation(Operation::new("x", o, 0, 5, vec![Alternative::nominal(m)]));
        let y = b.add_operation(Operation::new("y", o, 0, 5, vec![Alternative::nominal(m)]));
        b.add_chain(&[free, x, y, x]);
        let err = b.build().err();
        assert!(
            matches!(&err, Some(ModelError::PrecedenceCycle { op }) if op == "x" || op == "y"),
            "{err:?}"
        );
    }

    #[test]
    fn pinned_operation_after_unpinned_one_is_rejected() {
        let (mut b, m, o) = base();
        let a = b.add_operation(Operation::new("a", o, 0, 5, vec![Alternative::nominal(m)]));
        let mut pinned = Operation::new("b", o, 0, 5, vec![Alternative::nominal(m)]);
        pinned.pin = Some(Pin { machine: m, start: 0 });
        let p = b.add_operation(pinned);
        b.add_precedence(a, p);
        assert_eq!(
            b.build().err(),
            Some(ModelError::PinnedAfterUnpinned {
                op: "b".into(),
                pred: "a".into()
            })
        );
    }

    #[test]
    fn duplicate_operation_name_is_rejected() {
        let (mut b, m, o) = base();
        b.add_operation(Operation::new("PO-1/10", o, 0, 5, vec![Alternative::nominal(m)]));
        b.add_operation(Operation::new("PO-1/10", o, 0, 7, vec![Alternative::nominal(m)]));
        assert_eq!(
            b.build().err(),
            Some(ModelError::DuplicateOperationName {
                name: "PO-1/10".into()
            })
        );
    }

    #[test]
    fn overlapping_pinned_operations_are_rejected() {
        let (mut b, m, o) = base();
        for (name, start) in [("a", 0), ("b", 3)] {
            let mut op = Operation::new(name, o, 0, 5, vec![Alternative::nominal(m)]);
            op.pin = Some(Pin { machine: m, start });
            b.add_operation(op);
        }
        let expected = ModelError::PinnedOverlap {
            first: "a".into(),
            second: "b".into(),
            machine: "saw".into(),
        };
        assert_eq!(b.build().err(), Some(expected));
    }

    #[test]
    fn pinned_splittable_operation_pauses_at_breaks() {
        let mut b = ModelBuilder::new();
        let shifts = Calendar::from_intervals([Interval::new(0, 100), Interval::new(200, 300)])
            .expect("valid intervals");
        let m = b.add_machine(Machine::new("mill", shifts));
        let o = b.add_order(Order::new("PO-1"));
        let mut pinned = |name: &str, start: i64, splittable: bool| {
            let mut op = Operation::new(name, o, 10, 40, vec![Alternative::nominal(m)]);
            op.splittable = splittable;
            op.pin = Some(Pin { machine: m, start });
            b.add_operation(op)
        };
        // 50 minutes from 80: 20 before the break, 30 after it.
        let split = pinned("split", 80, true);
        // Unsplittable work in progress runs through the break.
        let whole = pinned("whole", 250, false);
        // Started in overtime, outside the calendar: it runs through too.
        let overtime = pinned("overtime", 400, true);
        let model = b.build().expect("valid model");
        assert_eq!(model.pinned_span(split), Some(Interval::new(80, 230)));
        assert_eq!(model.pinned_span(whole), Some(Interval::new(250, 300)));
        assert_eq!(model.pinned_span(overtime), Some(Interval::new(400, 450)));
    }

    #[test]
    fn negative_run_time_is_rejected() {
        let (mut b, m, o) = base();
        b.add_operation(Operation::new("a", o, 0, -5, vec![Alternative::nominal(m)]));
        let expected = ModelError::OutOfRange {
            owner: "a".into(),
            field: "run",
            value: -5,
        };
        assert_eq!(b.build().err(), Some(expected));
    }

    #[test]
    fn speed_factor_scales_run_time_up() {
        let (mut b, m, o) = base();
        let op = b.add_operation(Operation::new(
            "a",
            o,
            3,
            10,
            vec![Alternative::with_speed(m, 300)],
        ));
        let model = b.build().expect("valid model");
        assert_eq!(model.run_on(op, m), Some(4));
    }
}
