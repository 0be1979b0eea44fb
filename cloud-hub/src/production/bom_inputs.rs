//! At release, the BOM version decides what an order consumes: its lines
//! (with engineering changes that use up old stock split by what is
//! available, see `masterdata::engineering_change`) become the inputs of
//! the copied routing operations. A component goes to the operation whose
//! routing inputs name it (or, for an old component being used up, name
//! its replacement), else to the first operation. Orders of materials
//! without a BOM keep the routing's inputs.

use crate::error::HubError;
use crate::masterdata::engineering_change::{Changeover, plan_consumption, previous_version};
use crate::masterdata::records::{Bom, BomVersion, Material, ProductionOrder, RoutingInput};
use crate::masterdata::service;
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::Code;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Available stock of `material` in `unit` now (0 when unknown).
async fn available(
    store: &Store,
    tenant: TenantId,
    material: &Code,
    unit: &Code,
) -> Result<Decimal, HubError> {
    let record = match service::get::<Material>(store, tenant, material.as_str()).await {
        Ok(m) => m.record,
        Err(HubError::NotFound { .. }) => return Ok(Decimal::ZERO),
        Err(e) => return Err(e),
    };
    let Some(factor) = record.base_units_per(unit) else {
        return Ok(Decimal::ZERO);
    };
    let position = crate::inventory::position::position(store, tenant, material.as_str(), None).await?;
    Ok(position.available / factor)
}

/// What an order of `quantity` of a material would consume on a day: the
/// BOM version, each component's total, and each use-up changeover with
/// the stock projected after the switch.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ChangeoverPreview {
    /// The BOM version that applies on the day.
    pub version: Code,
    /// Component totals: (component, quantity, unit).
    pub consumption: Vec<ComponentTotal>,
    /// The changeovers of use-up lines.
    pub changeovers: Vec<Changeover>,
}

/// One component's total for an order.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ComponentTotal {
    /// The component.
    pub component: Code,
    /// How much.
    pub quantity: Decimal,
    /// In which unit.
    pub unit: Code,
}

/// Previews an order of `quantity` units of `material` made on `day`.
pub async fn preview(
    store: &Store,
    tenant: TenantId,
    material: &str,
    quantity: Decimal,
    day: time::Date,
) -> Result<ChangeoverPreview, HubError> {
    let bom = service::get::<Bom>(store, tenant, material).await?.record;
    let version = bom.version_on(day).ok_or_else(|| {
        HubError::Invalid(mes_protocols::FieldError::new(
            "on",
            format!("no version of the BOM applies on {day}"),
        ))
    })?;
    let mut stock: HashMap<(Code, Code), Decimal> = HashMap::new();
    let mut components: Vec<(Code, Code)> = version
        .lines
        .iter()
        .map(|l| (l.component.clone(), l.unit.clone()))
        .collect();
    if let Some(previous) = previous_version(&bom, version) {
        components.extend(
            previous
                .lines
                .iter()
                .map(|l| (l.component.clone(), l.unit.clone())),
        );
    }
    for (component, unit) in components {
        let qty = available(store, tenant, &component, &unit).await?;
        stock.insert((component, unit), qty);
    }
    let lookup = |c: &Code, u: &Code| stock.get(&(c.clone(), u.clone())).copied().unwrap_or_default();
    let (totals, changeovers) = plan_consumption(&bom, version, quantity, &lookup);
    Ok(ChangeoverPreview {
        version: version.version.clone(),
        consumption: totals
            .into_iter()
            .map(|(component, quantity, unit)| ComponentTotal {
                component,
                quantity,
                unit,
            })
            .collect(),
        changeovers,
    })
}

/// Replaces `order`'s operation inputs by what BOM `version` says.
pub(super) async fn apply(
    store: &Store,
    tenant: TenantId,
    bom: &Bom,
    version: &BomVersion,
    order: &mut ProductionOrder,
) -> Result<Vec<Changeover>, HubError> {
    if order.operations.is_empty() || order.quantity <= Decimal::ZERO {
        return Ok(Vec::new());
    }
    // Stock of every component that may be consumed, read up front.
    let mut stock: HashMap<(Code, Code), Decimal> = HashMap::new();
    let mut components: Vec<(Code, Code)> = version
        .lines
        .iter()
        .map(|l| (l.component.clone(), l.unit.clone()))
        .collect();
    if let Some(previous) = previous_version(bom, version) {
        components.extend(
            previous
                .lines
                .iter()
                .map(|l| (l.component.clone(), l.unit.clone())),
        );
    }
    for (component, unit) in components {
        if !stock.contains_key(&(component.clone(), unit.clone())) {
            let qty = available(store, tenant, &component, &unit).await?;
            stock.insert((component, unit), qty);
        }
    }
    let lookup = |c: &Code, u: &Code| stock.get(&(c.clone(), u.clone())).copied().unwrap_or_default();
    let (totals, changeovers) = plan_consumption(bom, version, order.quantity, &lookup);
    // Where each component goes: the operation naming it (an old
    // component follows its replacement).
    let replacement: HashMap<Code, Code> = changeovers
        .iter()
        .map(|c| (c.old_component.clone(), c.new_component.clone()))
        .collect();
    let home = |component: &Code| -> usize {
        let named = |c: &Code| {
            order
                .operations
                .iter()
                .position(|op| op.inputs.iter().any(|i| &i.material == c))
        };
        named(component)
            .or_else(|| replacement.get(component).and_then(named))
            .unwrap_or(0)
    };
    let homes: Vec<usize> = totals.iter().map(|(c, _, _)| home(c)).collect();
    for op in &mut order.operations {
        op.inputs.clear();
    }
    for ((component, total, unit), at) in totals.into_iter().zip(homes) {
        order.operations[at].inputs.push(RoutingInput {
            material: component,
            quantity_per_unit: (total / order.quantity).normalize(),
            unit,
        });
    }
    Ok(changeovers)
}
