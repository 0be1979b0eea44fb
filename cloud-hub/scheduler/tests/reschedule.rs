//! Rescheduling keeps the previous plan where nothing forces a change.

use mes_scheduler::jssp::JobShop;
use mes_scheduler::{
    Alternative, Interval, Model, Operation, Order, Plan, SolveOptions, reschedule, solve, validate,
};

const SHOP: &str = "4 3\n0 20 1 30 2 10\n1 25 0 15 2 20\n2 10 0 30 1 15\n0 15 2 25 1 20\n";

fn solved_shop() -> (Model, Plan) {
    let model = JobShop::parse(SHOP)
        .expect("valid instance")
        .to_model()
        .expect("valid model");
    let solution = solve(&model, &SolveOptions::deterministic(7, 500)).expect("schedulable");
    assert_eq!(validate(&model, &solution.plan), vec![]);
    (model, solution.plan)
}

/// Machine order of a plan, by operation name.
fn order_on(model: &Model, plan: &Plan, machine: &str) -> Vec<String> {
    let m = model.find_machine(machine).expect("machine exists");
    plan.machine_sequence(m)
        .iter()
        .map(|s| model.operations()[s.op.index()].name.clone())
        .collect()
}

#[test]
fn machine_down_window_moves_only_operations_at_or_after_it() {
    let (model, previous) = solved_shop();
    let m0 = model.find_machine("M0").expect("machine exists");
    let seq = previous.machine_sequence(m0);
    let hit = seq[1];
    let down = Interval::new(hit.start + 1, hit.start + 31);
    let mut changed = model.to_builder();
    let machine = changed.machine_mut(m0).expect("machine exists");
    machine.calendar = machine.calendar.without(down);
    let changed = changed.build().expect("valid model");

    let plan = reschedule(&model, &previous, &changed).expect("schedulable");

    assert_eq!(validate(&changed, &plan), vec![]);
    let moved: Vec<_> = previous
        .ops
        .iter()
        .zip(&plan.ops)
        .filter(|(a, b)| a != b)
        .collect();
    assert!(
        moved.iter().any(|(old, _)| old.op == hit.op),
        "the operation in the window must move"
    );
    for (old, new) in &moved {
        assert!(
            old.end > down.start,
            "{old:?} ended before the window yet moved to {new:?}"
        );
        assert_eq!(old.machine, new.machine);
    }
    for s in seq.iter().filter(|s| s.end <= down.start) {
        assert_eq!(
            plan.get(s.op),
            Some(s),
            "operation before the window on M0 kept its times"
        );
    }
    for name in ["M0", "M1", "M2"] {
        assert_eq!(order_on(&model, &previous, name), order_on(&changed, &plan, name));
    }
}

#[test]
fn rush_order_is_inserted_and_other_sequences_are_kept() {
    let (model, previous) = solved_shop();
    let mut changed = model.to_builder();
    let rush = changed.add_order(Order::new("RUSH").due(0).weight(100));
    let m1 = model.find_machine("M1").expect("machine exists");
    let m2 = model.find_machine("M2").expect("machine exists");
    let first = changed.add_operation(Operation::new(
        "RUSH/0",
        rush,
        0,
        10,
        vec![Alternative::nominal(m1)],
    ));
    let second = changed.add_operation(Operation::new(
        "RUSH/1",
        rush,
        0,
        5,
        vec![Alternative::nominal(m2)],
    ));
    changed.add_precedence(first, second);
    let changed = changed.build().expect("valid model");

    let plan = reschedule(&model, &previous, &changed).expect("schedulable");

    assert_eq!(validate(&changed, &plan), vec![]);
    let rush_start = plan.get(first).expect("rush operation planned").start;
    assert_eq!(rush_start, 0, "a heavily weighted rush order goes first");
    for name in ["M0", "M1", "M2"] {
        let kept: Vec<String> = order_on(&changed, &plan, name)
            .into_iter()
            .filter(|n| !n.starts_with("RUSH"))
            .collect();
        assert_eq!(
            order_on(&model, &previous, name),
            kept,
            "machine {name} keeps its order"
        );
    }
}

#[test]
fn operation_finished_early_lets_its_successor_move_up() {
    let (model, previous) = solved_shop();
    // J0/0 is done: the next model no longer has it.
    let mut changed = mes_scheduler::ModelBuilder::new();
    for m in model.machines() {
        changed.add_machine(m.clone());
    }
    for o in model.orders() {
        changed.add_order(o.clone());
    }
    let mut ids = Vec::new();
    for op in model.operations() {
        ids.push((op.name != "J0/0").then(|| changed.add_operation(op.clone())));
    }
    for &(a, b) in model.precedences() {
        if let (Some(a), Some(b)) = (ids[a.index()], ids[b.index()]) {
            changed.add_precedence(a, b);
        }
    }
    let changed = changed.build().expect("valid model");

    let plan = reschedule(&model, &previous, &changed).expect("schedulable");

    assert_eq!(validate(&changed, &plan), vec![]);
    let before = previous
        .get(model.find_operation("J0/1").expect("exists"))
        .expect("planned")
        .start;
    let after = plan
        .get(changed.find_operation("J0/1").expect("exists"))
        .expect("planned")
        .start;
    assert!(after <= before, "J0/1 started at {before}, now {after}");
}

/// `improve` starts from a given plan (here a poor one: the shop's
/// machines in reverse job order) and never returns a worse or invalid one.
#[test]
fn improve_searches_on_from_a_plan_and_never_returns_worse() {
    let (model, good) = solved_shop();
    // The jobs' dispatch in reverse order, as the repair decodes it.
    let mut poor = good.clone();
    for s in &mut poor.ops {
        s.start = -s.start;
        s.end = -s.end;
    }
    let poor = reschedule(&model, &poor, &model).expect("schedulable");
    assert_eq!(validate(&model, &poor), vec![]);
    let better =
        mes_scheduler::improve(&model, &poor, std::time::Duration::from_millis(200), 1).expect("schedulable");
    assert_eq!(validate(&model, &better), vec![]);
    assert!(better.cost(&model) <= poor.cost(&model));
    let again =
        mes_scheduler::improve(&model, &good, std::time::Duration::from_millis(50), 1).expect("schedulable");
    assert!(again.cost(&model) <= good.cost(&model));
}
