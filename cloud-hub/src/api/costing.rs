//! Costing and report routes: a production order's actual cost (with its
//! standard and variances), a material's standard cost, the value of stock
//! per material and site, and the material shortage list.

use super::book::{Operation, RouteBook};
use super::params::{bad_query, only};
use super::{ApiFailure, HubState, tenant_of};
use crate::costing;
use crate::costing::report::{OrderCostReport, order_report};
use crate::costing::standard::StandardCost;
use crate::costing::standard_query::{DEFAULT_LOT_SIZE, material_standard};
use crate::reports::sales::{Period, SalesReport, sales_statistics, to_csv};
use crate::reports::{Direction, LotTrace, ShortageReport, lot_trace, shortage_report};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

/// One material's stock value at one site.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StockValue {
    /// The material.
    pub material: String,
    /// The site.
    pub site: String,
    /// On hand, base units.
    pub quantity: Decimal,
    /// Its value (moving average).
    pub value: Decimal,
}

async fn order_cost(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Json<OrderCostReport>, ApiFailure> {
    let tenant = tenant_of(&state, &headers).await?;
    Ok(Json(
        order_report(&state.store, &tenant, &code, (state.clock)()).await?,
    ))
}

async fn standard_cost(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(material): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<StandardCost>, ApiFailure> {
    let tenant = tenant_of(&state, &headers).await?;
    // 404 for an unknown (or another tenant's) material before the query.
    crate::masterdata::service::get::<crate::masterdata::records::Material>(&state.store, &tenant, &material)
        .await?;
    const ALLOWED: &[&str] = &["lot_size", "on", "site"];
    only(&raw, ALLOWED)?;
    let lot_size = match raw.get("lot_size") {
        None => DEFAULT_LOT_SIZE,
        Some(q) => q
            .parse::<Decimal>()
            .ok()
            .filter(|q| *q > Decimal::ZERO)
            .ok_or_else(|| bad_query("lot_size", "must be a decimal above zero"))?,
    };
    let day = date_param(&raw, "on")?.unwrap_or_else(|| {
        mes_protocols::Timestamp::from_unix_millis((state.clock)())
            .to_datetime()
            .date()
    });
    let site = raw.get("site");
    if let Some(site) = site
        && !state
            .store
            .site_exists(tenant.clone(), site.clone())
            .await
            .map_err(ApiFailure::from)?
    {
        return Err(bad_query("site", format!("site `{site}` does not exist")));
    }
    Ok(Json(
        material_standard(
            &state.store,
            &tenant,
            &material,
            lot_size,
            day,
            site.map(String::as_str),
        )
        .await?,
    ))
}

async fn stock_values(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let tenant = tenant_of(&state, &headers).await?;
    let costing = costing::cost_tenant(&state.store, &tenant, (state.clock)()).await?;
    let items: Vec<StockValue> = costing
        .valuation
        .pools
        .into_iter()
        .map(|((material, site), p)| StockValue {
            material: material.to_string(),
            site,
            quantity: p.quantity,
            value: p.value,
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn shortages(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<Json<ShortageReport>, ApiFailure> {
    let tenant = tenant_of(&state, &headers).await?;
    Ok(Json(shortage_report(&state.store, &tenant).await?))
}

async fn trace(
    state: &HubState,
    headers: &HeaderMap,
    lot: &str,
    direction: Direction,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let tenant = tenant_of(state, headers).await?;
    let items: Vec<LotTrace> = lot_trace(&state.store, &tenant, lot, direction).await?;
    Ok(Json(json!({ "items": items })))
}

async fn backward(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(lot): Path<String>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    trace(&state, &headers, &lot, Direction::Backward).await
}

async fn forward(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(lot): Path<String>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    trace(&state, &headers, &lot, Direction::Forward).await
}

fn date_param(raw: &HashMap<String, String>, name: &str) -> Result<Option<time::Date>, ApiFailure> {
    raw.get(name)
        .map(|v| mes_protocols::downlink::parse_date(v).map_err(|reason| bad_query(name, reason)))
        .transpose()
}

async fn sales(
    State(state): State<HubState>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, ApiFailure> {
    let tenant = tenant_of(&state, &headers).await?;
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
        crate::costing::load::all::<crate::masterdata::records::SalesOrder>(&state.store, &tenant).await?;
    let materials = crate::costing::load::all::<crate::masterdata::records::Material>(&state.store, &tenant)
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

/// Adds the costing and report routes to `b`.
pub(crate) fn add_routes(b: &mut RouteBook) {
    let tag = "Costing";
    let cost = b.schema::<OrderCostReport>();
    let value = b.schema::<StockValue>();
    let report = b.schema::<ShortageReport>();
    b.add(
        Operation::new(
            "get",
            "/api/v1/costing/orders/{code}",
            tag,
            "A production order's actual cost now (materials, labour, machine, overhead, unit cost, per operation), when its figures last changed, its standard cost and the variances (material price and usage, labour, machine, overhead, scrap)",
        )
        .response(cost),
        get(order_cost),
    );
    let standard = b.schema::<StandardCost>();
    b.add(
        Operation::new(
            "get",
            "/api/v1/costing/standard/{material}",
            tag,
            "A material's standard unit cost by element, rolled up over its BOM and routing levels",
        )
        .query("lot_size", "the lot the setup is spread over, base units (default 1)")
        .query("on", "the day whose BOM versions apply, YYYY-MM-DD (default today)")
        .query("site", "the site whose equipment rates and overhead rule apply (default: equipment of every site, no overhead)")
        .response(standard),
        get(standard_cost),
    );
    b.add(
        Operation::new(
            "get",
            "/api/v1/costing/stock",
            tag,
            "Stock quantity and value (moving average) per material and site now",
        )
        .response(json!({"type": "object", "properties": {"items": {"type": "array", "items": value}}})),
        get(stock_values),
    );
    b.add(
        Operation::new(
            "get",
            "/api/v1/reports/shortages",
            "Reports",
            "Material shortages of all open production orders against stock and open purchase orders",
        )
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
        .query("period", "day, week (ISO), month (default) or year")
        .query("from", "first order day counted, YYYY-MM-DD")
        .query("to", "last order day counted, YYYY-MM-DD")
        .query("format", "json (default) or csv")
        .response(sales_report)
        .produces("text/csv"),
        get(sales),
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
        .response(items),
        get(forward),
    );
}
