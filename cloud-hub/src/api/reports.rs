//! Report routes: the material shortage list, sales statistics, lot
//! traceability (backward and forward across levels) and lots in stock
//! from manufacturers no longer approved (or soon no longer).

use super::book::{Operation, RouteBook};
use super::guard::{SiteAccess, TenantCaller};
use super::params::{bad_query, date_param, only};
use super::{ApiFailure, HubState};
use crate::reports::sales::{Period, SalesReport, sales_statistics, to_csv};
use crate::reports::{
    DEFAULT_EXPIRY_WINDOW_DAYS, Direction, LotTrace, ShortageReport, UnapprovedStockReport, lot_trace,
    shortage_report, unapproved_stock_report,
};
use crate::store::TenantId;
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;

/// The longest look ahead for conditional approvals that end: a year.
const MAX_EXPIRY_WINDOW_DAYS: u32 = 366;

async fn shortages(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
) -> Result<Json<ShortageReport>, ApiFailure> {
    Ok(Json(shortage_report(&state.store, tenant).await?))
}

async fn unapproved_stock(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(SiteAccess(scope)): Extension<SiteAccess>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<UnapprovedStockReport>, ApiFailure> {
    only(&raw, &["on", "within_days"])?;
    let on = match date_param(&raw, "on")? {
        Some(day) => day,
        None => mes_protocols::Timestamp::from_unix_millis(crate::store::now_ms())
            .to_datetime()
            .date(),
    };
    let within_days = match raw.get("within_days") {
        None => DEFAULT_EXPIRY_WINDOW_DAYS,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= MAX_EXPIRY_WINDOW_DAYS)
            .ok_or_else(|| {
                bad_query(
                    "within_days",
                    format!("must be a whole number of days from 0 to {MAX_EXPIRY_WINDOW_DAYS}"),
                )
            })?,
    };
    let report =
        unapproved_stock_report(&state.store, tenant, on, within_days, |site| scope.covers(site)).await?;
    Ok(Json(report))
}

async fn trace(
    state: &HubState,
    tenant: TenantId,
    lot: &str,
    direction: Direction,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let items: Vec<LotTrace> = lot_trace(&state.store, tenant, lot, direction).await?;
    Ok(Json(json!({ "items": items })))
}

async fn backward(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(lot): Path<String>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    trace(&state, tenant, &lot, Direction::Backward).await
}

async fn forward(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(lot): Path<String>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    trace(&state, tenant, &lot, Direction::Forward).await
}

async fn sales(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, ApiFailure> {
    const ALLOWED: &[&str] = &["period", "from", "to", "format"];
    only(&raw, ALLOWED)?;
    let period = match raw.get("period") {
        None => Period::default(),
        Some(p) => Period::parse(p).ok_or_else(|| bad_query("period", "must be day, week, month or year"))?,
    };
    let (from, to) = (date_param(&raw, "from")?, date_param(&raw, "to")?);
    let csv = match raw.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(bad_query("format", "must be json or csv")),
    };
    let orders =
        crate::costing::load::all::<crate::masterdata::records::SalesOrder>(&state.store, tenant).await?;
    let materials = crate::costing::load::all::<crate::masterdata::records::Material>(&state.store, tenant)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let report = sales_statistics(&orders, &materials, period, from, to)?;
    if !csv {
        return Ok(Json(report).into_response());
    }
    let text = to_csv(&report)
        .map_err(|e| ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response())
}

/// Adds the report routes to `b`.
pub(crate) fn add_routes(b: &mut RouteBook) {
    let report = b.schema::<ShortageReport>();
    b.add(
        Operation::new(
            "get",
            "/api/v1/reports/shortages",
            "Reports",
            "Material shortages of all open production orders against stock and open purchase orders",
        )
        .right(Module::Stock, Action::View)
        .response(report),
        get(shortages),
    );
    let sales_report = b.schema::<SalesReport>();
    b.add(
        Operation::new(
            "get",
            "/api/v1/reports/sales",
            "Reports",
            "Sales amounts by period, customer and product (JSON, or CSV rows with format=csv)",
        )
        .right(Module::Sales, Action::View)
        .query("period", "day, week (ISO), month (default) or year")
        .query("from", "first order day counted, YYYY-MM-DD")
        .query("to", "last order day counted, YYYY-MM-DD")
        .query("format", "json (default) or csv")
        .response(sales_report)
        .produces("text/csv"),
        get(sales),
    );
    let unapproved = b.schema::<UnapprovedStockReport>();
    b.add(
        Operation::new(
            "get",
            "/api/v1/reports/unapproved-stock",
            "Reports",
            "Lots on hand whose manufacturer is not approved for their material on a day (a lapsed \
             condition, a blocked or unlisted maker, no maker recorded), judged against the general \
             approval lists, with where they are; and the lots still accepted whose maker's \
             conditional approval ends within the next days (expiring)",
        )
        .right(Module::Stock, Action::View)
        .query("on", "the day judged, YYYY-MM-DD (default: today, UTC)")
        .query_typed(
            "within_days",
            "how many days after `on` a conditional approval may end to be listed under expiring \
             (0 to 366, default 30)",
            json!({"type": "integer", "minimum": 0, "maximum": MAX_EXPIRY_WINDOW_DAYS}),
        )
        .response(unapproved),
        get(unapproved_stock),
    );
    let lot = b.schema::<LotTrace>();
    let items = json!({"type": "object", "properties": {"items": {"type": "array", "items": lot}}});
    b.add(
        Operation::new(
            "get",
            "/api/v1/reports/lots/{lot}/backward",
            "Reports",
            "Backward traceability: the orders that made this lot and their input lots, across levels",
        )
        .right(Module::Stock, Action::View)
        .response(items.clone()),
        get(backward),
    );
    b.add(
        Operation::new(
            "get",
            "/api/v1/reports/lots/{lot}/forward",
            "Reports",
            "Forward traceability: the orders that used this lot and their output lots, across levels",
        )
        .right(Module::Stock, Action::View)
        .response(items),
        get(forward),
    );
}
