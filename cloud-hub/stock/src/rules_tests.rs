//! Tests of the ledger's and projection's individual rules: refused rows,
//! errors that name their input, shortages settled oldest first, and the
//! negative stock policy.

use crate::test_support::{at, code, dec};
use crate::*;
use mes_protocols::event::{EventHeader, MaterialConsumed, OperationRun};
use mes_protocols::{Code, Event, EventBody, EventId, ExecutionId, Quantity, Seq, Source};
use rust_decimal::Decimal;
use uuid::Uuid;

fn key() -> StockKey {
    StockKey::new(code("steel"), Some(code("L1")), code("A"))
}

fn row(doc: &str, kind: MovementKind, q: &str, t: i64) -> Movement {
    Movement::delta(MovementId::document(code(doc), 0), kind, key(), dec(q), at(t))
}

fn consumed(value: &str, unit: &str, station: &str) -> Event {
    let run = OperationRun {
        execution: ExecutionId(Uuid::from_u128(1)),
        order: code("O1"),
        operation: code("10"),
        station: code(station),
    };
    let body = MaterialConsumed {
        run,
        material: code("steel"),
        lot: None,
        quantity: Quantity::new(dec(value), code(unit)),
    };
    let header = EventHeader {
        seq: Seq(1),
        id: EventId(Uuid::from_u128(42)),
        occurred_at: at(5),
        source: Source::Station(code(station)),
    };
    Event {
        header,
        body: EventBody::MaterialConsumed(body),
    }
}

fn only_station_a(station: &Code, _material: &Code) -> Option<Code> {
    (station.as_str() == "ST-A").then(|| code("A"))
}

#[test]
fn a_different_row_under_an_existing_id_is_refused_and_named() {
    let mut ledger = Ledger::new(NegativeStockPolicy::Allowed);
    assert_eq!(
        ledger.apply(row("PO-1", MovementKind::PurchaseReceipt, "5", 0)),
        Ok(Applied::Added)
    );
    assert_eq!(
        ledger.apply(row("PO-1", MovementKind::PurchaseReceipt, "5", 0)),
        Ok(Applied::Duplicate)
    );
    let err = ledger
        .apply(row("PO-1", MovementKind::PurchaseReceipt, "6", 0))
        .expect_err("conflict");
    let text = err.to_string();
    assert!(
        text.contains("PO-1") && text.contains("steel") && text.contains("L1"),
        "{text}"
    );
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger.on_hand(&key(), None), dec("5"));
}

#[test]
fn negative_counts_and_huge_quantities_are_refused() {
    let mut ledger = Ledger::new(NegativeStockPolicy::Allowed);
    let count = Movement::stocktake(MovementId::document(code("ST-1"), 0), key(), dec("-1"), at(0));
    assert!(matches!(
        ledger.apply(count),
        Err(LedgerError::NegativeCount { .. })
    ));
    let huge = row("PO-9", MovementKind::PurchaseReceipt, "1000000000000001", 0);
    assert!(matches!(
        ledger.apply(huge),
        Err(LedgerError::QuantityOutOfRange { .. })
    ));
    assert!(ledger.is_empty());
    assert_eq!(ledger::MAX_QUANTITY, dec("1000000000000000"));
}

#[test]
fn shortages_are_settled_oldest_first_by_later_rows() {
    let mut ledger = Ledger::new(NegativeStockPolicy::Disallowed);
    for r in [
        row("I-1", MovementKind::Scrap, "-3", 10),      // 0 → −3: shortage 3
        row("I-2", MovementKind::Adjustment, "-2", 20), // −3 → −5: shortage 2
        row("PO-1", MovementKind::PurchaseReceipt, "4", 30), // −5 → −1: settles 3 of I-1, 1 of I-2
        row("PO-2", MovementKind::PurchaseReceipt, "6", 40), // −1 → 5: settles the last 1 of I-2
    ] {
        assert_eq!(ledger.apply(r), Ok(Applied::Added));
    }
    let at_35 = ledger.shortages(Some(at(35)));
    assert_eq!(
        at_35.iter().map(Shortage::open).collect::<Vec<_>>(),
        vec![dec("0"), dec("1")]
    );
    let all = ledger.shortages(None);
    assert_eq!(all.len(), 2);
    let settled_by = |s: &Shortage| {
        s.corrections
            .iter()
            .map(|c| (c.corrected_by.clone(), c.quantity))
            .collect::<Vec<_>>()
    };
    let po = |n: &str, q: &str| (MovementId::document(code(n), 0), dec(q));
    assert_eq!(settled_by(&all[0]), vec![po("PO-1", "3")]);
    assert_eq!(settled_by(&all[1]), vec![po("PO-1", "1"), po("PO-2", "1")]);
    assert!(all.iter().all(|s| s.open() == Decimal::ZERO));
}

#[test]
fn a_late_receipt_that_occurred_before_the_issue_is_no_correction() {
    let mut ledger = Ledger::new(NegativeStockPolicy::Disallowed);
    assert_eq!(
        ledger.apply(row("I-1", MovementKind::Scrap, "-3", 10)),
        Ok(Applied::Added)
    );
    assert_eq!(ledger.shortages(None).len(), 1);
    // The receipt arrives later but happened at t=5: there never was a shortage.
    assert_eq!(
        ledger.apply(row("PO-1", MovementKind::PurchaseReceipt, "3", 5)),
        Ok(Applied::Added)
    );
    assert!(ledger.shortages(None).is_empty());
}

#[test]
fn sites_that_allow_negative_stock_report_no_shortages() {
    let mut ledger = Ledger::new(NegativeStockPolicy::Allowed);
    assert_eq!(
        ledger.apply(row("I-1", MovementKind::Scrap, "-3", 10)),
        Ok(Applied::Added)
    );
    assert_eq!(ledger.on_hand(&key(), None), dec("-3"));
    assert!(ledger.shortages(None).is_empty());
}

#[test]
fn projection_errors_name_the_event_material_unit_and_station() {
    let mut units = UnitCatalog::new();
    units.insert(MaterialUnits::new(code("steel"), code("kg"), 3).expect("valid units"));
    let projector = Projector::new(&units, &only_station_a);
    let mut ledger = Ledger::new(NegativeStockPolicy::Disallowed);

    let err = projector
        .apply(&mut ledger, &consumed("2", "box", "ST-A"))
        .expect_err("box is unknown");
    let text = err.to_string();
    assert!(text.contains(&Uuid::from_u128(42).to_string()), "{text}");
    assert!(text.contains("steel") && text.contains("box"), "{text}");

    let err = projector
        .apply(&mut ledger, &consumed("2", "kg", "ST-Z"))
        .expect_err("no location");
    assert!(matches!(err, ProjectionError::NoLocation { ref station, .. } if station.as_str() == "ST-Z"));
    assert!(ledger.is_empty());

    assert_eq!(projector.apply(&mut ledger, &consumed("2", "kg", "ST-A")), Ok(1));
    let issued = ledger.movements().next().expect("one row");
    assert_eq!(
        (issued.amount, issued.order.clone()),
        (Amount::Delta(dec("-2")), Some(code("O1")))
    );
}

#[test]
fn reservations_end_and_never_exceed_their_quantity() {
    let mut ledger = Ledger::new(NegativeStockPolicy::Allowed);
    let reservation = Reservation {
        order: code("O1"),
        material: code("steel"),
        location: None,
        quantity: dec("10"),
        from: at(10),
        until: Some(at(20)),
    };
    ledger.reserve(reservation);
    let steel = code("steel");
    assert_eq!(ledger.reserved(&steel, None, at(9)), Decimal::ZERO);
    assert_eq!(ledger.reserved(&steel, None, at(10)), dec("10"));
    let over = Movement::delta(
        MovementId::document(code("I-1"), 0),
        MovementKind::Issue,
        key(),
        dec("-12"),
        at(12),
    )
    .for_order(code("O1"));
    assert_eq!(ledger.apply(over), Ok(Applied::Added));
    assert_eq!(ledger.reserved(&steel, None, at(15)), Decimal::ZERO);
    assert_eq!(ledger.available(&steel, None, at(15)), dec("-12"));
    assert_eq!(ledger.reserved(&steel, None, at(20)), Decimal::ZERO);
    // A reservation at a location is not counted for another location.
    assert_eq!(ledger.reserved(&steel, Some(&code("B")), at(11)), Decimal::ZERO);
}
