//! Lifecycle of a production order: draft → released (to a site, with the
//! routing's operations copied in) → in progress (first operation started
//! on the floor) → completed (last operation finished) → closed; a draft or
//! an order on the floor can be closed by the office at any time.

use crate::error::HubError;
use crate::masterdata::MasterKind;
use crate::masterdata::records::{
    Bom, Material, ProductionOrder, ProductionStatus, Routing, SalesOrder, SalesOrderRef,
};
use crate::masterdata::service::{self, Stored};
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::{Code, FieldError};
use time::Date;

fn invalid_state(code: &Code, reason: impl Into<String>) -> HubError {
    HubError::InvalidState {
        kind: ProductionOrder::KIND,
        code: code.to_string(),
        reason: reason.into(),
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> HubError {
    HubError::Invalid(FieldError::new(field, reason))
}

/// Releases draft order `code` to `site` (or the site it names): copies
/// the routing version's operations into it and fixes the BOM version
/// valid on `today` when none is named.
pub async fn release(
    store: &Store,
    tenant: TenantId,
    code: &str,
    site: Option<Code>,
    today: Date,
) -> Result<Stored<ProductionOrder>, HubError> {
    let stored = service::get::<ProductionOrder>(store, tenant, code).await?;
    let mut order = stored.record;
    if stored.archived {
        return Err(invalid_state(&order.code, "is archived"));
    }
    if order.status != ProductionStatus::Draft {
        return Err(invalid_state(
            &order.code,
            format!("is {}; only a draft can be released", order.status.as_str()),
        ));
    }
    if let Some(site) = site {
        order.site = Some(site);
    }
    if order.site.is_none() {
        return Err(invalid("site", "name the site to release the order to"));
    }
    let routing = service::get::<Routing>(store, tenant, order.material.as_str())
        .await
        .map_err(|e| match e {
            HubError::NotFound { .. } => {
                invalid("material", format!("material {} has no routing", order.material))
            }
            other => other,
        })?;
    let version = routing
        .record
        .version(order.routing_version.as_ref())
        .ok_or_else(|| invalid("routing_version", "the routing has no such version"))?;
    order.routing_version = Some(version.version.clone());
    order.operations = version.operations.clone();
    let bom = match service::get::<Bom>(store, tenant, order.material.as_str()).await {
        Ok(bom) => Some(bom.record),
        Err(HubError::NotFound { .. }) => None,
        Err(other) => return Err(other),
    };
    if let Some(bom) = &bom {
        let version = match &order.bom_version {
            Some(v) => bom.versions.iter().find(|b| &b.version == v),
            None => bom.version_on(today),
        };
        match (version, &order.bom_version) {
            (None, Some(_)) => return Err(invalid("bom_version", "the BOM has no such version")),
            (None, None) => {}
            (Some(version), _) => {
                order.bom_version = Some(version.version.clone());
                super::bom_inputs::apply(store, tenant, bom, version, &mut order).await?;
            }
        }
    }
    order.status = ProductionStatus::Released;
    order.released_at = Some(mes_protocols::Timestamp::from_unix_millis(crate::store::now_ms()));
    service::replace_checked(store, tenant, order, stored.version).await
}

/// Closes order `code`: no more bookings are expected.
pub async fn close(store: &Store, tenant: TenantId, code: &str) -> Result<Stored<ProductionOrder>, HubError> {
    let stored = service::get::<ProductionOrder>(store, tenant, code).await?;
    let mut order = stored.record;
    if order.status == ProductionStatus::Closed {
        return Err(invalid_state(&order.code, "is closed already"));
    }
    order.status = ProductionStatus::Closed;
    if order.ended_at.is_none() && order.released_at.is_some() {
        order.ended_at = Some(mes_protocols::Timestamp::from_unix_millis(crate::store::now_ms()));
    }
    service::replace_checked(store, tenant, order, stored.version).await
}

/// Moves order `code` to `status` as the floor reports it (first operation
/// started → in progress; last finished → completed); a no-op when it is
/// there or past it already, or closed.
pub async fn advance_from_floor(
    store: &Store,
    tenant: TenantId,
    code: &str,
    status: ProductionStatus,
    at: mes_protocols::Timestamp,
) -> Result<(), HubError> {
    let stored = match service::get::<ProductionOrder>(store, tenant, code).await {
        Ok(stored) => stored,
        Err(HubError::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    let rank = |s: ProductionStatus| match s {
        ProductionStatus::Draft => 0,
        ProductionStatus::Released => 1,
        ProductionStatus::InProgress => 2,
        ProductionStatus::Completed => 3,
        ProductionStatus::Closed => 4,
    };
    if rank(stored.record.status) >= rank(status) || stored.record.status == ProductionStatus::Draft {
        return Ok(());
    }
    let mut order = stored.record;
    order.status = status;
    if status == ProductionStatus::Completed {
        order.ended_at = Some(at);
    }
    service::replace_checked(store, tenant, order, stored.version)
        .await
        .map(drop)
}

/// Creates draft order `code` for line `line` of sales order `sales_order`:
/// its material, its quantity in the material's base unit, its due date.
pub async fn from_sales_order(
    store: &Store,
    tenant: TenantId,
    code: Code,
    sales_order: &str,
    line: u32,
    site: Option<Code>,
) -> Result<Stored<ProductionOrder>, HubError> {
    let so = service::get::<SalesOrder>(store, tenant, sales_order)
        .await
        .map_err(|e| match e {
            HubError::NotFound { .. } => {
                invalid("sales_order", format!("sales order `{sales_order}` not found"))
            }
            other => other,
        })?;
    let so_line = so
        .record
        .lines
        .iter()
        .find(|l| l.line == line)
        .ok_or_else(|| invalid("line", format!("sales order {sales_order} has no line {line}")))?;
    let material = service::get::<Material>(store, tenant, so_line.material.as_str()).await?;
    let factor = material.record.base_units_per(&so_line.unit).ok_or_else(|| {
        invalid(
            "line",
            format!(
                "unit {} of the line is not a unit of material {}",
                so_line.unit, so_line.material
            ),
        )
    })?;
    let order = ProductionOrder {
        code,
        material: so_line.material.clone(),
        quantity: so_line.quantity * factor,
        due: Some(so_line.due),
        priority: 1,
        routing_version: None,
        bom_version: None,
        site,
        status: ProductionStatus::Draft,
        sales_order: Some(SalesOrderRef {
            order: so.record.code.clone(),
            line,
        }),
        operations: Vec::new(),
        released_at: None,
        ended_at: None,
    };
    service::create(store, tenant, order).await
}
