//! A production order's cost report: its figures now, and when they last
//! changed. Each report records the figures it showed
//! (`Store::record_order_cost`); when a late event re-costs the order (or
//! an order it consumed from), the next report differs, and says since
//! when and what the figures were before. Beside the actual figures it
//! shows the order's standard cost and the variances (`standard_query`);
//! those are not part of the recorded figures (a change of master data
//! is not a late event).

use super::engine::{CostFigures, OrderCost};
use super::master::CostingMaster;
use super::standard::StandardCost;
use super::standard_input::StandardSource;
use super::standard_query::order_standard;
use super::variance::Variances;
use crate::error::HubError;
use crate::masterdata::records::ProductionOrder;
use crate::masterdata::service;
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::Code;
use schemars::JsonSchema;
use serde::Serialize;

/// A production order's cost as reported.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrderCostReport {
    /// The instant it was costed at (unix ms; open runs end here).
    pub costed_at: i64,
    /// Whether multi-level output values settled (false: a cyclic flow).
    pub converged: bool,
    /// When these figures were first reported (unix ms).
    pub first_costed_at: i64,
    /// When the figures last changed from one report to the next (unix
    /// ms; `first_costed_at` while they never did).
    pub figures_changed_at: i64,
    /// The figures before that change.
    pub previous: Option<CostFigures>,
    /// The order's standard cost per unit (lot = its quantity, versions of
    /// its release day, rates of its site), 4 decimals; none when it
    /// cannot be rolled up (`standard_unavailable` says why).
    pub standard: Option<StandardCost>,
    /// The variances of the actual cost from the standard.
    pub variances: Option<Variances>,
    /// Why there is no standard (a BOM cycle, a missing rate, no routing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_unavailable: Option<String>,
    /// The figures.
    #[serde(flatten)]
    pub cost: OrderCost,
}

/// Costs order `code` as of `now` (reading only what its cost depends on,
/// see [`super::cost_order_with`]) and reports it (`NotFound` for an
/// unknown order), recording the figures shown.
pub async fn order_report(
    store: &Store,
    tenant: TenantId,
    code: &str,
    now: i64,
) -> Result<OrderCostReport, HubError> {
    let order = service::get::<ProductionOrder>(store, tenant, code).await?.record;
    let master = CostingMaster::cached(store, tenant).await?;
    let costing = super::cost_order_with(store, tenant, &master, &order.code, now).await?;
    let cost = costing
        .orders
        .get(&order.code)
        .cloned()
        .unwrap_or_else(|| OrderCost {
            order: order.code.to_string(),
            material: Some(order.material.to_string()),
            site: order.site.as_ref().map(Code::to_string),
            ..OrderCost::default()
        });
    let figures = serde_json::to_string(&cost)
        .map_err(|e| HubError::Store(crate::store::StoreError::Task(format!("cost figures: {e}"))))?;
    let snapshot = store
        .record_order_cost(tenant, order.code.to_string(), figures, now)
        .await
        .map_err(HubError::Store)?;
    let source = StandardSource::from_master(&master);
    let today = mes_protocols::Timestamp::from_unix_millis(now)
        .to_datetime()
        .date();
    let (standard, variances, standard_unavailable) = match order_standard(&source, &order, &cost, today) {
        Ok(s) => (Some(s.standard), Some(s.variances), None),
        Err(reason) => (None, None, Some(reason)),
    };
    Ok(OrderCostReport {
        costed_at: now,
        standard,
        variances,
        standard_unavailable,
        converged: costing.converged,
        first_costed_at: snapshot.first_costed_at,
        figures_changed_at: snapshot.changed_at,
        previous: snapshot
            .previous
            .and_then(|p| serde_json::from_str::<CostFigures>(&p).ok()),
        cost,
    })
}
