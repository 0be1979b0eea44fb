//! The production order report's additions to planned against actual
//! (`actuals.rs`): the stock status of every input (`input_stock.rs`) and
//! the cost by element from the actual costing (`crate::costing`), per
//! operation (labour, machine) and for the order (materials, labour,
//! machine, overhead, per input material).

use super::input_stock::input_stock;
use super::report::{CostByElement, OperationCost, OrderActuals};
use crate::arith::{self, OutOfRange};
use crate::costing::OrderCost;
use crate::error::HubError;
use crate::masterdata::records::ProductionOrder;
use crate::store::Store;
use crate::store::TenantId;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

fn by_element(cost: &OrderCost) -> Result<CostByElement, OutOfRange> {
    let mut materials_by_input: BTreeMap<String, Decimal> = BTreeMap::new();
    for i in &cost.inputs {
        arith::add_to(materials_by_input.entry(i.material.clone()).or_default(), i.value)?;
    }
    Ok(CostByElement {
        figures: cost.figures(),
        materials_by_input,
    })
}

/// Adds the stock status of every input to `report` (of `order`, at
/// `now`, unix ms).
pub(super) async fn add_stock(
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
    Ok(())
}

/// Adds the cost by element to `report` (of `order`, costed as of `now`,
/// unix ms).
pub(super) async fn add_cost(
    store: &Store,
    tenant: TenantId,
    order: &ProductionOrder,
    report: &mut OrderActuals,
    now: i64,
) -> Result<(), HubError> {
    // This order's cost, from the ledger rows it depends on (not the
    // whole tenant's costing).
    let master = crate::costing::master::CostingMaster::cached(store, tenant).await?;
    let costing = crate::costing::cost_order_with(store, tenant, &master, &order.code, now).await?;
    let Some(cost) = costing.orders.get(&order.code) else {
        return Ok(());
    };
    // Values summed past the range of a decimal (stored before values were
    // bounded) are an error naming the order, never a panic.
    report.cost = by_element(cost).map_err(|_| HubError::InvalidState {
        kind: "production order",
        code: order.code.to_string(),
        reason: "the value issued of an input material is out of the range of a decimal".into(),
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::costing::engine::InputCost;

    /// Two lots of one input whose values add up past the range of a
    /// decimal are an error, not a panic (before: `+=` overflowed).
    #[test]
    fn values_summed_out_of_range_are_an_error() {
        let input = |lot: &str| InputCost {
            material: "STEEL".into(),
            lot: Some(lot.into()),
            quantity: Decimal::ONE,
            value: Decimal::MAX,
        };
        let cost = OrderCost {
            inputs: vec![input("L1"), input("L2")],
            ..OrderCost::default()
        };
        assert_eq!(by_element(&cost), Err(OutOfRange));
        let one = OrderCost {
            inputs: vec![input("L1")],
            ..OrderCost::default()
        };
        assert_eq!(
            by_element(&one).map(|c| c.materials_by_input["STEEL"]),
            Ok(Decimal::MAX)
        );
    }
}
