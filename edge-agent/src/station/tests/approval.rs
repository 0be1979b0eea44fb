//! Lot scans against approved-manufacturer lists (issue 21): the shared
//! rule (`mes_protocols::approval`, tested case by case there) as the
//! station applies it, with the order's customer and the station's day.

use super::*;
use mes_protocols::approval::{Approval, ApprovalList, ApprovalStatus, CustomerApprovals};

fn entry(maker: &str, status: ApprovalStatus, expires_on: Option<time::Date>) -> Approval {
    Approval {
        manufacturer: code(maker),
        status,
        reason: (status != ApprovalStatus::Approved).then(|| "deviation D-12".to_string()),
        expires_on,
    }
}

fn maker_lot(lot: &str, maker: Option<&str>) -> Record {
    Record::Lot(LotRecord {
        material: code("STEEL"),
        lot: code(lot),
        expires_on: None,
        blocked: false,
        manufacturer: maker.map(code),
    })
}

/// PO-1 running at st-1; STEEL: ACME approved, BETA conditional until
/// 2026-06-30, RUSTY blocked; BOSCH's own list: BETA only. Lots L-A
/// (ACME), L-B (BETA), L-R (RUSTY), L-X (maker unknown).
fn running(customer: Option<&str>) -> Bench {
    let mut b = Bench::new();
    b.data.upsert(Record::Approval(ApprovalList {
        material: code("STEEL"),
        approvals: vec![
            entry("ACME", ApprovalStatus::Approved, None),
            entry("BETA", ApprovalStatus::Conditional, Some(date!(2026 - 06 - 30))),
            entry("RUSTY", ApprovalStatus::Blocked, None),
        ],
        customers: vec![CustomerApprovals {
            customer: code("BOSCH"),
            approvals: vec![entry("BETA", ApprovalStatus::Approved, None)],
        }],
    }));
    for (lot, maker) in [
        ("L-A", Some("ACME")),
        ("L-B", Some("BETA")),
        ("L-R", Some("RUSTY")),
        ("L-X", None),
    ] {
        b.data.upsert(maker_lot(lot, maker));
    }
    let mut order = b
        .data
        .order(&code("PO-1"))
        .expect("PO-1 is in the fixture")
        .clone();
    order.customer = customer.map(code);
    b.data.upsert(Record::Order(order));
    b.ok("st-1", scan("B-0001"));
    b.ok("st-1", scan("PO:PO-1"));
    b
}

fn consumed_lot(events: &[EventBody]) -> Option<String> {
    events.iter().find_map(|e| match e {
        EventBody::MaterialConsumed(m) => m.lot.as_ref().map(ToString::to_string),
        _ => None,
    })
}

#[test]
fn approved_maker_is_consumed() {
    let mut b = running(None);
    let events = b.ok("st-1", lot_scan("L:L-A", Some("1"), None));
    assert_eq!(consumed_lot(&events).as_deref(), Some("L-A"));
}

#[test]
fn conditional_maker_is_consumed_until_its_expiry_and_refused_after() {
    let mut b = running(None);
    let accepted = b
        .play("st-1", lot_scan("L:L-B", Some("1"), None))
        .expect("accepted");
    assert_eq!(
        accepted.message,
        "Consumed 1 kg of STEEL lot L-B (maker approved on condition until 2026-06-30: deviation D-12)"
    );
    // 2026-07-01T08:00:00Z: the day after the condition's last day.
    b.now = Timestamp::from_unix_millis(1_782_892_800_000);
    assert_eq!(
        b.no("st-1", lot_scan("L:L-B", Some("1"), None)),
        "L-B: approval of maker BETA for STEEL lapsed on 2026-06-30"
    );
}

#[test]
fn blocked_and_unknown_makers_are_refused() {
    let mut b = running(None);
    assert_eq!(
        b.no("st-1", scan("L:L-R")),
        "L-R: maker RUSTY blocked for STEEL (deviation D-12)"
    );
    assert_eq!(
        b.no("st-1", scan("L:L-X")),
        "L-X: maker unknown; STEEL needs an approved maker"
    );
}

#[test]
fn the_orders_customer_list_decides() {
    let mut b = running(Some("BOSCH"));
    assert_eq!(
        b.no("st-1", scan("L:L-A")),
        "L-A: maker ACME not approved for STEEL for customer BOSCH"
    );
    b.ok("st-1", lot_scan("L:L-B", Some("1"), None));
}

#[test]
fn a_material_without_a_list_takes_any_lot() {
    // STEEL without its list: even a lot without a recorded maker goes.
    let mut b = running(None);
    b.data.remove(&RecordKey {
        kind: RecordKind::Approval,
        code: code("STEEL"),
        material: None,
    });
    b.ok("st-1", lot_scan("L:L-X", Some("1"), None));
}
