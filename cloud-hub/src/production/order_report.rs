//! The production order report's additions to planned against actual
//! (`actuals.rs`): the stock status of every input (`input_stock.rs`) and
//! the cost by element from the actual costing (`crate::costing`), per
//! operation (labour, machine) and for the order (materials, labour,
//! machine, overhead, per input material).

use super::input_stock::input_stock;
use super::report::{CostByElement, OperationCost, OrderActuals};
use crate::costing::OrderCost;
use crate::error::HubError;
use crate::masterdata::records::ProductionOrder;
use crate::store::Store;
use crate::store::TenantId;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

fn by_element(cost: &OrderCost) -> CostByElement {
    let mut materials_by_input: BTreeMap<String, Decimal> = BTreeMap::new();
    for i in &cost.inputs {
        *materials_by_input.entry(i.material.clone()).or_default() += i.value;
    }
    CostByElement {
        figures: cost.figures(),
        materials_by_input,
    }
}

/// Adds the stock status and the costs to `report` (of `order`, costed as
/// of `now`, unix ms).
pub(super) async fn complete(
    store: &Store,
    tenant: TenantId,
    order: &ProductionOrder,
    report: &mut OrderActuals,
    now: i64,
) -> Result<(), HubError> {
    let materials: BTreeSet<String> = report
        .operations
        .iter()
        .flat_map(|op| op.materials.iter().map(|m| m.material.clone()))
        .collect();
    let at = mes_protocols::Timestamp::from_unix_millis(now);
    let stock = input_stock(store, tenant, order, &materials, at).await?;
    for m in report
        .operations
        .iter_mut()
        .flat_map(|op| op.materials.iter_mut())
    {
        m.stock = stock.get(&m.material).cloned();
    }
    let costing = crate::costing::cost_tenant(store, tenant, now).await?;
    let Some(cost) = costing.orders.get(&order.code) else {
        return Ok(());
    };
    report.cost = by_element(cost);
    for op in &mut report.operations {
        if let Some(c) = cost.operations.iter().find(|c| c.operation == op.operation) {
            op.cost = OperationCost {
                labour_minutes: c.labour_minutes,
                machine_minutes: c.machine_minutes,
                labour: c.labour,
                machine: c.machine,
            };
        }
    }
    Ok(())
}
