//! Where a material stands at an instant: on hand per lot and location,
//! reserved by released orders, available; its statement; its shortages
//! and the explicit corrections of each.
//!
//! Answers come from the pure ledger (`crate::stock::Ledger`) replayed over
//! the material's stored rows, so they hold at any instant, not only now.
//! Reservations come from the production orders on the floor: each order
//! reserves, per input material of its copied operations, quantity per
//! unit × order quantity (in the base unit) from its release until it is
//! completed or closed, less what was issued to it by then.

use super::invalid;
use crate::arith::{self, OutOfRange};
use crate::error::HubError;
use crate::masterdata::records::{Material, NegativeStock, ProductionOrder, SiteSettings};
use crate::masterdata::service;
use crate::stock::{Ledger, NegativeStockPolicy, Reservation, StockKey};
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::{Code, Timestamp};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

/// One stock key's balance.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KeyBalance {
    /// The lot (none for untracked material).
    pub lot: Option<Code>,
    /// The location.
    pub location: Code,
    /// On hand, base units.
    pub quantity: Decimal,
}

/// A material's position at an instant.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MaterialPosition {
    /// The material.
    pub material: Code,
    /// Its base unit (every quantity here is in it).
    pub base_unit: Code,
    /// The instant.
    pub at: Timestamp,
    /// On hand, all lots and locations.
    pub on_hand: Decimal,
    /// Reserved by released production orders.
    pub reserved: Decimal,
    /// On hand less reserved (negative: reservations exceed stock).
    pub available: Decimal,
    /// On hand per lot and location (non-zero ones).
    pub balances: Vec<KeyBalance>,
    /// Reservations per order (what each still needs).
    pub reservations: Vec<OrderReservation>,
}

/// What one order still reserves.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrderReservation {
    /// The production order.
    pub order: Code,
    /// Its total need, base units.
    pub planned: Decimal,
    /// Issued to it by the instant.
    pub issued: Decimal,
    /// Still reserved.
    pub reserved: Decimal,
}

/// One line of a statement.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StatementEntry {
    /// The lot.
    pub lot: Option<Code>,
    /// The location.
    pub location: Code,
    /// The movement id (`event …` or `document …`).
    pub movement: String,
    /// Why stock moved.
    pub kind: String,
    /// When.
    pub occurred_at: Timestamp,
    /// The change (derived for a stocktake).
    pub delta: Decimal,
    /// The key's balance after it.
    pub balance: Decimal,
}

/// A shortage and how it was corrected.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ShortageEntry {
    /// The lot.
    pub lot: Option<Code>,
    /// The location.
    pub location: Code,
    /// The movement that took stock below zero.
    pub caused_by: String,
    /// When.
    pub occurred_at: Timestamp,
    /// How far below zero it took it.
    pub quantity: Decimal,
    /// What is still uncorrected.
    pub open: Decimal,
    /// Each later movement that brought it back up, and by how much.
    pub corrections: Vec<CorrectionEntry>,
}

/// One explicit correction of a shortage.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CorrectionEntry {
    /// The movement that corrected it.
    pub corrected_by: String,
    /// Its kind.
    pub kind: String,
    /// When.
    pub occurred_at: Timestamp,
    /// How much of the shortage it settled.
    pub quantity: Decimal,
}

fn kind_name(kind: crate::stock::MovementKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

async fn material(store: &Store, tenant: TenantId, code: &str) -> Result<Material, HubError> {
    service::get::<Material>(store, tenant, code)
        .await
        .map(|m| m.record)
}

/// Replays the material's rows into a pure ledger.
async fn ledger(
    store: &Store,
    tenant: TenantId,
    material: &Material,
    policy: NegativeStockPolicy,
) -> Result<Ledger, HubError> {
    let rows = store
        .movements_of(tenant, material.code.to_string(), None, None)
        .await
        .map_err(HubError::Store)?;
    let mut ledger = Ledger::new(policy);
    for row in rows {
        ledger
            .apply(row)
            .map_err(|e| HubError::Store(crate::store::StoreError::Task(e.to_string())))?;
    }
    Ok(ledger)
}

/// Every order's reservation of `material`, from `orders`; a need out of
/// the range of a decimal (stored before values were bounded) is an error
/// naming the order, never a panic.
fn reservations(orders: &[ProductionOrder], material: &Material) -> Result<Vec<Reservation>, HubError> {
    let mut out = Vec::new();
    for order in orders {
        let Some(from) = order.released_at else { continue };
        let out_of_range = |_: OutOfRange| HubError::InvalidState {
            kind: "production order",
            code: order.code.to_string(),
            reason: format!("its need of `{}` is out of the range of a decimal", material.code),
        };
        let mut planned = Decimal::ZERO;
        for op in &order.operations {
            for input in op.inputs.iter().filter(|i| i.material == material.code) {
                if let Some(f) = material.base_units_per(&input.unit) {
                    let need = arith::mul(input.quantity_per_unit, f)
                        .and_then(|per_unit| arith::mul(per_unit, order.quantity))
                        .map_err(out_of_range)?;
                    arith::add_to(&mut planned, need).map_err(out_of_range)?;
                }
            }
        }
        if planned > Decimal::ZERO {
            out.push(Reservation {
                order: order.code.clone(),
                material: material.code.clone(),
                location: None,
                quantity: planned,
                from,
                until: order.ended_at,
            });
        }
    }
    Ok(out)
}

/// `material`'s position at `at` (now when none).
pub async fn position(
    store: &Store,
    tenant: TenantId,
    code: &str,
    at: Option<Timestamp>,
) -> Result<MaterialPosition, HubError> {
    let orders = service::all_records::<ProductionOrder>(store, tenant).await?;
    position_among(store, tenant, code, at, &orders).await
}

/// [`position`] with the tenant's production orders already read (for a
/// caller asking about several materials).
pub async fn position_among(
    store: &Store,
    tenant: TenantId,
    code: &str,
    at: Option<Timestamp>,
    orders: &[ProductionOrder],
) -> Result<MaterialPosition, HubError> {
    let material = material(store, tenant, code).await?;
    let at = at.unwrap_or_else(|| Timestamp::from_unix_millis(crate::store::now_ms()));
    let ledger = ledger(store, tenant, &material, NegativeStockPolicy::Allowed).await?;
    let balances: Vec<KeyBalance> = ledger
        .balances(Some(at))
        .into_iter()
        .filter(|(k, q)| k.material == material.code && !q.is_zero())
        .map(|(k, quantity)| KeyBalance {
            lot: k.lot,
            location: k.location,
            quantity,
        })
        .collect();
    // Figures out of the range of a decimal are an error naming the
    // material, never a panic.
    let out_of_range = |_: OutOfRange| HubError::InvalidState {
        kind: "material",
        code: material.code.to_string(),
        reason: "its stock or reservations are out of the range of a decimal".into(),
    };
    let on_hand = arith::sum(balances.iter().map(|b| b.quantity)).map_err(out_of_range)?;
    let mut active = Vec::new();
    for r in reservations(orders, &material)? {
        if !(r.from <= at && r.until.is_none_or(|u| at < u)) {
            continue;
        }
        let issued = ledger.issued_to_order(&r.order, &material.code, None, at);
        let left = arith::sub(r.quantity, issued).map_err(out_of_range)?;
        active.push(OrderReservation {
            reserved: left.clamp(Decimal::ZERO, r.quantity),
            order: r.order,
            planned: r.quantity,
            issued,
        });
    }
    let reservations = active;
    // The ledger's rule (`Ledger::reserved`): each active reservation less
    // what was issued to its order by `at`, clamped, summed.
    let reserved = arith::sum(reservations.iter().map(|r| r.reserved)).map_err(out_of_range)?;
    let available = arith::sub(on_hand, reserved).map_err(out_of_range)?;
    Ok(MaterialPosition {
        base_unit: material.base_unit.clone(),
        material: material.code,
        at,
        on_hand,
        reserved,
        available,
        balances,
        reservations,
    })
}

/// `material`'s movements up to `at`, per key in time order, with balances.
pub async fn statement(
    store: &Store,
    tenant: TenantId,
    code: &str,
    at: Option<Timestamp>,
) -> Result<Vec<StatementEntry>, HubError> {
    let material = material(store, tenant, code).await?;
    let ledger = ledger(store, tenant, &material, NegativeStockPolicy::Allowed).await?;
    let keys: Vec<StockKey> = ledger.keys().cloned().collect();
    Ok(keys
        .iter()
        .flat_map(|key| {
            ledger
                .statement(key, at)
                .into_iter()
                .map(move |line| StatementEntry {
                    lot: key.lot.clone(),
                    location: key.location.clone(),
                    movement: line.id.to_string(),
                    kind: kind_name(line.kind),
                    occurred_at: line.occurred_at,
                    delta: line.delta,
                    balance: line.balance,
                })
        })
        .collect())
}

/// `material`'s shortages up to `at`, each with its explicit corrections.
/// Shortages are reported whatever the site's policy: a site that allows
/// negative stock still wants to see what went below zero and what fixed it.
pub async fn shortages(
    store: &Store,
    tenant: TenantId,
    code: &str,
    at: Option<Timestamp>,
) -> Result<Vec<ShortageEntry>, HubError> {
    let material = material(store, tenant, code).await?;
    let ledger = ledger(store, tenant, &material, NegativeStockPolicy::Disallowed).await?;
    Ok(ledger
        .shortages(at)
        .into_iter()
        .map(|s| ShortageEntry {
            open: s.open(),
            lot: s.key.lot,
            location: s.key.location,
            caused_by: s.caused_by.to_string(),
            occurred_at: s.occurred_at,
            quantity: s.quantity,
            corrections: s
                .corrections
                .into_iter()
                .map(|c| CorrectionEntry {
                    corrected_by: c.corrected_by.to_string(),
                    kind: kind_name(c.kind),
                    occurred_at: c.occurred_at,
                    quantity: c.quantity,
                })
                .collect(),
        })
        .collect())
}

/// Whether `site` refuses negative stock for documents.
pub async fn site_refuses_negative(store: &Store, tenant: TenantId, site: &str) -> Result<bool, HubError> {
    match service::get::<SiteSettings>(store, tenant, site).await {
        Ok(s) => Ok(s.record.negative_stock == NegativeStock::Refuse),
        Err(HubError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reads an `at` query value.
pub fn parse_at(raw: Option<&String>) -> Result<Option<Timestamp>, HubError> {
    raw.map(|r| Timestamp::parse(r).map_err(|reason| invalid("at", reason)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An order's need (quantity per unit × unit factor × order quantity)
    /// is bounded at entry factor by factor, not as a product: 10^12 × 10^9
    /// × 10^12 leaves the range of a decimal. That is an error naming the
    /// order, not a panic (before: the product and the `+=` overflowed).
    #[test]
    fn a_need_out_of_range_is_an_error_naming_the_order() {
        let material: Material = serde_json::from_value(serde_json::json!({
            "code": "BOLT", "name": "Bolt", "kind": "raw", "base_unit": "pcs",
            "alt_units": [{"unit": "box", "factor": "999999999"}],
            "lot_tracked": false, "standard_cost": "1"
        }))
        .expect("a material");
        let order = |quantity: &str| -> ProductionOrder {
            serde_json::from_value(serde_json::json!({
                "code": "MO-1", "material": "GEAR", "quantity": quantity, "site": "plant",
                "status": "released", "released_at": "2026-01-10T08:00:00Z",
                "operations": [{"operation": 10, "equipment_type": "press", "setup_minutes": "0",
                    "run_minutes_per_unit": "1", "worker_type": "op",
                    "inputs": [{"material": "BOLT", "quantity_per_unit": "999999999999", "unit": "box"}]}]
            }))
            .expect("an order")
        };
        match reservations(&[order("999999999999")], &material) {
            Err(HubError::InvalidState { code, reason, .. }) => {
                assert_eq!(code, "MO-1");
                assert!(reason.contains("BOLT"), "{reason}");
            }
            other => panic!("expected an error naming the order, got {other:?}"),
        }
        let fine = reservations(&[order("2")], &material).expect("in range");
        assert_eq!(
            fine[0].quantity,
            Decimal::from(999_999_999_999_i64) * Decimal::from(999_999_999) * Decimal::TWO
        );
    }
}
