//! A site's shop-floor board: every active machine with its live state and
//! since when, the stop's reason, the order and operation running on it,
//! the workers present, and the parts counted this shift; and each agent
//! of the site with how far behind it is, so a board never shows stale
//! state as live.
//!
//! Read from a few store queries whatever the log's size: the latest state
//! per equipment, the latest operation event per station (and the latest
//! start per station, for its equipment), the latest clock event per
//! worker, the parts since the shift began, and the agent list.

use super::fleet;
use super::shift::{self, Counting};
use crate::error::HubError;
use crate::masterdata::records::{Calendar, SiteSettings, Station};
use crate::masterdata::service;
use crate::store::{RecordQuery, Store, TenantId};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// An agent that has not sent a batch for this long is shown as behind.
pub const BEHIND_AFTER_MS: i64 = 120_000;
/// An agent with more events than this waiting in its buffer is shown as
/// behind.
pub const BEHIND_BACKLOG: u64 = 1_000;

/// The run of an operation on a machine now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunNow {
    /// The production order.
    pub order: String,
    /// The operation.
    pub operation: String,
    /// The station it was started at.
    pub station: String,
    /// Whether it is paused.
    pub paused: bool,
    /// When its last start, pause or resume happened, unix ms.
    pub since: i64,
}

/// One machine on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardMachine {
    /// The equipment.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its last reported state (none: never reported).
    pub state: Option<String>,
    /// The reason that state carried.
    pub reason: Option<String>,
    /// When it entered that state, unix ms.
    pub since: Option<i64>,
    /// The operation running on it.
    pub run: Option<RunNow>,
    /// Workers clocked in at its stations, by code.
    pub workers: Vec<String>,
    /// Good parts counted since counting began.
    pub good: i64,
    /// Scrap parts counted since counting began.
    pub scrap: i64,
}

/// How far an agent of the site is behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentLag {
    /// The agent's id.
    pub agent_id: String,
    /// Its name.
    pub name: String,
    /// Its last accepted batch, unix ms (none: never).
    pub last_contact_at: Option<i64>,
    /// Events waiting in its buffer at its last batch.
    pub backlog: u64,
    /// Its clock's offset from the hub's at its last batch, ms.
    pub clock_offset_ms: Option<i64>,
    /// Whether the board should say its machines may be out of date.
    pub behind: bool,
}

/// A site's board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Board {
    /// The site.
    pub site: String,
    /// When it was read, unix ms.
    pub as_of: i64,
    /// Since when parts are counted, unix ms.
    pub counting_since: i64,
    /// Whether that is the shift's start (else local midnight).
    pub counting_shift: bool,
    /// The machines, by code.
    pub machines: Vec<BoardMachine>,
    /// The site's agents.
    pub agents: Vec<AgentLag>,
}

impl Board {
    /// Whether any agent of the site is behind (or there is none).
    pub fn stale(&self) -> bool {
        self.agents.is_empty() || self.agents.iter().any(|a| a.behind)
    }
}

fn text(raw: &Value, path: &[&str]) -> Option<String> {
    let mut at = raw.get("data")?;
    for key in path {
        at = at.get(key)?;
    }
    at.as_str().map(str::to_string)
}

/// The board of `site` at `now` (unix ms); an unknown site is `NotFound`.
pub async fn site_board(store: &Store, tenant: TenantId, site: &str, now: i64) -> Result<Board, HubError> {
    let machines = fleet::site_equipment(store, tenant, site).await?;
    let site_owned = || site.to_string();
    let latest_op = store
        .latest_per_key(
            tenant,
            site_owned(),
            &[
                "operation_started",
                "operation_paused",
                "operation_resumed",
                "operation_finished",
            ],
            "run.station",
        )
        .await
        .map_err(HubError::Store)?;
    let latest_start: HashMap<String, Value> = store
        .latest_per_key(tenant, site_owned(), &["operation_started"], "run.station")
        .await
        .map_err(HubError::Store)?
        .into_iter()
        .filter_map(|(station, e)| Some((station, serde_json::from_str(&e.raw).ok()?)))
        .collect();
    // The run at each station now, and the equipment it runs on.
    let mut runs: HashMap<String, RunNow> = HashMap::new();
    for (station, event) in latest_op {
        if event.kind == "operation_finished" {
            continue;
        }
        let Ok(raw) = serde_json::from_str::<Value>(&event.raw) else {
            continue;
        };
        let execution = text(&raw, &["run", "execution"]);
        let Some(started) = latest_start.get(&station) else {
            continue;
        };
        if execution.is_none() || text(started, &["run", "execution"]) != execution {
            continue;
        }
        let Some(equipment) = text(started, &["equipment"]) else {
            continue;
        };
        runs.insert(
            equipment,
            RunNow {
                order: text(&raw, &["run", "order"]).unwrap_or_default(),
                operation: text(&raw, &["run", "operation"]).unwrap_or_default(),
                station: station.clone(),
                paused: event.kind == "operation_paused",
                since: event.occurred_at,
            },
        );
    }
    // Workers clocked in, per station.
    let mut at_station: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (worker, event) in store
        .latest_per_key(
            tenant,
            site_owned(),
            &["worker_clocked_in", "worker_clocked_out"],
            "worker",
        )
        .await
        .map_err(HubError::Store)?
    {
        if event.kind != "worker_clocked_in" {
            continue;
        }
        if let Some(station) = serde_json::from_str::<Value>(&event.raw)
            .ok()
            .and_then(|raw| text(&raw, &["station"]))
        {
            at_station.entry(station).or_default().insert(worker);
        }
    }
    let here = RecordQuery {
        site: Some(site.to_string()),
        ..RecordQuery::default()
    };
    let mut stations_of: HashMap<String, BTreeSet<String>> = HashMap::new();
    for station in service::list_all::<Station>(store, tenant, here).await? {
        for equipment in &station.record.equipment {
            stations_of
                .entry(equipment.to_string())
                .or_default()
                .insert(station.record.code.to_string());
        }
    }
    let counting = counting_of(store, tenant, site, now).await?;
    let parts: HashMap<String, (i64, i64)> = store
        .parts_since(tenant, site_owned(), counting.since())
        .await
        .map_err(HubError::Store)?
        .into_iter()
        .map(|p| (p.equipment, (p.good, p.scrap)))
        .collect();
    let machines = machines
        .into_iter()
        .map(|m| {
            let run = runs.remove(&m.code);
            let mut stations = stations_of.remove(&m.code).unwrap_or_default();
            if let Some(run) = &run {
                stations.insert(run.station.clone());
            }
            let workers: BTreeSet<String> = stations
                .iter()
                .filter_map(|s| at_station.get(s))
                .flatten()
                .cloned()
                .collect();
            let (good, scrap) = parts.get(&m.code).copied().unwrap_or((0, 0));
            BoardMachine {
                code: m.code,
                name: m.name,
                state: m.state,
                reason: m.reason,
                since: m.since,
                run,
                workers: workers.into_iter().collect(),
                good,
                scrap,
            }
        })
        .collect();
    let agents = store
        .list_agents(tenant)
        .await
        .map_err(HubError::Store)?
        .into_iter()
        .filter(|a| a.site == site)
        .map(|a| {
            let silent = a.last_contact_at.is_none_or(|at| now - at > BEHIND_AFTER_MS);
            AgentLag {
                behind: silent || a.reported_depth > BEHIND_BACKLOG,
                agent_id: a.agent_id,
                name: a.name,
                last_contact_at: a.last_contact_at,
                backlog: a.reported_depth,
                clock_offset_ms: a.clock_offset_ms,
            }
        })
        .collect();
    Ok(Board {
        site: site.to_string(),
        as_of: now,
        counting_since: counting.since(),
        counting_shift: matches!(counting, Counting::Shift(_)),
        machines,
        agents,
    })
}

async fn counting_of(store: &Store, tenant: TenantId, site: &str, now: i64) -> Result<Counting, HubError> {
    let settings = match service::get::<SiteSettings>(store, tenant, site).await {
        Ok(s) => Some(s.record),
        Err(HubError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let offset = settings.as_ref().map_or(0, |s| i64::from(s.utc_offset_minutes));
    let calendar = match settings.and_then(|s| s.calendar) {
        Some(code) => match service::get::<Calendar>(store, tenant, code.as_str()).await {
            Ok(c) => Some(c.record),
            Err(HubError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    Ok(shift::counting_since(calendar.as_ref(), offset, now))
}
