//! Loading what a site's plan is made from: its open production orders,
//! their operations (copied at release, or from the routing), its
//! equipment, the calendars they follow, and open purchase orders with
//! the materials on them the site's stock already covers (for material
//! availability). Read through the typed master-data service,
//! so every read is scoped to the tenant.

use super::stock_cover::covered_materials;
use crate::error::HubError;
use crate::masterdata::records::{
    Calendar, Equipment, OrderStatus, ProductionOrder, ProductionStatus, PurchaseOrder, Routing,
    RoutingOperation, SiteSettings,
};
use crate::masterdata::service;
use crate::masterdata::{MasterKind, kind};
use crate::store::TenantId;
use crate::store::{RecordQuery, Store};
use mes_protocols::Code;
use std::collections::{HashMap, HashSet};

/// A production order with the operations the planner schedules for it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedOrder {
    /// The order.
    pub order: ProductionOrder,
    /// Its operations, in routing order; empty when none could be found
    /// (then `problem` says why).
    pub operations: Vec<RoutingOperation>,
    /// Why the order cannot be planned, if it cannot.
    pub problem: Option<String>,
}

/// Everything a site's plan is made from, as read at one moment.
#[derive(Debug, Clone, Default)]
pub struct SiteData {
    /// The site's short name.
    pub site: String,
    /// Its settings (none: UTC, no default calendar).
    pub settings: Option<SiteSettings>,
    /// Released and in-progress orders of the site, by code.
    pub orders: Vec<PlannedOrder>,
    /// Active equipment of the site, by code.
    pub equipment: Vec<Equipment>,
    /// The tenant's active calendars, by code.
    pub calendars: HashMap<String, Calendar>,
    /// Open purchase orders of the site.
    pub purchase_orders: Vec<PurchaseOrder>,
    /// Materials on those purchase orders that the site's stock covers
    /// already (see `stock_cover.rs`): their operations do not wait.
    pub covered: HashSet<Code>,
    /// The tenant's master-data version read before anything else: a
    /// record written after it has a higher version.
    pub records_version: i64,
}

impl SiteData {
    /// The site's offset from UTC in minutes.
    pub fn utc_offset(&self) -> i64 {
        self.settings
            .as_ref()
            .map_or(0, |s| i64::from(s.utc_offset_minutes))
    }

    /// The calendar `equipment` follows (its own, else the site's), if any.
    pub fn calendar_of(&self, equipment: &Equipment) -> Option<&Calendar> {
        let code = equipment
            .calendar
            .as_ref()
            .or_else(|| self.settings.as_ref().and_then(|s| s.calendar.as_ref()))?;
        self.calendars.get(code.as_str())
    }
}

/// Every record matching `query`, the records only.
async fn list_all<T: MasterKind>(
    store: &Store,
    tenant: TenantId,
    query: RecordQuery,
) -> Result<Vec<T>, HubError> {
    Ok(service::list_all::<T>(store, tenant, query)
        .await?
        .into_iter()
        .map(|s| s.record)
        .collect())
}

fn of_site(site: &str, equals: Vec<(&'static str, String)>) -> RecordQuery {
    RecordQuery {
        site: Some(site.to_string()),
        equals,
        ..RecordQuery::default()
    }
}

/// The operations `order` runs: those copied at release, else its routing's.
pub(crate) async fn operations_of(
    store: &Store,
    tenant: TenantId,
    order: ProductionOrder,
) -> Result<PlannedOrder, HubError> {
    if !order.operations.is_empty() {
        let operations = order.operations.clone();
        return Ok(PlannedOrder {
            order,
            operations,
            problem: None,
        });
    }
    let routing = match service::get::<Routing>(store, tenant, order.material.as_str()).await {
        Ok(r) => Some(r.record),
        Err(HubError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let found = routing
        .as_ref()
        .and_then(|r| r.version(order.routing_version.as_ref()))
        .map(|v| v.operations.clone());
    let problem = match (&routing, &found) {
        (None, _) => Some(format!("material {} has no routing", order.material)),
        (Some(_), None) => Some(format!(
            "routing of {} has no version {}",
            order.material,
            order.routing_version.as_ref().map_or("(none)", |v| v.as_str())
        )),
        _ => None,
    };
    Ok(PlannedOrder {
        order,
        operations: found.unwrap_or_default(),
        problem,
    })
}

/// Reads site `site` of `tenant`. The caller has checked that the site exists.
pub async fn load_site(store: &Store, tenant: TenantId, site: &str) -> Result<SiteData, HubError> {
    let records_version = store.tenant_version(tenant).await.map_err(HubError::Store)?;
    let settings = match service::get::<SiteSettings>(store, tenant, site).await {
        Ok(s) => Some(s.record),
        Err(HubError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let mut orders = Vec::new();
    for status in [ProductionStatus::Released, ProductionStatus::InProgress] {
        let q = of_site(site, vec![("status", status.as_str().to_string())]);
        for order in list_all::<ProductionOrder>(store, tenant, q).await? {
            orders.push(operations_of(store, tenant, order).await?);
        }
    }
    orders.sort_by(|a, b| a.order.code.cmp(&b.order.code));
    let equipment = list_all::<Equipment>(store, tenant, of_site(site, Vec::new())).await?;
    let calendars = list_all::<Calendar>(store, tenant, RecordQuery::default())
        .await?
        .into_iter()
        .map(|c| (c.code.to_string(), c))
        .collect();
    let open = vec![("status", "open".to_string())];
    let purchase_orders: Vec<PurchaseOrder> = list_all::<PurchaseOrder>(store, tenant, of_site(site, open))
        .await?
        .into_iter()
        .filter(|p| p.status == OrderStatus::Open)
        .collect();
    let routed: Vec<(&ProductionOrder, &[RoutingOperation])> =
        orders.iter().map(|o| (&o.order, &o.operations[..])).collect();
    let covered = covered_materials(store, tenant, site, &routed, &purchase_orders).await?;
    Ok(SiteData {
        site: site.to_string(),
        settings,
        orders,
        equipment,
        calendars,
        purchase_orders,
        covered,
        records_version,
    })
}

/// The record kinds a site's plan depends on (a change to one of them may
/// change the plan).
pub const PLAN_INPUT_KINDS: &[&str] = &[
    ProductionOrder::KIND,
    Routing::KIND,
    Equipment::KIND,
    Calendar::KIND,
    SiteSettings::KIND,
    PurchaseOrder::KIND,
];

/// Whether a changed record row of a plan input kind concerns `site`:
/// site-bound records of another site do not; calendars and routings
/// (tenant-wide) always may.
pub fn concerns_site(row_site: Option<&str>, kind_name: &str, site: &str) -> bool {
    match row_site {
        Some(s) => s == site,
        None => kind_name != kind::SITE,
    }
}
