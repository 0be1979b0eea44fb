//! The master data the actual costing (`load.rs`) and the standard cost
//! (`standard_input.rs`) read, read once per question: a cost report needs
//! both, and reads them together.

use super::settings::{CostingSettings, Overhead};
use crate::error::HubError;
use crate::masterdata::records::{
    Bom, Equipment, Location, Material, ProductionOrder, Routing, Worker, WorkerType,
};
use crate::masterdata::service::{self, Stored, all_records};
use crate::store::TenantId;
use crate::store::{RecordQuery, Store};
use std::collections::BTreeMap;

/// A tenant's master data as the costing reads it (archived records too:
/// old rows and events still name them).
#[derive(Debug, Clone, Default)]
pub struct CostingMaster {
    /// Materials.
    pub materials: Vec<Material>,
    /// BOMs.
    pub boms: Vec<Bom>,
    /// Routings.
    pub routings: Vec<Routing>,
    /// Worker types (hourly labour rates).
    pub worker_types: Vec<WorkerType>,
    /// Workers.
    pub workers: Vec<Worker>,
    /// Equipment, with whether each is archived.
    pub equipment: Vec<Stored<Equipment>>,
    /// Costing settings per site.
    pub settings: Vec<CostingSettings>,
    /// Production orders.
    pub orders: Vec<ProductionOrder>,
    /// Stock locations.
    pub locations: Vec<Location>,
}

impl CostingMaster {
    /// Reads `tenant`'s master data.
    pub async fn load(store: &Store, tenant: TenantId) -> Result<Self, HubError> {
        let every = RecordQuery {
            include_archived: true,
            ..RecordQuery::default()
        };
        Ok(Self {
            materials: all_records(store, tenant).await?,
            boms: all_records(store, tenant).await?,
            routings: all_records(store, tenant).await?,
            worker_types: all_records(store, tenant).await?,
            workers: all_records(store, tenant).await?,
            equipment: service::list_all(store, tenant, every).await?,
            settings: all_records(store, tenant).await?,
            orders: all_records(store, tenant).await?,
            locations: all_records(store, tenant).await?,
        })
    }

    /// The overhead rule per site.
    pub fn overhead(&self) -> BTreeMap<String, Overhead> {
        self.settings
            .iter()
            .filter_map(|s| s.overhead.map(|o| (s.code.to_string(), o)))
            .collect()
    }
}
