//! How stable a re-plan was (issue 17, item 3: "the stability of the
//! reschedule visible"): of the operations both plans hold, how many kept
//! their machine and their start within a tolerance, how many changed
//! machine, and how far starts shifted. A floor trusts a plan that does not
//! reshuffle what was already sent to the stations. Pure.

use super::consequences::places;
use mes_scheduler::{Model, Plan};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A start that shifted by at most this many minutes (either way) counts
/// as kept: a re-plan minutes later moves unstarted work by the time that
/// passed, which nobody on the floor notices.
pub const STABLE_WITHIN_MINUTES: i64 = 15;

/// The stability of one plan against the one it replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Stability {
    /// Operations both plans hold.
    pub compared: usize,
    /// Of those, on the same machine and starting within
    /// [`STABLE_WITHIN_MINUTES`] of where they were.
    pub kept: usize,
    /// Of those, on another machine.
    pub machine_changes: usize,
    /// Mean absolute start shift over the compared operations, minutes.
    pub mean_shift_minutes: i64,
    /// Largest absolute start shift, minutes.
    pub max_shift_minutes: i64,
    /// `kept` / `compared` in whole percent (100 when nothing compares).
    pub percent: u32,
    /// Operations only the later plan holds (new orders, released work).
    pub added: usize,
    /// Operations only the earlier plan holds (finished or left out).
    pub removed: usize,
    /// The tolerance `kept` was counted with, minutes.
    pub tolerance_minutes: i64,
}

/// The stability of `after` against `before`.
pub fn stability(before: (&Model, &Plan), after: (&Model, &Plan)) -> Stability {
    let was = places(before.0, before.1);
    let now = places(after.0, after.1);
    let mut out = Stability {
        tolerance_minutes: STABLE_WITHIN_MINUTES,
        ..Stability::default()
    };
    let mut total_shift: i64 = 0;
    for (op, (machine, start, _)) in &now {
        let Some((m0, s0, _)) = was.get(op) else {
            out.added += 1;
            continue;
        };
        out.compared += 1;
        let shift = (start - s0).abs();
        total_shift = total_shift.saturating_add(shift);
        out.max_shift_minutes = out.max_shift_minutes.max(shift);
        if m0 != machine {
            out.machine_changes += 1;
        } else if shift <= STABLE_WITHIN_MINUTES {
            out.kept += 1;
        }
    }
    out.removed = was.keys().filter(|op| !now.contains_key(*op)).count();
    let compared = i64::try_from(out.compared).unwrap_or(i64::MAX);
    out.mean_shift_minutes = if compared == 0 {
        0
    } else {
        (total_shift + compared / 2) / compared
    };
    out.percent = (out.kept * 100)
        .checked_div(out.compared)
        .map_or(100, |p| u32::try_from(p).unwrap_or(100));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mes_scheduler::{
        Alternative, Calendar, Machine, MachineId, ModelBuilder, OpId, Operation, Order, ScheduledOp,
    };

    /// Operations `O/0..n` of one order, each of one hour, on M1 or M2.
    fn model(n: usize) -> (Model, Vec<OpId>, [MachineId; 2]) {
        let mut b = ModelBuilder::new();
        let m1 = b.add_machine(Machine::new("M1", Calendar::always()));
        let m2 = b.add_machine(Machine::new("M2", Calendar::always()));
        let order = b.add_order(Order::new("O"));
        let ops = (0..n)
            .map(|i| {
                b.add_operation(Operation::new(
                    format!("O/{i}"),
                    order,
                    0,
                    60,
                    vec![Alternative::nominal(m1), Alternative::nominal(m2)],
                ))
            })
            .collect();
        (b.build().expect("a valid model"), ops, [m1, m2])
    }

    /// A plan placing op `i` on machine `places[i].0` at `places[i].1`.
    fn plan(machines: [MachineId; 2], ops: &[OpId], places: &[(usize, i64)]) -> Plan {
        Plan {
            ops: places
                .iter()
                .zip(ops)
                .map(|((m, start), op)| ScheduledOp {
                    op: *op,
                    machine: machines[*m],
                    start: *start,
                    end: start + 60,
                    setup: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn kept_machine_changes_and_shifts_are_counted() {
        let (m, ops, ms) = model(4);
        let before = plan(ms, &ops, &[(0, 0), (0, 60), (1, 0), (1, 60)]);
        // O/0 shifts by 10 (kept), O/1 by 45 (moved), O/2 changes machine,
        // O/3 stays.
        let after = plan(ms, &ops, &[(0, 10), (0, 105), (0, 200), (1, 60)]);
        let s = stability((&m, &before), (&m, &after));
        assert_eq!(
            (
                s.compared,
                s.kept,
                s.machine_changes,
                s.max_shift_minutes,
                s.percent
            ),
            (4, 2, 1, 200, 50)
        );
        assert_eq!(s.mean_shift_minutes, (10 + 45 + 200 + 2) / 4);
        assert_eq!((s.added, s.removed), (0, 0));
    }

    #[test]
    fn added_and_removed_operations_are_not_compared() {
        let (m, ops, ms) = model(3);
        let before = plan(ms, &ops[..2], &[(0, 0), (0, 60)]);
        let after = plan(ms, &ops[1..], &[(0, 60), (1, 0)]);
        let s = stability((&m, &before), (&m, &after));
        assert_eq!(
            (s.compared, s.kept, s.added, s.removed, s.percent),
            (1, 1, 1, 1, 100)
        );
        let same = stability((&m, &before), (&m, &before));
        assert_eq!((same.percent, same.mean_shift_minutes), (100, 0));
    }
}
