//! The hub's HTTP API under `/api/v1`, plus `/healthz` and `/metrics`.

mod access;
pub mod admission;
mod agents;
mod approval_files;
mod audit;
mod auth;
pub(crate) mod book;
mod bounds;
mod costing;
mod downlink;
mod duplicate_keys;
mod error;
mod guard;
mod http_refusals;
mod ingest;
mod inventory;
mod machines;
mod masterdata;
mod masterdata_files;
mod oee;
mod panics;
mod params;
mod people;
mod plan_dispatch;
mod planning;
mod production;
mod projection;
mod rejections;
mod reports;
mod roles;
mod steering;

pub use error::ApiFailure;
pub use http_refusals::{JsonRefusalListener, JsonRefusals};

use crate::metrics::HubMetrics;
use crate::store::Store;
use crate::store::rights::{Action, Module};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use std::sync::Arc;

/// Size limits of ingest requests.
#[derive(Debug, Clone, Copy)]
pub struct IngestLimits {
    /// Largest request body as sent (compressed), bytes.
    pub max_body_bytes: usize,
    /// Largest batch once inflated, bytes.
    pub max_inflated_bytes: usize,
    /// Bytes all ingest requests together may hold in memory
    /// ([`admission::MemoryBudget`]); over it, 503 with `Retry-After`.
    pub max_inflight_bytes: usize,
}

impl Default for IngestLimits {
    fn default() -> Self {
        let config = crate::config::IngestConfig::default();
        Self {
            max_body_bytes: config.max_body_bytes,
            max_inflated_bytes: config.max_inflated_bytes,
            max_inflight_bytes: config.max_inflight_bytes,
        }
    }
}

/// Planning computations (runs and what-ifs) one tenant may have running
/// at once; more are 429.
pub const PLANNING_PER_TENANT: usize = 2;

/// How long an ingest request waits for room in the memory budget before
/// it is answered 503.
const INGEST_BUDGET_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What every handler can reach.
#[derive(Clone)]
pub struct HubState {
    /// The database.
    pub store: Store,
    /// Metrics.
    pub metrics: Arc<HubMetrics>,
    /// Ingest limits.
    pub limits: IngestLimits,
    /// "Now" for answers that depend on it (the machine's clock, or a
    /// fixed one in tests).
    pub clock: crate::clock::Clock,
    /// Bytes ingest bodies may hold in memory together.
    pub ingest_budget: admission::MemoryBudget,
    /// Planning computations running per tenant.
    pub planning_gate: admission::TenantGate,
    /// Sessions and login limits (`[access]`).
    pub access: Arc<crate::access::config::AccessConfig>,
    /// Notices of new events for open console pages.
    pub live: crate::live::LiveFeed,
    /// Which tenants' background work this replica does (`/healthz`
    /// reports its leases).
    pub ownership: crate::cluster::Ownership,
}

impl HubState {
    /// The state of a hub on `store` with `limits`.
    pub fn new(
        store: Store,
        metrics: Arc<HubMetrics>,
        limits: IngestLimits,
        clock: crate::clock::Clock,
    ) -> Self {
        Self {
            store,
            metrics,
            ingest_budget: admission::MemoryBudget::new(limits.max_inflight_bytes, INGEST_BUDGET_WAIT),
            planning_gate: admission::TenantGate::new(PLANNING_PER_TENANT),
            limits,
            clock,
            access: Arc::new(crate::access::config::AccessConfig::default()),
            live: crate::live::LiveFeed::default(),
            ownership: crate::cluster::Ownership::Alone,
        }
    }

    /// The same state with `live` as its live feed (relayed between
    /// replicas on PostgreSQL).
    pub fn with_live(mut self, live: crate::live::LiveFeed) -> Self {
        self.live = live;
        self
    }

    /// The same state following `ownership` (several replicas).
    pub fn with_ownership(mut self, ownership: crate::cluster::Ownership) -> Self {
        self.ownership = ownership;
        self
    }

    /// The same state with `access` settings.
    pub fn with_access(mut self, access: crate::access::config::AccessConfig) -> Self {
        self.access = Arc::new(access);
        self
    }
}

/// Every route of the API with its documentation (see [`book`]).
pub(crate) fn route_book() -> book::RouteBook {
    use crate::masterdata::records as r;
    use book::Operation;
    use guard::Caller;
    let mut b = book::RouteBook::new();
    b.add(
        Operation::new(
            "post",
            "/api/v1/ingest",
            "Sync",
            "An agent's batch of events (see SYNC_PROTOCOL.md)",
        )
        .caller(Caller::Agent)
        .file(
            "application/json",
            serde_json::json!({"type": "object",
                "description": "a sync batch (SYNC_PROTOCOL.md), optionally Content-Encoding: gzip"}),
            0,
        )
        .own_body_limit()
        .describe(
            "Bodies are limited as sent (`ingest.max_body_bytes`) and inflated \
             (`ingest.max_inflated_bytes`), and all batches in memory together by \
             `ingest.max_inflight_bytes`: over that the answer is 503 with `Retry-After`.",
        ),
        post(ingest::ingest),
    );
    b.add(
        Operation::new(
            "get",
            "/api/v1/agents",
            "Sync",
            "The tenant's agents and their sync state",
        )
        .right(Module::Agents, Action::View),
        get(agents::list),
    );
    let agent_request = b.schema::<agents::AgentRequest>();
    b.add(
        Operation::new(
            "post",
            "/api/v1/agents",
            "Sync",
            "A new agent of a site: answers its id and token (shown only now)",
        )
        .right(Module::Agents, Action::Admin)
        .request(agent_request)
        .status(201),
        post(agents::add),
    );
    b.add(
        Operation::new(
            "get",
            mes_protocols::downlink::DOWNLINK_PATH,
            "Sync",
            "An agent's site master data, changes since a cursor (see SYNC_PROTOCOL.md)",
        )
        .caller(Caller::Agent)
        .query_typed(
            "since",
            "the cursor of the last page applied; 0 = full snapshot",
            serde_json::json!({"type": "integer", "minimum": 0}),
        )
        .query_typed(
            "limit",
            "most records in the page, 1 to 5000 (default 500)",
            serde_json::json!({"type": "integer", "minimum": 1, "maximum": 5000}),
        ),
        get(downlink::downlink),
    );
    masterdata::add_kind::<r::Unit>(&mut b);
    masterdata::add_kind::<r::Material>(&mut b);
    masterdata::add_kind::<r::Lot>(&mut b);
    masterdata::add_kind::<r::Manufacturer>(&mut b);
    masterdata::add_kind::<r::MaterialApproval>(&mut b);
    masterdata::add_kind::<r::Bom>(&mut b);
    masterdata::add_kind::<r::Routing>(&mut b);
    masterdata::add_kind::<r::EquipmentType>(&mut b);
    masterdata::add_kind::<r::Equipment>(&mut b);
    masterdata::add_kind::<r::WorkerType>(&mut b);
    masterdata::add_kind::<r::Worker>(&mut b);
    masterdata::add_kind::<r::Station>(&mut b);
    masterdata::add_kind::<r::Reason>(&mut b);
    masterdata::add_kind::<r::SiteSettings>(&mut b);
    masterdata::add_kind::<r::Warehouse>(&mut b);
    masterdata::add_kind::<r::Location>(&mut b);
    masterdata::add_kind::<r::Supplier>(&mut b);
    masterdata::add_kind::<r::Customer>(&mut b);
    masterdata::add_kind::<r::PurchaseOrder>(&mut b);
    masterdata::add_kind::<r::SalesOrder>(&mut b);
    masterdata::add_kind::<r::ProductionOrder>(&mut b);
    masterdata::add_kind::<r::Calendar>(&mut b);
    masterdata_files::add_routes(&mut b);
    approval_files::add_routes(&mut b);
    planning::add_routes(&mut b);
    steering::add_routes(&mut b);
    plan_dispatch::add_routes(&mut b);
    production::add_routes(&mut b);
    inventory::add_routes(&mut b);
    projection::add_routes(&mut b);
    machines::add_routes(&mut b);
    oee::add_routes(&mut b);
    access::add_routes(&mut b);
    auth::add_routes(&mut b);
    people::add_routes(&mut b);
    roles::add_routes(&mut b);
    audit::add_routes(&mut b);
    costing::add_routes(&mut b);
    reports::add_routes(&mut b);
    masterdata::add_kind::<crate::costing::CostingSettings>(&mut b);
    b.add(
        Operation::new("get", "/api/v1/openapi.json", "Meta", "This document").caller(Caller::Public),
        get(openapi),
    );
    b.add(
        Operation::new(
            "get",
            "/healthz",
            "Meta",
            "Whether the hub and its database answer",
        )
        .caller(Caller::Public),
        get(health),
    );
    b.add(
        Operation::new("get", "/metrics", "Meta", "Prometheus/OpenMetrics metrics")
            .caller(Caller::Public)
            .produces("application/openmetrics-text"),
        get(metrics),
    );
    b
}

/// The hub's router.
pub fn router(state: HubState) -> Router {
    route_book()
        .into_router(&state)
        .fallback(not_found)
        // Every route sets its own limit (the route book's); this one
        // covers anything else that might read a body.
        .layer(DefaultBodyLimit::max(book::DEFAULT_BODY_LIMIT))
        // Framework rejections (bad path encoding, 405, 413) in the API's
        // error shape like every other error.
        .layer(axum::middleware::from_fn(rejections::json_errors))
        // Last resort: a handler that panics is a counted 500 in the error
        // shape, not a dropped connection.
        .layer(panics::layer(state.metrics.clone()))
        .with_state(state)
}

/// The OpenAPI document of [`route_book`].
pub fn openapi_document() -> serde_json::Value {
    route_book().openapi()
}

async fn openapi() -> Json<serde_json::Value> {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(openapi_document).clone())
}

/// `/healthz`: 200 `ok` when the database answers and no tenant this
/// replica projects lags over `[projection] max_lag_secs`, else 503
/// (`degraded` naming the tenants, or `database unavailable`). On
/// PostgreSQL it also says which tenant leases this replica holds
/// (`cluster`: replica name, live replicas, each lease's tenant, fencing
/// token, how long held and events projected under it).
async fn health(State(state): State<HubState>) -> Response {
    let cluster = state.ownership.report();
    let with_cluster = |mut body: serde_json::Value| {
        if let (Some(c), Some(o)) = (&cluster, body.as_object_mut()) {
            o.insert("cluster".into(), c.clone());
        }
        Json(body)
    };
    match state.store.health().await {
        // A tenant whose projection lags over `[projection] max_lag_secs`
        // (wedged, or far behind) makes the hub degraded.
        Ok(_) => match state.metrics.lagging_projections().as_slice() {
            [] => with_cluster(serde_json::json!({ "status": "ok", "database": "ok" })).into_response(),
            lagging => (
                StatusCode::SERVICE_UNAVAILABLE,
                with_cluster(serde_json::json!({
                    "status": "degraded",
                    "database": "ok",
                    "projection_lag": lagging.iter()
                        .map(|(tenant, secs)| serde_json::json!({ "tenant": tenant, "lag_seconds": secs }))
                        .collect::<Vec<_>>(),
                })),
            )
                .into_response(),
        },
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                with_cluster(
                    serde_json::json!({ "status": "database unavailable", "database": "unavailable" }),
                ),
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<HubState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> ApiFailure {
    ApiFailure::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}
