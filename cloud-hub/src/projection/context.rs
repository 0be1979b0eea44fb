//! What projecting a tenant's events needs from its master data: units of
//! every material (archived ones too: old events still name them) and
//! where each station books stock. Reloaded when the master data changes.

use crate::error::HubError;
use crate::masterdata::records::{Material, SiteSettings, Station, Unit};
use crate::stock::{MaterialUnits, UnitCatalog};
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::Code;
use std::collections::HashMap;

/// Units and locations of one tenant at one master-data version.
pub struct ProjectionContext {
    /// The master-data version this was read at.
    pub version: i64,
    /// Every material's units.
    pub units: UnitCatalog,
    stations: HashMap<Code, (Code, Option<Code>)>,
    production_locations: HashMap<String, Code>,
}

use crate::masterdata::service::all_records as all;

impl ProjectionContext {
    /// Reads the context of `tenant`.
    pub async fn load(store: &Store, tenant: TenantId) -> Result<Self, HubError> {
        let version = store.tenant_version(tenant).await.map_err(HubError::Store)?;
        let decimals: HashMap<Code, u32> = all::<Unit>(store, tenant)
            .await?
            .into_iter()
            .map(|u| (u.code, u.decimals))
            .collect();
        let mut units = UnitCatalog::new();
        for m in all::<Material>(store, tenant).await? {
            let scale = decimals.get(&m.base_unit).copied().unwrap_or(6);
            // A material whose units do not make a catalogue entry is left
            // out: its events become projection issues naming it.
            let Ok(mut entry) = MaterialUnits::new(m.code.clone(), m.base_unit.clone(), scale) else {
                continue;
            };
            for alt in &m.alt_units {
                match entry.clone().with_unit(alt.unit.clone(), alt.factor) {
                    Ok(next) => entry = next,
                    Err(_) => continue,
                }
            }
            units.insert(entry);
        }
        let stations = all::<Station>(store, tenant)
            .await?
            .into_iter()
            .map(|s| (s.code, (s.site, s.location)))
            .collect();
        let production_locations = all::<SiteSettings>(store, tenant)
            .await?
            .into_iter()
            .filter_map(|s| s.production_location.map(|l| (s.code.to_string(), l)))
            .collect();
        Ok(Self {
            version,
            units,
            stations,
            production_locations,
        })
    }

    /// Where `station` (of an agent at `site`) books stock: the station's
    /// own location, else its site's production location, else the event's
    /// site's production location.
    pub fn location(&self, site: &str, station: &Code) -> Option<Code> {
        match self.stations.get(station) {
            Some((station_site, Some(location))) => {
                let _ = station_site;
                Some(location.clone())
            }
            Some((station_site, None)) => self.production_locations.get(station_site.as_str()).cloned(),
            None => self.production_locations.get(site).cloned(),
        }
    }
}
