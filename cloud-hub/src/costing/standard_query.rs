//! Standard-cost questions against the store: a material's standard cost
//! for a lot size, day and site, and a production order's standard with
//! the variances of its actual cost.

use super::engine::OrderCost;
use super::standard::{StandardCost, StandardError, standard_cost, standard_cost_of_recipe};
use super::standard_input::{StandardSource, order_day};
use super::variance::{Variances, variances};
use crate::error::HubError;
use crate::masterdata::records::{Material, ProductionOrder};
use crate::masterdata::service;
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::{Code, FieldError};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use time::Date;

/// The lot size a material's standard is costed for when the caller names
/// none: one base unit (the whole setup on one unit: the dearest case, so
/// a caller who cares names the lot they plan).
pub const DEFAULT_LOT_SIZE: Decimal = Decimal::ONE;

fn invalid(e: &StandardError) -> HubError {
    let field = match e {
        StandardError::LotSize(_) => "lot_size",
        _ => "material",
    };
    HubError::Invalid(FieldError::new(field, e.to_string()))
}

/// The standard cost of `material` in lots of `lot_size`, with the versions
/// valid on `day` and the rates and overhead of `site` (see
/// `costing::standard_input`). `NotFound` for an unknown material; a cycle
/// or a missing rate is `Invalid` naming `material` (or `lot_size`).
pub async fn material_standard(
    store: &Store,
    tenant: TenantId,
    material: &str,
    lot_size: Decimal,
    day: Date,
    site: Option<&str>,
) -> Result<StandardCost, HubError> {
    let record = service::get::<Material>(store, tenant, material).await?.record;
    let source = StandardSource::load(store, tenant).await?;
    let input = source.input(day, site);
    standard_cost(&input, &record.code, lot_size)
        .map(|s| s.reported())
        .map_err(|e| invalid(&e))
}

/// An order's standard (as reported) and the variances of `actual`.
#[derive(Debug, Clone)]
pub struct OrderStandard {
    /// The order's standard cost per unit, lot = its quantity (4 decimals).
    pub standard: StandardCost,
    /// Its variances.
    pub variances: Variances,
}

/// The standard of `order` on its day (released day, else `today`) at its
/// site, and the variances of `actual` from it; `Err` says in the user's
/// words why there is no standard (a cycle, a missing rate, no routing).
pub fn order_standard(
    source: &StandardSource,
    order: &ProductionOrder,
    actual: &OrderCost,
    today: Date,
) -> Result<OrderStandard, String> {
    let day = order_day(order, today);
    let input = source.input(day, order.site.as_ref().map(Code::as_str));
    let recipe = source
        .order_recipe(order, day)
        .map_err(|reason| format!("material {}: {reason}", order.material))?;
    let standard = standard_cost_of_recipe(&input, &order.material, &recipe, order.quantity)
        .map_err(|e| e.to_string())?;
    // Inputs the standard does not name are priced at their own standard,
    // costed for the quantity issued.
    let mut price_of = BTreeMap::new();
    for i in &actual.inputs {
        if standard.unit_cost_of(&i.material).is_some() || price_of.contains_key(&i.material) {
            continue;
        }
        let code = Code::parse(&i.material).map_err(|e| format!("material {}: {e}", i.material))?;
        let lot = if i.quantity > Decimal::ZERO {
            i.quantity
        } else {
            DEFAULT_LOT_SIZE
        };
        let price = standard_cost(&input, &code, lot).map_err(|e| e.to_string())?;
        price_of.insert(i.material.clone(), price.unit_cost);
    }
    let variances = variances(actual, &standard, &price_of)
        .map_err(|e| format!("the variances of order {}: {e}", order.code))?;
    Ok(OrderStandard {
        standard: standard.reported(),
        variances,
    })
}
