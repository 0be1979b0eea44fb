//! Sample records of every master-data kind, in one table keyed by the
//! kind's collection path, in the order they can be created (each refers
//! only to records of earlier rows). The tenant-isolation case refuses to
//! pass while a collection documented in the OpenAPI document has no row
//! here, so a new kind must add its sample.
//!
//! Codes start with the tenant's prefix (`bravo-steel`), so another
//! tenant's answer that shows one is caught by a plain text search.

use crate::hub::{Hub, Tenant, code_of};
use crate::routes::Route;
use serde_json::{Value, json};

/// The samples of one collection.
pub struct Fixture {
    /// The collection path (`/api/v1/materials`).
    pub collection: &'static str,
    /// Valid bodies; the first is the record routes with a `{code}` are
    /// called on.
    pub samples: fn(&Tenant) -> Vec<Value>,
}

/// Every master-data collection's samples, in creation order.
pub const FIXTURES: &[Fixture] = &[
    Fixture {
        collection: "/api/v1/units",
        samples: |t| {
            vec![
                json!({"code": t.code("kg"), "name": "kilogram", "decimals": 3}),
                json!({"code": t.code("pcs"), "name": "piece"}),
                json!({"code": t.code("box"), "name": "box"}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/materials",
        samples: |t| {
            vec![
                json!({"code": t.code("steel"), "name": "Steel sheet 2 mm", "kind": "raw",
                       "base_unit": t.code("kg"), "alt_units": [{"unit": t.code("box"), "factor": "25"}],
                       "lot_tracked": true, "standard_cost": "2.5"}),
                json!({"code": t.code("bolt"), "name": "Bolt M8", "kind": "raw", "base_unit": t.code("pcs"),
                       "lot_tracked": false, "standard_cost": "0.05"}),
                json!({"code": t.code("bracket"), "name": "Bracket", "kind": "finished",
                       "base_unit": t.code("pcs"), "lot_tracked": false, "standard_cost": "4.2"}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/manufacturers",
        samples: |t| vec![json!({"code": t.code("maker"), "name": "Maker Works", "brand": "MKR"})],
    },
    Fixture {
        collection: "/api/v1/lots",
        samples: |t| {
            vec![
                json!({"code": t.code("L-1"), "material": t.code("steel"), "expires_on": "2030-12-31",
                        "supplier_lot": "ACME-77", "manufacturer": t.code("maker"),
                        "manufacturer_lot": "MK-9", "manufacturer_part": "P-100"}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/equipment-types",
        samples: |t| vec![json!({"code": t.code("press"), "name": "Press"})],
    },
    Fixture {
        collection: "/api/v1/worker-types",
        samples: |t| vec![json!({"code": t.code("operator"), "name": "Operator", "hourly_rate": "31.5"})],
    },
    Fixture {
        collection: "/api/v1/boms",
        samples: |t| {
            vec![json!({"material": t.code("bracket"), "versions": [
                {"version": "v1", "valid_from": "2025-01-01", "valid_to": "2025-12-31", "lines": [
                    {"component": t.code("steel"), "quantity": "0.5", "unit": t.code("kg")}]},
                {"version": "v2", "valid_from": "2026-01-01", "lines": [
                    {"component": t.code("steel"), "quantity": "0.4", "unit": t.code("kg"),
                     "use_up_old_stock": true},
                    {"component": t.code("bolt"), "quantity": "2", "unit": t.code("pcs")}]}]})]
        },
    },
    Fixture {
        collection: "/api/v1/routings",
        samples: |t| {
            vec![
                json!({"material": t.code("bracket"), "versions": [{"version": "r1", "operations": [
                {"operation": 10, "name": "Cut", "equipment_type": t.code("press"), "setup_minutes": "15",
                 "run_minutes_per_unit": "0.5", "worker_type": t.code("operator"),
                 "inputs": [{"material": t.code("steel"), "quantity_per_unit": "0.4", "unit": t.code("kg")}]},
                {"operation": 20, "name": "Press", "equipment_type": t.code("press"), "setup_minutes": "5",
                 "run_minutes_per_unit": "0.25", "worker_type": t.code("operator"), "splittable": false}]}]}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/equipment",
        samples: |t| {
            vec![
                json!({"code": t.code("press-1"), "name": "Press 1", "equipment_type": t.code("press"),
                        "site": t.site, "hourly_rate": "80"}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/workers",
        samples: |t| {
            vec![
                json!({"code": t.code("W-17"), "name": "Ana Silva", "badge": t.code("0017"),
                        "worker_type": t.code("operator"), "site": t.site}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/warehouses",
        samples: |t| vec![json!({"code": t.code("main"), "name": "Main store", "site": t.site})],
    },
    Fixture {
        collection: "/api/v1/locations",
        samples: |t| {
            vec![
                json!({"code": t.code("LINE-1"), "name": "Line side 1", "warehouse": t.code("main"),
                        "site": t.site}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/sites",
        samples: |t| {
            vec![
                json!({"code": t.site, "name": "Plant", "negative_stock": "refuse",
                        "production_location": t.code("LINE-1"), "utc_offset_minutes": 60}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/costing-settings",
        samples: |t| vec![json!({"code": t.site, "overhead": {"percent_of_conversion": "10"}})],
    },
    Fixture {
        collection: "/api/v1/stations",
        samples: |t| {
            vec![
                json!({"code": t.code("st-1"), "name": "Press line 1", "site": t.site,
                        "equipment": [t.code("press-1")], "location": t.code("LINE-1")}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/reasons",
        samples: |t| vec![json!({"code": t.code("F12"), "kind": "downtime", "text": "Tool change"})],
    },
    Fixture {
        collection: "/api/v1/calendars",
        samples: |t| {
            vec![json!({"code": t.code("two-shift"), "name": "Two shifts",
                        "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "06:00", "end": "22:00"}],
                        "holidays": [{"date": "2026-05-01", "name": "Labour day"}],
                        "maintenance": [{"from": "2026-05-04T06:00", "to": "2026-05-04T08:00",
                                         "equipment": [t.code("press-1")]}]})]
        },
    },
    Fixture {
        collection: "/api/v1/suppliers",
        samples: |t| {
            vec![
                json!({"code": t.code("acme"), "name": "ACME Steel", "contact": {"email": "orders@acme.test"},
                        "lead_time_days": 5}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/customers",
        samples: |t| vec![json!({"code": t.code("globex"), "name": "Globex"})],
    },
    Fixture {
        collection: "/api/v1/material-approvals",
        samples: |t| {
            vec![json!({"material": t.code("steel"),
                        "approvals": [{"manufacturer": t.code("maker"), "status": "conditional",
                                       "reason": "first article pending", "expires_on": "2030-06-30"}],
                        "customers": [{"customer": t.code("globex"),
                                       "approvals": [{"manufacturer": t.code("maker"), "status": "approved"}]}]})]
        },
    },
    Fixture {
        collection: "/api/v1/purchase-orders",
        samples: |t| {
            vec![
                json!({"code": t.code("PO-1"), "supplier": t.code("acme"), "site": t.site, "lines": [
                {"line": 1, "material": t.code("steel"), "quantity": "100", "unit": t.code("kg"),
                 "price": "2.4", "expected_on": "2026-03-01"}]}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/sales-orders",
        samples: |t| {
            vec![
                json!({"code": t.code("SO-1"), "customer": t.code("globex"), "ordered_on": "2026-01-10",
                        "lines": [{"line": 1, "material": t.code("bracket"), "quantity": "50",
                                   "unit": t.code("pcs"), "price": "9.9", "due": "2026-02-01"}]}),
            ]
        },
    },
    Fixture {
        collection: "/api/v1/production-orders",
        samples: |t| {
            vec![
                json!({"code": t.code("MO-1"), "material": t.code("bracket"), "quantity": "50",
                        "due": "2026-02-01", "priority": 2, "routing_version": "r1", "bom_version": "v2",
                        "site": t.site,
                        "sales_order": {"order": t.code("SO-1"), "line": 1}}),
            ]
        },
    },
];

/// Bodies for routes that are not a record kind's create or replace (whose
/// body is the kind's sample): `(method, path, body, status)`. The body
/// names things of the tenant given; the isolation case sends it with
/// another tenant's token. A route that takes a body and has no row here
/// fails that case with a message asking for its row.
pub const ROUTE_BODIES: &[RouteBody] = &[
    // A user granted the owner's role: unknown to another tenant (422).
    RouteBody {
        method: "POST",
        path: "/api/v1/users",
        body: |owner| {
            json!({"login": owner.code("zed"), "password": "violet tractor 19 lemons",
                   "roles": [{"role": owner.code("inspector")}]})
        },
        status: 422,
    },
    // A role of the caller's own with the owner's name.
    RouteBody {
        method: "POST",
        path: "/api/v1/roles",
        body: |owner| json!({"name": owner.code("auditor"), "rights": ["stock:view"]}),
        status: 201,
    },
    // A group naming the owner's user: unknown to another tenant (422).
    RouteBody {
        method: "POST",
        path: "/api/v1/groups",
        body: |owner| json!({"name": owner.code("night"), "members": [owner.code("anna")]}),
        status: 422,
    },
    RouteBody {
        method: "PUT",
        path: "/api/v1/users/{login}",
        body: |_| json!({"display_name": "Someone else"}),
        status: 404,
    },
    RouteBody {
        method: "PUT",
        path: "/api/v1/users/{login}/roles",
        body: |_| json!([{"role": "admin"}]),
        status: 404,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/users/{login}/password",
        body: |_| json!({"password": "violet tractor 19 lemons"}),
        status: 404,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/users/{login}/tokens",
        body: |_| json!({"name": "stolen"}),
        status: 404,
    },
    RouteBody {
        method: "PUT",
        path: "/api/v1/roles/{name}",
        body: |_| json!({"rights": ["system:admin"]}),
        status: 404,
    },
    RouteBody {
        method: "PUT",
        path: "/api/v1/groups/{name}",
        body: |_| json!({"members": []}),
        status: 404,
    },
    // The tenant's own settings; nothing of another tenant's.
    RouteBody {
        method: "PUT",
        path: "/api/v1/settings/access",
        body: |_| json!({"single_session": false}),
        status: 200,
    },
    // An API token has no session to log out of (422).
    RouteBody {
        method: "POST",
        path: "/api/v1/auth/logout",
        body: |_| json!({}),
        status: 422,
    },
    // An agent for the owner's site: unknown to another tenant (422).
    RouteBody {
        method: "POST",
        path: "/api/v1/agents",
        body: |owner| json!({"site": owner.site, "name": "stolen gateway"}),
        status: 422,
    },
    // One's own language: nothing of another tenant's to reach.
    RouteBody {
        method: "PUT",
        path: "/api/v1/auth/language",
        body: |_| json!({"language": "zh"}),
        status: 200,
    },
    // The service user has no password, so "current" is wrong (422).
    RouteBody {
        method: "POST",
        path: "/api/v1/auth/password",
        body: |_| json!({"current": "whatever it is", "new": "violet tractor 19 lemons"}),
        status: 422,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/ingest",
        // A batch naming the owner's agent, sent by another tenant's agent:
        // refused as another agent's, stores nothing.
        body: |owner| {
            json!({"schema_version": 1, "agent_id": owner.agent_id,
                   "incarnation": "01a21495-81bd-765a-bf8c-615d889778d7",
                   "first_seq": 1, "last_seq": 1,
                   "buffer": {"depth": 1, "dropped_total": 0, "refused_total": 0},
                   "sent_at": "2026-01-10T08:00:00.000Z",
                   "events": [{"seq": 1, "id": "01a21495-8000-7000-8000-00000000002a",
                               "occurred_at": "2026-01-10T07:59:59.000Z",
                               "source": {"type": "station", "id": owner.code("st-1")},
                               "kind": "api_suite_probe", "data": {}}]})
        },
        status: 403,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/stock/documents",
        // The owner's receipt: its material, lot and location do not
        // exist for another tenant.
        body: receipt,
        status: 422,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/production-orders/{code}/release",
        body: |owner| json!({"site": owner.site}),
        status: 404,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/sales-orders/{code}/lines/{line}/production-order",
        body: |owner| json!({"code": owner.code("MO-2"), "site": owner.site}),
        status: 404,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/schedules/{site}/run",
        body: |_| json!({"time_limit_seconds": 1}),
        status: 404,
    },
    // Steering another tenant's plan: its site is unknown (404).
    RouteBody {
        method: "POST",
        path: "/api/v1/sites/{code}/plan/drafts",
        body: |owner| json!({"changes": [{"kind": "pin", "operation": format!("{}/10", owner.code("MO-1"))}]}),
        status: 404,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/sites/{code}/plan/drafts/{draft}/accept",
        body: |_| json!({}),
        status: 404,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/sites/{code}/plan/undo",
        body: |_| json!({}),
        status: 404,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/sites/{code}/plan/redo",
        body: |_| json!({}),
        status: 404,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/schedules/{site}/what-if",
        body: |owner| {
            json!({"machines_down": [{"equipment": owner.code("press-1"),
                   "from": "2026-05-04T06:00:00Z", "to": "2026-05-04T08:00:00Z"}]})
        },
        status: 404,
    },
    // Re-applies the caller's own set-aside events (none): never the owner's.
    RouteBody {
        method: "POST",
        path: "/api/v1/projection/issues/reapply",
        body: |_| json!({}),
        status: 200,
    },
    // File imports take CSV or .xlsx bodies: the JSON this suite sends is
    // refused (415) before anything is read. Their tenant walls are cases
    // of cloud-hub/tests/import_suite/ (imports_never_reach_another_tenant).
    RouteBody {
        method: "POST",
        path: "/api/v1/import/materials",
        body: |_| json!({}),
        status: 415,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/import/boms",
        body: |_| json!({}),
        status: 415,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/import/routings",
        body: |_| json!({}),
        status: 415,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/import/workbook",
        body: |_| json!({}),
        status: 415,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/import/manufacturers",
        body: |_| json!({}),
        status: 415,
    },
    RouteBody {
        method: "POST",
        path: "/api/v1/import/material-approvals",
        body: |_| json!({}),
        status: 415,
    },
];

/// A receipt of 10 kg of the tenant's steel, lot `L-1`, at `LINE-1`.
fn receipt(owner: &Tenant) -> Value {
    json!({"type": "receipt", "document": owner.code("GR-1"), "location": owner.code("LINE-1"),
           "material": owner.code("steel"), "lot": owner.code("L-1"), "quantity": "10",
           "unit": owner.code("kg")})
}

/// A body made for one tenant.
pub type BodyFor = fn(&Tenant) -> Value;

/// Writes besides records that [`create_all`] makes for every tenant
/// (after the records), so lists other than record lists have something
/// to leak: `(path, body)`, each answered 201.
pub const SEEDS: &[(&str, BodyFor)] = &[
    ("/api/v1/stock/documents", receipt),
    (
        "/api/v1/roles",
        |owner| json!({"name": owner.code("inspector"), "description": "reads stock", "rights": ["stock:view"]}),
    ),
    ("/api/v1/users", |owner| {
        json!({"login": owner.code("anna"), "password": "violet tractor 19 lemons",
               "roles": [{"role": owner.code("inspector")}]})
    }),
    ("/api/v1/groups", |owner| {
        json!({"name": owner.code("shift-a"), "members": [owner.code("anna")],
               "roles": [{"role": "viewer", "sites": [owner.site]}]})
    }),
];

/// A session id no session has (ending it is 404 for everyone).
const NO_SESSION: &str = "01900000-0000-7000-8000-000000000000";

/// A body for a route that is not a record route.
pub struct RouteBody {
    /// Upper-case method.
    pub method: &'static str,
    /// The documented path.
    pub path: &'static str,
    /// The body, naming things of the tenant given.
    pub body: fn(&Tenant) -> Value,
    /// What another tenant calling with it gets (404 for every route with
    /// a path parameter).
    pub status: u16,
}

/// Values of path parameters that are not the leading `{code}` of a
/// record kind in [`FIXTURES`]: the parameter `param` of every route whose
/// path starts with `prefix` names `value(tenant)`, a thing the fixtures
/// made for that tenant.
pub const PATH_VALUES: &[PathValue] = &[
    PathValue {
        prefix: "/api/v1/users/",
        param: "login",
        value: |owner| owner.code("anna"),
    },
    PathValue {
        prefix: "/api/v1/roles/",
        param: "name",
        value: |owner| owner.code("inspector"),
    },
    PathValue {
        prefix: "/api/v1/groups/",
        param: "name",
        value: |owner| owner.code("shift-a"),
    },
    PathValue {
        prefix: "/api/v1/sessions/",
        param: "id",
        value: |_| NO_SESSION.to_string(),
    },
    PathValue {
        prefix: "/api/v1/auth/sessions/",
        param: "id",
        value: |_| NO_SESSION.to_string(),
    },
    PathValue {
        prefix: "/api/v1/sales-orders/{code}/lines/",
        param: "line",
        value: |_| "1".to_string(),
    },
    PathValue {
        prefix: "/api/v1/stock/materials/",
        param: "code",
        value: |owner| owner.code("steel"),
    },
    PathValue {
        prefix: "/api/v1/reports/lots/",
        param: "lot",
        value: |owner| owner.code("L-1"),
    },
    PathValue {
        prefix: "/api/v1/costing/orders/",
        param: "code",
        value: |owner| owner.code("MO-1"),
    },
    PathValue {
        prefix: "/api/v1/costing/standard/",
        param: "material",
        value: |owner| owner.code("bracket"),
    },
    PathValue {
        prefix: "/api/v1/schedules/",
        param: "site",
        value: |owner| owner.site.clone(),
    },
    PathValue {
        // No draft has this id: reading, accepting or discarding it is 404
        // for its own tenant too.
        prefix: "/api/v1/sites/",
        param: "draft",
        value: |_| "no-such-draft".to_string(),
    },
    PathValue {
        prefix: "/api/v1/oee/equipment/",
        param: "code",
        value: |owner| owner.code("press-1"),
    },
    PathValue {
        prefix: "/api/v1/oee/sites/",
        param: "site",
        value: |owner| owner.site.clone(),
    },
    PathValue {
        prefix: "/api/v1/agents/",
        param: "agent",
        value: |owner| owner.agent_id.clone(),
    },
    PathValue {
        // A name no token has: revoking it is 404 for its own tenant too,
        // so walking the routes never revokes the token it walks with.
        prefix: "/api/v1/tokens/",
        param: "name",
        value: |_| "no-such-token".to_string(),
    },
];

/// The value of one path parameter of some routes.
pub struct PathValue {
    /// The start of the documented paths it applies to.
    pub prefix: &'static str,
    /// The parameter's name.
    pub param: &'static str,
    /// Its value for a tenant.
    pub value: fn(&Tenant) -> String,
}

/// Where a fixture is missing, the author of the route learns what to add.
pub const ADD_FIXTURE: &str = "add a sample to FIXTURES (record kinds), or a row to ROUTE_BODIES or \
     PATH_VALUES, in cloud-hub/tests/api_suite/fixtures.rs, so the tenant-isolation case can call it";

/// The value of path parameter `param` of `route` naming a thing of
/// `owner`: from [`PATH_VALUES`], or for the leading parameter of a record
/// kind's route the code of its first sample.
#[track_caller]
pub fn path_value(route: &Route, param: &str, owner: &Tenant) -> String {
    if let Some(v) = PATH_VALUES
        .iter()
        .find(|v| route.path.starts_with(v.prefix) && v.param == param)
    {
        return (v.value)(owner);
    }
    let first = route.path_params.first().is_some_and(|p| p == param);
    match fixture(route.collection()) {
        Some(_) if first => first_sample(route.collection(), owner).0,
        _ => panic!(
            "{}: no value for path parameter `{param}` (collection {} has no fixture): {ADD_FIXTURE}",
            route.name(),
            route.collection()
        ),
    }
}

/// The fixture of `collection`, if the table has one.
pub fn fixture(collection: &str) -> Option<&'static Fixture> {
    FIXTURES.iter().find(|f| f.collection == collection)
}

/// The first sample of `collection` for `tenant`: (code, body).
#[track_caller]
pub fn first_sample(collection: &str, tenant: &Tenant) -> (String, Value) {
    let fixture = fixture(collection).unwrap_or_else(|| panic!("no fixture for {collection}"));
    let body = (fixture.samples)(tenant).remove(0);
    let code = code_of(&body).expect("every sample has a code");
    (code, body)
}

/// Creates every sample of every collection in `tenant` through the API,
/// asserting each is created (201) with its body echoed.
pub async fn create_all(hub: &Hub, tenant: &Tenant) {
    for fixture in FIXTURES {
        for body in (fixture.samples)(tenant) {
            let reply = hub
                .post(fixture.collection, &tenant.token, &body)
                .await
                .expect(201);
            assert_echoes(&reply.body, &body, fixture.collection);
        }
    }
    for (path, body) in SEEDS {
        hub.post(*path, &tenant.token, &body(tenant)).await.expect(201);
    }
}

/// Asserts that everything sent comes back unchanged in `item`: every
/// field of an object (the API may add defaults and bookkeeping), every
/// element of an array, every other value equal.
#[track_caller]
pub fn assert_echoes(item: &Value, sent: &Value, what: &str) {
    if let Err(at) = contains(item, sent, String::new()) {
        panic!("{what}: what was sent differs at `{at}`: sent {sent}, got {item}");
    }
}

fn contains(item: &Value, sent: &Value, at: String) -> Result<(), String> {
    match (item, sent) {
        (Value::Object(got), Value::Object(want)) => want.iter().try_for_each(|(key, value)| {
            let at = format!("{at}.{key}");
            got.get(key).map_or(Err(at.clone()), |v| contains(v, value, at))
        }),
        (Value::Array(got), Value::Array(want)) if got.len() == want.len() => got
            .iter()
            .zip(want)
            .enumerate()
            .try_for_each(|(i, (g, w))| contains(g, w, format!("{at}[{i}]"))),
        _ if item == sent => Ok(()),
        _ => Err(at),
    }
}
