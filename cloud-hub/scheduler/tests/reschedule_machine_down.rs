//! Acceptance test of the scheduling issue: after a machine-down event, only
//! operations on or after the affected machine move, and the plan stays valid.
//!
//! Both tests start from the solved factory week of `week/mod.rs` (its plan is
//! derived by hand in `factory_week.rs`) and apply a breakdown reported by the
//! floor at time `t` the way the hub does, following the rule documented in
//! `reschedule.rs`: the down window is cut out of the machine's calendar,
//! every operation that has started before `t` is pinned at its machine and
//! start, and the others may not start before `t`.
//!
//! "Depends on" below means reachable in the previous plan's disjunctive
//! graph: routing successors and the operations after it on its machine.
//! The rescheduler keeps machine assignments and sequences, so a delay
//! travels exactly along those arcs, and nothing else may move.

mod week;

use std::collections::BTreeSet;

use mes_scheduler::{
    Interval, MachineId, Model, OpId, Pin, Plan, ScheduledOp, SolveOptions, reschedule, solve, validate,
};
use week::{MON, THU, TUE, at, completion, entry, factory_week, hm};

/// The week's model and its optimal plan.
fn solved_week() -> (week::Week, Plan) {
    let week = factory_week();
    let solution =
        solve(&week.model, &SolveOptions::deterministic(11, 500)).expect("the week is schedulable");
    assert_eq!(validate(&week.model, &solution.plan), vec![]);
    assert_eq!(
        solution.cost.weighted_tardiness, 720,
        "the optimum of factory_week.rs"
    );
    (week, solution.plan)
}

/// The model after `machine` broke down for `down`, reported at `down.start`.
fn after_breakdown(model: &Model, plan: &Plan, machine: MachineId, down: Interval) -> Model {
    let t = down.start;
    let mut b = model.to_builder();
    let m = b.machine_mut(machine).expect("the machine exists");
    m.calendar = m.calendar.without(down);
    for s in &plan.ops {
        assert!(
            !(s.machine == machine && s.start < t && s.end > t),
            "these tests break machines while idle; an interrupted operation would need its remainder modelled"
        );
        let op = b.operation_mut(s.op).expect("the operation exists");
        if s.start < t {
            op.pin = Some(Pin {
                machine: s.machine,
                start: s.start,
            });
        } else {
            op.earliest_start = op.earliest_start.max(t);
        }
    }
    b.build().expect("the changed week is a valid model")
}

/// Operations that may move: those on `machine` ending after `t`, and
/// everything depending on them in the previous plan.
fn may_move(model: &Model, plan: &Plan, machine: MachineId, t: i64) -> BTreeSet<OpId> {
    let mut set: BTreeSet<OpId> = plan
        .ops
        .iter()
        .filter(|s| s.machine == machine && s.end > t)
        .map(|s| s.op)
        .collect();
    let mut stack: Vec<OpId> = set.iter().copied().collect();
    while let Some(op) = stack.pop() {
        let entry = *plan.get(op).expect("planned");
        let routing = model
            .precedences()
            .iter()
            .filter(|(a, _)| *a == op)
            .map(|(_, b)| *b);
        let on_machine = plan
            .machine_sequence(entry.machine)
            .into_iter()
            .filter(|s| s.start >= entry.end)
            .map(|s| s.op);
        for next in routing.chain(on_machine).collect::<Vec<_>>() {
            if set.insert(next) {
                stack.push(next);
            }
        }
    }
    set
}

/// The checks both scenarios share; returns the operations that moved.
fn check_repair(
    old_model: &Model,
    old: &Plan,
    new_model: &Model,
    new: &Plan,
    machine: MachineId,
    t: i64,
) -> BTreeSet<String> {
    assert_eq!(validate(new_model, new), vec![], "the repaired plan is valid");
    let movable = may_move(old_model, old, machine, t);
    let mut moved = BTreeSet::new();
    for before in &old.ops {
        let name = &old_model.operations()[before.op.index()].name;
        let after = entry(new_model, new, name);
        if (after.machine, after.start, after.end) != (before.machine, before.start, before.end) {
            moved.insert(name.clone());
            assert!(
                movable.contains(&before.op),
                "{name} does not depend on the broken machine, yet moved: {}–{} → {}–{}",
                hm(before.start),
                hm(before.end),
                hm(after.start),
                hm(after.end)
            );
            assert_eq!(after.machine, before.machine, "{name} keeps its machine");
            assert!(
                after.start >= before.start,
                "{name} moved earlier, to {}",
                hm(after.start)
            );
        }
    }
    // Nothing later than it must: each unpinned operation starts at the first
    // fit after its routing predecessors, its machine predecessor and `t`.
    for s in &new.ops {
        let op = &new_model.operations()[s.op.index()];
        if op.pin.is_some() {
            continue;
        }
        let preds = new_model.precedences().iter().filter(|(_, b)| *b == s.op);
        let ready = preds
            .map(|(a, _)| new.get(*a).expect("planned").end)
            .chain(machine_predecessor(new, s).map(|p| p.end))
            .fold(op.earliest_start, i64::max);
        let work = op.setup + new_model.run_on(s.op, s.machine).expect("allowed machine");
        let calendar = &new_model.machines()[s.machine.index()].calendar;
        let fit = calendar.earliest_fit(ready, work, op.splittable).expect("fits");
        assert_eq!(
            fit,
            Interval::new(s.start, s.end),
            "{} starts as early as it can",
            op.name
        );
    }
    moved
}

/// The operation that runs on `s`'s machine immediately before it.
fn machine_predecessor(plan: &Plan, s: &ScheduledOp) -> Option<ScheduledOp> {
    plan.machine_sequence(s.machine)
        .into_iter()
        .rfind(|p| p.end <= s.start && p.op != s.op)
}

#[test]
fn mill_breakdown_overnight_delays_only_the_mill_queue_and_its_routing_successors() {
    let (week, old) = solved_week();
    // The mill's spindle fails Monday 20:00; repair is promised for Tuesday 08:00.
    let down = Interval::new(at(MON, 20, 0), at(TUE, 8, 0)); // [1200, 1920)
    let new_model = after_breakdown(&week.model, &old, week.mill, down);

    let new = reschedule(&week.model, &old, &new_model).expect("the week is still schedulable");

    let moved = check_repair(&week.model, &old, &new_model, &new, week.mill, down.start);
    // By hand, the mill keeps its queue PO-102/20, PO-107/20, PO-104/20, PO-105/20:
    // - PO-102/20 (240): waits for the repair, Tue 08:00–12:00 (1920–2160);
    // - PO-107/20 (180): after it, Tue 12:00–15:00 (2160–2340); its cut
    //   PO-107/10 on SAW-1 stays Tue 10:00–11:00 (it depends on no mill work);
    // - PO-104/20 (660, splittable): Tue 15:00–22:00 = 420, Thu 06:00–08:00 =
    //   120, Thu 12:00–14:00 = 120 → ends Thu 14:00 (5160);
    // - PO-105/20 (240): Thu 14:00–18:00 (5160–5400);
    // - PO-105/30 on SAW-1 (its routing successor): Thu 18:00–19:30 (5400–5490).
    let expected = [
        ("PO-102/20", week.mill, at(TUE, 8, 0), at(TUE, 12, 0)),
        ("PO-107/20", week.mill, at(TUE, 12, 0), at(TUE, 15, 0)),
        ("PO-104/20", week.mill, at(TUE, 15, 0), at(THU, 14, 0)),
        ("PO-105/20", week.mill, at(THU, 14, 0), at(THU, 18, 0)),
        ("PO-105/30", week.saw1, at(THU, 18, 0), at(THU, 19, 30)),
    ];
    for (name, machine, start, end) in expected {
        let s = entry(&new_model, &new, name);
        assert_eq!(
            (s.machine, s.start, s.end),
            (machine, start, end),
            "{name} at {}–{}",
            hm(s.start),
            hm(s.end)
        );
    }
    let names: BTreeSet<String> = expected.iter().map(|e| e.0.to_owned()).collect();
    assert_eq!(moved, names, "exactly these operations move");
    assert_eq!(
        entry(&new_model, &new, "PO-107/10"),
        entry(&week.model, &old, "PO-107/10")
    );

    // Lateness now: PO-102 2160 − 1320 = 840; PO-107 (2340 − 2280) × 100 =
    // 6000; PO-104 5160 − 5100 = 60; PO-105 5490 − 5430 = 60. Total 6960.
    assert_eq!(completion(&new_model, &new, "PO-107"), at(TUE, 15, 0));
    let cost = new.cost(&new_model);
    assert_eq!((cost.weighted_tardiness, cost.makespan), (6960, at(THU, 19, 30)));
}

#[test]
fn saw_breakdown_while_a_split_operation_runs_on_the_mill_moves_only_the_saw_work() {
    let (week, old) = solved_week();
    // SAW-1 breaks down Thursday 12:30 until 18:00. PO-104/20 has been running
    // on the mill since Tuesday 14:00, paused over the night, the holiday and
    // the maintenance window, and is in its last hour (Thu 12:00–13:00): it is
    // pinned and must still end Thu 13:00, so PO-105/20 keeps 13:00–17:00.
    let down = Interval::new(at(THU, 12, 30), at(THU, 18, 0)); // [4950, 5280)
    let new_model = after_breakdown(&week.model, &old, week.saw1, down);

    let new = reschedule(&week.model, &old, &new_model).expect("the week is still schedulable");

    let moved = check_repair(&week.model, &old, &new_model, &new, week.saw1, down.start);
    // PO-105/30 (90 min) needs PO-105/20 (done Thu 17:00 = 5340) and the saw
    // back (Thu 18:00 = 5400): Thu 18:00–19:30 = 5400–5490.
    let s = entry(&new_model, &new, "PO-105/30");
    assert_eq!(
        (s.machine, s.start, s.end),
        (week.saw1, at(THU, 18, 0), at(THU, 19, 30))
    );
    assert_eq!(
        moved,
        BTreeSet::from(["PO-105/30".to_owned()]),
        "only the saw work after 12:30 moves"
    );
    let split = entry(&new_model, &new, "PO-104/20");
    assert_eq!((split.start, split.end), (at(TUE, 14, 0), at(THU, 13, 0)));
    // Only PO-105 is later than before: 5490 − 5430 = 60 more minutes.
    assert_eq!(new.cost(&new_model).weighted_tardiness, 720 + 60);
}
