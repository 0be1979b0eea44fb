//! Every rejected step names its reason in one line and changes nothing.

use super::*;

#[test]
fn unknown_badge() {
    let mut b = Bench::new();
    assert_eq!(b.no("st-1", scan("B-0099")), "Unknown badge 0099");
}

#[test]
fn unreadable_scans_are_rejected_with_the_parser_reason() {
    let mut b = Bench::new();
    let why = b.no("st-1", scan("hello"));
    assert!(why.starts_with("Unknown code"), "{why}");
    let why = b.no("st-1", scan(""));
    assert_eq!(why, "Empty scan");
}

#[test]
fn order_not_released() {
    let mut b = Bench::new();
    b.ok("st-1", scan("B-0001"));
    assert_eq!(
        b.no("st-1", scan("PO:PO-9")),
        "Order PO-9 is not released to this site"
    );
}

#[test]
fn no_worker_clocked_in() {
    let mut b = Bench::new();
    assert_eq!(
        b.no("st-1", scan("PO:PO-1")),
        "No worker clocked in at st-1: scan a badge first"
    );
}

#[test]
fn worker_of_the_wrong_type() {
    let mut b = Bench::new();
    b.ok("st-1", scan("B-0002"));
    let why = b.no("st-1", scan("PO:PO-1"));
    assert_eq!(
        why,
        "Operation 10 needs a worker of type OPERATOR; clocked in: Bo"
    );
}

#[test]
fn second_order_while_one_runs() {
    let mut b = Bench::new();
    b.ok("st-1", scan("B-0001"));
    b.ok("st-1", scan("PO:PO-1"));
    let why = b.no("st-1", scan("PO:PO-1"));
    assert_eq!(why, "PO-1 operation 10 is still open here: finish it first");
}

fn running() -> Bench {
    let mut b = Bench::new();
    b.ok("st-1", scan("B-0001"));
    b.ok("st-1", scan("PO:PO-1"));
    b
}

#[test]
fn wrong_material() {
    let mut b = running();
    let why = b.no("st-1", scan("L:P-1"));
    assert_eq!(
        why,
        "Wrong material: lot P-1 is PAINT; PO-1 operation 10 uses STEEL"
    );
}

#[test]
fn unknown_lot() {
    let mut b = running();
    assert_eq!(b.no("st-1", scan("L:NOPE")), "Unknown lot NOPE");
}

#[test]
fn expired_lot_by_record() {
    let mut b = running();
    assert_eq!(
        b.no("st-1", scan("L:L-OLD")),
        "Lot L-OLD of STEEL expired on 2020-01-01"
    );
}

#[test]
fn expired_lot_by_gs1_label() {
    let mut b = running();
    // GTIN 09506000134352, expiry (17) 2025-12-31, lot (10) L-2.
    let why = b.no("st-1", scan("(01)09506000134352(17)251231(10)L-2"));
    assert_eq!(why, "Lot L-2 of STEEL expired on 2025-12-31");
    // The same label with a future date is fine.
    b.ok("st-1", scan("(01)09506000134352(17)301231(10)L-2"));
}

#[test]
fn blocked_lot() {
    let mut b = running();
    assert_eq!(b.no("st-1", scan("L:L-BLK")), "Lot L-BLK of STEEL is blocked");
}

#[test]
fn unit_that_does_not_convert() {
    let mut b = running();
    let why = b.no("st-1", lot_scan("L:L-1", Some("3"), Some("box")));
    assert_eq!(why, "Unit box is not a unit of STEEL: use kg, sheet");
}

#[test]
fn default_quantity_ends_when_the_plan_is_consumed() {
    let mut b = running();
    b.ok("st-1", scan("L:L-1"));
    let why = b.no("st-1", scan("L:L-2"));
    assert_eq!(why, "The planned 25 kg of STEEL is consumed: enter the quantity");
    assert_eq!(
        b.no("st-1", lot_scan("L:L-2", Some("0"), None)),
        "The quantity must be positive"
    );
}

#[test]
fn lot_without_a_running_operation() {
    let mut b = Bench::new();
    assert_eq!(
        b.no("st-1", scan("L:L-1")),
        "No operation runs at st-1: scan an order first"
    );
}

#[test]
fn scrap_needs_a_known_scrap_reason() {
    let mut b = running();
    let output = |reason: Option<&str>| Step::Output {
        good: dec("1"),
        scrap: dec("2"),
        scrap_reason: reason.map(code),
    };
    assert_eq!(b.no("st-1", output(None)), "Choose a scrap reason for the scrap");
    assert_eq!(b.no("st-1", output(Some("JAM"))), "Unknown scrap reason JAM");
    let zero = Step::Output {
        good: dec("0"),
        scrap: dec("0"),
        scrap_reason: None,
    };
    assert_eq!(b.no("st-1", zero), "Enter a good or scrap quantity");
}

#[test]
fn pause_resume_and_finish_need_the_right_state() {
    let mut b = Bench::new();
    assert!(b.no("st-1", Step::Finish).starts_with("No operation runs"));
    let mut b = running();
    assert_eq!(b.no("st-1", Step::Resume), "PO-1 operation 10 is not paused");
    b.ok("st-1", Step::Pause { reason: None });
    assert_eq!(
        b.no("st-1", Step::Pause { reason: None }),
        "PO-1 operation 10 is already paused"
    );
    assert_eq!(
        b.no(
            "st-1",
            Step::Downtime {
                reason: code("BURR"),
                equipment: None
            }
        ),
        "Unknown downtime reason BURR"
    );
}
