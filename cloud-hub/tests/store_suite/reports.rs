//! The material shortage report on each backend, against a prepared set
//! of open orders, stock and purchase orders, figures by hand.

use crate::costing::{create, shop};
use crate::floor::dec;
use cloud_hub::masterdata::records::{ProductionOrder, PurchaseOrder, Supplier};
use cloud_hub::reports::shortage_report;
use rust_decimal::Decimal;
use serde_json::json;

/// (order, material, remaining, from stock, missing, uncovered, available on).
type LineFigures<'a> = (
    &'a str,
    &'a str,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    Option<&'a str>,
);

/// Stock: STEEL 100 kg S1 + 100 kg S2 + 30 kg S3 received against PO-2 =
/// 230 kg on hand; SUB none.
/// Open orders (SUB takes 2 kg STEEL per unit, FG 2 SUB per unit), in the
/// order they take supply (due date, undated last, then release, number):
/// MO-C 100 SUB due 12-01 → 200 kg; MO-D 30 SUB due 12-05 → 60 kg; MO-A 20
/// SUB (no date, released first) → 40 kg; MO-B 5 FG → 10 SUB.
/// Purchase orders: PO-1 50 kg STEEL expected 12-03; PO-2 100 kg expected
/// 12-08 less the 30 received = 70 open; PO-3 (closed) 500 kg counts nothing.
///
/// STEEL: MO-C takes 200 of the 230 (nothing missing); MO-D gets 30 from
/// stock, misses 30, covered by PO-1 (30 of its 50) → available 12-03;
/// MO-A misses all 40: PO-1's other 20 (12-03) + 20 of PO-2 (12-08) →
/// available 12-08. STEEL missing 70, uncovered 0; arrivals: 230 + 50 =
/// 280 on 12-03, 280 + 70 = 350 on 12-08.
/// SUB: MO-B misses 10 and no purchase order brings SUB: uncovered 10, no
/// date.
pub async fn shortage_report_lists_exactly_what_is_missing(db: &crate::harness::TestDb) {
    let store = &db.store;
    let shop = shop(store, "shortage").await;
    let t = shop.floor.tenant;
    shop.receive(store).await;
    create::<Supplier>(store, t, json!({"code": "ACME", "name": "Acme Steel"})).await;
    for (po, qty, on, status) in [
        ("PO-1", "50", "2026-12-03", "open"),
        ("PO-2", "100", "2026-12-08", "open"),
        ("PO-3", "500", "2026-12-02", "closed"),
    ] {
        create::<PurchaseOrder>(
            store,
            t,
            json!({"code": po, "supplier": "ACME", "site": "plant-1", "status": status,
                   "lines": [{"line": 1, "material": "STEEL", "quantity": qty, "unit": "kg",
                              "price": "1.25", "expected_on": on}]}),
        )
        .await;
    }
    shop.floor
        .post(
            store,
            json!({"type": "receipt", "document": "R3", "location": "LINE", "material": "STEEL",
                   "lot": "S3", "quantity": "30", "unit": "kg", "purchase_order": "PO-2",
                   "occurred_at": shop.at(20)}),
        )
        .await;
    for (order, qty, due) in [("MO-C", "100", "2026-12-01"), ("MO-D", "30", "2026-12-05")] {
        create::<ProductionOrder>(
            store,
            t,
            json!({"code": order, "material": "SUB", "quantity": qty, "due": due}),
        )
        .await;
        cloud_hub::production::lifecycle::release(
            store,
            t,
            order,
            Some(crate::floor::code("plant-1")),
            time::macros::date!(2026 - 11 - 25),
        )
        .await
        .expect("the order releases");
    }

    let report = shortage_report(store, t).await.expect("the report reads");
    let lines: Vec<LineFigures<'_>> = report
        .orders
        .iter()
        .map(|l| {
            (
                l.order.as_str(),
                l.material.as_str(),
                l.remaining,
                l.from_stock,
                l.missing,
                l.uncovered,
                l.available_on.as_deref(),
            )
        })
        .collect();
    let z = Decimal::ZERO;
    assert_eq!(
        lines,
        vec![
            ("MO-A", "STEEL", dec("40"), z, dec("40"), z, Some("2026-12-08")),
            ("MO-B", "SUB", dec("10"), z, dec("10"), dec("10"), None),
            (
                "MO-D",
                "STEEL",
                dec("60"),
                dec("30"),
                dec("30"),
                z,
                Some("2026-12-03")
            ),
        ]
    );
    let mo_a: Vec<(&str, Decimal)> = report.orders[0]
        .covered_by
        .iter()
        .map(|c| (c.purchase_order.as_str(), c.quantity))
        .collect();
    assert_eq!(mo_a, vec![("PO-1", dec("20")), ("PO-2", dec("20"))]);
    let steel = &report.materials[0];
    assert_eq!(steel.material, "STEEL");
    assert_eq!(
        (
            steel.on_hand,
            steel.demand,
            steel.on_order,
            steel.missing,
            steel.uncovered
        ),
        (dec("230"), dec("300"), dec("120"), dec("70"), z)
    );
    let arrivals: Vec<(&str, Decimal, Decimal)> = steel
        .arrivals
        .iter()
        .map(|a| (a.expected_on.as_str(), a.quantity, a.cumulative))
        .collect();
    assert_eq!(
        arrivals,
        vec![
            ("2026-12-03", dec("50"), dec("280")),
            ("2026-12-08", dec("70"), dec("350"))
        ]
    );
    let sub = &report.materials[1];
    assert_eq!(
        (sub.material.as_str(), sub.missing, sub.uncovered),
        ("SUB", dec("10"), dec("10"))
    );
}
