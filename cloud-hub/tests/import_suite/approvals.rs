//! Manufacturers and approved-manufacturer lists as files (issue 21): a
//! file with bad rows lists every one and stores nothing; the fixed file
//! imports; the export imports back to the same records.

use crate::harness::TestDb;
use crate::world::{bad_rows, reason, world};
use serde_json::json;

const MANUFACTURERS: &str = "code,name,brand
ACME,Acme Steel Works,ACME
BETA,\"Beta Metals, Inc.\",
RUSTY,Rusty Rolling Mill,
";

/// STEEL's general list and BOSCH's own. Row 5 names a maker the hub does
/// not have; row 6 is conditional without an expiry date.
const BAD_APPROVALS: &str = "material,customer,manufacturer,status,reason,expires_on
STEEL,,ACME,approved,,
STEEL,,BETA,conditional,deviation D-12,2026-11-30
STEEL,,RUSTY,blocked,8D 2026-041,
STEEL,BOSCH,GAMMA,approved,,
STEEL,BOSCH,BETA,conditional,first article pending,
";

/// Manufacturers and lists in, bad rows out; then the round trip.
pub async fn approval_files_report_bad_rows_and_round_trip(db: &TestDb) {
    let w = world(db).await;
    let token = w.t.token.as_str();
    let bosch = json!({"code": "BOSCH", "name": "Robert Bosch GmbH"});
    w.hub.post("/api/v1/customers", token, &bosch).await.expect(201);
    let reply = w
        .files
        .csv("manufacturers", token, MANUFACTURERS)
        .await
        .expect(201);
    assert_eq!(reply.body, json!({"manufacturers": {"created": 3, "updated": 0}}));

    let reply = w.files.csv("material-approvals", token, BAD_APPROVALS).await;
    assert_eq!(
        bad_rows(&reply),
        vec![
            (None, 5, "manufacturer".to_string(), "C".to_string()),
            (None, 6, "expires_on".to_string(), "F".to_string()),
        ]
    );
    assert_eq!(
        reason(&reply, 5, "manufacturer"),
        "is not a manufacturer in the hub (or it is archived)"
    );
    assert_eq!(
        reason(&reply, 6, "expires_on"),
        "a conditional approval needs an expiry date"
    );
    w.hub
        .get("/api/v1/material-approvals/STEEL", token)
        .await
        .expect(404);

    let fixed = BAD_APPROVALS
        .replace("STEEL,BOSCH,GAMMA", "STEEL,BOSCH,ACME")
        .replace("first article pending,", "first article pending,2027-01-31");
    let reply = w.files.csv("material-approvals", token, &fixed).await.expect(201);
    assert_eq!(
        reply.body,
        json!({"material-approvals": {"created": 1, "updated": 0}})
    );
    let stored = w
        .hub
        .get("/api/v1/material-approvals/STEEL", token)
        .await
        .expect(200)
        .body;
    assert_eq!(stored["approvals"][1]["expires_on"], "2026-11-30");
    assert_eq!(
        stored["customers"],
        json!([{"customer": "BOSCH", "approvals": [
            {"manufacturer": "ACME", "status": "approved"},
            {"manufacturer": "BETA", "status": "conditional", "reason": "first article pending",
             "expires_on": "2027-01-31"}]}])
    );

    let makers = w.files.export("manufacturers", token).await;
    let lists = w.files.export("material-approvals", token).await;
    assert_eq!(lists, fixed, "the export is the file imported");
    let reply = w.files.csv("manufacturers", token, &makers).await.expect(200);
    assert_eq!(reply.body, json!({"manufacturers": {"created": 0, "updated": 3}}));
    let reply = w.files.csv("material-approvals", token, &lists).await.expect(200);
    assert_eq!(
        reply.body,
        json!({"material-approvals": {"created": 0, "updated": 1}})
    );
    let again = w
        .hub
        .get("/api/v1/material-approvals/STEEL", token)
        .await
        .expect(200)
        .body;
    assert_eq!(
        (&again["approvals"], &again["customers"]),
        (&stored["approvals"], &stored["customers"])
    );
    assert_eq!(w.files.export("manufacturers", token).await, makers);
}
