//! The prepared factory week shared by `factory_week.rs` and
//! `reschedule_machine_down.rs`: three machines, six orders, fourteen
//! operations, times in minutes from Monday 00:00.
//!
//! Calendar: two shifts a day, 06:00–14:00 and 14:00–22:00 (they touch, so
//! each working day is one interval 06:00–22:00), Monday, Tuesday, Thursday and
//! Friday; Wednesday is a public holiday. The mill has planned maintenance on
//! Thursday 08:00–12:00.
//!
//! Machines (two equipment types):
//! - saws: `SAW-1` (nominal speed) and `SAW-2`, the old band saw at 80 %
//!   (run time × 100/80). Only `SAW-2` takes the 200 mm bar of PO-102, PO-104
//!   and PO-105, so their cutting runs there alone.
//! - mill: `MILL`, the bottleneck.
//!
//! Orders (operation: equipment, setup + run minutes):
//!
//! | order  | weight | due         | routing                                             |
//! |--------|--------|-------------|-----------------------------------------------------|
//! | PO-101 | 2      | Mon 11:00   | /10 saw 0+120, /20 mill 0+180                       |
//! | PO-102 | 1      | Mon 22:00   | /10 band saw 0+120, /20 mill 0+240                  |
//! | PO-103 | 1      | Mon 20:00   | /10 saw 0+240, /20 mill 0+480, /30 saw 0+60         |
//! | PO-104 | 1      | Thu 13:00   | /10 band saw 0+240, /20 mill 60+600 (splittable)    |
//! | PO-105 | 1      | Thu 18:30   | /10 band saw 0+120, /20 mill 30+210, /30 saw 0+90   |
//! | PO-107 | 100    | Tue 14:00   | /10 saw 0+60, /20 mill 30+150; released Tue 10:00   |
//!
//! PO-107 is the rush order, released mid-week. Only PO-104/20 may be split
//! across breaks; every other operation must fit inside one working interval.

#![allow(dead_code)]

use mes_scheduler::{
    Alternative, Calendar, Interval, Machine, MachineId, Model, ModelBuilder, OpId, Operation, Order, Plan,
    ScheduledOp,
};

/// Minutes in a day.
pub const DAY: i64 = 24 * 60;
/// Day indexes from the horizon origin (Monday 00:00).
pub const MON: i64 = 0;
/// Tuesday.
pub const TUE: i64 = 1;
/// Wednesday: the holiday.
pub const WED: i64 = 2;
/// Thursday: the mill's maintenance day.
pub const THU: i64 = 3;
/// Friday.
pub const FRI: i64 = 4;

/// Minute of `day` at `hour:minute`.
pub const fn at(day: i64, hour: i64, minute: i64) -> i64 {
    day * DAY + hour * 60 + minute
}

/// Working days of the week (Wednesday is the holiday).
pub const WORKING_DAYS: [i64; 4] = [MON, TUE, THU, FRI];
/// The two shifts of a working day, as (start, end) minutes of the day.
pub const SHIFTS: [(i64, i64); 2] = [(6 * 60, 14 * 60), (14 * 60, 22 * 60)];
/// The mill's planned maintenance window.
pub const MAINTENANCE: Interval = Interval {
    start: at(THU, 8, 0),
    end: at(THU, 12, 0),
};
/// The whole holiday.
pub const HOLIDAY: Interval = Interval {
    start: at(WED, 0, 0),
    end: at(THU, 0, 0),
};

/// The shift calendar every machine starts from.
pub fn shift_calendar() -> Calendar {
    let shifts = WORKING_DAYS.iter().flat_map(|&day| {
        SHIFTS
            .iter()
            .map(move |&(from, to)| Interval::new(day * DAY + from, day * DAY + to))
    });
    Calendar::from_intervals(shifts).expect("shifts are non-empty and inside the time range")
}

/// The week's model and the ids a test needs.
pub struct Week {
    /// The model.
    pub model: Model,
    /// `SAW-1`, nominal speed.
    pub saw1: MachineId,
    /// `SAW-2`, the band saw at 80 %.
    pub saw2: MachineId,
    /// `MILL`, with maintenance on Thursday morning.
    pub mill: MachineId,
}

impl Week {
    /// The id of the operation named `name`.
    pub fn op(&self, name: &str) -> OpId {
        self.model
            .find_operation(name)
            .unwrap_or_else(|| panic!("the week has an operation {name}"))
    }
}

/// Equipment an operation may use.
#[derive(Clone, Copy)]
enum Kind {
    /// Either saw.
    Saw,
    /// Only the band saw (200 mm bar).
    BandSaw,
    /// The mill.
    Mill,
}

/// Builds the week.
pub fn factory_week() -> Week {
    let mut b = ModelBuilder::new();
    let saw1 = b.add_machine(Machine::new("SAW-1", shift_calendar()));
    let saw2 = b.add_machine(Machine::new("SAW-2", shift_calendar()));
    let mill = b.add_machine(Machine::new("MILL", shift_calendar().without(MAINTENANCE)));
    let alternatives = |kind: Kind| match kind {
        Kind::Saw => vec![Alternative::nominal(saw1), Alternative::with_speed(saw2, 80)],
        Kind::BandSaw => vec![Alternative::with_speed(saw2, 80)],
        Kind::Mill => vec![Alternative::nominal(mill)],
    };
    // (order, weight, due, release, [(kind, setup, run, splittable)])
    type Step = (Kind, i64, i64, bool);
    let orders: [(&str, i64, i64, i64, &[Step]); 6] = [
        (
            "PO-101",
            2,
            at(MON, 11, 0),
            0,
            &[(Kind::Saw, 0, 120, false), (Kind::Mill, 0, 180, false)],
        ),
        (
            "PO-102",
            1,
            at(MON, 22, 0),
            0,
            &[(Kind::BandSaw, 0, 120, false), (Kind::Mill, 0, 240, false)],
        ),
        (
            "PO-103",
            1,
            at(MON, 20, 0),
            0,
            &[
                (Kind::Saw, 0, 240, false),
                (Kind::Mill, 0, 480, false),
                (Kind::Saw, 0, 60, false),
            ],
        ),
        (
            "PO-104",
            1,
            at(THU, 13, 0),
            0,
            &[(Kind::BandSaw, 0, 240, false), (Kind::Mill, 60, 600, true)],
        ),
        (
            "PO-105",
            1,
            at(THU, 18, 30),
            0,
            &[
                (Kind::BandSaw, 0, 120, false),
                (Kind::Mill, 30, 210, false),
                (Kind::Saw, 0, 90, false),
            ],
        ),
        (
            "PO-107",
            100,
            at(TUE, 14, 0),
            at(TUE, 10, 0),
            &[(Kind::Saw, 0, 60, false), (Kind::Mill, 30, 150, false)],
        ),
    ];
    for (name, weight, due, release, steps) in orders {
        let order = b.add_order(Order::new(name).due(due).weight(weight));
        let mut routing = Vec::new();
        for (k, &(kind, setup, run, splittable)) in steps.iter().enumerate() {
            let mut op = Operation::new(
                format!("{name}/{}", (k + 1) * 10),
                order,
                setup,
                run,
                alternatives(kind),
            );
            op.splittable = splittable;
            op.earliest_start = release;
            routing.push(b.add_operation(op));
        }
        b.add_chain(&routing);
    }
    Week {
        model: b.build().expect("the factory week is a valid model"),
        saw1,
        saw2,
        mill,
    }
}

/// Completion (latest end) of the order named `order` in `plan`.
pub fn completion(model: &Model, plan: &Plan, order: &str) -> i64 {
    plan.ops
        .iter()
        .filter(|s| model.orders()[model.operations()[s.op.index()].order.index()].name == order)
        .map(|s| s.end)
        .max()
        .unwrap_or_else(|| panic!("order {order} has planned operations"))
}

/// The plan entry of the operation named `name`.
pub fn entry(model: &Model, plan: &Plan, name: &str) -> ScheduledOp {
    let op = model
        .find_operation(name)
        .unwrap_or_else(|| panic!("the model has an operation {name}"));
    *plan.get(op).unwrap_or_else(|| panic!("{name} is planned"))
}

/// The minutes of `span` during which `machine` may work by the week's rules,
/// restated here independently of the crate's calendar code: working days and
/// shifts, minus the mill's maintenance.
pub fn allowed_minutes(span: Interval, is_mill: bool) -> i64 {
    let mut total = 0;
    for &day in &WORKING_DAYS {
        for &(from, to) in &SHIFTS {
            let mut pieces = vec![Interval::new(day * DAY + from, day * DAY + to)];
            if is_mill {
                pieces = pieces
                    .into_iter()
                    .flat_map(|p| {
                        [
                            Interval::new(p.start, p.end.min(MAINTENANCE.start)),
                            Interval::new(p.start.max(MAINTENANCE.end), p.end),
                        ]
                    })
                    .collect();
            }
            for p in pieces {
                total += (span.end.min(p.end) - span.start.max(p.start)).max(0);
            }
        }
    }
    total
}

/// Human-readable `Mon 06:00` for assertion messages.
pub fn hm(t: i64) -> String {
    let day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][(t.div_euclid(DAY) % 7) as usize];
    format!("{day} {:02}:{:02}", t.rem_euclid(DAY) / 60, t.rem_euclid(60))
}
