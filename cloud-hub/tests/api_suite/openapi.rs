//! The OpenAPI document describes the router it is served by: it parses,
//! every documented operation reaches a handler (never the fallback), GET
//! operations answer their documented status, and every `$ref` resolves.

use crate::fixtures;
use crate::harness::TestDb;
use crate::hub::Hub;
use crate::routes::{Caller, routes};
use axum::http::Method;
use serde_json::Value;

/// Every `$ref` in `value`, with the JSON path where it appears.
fn refs(value: &Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref"
                    && let Some(target) = v.as_str()
                {
                    out.push((at.clone(), target.to_string()));
                }
                refs(v, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The served document is the one the library builds, it is OpenAPI 3,
/// and every `$ref` points at something in it.
pub async fn document_parses_and_every_ref_resolves(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let served = hub
        .req(Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .expect(200);
    let doc: Value = serde_json::from_str(&served.text).expect("the document is JSON");
    assert_eq!(doc, cloud_hub::api::openapi_document(), "served = built");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "OpenAPI 3"
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let mut found = Vec::new();
    refs(&doc, String::new(), &mut found);
    assert!(
        found.len() > 20,
        "the document refers to its schemas ({} refs)",
        found.len()
    );
    for (at, target) in &found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: $ref {target} is not local"));
        assert!(
            doc.pointer(pointer).is_some(),
            "{at}: $ref {target} resolves to nothing"
        );
    }
    for (at, scheme) in routes(&doc)
        .iter()
        .filter(|r| r.caller != Caller::Public)
        .map(|r| {
            (
                r.name(),
                if r.caller == Caller::Agent {
                    "agentToken"
                } else {
                    "apiToken"
                },
            )
        })
    {
        assert!(
            doc["components"]["securitySchemes"][scheme].is_object(),
            "{at}: security scheme {scheme} is defined"
        );
    }
}

/// Every documented operation, called with a valid token (and the calling
/// tenant's own codes), reaches its handler; GET operations answer their
/// documented success status. An undocumented path reaches the fallback,
/// so the check can tell them apart.
pub async fn every_documented_route_answers_through_the_router(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    fixtures::create_all(&hub, &t).await;
    let fallback = hub
        .get("/api/v1/no-such-kind", &t.token)
        .await
        .expect_error(404, "not_found", None);
    let is_fallback = |body: &Value| body == &fallback.body;
    let doc = cloud_hub::api::openapi_document();
    let routes = routes(&doc);
    assert!(
        routes.len() >= 6 * fixtures::FIXTURES.len(),
        "{} routes",
        routes.len()
    );
    for route in &routes {
        let path = route.fill(|param| fixtures::path_value(route, param, &t));
        let mut call = hub.req(route.method.clone(), &path);
        call = match route.caller {
            Caller::Agent => call.token(&t.agent_token),
            _ => call.token(&t.token),
        };
        if route.request.is_some() {
            // An empty object: every handler must at least read it and
            // answer with its own error, not the router's.
            call = call.json(&serde_json::json!({}));
        }
        let reply = call.send().await;
        assert!(
            !is_fallback(&reply.body) && reply.status.as_u16() != 405,
            "{} is documented but the router does not route it: {} {}",
            route.name(),
            reply.status,
            reply.text
        );
        if route.method == Method::GET {
            assert_eq!(
                reply.status.as_u16(),
                route.status,
                "{} answers its documented status: {}",
                route.name(),
                reply.text
            );
        }
    }
}
