//! Lists page by code, bytewise (the same order on SQLite and PostgreSQL,
//! whatever the database's collation): following `next` visits every
//! record once, and filters narrow the pages.

use crate::fixtures;
use crate::harness::TestDb;
use crate::hub::{Hub, Tenant};
use crate::routes::percent_encode;
use axum::http::Method;
use serde_json::json;
use std::collections::HashSet;

/// Stems that sort differently bytewise than by any locale's rules:
/// upper before lower case, punctuation between, non-ASCII last.
const STEMS: &[&str] = &[
    "a", "A", "Z", "z", "_", "-", "0", "9", "é", "É", "ß", "~", "Ω", "日", "a b", "a-", "a_",
];

/// Every code of `list` (a path with its query, without `limit`/`after`),
/// following `next` page by page; asserts each page but the last is full.
async fn all_pages(hub: &Hub, t: &Tenant, list: &str, limit: usize) -> Vec<String> {
    let separator = if list.contains('?') { '&' } else { '?' };
    let mut codes = Vec::new();
    let mut after: Option<String> = None;
    // A bound instead of trusting `next` to end: a cursor that never
    // advances fails here rather than hanging.
    for _ in 0..1000 {
        let cursor = after
            .as_deref()
            .map(|a| format!("&after={}", percent_encode(a)))
            .unwrap_or_default();
        let page = hub
            .get(format!("{list}{separator}limit={limit}{cursor}"), &t.token)
            .await
            .expect(200);
        let page_codes = page.codes();
        assert!(
            page_codes.len() <= limit,
            "{}: more than {limit} items",
            page.what
        );
        match page.next() {
            Some(next) => {
                assert_eq!(
                    page_codes.len(),
                    limit,
                    "{}: a page with a next is full",
                    page.what
                );
                assert_eq!(
                    page_codes.last(),
                    Some(&next),
                    "{}: next is the last code",
                    page.what
                );
                codes.extend(page_codes);
                after = Some(next);
            }
            None => {
                codes.extend(page_codes);
                return codes;
            }
        }
    }
    panic!("{list}: `next` did not end after 1000 pages");
}

fn code(i: usize) -> String {
    format!("{}{i}", STEMS[i % STEMS.len()])
}

fn kind(i: usize) -> &'static str {
    ["raw", "semi_finished", "finished"][i % 3]
}

/// 250 materials in pages of 100: three pages, every code once, in
/// bytewise order; archived ones only with `archived=true`; `?kind=`
/// filters across pages.
pub async fn pages_visit_every_record_once_in_bytewise_order(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    for collection in ["/api/v1/units"] {
        for body in (fixtures::fixture(collection).expect("units").samples)(&t) {
            hub.post(collection, &t.token, &body).await.expect(201);
        }
    }
    let n = 250;
    for i in 0..n {
        let body = json!({"code": code(i), "name": format!("Material {i}"), "kind": kind(i),
            "base_unit": t.code("pcs"), "lot_tracked": false, "standard_cost": "1"});
        hub.post("/api/v1/materials", &t.token, &body).await.expect(201);
    }
    let mut expected: Vec<String> = (0..n).map(code).collect();
    // Rust orders strings by their UTF-8 bytes: the order both stores must use.
    expected.sort();

    let mut pages = 0;
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let cursor = after
            .as_deref()
            .map(|a| format!("&after={}", percent_encode(a)))
            .unwrap_or_default();
        let page = hub
            .get(format!("/api/v1/materials?limit=100{cursor}"), &t.token)
            .await
            .expect(200);
        pages += 1;
        seen.extend(page.codes());
        after = page.next();
        if after.is_none() || pages > 3 {
            break;
        }
    }
    assert_eq!(pages, 3, "250 records in pages of 100 are three pages");
    assert_eq!(seen, expected, "every code once, in bytewise order");
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), n);

    // Pages that end exactly at the last record: the last full page still
    // has a `next`, and the page after it is empty.
    assert_eq!(all_pages(&hub, &t, "/api/v1/materials", 50).await, expected);
    assert_eq!(all_pages(&hub, &t, "/api/v1/materials", 1000).await, expected);

    // A filter pages the same way.
    let raw: Vec<String> = expected
        .iter()
        .filter(|c| (0..n).any(|i| &code(i) == *c && kind(i) == "raw"))
        .cloned()
        .collect();
    assert_eq!(raw.len(), n.div_ceil(3));
    assert_eq!(all_pages(&hub, &t, "/api/v1/materials?kind=raw", 30).await, raw);
    assert_eq!(
        all_pages(
            &hub,
            &t,
            "/api/v1/materials?kind=semi_finished&base_unit=nothing",
            30
        )
        .await,
        Vec::<String>::new()
    );

    // Archived records drop out of the default pages, not of archived=true.
    let archived: Vec<String> = (0..n).step_by(25).map(code).collect();
    for c in &archived {
        hub.req(Method::DELETE, format!("/api/v1/materials/{}", percent_encode(c)))
            .token(&t.token)
            .send()
            .await
            .expect(200);
    }
    let active: Vec<String> = expected
        .iter()
        .filter(|c| !archived.contains(c))
        .cloned()
        .collect();
    assert_eq!(all_pages(&hub, &t, "/api/v1/materials", 100).await, active);
    assert_eq!(
        all_pages(&hub, &t, "/api/v1/materials?archived=true", 100).await,
        expected
    );
    // A cursor that is itself archived still continues after it.
    let cursor = archived[3].clone();
    let page = hub
        .get(
            format!("/api/v1/materials?limit=1000&after={}", percent_encode(&cursor)),
            &t.token,
        )
        .await
        .expect(200);
    let after_cursor: Vec<String> = active.iter().filter(|c| **c > cursor).cloned().collect();
    assert_eq!(page.codes(), after_cursor);
}

/// `?status=released` (and the other filters of production orders) return
/// exactly the matching orders.
pub async fn filters_return_exactly_the_matching_records(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    fixtures::create_all(&hub, &t).await;
    // Orders are created as drafts and moved by the lifecycle actions (in
    // progress and completed come only from the floor's events, so no
    // order here has them: those filters must return nothing).
    hub.post(
        format!("/api/v1/production-orders/{}/release", t.code("MO-1")),
        &t.token,
        &json!({}),
    )
    .await
    .expect(200);
    let statuses = [
        "draft", "released", "closed", "released", "closed", "draft", "released",
    ];
    for (i, status) in statuses.iter().enumerate() {
        let code = t.code(&format!("MO-{}", i + 10));
        let mut order = json!({"code": code, "material": t.code("bracket"), "quantity": "10"});
        if *status != "draft" {
            order["site"] = json!(t.site);
        }
        hub.post("/api/v1/production-orders", &t.token, &order)
            .await
            .expect(201);
        if *status != "draft" {
            hub.post(
                format!("/api/v1/production-orders/{code}/release"),
                &t.token,
                &json!({}),
            )
            .await
            .expect(200);
        }
        if *status == "closed" {
            hub.post(
                format!("/api/v1/production-orders/{code}/close"),
                &t.token,
                &json!({}),
            )
            .await
            .expect(200);
        }
    }
    let codes_with = |status: &str| -> Vec<String> {
        let mut codes: Vec<String> = statuses
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == status)
            .map(|(i, _)| t.code(&format!("MO-{}", i + 10)))
            .collect();
        // The fixture's order MO-1 is released too.
        if status == "released" {
            codes.push(t.code("MO-1"));
        }
        codes.sort();
        codes
    };
    for status in ["draft", "released", "in_progress", "completed", "closed"] {
        let page = hub
            .get(format!("/api/v1/production-orders?status={status}"), &t.token)
            .await
            .expect(200);
        assert_eq!(page.codes(), codes_with(status), "status={status}");
        assert!(
            page.body["items"]
                .as_array()
                .is_some_and(|items| items.iter().all(|i| i["status"] == status))
        );
    }
    let released_here = hub
        .get(
            format!("/api/v1/production-orders?status=released&site={}", t.site),
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(released_here.codes(), codes_with("released"));
    let drafts_at_site = hub
        .get(
            format!("/api/v1/production-orders?status=draft&site={}", t.site),
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(
        drafts_at_site.codes(),
        Vec::<String>::new(),
        "drafts have no site"
    );
    let by_material = hub
        .get(
            format!(
                "/api/v1/production-orders?material={}&limit=1000",
                t.code("bracket")
            ),
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(by_material.codes().len(), statuses.len() + 1);
    let raw = hub.get("/api/v1/materials?kind=raw", &t.token).await.expect(200);
    assert_eq!(raw.codes(), vec![t.code("bolt"), t.code("steel")]);
    let finished = hub
        .get("/api/v1/materials?kind=finished", &t.token)
        .await
        .expect(200);
    assert_eq!(finished.codes(), vec![t.code("bracket")]);
}
