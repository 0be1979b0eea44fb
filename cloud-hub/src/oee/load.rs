//! Reads what a site's OEE is computed from: its settings and calendars,
//! its equipment, the orders its runs belong to, the downtime reasons'
//! texts, and from the log (one pass over the site's events, in hub time)
//! each machine's states, stops, counts and agent outages
//! (`machines::load::fold`) with the runs and output reports of its
//! operators (`costing::floor_events::read_fact`).

use crate::costing::time::{FloorFact, TimedFact};
use crate::error::HubError;
use crate::machines::load::{self as machine_log, MachineEvents};
use crate::masterdata::records::{Calendar, Equipment, ProductionOrder, Reason, ReasonKind, SiteSettings};
use crate::masterdata::service;
use crate::store::{RecordQuery, Store, TenantId};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The kinds read: the machines' own (`machines::load::KINDS`) and the runs'.
const KINDS: &[&str] = &[
    "equipment_state_changed",
    "downtime_reason_assigned",
    "parts_counted",
    "agent_outage",
    "operation_started",
    "operation_paused",
    "operation_resumed",
    "operation_finished",
    "output_reported",
];

/// Events read per query.
const PAGE: usize = 5000;

/// A site's master data as the OEE needs it.
#[derive(Debug, Clone, Default)]
pub struct SiteMaster {
    /// Its settings (none: UTC, no calendar, changeovers a loss).
    pub settings: Option<SiteSettings>,
    /// Its default calendar.
    pub calendar: Option<Calendar>,
    /// Downtime reasons' texts by code.
    pub reason_texts: BTreeMap<String, String>,
}

impl SiteMaster {
    /// The site's offset from UTC, minutes.
    pub fn utc_offset(&self) -> i64 {
        self.settings
            .as_ref()
            .map_or(0, |s| i64::from(s.utc_offset_minutes))
    }

    /// Whether changeovers are planned time at the site.
    pub fn changeover_planned(&self) -> bool {
        self.settings.as_ref().is_some_and(|s| s.changeover_planned)
    }
}

/// What the log says of a site's machines.
#[derive(Debug, Default)]
pub struct SiteLog {
    /// Per equipment asked for: states, stops, counts, outages.
    pub machines: HashMap<String, MachineEvents>,
    /// Run and output facts, in time order (ties by event id, so the
    /// order of arrival never matters).
    pub facts: Vec<TimedFact>,
}

/// The calendar `code` of `tenant`, if it names one that exists.
async fn calendar(
    store: &Store,
    tenant: TenantId,
    code: Option<&mes_protocols::Code>,
) -> Result<Option<Calendar>, HubError> {
    let Some(code) = code else { return Ok(None) };
    match service::get::<Calendar>(store, tenant, code.as_str()).await {
        Ok(stored) => Ok(Some(stored.record)),
        Err(HubError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The master data of `site` (settings, default calendar, reasons).
pub async fn site_master(store: &Store, tenant: TenantId, site: &str) -> Result<SiteMaster, HubError> {
    let settings = match service::get::<SiteSettings>(store, tenant, site).await {
        Ok(s) => Some(s.record),
        Err(HubError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let calendar = calendar(store, tenant, settings.as_ref().and_then(|s| s.calendar.as_ref())).await?;
    let reason_texts = service::list_all::<Reason>(store, tenant, RecordQuery::default())
        .await?
        .into_iter()
        .filter(|r| r.record.kind == ReasonKind::Downtime)
        .map(|r| (r.record.code.to_string(), r.record.text))
        .collect();
    Ok(SiteMaster {
        settings,
        calendar,
        reason_texts,
    })
}

/// The calendar `equipment` follows: its own, else its site's default.
pub async fn calendar_of(
    store: &Store,
    tenant: TenantId,
    equipment: &Equipment,
    site: &SiteMaster,
) -> Result<Option<Calendar>, HubError> {
    match &equipment.calendar {
        Some(code) => calendar(store, tenant, Some(code)).await,
        None => Ok(site.calendar.clone()),
    }
}

/// The active equipment of `site`, by code.
pub async fn site_equipment(store: &Store, tenant: TenantId, site: &str) -> Result<Vec<Equipment>, HubError> {
    let here = RecordQuery {
        site: Some(site.to_string()),
        ..RecordQuery::default()
    };
    Ok(service::list_all::<Equipment>(store, tenant, here)
        .await?
        .into_iter()
        .map(|s| s.record)
        .collect())
}

/// The production orders named by the runs in `facts`, by code (an order
/// not in master data is left out: its runs have no planned run time).
pub async fn orders_of(
    store: &Store,
    tenant: TenantId,
    facts: &[TimedFact],
) -> Result<HashMap<String, ProductionOrder>, HubError> {
    let codes: BTreeSet<String> = facts
        .iter()
        .filter_map(|f| match &f.fact {
            FloorFact::Started { order, .. } => Some(order.to_string()),
            _ => None,
        })
        .collect();
    let mut out = HashMap::new();
    for code in codes {
        match service::get::<ProductionOrder>(store, tenant, &code).await {
            Ok(stored) => {
                out.insert(code, stored.record);
            }
            Err(HubError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The log of `site` for `equipment` (codes), read in one pass.
pub async fn site_log(
    store: &Store,
    tenant: TenantId,
    site: &str,
    equipment: &[String],
) -> Result<SiteLog, HubError> {
    let mut machines: HashMap<String, MachineEvents> = equipment
        .iter()
        .map(|code| (code.clone(), MachineEvents::default()))
        .collect();
    let mut facts: Vec<(i64, String, FloorFact)> = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .site_events_after(tenant, site.to_string(), after, KINDS, PAGE)
            .await
            .map_err(HubError::Store)?;
        for e in &page {
            if machine_log::KINDS.contains(&e.kind.as_str()) {
                machine_log::fold(&mut machines, e);
            } else if let Some((id, fact)) = crate::costing::floor_events::read_fact(&e.raw) {
                facts.push((e.occurred_at, id, fact));
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = last.id,
            _ => break,
        }
    }
    for events in machines.values_mut() {
        events.site = site.to_string();
        events.finish();
    }
    facts.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let facts = facts
        .into_iter()
        .zip(0_i64..)
        .map(|((at, _, fact), row)| TimedFact { at, row, fact })
        .collect();
    Ok(SiteLog { machines, facts })
}
