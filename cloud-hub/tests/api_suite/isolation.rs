//! Tenants are walls (issue 5's acceptance): tenant A's token on tenant
//! B's codes answers 404 and changes nothing, on every route of the OpenAPI
//! document; A's lists show nothing of B's; no token is 401 everywhere but
//! the public routes. The routes are enumerated from the document, so a new
//! route is covered the day it is added, or fails here asking its author
//! for a fixture.

use crate::fixtures::{self, FIXTURES, ROUTE_BODIES, path_value};
use crate::harness::TestDb;
use crate::hub::{Hub, Reply, Tenant};
use crate::routes::{Caller, Route, routes};
use axum::http::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;

use crate::fixtures::ADD_FIXTURE;

/// Two tenants with every kind of record, and the routes of the document.
struct World {
    hub: Hub,
    a: Tenant,
    b: Tenant,
    routes: Vec<Route>,
}

async fn world(db: &TestDb) -> World {
    let hub = Hub::new(&db.store);
    let a = hub.tenant("alpha").await;
    let b = hub.tenant("bravo").await;
    fixtures::create_all(&hub, &a).await;
    fixtures::create_all(&hub, &b).await;
    let doc = hub
        .req(Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .expect(200)
        .body;
    let routes = routes(&doc);
    World { hub, a, b, routes }
}

/// The body `caller` sends to `route` naming `owner`'s things, and for
/// routes outside the record kinds the status the caller must get.
fn plausible_body(route: &Route, owner: &Tenant, create_schema: Option<&Value>) -> (Value, Option<u16>) {
    let method = route.method.as_str();
    if let Some(rb) = ROUTE_BODIES
        .iter()
        .find(|rb| rb.method == method && rb.path == route.path)
    {
        return ((rb.body)(owner), Some(rb.status));
    }
    let is_record_body = route.request.is_some() && route.request.as_ref() == create_schema;
    match fixtures::fixture(route.collection()) {
        Some(_) if is_record_body => (fixtures::first_sample(route.collection(), owner).1, None),
        _ => panic!(
            "{} takes a body this suite cannot make: {ADD_FIXTURE}",
            route.name()
        ),
    }
}

/// The request schema of `collection`'s create route.
fn create_schema<'r>(routes: &'r [Route], collection: &str) -> Option<&'r Value> {
    routes
        .iter()
        .find(|r| r.method == Method::POST && r.path == collection)
        .and_then(|r| r.request.as_ref())
}

/// Everything `owner` can read through its tenant routes: every list (with
/// archived records) and every `{code}` read of its samples, with status,
/// ETag and body.
async fn snapshot(w: &World, owner: &Tenant) -> BTreeMap<String, Value> {
    let mut seen = BTreeMap::new();
    for route in w
        .routes
        .iter()
        .filter(|r| r.method == Method::GET && r.caller == Caller::Tenant)
        // The audit log grows with the owner's own reads (taking this
        // snapshot exports CSV, which is audited); its walls are cases of
        // the access suite.
        .filter(|r| r.path != "/api/v1/audit")
    {
        let path = if route.path_params.is_empty() {
            let mut query = Vec::new();
            if route.query.iter().any(|q| q == "archived") {
                query.push("archived=true");
            }
            if route.query.iter().any(|q| q == "limit") {
                query.push("limit=1000");
            }
            format!("{}?{}", route.path, query.join("&"))
        } else {
            route.fill(|param| path_value(route, param, owner))
        };
        let reply = w.hub.get(&path, &owner.token).await;
        seen.insert(
            path,
            json!({"status": reply.status.as_u16(), "etag": reply.etag, "body": reply.body}),
        );
    }
    seen
}

/// Marks with [`VARIES`] what differs between two snapshots taken with
/// nothing in between (an answer's `at`: the time it was computed).
fn stable(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => Value::Object(
            x.iter()
                .map(|(k, v)| (k.clone(), y.get(k).map_or(json!(VARIES), |w| stable(v, w))))
                .collect(),
        ),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            Value::Array(x.iter().zip(y).map(|(v, w)| stable(v, w)).collect())
        }
        _ if a == b => a.clone(),
        _ => json!(VARIES),
    }
}

/// What a varying value is replaced by.
const VARIES: &str = "<varies between reads>";

/// `value` with what `mask` marks as varying marked too.
fn masked(value: &Value, mask: &Value) -> Value {
    match (value, mask) {
        (_, Value::String(m)) if m == VARIES => mask.clone(),
        (Value::Object(x), Value::Object(y)) => Value::Object(
            x.iter()
                .map(|(k, v)| (k.clone(), y.get(k).map_or(v.clone(), |m| masked(v, m))))
                .collect(),
        ),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            Value::Array(x.iter().zip(y).map(|(v, m)| masked(v, m)).collect())
        }
        _ => value.clone(),
    }
}

/// The owner's snapshot with what varies between reads marked.
async fn baseline(w: &World, owner: &Tenant) -> BTreeMap<String, Value> {
    let first = snapshot(w, owner).await;
    let second = snapshot(w, owner).await;
    first
        .iter()
        .map(|(path, v)| (path.clone(), second.get(path).map_or(v.clone(), |s| stable(v, s))))
        .collect()
}

#[track_caller]
fn assert_unchanged(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>, call: &Reply) {
    for (path, value) in before {
        assert_eq!(
            after.get(path).map(|a| masked(a, value)).as_ref(),
            Some(value),
            "after {} ({} {}), tenant B's {path} changed",
            call.what,
            call.status,
            call.text
        );
    }
    assert_eq!(
        before.len(),
        after.len(),
        "after {}, B's routes differ",
        call.what
    );
}

#[track_caller]
fn assert_hides(reply: &Reply, other: &Tenant) {
    assert!(
        !reply.text.contains(&other.prefix),
        "{} shows tenant {}'s records (codes starting {}): {}",
        reply.what,
        other.slug,
        other.prefix,
        reply.text
    );
}

/// The token of `tenant` for `route`'s kind of caller.
fn token_for<'t>(route: &Route, tenant: &'t Tenant) -> &'t str {
    match route.caller {
        Caller::Agent => &tenant.agent_token,
        Caller::Tenant | Caller::Public => &tenant.token,
    }
}

/// Every documented record collection has samples in [`FIXTURES`].
fn assert_every_collection_has_a_fixture(routes: &[Route]) {
    for route in routes {
        let is_collection_create = route.method == Method::POST
            && route.path_params.is_empty()
            && route.caller == Caller::Tenant
            && !ROUTE_BODIES.iter().any(|rb| rb.path == route.path);
        assert!(
            !is_collection_create || fixtures::fixture(&route.path).is_some(),
            "collection {} is documented but has no sample: {ADD_FIXTURE}",
            route.path
        );
    }
}

/// Calls `route` at `path` as tenant A, with a body and If-Match that
/// would make the call succeed on B's record if the tenant were not checked.
async fn call_as_other(w: &World, route: &Route, path: &str) -> Reply {
    let mut call = w
        .hub
        .req(route.method.clone(), path)
        .token(token_for(route, &w.a));
    if route.request.is_some() {
        let (body, _) = plausible_body(route, &w.b, create_schema(&w.routes, route.collection()));
        call = call.json(&body);
    }
    if route.method == Method::PUT {
        // The version B's record is at (records have one; users, roles
        // and groups do not).
        let full = route.fill(|param| path_value(route, param, &w.b));
        let current = w.hub.get(&full, &w.b.token).await.expect(200);
        if current.body.get("version").is_some() {
            call = call.if_match(current.version());
        }
    }
    call.send().await
}

/// Tenant A's token on tenant B's codes: 404 on every route with a path
/// parameter, and nothing of B's changes.
pub async fn other_tenants_codes_are_not_found_on_any_route(db: &TestDb) {
    let w = world(db).await;
    assert_every_collection_has_a_fixture(&w.routes);
    let before = baseline(&w, &w.b).await;
    let mut called = 0;
    for route in w.routes.iter().filter(|r| !r.path_params.is_empty()) {
        assert_ne!(
            route.caller,
            Caller::Public,
            "{} has parameters but is public",
            route.name()
        );
        let code = path_value(route, &route.path_params[0], &w.b);
        let path = route.fill(|param| path_value(route, param, &w.b));
        let reply = call_as_other(&w, route, &path)
            .await
            .expect_error(404, "not_found", None);
        assert_unchanged(&before, &snapshot(&w, &w.b).await, &reply);
        // The answer is the one for a code that exists nowhere: it tells
        // nothing about B's record.
        let nowhere = format!("nowhere-{code}");
        let nowhere_path = route.fill(|param| match param == route.path_params[0] {
            true => nowhere.clone(),
            false => path_value(route, param, &w.b),
        });
        let unknown = call_as_other(&w, route, &nowhere_path).await.expect(404);
        assert_eq!(
            reply.text.replace(&code, "?"),
            unknown.text.replace(&nowhere, "?"),
            "{}: B's code answers differently from a code that does not exist",
            route.name()
        );
        assert_hides(
            &Reply {
                text: reply.text.replace(&code, "?"),
                ..reply.clone()
            },
            &w.b,
        );
        assert_unchanged(&before, &snapshot(&w, &w.b).await, &unknown);
        called += 1;
    }
    assert!(
        called >= 4 * FIXTURES.len(),
        "every kind has four {{code}} routes; called {called}"
    );
}

/// Tenant A's lists show none of B's records, with or without archived
/// ones, filtered by B's site or not.
pub async fn lists_show_only_the_callers_records(db: &TestDb) {
    let w = world(db).await;
    for route in w
        .routes
        .iter()
        .filter(|r| r.method == Method::GET && r.path_params.is_empty())
    {
        if route.caller == Caller::Public {
            continue;
        }
        let mut queries = vec![String::new()];
        if route.query.iter().any(|q| q == "archived") {
            queries.push("archived=true".into());
        }
        if route.query.iter().any(|q| q == "site") {
            queries.push(format!("site={}", w.b.site));
        }
        for query in queries {
            let reply = w
                .hub
                .get(format!("{}?{query}", route.path), token_for(route, &w.a))
                .await;
            assert_eq!(
                reply.status.as_u16(),
                route.status,
                "{} with tenant A's token answered {} {}: {ADD_FIXTURE}",
                reply.what,
                reply.status,
                reply.text
            );
            assert_hides(&reply, &w.b);
        }
        // The list is not empty for the tenant's own records, or the
        // check above proves nothing.
        if fixtures::fixture(&route.path).is_some() {
            let own = w.hub.get(&route.path, &w.a.token).await.expect(200);
            assert!(
                own.text.contains(&w.a.prefix),
                "{} hides A's own records: {}",
                own.what,
                own.text
            );
        }
    }
}

/// Tenant A's creates and other writes without a path parameter, with
/// bodies naming B's records, change nothing of B's: a reference to B's
/// record is as unknown as a missing one (422 naming the field), and a
/// record with the same code as B's is A's own.
pub async fn writes_naming_other_tenants_records_change_nothing_of_theirs(db: &TestDb) {
    let w = world(db).await;
    let before = baseline(&w, &w.b).await;
    // Dependents first, so no reference can resolve through a record A
    // made earlier in this loop.
    let mut writes: Vec<&Route> = w
        .routes
        .iter()
        .filter(|r| r.method != Method::GET && r.path_params.is_empty() && r.caller != Caller::Public)
        .collect();
    writes.sort_by_key(|r| std::cmp::Reverse(FIXTURES.iter().position(|f| f.collection == r.path)));
    for route in writes {
        let (body, status) = plausible_body(route, &w.b, create_schema(&w.routes, &route.path));
        let reply = w
            .hub
            .req(route.method.clone(), &route.path)
            .token(token_for(route, &w.a))
            .json(&body)
            .send()
            .await;
        match status {
            Some(status) => {
                reply.clone().expect(status);
            }
            None if reply.status.as_u16() == 422 => {
                let reply = reply
                    .clone()
                    .expect_error(422, "invalid", reply.body["error"]["field"].as_str());
                assert!(
                    reply.body["error"]["field"].is_string(),
                    "{}: a refused reference names its field: {}",
                    reply.what,
                    reply.text
                );
            }
            None => {
                // Nothing of B's to refer to: the record is A's own.
                let reply = reply.clone().expect(201);
                let code = crate::hub::code_of(&reply.body).expect("a created item has a code");
                let one = format!("{}/{}", route.path, crate::routes::percent_encode(&code));
                w.hub.get(&one, &w.a.token).await.expect(200);
            }
        }
        assert_unchanged(&before, &snapshot(&w, &w.b).await, &reply);
    }
}

/// Every route that is not public answers 401 without a token, with an
/// unknown token, and with the other kind of token (agent token on a
/// tenant route, API token on an agent route); nothing changes.
pub async fn every_non_public_route_needs_its_token(db: &TestDb) {
    let w = world(db).await;
    let before = baseline(&w, &w.b).await;
    for route in w.routes.iter().filter(|r| r.caller != Caller::Public) {
        let path = route.fill(|param| path_value(route, param, &w.b));
        let wrong_kind = match route.caller {
            Caller::Agent => w.b.token.clone(),
            _ => w.b.agent_token.clone(),
        };
        for token in [None, Some("mes_not_a_token".to_string()), Some(wrong_kind)] {
            let mut call = w.hub.req(route.method.clone(), &path);
            if let Some(token) = &token {
                call = call.token(token);
            }
            if route.request.is_some() {
                let (body, _) = plausible_body(route, &w.b, create_schema(&w.routes, route.collection()));
                call = call.json(&body);
            }
            let reply = call.send().await.expect_error(401, "unauthorized", None);
            assert_unchanged(&before, &snapshot(&w, &w.b).await, &reply);
        }
    }
}

/// A record of A naming B's records (by the same codes B uses) is refused
/// as if they did not exist, naming the field.
pub async fn references_never_reach_another_tenant(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let a = hub.tenant("alpha").await;
    let b = hub.tenant("bravo").await;
    fixtures::create_all(&hub, &a).await;
    fixtures::create_all(&hub, &b).await;
    let bom = json!({"material": a.code("bolt"), "versions": [{"version": "v1", "valid_from": "2026-01-01",
        "lines": [{"component": a.code("steel"), "quantity": "1", "unit": a.code("kg")},
                  {"component": b.code("steel"), "quantity": "1", "unit": a.code("kg")}]}]});
    hub.post("/api/v1/boms", &a.token, &bom).await.expect_error(
        422,
        "invalid",
        Some("versions[0].lines[1].component"),
    );
    let equipment = json!({"code": a.code("press-2"), "name": "Press 2", "equipment_type": a.code("press"),
        "site": b.site});
    hub.post("/api/v1/equipment", &a.token, &equipment)
        .await
        .expect_error(422, "invalid", Some("site"));
    let settings = json!({"code": b.site});
    hub.post("/api/v1/sites", &a.token, &settings)
        .await
        .expect_error(422, "invalid", Some("code"));
}
