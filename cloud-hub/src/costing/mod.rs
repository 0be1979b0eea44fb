//! Valuation and actual costing from the stock ledger and the floor's
//! events: moving-average values of every ledger row per material and
//! site, and the actual cost of every production order (materials,
//! labour, machine, overhead) rolled into its output, across levels.
//!
//! Figures are derived, never stored: the costing reads the ledger rows
//! and events as they are now, so a late event re-costs its order and
//! everything downstream the next time anyone asks (see [`report`] for how
//! a report says that its figures changed).
//!
//! - [`money`]: the one rounding rule.
//! - [`valuation`]: moving average per material and site (pure).
//! - [`time`]: labour and machine time of runs (pure).
//! - [`engine`]: order costs and the passes that settle multi-level
//!   products (pure).
//! - [`settings`]: the overhead rule per site (a master-data kind).
//! - [`master`]: the master data the costing and the standard read, once.
//! - [`load`]: reads the engine's input from the store.
//! - [`report`]: an order's cost report, saying when its figures changed,
//!   with its standard cost and variances.
//! - [`standard`]: standard cost rolled up over BOM and routing levels
//!   (pure); [`standard_input`] builds its input from master data.
//! - [`variance`]: an order's variances from its standard (pure).

pub mod engine;
pub mod floor_events;
pub mod floor_index;
pub mod floor_log;
pub mod load;
pub mod master;
pub mod money;
pub mod report;
pub mod settings;
pub mod standard;
pub mod standard_input;
pub mod standard_query;
pub mod time;
pub mod valuation;
pub mod variance;

pub use engine::{CostFigures, Costing, CostingInput, OrderCost, cost};
pub use money::money;
pub use settings::{CostingSettings, Overhead};
pub use valuation::{SitedMovement, Valuation, ValuedRow};

use crate::error::HubError;
use crate::store::Store;
use crate::store::TenantId;

/// Costs everything of `tenant` as of `as_of` (unix ms).
pub async fn cost_tenant(store: &Store, tenant: TenantId, as_of: i64) -> Result<Costing, HubError> {
    let master = master::CostingMaster::cached(store, tenant).await?;
    cost_tenant_with(store, tenant, &master, as_of).await
}

/// [`cost_tenant`] with the master data already read.
pub async fn cost_tenant_with(
    store: &Store,
    tenant: TenantId,
    master: &master::CostingMaster,
    as_of: i64,
) -> Result<Costing, HubError> {
    let input = load::load_with(store, tenant, master, as_of).await?;
    run(input, tenant).await
}

/// Costs production order `order` of `tenant` as of `as_of`, reading only
/// the ledger rows its cost depends on ([`load::load_for_order`]); its
/// figures equal those of [`cost_tenant`]. Other orders in the answer are
/// those up its supply chain (and any whose runs share its floor facts);
/// only `order`'s figures are meant to be read.
pub async fn cost_order_with(
    store: &Store,
    tenant: TenantId,
    master: &master::CostingMaster,
    order: &mes_protocols::Code,
    as_of: i64,
) -> Result<Costing, HubError> {
    let input = load::load_for_order(store, tenant, master, order, as_of).await?;
    run(input, tenant).await
}

/// Runs the engine on the blocking pool.
async fn run(input: CostingInput, tenant: TenantId) -> Result<Costing, HubError> {
    tokio::task::spawn_blocking(move || cost(&input))
        .await
        .map_err(|e| {
            HubError::Store(crate::store::StoreError::Task(format!(
                "costing task failed: {e}"
            )))
        })?
        .map_err(|e| HubError::InvalidState {
            kind: "costing",
            code: tenant.to_string(),
            reason: format!("a stock value or order cost: {e}; check stored quantities and prices"),
        })
}
