//! Deny by default (issue 15): every tenant route of the OpenAPI document
//! declares the right it needs (`x-required-right`), and a user holding
//! every right but that one (and those that hold it) is answered 403 on
//! it; the same user holding it gets past the guard. Routes for one's own
//! account need no right. Site-limited rights reach their sites only.

use crate::fixtures::{self, path_value};
use crate::harness::TestDb;
use crate::hub::{Hub, Tenant};
use crate::routes::{Caller, routes};
use axum::http::Method;
use cloud_hub::store::access::RoleGrant;
use cloud_hub::store::rights::{Action, Module, Right};
use serde_json::{Value, json};

/// Routes about one's own account: any logged-in user, no right.
const SELF_SERVICE: &[&str] = &["/api/v1/auth/"];

/// A token of a new user `login` of `tenant` holding `rights` (through a
/// role of the same name), at every site or at `sites`.
pub async fn user_with(
    hub: &Hub,
    tenant: &Tenant,
    login: &str,
    rights: Vec<Right>,
    sites: Option<Vec<String>>,
) -> String {
    let store = &hub.store;
    let id = store
        .tenant_id_by_slug(tenant.slug.clone())
        .await
        .expect("the tenant exists");
    store
        .put_role(id, login.to_string(), "test".into(), rights)
        .await
        .expect("the role is stored");
    store
        .create_user(
            id,
            cloud_hub::store::access::NewUser {
                login: login.into(),
                display_name: login.into(),
                kind: cloud_hub::store::access::UserKind::Service,
                password_phc: None,
            },
        )
        .await
        .expect("the user is created");
    store
        .set_user_roles(
            id,
            login.into(),
            vec![RoleGrant {
                role: login.into(),
                sites,
            }],
        )
        .await
        .expect("the role is granted");
    store
        .create_user_token(id, login.into(), "test".into(), None)
        .await
        .expect("the token is made")
        .token
}

/// Every right, but those that hold `wanted`.
fn all_but(wanted: Right) -> Vec<Right> {
    let mut rights = Vec::new();
    for module in Module::ALL {
        for action in Action::ALL {
            let right = Right::new(*module, *action);
            if !right.holds(wanted) {
                rights.push(right);
            }
        }
    }
    rights
}

/// Every tenant route answers 403 to a user lacking its right, and lets
/// through one holding it.
pub async fn every_route_refuses_a_user_without_its_right(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    fixtures::create_all(&hub, &t).await;
    let doc = cloud_hub::api::openapi_document();
    let mut walked = 0;
    for (route, op) in routes(&doc)
        .iter()
        .filter(|r| r.caller == Caller::Tenant)
        .map(|r| {
            let op = doc["paths"][&r.path][r.method.as_str().to_lowercase()].clone();
            (r.clone(), op)
        })
    {
        if SELF_SERVICE.iter().any(|p| route.path.starts_with(p)) {
            assert!(
                op.get("x-required-right").is_none(),
                "{} is self-service",
                route.name()
            );
            continue;
        }
        let wanted: Right = op["x-required-right"]
            .as_str()
            .unwrap_or_else(|| panic!("{} declares no right (deny by default)", route.name()))
            .parse()
            .expect("the declared right parses");
        let login = format!("lacks-{walked}");
        let token = user_with(&hub, &t, &login, all_but(wanted), None).await;
        let path = route.fill(|param| path_value(&route, param, &t));
        let mut call = hub.req(route.method.clone(), &path).token(&token);
        if route.request.is_some() {
            call = call.json(&json!({}));
        }
        let reply = call.send().await.expect_error(403, "forbidden", None);
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(&wanted.to_string())),
            "{}: the refusal names the right: {}",
            route.name(),
            reply.text
        );
        // Holding just that right gets past the guard (whatever the
        // handler then says of the empty body).
        let token = user_with(&hub, &t, &format!("holds-{walked}"), vec![wanted], None).await;
        let mut call = hub.req(route.method.clone(), &path).token(&token);
        if route.request.is_some() {
            call = call.json(&json!({}));
        }
        let reply = call.send().await;
        assert!(
            !(reply.status == 403 && reply.body["error"]["code"] == "forbidden"),
            "{} refuses a user holding `{wanted}`: {}",
            route.name(),
            reply.text
        );
        walked += 1;
    }
    assert!(walked > 100, "walked {walked} routes");
}

/// A supervisor of one site sees that site's orders, stock, agents and
/// equipment, never the other's; another site's order is 404 to them.
pub async fn a_site_limited_user_sees_only_their_sites(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    fixtures::create_all(&hub, &t).await;
    let views = [
        Module::Production,
        Module::Stock,
        Module::Agents,
        Module::Equipment,
        Module::MasterData,
    ]
    .map(|m| Right::new(m, Action::View))
    .to_vec();
    let everywhere = user_with(&hub, &t, "boss", views.clone(), None).await;
    let elsewhere = user_with(&hub, &t, "plant2", views, Some(vec!["plant-2".into()])).await;
    // The fixtures' order, stock, agent and equipment are at the tenant's site.
    let order = t.code("MO-1");
    hub.get(format!("/api/v1/production-orders/{order}"), &everywhere)
        .await
        .expect(200);
    hub.get(format!("/api/v1/production-orders/{order}"), &elsewhere)
        .await
        .expect_error(404, "not_found", None);
    let listed = |reply: crate::hub::Reply| reply.expect(200).body["items"].as_array().map_or(0, Vec::len);
    for list in [
        "/api/v1/production-orders",
        "/api/v1/stock",
        "/api/v1/agents",
        "/api/v1/equipment",
    ] {
        assert!(
            listed(hub.get(list, &everywhere).await) > 0,
            "{list} shows the site's things"
        );
        assert_eq!(
            listed(hub.get(list, &elsewhere).await),
            0,
            "{list} hides another site's things"
        );
    }
    let equipment = t.code("press-1");
    hub.get(format!("/api/v1/equipment/{equipment}/timeline"), &elsewhere)
        .await
        .expect(404);
    hub.get(format!("/api/v1/sites/{}/equipment", t.site), &elsewhere)
        .await
        .expect_error(403, "forbidden", None);
    hub.get(format!("/api/v1/sites/{}/equipment", t.site), &everywhere)
        .await
        .expect(200);
}

/// A role changed while its user is working counts from the next request.
pub async fn a_changed_role_counts_from_the_next_request(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let token = user_with(
        &hub,
        &t,
        "clerk",
        vec![Right::new(Module::Stock, Action::View)],
        None,
    )
    .await;
    hub.get("/api/v1/stock", &token).await.expect(200);
    let tenant = hub.store.tenant_id_by_slug(t.slug.clone()).await.expect("exists");
    let role: Value = json!({"rights": ["sales:view"]});
    hub.req(Method::PUT, "/api/v1/roles/clerk")
        .token(&t.token)
        .json(&role)
        .send()
        .await
        .expect(200);
    hub.get("/api/v1/stock", &token)
        .await
        .expect_error(403, "forbidden", None);
    let roles = hub.store.list_roles(tenant).await.expect("roles");
    assert_eq!(
        roles.iter().find(|r| r.name == "clerk").map(|r| r.rights.clone()),
        Some(vec![Right::new(Module::Sales, Action::View)])
    );
}

/// Every change to what a token's user holds counts at the next request of
/// another hub on the same database, whose cache held the old answer: a
/// role's rights, a group's roles, the user's active flag (through the API,
/// and straight in the database as any other writer would), the token's
/// revocation.
pub async fn a_change_on_another_hub_counts_at_a_cached_tokens_next_request(db: &TestDb) {
    let here = Hub::new(&db.store);
    let there = Hub::new(&db.reopen());
    let t = here.tenant("alpha").await;
    let token = user_with(
        &here,
        &t,
        "clerk",
        vec![Right::new(Module::Stock, Action::View)],
        None,
    )
    .await;
    let stock = async |expected: u16| {
        // Twice: the second answer comes from the cache the first filled.
        for _ in 0..2 {
            here.get("/api/v1/stock", &token).await.expect(expected);
        }
    };
    let change = async |method: Method, path: &str, body: Value| {
        there
            .req(method, path)
            .token(&t.token)
            .json(&body)
            .send()
            .await
            .expect(200);
    };
    stock(200).await;
    change(
        Method::PUT,
        "/api/v1/roles/clerk",
        json!({"rights": ["sales:view"]}),
    )
    .await;
    stock(403).await;
    // A group's role reaches its members.
    there
        .post(
            "/api/v1/groups",
            &t.token,
            &json!({"name": "store", "members": ["clerk"], "roles": [{"role": "viewer"}]}),
        )
        .await
        .expect(201);
    stock(200).await;
    change(Method::PUT, "/api/v1/groups/store", json!({"members": []})).await;
    stock(403).await;
    change(
        Method::PUT,
        "/api/v1/roles/clerk",
        json!({"rights": ["stock:view"]}),
    )
    .await;
    stock(200).await;
    change(Method::PUT, "/api/v1/users/clerk", json!({"active": false})).await;
    stock(401).await;
    change(Method::PUT, "/api/v1/users/clerk", json!({"active": true})).await;
    stock(200).await;
    db.raw_sql("UPDATE users SET active = false WHERE login = 'clerk'")
        .expect("the database takes it");
    stock(401).await;
    db.raw_sql("UPDATE users SET active = true WHERE login = 'clerk'")
        .expect("the database takes it");
    stock(200).await;
    there
        .req(Method::DELETE, "/api/v1/tokens/test")
        .token(&t.token)
        .send()
        .await
        .expect(200);
    stock(401).await;
}
