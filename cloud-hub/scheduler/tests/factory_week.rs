//! Acceptance test of the scheduling issue: a prepared factory week (two
//! shifts, a holiday, a maintenance window, a rush order) yields a valid plan
//! whose late orders and completion times match hand-checked expectations.
//!
//! The week is described in `week/mod.rs`. Why the optimum is forced
//! (objective: weighted tardiness, then makespan), by hand:
//!
//! Monday, the mill. PO-101 (weight 2, due 11:00) can only be on time if
//! PO-101/10 runs first on SAW-1, 06:00–08:00 (on SAW-2 it would take
//! 120 × 100/80 = 150 min and PO-101/20 would end 11:30), and PO-101/20 mills
//! 08:00–11:00. PO-103 (due 20:00) then needs its cut done by 11:00: SAW-1 is
//! busy until 08:00 (08:00 + 240 = 12:00, too late), so PO-103/10 goes to the
//! slower SAW-2, 06:00 + 240 × 100/80 = 300 min = 11:00 exactly. PO-103/20 mills
//! 11:00–19:00 and PO-103/30 cuts on SAW-1 19:00–20:00 (SAW-2: 75 min, 20:15,
//! late). That leaves the mill 19:00–22:00 = 180 min on Monday, too short for
//! the unsplittable 240-min PO-102/20; it runs Tuesday 06:00–10:00.
//! PO-102 is late: Tue 10:00 − Mon 22:00 = 2040 − 1320 = 720 min.
//! Any other Monday order costs more: PO-102/20 before PO-103/20 pushes the
//! 480-min PO-103/20 to 15:00–23:00, past the shift, so to Tuesday, where it
//! collides with the rush order (see below) and ends PO-103 on Thursday.
//!
//! Tuesday, the rush order PO-107 (weight 100, released 10:00, due 14:00):
//! PO-107/10 on SAW-1 10:00–11:00 (SAW-2: 75 min, 11:15, 15 min × 100 late),
//! PO-107/20 on the mill 11:00–14:00 (30 setup + 150 run): exactly on time.
//!
//! Tuesday afternoon to Thursday, PO-104/20 (60 + 600 = 660 min, splittable)
//! follows on the mill at 14:00: Tue 14:00–22:00 = 480, (Wednesday holiday),
//! Thu 06:00–08:00 = 120, (maintenance 08:00–12:00), Thu 12:00–13:00 = 60:
//! 660 min, ends Thu 13:00 = 3·1440 + 780 = 5100, its due date exactly.
//! PO-105/20 (30 + 210 = 240, unsplittable) follows 13:00–17:00 and
//! PO-105/30 cuts on SAW-1 17:00–18:30 (SAW-2: 113 min, late): PO-105 ends
//! Thu 18:30 = 5430, its due date exactly. Swapping PO-105/20 before PO-104/20
//! would make PO-104 late by 240 min; neither fits anywhere earlier on the mill.
//!
//! So: weighted tardiness 720 (PO-102 only), makespan Thu 18:30 = 5430.
//! The band-saw cuts of PO-102, PO-104 and PO-105 (SAW-2 from Monday 11:00,
//! 150 + 300 + 150 min, ending by 21:00) have slack: any order of them is
//! optimal, so the test checks only that they are on SAW-2 and valid.
//! An exhaustive enumeration of all semi-active schedules of this week (run
//! once while writing this test) confirmed it: 6 optimal schedules, differing
//! only in the order of those three cuts.

mod week;

use mes_scheduler::{Cost, Interval, SolveOptions, solve, validate};
use week::{HOLIDAY, MAINTENANCE, MON, THU, TUE, allowed_minutes, at, completion, entry, factory_week, hm};

#[test]
fn factory_week_plan_meets_hand_checked_completions_and_late_orders() {
    let week = factory_week();
    let model = &week.model;
    let solution = solve(model, &SolveOptions::deterministic(11, 500)).expect("the week is schedulable");
    let plan = &solution.plan;

    assert_eq!(validate(model, plan), vec![], "the plan breaks no constraint");

    // Setups: 60 (PO-104/20) + 30 (PO-105/20) + 30 (PO-107/20), no matrix.
    assert_eq!(
        solution.cost,
        Cost {
            weighted_tardiness: 720,
            makespan: at(THU, 18, 30),
            setup: 120,
        }
    );
    assert_eq!(plan.cost(model), solution.cost);

    let expected_completion = [
        ("PO-101", at(MON, 11, 0)),  // 660
        ("PO-102", at(TUE, 10, 0)),  // 2040, due 1320: 720 min late
        ("PO-103", at(MON, 20, 0)),  // 1200
        ("PO-104", at(THU, 13, 0)),  // 5100
        ("PO-105", at(THU, 18, 30)), // 5430
        ("PO-107", at(TUE, 14, 0)),  // 2280
    ];
    for (order, done) in expected_completion {
        let actual = completion(model, plan, order);
        assert_eq!(
            actual,
            done,
            "{order} completes at {}, expected {}",
            hm(actual),
            hm(done)
        );
    }

    let late: Vec<&str> = model
        .orders()
        .iter()
        .filter(|o| completion(model, plan, &o.name) > o.due.expect("every order of the week has a due date"))
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(
        late,
        ["PO-102"],
        "only PO-102 is late; the rush order PO-107 is on time"
    );

    // The forced operations, exactly (machine, start, end).
    let (saw1, saw2, mill) = (week.saw1, week.saw2, week.mill);
    let expected = [
        ("PO-101/10", saw1, at(MON, 6, 0), at(MON, 8, 0)),
        ("PO-101/20", mill, at(MON, 8, 0), at(MON, 11, 0)),
        ("PO-103/10", saw2, at(MON, 6, 0), at(MON, 11, 0)), // 240 × 100/80 = 300
        ("PO-103/20", mill, at(MON, 11, 0), at(MON, 19, 0)),
        ("PO-103/30", saw1, at(MON, 19, 0), at(MON, 20, 0)),
        ("PO-102/20", mill, at(TUE, 6, 0), at(TUE, 10, 0)),
        ("PO-107/10", saw1, at(TUE, 10, 0), at(TUE, 11, 0)),
        ("PO-107/20", mill, at(TUE, 11, 0), at(TUE, 14, 0)),
        ("PO-104/20", mill, at(TUE, 14, 0), at(THU, 13, 0)), // split over night, holiday, maintenance
        ("PO-105/20", mill, at(THU, 13, 0), at(THU, 17, 0)),
        ("PO-105/30", saw1, at(THU, 17, 0), at(THU, 18, 30)),
    ];
    for (name, machine, start, end) in expected {
        let s = entry(model, plan, name);
        assert_eq!(
            (s.machine, s.start, s.end),
            (machine, start, end),
            "{name} runs {}–{} on {:?}",
            hm(s.start),
            hm(s.end),
            s.machine
        );
    }
    for name in ["PO-102/10", "PO-104/10", "PO-105/10"] {
        let s = entry(model, plan, name);
        assert_eq!(s.machine, saw2, "{name} is cut on the band saw");
        assert!(
            s.start >= at(MON, 11, 0) && s.end <= at(MON, 21, 0),
            "{name} at {}",
            hm(s.start)
        );
    }

    // Independently of the crate's calendar code: every operation works only
    // inside shifts, never on the holiday, never in the mill's maintenance.
    for s in &plan.ops {
        let op = &model.operations()[s.op.index()];
        let work = op.setup
            + model
                .run_on(s.op, s.machine)
                .expect("planned on an allowed machine");
        let span = Interval::new(s.start, s.end);
        let is_mill = s.machine == mill;
        let working_minute = |t: i64| allowed_minutes(Interval::new(t, t + 1), is_mill) == 1;
        assert!(working_minute(s.start), "{} starts outside working time", op.name);
        assert!(working_minute(s.end - 1), "{} ends outside working time", op.name);
        if op.splittable {
            assert_eq!(
                allowed_minutes(span, is_mill),
                work,
                "{} works only in shifts",
                op.name
            );
        } else {
            assert_eq!(s.end - s.start, work, "{} runs without a break", op.name);
            assert_eq!(
                allowed_minutes(span, is_mill),
                work,
                "{} runs inside one shift block",
                op.name
            );
        }
        assert!(
            !span.overlaps(&HOLIDAY) || op.splittable,
            "{} runs on the holiday",
            op.name
        );
        assert!(
            !(is_mill && span.overlaps(&MAINTENANCE)) || op.splittable,
            "{} in maintenance",
            op.name
        );
    }
    // PO-104/20 spans Tue 14:00 – Thu 13:00 = 5100 − 2280 = 2820 min, but works only its 660:
    // the night, the holiday and the maintenance window are breaks in its span.
    let split = entry(model, plan, "PO-104/20");
    assert_eq!(split.end - split.start, 2820);
    assert_eq!(allowed_minutes(Interval::new(split.start, split.end), true), 660);
}
