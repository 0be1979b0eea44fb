//! Property tests of the stock ledger: random documents and shop-floor
//! events, delivered in random arrival orders with duplicates.
//!
//! - late arrival is on time: any arrival order (with replays) gives the
//!   same ledger as time order, and as a rebuild from the event log;
//! - on hand is the sum of the movements, for every material, lot and
//!   location and at any instant, against a model computed from the inputs;
//! - replaying a batch changes nothing;
//! - open shortages equal how far each balance is below zero;
//! - reserved and available follow their definitions.

use crate::stock::test_support::{at, code};
use crate::stock::*;
use mes_protocols::event::{EventHeader, MaterialConsumed, OperationRun, OutputReported};
use mes_protocols::{Code, Event, EventBody, EventId, ExecutionId, Quantity, Seq, Source, Timestamp};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use uuid::Uuid;

/// (material, base unit, scale, alternative unit, factor).
const MATERIALS: [(&str, &str, u32, &str, i64, u32); 2] =
    [("steel", "kg", 3, "g", 1, 3), ("bolt", "pcs", 0, "box", 12, 0)];
const LOTS: [Option<&str>; 3] = [None, Some("L1"), Some("L2")];
const LOCATIONS: [&str; 2] = ["A", "B"];
const STATIONS: [&str; 2] = ["S1", "S2"];
const ORDERS: [&str; 2] = ["O1", "O2"];

#[derive(Debug, Clone)]
enum Op {
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
enum Item {
    Rows(Vec<Movement>),
    Event(Box<Event>),
}

fn amount() -> impl Strategy<Value = Decimal> {
    (1i64..50_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s))
}

fn op() -> impl Strategy<Value = Op> {
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
fn scenario() -> impl Strategy<Value = (Vec<Op>, Vec<usize>)> {
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

fn units() -> UnitCatalog {
    let mut catalog = UnitCatalog::new();
    for (material, base, scale, alt, num, exp) in MATERIALS {
        let units = MaterialUnits::new(code(material), code(base), scale)
            .and_then(|u| u.with_unit(code(alt), Decimal::new(num, exp)))
            .expect("valid units");
        catalog.insert(units);
    }
    catalog
}

fn station_location(station: &Code, _material: &Code) -> Option<Code> {
    let i = STATIONS.iter().position(|s| *s == station.as_str())?;
    Some(code(LOCATIONS[i]))
}

fn key(m: usize, lot: usize, loc: usize) -> StockKey {
    StockKey::new(code(MATERIALS[m].0), LOTS[lot].map(code), code(LOCATIONS[loc]))
}

/// The model's conversion: value × factor, rounded half to even at the scale.
fn to_base(m: usize, value: Decimal, alt: bool) -> Decimal {
    let (_, _, scale, _, num, exp) = MATERIALS[m];
    let factor = if alt { Decimal::new(num, exp) } else { Decimal::ONE };
    (value * factor).round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven)
}

fn unit(m: usize, alt: bool) -> Code {
    code(if alt { MATERIALS[m].3 } else { MATERIALS[m].1 })
}

fn event(i: usize, t: i64, station: usize, body: EventBody) -> Event {
    let header = EventHeader {
        seq: Seq(i as u64 + 1),
        id: EventId(Uuid::from_u128(i as u128 + 1)),
        occurred_at: at(t),
        source: Source::Station(code(STATIONS[station])),
    };
    Event { header, body }
}

fn run(station: usize, order: usize) -> OperationRun {
    OperationRun {
        execution: ExecutionId(Uuid::from_u128(99)),
        order: code(ORDERS[order]),
        operation: code("10"),
        station: code(STATIONS[station]),
    }
}

fn doc_id(i: usize, line: u32) -> MovementId {
    MovementId::document(code(&format!("D{i}")), line)
}

fn item(i: usize, op: &Op) -> Item {
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
type ModelRow = ((Timestamp, bool, MovementId), Decimal);

/// What each operation should post, computed from the inputs alone.
fn model(ops: &[Op]) -> BTreeMap<StockKey, Vec<ModelRow>> {
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
fn model_on_hand(rows: &[ModelRow], t: Timestamp) -> Decimal {
    rows.iter().take_while(|((time, _, _), _)| *time <= t).fold(
        Decimal::ZERO,
        |balance, ((_, count, _), q)| if *count { *q } else { balance + q },
    )
}

fn deliver(
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

fn occurred_at(item: &Item) -> Timestamp {
    match item {
        Item::Rows(rows) => rows.first().map_or(at(0), |r| r.occurred_at),
        Item::Event(e) => e.header.occurred_at,
    }
}

fn reservation(order: usize, loc: usize, quantity: Decimal) -> Reservation {
    Reservation {
        order: code(ORDERS[order]),
        material: code(MATERIALS[0].0),
        location: Some(code(LOCATIONS[loc])),
        quantity,
        from: at(20),
        until: Some(at(150)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ledger_is_the_same_whatever_the_arrival_order((ops, arrival) in scenario()) {
        let units = units();
        let resolver: fn(&Code, &Code) -> Option<Code> = station_location;
        let projector = Projector::new(&units, &resolver);
        let items: Vec<Item> = ops.iter().enumerate().map(|(i, op)| item(i, op)).collect();

        let mut late = Ledger::new(NegativeStockPolicy::Disallowed);
        for &i in &arrival {
            deliver(&mut late, &projector, &items[i]);
        }
        let mut on_time_order: Vec<&Item> = items.iter().collect();
        on_time_order.sort_by_key(|item| occurred_at(item));
        let mut on_time = Ledger::new(NegativeStockPolicy::Disallowed);
        for item in on_time_order {
            deliver(&mut on_time, &projector, item);
        }
        prop_assert_eq!(&late, &on_time);

        let mut documents = Ledger::new(NegativeStockPolicy::Disallowed);
        let mut events = Vec::new();
        for &i in arrival.iter().rev() {
            match &items[i] {
                Item::Event(e) => events.push(e.as_ref()),
                rows => { deliver(&mut documents, &projector, rows); }
            }
        }
        let (rebuilt, errors) = projector.rebuild(documents, events);
        prop_assert!(errors.is_empty(), "{:?}", errors);
        prop_assert_eq!(&rebuilt, &late);
    }

    #[test]
    fn on_hand_is_the_sum_of_the_movements(
        (ops, arrival) in scenario(),
        probes in vec(0i64..210, 1..6),
        reserved in (1i64..5_000, 0..LOCATIONS.len()),
    ) {
        let units = units();
        let resolver: fn(&Code, &Code) -> Option<Code> = station_location;
        let projector = Projector::new(&units, &resolver);
        let mut ledger = Ledger::new(NegativeStockPolicy::Disallowed);
        let (quantity, res_loc) = (Decimal::new(reserved.0, 1), reserved.1);
        ledger.reserve(reservation(0, res_loc, quantity));
        for &i in &arrival {
            deliver(&mut ledger, &projector, &item(i, &ops[i]));
        }
        let model = model(&ops);
        prop_assert_eq!(ledger.keys().collect::<Vec<_>>(), model.keys().collect::<Vec<_>>());
        for t in probes.into_iter().map(at).chain([at(1_000)]) {
            let mut totals: BTreeMap<Code, Decimal> = BTreeMap::new();
            for (key, rows) in &model {
                let on_hand = ledger.on_hand(key, Some(t));
                prop_assert_eq!(on_hand, model_on_hand(rows, t), "{} at {}", key, t);
                let deltas: Decimal = ledger.statement(key, Some(t)).iter().map(|l| l.delta).sum();
                prop_assert_eq!(on_hand, deltas);
                let open: Decimal = ledger.key_shortages(key, Some(t)).iter().map(Shortage::open).sum();
                prop_assert_eq!(open, (-on_hand).max(Decimal::ZERO), "shortages of {}", key);
                *totals.entry(key.material.clone()).or_default() += on_hand;
            }
            prop_assert_eq!(&ledger.totals(Some(t)), &totals);

            let (steel, loc) = (code(MATERIALS[0].0), code(LOCATIONS[res_loc]));
            let issued = ledger.issued_to_order(&code(ORDERS[0]), &steel, Some(&loc), t);
            let active = t >= at(20) && t < at(150);
            let expected = if active { (quantity - issued).clamp(Decimal::ZERO, quantity) } else { Decimal::ZERO };
            prop_assert_eq!(ledger.reserved(&steel, Some(&loc), t), expected);
            prop_assert_eq!(
                ledger.available(&steel, Some(&loc), t),
                ledger.material_on_hand(&steel, Some(&loc), Some(t)) - expected
            );
        }
    }

    #[test]
    fn replaying_a_batch_changes_nothing((ops, arrival) in scenario(), batch in (any::<Index>(), 1usize..10)) {
        let units = units();
        let resolver: fn(&Code, &Code) -> Option<Code> = station_location;
        let projector = Projector::new(&units, &resolver);
        let items: Vec<Item> = ops.iter().enumerate().map(|(i, op)| item(i, op)).collect();
        let mut ledger = Ledger::new(NegativeStockPolicy::Allowed);
        for &i in &arrival {
            deliver(&mut ledger, &projector, &items[i]);
        }
        prop_assert!(ledger.shortages(None).is_empty());
        let before = ledger.clone();
        let start = batch.0.index(arrival.len());
        for &i in arrival.iter().skip(start).take(batch.1) {
            prop_assert_eq!(deliver(&mut ledger, &projector, &items[i]), 0);
        }
        prop_assert_eq!(&ledger, &before);
    }
}
