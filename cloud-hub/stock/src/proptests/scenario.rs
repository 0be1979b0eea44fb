//! Generators for the stock property tests: random documents and events
//! over a small universe (two materials, three lots, two locations), their
//! arrival orders with replays, and a model of what they should post that
//! is computed from the inputs alone (not from the ledger).
use crate::test_support::{at, code};
use crate::*;
use mes_protocols::event::{EventHeader, MaterialConsumed, OperationRun, OutputReported};
use mes_protocols::{Code, Event, EventBody, EventId, ExecutionId, Quantity, Seq, Source, Timestamp};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use uuid::Uuid;

/// (material, base unit, scale, alternative unit, factor).
pub(super) const MATERIALS: [(&str, &str, u32, &str, i64, u32); 2] =
    [("steel", "kg", 3, "g", 1, 3), ("bolt", "pcs", 0, "box", 12, 0)];
pub(super) const LOTS: [Option<&str>; 3] = [None, Some("L1"), Some("L2")];
pub(super) const LOCATIONS: [&str; 2] = ["A", "B"];
pub(super) const STATIONS: [&str; 2] = ["S1", "S2"];
pub(super) const ORDERS: [&str; 2] = ["O1", "O2"];

#[derive(Debug, Clone)]
pub(super) enum Op {
    Doc {
        kind: MovementKind,
        m: usize,
        lot: usize,
        loc: usize,
        qty: Decimal,
        t: i64,
    },
    Transfer {
        m: usize,
        lot: usize,
        from: usize,
        qty: Decimal,
        t: i64,
    },
    Count {
        m: usize,
        lot: usize,
        loc: usize,
        counted: Decimal,
        t: i64,
    },
    Consume {
        m: usize,
        lot: usize,
        station: usize,
        value: Decimal,
        alt: bool,
        order: usize,
        t: i64,
    },
    Output {
        m: usize,
        lot: usize,
        station: usize,
        good: Decimal,
        alt: bool,
        t: i64,
    },
}

/// One delivery: document rows entered at the hub, or an event.
#[derive(Debug, Clone)]
pub(super) enum Item {
    Rows(Vec<Movement>),
    Event(Box<Event>),
}

pub(super) fn amount() -> impl Strategy<Value = Decimal> {
    (1i64..50_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s))
}

pub(super) fn op() -> impl Strategy<Value = Op> {
    let (m, lot, loc, t) = (0..MATERIALS.len(), 0..LOTS.len(), 0..LOCATIONS.len(), 0i64..200);
    let doc_kind = prop_oneof![
        Just(MovementKind::PurchaseReceipt),
        Just(MovementKind::Adjustment),
        Just(MovementKind::Scrap)
    ];
    prop_oneof![
        (
            doc_kind,
            m.clone(),
            lot.clone(),
            loc.clone(),
            amount(),
            any::<bool>(),
            t.clone()
        )
            .prop_map(|(kind, m, lot, loc, qty, neg, t)| {
                let qty = if kind == MovementKind::Scrap || (kind == MovementKind::Adjustment && neg) {
                    -qty
                } else {
                    qty
                };
                Op::Doc {
                    kind,
                    m,
                    lot,
                    loc,
                    qty,
                    t,
                }
            }),
        (m.clone(), lot.clone(), loc.clone(), amount(), t.clone())
            .prop_map(|(m, lot, from, qty, t)| Op::Transfer { m, lot, from, qty, t }),
        (m.clone(), lot.clone(), loc.clone(), amount(), t.clone()).prop_map(|(m, lot, loc, counted, t)| {
            Op::Count {
                m,
                lot,
                loc,
                counted,
                t,
            }
        }),
        (
            m.clone(),
            lot.clone(),
            loc.clone(),
            amount(),
            any::<bool>(),
            0..ORDERS.len(),
            t.clone()
        )
            .prop_map(|(m, lot, station, value, alt, order, t)| Op::Consume {
                m,
                lot,
                station,
                value,
                alt,
                order,
                t
            }),
        (m, lot, loc, amount(), any::<bool>(), t).prop_map(|(m, lot, station, good, alt, t)| Op::Output {
            m,
            lot,
            station,
            good,
            alt,
            t
        }),
    ]
}

/// Operations, then an arrival order: a permutation with replays inserted.
pub(super) fn scenario() -> impl Strategy<Value = (Vec<Op>, Vec<usize>)> {
    vec(op(), 1..30)
        .prop_flat_map(|ops| {
            let n = ops.len();
            let order = Just((0..n).collect::<Vec<_>>()).prop_shuffle();
            (Just(ops), order, vec((0..n, any::<Index>()), 0..n))
        })
        .prop_map(|(ops, mut order, replays)| {
            for (item, position) in replays {
                order.insert(position.index(order.len() + 1), item);
            }
            (ops, order)
        })
}

pub(super) fn units() -> UnitCatalog {
    let mut catalog = UnitCatalog::new();
    for (material, base, scale, alt, num, exp) in MATERIALS {
        let units = MaterialUnits::new(code(material), code(base), scale)
            .and_then(|u| u.with_unit(code(alt), Decimal::new(num, exp)))
            .expect("valid units");
        catalog.insert(units);
    }
    catalog
}

pub(super) fn station_location(station: &Code, _material: &Code) -> Option<Code> {
    let i = STATIONS.iter().position(|s| *s == station.as_str())?;
    Some(code(LOCATIONS[i]))
}

pub(super) fn key(m: usize, lot: usize, loc: usize) -> StockKey {
    StockKey::new(code(MATERIALS[m].0), LOTS[lot].map(code), code(LOCATIONS[loc]))
}

/// The model's conversion: value × factor, rounded half to even at the scale.
pub(super) fn to_base(m: usize, value: Decimal, alt: bool) -> Decimal {
    let (_, _, scale, _, num, exp) = MATERIALS[m];
    let factor = if alt { Decimal::new(num, exp) } else { Decimal::ONE };
    (value * factor).round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven)
}

pub(super) fn unit(m: usize, alt: bool) -> Code {
    code(if alt { MATERIALS[m].3 } else { MATERIALS[m].1 })
}

pub(super) fn event(i: usize, t: i64, station: usize, body: EventBody) -> Event {
    let header = EventHeader {
        seq: Seq(i as u64 + 1),
        id: EventId(Uuid::from_u128(i as u128 + 1)),
        occurred_at: at(t),
        source: Source::Station(code(STATIONS[station])),
    };
    Event { header, body }
}

pub(super) fn run(station: usize, order: usize) -> OperationRun {
    OperationRun {
        execution: ExecutionId(Uuid::from_u128(99)),
        order: code(ORDERS[order]),
        operation: code("10"),
        station: code(STATIONS[station]),
    }
}

pub(super) fn doc_id(i: usize, line: u32) -> MovementId {
    MovementId::document(code(&format!("D{i}")), line)
}

pub(super) fn item(i: usize, op: &Op) -> Item {
    match *op {
        Op::Doc {
            kind,
            m,
            lot,
            loc,
            qty,
            t,
        } => Item::Rows(vec![Movement::delta(
            doc_id(i, 0),
            kind,
            key(m, lot, loc),
            qty,
            at(t),
        )]),
        Op::Transfer { m, lot, from, qty, t } => {
            let (material, lot) = (code(MATERIALS[m].0), LOTS[lot].map(code));
            let (from, to) = (code(LOCATIONS[from]), code(LOCATIONS[1 - from]));
            Item::Rows(
                Movement::transfer(code(&format!("D{i}")), material, lot, from, to, qty, at(t)).to_vec(),
            )
        }
        Op::Count {
            m,
            lot,
            loc,
            counted,
            t,
        } => Item::Rows(vec![Movement::stocktake(
            doc_id(i, 0),
            key(m, lot, loc),
            counted,
            at(t),
        )]),
        Op::Consume {
            m,
            lot,
            station,
            value,
            alt,
            order,
            t,
        } => {
            let body = MaterialConsumed {
                run: run(station, order),
                material: code(MATERIALS[m].0),
                lot: LOTS[lot].map(code),
                quantity: Quantity::new(value, unit(m, alt)),
            };
            Item::Event(Box::new(event(i, t, station, EventBody::MaterialConsumed(body))))
        }
        Op::Output {
            m,
            lot,
            station,
            good,
            alt,
            t,
        } => {
            let body = OutputReported {
                run: run(station, 0),
                material: code(MATERIALS[m].0),
                good,
                scrap: Decimal::ZERO,
                unit: unit(m, alt),
                scrap_reason: None,
                lot: LOTS[lot].map(code),
            };
            Item::Event(Box::new(event(i, t, station, EventBody::OutputReported(body))))
        }
    }
}

/// A model row: (time, is a count, id) and the delta or the counted value.
pub(super) type ModelRow = ((Timestamp, bool, MovementId), Decimal);

/// What each operation should post, computed from the inputs alone.
pub(super) fn model(ops: &[Op]) -> BTreeMap<StockKey, Vec<ModelRow>> {
    let mut rows: BTreeMap<StockKey, Vec<ModelRow>> = BTreeMap::new();
    let ev = |i: usize| MovementId::event(EventId(Uuid::from_u128(i as u128 + 1)), 0);
    for (i, op) in ops.iter().enumerate() {
        let mut push = |k: StockKey, t: i64, count: bool, id: MovementId, q: Decimal| {
            rows.entry(k).or_default().push(((at(t), count, id), q));
        };
        match *op {
            Op::Doc {
                m, lot, loc, qty, t, ..
            } => push(key(m, lot, loc), t, false, doc_id(i, 0), qty),
            Op::Transfer { m, lot, from, qty, t } => {
                push(key(m, lot, from), t, false, doc_id(i, 0), -qty);
                push(key(m, lot, 1 - from), t, false, doc_id(i, 1), qty);
            }
            Op::Count {
                m,
                lot,
                loc,
                counted,
                t,
            } => push(key(m, lot, loc), t, true, doc_id(i, 0), counted),
            Op::Consume {
                m,
                lot,
                station,
                value,
                alt,
                t,
                ..
            } => push(key(m, lot, station), t, false, ev(i), -to_base(m, value, alt)),
            Op::Output {
                m,
                lot,
                station,
                good,
                alt,
                t,
            } => push(key(m, lot, station), t, false, ev(i), to_base(m, good, alt)),
        }
    }
    rows.values_mut().for_each(|r| r.sort());
    rows
}

/// The model's on hand: the last count at or before `t`, plus the deltas after it.
pub(super) fn model_on_hand(rows: &[ModelRow], t: Timestamp) -> Decimal {
    rows.iter().take_while(|((time, _, _), _)| *time <= t).fold(
        Decimal::ZERO,
        |balance, ((_, count, _), q)| if *count { *q } else { balance + q },
    )
}

pub(super) fn deliver(
    ledger: &mut Ledger,
    projector: &Projector<'_, fn(&Code, &Code) -> Option<Code>>,
    item: &Item,
) -> usize {
    match item {
        Item::Rows(rows) => rows
            .iter()
            .map(|r| ledger.apply(r.clone()).expect("generated rows are valid"))
            .filter(|a| *a == Applied::Added)
            .count(),
        Item::Event(e) => projector.apply(ledger, e).expect("generated events project"),
    }
}

pub(super) fn occurred_at(item: &Item) -> Timestamp {
    match item {
        Item::Rows(rows) => rows.first().map_or(at(0), |r| r.occurred_at),
        Item::Event(e) => e.header.occurred_at,
    }
}

pub(super) fn reservation(order: usize, loc: usize, quantity: Decimal) -> Reservation {
    Reservation {
        order: code(ORDERS[order]),
        material: code(MATERIALS[0].0),
        location: Some(code(LOCATIONS[loc])),
        quantity,
        from: at(20),
        until: Some(at(150)),
    }
}
