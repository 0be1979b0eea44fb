//! Values past the declared maxima (`mes_protocols::limits`) and decimals
//! outside the one grammar (`mes_protocols::decimal`) are refused where
//! they enter, naming the field (issue 12): before, a receipt of 2e15 was
//! booked and made its material's stock answer 500 forever, a 1e20 × 1e20
//! sales line made the sales statistics drop the connection, 7e28 run
//! minutes made the standard cost drop it, and `"+5"`, `"1_000"` and a
//! 101-digit number were read (the last one rounded).

use crate::fixtures;
use crate::harness::TestDb;
use crate::hub::Hub;
use serde_json::json;

pub async fn values_past_the_maxima_are_422_naming_the_field(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("limits").await;
    fixtures::create_all(&hub, &t).await;
    let receipt = json!({"type": "receipt", "document": t.code("GR-big"), "location": t.code("LINE-1"),
        "material": t.code("steel"), "lot": t.code("L-1"), "quantity": "2000000000000000", "unit": t.code("kg")});
    hub.post("/api/v1/stock/documents", &t.token, &receipt)
        .await
        .expect_error(422, "invalid", Some("quantity"));
    let sales = json!({"code": t.code("SO-big"), "customer": t.code("globex"), "ordered_on": "2026-01-10",
        "lines": [{"line": 1, "material": t.code("bracket"), "quantity": "100000000000000000000",
                   "unit": t.code("pcs"), "price": "100000000000000000000", "due": "2026-02-01"}]});
    hub.post("/api/v1/sales-orders", &t.token, &sales)
        .await
        .expect_error(422, "invalid", Some("lines[0].quantity"));
    let routing = json!({"material": t.code("bolt"), "versions": [{"version": "r1", "operations": [
        {"operation": 10, "name": "Cut", "equipment_type": t.code("press"), "setup_minutes": "15",
         "run_minutes_per_unit": "70000000000000000000000000000", "worker_type": t.code("operator")}]}]});
    hub.post("/api/v1/routings", &t.token, &routing)
        .await
        .expect_error(
            422,
            "invalid",
            Some("versions[0].operations[0].run_minutes_per_unit"),
        );
    // Answers that read the data still answer.
    hub.get("/api/v1/reports/sales", &t.token).await.expect(200);
    // The unapproved-stock report looks at most a year ahead for conditions that end.
    for bad in ["367", "-1", "7.5", "week"] {
        hub.get(
            &format!("/api/v1/reports/unapproved-stock?within_days={bad}"),
            &t.token,
        )
        .await
        .expect_error(400, "invalid_query", Some("within_days"));
    }
    let report = hub
        .get("/api/v1/reports/unapproved-stock?within_days=7", &t.token)
        .await
        .expect(200);
    assert_eq!(report.body["within_days"], 7);
    assert_eq!(report.body["expiring"], json!([]));
}

pub async fn decimals_outside_the_grammar_are_refused_naming_the_field(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("grammar").await;
    fixtures::create_all(&hub, &t).await;
    let long = "1".repeat(101);
    for bad in ["+5", "1_000", long.as_str(), "1e3", "0.5."] {
        let receipt = json!({"type": "receipt", "document": t.code("GR-g"), "location": t.code("LINE-1"),
            "material": t.code("steel"), "lot": t.code("L-1"), "quantity": bad, "unit": t.code("kg")});
        let reply = hub.post("/api/v1/stock/documents", &t.token, &receipt).await;
        assert!(
            reply.status.as_u16() == 400 || reply.status.as_u16() == 422,
            "{bad:?} is refused: {} {}",
            reply.status,
            reply.text
        );
        assert_eq!(
            reply.body["error"]["field"], "quantity",
            "{bad:?}: {}",
            reply.text
        );
    }
    // Seven places are more than any unit keeps: refused, not rounded.
    let receipt = json!({"type": "receipt", "document": t.code("GR-p"), "location": t.code("LINE-1"),
        "material": t.code("steel"), "lot": t.code("L-1"), "quantity": "1.0000001", "unit": t.code("kg")});
    hub.post("/api/v1/stock/documents", &t.token, &receipt)
        .await
        .expect_error(422, "invalid", Some("quantity"));
}
