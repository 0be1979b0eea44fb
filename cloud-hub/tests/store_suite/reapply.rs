//! Re-applying set-aside events (issue 12): an event the projection could
//! not book because master data was missing books once the master data is
//! fixed, without a rebuild; one whose cause remains keeps its issue.

use crate::costing::{create, shop};
use cloud_hub::masterdata::records::Material;
use cloud_hub::projection::{check_books, project_step, reapply_issues};
use cloud_hub::store::Store;
use cloud_hub::store::TenantId;
use serde_json::json;
use std::collections::BTreeSet;

/// The materials of `tenant`'s ledger rows.
async fn booked_materials(store: &Store, tenant: TenantId) -> BTreeSet<String> {
    store
        .all_movements(tenant)
        .await
        .expect("the ledger reads")
        .into_iter()
        .map(|m| m.key.material.to_string())
        .collect()
}

pub async fn set_aside_events_book_after_the_master_data_is_fixed(db: &crate::harness::TestDb) {
    let store = &db.store;
    let mut shop = shop(store, "reapply").await;
    shop.receive(store).await;
    let events = [
        shop.consumed(20, false, "STEEL", "S1", "5", "kg"),
        shop.consumed(21, false, "BRASS", "B1", "2", "kg"),
        shop.consumed(22, false, "COPPER", "C1", "1", "kg"),
    ];
    shop.floor.send(store, &events).await;
    let tenant = shop.floor.tenant;
    let mut context = None;
    while project_step(store, tenant, &mut context, 100)
        .await
        .expect("a step")
        .events
        > 0
    {}
    let issues = store.projection_issues(tenant, 100).await.expect("issues read");
    assert_eq!(
        issues.len(),
        2,
        "BRASS and COPPER are not master data: {issues:?}"
    );
    assert!(!booked_materials(store, tenant).await.contains("BRASS"));

    create::<Material>(
        store,
        tenant,
        json!({"code": "BRASS", "name": "Brass", "kind": "raw", "base_unit": "kg", "lot_tracked": true,
               "standard_cost": "3"}),
    )
    .await;
    let done = reapply_issues(store, tenant, 100).await.expect("re-apply works");
    assert_eq!((done.events, done.booked, done.set_aside), (2, 1, 1), "{done:?}");
    assert!(booked_materials(store, tenant).await.contains("BRASS"));
    let left = store.projection_issues(tenant, 100).await.expect("issues read");
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].reason.contains("COPPER"),
        "the reason of now: {}",
        left[0].reason
    );
    let books = check_books(store, tenant).await.expect("the books check runs");
    assert!(books.unbooked.is_empty(), "nothing passed unbooked: {books:?}");

    // Again: the booked event is not booked twice; the other stays.
    let rows_before = store.all_movements(tenant).await.expect("ledger").len();
    let again = reapply_issues(store, tenant, 100).await.expect("re-apply works");
    assert_eq!(
        (again.events, again.booked, again.set_aside),
        (1, 0, 1),
        "{again:?}"
    );
    assert_eq!(
        store.all_movements(tenant).await.expect("ledger").len(),
        rows_before
    );
}
