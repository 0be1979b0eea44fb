//! The solver's behaviour on small hand-made models: optimum on ft06, the
//! lexicographic objective, alternatives, setups, pins and bad input.

use mes_scheduler::jssp::JobShop;
use mes_scheduler::{
    Alternative, Calendar, Interval, Machine, ModelBuilder, Operation, Order, Pin, SetupFamily, SetupMatrix,
    SolveError, SolveOptions, solve, validate,
};

/// Fisher & Thompson's 6x6 instance, optimum 55.
const FT06: &str = "# ft06: 6 jobs x 6 machines; optimum=55
6 6
2 1 0 3 1 6 3 7 5 3 4 6
1 8 2 5 4 10 5 10 0 10 3 4
2 5 3 4 5 8 0 9 1 1 4 7
1 5 0 5 2 5 3 3 4 8 5 9
2 9 1 3 4 5 5 4 0 3 3 1
1 3 3 3 5 9 0 10 4 4 2 1
";

#[test]
fn ft06_is_solved_to_optimality() {
    let instance = JobShop::parse(FT06).expect("valid instance");
    let model = instance.to_model().expect("valid model");
    let solution = solve(&model, &SolveOptions::deterministic(1, 3_000)).expect("schedulable");
    assert_eq!(validate(&model, &solution.plan), vec![]);
    assert_eq!(solution.cost.makespan, 55);
}

#[test]
fn heavy_urgent_order_goes_first() {
    let mut b = ModelBuilder::new();
    let m = b.add_machine(Machine::new("press", Calendar::always()));
    let relaxed = b.add_order(Order::new("relaxed").due(100).weight(1));
    let urgent = b.add_order(Order::new("urgent").due(20).weight(10));
    let slow = b.add_operation(Operation::new(
        "relaxed/10",
        relaxed,
        0,
        30,
        vec![Alternative::nominal(m)],
    ));
    let fast = b.add_operation(Operation::new(
        "urgent/10",
        urgent,
        0,
        20,
        vec![Alternative::nominal(m)],
    ));
    let model = b.build().expect("valid model");
    let solution = solve(&model, &SolveOptions::deterministic(0, 100)).expect("schedulable");
    assert_eq!(solution.cost.weighted_tardiness, 0);
    assert_eq!(solution.plan.get(fast).map(|s| s.start), Some(0));
    assert_eq!(solution.plan.get(slow).map(|s| s.start), Some(20));
}

#[test]
fn faster_alternative_machine_is_used_when_it_helps() {
    let mut b = ModelBuilder::new();
    let old = b.add_machine(Machine::new("old lathe", Calendar::always()));
    let new = b.add_machine(Machine::new("new lathe", Calendar::always()));
    let order = b.add_order(Order::new("PO"));
    let alts = vec![Alternative::nominal(old), Alternative::with_speed(new, 200)];
    let ops: Vec<_> = (0..4)
        .map(|i| b.add_operation(Operation::new(format!("op{i}"), order, 0, 40, alts.clone())))
        .collect();
    let model = b.build().expect("valid model");
    let solution = solve(&model, &SolveOptions::deterministic(0, 200)).expect("schedulable");
    assert_eq!(validate(&model, &solution.plan), vec![]);
    // Best: three on the fast machine (3 x 20 = 60) and one on the old one (40).
    assert_eq!(solution.cost.makespan, 60);
    assert_eq!(ops.len(), solution.plan.ops.len());
}

#[test]
fn sequence_dependent_setups_group_families() {
    let (red, blue) = (SetupFamily(0), SetupFamily(1));
    let mut b = ModelBuilder::new();
    let mut machine = Machine::new("paint", Calendar::always());
    machine.setup_matrix = Some(
        SetupMatrix::new()
            .with(red, red, 0)
            .with(blue, blue, 0)
            .with(red, blue, 30)
            .with(blue, red, 30),
    );
    machine.initial_family = Some(red);
    let m = b.add_machine(machine);
    let order = b.add_order(Order::new("PO"));
    for i in 0..6 {
        let mut op = Operation::new(format!("coat{i}"), order, 30, 10, vec![Alternative::nominal(m)]);
        op.family = Some(if i % 2 == 0 { red } else { blue });
        b.add_operation(op);
    }
    let model = b.build().expect("valid model");
    let solution = solve(&model, &SolveOptions::deterministic(3, 500)).expect("schedulable");
    assert_eq!(validate(&model, &solution.plan), vec![]);
    assert_eq!(solution.cost.setup, 30, "one changeover from red to blue");
    assert_eq!(solution.cost.makespan, 90);
}

#[test]
fn pinned_operation_keeps_its_place_and_others_flow_around_it() {
    let mut b = ModelBuilder::new();
    let m = b.add_machine(Machine::new("mill", Calendar::always()));
    let order = b.add_order(Order::new("PO"));
    let mut running = Operation::new("running", order, 0, 30, vec![Alternative::nominal(m)]);
    running.pin = Some(Pin {
        machine: m,
        start: 20,
    });
    let running = b.add_operation(running);
    let waiting = b.add_operation(Operation::new(
        "waiting",
        order,
        0,
        25,
        vec![Alternative::nominal(m)],
    ));
    let model = b.build().expect("valid model");
    let solution = solve(&model, &SolveOptions::deterministic(0, 50)).expect("schedulable");
    assert_eq!(validate(&model, &solution.plan), vec![]);
    assert_eq!(
        solution.plan.get(running).map(|s| (s.start, s.end)),
        Some((20, 50))
    );
    assert_eq!(
        solution.plan.get(waiting).map(|s| s.start),
        Some(50),
        "25 min do not fit before minute 20"
    );
}

#[test]
fn operation_longer_than_every_shift_is_reported_by_name() {
    let mut b = ModelBuilder::new();
    let shifts = Calendar::from_intervals([Interval::new(0, 480), Interval::new(1440, 1920)]).expect("valid");
    let m = b.add_machine(Machine::new("oven", shifts));
    let order = b.add_order(Order::new("PO"));
    b.add_operation(Operation::new(
        "bake",
        order,
        0,
        600,
        vec![Alternative::nominal(m)],
    ));
    let model = b.build().expect("valid model");
    let err = solve(&model, &SolveOptions::deterministic(0, 10)).err();
    assert_eq!(err, Some(SolveError::Unschedulable { op: "bake".into() }));
}

#[test]
fn splittable_operation_runs_across_the_night() {
    let mut b = ModelBuilder::new();
    let shifts = Calendar::from_intervals([Interval::new(0, 480), Interval::new(1440, 1920)]).expect("valid");
    let m = b.add_machine(Machine::new("oven", shifts));
    let order = b.add_order(Order::new("PO"));
    let mut bake = Operation::new("bake", order, 0, 600, vec![Alternative::nominal(m)]);
    bake.splittable = true;
    let bake = b.add_operation(bake);
    let model = b.build().expect("valid model");
    let solution = solve(&model, &SolveOptions::deterministic(0, 10)).expect("schedulable");
    assert_eq!(validate(&model, &solution.plan), vec![]);
    assert_eq!(solution.plan.get(bake).map(|s| (s.start, s.end)), Some((0, 1560)));
}

/// A factory-sized model: 150 orders of 5 operations over 4 equipment types of
/// 3 machines each (different speeds), two-shift calendars with weekends, due
/// dates spread over two weeks.
fn factory() -> mes_scheduler::Model {
    let mut b = ModelBuilder::new();
    let day = 1440;
    let shifts: Vec<Interval> = (0..28)
        .filter(|d| d % 7 < 5)
        .map(|d| Interval::new(d * day + 360, d * day + 1320))
        .collect();
    let calendar = Calendar::from_intervals(shifts)
        .expect("valid shifts")
        .with_open_end(28 * day);
    let types: Vec<Vec<_>> = (0..4)
        .map(|t| {
            (0..3)
                .map(|k| b.add_machine(Machine::new(format!("T{t}-{k}"), calendar.clone())))
                .collect()
        })
        .collect();
    for o in 0..150i64 {
        let order = b.add_order(
            Order::new(format!("PO-{o}"))
                .due(day * (2 + o % 12))
                .weight(1 + o % 3),
        );
        let ops: Vec<_> = (0..5i64)
            .map(|k| {
                let t = ((o + k) % 4) as usize;
                let alts = types[t]
                    .iter()
                    .enumerate()
                    .map(|(i, m)| Alternative::with_speed(*m, 80 + 20 * i as u32))
                    .collect();
                let mut op =
                    Operation::new(format!("PO-{o}/{k}"), order, 15, 30 + (o * 7 + k * 13) % 90, alts);
                op.splittable = k % 2 == 0;
                op.earliest_start = (o % 10) * 60;
                b.add_operation(op)
            })
            .collect();
        b.add_chain(&ops);
    }
    b.build().expect("valid model")
}

#[test]
fn factory_sized_model_is_solved_validly_within_the_time_limit() {
    let model = factory();
    let options = SolveOptions {
        time_limit: Some(std::time::Duration::from_secs(2)),
        ..SolveOptions::default()
    };
    let started = std::time::Instant::now();
    let solution = solve(&model, &options).expect("schedulable");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(validate(&model, &solution.plan), vec![]);
    assert!(solution.cost <= solution.construction_cost);
    println!(
        "construction {:?} -> {:?} in {} iterations",
        solution.construction_cost, solution.cost, solution.iterations
    );
}
