//! Material-aware planning (issue 17, item 4): an operation short of an
//! input that an open purchase order brings waits for the order's expected
//! day with the site's `material_waits = hold` (the default) and is marked;
//! with `mark` it is planned as if the material were there and still
//! marked; once the site's stock covers what the open orders need, it
//! neither waits nor is marked.

use crate::api::call;
use crate::factory::{factory, put};
use crate::harness::TestDb;
use crate::plans::{live_and_valid, place, run_plan};
use axum::http::Method;
use cloud_hub::masterdata::records as r;
use cloud_hub::planning::StoredPlan;
use serde_json::{Value, json};

/// Local midnight (UTC+1) at the start of 2026-05-20, epoch minutes.
const EXPECTED_DAY_MINUTE: i64 = (1_779_235_200_000 - 3_600_000) / 60_000;

async fn plan(db: &TestDb, f: &crate::factory::Factory) -> StoredPlan {
    run_plan(&db.store, &f.token).await;
    live_and_valid(&db.store, f.tenant).await.1
}

/// Start (epoch minutes) of `op` and the material it is marked as waiting for.
fn start_and_mark(stored: &StoredPlan, op: &str) -> (i64, Option<String>) {
    let mark = stored
        .material_waits
        .iter()
        .find(|w| w.op == op)
        .map(|w| w.material.to_string());
    (place(stored, op).1, mark)
}

async fn set_waits(db: &TestDb, f: &crate::factory::Factory, mode: &str) {
    let (_, site) = call(&db.store, Method::GET, "/api/v1/sites/plant", &f.token, None).await;
    let mut body: Value = site.clone();
    for key in ["archived", "version", "updated_at"] {
        body.as_object_mut().expect("a record").remove(key);
    }
    body["material_waits"] = json!(mode);
    let (status, answer) = call(
        &db.store,
        Method::PUT,
        "/api/v1/sites/plant",
        &f.token,
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
}

pub async fn short_material_waits_is_marked_or_is_covered_by_stock(db: &TestDb) {
    let f = factory(&db.store, "acme").await;
    let t = f.tenant;
    for (code, kind) in [("STEEL", "raw"), ("R", "finished")] {
        put::<r::Material>(
            &db.store,
            t,
            json!({"code": code, "name": code, "kind": kind, "base_unit": "pcs", "lot_tracked": false, "standard_cost": "1"}),
        )
        .await;
    }
    put::<r::Routing>(
        &db.store,
        t,
        json!({"material": "R", "versions": [{"version": "r1", "operations": [
            {"operation": 10, "equipment_type": "saw", "setup_minutes": "0", "run_minutes_per_unit": "1",
             "worker_type": "op", "inputs": [{"material": "STEEL", "quantity_per_unit": "2", "unit": "pcs"}]}]}]}),
    )
    .await;
    put::<r::ProductionOrder>(
        &db.store,
        t,
        json!({"code": "MO-E", "material": "R", "quantity": "10", "priority": 1, "due": "2026-05-29",
               "site": "plant", "status": "released"}),
    )
    .await;
    put::<r::Supplier>(&db.store, t, json!({"code": "acme", "name": "ACME Steel"})).await;
    put::<r::PurchaseOrder>(
        &db.store,
        t,
        json!({"code": "PO-1", "supplier": "acme", "site": "plant", "lines": [
            {"line": 1, "material": "STEEL", "quantity": "100", "unit": "pcs", "expected_on": "2026-05-20"}]}),
    )
    .await;

    // Hold (the default): no stock, so MO-E/10 waits for the expected day.
    let stored = plan(db, &f).await;
    let (start, mark) = start_and_mark(&stored, "MO-E/10");
    assert_eq!(mark.as_deref(), Some("STEEL"), "marked as waiting");
    assert!(
        start >= EXPECTED_DAY_MINUTE,
        "held until the purchase order: {start}"
    );

    // Mark: planned as if the steel were there, still marked.
    set_waits(db, &f, "mark").await;
    let stored = plan(db, &f).await;
    let (start, mark) = start_and_mark(&stored, "MO-E/10");
    assert_eq!(mark.as_deref(), Some("STEEL"), "still marked");
    assert!(start < EXPECTED_DAY_MINUTE, "not held: {start}");

    // Back to hold, and 25 pieces in stock cover the 20 needed: no wait.
    set_waits(db, &f, "hold").await;
    put::<r::Warehouse>(
        &db.store,
        t,
        json!({"code": "WH", "name": "Store", "site": "plant"}),
    )
    .await;
    put::<r::Location>(
        &db.store,
        t,
        json!({"code": "RACK", "name": "Rack", "warehouse": "WH", "site": "plant"}),
    )
    .await;
    let (status, answer) = call(
        &db.store,
        Method::POST,
        "/api/v1/stock/documents",
        &f.token,
        Some(
            json!({"type": "receipt", "document": "GR-1", "location": "RACK", "material": "STEEL",
                    "quantity": "25", "unit": "pcs"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let stored = plan(db, &f).await;
    let (start, mark) = start_and_mark(&stored, "MO-E/10");
    assert_eq!(mark, None, "covered by stock: {:?}", stored.material_waits);
    assert!(start < EXPECTED_DAY_MINUTE, "not held: {start}");
}
