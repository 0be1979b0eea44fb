//! The worked example of the issue: receipts, issues from consumption
//! events, an output receipt, a transfer, a stocktake and a late receipt
//! correcting negative stock, with one consumption event arriving after the
//! output was reported. Every figure is computed by hand in the comments.
//!
//! Site policy: negative stock disallowed. Locations: `RM` (raw material
//! store), `LINE1` (line-side store of station `ST1`), `FG` (finished goods).
//! Units: steel in kg (scale 3; `g` = 0.001 kg, `t` = 1000 kg), bracket in
//! pcs (scale 0; `box` = 12 pcs), paint in l (scale 2).
//!
//! | t (min) | source | what                                   |
//! |---------|--------|----------------------------------------|
//! | 0       | PO-1   | receipt 100 kg steel lot L1 at RM       |
//! | 0       | ORD-1  | released: reserves 50 kg steel at LINE1 |
//! | 10      | TR-1   | transfer 60 kg steel L1 RM → LINE1      |
//! | 20      | E1     | ST1 consumes 20000 g steel L1 (ORD-1)   |
//! | 30      | E2     | ST1 consumes 0.015 t steel L1 (ORD-1) — arrives last |
//! | 35      | E4     | ST1 consumes 2.5 l paint (ORD-1)        |
//! | 40      | E3     | ST1 reports 3 box good, 2 pcs scrap, lot B1 |
//! | 50      | ST-1   | stocktake: steel L1 at LINE1 counted 24 kg |
//! | 55      | PO-3   | receipt 10 l paint at LINE1 (corrects the shortage) |

use crate::test_support::{at, code, dec};
use crate::*;
use mes_protocols::event::{EventHeader, MaterialConsumed, OperationRun, OutputReported};
use mes_protocols::{Code, Event, EventBody, EventId, ExecutionId, Quantity, Seq, Source};
use uuid::Uuid;

fn units() -> UnitCatalog {
    let mut catalog = UnitCatalog::new();
    let steel = MaterialUnits::new(code("steel"), code("kg"), 3)
        .and_then(|u| u.with_unit(code("g"), dec("0.001")))
        .and_then(|u| u.with_unit(code("t"), dec("1000")));
    let bracket =
        MaterialUnits::new(code("bracket"), code("pcs"), 0).and_then(|u| u.with_unit(code("box"), dec("12")));
    let paint = MaterialUnits::new(code("paint"), code("l"), 2);
    for units in [steel, bracket, paint] {
        catalog.insert(units.expect("valid units"));
    }
    catalog
}

fn location(_station: &Code, material: &Code) -> Option<Code> {
    Some(code(if material.as_str() == "bracket" {
        "FG"
    } else {
        "LINE1"
    }))
}

fn run() -> OperationRun {
    OperationRun {
        execution: ExecutionId(Uuid::from_u128(7)),
        order: code("ORD-1"),
        operation: code("10"),
        station: code("ST1"),
    }
}

fn event(n: u128, minutes: i64, body: EventBody) -> Event {
    let header = EventHeader {
        seq: Seq(n as u64),
        id: EventId(Uuid::from_u128(n)),
        occurred_at: at(minutes),
        source: Source::Station(code("ST1")),
    };
    Event { header, body }
}

fn consumed(n: u128, minutes: i64, material: &str, lot: Option<&str>, value: &str, unit: &str) -> Event {
    let body = MaterialConsumed {
        run: run(),
        material: code(material),
        lot: lot.map(code),
        quantity: Quantity::new(dec(value), code(unit)),
    };
    event(n, minutes, EventBody::MaterialConsumed(body))
}

fn output() -> Event {
    let body = OutputReported {
        run: run(),
        material: code("bracket"),
        good: dec("3"),
        scrap: dec("2"),
        unit: code("box"),
        scrap_reason: Some(code("burr")),
        lot: Some(code("B1")),
    };
    event(3, 40, EventBody::OutputReported(body))
}

fn key(material: &str, lot: Option<&str>, location: &str) -> StockKey {
    StockKey::new(code(material), lot.map(code), code(location))
}

/// The document rows and the reservation, entered at the hub.
fn documents() -> Ledger {
    let mut ledger = Ledger::new(NegativeStockPolicy::Disallowed);
    let receipt = |doc: &str, k: StockKey, q: &str, t| {
        Movement::delta(
            MovementId::document(code(doc), 0),
            MovementKind::PurchaseReceipt,
            k,
            dec(q),
            at(t),
        )
    };
    let [out, into] = Movement::transfer(
        code("TR-1"),
        code("steel"),
        Some(code("L1")),
        code("RM"),
        code("LINE1"),
        dec("60"),
        at(10),
    );
    let count = Movement::stocktake(
        MovementId::document(code("ST-1"), 0),
        key("steel", Some("L1"), "LINE1"),
        dec("24"),
        at(50),
    );
    for row in [
        receipt("PO-1", key("steel", Some("L1"), "RM"), "100", 0),
        out,
        into,
        count,
        receipt("PO-3", key("paint", None, "LINE1"), "10", 55),
    ] {
        assert_eq!(ledger.apply(row), Ok(Applied::Added));
    }
    ledger.reserve(Reservation {
        order: code("ORD-1"),
        material: code("steel"),
        location: Some(code("LINE1")),
        quantity: dec("50"),
        from: at(0),
        until: None,
    });
    ledger
}

#[test]
fn worked_example_with_a_consumption_arriving_after_the_output() {
    let units = units();
    let projector = Projector::new(&units, &location);
    let (e1, e2, e3, e4) = (
        consumed(1, 20, "steel", Some("L1"), "20000", "g"),
        consumed(2, 30, "steel", Some("L1"), "0.015", "t"),
        output(),
        consumed(4, 35, "paint", None, "2.5", "l"),
    );

    // Arrival order: E1, the output E3, E4, and only then the late E2.
    let mut ledger = documents();
    for e in [&e1, &e3, &e4] {
        assert_eq!(projector.apply(&mut ledger, e), Ok(1));
    }
    let line_steel = key("steel", Some("L1"), "LINE1");
    // Before E2 arrives, LINE1 had 60 − 20 = 40 kg at t=35 …
    assert_eq!(ledger.on_hand(&line_steel, Some(at(35))), dec("40"));
    // … and the count still sets it to 24 at t=50 (adjustment 24 − 40 = −16).
    assert_eq!(ledger.on_hand(&line_steel, None), dec("24"));
    assert_eq!(projector.apply(&mut ledger, &e2), Ok(1));
    // Replaying E2 (a retried batch) posts nothing.
    assert_eq!(projector.apply(&mut ledger, &e2), Ok(0));

    // The same events on time, in time order, give the same ledger.
    let (on_time, errors) = projector.rebuild(documents(), [&e1, &e2, &e4, &e3]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(ledger, on_time);

    // Steel L1 at RM: +100 (PO-1) − 60 (TR-1 out) = 40.
    assert_eq!(ledger.on_hand(&key("steel", Some("L1"), "RM"), None), dec("40"));
    // Steel L1 at LINE1: +60 (TR-1 in) − 20 (E1: 20000 g × 0.001) − 15 (E2: 0.015 t × 1000)
    // = 25 before the count; counted 24 at t=50, so the stocktake's delta is 24 − 25 = −1.
    assert_eq!(ledger.on_hand(&line_steel, Some(at(35))), dec("25"));
    assert_eq!(ledger.on_hand(&line_steel, None), dec("24"));
    let count_line = ledger
        .statement(&line_steel, None)
        .pop()
        .expect("the stocktake is the last row");
    assert_eq!(
        (count_line.kind, count_line.delta),
        (MovementKind::Stocktake, dec("-1"))
    );
    // Steel on site: 40 + 24 = 64.
    assert_eq!(ledger.totals(None).get(&code("steel")), Some(&dec("64")));

    // Reserved by ORD-1 at LINE1: 50 − issued. At t=25 only E1 (20) was issued: 30;
    // at t=60 E1 + E2 (35): 15.
    let (steel, line1) = (code("steel"), code("LINE1"));
    assert_eq!(ledger.reserved(&steel, Some(&line1), at(25)), dec("30"));
    assert_eq!(ledger.reserved(&steel, Some(&line1), at(60)), dec("15"));
    // Available at LINE1: t=25: on hand 60 − 20 = 40, less 30 = 10; t=60: 24 − 15 = 9.
    assert_eq!(ledger.available(&steel, Some(&line1), at(25)), dec("10"));
    assert_eq!(ledger.available(&steel, Some(&line1), at(60)), dec("9"));
    // Site-wide at t=60: on hand 64, reserved 15 (the only reservation), available 49.
    assert_eq!(ledger.available(&steel, None, at(60)), dec("49"));

    // Brackets: 3 box × 12 = 36 pcs good into B1 at FG; the 2 pcs scrap never became stock.
    assert_eq!(ledger.on_hand(&key("bracket", Some("B1"), "FG"), None), dec("36"));
    assert_eq!(ledger.totals(None).get(&code("bracket")), Some(&dec("36")));

    // Paint: E4 took LINE1 to 0 − 2.5 = −2.5 at t=35 (a shortage of 2.5);
    // PO-3 at t=55 brings it to −2.5 + 10 = 7.5 and is the explicit correction of 2.5.
    let paint = key("paint", None, "LINE1");
    assert_eq!(ledger.on_hand(&paint, Some(at(40))), dec("-2.5"));
    assert_eq!(ledger.on_hand(&paint, None), dec("7.5"));
    let shortages = ledger.shortages(None);
    assert_eq!(shortages.len(), 1, "{shortages:?}");
    let shortage = &shortages[0];
    assert_eq!(
        shortage.caused_by,
        MovementId::event(EventId(Uuid::from_u128(4)), 0)
    );
    assert_eq!(shortage.quantity, dec("2.5"));
    assert_eq!(shortage.open(), dec("0"));
    let correction = &shortage.corrections[0];
    assert_eq!(correction.corrected_by, MovementId::document(code("PO-3"), 0));
    assert_eq!(
        (correction.kind, correction.quantity),
        (MovementKind::PurchaseReceipt, dec("2.5"))
    );
    // Before PO-3's time the shortage is open.
    assert_eq!(ledger.shortages(Some(at(50)))[0].open(), dec("2.5"));
}
