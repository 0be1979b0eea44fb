//! Random scheduling instances for property tests: a few machines with
//! shift calendars, down windows and setup matrices; a few orders whose
//! operations have alternative machines, release times, setup families and
//! sometimes a pinned first operation; and cross-order precedence arcs.

#![allow(dead_code)]

use mes_scheduler::{
    Alternative, Calendar, Interval, Machine, Model, ModelBuilder, OpId, Operation, Order, Pin, SetupFamily,
    SetupMatrix,
};
use proptest::prelude::*;

/// End of the generated shift pattern; machines are open for good afterwards.
pub const HORIZON: i64 = 1500;

/// One generated machine.
#[derive(Debug, Clone)]
pub struct MachineSpec {
    /// Shift period and working minutes per period; `None` means always open.
    pub shift: Option<(i64, i64)>,
    /// A down window `(start, length)`.
    pub down: Option<(i64, i64)>,
    /// Whether it has a setup matrix over families 0..3.
    pub matrix: bool,
}

/// One generated operation.
#[derive(Debug, Clone)]
pub struct OpSpec {
    pub setup: i64,
    pub run: i64,
    /// `(machine index, speed percent)`; duplicates are dropped.
    pub alts: Vec<(usize, u32)>,
    pub earliest: i64,
    pub splittable: bool,
    pub family: Option<u32>,
}

/// One generated order: a routing chain of operations.
#[derive(Debug, Clone)]
pub struct OrderSpec {
    pub due: Option<i64>,
    pub weight: i64,
    pub ops: Vec<OpSpec>,
    /// Whether its first operation is in progress.
    pub pin_first: bool,
}

/// One generated instance.
#[derive(Debug, Clone)]
pub struct InstanceSpec {
    pub machines: Vec<MachineSpec>,
    pub orders: Vec<OrderSpec>,
    /// Extra arcs between operations by global index (kept only when forward).
    pub cross: Vec<(usize, usize)>,
}

fn machine_spec() -> impl Strategy<Value = MachineSpec> {
    let shift = prop::option::of((30i64..=90).prop_flat_map(|p| (Just(p), p / 2..p)));
    (shift, prop::option::of((0i64..600, 5i64..120)), any::<bool>())
        .prop_map(|(shift, down, matrix)| MachineSpec { shift, down, matrix })
}

fn op_spec(machines: usize) -> impl Strategy<Value = OpSpec> {
    let alts = prop::collection::vec((0..machines, 50u32..=200), 1..=3);
    (
        0i64..=10,
        1i64..=30,
        alts,
        0i64..=200,
        any::<bool>(),
        prop::option::of(0u32..3),
    )
        .prop_map(|(setup, run, alts, earliest, splittable, family)| OpSpec {
            setup,
            run,
            alts,
            earliest,
            splittable,
            family,
        })
}

fn order_spec(machines: usize) -> impl Strategy<Value = OrderSpec> {
    let ops = prop::collection::vec(op_spec(machines), 1..=4);
    (
        prop::option::of(0i64..=400),
        0i64..=5,
        ops,
        prop::bool::weighted(0.3),
    )
        .prop_map(|(due, weight, ops, pin_first)| OrderSpec {
            due,
            weight,
            ops,
            pin_first,
        })
}

/// Small random instances (up to 4 machines, 4 orders, 16 operations).
pub fn instance() -> impl Strategy<Value = InstanceSpec> {
    (1usize..=4).prop_flat_map(|machines| {
        let ms = prop::collection::vec(machine_spec(), machines);
        let orders = prop::collection::vec(order_spec(machines), 1..=4);
        let cross = prop::collection::vec((0usize..16, 0usize..16), 0..4);
        (ms, orders, cross).prop_map(|(machines, orders, cross)| InstanceSpec {
            machines,
            orders,
            cross,
        })
    })
}

/// The calendar a machine spec describes.
pub fn calendar(spec: &MachineSpec) -> Calendar {
    let mut cal = match spec.shift {
        None => Calendar::always(),
        Some((period, work)) => {
            let shifts = (0..HORIZON / period).map(|k| Interval::new(k * period, k * period + work));
            Calendar::from_intervals(shifts)
                .expect("generated shifts are valid")
                .with_open_end(HORIZON)
        }
    };
    if let Some((start, len)) = spec.down {
        cal = cal.without(Interval::new(start, start + len));
    }
    cal
}

fn matrix() -> SetupMatrix {
    let mut m = SetupMatrix::new();
    for f in 0..3u32 {
        for g in 0..3u32 {
            let minutes = if f == g {
                0
            } else {
                i64::from((f * 7 + g * 3) % 11 + 1)
            };
            m = m.with(SetupFamily(f), SetupFamily(g), minutes);
        }
    }
    m
}

/// The model a spec describes.
pub fn build(spec: &InstanceSpec) -> Model {
    let mut b = ModelBuilder::new();
    let machines: Vec<_> = spec
        .machines
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut machine = Machine::new(format!("M{i}"), calendar(m));
            if m.matrix {
                machine.setup_matrix = Some(matrix());
                machine.initial_family = Some(SetupFamily(0));
            }
            b.add_machine(machine)
        })
        .collect();
    let mut all: Vec<OpId> = Vec::new();
    let mut pinned_until = vec![-40i64; machines.len()];
    for (j, order) in spec.orders.iter().enumerate() {
        let mut o = Order::new(format!("PO-{j}")).weight(order.weight);
        o.due = order.due;
        let oid = b.add_order(o);
        let mut chain = Vec::new();
        for (k, op) in order.ops.iter().enumerate() {
            let mut alts: Vec<Alternative> = Vec::new();
            for &(m, speed) in &op.alts {
                if !alts.iter().any(|a| a.machine == machines[m]) {
                    alts.push(Alternative::with_speed(machines[m], speed));
                }
            }
            let mut operation = Operation::new(format!("PO-{j}/{k}"), oid, op.setup, op.run, alts);
            operation.earliest_start = op.earliest;
            operation.splittable = op.splittable;
            operation.family = op.family.map(SetupFamily);
            if k == 0 && order.pin_first {
                let (m, speed) = op.alts[0];
                let speed = i64::from(speed);
                let start = pinned_until[m];
                let work = op.setup + (op.run * 100 + speed - 1) / speed;
                // The span the builder gives a pinned operation (see `Model::pinned_span`).
                let end = calendar(&spec.machines[m])
                    .earliest_fit(start, work, true)
                    .filter(|fit| op.splittable && fit.start == start)
                    .map_or(start + work, |fit| fit.end);
                pinned_until[m] = end + 3;
                operation.pin = Some(Pin {
                    machine: machines[m],
                    start,
                });
            }
            chain.push(b.add_operation(operation));
        }
        b.add_chain(&chain);
        all.extend(chain);
    }
    for &(u, v) in &spec.cross {
        let pinned_target = |i: usize| {
            let mut seen = 0;
            spec.orders.iter().any(|o| {
                let hit = i == seen && o.pin_first;
                seen += o.ops.len();
                hit
            })
        };
        if u < v && v < all.len() && !pinned_target(v) {
            b.add_precedence(all[u], all[v]);
        }
    }
    b.build().expect("generated instances are valid models")
}
