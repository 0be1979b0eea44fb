//! Property tests: on random instances (alternatives, calendars, down windows,
//! setup matrices, release times, pinned operations, cross-order arcs) the
//! solver's plans always pass the validator, are reproducible for a seed, and
//! rescheduling after a machine-down window keeps everything before the window.

mod common;

use mes_scheduler::{Alternative, Interval, Operation, Order, SolveOptions, reschedule, solve, validate};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn solver_plans_pass_the_validator(spec in common::instance(), seed in 0u64..4) {
        let model = common::build(&spec);
        let solution = solve(&model, &SolveOptions::deterministic(seed, 150)).expect("instance is schedulable");
        prop_assert_eq!(validate(&model, &solution.plan), vec![]);
        prop_assert_eq!(solution.plan.cost(&model), solution.cost);
        prop_assert!(solution.cost <= solution.construction_cost);
    }

    #[test]
    fn same_seed_gives_the_same_plan(spec in common::instance(), seed in any::<u64>()) {
        let model = common::build(&spec);
        let options = SolveOptions { threads: 2, ..SolveOptions::deterministic(seed, 100) };
        let first = solve(&model, &options).expect("instance is schedulable");
        let second = solve(&model, &options).expect("instance is schedulable");
        prop_assert_eq!(first, second);
    }

    #[test]
    fn down_window_moves_only_what_ends_after_it_starts(
        spec in common::instance(),
        machine in 0usize..4,
        start in 0i64..400,
        len in 1i64..200,
    ) {
        let model = common::build(&spec);
        let previous = solve(&model, &SolveOptions::deterministic(1, 100)).expect("instance is schedulable");
        let mut changed = model.to_builder();
        let machine = model.machine_ids().nth(machine % model.machines().len()).expect("machine exists");
        let down = Interval::new(start, start + len);
        let m = changed.machine_mut(machine).expect("machine exists");
        m.calendar = m.calendar.without(down);
        let changed = changed.build().expect("still a valid model");
        let plan = reschedule(&model, &previous.plan, &changed).expect("still schedulable");
        prop_assert_eq!(validate(&changed, &plan), vec![]);
        for (old, new) in previous.plan.ops.iter().zip(&plan.ops) {
            prop_assert_eq!(old.op, new.op);
            prop_assert_eq!(old.machine, new.machine);
            if (old.start, old.end) != (new.start, new.end) {
                prop_assert!(old.end > down.start, "{:?} moved to {:?} though it ended before {:?}", old, new, down);
                prop_assert!(new.start >= old.start, "{:?} moved earlier to {:?}", old, new);
            }
        }
    }

    #[test]
    fn rush_order_keeps_the_previous_machine_orders(spec in common::instance(), due in 0i64..300) {
        let model = common::build(&spec);
        let previous = solve(&model, &SolveOptions::deterministic(2, 100)).expect("instance is schedulable");
        let mut changed = model.to_builder();
        let rush = changed.add_order(Order::new("RUSH").due(due).weight(50));
        let alts: Vec<_> = model.machine_ids().map(Alternative::nominal).collect();
        let a = changed.add_operation(Operation::new("RUSH/0", rush, 5, 15, alts.clone()));
        let b = changed.add_operation(Operation::new("RUSH/1", rush, 0, 10, alts));
        changed.add_precedence(a, b);
        let changed = changed.build().expect("still a valid model");
        let plan = reschedule(&model, &previous.plan, &changed).expect("still schedulable");
        prop_assert_eq!(validate(&changed, &plan), vec![]);
        for m in model.machine_ids() {
            let before: Vec<_> = previous.plan.machine_sequence(m).iter().map(|s| s.op).collect();
            let after: Vec<_> =
                plan.machine_sequence(m).iter().map(|s| s.op).filter(|op| *op != a && *op != b).collect();
            prop_assert_eq!(before, after);
        }
    }
}
