//! Production-order lifecycle actions: release to a site, close, and
//! create from a sales order line.

use super::book::{Operation, RouteBook};
use super::guard::{AuditNote, SiteAccess, TenantCaller};
use super::masterdata::{item, parse_body};
use super::{ApiFailure, HubState};
use crate::masterdata::records::ProductionOrder;
use crate::production::lifecycle;
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use mes_protocols::Code;
use schemars::JsonSchema;
use serde::Deserialize;

/// Body of the release action.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// The site to release to; none = the site the order names.
    #[serde(default)]
    pub site: Option<Code>,
}

/// Body of "make a production order for this sales order line".
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FromSalesOrderRequest {
    /// The new production order's number.
    pub code: Code,
    /// The site it will be made at.
    #[serde(default)]
    pub site: Option<Code>,
}

/// Today (UTC) by the hub's clock.
fn today(state: &HubState) -> time::Date {
    mes_protocols::Timestamp::from_unix_millis((state.clock)())
        .to_datetime()
        .date()
}

/// The order `code`, or 404 when it is unknown, another tenant's, or at a
/// site the caller's right does not reach.
async fn order_in_reach(
    state: &HubState,
    tenant: crate::store::TenantId,
    scope: &SiteAccess,
    code: &str,
) -> Result<crate::masterdata::service::Stored<ProductionOrder>, ApiFailure> {
    let stored = crate::masterdata::service::get::<ProductionOrder>(&state.store, tenant, code).await?;
    let site = crate::masterdata::MasterKind::site(&stored.record);
    if site.is_some_and(|s| !scope.0.covers(s.as_str())) {
        return Err(ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("production_order `{code}` not found"),
        ));
    }
    Ok(stored)
}

/// The order after a lifecycle action, with its before and after for the
/// audit log.
fn noted(
    before: &crate::masterdata::service::Stored<ProductionOrder>,
    after: &crate::masterdata::service::Stored<ProductionOrder>,
) -> Response {
    let mut response = Json(item(after)).into_response();
    response.extensions_mut().insert(AuditNote {
        object_kind: Some("production_order".into()),
        object_code: Some(after.record.code.to_string()),
        before: Some(item(before)),
        after: Some(item(after)),
    });
    response
}

async fn release(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    // 404 for an unknown (or another tenant's) order before reading the body.
    let before = order_in_reach(&state, tenant, &scope, &code).await?;
    let request: ReleaseRequest = if body.is_empty() {
        ReleaseRequest::default()
    } else {
        parse_body(&body)?
    };
    if let Some(site) = &request.site
        && !scope.0.covers(site.as_str())
    {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("your right does not reach site `{site}`"),
        )
        .field("site"));
    }
    let stored = lifecycle::release(&state.store, tenant, &code, request.site, today(&state)).await?;
    Ok(noted(&before, &stored))
}

async fn close(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    Path(code): Path<String>,
) -> Result<Response, ApiFailure> {
    let before = order_in_reach(&state, tenant, &scope, &code).await?;
    let stored = lifecycle::close(&state.store, tenant, &code).await?;
    Ok(noted(&before, &stored))
}

async fn from_sales_order(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path((order, line)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let line: u32 = line.parse().map_err(|_| {
        ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("sales order line `{line}` not found"),
        )
    })?;
    crate::masterdata::service::get::<crate::masterdata::records::SalesOrder>(&state.store, tenant, &order)
        .await?;
    let request: FromSalesOrderRequest = parse_body(&body)?;
    let stored =
        lifecycle::from_sales_order(&state.store, tenant, request.code, &order, line, request.site).await?;
    Ok((StatusCode::CREATED, Json(item(&stored))).into_response())
}

async fn actuals(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(code): Path<String>,
) -> Result<Json<crate::production::actuals::OrderActuals>, ApiFailure> {
    Ok(Json(
        crate::production::actuals::actuals(&state.store, tenant, &code).await?,
    ))
}

async fn changeover(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(code): Path<String>,
    axum::extract::Query(raw): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Json<crate::production::bom_inputs::ChangeoverPreview>, ApiFailure> {
    // 404 for an unknown (or another tenant's) BOM before reading the query.
    crate::masterdata::service::get::<crate::masterdata::records::Bom>(&state.store, tenant, &code).await?;
    let bad = |field: &str, message: &str| {
        ApiFailure::new(StatusCode::BAD_REQUEST, "invalid_query", message).field(field)
    };
    if let Some(name) = raw.keys().find(|k| !matches!(k.as_str(), "quantity" | "on")) {
        return Err(bad(name, "unknown query parameter; this takes quantity and on"));
    }
    let quantity: rust_decimal::Decimal = match raw.get("quantity") {
        None => rust_decimal::Decimal::ONE,
        Some(q) => q
            .parse()
            .ok()
            .filter(|q: &rust_decimal::Decimal| *q > rust_decimal::Decimal::ZERO)
            .ok_or_else(|| bad("quantity", "must be a decimal above zero"))?,
    };
    let day = match raw.get("on") {
        None => today(&state),
        Some(d) => mes_protocols::downlink::parse_date(d).map_err(|reason| bad("on", &reason))?,
    };
    Ok(Json(
        crate::production::bom_inputs::preview(&state.store, tenant, &code, quantity, day).await?,
    ))
}

/// Adds the lifecycle routes.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let order = book.item_schema::<ProductionOrder>();
    let release_body = book.schema::<ReleaseRequest>();
    let from_body = book.schema::<FromSalesOrderRequest>();
    let tag = "Production order";
    let preview = book.schema::<crate::production::bom_inputs::ChangeoverPreview>();
    book.add(
        Operation::new(
            "get",
            "/api/v1/boms/{code}/changeover",
            "Bill of materials",
            "What an order would consume on a day, with engineering changes that use up old stock and the stock projected after the switch",
        ).right(Module::MasterData, Action::View)
        .query("quantity", "the order quantity (base units of the material; default 1)")
        .query("on", "the day, YYYY-MM-DD (default today)")
        .response(preview),
        axum::routing::get(changeover),
    );
    let report = book.schema::<crate::production::actuals::OrderActuals>();
    book.add(
        Operation::new(
            "get",
            "/api/v1/production-orders/{code}/actuals",
            tag,
            "The production order report: planned against actual per operation (times, quantities, materials with the stock status of each input at the order's site) and the cost by element (from the floor's events)",
        ).right(Module::Production, Action::View)
        .response(report),
        axum::routing::get(actuals),
    );
    book.add(
        Operation::new(
            "post",
            "/api/v1/production-orders/{code}/release",
            tag,
            "Release a draft order to a site (copies the routing's operations; agents receive it)",
        )
        .right(Module::Production, Action::Approve)
        .request(release_body)
        .optional_body()
        .response(order.clone()),
        post(release),
    );
    book.add(
        Operation::new(
            "post",
            "/api/v1/production-orders/{code}/close",
            tag,
            "Close an order",
        )
        .right(Module::Production, Action::Approve)
        .response(order.clone()),
        post(close),
    );
    book.add(
        Operation::new(
            "post",
            "/api/v1/sales-orders/{code}/lines/{line}/production-order",
            tag,
            "Create a draft production order for a sales order line",
        )
        .right(Module::Production, Action::Edit)
        .request(from_body)
        .response(order)
        .status(201),
        post(from_sales_order),
    );
}
