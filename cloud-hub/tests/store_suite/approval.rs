//! Material approval on each backend (issue 21): lots record their maker
//! from the goods receipt; receipts from makers not approved are warned
//! about or refused per the site's setting; the backward trace names the
//! maker of every input down two levels; the unapproved-stock report finds
//! lots whose approval lapsed or was blocked, with where they are; the
//! downlink carries the lists, the lots' makers and the orders' customers.

use crate::costing::{Shop, create, shop};
use cloud_hub::downlink;
use cloud_hub::error::HubError;
use cloud_hub::inventory::documents::{self, StockDocument};
use cloud_hub::masterdata::records::{
    Customer, Manufacturer, MaterialApproval, ProductionOrder, SalesOrder, SiteSettings,
};
use cloud_hub::masterdata::service;
use cloud_hub::reports::{Direction, LotTrace, lot_trace, unapproved_stock_report};
use cloud_hub::store::Store;
use mes_protocols::downlink::Record;
use serde_json::json;
use time::macros::date;

/// Makers ACME, BETA, RUSTY; STEEL: ACME approved, BETA conditional until
/// 2026-11-30, RUSTY blocked; the steel lots come in as the costing
/// shop's, S1 from ACME (its lot A-77), S2 from BETA.
async fn approved_shop(store: &Store, name: &str) -> Shop {
    let shop = shop(store, name).await;
    let t = shop.floor.tenant;
    for (code, name) in [("ACME", "Acme"), ("BETA", "Beta"), ("RUSTY", "Rusty")] {
        create::<Manufacturer>(store, t, json!({"code": code, "name": name})).await;
    }
    create::<MaterialApproval>(
        store,
        t,
        json!({"material": "STEEL", "approvals": [
            {"manufacturer": "ACME", "status": "approved"},
            {"manufacturer": "BETA", "status": "conditional", "reason": "deviation D-12",
             "expires_on": "2026-11-30"},
            {"manufacturer": "RUSTY", "status": "blocked"}]}),
    )
    .await;
    for (doc, lot, maker, maker_lot, minute) in
        [("R1", "S1", "ACME", "A-77", 0), ("R2", "S2", "BETA", "B-1", 12)]
    {
        shop.floor
            .post(
                store,
                json!({"type": "receipt", "document": doc, "location": "LINE", "material": "STEEL",
                       "lot": lot, "quantity": "100", "unit": "kg", "unit_price": "1.00",
                       "manufacturer": maker, "manufacturer_lot": maker_lot,
                       "occurred_at": shop.at(minute)}),
            )
            .await;
    }
    shop
}

/// A trace as one line: `material/lot(maker) [order [...]]`.
fn render(lots: &[LotTrace]) -> String {
    lots.iter()
        .map(|l| {
            let steps: Vec<String> = l
                .orders
                .iter()
                .map(|s| format!("{} [{}]", s.order, render(&s.lots)))
                .collect();
            let maker = match (&l.manufacturer, &l.manufacturer_lot) {
                (Some(m), Some(ml)) => format!("({m} {ml})"),
                (Some(m), None) => format!("({m})"),
                _ => String::new(),
            };
            format!(
                "{}/{}{maker} [{}]",
                l.material,
                l.lot.as_deref().unwrap_or("-"),
                steps.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// FG-L1 ← MO-B ← SUB-L1 ← MO-A ← S1 (ACME), S2 (BETA).
pub async fn backward_trace_names_the_maker_of_every_input_two_levels_down(db: &crate::harness::TestDb) {
    let store = &db.store;
    let shop = approved_shop(store, "trace-makers").await;
    let punctual = shop.punctual_events();
    let mut floor = shop.floor;
    floor.send(store, &punctual).await;
    floor.project(store, 100).await;
    let back = lot_trace(store, floor.tenant, "FG-L1", Direction::Backward)
        .await
        .expect("trace reads");
    assert_eq!(
        render(&back),
        "FG/FG-L1 [MO-B [SUB/SUB-L1 [MO-A [STEEL/S1(ACME A-77) [], STEEL/S2(BETA B-1) []]]]]"
    );
}

async fn post(store: &Store, shop: &Shop, doc: serde_json::Value) -> Result<documents::Posted, HubError> {
    let doc: StockDocument = serde_json::from_value(doc).expect("fixture documents are valid");
    documents::post(store, shop.floor.tenant, doc).await
}

/// Warn by default, refuse when the site says; the report on a day after
/// BETA's condition lists S2 (lapsed) and the RUSTY lot (blocked) at LINE.
pub async fn unapproved_receipts_are_warned_or_refused_and_reported_in_stock(db: &crate::harness::TestDb) {
    let store = &db.store;
    let shop = approved_shop(store, "receipt-approval").await;
    let t = shop.floor.tenant;
    let rusty = |doc: &str, lot: &str| {
        json!({"type": "receipt", "document": doc, "location": "LINE", "material": "STEEL",
               "lot": lot, "quantity": "10", "unit": "kg", "manufacturer": "RUSTY",
               "occurred_at": shop.at(30)})
    };
    let posted = post(store, &shop, rusty("R3", "S3"))
        .await
        .expect("a warning books");
    assert_eq!(
        posted.warnings,
        vec!["S3: maker RUSTY blocked for STEEL".to_string()]
    );
    let lot = service::get::<cloud_hub::masterdata::records::Lot>(store, t, "S3")
        .await
        .expect("the receipt made the lot");
    assert_eq!(
        lot.record.manufacturer.as_ref().map(|m| m.as_str()),
        Some("RUSTY")
    );

    // The maker's GS1 label gives its lot (AI 10), part (240) and expiry (17).
    let labelled = json!({"type": "receipt", "document": "R5", "location": "LINE", "material": "STEEL",
        "lot": "S5", "quantity": "1", "unit": "kg", "manufacturer": "ACME",
        "label": "(01)09506000134352(10)MK-55(240)P-9(17)301231", "occurred_at": shop.at(31)});
    let posted = post(store, &shop, labelled)
        .await
        .expect("an approved maker books");
    assert!(posted.warnings.is_empty(), "{:?}", posted.warnings);
    let lot = service::get::<cloud_hub::masterdata::records::Lot>(store, t, "S5")
        .await
        .expect("the receipt made the lot")
        .record;
    assert_eq!(
        (
            lot.manufacturer_lot.as_deref(),
            lot.manufacturer_part.as_deref(),
            lot.expires_on
        ),
        (Some("MK-55"), Some("P-9"), Some(date!(2030 - 12 - 31)))
    );

    let mut site = service::get::<SiteSettings>(store, t, "plant-1")
        .await
        .expect("the shop's site has settings")
        .record;
    site.unapproved_receipts = cloud_hub::masterdata::records::UnapprovedReceipts::Refuse;
    service::update(store, t, "plant-1", site, None)
        .await
        .expect("the setting is saved");
    match post(store, &shop, rusty("R4", "S4")).await {
        Err(HubError::Invalid(e)) => {
            assert_eq!(e.field, "manufacturer");
            assert_eq!(
                e.reason,
                "S4: maker RUSTY blocked for STEEL (site plant-1 refuses unapproved receipts)"
            );
        }
        other => panic!("a refused receipt, not {other:?}"),
    }
    assert!(
        service::get::<cloud_hub::masterdata::records::Lot>(store, t, "S4")
            .await
            .is_err(),
        "a refused receipt makes no lot"
    );

    let report = unapproved_stock_report(store, t, date!(2026 - 12 - 01), 30, |_| true)
        .await
        .expect("report reads");
    let rows: Vec<(&str, &str, &str, String, &str)> = report
        .items
        .iter()
        .map(|i| {
            (
                i.lot.as_str(),
                i.location.as_str(),
                i.site.as_str(),
                i.quantity.normalize().to_string(),
                i.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "S2",
                "LINE",
                "plant-1",
                "100".to_string(),
                "S2: approval of maker BETA for STEEL lapsed on 2026-11-30"
            ),
            (
                "S3",
                "LINE",
                "plant-1",
                "10".to_string(),
                "S3: maker RUSTY blocked for STEEL"
            ),
        ]
    );
    assert!(report.expiring.is_empty(), "a lapsed lot is no longer expiring");
    let before = unapproved_stock_report(store, t, date!(2026 - 11 - 30), 30, |_| true)
        .await
        .expect("report reads");
    assert_eq!(before.items.len(), 1, "only the blocked lot before the expiry");
    // On its last day BETA's lot is still accepted, and ending within 30 days.
    let expiring: Vec<(&str, &str, &str, &str, &str)> = before
        .expiring
        .iter()
        .map(|e| {
            (
                e.lot.as_str(),
                e.manufacturer.as_str(),
                e.location.as_str(),
                e.expires_on.as_str(),
                e.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        expiring,
        vec![("S2", "BETA", "LINE", "2026-11-30", "deviation D-12")]
    );
    let month_before = unapproved_stock_report(store, t, date!(2026 - 11 - 01), 14, |_| true)
        .await
        .expect("report reads");
    assert!(
        month_before.expiring.is_empty(),
        "a condition ending after the window is not listed"
    );
    let window_reaches = unapproved_stock_report(store, t, date!(2026 - 11 - 01), 29, |_| true)
        .await
        .expect("report reads");
    assert_eq!(window_reaches.expiring.len(), 1, "11-01 + 29 days is 11-30");
    let other_site = unapproved_stock_report(store, t, date!(2026 - 12 - 01), 30, |s| s != "plant-1")
        .await
        .expect("report reads");
    assert!(
        other_site.items.is_empty(),
        "sites the caller cannot see are left out"
    );
}

/// The stations' offline copy: the list, the lot's maker, the order's
/// customer (from its sales order).
pub async fn downlink_carries_lists_makers_and_customers(db: &crate::harness::TestDb) {
    let store = &db.store;
    let shop = approved_shop(store, "approval-downlink").await;
    let t = shop.floor.tenant;
    create::<Customer>(store, t, json!({"code": "BOSCH", "name": "Bosch"})).await;
    create::<SalesOrder>(
        store,
        t,
        json!({"code": "SO-1", "customer": "BOSCH", "ordered_on": "2026-11-01",
               "lines": [{"line": 1, "material": "SUB", "quantity": "5", "unit": "pcs",
                          "due": "2026-12-01"}]}),
    )
    .await;
    create::<ProductionOrder>(
        store,
        t,
        json!({"code": "MO-9", "material": "SUB", "quantity": "5",
               "sales_order": {"order": "SO-1", "line": 1}}),
    )
    .await;
    cloud_hub::production::lifecycle::release(
        store,
        t,
        "MO-9",
        Some(crate::floor::code("plant-1")),
        date!(2026 - 11 - 25),
    )
    .await
    .expect("released");
    let page = downlink::page(store, t, "plant-1", 0, 5_000, None)
        .await
        .expect("page");
    let mut seen = (false, false, false);
    for record in &page.upserts {
        match record {
            Record::Approval(list) if list.material.as_str() == "STEEL" => {
                assert_eq!(list.approvals.len(), 3);
                seen.0 = true;
            }
            Record::Lot(lot) if lot.lot.as_str() == "S1" => {
                assert_eq!(lot.manufacturer.as_ref().map(|m| m.as_str()), Some("ACME"));
                seen.1 = true;
            }
            Record::Order(order) if order.code.as_str() == "MO-9" => {
                assert_eq!(order.customer.as_ref().map(|c| c.as_str()), Some("BOSCH"));
                seen.2 = true;
            }
            _ => {}
        }
    }
    assert_eq!(seen, (true, true, true), "list, lot and order are all sent");

    // The list archived: an agent of this version (it sends `plan=`) is
    // told to forget it; an older one, which knows no `approval` kind and
    // would fail the whole page on its removal, is not.
    service::set_archived::<MaterialApproval>(store, t, "STEEL", true)
        .await
        .expect("archived");
    let removed = |page: &mes_protocols::downlink::DownlinkPage| {
        page.removals
            .iter()
            .any(|k| k.kind == mes_protocols::downlink::RecordKind::Approval && k.code.as_str() == "STEEL")
    };
    let current = downlink::page(store, t, "plant-1", page.cursor, 5_000, Some(0))
        .await
        .expect("page");
    assert!(removed(&current), "{:?}", current.removals);
    let older = downlink::page(store, t, "plant-1", page.cursor, 5_000, None)
        .await
        .expect("page");
    assert!(!removed(&older), "{:?}", older.removals);
}
