//! The equipment of a site with the latest state each reported: what a
//! shop-floor board shows first. One store query for the latest states
//! (`Store::latest_per_key`), never the site's whole log.

use crate::error::HubError;
use crate::masterdata::records::Equipment;
use crate::masterdata::service;
use crate::store::{RecordQuery, Store, TenantId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One equipment of the site and its last reported state.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EquipmentNow {
    /// The equipment.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its type.
    pub equipment_type: String,
    /// Its last reported state (`running`, `idle`, `down`, `offline`, …;
    /// none: never reported).
    pub state: Option<String>,
    /// The reason that state carried (a fault code, a stop reason).
    pub reason: Option<String>,
    /// When it entered that state, unix ms in hub time.
    pub since: Option<i64>,
}

#[derive(Deserialize)]
struct StateData {
    state: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct StateEvent {
    data: StateData,
}

/// The active equipment of `site` in code order (bytewise), each with its latest
/// state; an unknown site is `NotFound`.
pub async fn site_equipment(
    store: &Store,
    tenant: TenantId,
    site: &str,
) -> Result<Vec<EquipmentNow>, HubError> {
    if !store
        .site_exists(tenant, site.to_string())
        .await
        .map_err(HubError::Store)?
    {
        return Err(HubError::NotFound {
            kind: "site",
            code: site.to_string(),
        });
    }
    let latest: HashMap<String, (StateData, i64)> = store
        .latest_per_key(
            tenant,
            site.to_string(),
            &["equipment_state_changed"],
            "equipment",
        )
        .await
        .map_err(HubError::Store)?
        .into_iter()
        // An event the projection could not read is reported there, not here.
        .filter_map(|(code, e)| {
            let event: StateEvent = serde_json::from_str(&e.raw).ok()?;
            Some((code, (event.data, e.occurred_at)))
        })
        .collect();
    let active_here = RecordQuery {
        site: Some(site.to_string()),
        ..RecordQuery::default()
    };
    let equipment = service::list_all::<Equipment>(store, tenant, active_here).await?;
    Ok(equipment
        .into_iter()
        .map(|stored| stored.record)
        .map(|e| {
            let now = latest.get(e.code.as_str());
            EquipmentNow {
                code: e.code.to_string(),
                name: e.name,
                equipment_type: e.equipment_type.to_string(),
                state: now.map(|(d, _)| d.state.clone()),
                reason: now.and_then(|(d, _)| d.reason.clone()),
                since: now.map(|(_, at)| *at),
            }
        })
        .collect())
}
