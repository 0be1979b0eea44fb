//! The life of a record through the REST routes, for representative
//! kinds: create (201, ETag = version), read, list, replace with If-Match
//! (a stale version is 409 and changes nothing), archive (hidden from the
//! default list, shown with `archived=true`), restore.

use crate::fixtures::{self, assert_echoes};
use crate::harness::TestDb;
use crate::hub::{Hub, Tenant, code_of, without_bookkeeping};
use crate::routes::percent_encode;
use axum::http::Method;
use serde_json::{Value, json};

/// One record's round trip: `body` is created (its references must exist),
/// then replaced by `edit(body)`.
async fn round_trip(hub: &Hub, t: &Tenant, collection: &str, body: Value, edit: impl FnOnce(&mut Value)) {
    let code = code_of(&body).expect("the body has a code");
    let one = format!("{collection}/{}", percent_encode(&code));

    let created = hub.post(collection, &t.token, &body).await.expect(201);
    assert_echoes(&created.body, &body, collection);
    assert_eq!(
        created.body["archived"], false,
        "{collection}: a new record is active"
    );
    let v1 = created.version();
    assert_eq!(
        created.etag,
        Some(format!("\"{v1}\"")),
        "{collection}: ETag is the version"
    );
    hub.post(collection, &t.token, &body)
        .await
        .expect_error(409, "exists", Some("code"));

    let read = hub.get(&one, &t.token).await.expect(200);
    assert_eq!(
        read.body, created.body,
        "{collection}: read equals what was created"
    );
    assert_eq!(read.etag, created.etag);
    let listed = hub.get(collection, &t.token).await.expect(200);
    assert!(listed.codes().contains(&code), "{collection}: list shows {code}");

    // What a client does: GET, edit, PUT with the version read. The
    // bookkeeping fields it sends back are ignored.
    let mut edited = read.body.clone();
    edit(&mut edited);
    assert_ne!(
        without_bookkeeping(&edited),
        without_bookkeeping(&read.body),
        "the edit changes something"
    );
    let updated = hub
        .req(Method::PUT, &one)
        .token(&t.token)
        .if_match(format!("\"{v1}\""))
        .json(&edited)
        .send()
        .await
        .expect(200);
    let v2 = updated.version();
    assert!(
        v2 > v1,
        "{collection}: a write advances the version ({v1} → {v2})"
    );
    assert_echoes(&updated.body, &without_bookkeeping(&edited), collection);
    assert_eq!(hub.get(&one, &t.token).await.expect(200).body, updated.body);

    // A stale version (the one before the update): 409, nothing written.
    hub.req(Method::PUT, &one)
        .token(&t.token)
        .if_match(v1)
        .json(&body)
        .send()
        .await
        .expect_error(409, "version_conflict", Some("If-Match"));
    assert_eq!(
        hub.get(&one, &t.token).await.expect(200).body,
        updated.body,
        "{collection}: unchanged"
    );
    // Without If-Match the replacement is unconditional.
    let v3 = hub
        .req(Method::PUT, &one)
        .token(&t.token)
        .json(&body)
        .send()
        .await
        .expect(200)
        .version();
    assert!(v3 > v2);

    let archived = hub
        .req(Method::DELETE, &one)
        .token(&t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(archived.body["archived"], true, "{collection}: DELETE archives");
    assert!(archived.version() > v3);
    let default = hub
        .get(format!("{collection}?limit=1000"), &t.token)
        .await
        .expect(200);
    assert!(
        !default.codes().contains(&code),
        "{collection}: archived {code} hidden by default"
    );
    let all = hub
        .get(format!("{collection}?archived=true&limit=1000"), &t.token)
        .await
        .expect(200);
    let item = all.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| code_of(i).as_deref() == Some(&code)))
        .unwrap_or_else(|| panic!("{collection}: archived=true shows {code}: {}", all.text));
    assert_eq!(item["archived"], true);
    let still = hub.get(&one, &t.token).await.expect(200);
    assert_eq!(still.body["archived"], true, "an archived record stays readable");

    let restored = hub
        .req(Method::POST, format!("{one}/restore"))
        .token(&t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(restored.body["archived"], false, "{collection}: restored");
    assert_eq!(
        without_bookkeeping(&restored.body),
        without_bookkeeping(&archived.body)
    );
    let default = hub
        .get(format!("{collection}?limit=1000"), &t.token)
        .await
        .expect(200);
    assert!(
        default.codes().contains(&code),
        "{collection}: restored {code} listed again"
    );
}

/// Creates the records the round trips refer to.
async fn prerequisites(hub: &Hub, t: &Tenant) {
    for collection in [
        "/api/v1/units",
        "/api/v1/materials",
        "/api/v1/equipment-types",
        "/api/v1/worker-types",
        "/api/v1/customers",
        "/api/v1/sales-orders",
    ] {
        for body in (fixtures::fixture(collection).expect("a fixture").samples)(t) {
            hub.post(collection, &t.token, &body).await.expect(201);
        }
    }
}

/// A material with alternative units: create, read, list, update, archive,
/// restore.
pub async fn material_with_alt_units_round_trips(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    prerequisites(&hub, &t).await;
    let body = json!({"code": t.code("sheet"), "name": "Sheet 1 mm", "kind": "semi_finished",
        "base_unit": t.code("kg"), "alt_units": [{"unit": t.code("box"), "factor": "12.5"},
                                                  {"unit": t.code("pcs"), "factor": "0.25"}],
        "lot_tracked": true, "standard_cost": "1.2345"});
    round_trip(&hub, &t, "/api/v1/materials", body, |m| {
        m["alt_units"][0]["factor"] = json!("10");
        m["name"] = json!("Sheet 1 mm, cut");
    })
    .await;
}

/// A BOM with two versions (one open-ended, an engineering change that
/// uses up old stock).
pub async fn bom_with_versions_round_trips(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    prerequisites(&hub, &t).await;
    let (_, body) = fixtures::first_sample("/api/v1/boms", &t);
    round_trip(&hub, &t, "/api/v1/boms", body, |b| {
        b["versions"][1]["valid_to"] = json!("2026-12-31");
        b["versions"]
            .as_array_mut()
            .expect("versions")
            .push(json!({"version": "v3", "valid_from": "2027-01-01", "lines": [
                {"component": t.code("bolt"), "quantity": "4", "unit": t.code("pcs")}]}));
    })
    .await;
}

/// A routing with two operations.
pub async fn routing_round_trips(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    prerequisites(&hub, &t).await;
    let (_, body) = fixtures::first_sample("/api/v1/routings", &t);
    round_trip(&hub, &t, "/api/v1/routings", body, |r| {
        r["versions"][0]["operations"][1]["setup_minutes"] = json!("7.5");
    })
    .await;
}

/// Equipment at a site (a reference to the tenant's site).
pub async fn equipment_at_a_site_round_trips(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    prerequisites(&hub, &t).await;
    let (_, body) = fixtures::first_sample("/api/v1/equipment", &t);
    round_trip(&hub, &t, "/api/v1/equipment", body, |e| {
        e["hourly_rate"] = json!("95.5");
        e["speed_factor"] = json!("1.5");
    })
    .await;
    let listed = hub
        .get(format!("/api/v1/equipment?site={}", t.site), &t.token)
        .await
        .expect(200);
    assert_eq!(
        listed.codes(),
        vec![t.code("press-1")],
        "the site filter finds it"
    );
    let elsewhere = hub
        .get("/api/v1/equipment?site=nowhere", &t.token)
        .await
        .expect(200);
    assert_eq!(elsewhere.codes(), Vec::<String>::new());
}

/// A production order (references a material that has a routing, a site
/// and a sales order line).
pub async fn production_order_round_trips(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    prerequisites(&hub, &t).await;
    let (_, routing) = fixtures::first_sample("/api/v1/routings", &t);
    hub.post("/api/v1/routings", &t.token, &routing).await.expect(201);
    let (_, body) = fixtures::first_sample("/api/v1/production-orders", &t);
    round_trip(&hub, &t, "/api/v1/production-orders", body.clone(), |o| {
        o["priority"] = json!(5);
        o["quantity"] = json!("60");
    })
    .await;
    // Its status changes only through lifecycle actions, not a replacement.
    let one = format!("/api/v1/production-orders/{}", t.code("MO-1"));
    let mut closed = body;
    closed["status"] = json!("closed");
    hub.req(Method::PUT, &one)
        .token(&t.token)
        .json(&closed)
        .send()
        .await
        .expect_error(422, "invalid", Some("status"));
}

/// Creates of one code racing each other: exactly one is created (201),
/// the others are told it exists (409), and the stored record is the
/// winner's: no create silently replaces another.
pub async fn racing_creates_of_one_code_create_it_once(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    prerequisites(&hub, &t).await;
    for round in 0..5 {
        let code = t.code(&format!("race-{round}"));
        let mut racers = tokio::task::JoinSet::new();
        for i in 0..8 {
            let (hub, token) = (hub.clone(), t.token.clone());
            let body = json!({"code": code, "name": format!("racer {i}")});
            racers.spawn(async move { hub.post("/api/v1/equipment-types", &token, &body).await });
        }
        let replies = racers.join_all().await;
        let winners: Vec<_> = replies.iter().filter(|r| r.status.as_u16() == 201).collect();
        assert_eq!(winners.len(), 1, "round {round}: one create wins: {replies:#?}");
        for loser in replies.iter().filter(|r| r.status.as_u16() != 201) {
            loser.clone().expect_error(409, "exists", Some("code"));
        }
        let stored = hub
            .get(format!("/api/v1/equipment-types/{code}"), &t.token)
            .await
            .expect(200);
        assert_eq!(
            stored.body, winners[0].body,
            "round {round}: the winner's record is stored"
        );
    }
}

/// Replacements racing with the same If-Match: exactly one is written,
/// the others are 409 `version_conflict`.
pub async fn racing_replacements_with_one_version_write_once(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    prerequisites(&hub, &t).await;
    let one = format!("/api/v1/equipment-types/{}", t.code("press"));
    for round in 0..5 {
        let version = hub.get(&one, &t.token).await.expect(200).version();
        let mut racers = tokio::task::JoinSet::new();
        for i in 0..8 {
            let (hub, token, one) = (hub.clone(), t.token.clone(), one.clone());
            let body = json!({"code": t.code("press"), "name": format!("round {round} racer {i}")});
            racers.spawn(async move {
                hub.req(Method::PUT, &one)
                    .token(&token)
                    .if_match(version)
                    .json(&body)
                    .send()
                    .await
            });
        }
        let replies = racers.join_all().await;
        let winners: Vec<_> = replies.iter().filter(|r| r.status.as_u16() == 200).collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: one replacement wins: {replies:#?}"
        );
        for loser in replies.iter().filter(|r| r.status.as_u16() != 200) {
            loser
                .clone()
                .expect_error(409, "version_conflict", Some("If-Match"));
        }
        let stored = hub.get(&one, &t.token).await.expect(200);
        assert_eq!(
            stored.body, winners[0].body,
            "round {round}: the winner's record is stored"
        );
    }
}
