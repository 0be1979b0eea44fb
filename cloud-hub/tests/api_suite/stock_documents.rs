//! Posting stock documents through the API: a retry is the same document.

use crate::fixtures;
use crate::harness::TestDb;
use crate::hub::Hub;
use serde_json::json;

/// A document posted without `occurred_at` is dated by the hub; posting it
/// again (a client retrying after a lost answer) is 200 with nothing
/// booked, not 409. The same number with other content is still 409.
pub async fn undated_document_retried_is_the_same_document(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("retry").await;
    fixtures::create_all(&hub, &t).await;
    // A receipt of its own (the fixtures' GR-1 is posted by create_all).
    let receipt = json!({"type": "receipt", "document": t.code("GR-9"), "location": t.code("LINE-1"),
        "material": t.code("steel"), "lot": t.code("L-1"), "quantity": "4", "unit": t.code("kg")});
    let first = hub
        .post("/api/v1/stock/documents", &t.token, &receipt)
        .await
        .expect(201);
    assert_eq!(first.body["rows_booked"], 1, "{}", first.text);
    let again = hub
        .post("/api/v1/stock/documents", &t.token, &receipt)
        .await
        .expect(200);
    assert_eq!(again.body["rows_booked"], 0, "{}", again.text);
    let mut other = receipt.clone();
    other["quantity"] = json!("5");
    hub.post("/api/v1/stock/documents", &t.token, &other)
        .await
        .expect(409);
}
