//! The validator catches each kind of broken plan with the right violation.

use mes_scheduler::{
    Alternative, Calendar, Interval, Machine, MachineId, Model, ModelBuilder, OpId, Operation, Order, Pin,
    Plan, ScheduledOp, SetupFamily, SetupMatrix, Violation, validate,
};

/// A small shop: a mill working [0,100) and [200,300) then open from 400,
/// two lathes (the second twice as fast), and one order.
struct Shop {
    model: Model,
    mill: MachineId,
    lathe: MachineId,
    lathe2: MachineId,
    /// Mill, 10 min.
    a: OpId,
    /// Lathe or fast lathe, 20 min nominal, after `a`.
    b: OpId,
    /// Lathe only, 5 min, not before 50.
    c: OpId,
    /// Mill, 20 min, splittable across breaks.
    e: OpId,
}

fn shop() -> Shop {
    let mut builder = ModelBuilder::new();
    let shifts = Calendar::from_intervals([Interval::new(0, 100), Interval::new(200, 300)])
        .expect("valid shifts")
        .with_open_end(400);
    let mill = builder.add_machine(Machine::new("mill", shifts));
    let lathe = builder.add_machine(Machine::new("lathe", Calendar::always()));
    let lathe2 = builder.add_machine(Machine::new("lathe2", Calendar::always()));
    let order = builder.add_order(Order::new("PO-1").due(500));
    let a = builder.add_operation(Operation::new(
        "a",
        order,
        0,
        10,
        vec![Alternative::nominal(mill)],
    ));
    let b_alts = vec![Alternative::nominal(lathe), Alternative::with_speed(lathe2, 200)];
    let b = builder.add_operation(Operation::new("b", order, 0, 20, b_alts));
    let mut c_op = Operation::new("c", order, 0, 5, vec![Alternative::nominal(lathe)]);
    c_op.earliest_start = 50;
    let c = builder.add_operation(c_op);
    let mut e_op = Operation::new("e", order, 0, 20, vec![Alternative::nominal(mill)]);
    e_op.splittable = true;
    let e = builder.add_operation(e_op);
    builder.add_precedence(a, b);
    let model = builder.build().expect("valid model");
    Shop {
        model,
        mill,
        lathe,
        lathe2,
        a,
        b,
        c,
        e,
    }
}

fn entry(op: OpId, machine: MachineId, start: i64, end: i64) -> ScheduledOp {
    ScheduledOp {
        op,
        machine,
        start,
        end,
        setup: 0,
    }
}

/// A valid plan: a [0,10) and e [10,30) on the mill, b [10,30) and c [50,55) on the lathe.
fn valid_plan(s: &Shop) -> Plan {
    Plan {
        ops: vec![
            entry(s.a, s.mill, 0, 10),
            entry(s.b, s.lathe, 10, 30),
            entry(s.c, s.lathe, 50, 55),
            entry(s.e, s.mill, 10, 30),
        ],
    }
}

fn with(plan: &Plan, replaced: ScheduledOp) -> Plan {
    let mut plan = plan.clone();
    for s in &mut plan.ops {
        if s.op == replaced.op {
            *s = replaced;
        }
    }
    plan
}

#[test]
fn hand_made_valid_plan_passes() {
    let s = shop();
    assert_eq!(validate(&s.model, &valid_plan(&s)), vec![]);
}

#[test]
fn overlap_on_a_machine_is_caught() {
    let s = shop();
    let plan = with(&valid_plan(&s), entry(s.b, s.lathe, 40, 60));
    let expected = Violation::Overlap {
        first: "b".into(),
        second: "c".into(),
        machine: "lathe".into(),
    };
    assert_eq!(validate(&s.model, &plan), vec![expected]);
}

#[test]
fn successor_starting_before_predecessor_ends_is_caught() {
    let s = shop();
    let plan = with(&valid_plan(&s), entry(s.b, s.lathe, 5, 25));
    assert_eq!(
        validate(&s.model, &plan),
        vec![Violation::Precedence {
            before: "a".into(),
            after: "b".into()
        }]
    );
}

#[test]
fn unsplittable_operation_across_a_break_is_caught() {
    let s = shop();
    let plan = Plan {
        ops: vec![
            entry(s.a, s.mill, 95, 105),
            entry(s.b, s.lathe, 105, 125),
            entry(s.c, s.lathe, 130, 135),
            entry(s.e, s.mill, 10, 30),
        ],
    };
    let expected = Violation::OutsideCalendar {
        op: "a".into(),
        machine: "mill".into(),
    };
    assert_eq!(validate(&s.model, &plan), vec![expected]);
}

#[test]
fn splittable_operation_must_wait_through_the_break() {
    let s = shop();
    let across = with(&valid_plan(&s), entry(s.e, s.mill, 90, 210));
    assert_eq!(validate(&s.model, &across), vec![]);
    let squeezed = with(&valid_plan(&s), entry(s.e, s.mill, 90, 110));
    let expected = Violation::WrongDuration {
        op: "e".into(),
        expected: 120,
        actual: 20,
    };
    assert_eq!(validate(&s.model, &squeezed), vec![expected]);
    let in_break = with(&valid_plan(&s), entry(s.e, s.mill, 150, 170));
    let expected = Violation::OutsideCalendar {
        op: "e".into(),
        machine: "mill".into(),
    };
    assert_eq!(validate(&s.model, &in_break), vec![expected]);
}

#[test]
fn machine_of_another_type_is_caught() {
    let s = shop();
    let plan = with(&valid_plan(&s), entry(s.c, s.mill, 50, 55));
    let expected = Violation::MachineNotAllowed {
        op: "c".into(),
        machine: "mill".into(),
    };
    assert_eq!(validate(&s.model, &plan), vec![expected]);
}

#[test]
fn machine_of_the_right_type_but_not_allowed_is_caught() {
    let s = shop();
    let plan = with(&valid_plan(&s), entry(s.c, s.lathe2, 50, 55));
    let expected = Violation::MachineNotAllowed {
        op: "c".into(),
        machine: "lathe2".into(),
    };
    assert_eq!(validate(&s.model, &plan), vec![expected]);
}

#[test]
fn duration_ignoring_the_speed_factor_is_caught() {
    let s = shop();
    let nominal_time = with(&valid_plan(&s), entry(s.b, s.lathe2, 10, 30));
    let expected = Violation::WrongDuration {
        op: "b".into(),
        expected: 10,
        actual: 20,
    };
    assert_eq!(validate(&s.model, &nominal_time), vec![expected]);
    let fast = with(&valid_plan(&s), entry(s.b, s.lathe2, 10, 20));
    assert_eq!(validate(&s.model, &fast), vec![]);
}

#[test]
fn start_before_release_is_caught() {
    let s = shop();
    let plan = with(&valid_plan(&s), entry(s.c, s.lathe, 40, 45));
    let expected = Violation::BeforeEarliestStart {
        op: "c".into(),
        earliest: 50,
        start: 40,
    };
    assert_eq!(validate(&s.model, &plan), vec![expected]);
}

#[test]
fn missing_and_duplicated_operations_are_caught() {
    let s = shop();
    let mut plan = valid_plan(&s);
    plan.ops.retain(|e| e.op != s.c);
    plan.ops.push(entry(s.e, s.mill, 10, 30));
    let violations = validate(&s.model, &plan);
    assert!(
        violations.contains(&Violation::Missing { op: "c".into() }),
        "{violations:?}"
    );
    assert!(
        violations.contains(&Violation::Duplicate { op: "e".into() }),
        "{violations:?}"
    );
}

#[test]
fn moved_pinned_operation_is_caught() {
    let mut builder = ModelBuilder::new();
    let m = builder.add_machine(Machine::new("press", Calendar::always()));
    let order = builder.add_order(Order::new("PO-9"));
    let mut op = Operation::new("running", order, 0, 30, vec![Alternative::nominal(m)]);
    op.pin = Some(Pin {
        machine: m,
        start: -10,
    });
    let id = builder.add_operation(op);
    let model = builder.build().expect("valid model");
    let kept = Plan {
        ops: vec![entry(id, m, -10, 20)],
    };
    assert_eq!(validate(&model, &kept), vec![]);
    let moved = Plan {
        ops: vec![entry(id, m, 0, 30)],
    };
    assert_eq!(
        validate(&model, &moved),
        vec![Violation::PinnedMoved { op: "running".into() }]
    );
}

#[test]
fn setup_that_ignores_the_changeover_matrix_is_caught() {
    let (red, blue) = (SetupFamily(1), SetupFamily(2));
    let mut builder = ModelBuilder::new();
    let mut machine = Machine::new("paint", Calendar::always());
    machine.setup_matrix = Some(SetupMatrix::new().with(red, blue, 15).with(red, red, 0));
    machine.initial_family = Some(red);
    let m = builder.add_machine(machine);
    let order = builder.add_order(Order::new("PO-2"));
    let mut first = Operation::new("red", order, 5, 10, vec![Alternative::nominal(m)]);
    first.family = Some(red);
    let mut second = Operation::new("blue", order, 5, 10, vec![Alternative::nominal(m)]);
    second.family = Some(blue);
    let (r, b) = (builder.add_operation(first), builder.add_operation(second));
    let model = builder.build().expect("valid model");
    let good = Plan {
        ops: vec![
            ScheduledOp {
                op: r,
                machine: m,
                start: 0,
                end: 10,
                setup: 0,
            },
            ScheduledOp {
                op: b,
                machine: m,
                start: 10,
                end: 35,
                setup: 15,
            },
        ],
    };
    assert_eq!(validate(&model, &good), vec![]);
    let mut bad = good.clone();
    bad.ops[1] = ScheduledOp {
        op: b,
        machine: m,
        start: 10,
        end: 25,
        setup: 5,
    };
    let expected = vec![
        Violation::WrongSetup {
            op: "blue".into(),
            expected: 15,
            actual: 5,
        },
        Violation::WrongDuration {
            op: "blue".into(),
            expected: 25,
            actual: 15,
        },
    ];
    assert_eq!(validate(&model, &bad), expected);
}
