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

use crate::error::HubError;
use crate::inventory::position::position_among;
use crate::masterdata::records::{Location, ProductionOrder};
use crate::masterdata::service;
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
    let at_site: BTreeSet<Code> = service::all_records::<Location>(store, tenant)
        .await?
        .into_iter()
        .filter(|l| site.is_none_or(|s| &l.site == s))
        .map(|l| l.code)
        .collect();
    let orders = service::all_records::<ProductionOrder>(store, tenant).await?;
    let order_sites: BTreeMap<&Code, Option<&Code>> =
        orders.iter().map(|o| (&o.code, o.site.as_ref())).collect();
    let mut out = BTreeMap::new();
    for material in materials {
        let p = match position_among(store, tenant, material, Some(at), &orders).await {
            Ok(p) => p,
            Err(HubError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let on_hand: Decimal = p
            .balances
            .iter()
            .filter(|b| at_site.contains(&b.location))
            .map(|b| b.quantity)
            .sum();
        let reserved: Decimal = p
            .reservations
            .iter()
            .filter(|r| site.is_none() || order_sites.get(&r.order).is_some_and(|s| *s == site))
            .map(|r| r.reserved)
            .sum();
        let still_needed: Decimal = p
            .reservations
            .iter()
            .filter(|r| r.order == order.code)
            .map(|r| r.reserved)
            .sum();
        let left_by_others = on_hand - (reserved - still_needed);
        let shortfall = (still_needed - left_by_others.max(Decimal::ZERO)).max(Decimal::ZERO);
        out.insert(
            material.clone(),
            InputStock {
                base_unit: p.base_unit.to_string(),
                on_hand,
                reserved,
                available: on_hand - reserved,
                still_needed,
                short: shortfall > Decimal::ZERO,
                shortfall,
            },
        );
    }
    Ok(out)
}
