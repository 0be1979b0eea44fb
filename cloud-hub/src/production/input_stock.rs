//! The stock status of a production order's inputs at its site at an
//! instant (the report's: now), for
//! the order report: on hand there, reserved there by released orders,
//! available, what the order still needs and whether it is short.
//!
//! Rules (base units; `inventory::position` gives the material's balances
//! and per-order reservations): on hand = the balances at locations of the
//! order's site (every site's when the order has none); reserved = the
//! reservations of orders released to that site; still needed = this
//! order's own reservation (planned − issued, not below zero; nothing once
//! it is completed or closed); short when still needed exceeds what the
//! other orders leave: on hand − (reserved − still needed).

use crate::arith::{self, OutOfRange};
use crate::error::HubError;
use crate::inventory::position::position_among;
use crate::masterdata::records::ProductionOrder;
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::{Code, Timestamp};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One input's stock at the order's site at the report's instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct InputStock {
    /// The unit of every figure here (the material's base unit).
    pub base_unit: String,
    /// On hand at the site (all lots and locations there).
    pub on_hand: Decimal,
    /// Reserved at the site by released orders (this one included).
    pub reserved: Decimal,
    /// on_hand − reserved (negative: reservations exceed stock).
    pub available: Decimal,
    /// What this order still needs of it (planned − issued, not below 0).
    pub still_needed: Decimal,
    /// Whether what it still needs exceeds what other orders leave.
    pub short: bool,
    /// By how much (0 when not short).
    pub shortfall: Decimal,
}

/// One input's status from its balances at the site, the reservations
/// there and this order's own (the rules of the module doc).
fn status(
    base_unit: String,
    on_hand: impl IntoIterator<Item = Decimal>,
    reserved: impl IntoIterator<Item = Decimal>,
    still_needed: impl IntoIterator<Item = Decimal>,
) -> Result<InputStock, OutOfRange> {
    let on_hand = arith::sum(on_hand)?;
    let reserved = arith::sum(reserved)?;
    let still_needed = arith::sum(still_needed)?;
    let left_by_others = arith::sub(on_hand, arith::sub(reserved, still_needed)?)?;
    let shortfall = arith::sub(still_needed, left_by_others.max(Decimal::ZERO))?.max(Decimal::ZERO);
    Ok(InputStock {
        base_unit,
        on_hand,
        reserved,
        available: arith::sub(on_hand, reserved)?,
        still_needed,
        short: shortfall > Decimal::ZERO,
        shortfall,
    })
}

/// The stock status of each of `materials` for `order` at `at`; materials
/// not in master data are left out.
pub async fn input_stock(
    store: &Store,
    tenant: TenantId,
    order: &ProductionOrder,
    materials: &BTreeSet<String>,
    at: Timestamp,
) -> Result<BTreeMap<String, InputStock>, HubError> {
    let site = order.site.as_ref();
    // The tenant's locations and orders as the costing keeps them (read
    // again only after a master-data change), not read whole per report.
    let master = crate::costing::master::CostingMaster::cached(store, tenant).await?;
    let at_site: BTreeSet<&Code> = master
        .locations
        .iter()
        .filter(|l| site.is_none_or(|s| &l.site == s))
        .map(|l| &l.code)
        .collect();
    let orders = &master.orders;
    let order_sites: BTreeMap<&Code, Option<&Code>> =
        orders.iter().map(|o| (&o.code, o.site.as_ref())).collect();
    let mut out = BTreeMap::new();
    for material in materials {
        let p = match position_among(store, tenant, material, Some(at), orders).await {
            Ok(p) => p,
            Err(HubError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let on_hand = p
            .balances
            .iter()
            .filter(|b| at_site.contains(&b.location))
            .map(|b| b.quantity);
        let reserved = p
            .reservations
            .iter()
            .filter(|r| site.is_none() || order_sites.get(&r.order).is_some_and(|s| *s == site))
            .map(|r| r.reserved);
        let still_needed = p
            .reservations
            .iter()
            .filter(|r| r.order == order.code)
            .map(|r| r.reserved);
        // Figures out of the range of a decimal (stored before values were
        // bounded) are an error naming the order and input, never a panic.
        let status = status(p.base_unit.to_string(), on_hand, reserved, still_needed).map_err(|_| {
            HubError::InvalidState {
                kind: "production order",
                code: order.code.to_string(),
                reason: format!("the stock of input `{material}` is out of the range of a decimal"),
            }
        })?;
        out.insert(material.clone(), status);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Balances or reservations summed past the range of a decimal are an
    /// error, not a panic (before: `Sum` and `-` overflowed).
    #[test]
    fn figures_out_of_range_are_an_error() {
        let max = Decimal::MAX;
        let kg = || "kg".to_string();
        assert_eq!(status(kg(), [max, max], [], []), Err(OutOfRange));
        assert_eq!(status(kg(), [], [max, Decimal::ONE], []), Err(OutOfRange));
        // on hand − reserved leaves the range although each is inside it.
        assert_eq!(status(kg(), [-max], [max], []), Err(OutOfRange));
        let ok = status(kg(), [Decimal::from(10)], [Decimal::from(8)], [Decimal::from(5)]).expect("in range");
        assert_eq!(ok.available, Decimal::from(2));
        assert!(!ok.short, "{ok:?}");
        let short =
            status(kg(), [Decimal::from(4)], [Decimal::from(8)], [Decimal::from(5)]).expect("in range");
        assert_eq!(short.shortfall, Decimal::from(4));
    }
}
