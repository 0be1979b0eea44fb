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

/// A validator of `pointer` (a schema inside `doc`) with `doc` as the root
/// its `$ref`s resolve in; formats (date-time, date) are checked.
fn validator_at(doc: &Value, pointer: &str) -> jsonschema::Validator {
    let mut root = doc.clone();
    root["$ref"] = Value::from(format!("#{pointer}"));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema at {pointer} compiles: {e}"))
}

/// `/`-separated JSON pointer segment.
fn escape(segment: &str) -> String {
    // A fragment may not hold `{` or `}`: percent-encoded.
    segment
        .replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

/// The document is OpenAPI 3.1 and every schema in it is a valid JSON
/// Schema 2020-12 (before, it declared 3.0.3 while using 3.1 keywords,
/// and the record items were described by the request schemas).
pub async fn every_schema_is_valid_json_schema(_db: &TestDb) {
    let doc = cloud_hub::api::openapi_document();
    assert_eq!(doc["openapi"], "3.1.0");
    let text = doc.to_string();
    assert!(!text.contains("\"nullable\""), "3.0's `nullable` is not 3.1");
    let schemas = doc["components"]["schemas"]
        .as_object()
        .expect("the document has schemas");
    for (name, schema) in schemas {
        assert!(
            jsonschema::meta::is_valid(schema),
            "components/schemas/{name} is valid JSON Schema: {schema}"
        );
        validator_at(&doc, &format!("/components/schemas/{}", escape(name)));
    }
    // What the server enforces is in the document.
    let list = &doc["paths"]["/api/v1/materials"]["get"]["parameters"];
    let param = |name: &str| {
        list.as_array()
            .and_then(|l| l.iter().find(|p| p["name"] == name))
            .unwrap_or_else(|| panic!("list parameter {name}"))["schema"]
            .clone()
    };
    assert_eq!(param("limit")["minimum"], 1);
    assert_eq!(param("limit")["maximum"], 1000);
    assert_eq!(param("archived")["type"], "boolean");
    let code = &schemas["Code"];
    assert!(code["pattern"].is_string() && code["maxLength"] == 64, "{code}");
    for kind in ["materials", "boms", "routings"] {
        let body = &doc["paths"][format!("/api/v1/import/{kind}")]["post"]["requestBody"]["content"];
        assert!(
            body["text/csv"].is_object(),
            "import/{kind} declares its CSV body"
        );
    }
    let delete = &doc["paths"]["/api/v1/materials/{code}"]["delete"];
    assert!(
        delete["description"]
            .as_str()
            .is_some_and(|d| d.contains("archive")),
        "DELETE says it archives: {delete}"
    );
    // A record sent may not carry the bookkeeping fields; one answered does.
    let request = validator_at(
        &doc,
        "/paths/~1api~1v1~1units/post/requestBody/content/application~1json/schema",
    );
    let response = validator_at(
        &doc,
        "/paths/~1api~1v1~1units/post/responses/201/content/application~1json/schema",
    );
    let unit = serde_json::json!({"code": "kg", "name": "Kilogram"});
    let mut item = unit.clone();
    item["decimals"] = 0.into();
    item["archived"] = false.into();
    item["version"] = 1.into();
    item["updated_at"] = "2026-01-10T08:00:00.000Z".into();
    assert!(request.is_valid(&unit) && !request.is_valid(&item));
    assert!(response.is_valid(&item) && !response.is_valid(&unit));
}

/// Real answers of every documented GET route (with the tenant's records
/// in place) match the documented success schema, and error answers the
/// error schema.
pub async fn responses_match_the_documented_schemas(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    fixtures::create_all(&hub, &t).await;
    let doc = cloud_hub::api::openapi_document();
    let error = validator_at(&doc, "/components/schemas/ApiError");
    let mut checked = 0;
    for route in routes(&doc).iter().filter(|r| r.method == Method::GET) {
        let path = route.fill(|param| fixtures::path_value(route, param, &t));
        let token = if route.caller == Caller::Agent {
            &t.agent_token
        } else {
            &t.token
        };
        let reply = hub.req(Method::GET, &path).token(token).send().await;
        let status = reply.status.as_u16();
        let pointer = format!(
            "/paths/{}/get/responses/{status}/content/application~1json/schema",
            escape(&route.path)
        );
        if status >= 400 {
            let errors: Vec<String> = error.iter_errors(&reply.body).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "{} error answer: {errors:?}\n{}",
                route.name(),
                reply.text
            );
            continue;
        }
        if doc.pointer(&pointer).is_none() {
            continue;
        }
        let validator = validator_at(&doc, &pointer);
        let errors: Vec<String> = validator
            .iter_errors(&reply.body)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} answers what its schema says: {errors:#?}\n{}",
            route.name(),
            reply.text
        );
        checked += 1;
    }
    assert!(checked > 20, "{checked} answers checked");
}
