//! The report pages: shortages (open orders' missing material with the
//! purchase orders that cover it and when), costs (every production
//! order's actual cost by element, rolled into its finished goods, and
//! the stock's value) and sales statistics (by period, customer and
//! product). CSV exports are the API's (audited there).

use super::super::chrome::Chrome;
use super::super::render::{PageError, page};
use super::super::viewer::Viewer;
use crate::api::HubState;
use crate::costing::OrderCost;
use crate::reports::sales::{Period, SalesReport, sales_statistics};
use crate::reports::shortage::ShortageReport;
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "shortages.html")]
struct ShortagesPage {
    chrome: Chrome,
    report: ShortageReport,
}

/// `GET /console/shortages`.
pub async fn shortages(State(state): State<HubState>, viewer: Viewer) -> Result<Response, PageError> {
    let scope = viewer.require(Module::Stock, Action::View)?;
    let mut report = crate::reports::shortage_load::shortage_report(&state.store, viewer.principal.tenant)
        .await
        .map_err(|e| viewer.failed(e))?;
    report.orders.retain(|l| scope.covers(&l.site));
    report.materials.retain(|m| scope.covers(&m.site));
    let template = ShortagesPage {
        chrome: Chrome::new(&viewer, "shortages", viewer.texts().m("shortages.title")),
        report,
    };
    Ok(page(&template, viewer.lang))
}

/// A material's stock value at a site.
pub struct ValueRow {
    material: String,
    site: String,
    quantity: Decimal,
    value: Decimal,
}

#[derive(Template)]
#[template(path = "costs.html")]
struct CostsPage {
    chrome: Chrome,
    orders: Vec<OrderCost>,
    values: Vec<ValueRow>,
    stock_total: Decimal,
    converged: bool,
}

/// `GET /console/costs`.
pub async fn costs(State(state): State<HubState>, viewer: Viewer) -> Result<Response, PageError> {
    let scope = viewer.require(Module::Costing, Action::View)?;
    let costing = crate::costing::cost_tenant(&state.store, viewer.principal.tenant, (state.clock)())
        .await
        .map_err(|e| viewer.failed(e))?;
    let orders: Vec<OrderCost> = costing
        .orders
        .into_values()
        .filter(|o| o.site.as_ref().is_none_or(|s| scope.covers(s)))
        .collect();
    let values: Vec<ValueRow> = costing
        .valuation
        .pools
        .into_iter()
        .filter(|((_, site), _)| scope.covers(site))
        .map(|((material, site), pool)| ValueRow {
            material: material.to_string(),
            site,
            quantity: pool.quantity,
            value: pool.value,
        })
        .collect();
    let stock_total = values
        .iter()
        .fold(Decimal::ZERO, |sum, v| sum.saturating_add(v.value));
    let template = CostsPage {
        chrome: Chrome::new(&viewer, "costs", viewer.texts().m("costs.title")),
        orders,
        values,
        stock_total,
        converged: costing.converged,
    };
    Ok(page(&template, viewer.lang))
}

/// The sales page's choices.
#[derive(Debug, Default, Deserialize)]
pub struct SalesQuery {
    period: Option<String>,
}

#[derive(Template)]
#[template(path = "sales.html")]
struct SalesPage {
    chrome: Chrome,
    report: SalesReport,
    period: String,
    periods: Vec<(&'static str, &'static str)>,
}

/// `GET /console/sales`.
pub async fn sales(
    State(state): State<HubState>,
    viewer: Viewer,
    Query(query): Query<SalesQuery>,
) -> Result<Response, PageError> {
    viewer.require(Module::Sales, Action::View)?;
    let tenant = viewer.principal.tenant;
    let period_text = query.period.unwrap_or_else(|| "month".into());
    let period = Period::parse(&period_text).unwrap_or_default();
    let orders = crate::costing::load::all::<crate::masterdata::records::SalesOrder>(&state.store, tenant)
        .await
        .map_err(|e| viewer.failed(e))?;
    let materials = crate::costing::load::all::<crate::masterdata::records::Material>(&state.store, tenant)
        .await
        .map_err(|e| viewer.failed(e))?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let report = sales_statistics(&orders, &materials, period, None, None).map_err(|e| viewer.failed(e))?;
    let t = viewer.texts();
    let template = SalesPage {
        chrome: Chrome::new(&viewer, "sales", t.m("sales.title")),
        report,
        period: period_text,
        periods: vec![
            ("day", t.m("sales.day")),
            ("week", t.m("sales.week")),
            ("month", t.m("sales.month")),
            ("year", t.m("sales.year")),
        ],
    };
    Ok(page(&template, viewer.lang))
}
