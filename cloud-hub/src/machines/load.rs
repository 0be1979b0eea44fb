//! Reads one equipment's state, downtime and part events, and the outages
//! of the agents observing it, from the log for [`super::timeline`]: its
//! site's events of those kinds, in hub time.

use super::timeline::{AssignedReason, Outage, StateChange};
use crate::error::HubError;
use crate::masterdata::records::{Equipment, SiteSettings};
use crate::masterdata::service;
use crate::store::Store;
use crate::store::TenantId;
use crate::store::plans::SiteEvent;
use mes_protocols::event::EquipmentState;
use serde::Deserialize;
use std::collections::HashMap;

/// The kinds read.
pub(crate) const KINDS: &[&str] = &[
    "equipment_state_changed",
    "downtime_reason_assigned",
    "parts_counted",
    "agent_outage",
];

/// Events read per query.
const PAGE: usize = 5000;

/// What the log says of one equipment.
#[derive(Debug, Default)]
pub struct MachineEvents {
    /// Its site.
    pub site: String,
    /// The site's offset from UTC, ms (local days).
    pub utc_offset_ms: i64,
    /// State changes in time order.
    pub changes: Vec<StateChange>,
    /// Operators' reasons for stops.
    pub assigned: Vec<AssignedReason>,
    /// Parts counted: (at, good, scrap).
    pub parts: Vec<(i64, u64, u64)>,
    /// Periods the agent observing it was not running.
    pub outages: Vec<Outage>,
}

/// The fields of the kinds this reads (others are ignored).
#[derive(Deserialize)]
struct Data {
    equipment: String,
    #[serde(default)]
    state: Option<EquipmentState>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    down_since: Option<String>,
    #[serde(default)]
    good: Option<u64>,
    #[serde(default)]
    scrap: Option<u64>,
}

#[derive(Deserialize)]
struct Raw {
    occurred_at: String,
    data: Data,
}

/// An `agent_outage` as stored.
#[derive(Deserialize)]
struct RawOutage {
    occurred_at: String,
    data: OutageData,
}

#[derive(Deserialize)]
struct OutageData {
    from: String,
    until: String,
    equipment: Vec<String>,
}

/// The hub's clock correction of a stored event: the log's instant minus
/// the agent's stamp (`occurred_at` as sent), for instants inside its data.
fn correction(stamp: &str, logged: i64) -> i64 {
    mes_protocols::Timestamp::parse(stamp).map_or(0, |stamp| logged - stamp.unix_millis())
}

/// The outage `raw` reports, in hub time, with the equipment it names.
fn outage_of(raw: &str, logged: i64) -> Option<(Outage, Vec<String>)> {
    let RawOutage { occurred_at, data } = serde_json::from_str(raw).ok()?;
    let shift = correction(&occurred_at, logged);
    let at = |s: &str| {
        mes_protocols::Timestamp::parse(s)
            .ok()
            .map(|t| t.unix_millis().saturating_add(shift))
    };
    let outage = Outage {
        from: at(&data.from)?,
        until: at(&data.until)?,
    };
    Some((outage, data.equipment))
}

/// Adds what `event` (a logged event of one of [`KINDS`]) says of the
/// equipment in `machines` (by code) to their entries; events of other
/// equipment, and events that cannot be read (the projection reports
/// those), change nothing. Call [`MachineEvents::finish`] after the last.
pub(crate) fn fold(machines: &mut HashMap<String, MachineEvents>, e: &SiteEvent) {
    if e.kind == "agent_outage" {
        let Some((outage, named)) = outage_of(&e.raw, e.occurred_at) else {
            return;
        };
        for code in named {
            if let Some(events) = machines.get_mut(&code) {
                events.outages.push(outage);
            }
        }
        return;
    }
    let Ok(Raw { occurred_at, data }) = serde_json::from_str::<Raw>(&e.raw) else {
        return;
    };
    let Some(out) = machines.get_mut(&data.equipment) else {
        return;
    };
    // The hub's clock correction of this event (the log's instant minus
    // the agent's stamp), for instants inside its data.
    let shift = correction(&occurred_at, e.occurred_at);
    match e.kind.as_str() {
        "equipment_state_changed" => {
            if let Some(state) = data.state {
                out.changes.push(StateChange {
                    at: e.occurred_at,
                    state,
                    reason: data.reason,
                });
            }
        }
        "downtime_reason_assigned" => {
            let since = data
                .down_since
                .and_then(|s| mes_protocols::Timestamp::parse(&s).ok());
            if let (Some(since), Some(reason)) = (since, data.reason) {
                out.assigned.push(AssignedReason {
                    down_since: since.unix_millis().saturating_add(shift),
                    reason,
                });
            }
        }
        "parts_counted" => {
            out.parts
                .push((e.occurred_at, data.good.unwrap_or(0), data.scrap.unwrap_or(0)));
        }
        _ => {}
    }
}

impl MachineEvents {
    /// Puts what [`fold`] gathered in time order: log order is arrival
    /// order, and a late event lands where it happened.
    pub(crate) fn finish(&mut self) {
        self.changes.sort_by_key(|c| c.at);
    }
}

/// The site and UTC offset (ms) of equipment `equipment` of `tenant` (404
/// for an unknown equipment).
async fn site_of(store: &Store, tenant: TenantId, equipment: &str) -> Result<(String, i64), HubError> {
    let record = service::get::<Equipment>(store, tenant, equipment).await?.record;
    let site = record.site.to_string();
    let utc_offset_ms = match service::get::<SiteSettings>(store, tenant, &site).await {
        Ok(s) => i64::from(s.record.utc_offset_minutes) * 60_000,
        Err(HubError::NotFound { .. }) => 0,
        Err(e) => return Err(e),
    };
    Ok((site, utc_offset_ms))
}

/// The events of `equipment` of `tenant` (404 for an unknown equipment).
pub async fn machine_events(
    store: &Store,
    tenant: TenantId,
    equipment: &str,
) -> Result<MachineEvents, HubError> {
    let (site, utc_offset_ms) = site_of(store, tenant, equipment).await?;
    let mut machines = HashMap::from([(
        equipment.to_string(),
        MachineEvents {
            site: site.clone(),
            utc_offset_ms,
            ..MachineEvents::default()
        },
    )]);
    let mut after = 0;
    loop {
        let page = store
            .site_events_after(tenant, site.clone(), after, KINDS, PAGE)
            .await
            .map_err(HubError::Store)?;
        for e in &page {
            fold(&mut machines, e);
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = last.id,
            _ => break,
        }
    }
    let mut out = machines.remove(equipment).unwrap_or_default();
    out.finish();
    Ok(out)
}
