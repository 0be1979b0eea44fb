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

mod scenario;

use crate::test_support::{at, code};
use crate::*;
use mes_protocols::Code;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use rust_decimal::Decimal;
use scenario::*;
use std::collections::BTreeMap;

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
