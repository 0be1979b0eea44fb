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
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// Tenants whose costing master data is kept between questions.
const CACHED_TENANTS: usize = 64;

/// The master data last read per database and tenant, with the tenant's
/// master-data version it was read at.
type MasterCache = HashMap<(crate::store::StoreInstance, TenantId), (i64, Arc<CostingMaster>)>;

fn master_cache() -> &'static Mutex<MasterCache> {
    static CACHE: OnceLock<Mutex<MasterCache>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

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

    /// `tenant`'s master data, read again only when a master-data write
    /// has advanced the tenant's version since it was last read (every
    /// write does, in its own transaction). The version is read before the
    /// records, so a write during the read only makes the next question
    /// read them again.
    pub async fn cached(store: &Store, tenant: TenantId) -> Result<Arc<Self>, HubError> {
        let key = (store.instance(), tenant);
        let version = store.tenant_version(tenant).await.map_err(HubError::Store)?;
        let lock = || {
            master_cache()
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((at, master)) = lock().get(&key)
            && *at == version
        {
            return Ok(master.clone());
        }
        let master = Arc::new(Self::load(store, tenant).await?);
        let mut cache = lock();
        if cache.len() >= CACHED_TENANTS && !cache.contains_key(&key) {
            // Rarely many tenants at once on one hub: start over rather
            // than track use.
            cache.clear();
        }
        cache.insert(key, (version, master.clone()));
        Ok(master)
    }

    /// The overhead rule per site.
    pub fn overhead(&self) -> BTreeMap<String, Overhead> {
        self.settings
            .iter()
            .filter_map(|s| s.overhead.map(|o| (s.code.to_string(), o)))
            .collect()
    }
}
