//! Costing routes: a production order's actual cost (with its standard and
//! variances), a material's standard cost, the value of stock per material
//! and site.

use super::book::{Operation, RouteBook};
use super::guard::SiteAccess;
use super::guard::TenantCaller;
use super::params::{bad_query, date_param, only};
use super::{ApiFailure, HubState};
use crate::costing;
use crate::costing::report::{OrderCostReport, order_report};
use crate::costing::standard::StandardCost;
use crate::costing::standard_query::{DEFAULT_LOT_SIZE, material_standard};
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
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

/// Every production order's actual cost by element so far (costs rolled
/// into its output), as JSON or CSV (`format=csv`), orders of the caller's
/// sites only.
async fn order_costs(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(SiteAccess(scope)): Extension<SiteAccess>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, ApiFailure> {
    only(&raw, &["format"])?;
    let csv = match raw.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(bad_query("format", "must be json or csv")),
    };
    let costing = costing::cost_tenant(&state.store, tenant, (state.clock)()).await?;
    let orders: Vec<costing::OrderCost> = costing
        .orders
        .into_values()
        .filter(|o| o.site.as_ref().is_none_or(|s| scope.covers(s)))
        .collect();
    if !csv {
        return Ok(Json(json!({ "items": orders })).into_response());
    }
    let internal =
        |e: csv::Error| ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string());
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "order",
        "material",
        "site",
        "good",
        "scrap",
        "materials",
        "labour",
        "machine",
        "overhead",
        "total",
        "unit_cost",
    ])
    .map_err(internal)?;
    for o in &orders {
        let text = |v: &Option<String>| crate::csv_cell::escape(v.as_deref().unwrap_or("")).into_owned();
        out.write_record([
            crate::csv_cell::escape(&o.order).into_owned(),
            text(&o.material),
            text(&o.site),
            o.good.to_string(),
            o.scrap.to_string(),
            o.materials.to_string(),
            o.labour.to_string(),
            o.machine.to_string(),
            o.overhead.to_string(),
            o.total.to_string(),
            o.unit_cost.map(|u| u.to_string()).unwrap_or_default(),
        ])
        .map_err(internal)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response())
}

async fn order_cost(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(code): Path<String>,
) -> Result<Json<OrderCostReport>, ApiFailure> {
    Ok(Json(
        order_report(&state.store, tenant, &code, (state.clock)()).await?,
    ))
}

async fn standard_cost(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(material): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<StandardCost>, ApiFailure> {
    // 404 for an unknown (or another tenant's) material before the query.
    crate::masterdata::service::get::<crate::masterdata::records::Material>(&state.store, tenant, &material)
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
            .site_exists(tenant, site.clone())
            .await
            .map_err(ApiFailure::from)?
    {
        // A well-formed site name the tenant does not have: refused by
        // its data, not its form.
        return Err(ApiFailure::invalid(
            "site",
            format!("site `{site}` does not exist"),
        ));
    }
    Ok(Json(
        material_standard(
            &state.store,
            tenant,
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
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let costing = costing::cost_tenant(&state.store, tenant, (state.clock)()).await?;
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

/// Adds the costing routes to `b`.
pub(crate) fn add_routes(b: &mut RouteBook) {
    let tag = "Costing";
    let cost = b.schema::<OrderCostReport>();
    let value = b.schema::<StockValue>();
    b.add(
        Operation::new(
            "get",
            "/api/v1/costing/orders/{code}",
            tag,
            "A production order's actual cost now (materials, labour, machine, overhead, unit cost, per operation), when its figures last changed, its standard cost and the variances (material price and usage, labour, machine, overhead, scrap)",
        ).right(Module::Costing, Action::View)
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
        ).right(Module::Costing, Action::View)
        .query("lot_size", "the lot the setup is spread over, base units (default 1)")
        .query("on", "the day whose BOM versions apply, YYYY-MM-DD (default today)")
        .query("site", "the site whose equipment rates and overhead rule apply (default: equipment of every site, no overhead)")
        .response(standard),
        get(standard_cost),
    );
    let order_cost_item = b.schema::<costing::OrderCost>();
    b.add(
        Operation::new(
            "get",
            "/api/v1/costing/orders",
            tag,
            "Every production order's actual cost by element so far (JSON, or CSV rows with format=csv)",
        )
        .right(Module::Costing, Action::View)
        .query("format", "json (default) or csv")
        .response(
            json!({"type": "object", "properties": {"items": {"type": "array", "items": order_cost_item}}}),
        )
        .produces("text/csv"),
        get(order_costs),
    );
    b.add(
        Operation::new(
            "get",
            "/api/v1/costing/stock",
            tag,
            "Stock quantity and value (moving average) per material and site now",
        )
        .right(Module::Costing, Action::View)
        .response(json!({"type": "object", "properties": {"items": {"type": "array", "items": value}}})),
        get(stock_values),
    );
}
