//! What the API refuses, and how it says so: `{error: {code, message,
//! field}}` with the status that tells a client whether to fix the syntax
//! (400), the meaning (422) or reread (409), and the field to fix.

use crate::fixtures;
use crate::harness::TestDb;
use crate::hub::{Hub, Tenant};
use axum::http::Method;
use serde_json::{Value, json};

async fn tenant_with_fixtures(hub: &Hub) -> Tenant {
    let t = hub.tenant("alpha").await;
    fixtures::create_all(hub, &t).await;
    t
}

fn bom(t: &Tenant, versions: Value) -> Value {
    json!({"material": t.code("bolt"), "versions": versions})
}

/// A body that is not JSON is 400 `malformed_body`; JSON of the wrong shape
/// is 400 `invalid_body` naming the field's path.
pub async fn bodies_that_do_not_parse_are_400_naming_the_field(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = tenant_with_fixtures(&hub).await;
    hub.req(Method::POST, "/api/v1/materials")
        .token(&t.token)
        .raw(br#"{"code": "x", "name": "#)
        .send()
        .await
        .expect_error(400, "malformed_body", None);
    let wrong_type = bom(
        &t,
        json!([{"version": "v1", "valid_from": "2026-01-01",
                "lines": [{"component": t.code("steel"), "quantity": "1", "unit": t.code("kg")},
                          {"component": t.code("steel"), "quantity": true, "unit": t.code("kg")}]}]),
    );
    hub.post("/api/v1/boms", &t.token, &wrong_type)
        .await
        .expect_error(400, "invalid_body", Some("versions[0].lines[1].quantity"));
    let bad_date = bom(
        &t,
        json!([{"version": "v1", "valid_from": "01/02/2026",
                "lines": [{"component": t.code("steel"), "quantity": "1", "unit": t.code("kg")}]}]),
    );
    hub.post("/api/v1/boms", &t.token, &bad_date).await.expect_error(
        400,
        "invalid_body",
        Some("versions[0].valid_from"),
    );
    let bad_code = json!({"code": " padded", "name": "x"});
    hub.post("/api/v1/units", &t.token, &bad_code)
        .await
        .expect_error(400, "invalid_body", Some("code"));
    let unknown_enum = json!({"code": t.code("F13"), "kind": "coffee", "text": "Break"});
    hub.post("/api/v1/reasons", &t.token, &unknown_enum)
        .await
        .expect_error(400, "invalid_body", Some("kind"));
    // A field the kind does not have is refused, not dropped.
    let unknown_field = json!({"code": t.code("kg2"), "name": "kilogram", "colour": "red"});
    let reply = hub
        .post("/api/v1/units", &t.token, &unknown_field)
        .await
        .expect(400);
    assert_eq!(reply.body["error"]["code"], "invalid_body");
    assert!(
        reply.text.contains("colour"),
        "the unknown field is named: {}",
        reply.text
    );
    let missing = json!({"code": t.code("kg3")});
    hub.post("/api/v1/units", &t.token, &missing).await.expect(400);
    // The same on a replacement.
    let one = format!("/api/v1/units/{}", t.code("kg"));
    hub.req(Method::PUT, &one)
        .token(&t.token)
        .raw(b"[1, 2")
        .send()
        .await
        .expect_error(400, "malformed_body", None);
    hub.req(Method::PUT, &one)
        .token(&t.token)
        .if_match("soon")
        .json(&json!({"code": t.code("kg"), "name": "kilogram"}))
        .send()
        .await
        .expect_error(400, "invalid_header", Some("If-Match"));
}

/// Records that parse but make no sense are 422 `invalid` naming the field.
pub async fn records_that_make_no_sense_are_422_naming_the_field(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = tenant_with_fixtures(&hub).await;
    let negative = bom(
        &t,
        json!([{"version": "v1", "valid_from": "2026-01-01",
                "lines": [{"component": t.code("steel"), "quantity": "-0.5", "unit": t.code("kg")}]}]),
    );
    hub.post("/api/v1/boms", &t.token, &negative).await.expect_error(
        422,
        "invalid",
        Some("versions[0].lines[0].quantity"),
    );
    let overlapping = bom(
        &t,
        json!([{"version": "v1", "valid_from": "2026-01-01", "valid_to": "2026-06-30",
                "lines": [{"component": t.code("steel"), "quantity": "1", "unit": t.code("kg")}]},
               {"version": "v2", "valid_from": "2026-06-30",
                "lines": [{"component": t.code("steel"), "quantity": "2", "unit": t.code("kg")}]}]),
    );
    hub.post("/api/v1/boms", &t.token, &overlapping)
        .await
        .expect_error(422, "invalid", Some("versions[1].valid_from"));
    let alt_is_base = json!({"code": t.code("wire"), "name": "Wire", "kind": "raw", "base_unit": t.code("kg"),
        "alt_units": [{"unit": t.code("box"), "factor": "3"}, {"unit": t.code("kg"), "factor": "1"}],
        "lot_tracked": false, "standard_cost": "1"});
    hub.post("/api/v1/materials", &t.token, &alt_is_base)
        .await
        .expect_error(422, "invalid", Some("alt_units[1].unit"));
    let zero_factor = json!({"code": t.code("wire"), "name": "Wire", "kind": "raw", "base_unit": t.code("kg"),
        "alt_units": [{"unit": t.code("box"), "factor": "0"}], "lot_tracked": false, "standard_cost": "1"});
    hub.post("/api/v1/materials", &t.token, &zero_factor)
        .await
        .expect_error(422, "invalid", Some("alt_units[0].factor"));
    let negative_order = json!({"code": t.code("MO-9"), "material": t.code("bracket"), "quantity": "-1"});
    hub.post("/api/v1/production-orders", &t.token, &negative_order)
        .await
        .expect_error(422, "invalid", Some("quantity"));
    // Nothing of the refused records was stored.
    for (path, refused) in [
        ("/api/v1/boms", t.code("bolt")),
        ("/api/v1/materials", t.code("wire")),
        ("/api/v1/production-orders", t.code("MO-9")),
    ] {
        let all = hub
            .get(format!("{path}?archived=true"), &t.token)
            .await
            .expect(200);
        assert!(
            !all.codes().contains(&refused),
            "{path}: refused {refused} was stored"
        );
    }
}

/// A reference to a record that does not exist, or is archived, is 422
/// naming the referring field.
pub async fn references_to_missing_or_archived_records_are_422_naming_the_field(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = tenant_with_fixtures(&hub).await;
    let missing = bom(
        &t,
        json!([{"version": "v1", "valid_from": "2026-01-01",
                "lines": [{"component": t.code("steel"), "quantity": "1", "unit": t.code("kg")},
                          {"component": t.code("unobtainium"), "quantity": "1", "unit": t.code("kg")}]}]),
    );
    hub.post("/api/v1/boms", &t.token, &missing).await.expect_error(
        422,
        "invalid",
        Some("versions[0].lines[1].component"),
    );
    let missing_unit = bom(
        &t,
        json!([{"version": "v1", "valid_from": "2026-01-01",
                "lines": [{"component": t.code("steel"), "quantity": "1", "unit": t.code("litre")}]}]),
    );
    hub.post("/api/v1/boms", &t.token, &missing_unit)
        .await
        .expect_error(422, "invalid", Some("versions[0].lines[0].unit"));
    let no_site = json!({"code": t.code("press-9"), "name": "Press 9", "equipment_type": t.code("press"),
        "site": "nowhere"});
    hub.post("/api/v1/equipment", &t.token, &no_site)
        .await
        .expect_error(422, "invalid", Some("site"));

    // Archive the bolt: a new reference to it is refused; the ones that
    // existed stay, and restoring it makes it usable again.
    let bolt = format!("/api/v1/materials/{}", t.code("bolt"));
    hub.req(Method::DELETE, &bolt)
        .token(&t.token)
        .send()
        .await
        .expect(200);
    let frame = json!({"code": t.code("frame"), "name": "Frame", "kind": "finished", "base_unit": t.code("pcs"),
        "lot_tracked": false, "standard_cost": "12"});
    hub.post("/api/v1/materials", &t.token, &frame).await.expect(201);
    let mut uses_bolt = bom(
        &t,
        json!([{"version": "v1", "valid_from": "2026-01-01",
                "lines": [{"component": t.code("bracket"), "quantity": "1", "unit": t.code("pcs")},
                          {"component": t.code("bolt"), "quantity": "4", "unit": t.code("pcs")}]}]),
    );
    uses_bolt["material"] = json!(t.code("frame"));
    hub.post("/api/v1/boms", &t.token, &uses_bolt).await.expect_error(
        422,
        "invalid",
        Some("versions[0].lines[1].component"),
    );
    hub.req(Method::POST, format!("{bolt}/restore"))
        .token(&t.token)
        .send()
        .await
        .expect(200);
    hub.post("/api/v1/boms", &t.token, &uses_bolt).await.expect(201);
}

/// The code in a replacement's body must be the URL's: a code cannot be
/// changed (422 naming `code`); a code nobody has is 404.
pub async fn code_in_body_must_match_the_url(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = tenant_with_fixtures(&hub).await;
    let (code, mut body) = fixtures::first_sample("/api/v1/equipment-types", &t);
    body["code"] = json!(t.code("lathe"));
    hub.req(Method::PUT, format!("/api/v1/equipment-types/{code}"))
        .token(&t.token)
        .json(&body)
        .send()
        .await
        .expect_error(422, "invalid", Some("code"));
    let (code, mut bom) = fixtures::first_sample("/api/v1/boms", &t);
    bom["material"] = json!(t.code("bolt"));
    hub.req(Method::PUT, format!("/api/v1/boms/{code}"))
        .token(&t.token)
        .json(&bom)
        .send()
        .await
        .expect_error(422, "invalid", Some("code"));
    hub.req(
        Method::PUT,
        format!("/api/v1/equipment-types/{}", t.code("lathe")),
    )
    .token(&t.token)
    .json(&body)
    .send()
    .await
    .expect_error(404, "not_found", None);
    for method in [Method::GET, Method::DELETE] {
        hub.req(method, format!("/api/v1/equipment-types/{}", t.code("lathe")))
            .token(&t.token)
            .send()
            .await
            .expect_error(404, "not_found", None);
    }
}

/// A query parameter a list does not take is 400 naming it; so is a bad
/// value of one it takes.
pub async fn unknown_or_bad_query_parameters_are_400_naming_them(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = tenant_with_fixtures(&hub).await;
    for (query, field, unknown) in [
        ("colour=red", "colour", true),
        ("limit=10&sort=code", "sort", true),
        ("status=released", "status", true),
        ("limit=0", "limit", false),
        ("limit=1001", "limit", false),
        ("limit=ten", "limit", false),
        ("archived=yes", "archived", false),
    ] {
        let reply = hub
            .get(format!("/api/v1/materials?{query}"), &t.token)
            .await
            .expect_error(400, "invalid_query", Some(field));
        assert!(
            !unknown
                || reply.body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(field)),
            "the message names `{field}`: {}",
            reply.text
        );
    }
    // Parameters a list does take are accepted.
    hub.get(
        "/api/v1/materials?kind=raw&base_unit=x&site=s&after=a&archived=false&limit=5",
        &t.token,
    )
    .await
    .expect(200);
}

/// A material's standard cost: bad query values are 400 naming them, a
/// BOM cycle is 422 naming the path, and a good question gets the roll-up.
/// Bracket on 2026-06-01 (BOM v2), lot 50, at the tenant's site: material
/// 0.4 kg × 2.5 + 2 × 0.05 = 1.10; minutes 15/50 + 0.5 + 5/50 + 0.25 =
/// 1.15 → labour 1.15 × 31.5/60 = 0.60375, machine 1.15 × 80/60 =
/// 1.5333…, overhead 10 % = 0.213708…; 3.450791… → 3.4508.
pub async fn standard_cost_questions_get_clear_answers(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = tenant_with_fixtures(&hub).await;
    let path = format!("/api/v1/costing/standard/{}", t.code("bracket"));
    for (query, field) in [
        ("colour=red", "colour"),
        ("lot_size=0", "lot_size"),
        ("lot_size=ten", "lot_size"),
        ("on=01/06/2026", "on"),
    ] {
        hub.get(format!("{path}?{query}"), &t.token)
            .await
            .expect_error(400, "invalid_query", Some(field));
    }
    // A well-formed site the tenant does not have: refused by its data.
    hub.get(format!("{path}?site=nowhere"), &t.token)
        .await
        .expect_error(422, "invalid", Some("site"));
    let reply = hub
        .get(
            format!("{path}?lot_size=50&on=2026-06-01&site={}", t.site),
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(reply.body["unit_cost"], json!("3.4508"), "{}", reply.text);
    assert_eq!(reply.body["unit"]["material"], json!("1.1"), "{}", reply.text);
    // Steel made of brackets, which are made of steel: a cycle.
    let cycle = json!({"material": t.code("steel"), "versions": [{"version": "v1",
        "valid_from": "2026-01-01",
        "lines": [{"component": t.code("bracket"), "quantity": "1", "unit": t.code("pcs")}]}]});
    hub.post("/api/v1/boms", &t.token, &cycle).await.expect(201);
    let reply = hub
        .get(format!("{path}?on=2026-06-01"), &t.token)
        .await
        .expect_error(422, "invalid", Some("material"));
    let message = reply.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("BOM cycle: "), "{message}");
}

/// What the framework refuses before a handler runs is answered in the
/// same error shape as everything else: a path parameter that is not
/// UTF-8 (400), a method the path does not take (405, with `Allow`), a
/// record body over the limit (413).
pub async fn framework_rejections_use_the_error_shape(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    hub.get("/api/v1/materials/%FF", &t.token)
        .await
        .expect_error(400, "bad_request", None);
    let reply = hub
        .req(Method::PATCH, "/api/v1/materials")
        .token(&t.token)
        .send()
        .await
        .expect_error(405, "method_not_allowed", None);
    assert!(
        reply.text.contains("PATCH"),
        "the message names the method: {}",
        reply.text
    );
    let big = vec![b' '; 2 << 20];
    hub.req(Method::POST, "/api/v1/units")
        .token(&t.token)
        .raw(&big)
        .send()
        .await
        .expect_error(413, "payload_too_large", None);
    // Successful answers that are not JSON keep their type.
    let metrics = hub.req(Method::GET, "/metrics").send().await.expect(200);
    assert!(metrics.body.is_null(), "metrics stay text: {}", metrics.text);
}

/// What the OpenAPI fuzzer found the server and its document disagree on
/// (issue 12): a number JSON Schema counts as an integer (`12.0`) is that
/// integer, for decimals and integer fields alike (before, 400); a stock
/// filter that is no code is 400 naming it (before, an empty 200); a rule
/// across the query and the body (`sheet` with a CSV file) is 422.
pub async fn what_the_document_allows_the_server_takes(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let reply = hub
        .post(
            "/api/v1/worker-types",
            &t.token,
            &json!({"code": t.code("welder"), "name": "Welder", "hourly_rate": 42.0}),
        )
        .await
        .expect(201);
    assert_eq!(reply.body["hourly_rate"], "42", "{}", reply.text);
    hub.post(
        "/api/v1/units",
        &t.token,
        &json!({"code": t.code("m"), "name": "Metre", "decimals": 2.0}),
    )
    .await
    .expect(201);
    hub.post(
        "/api/v1/worker-types",
        &t.token,
        &json!({"code": t.code("fitter"), "name": "Fitter", "hourly_rate": 42.5}),
    )
    .await
    .expect_error(400, "invalid_body", Some("hourly_rate"));
    hub.get("/api/v1/stock?site=%20x", &t.token)
        .await
        .expect_error(400, "invalid_query", Some("site"));
    hub.req(Method::POST, "/api/v1/import/materials?sheet=A")
        .token(&t.token)
        .header("content-type", "text/csv")
        .raw(b"code,name\n")
        .send()
        .await
        .expect_error(422, "invalid_query", Some("sheet"));
}
