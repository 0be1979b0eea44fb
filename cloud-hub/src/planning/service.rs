//! The planning operations the API and the watcher call: run a fresh
//! schedule, read the live plan, what-if, validate, and re-plan from the
//! live plan (stable repair). Solving runs on the blocking pool.

use super::PlanningSettings;
use super::build::{Built, DownWindow, Frame, MaterialWait, Problem, build};
use super::facts::{FloorChange, FloorFacts, PLANNING_EVENT_KINDS};
use super::input::{SiteData, load_site};
use super::steer::Steering;
use super::stored::{PlanMeta, StoredPlan};
use crate::error::HubError;
use crate::store::TenantId;
use crate::store::plans::{LivePlanRow, NewLivePlan};
use crate::store::{Store, StoreError};
use mes_protocols::FieldError;
use mes_scheduler::{
    Model, ModelError, Plan, ScheduledOp, SolveError, SolveOptions, reschedule, solve, validate,
};
use std::collections::HashSet;
use std::time::Duration;

/// Events read per page when catching up with the log.
const EVENT_PAGE: usize = 1000;

/// Why a planning operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    /// The tenant has no such site.
    #[error("site `{0}` not found")]
    SiteNotFound(String),
    /// The site has no live plan yet.
    #[error("site `{0}` has no plan yet; run one first")]
    NoPlan(String),
    /// A request value is wrong.
    #[error("{0}")]
    Invalid(FieldError),
    /// The site's data make no model (names what to fix).
    #[error("the site's data cannot be scheduled: {0}")]
    Model(#[from] ModelError),
    /// No plan could be found.
    #[error("no plan found: {0}")]
    Solve(#[from] SolveError),
    /// A plan failed its validation (a bug: never stored or shown).
    #[error("the plan failed validation: {0}")]
    InvalidPlan(String),
    /// The live plan changed meanwhile (the watcher lost a race).
    #[error("the live plan of site `{site}` changed meanwhile")]
    Conflict {
        /// The site.
        site: String,
    },
    /// A stored plan no longer reads.
    #[error("the stored plan of site `{site}` cannot be read: {reason}")]
    Unreadable {
        /// The site.
        site: String,
        /// Why.
        reason: String,
    },
    /// Reading master data failed.
    #[error(transparent)]
    Records(#[from] HubError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The solver's thread failed.
    #[error("planning task failed: {0}")]
    Task(String),
}

/// How a run searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Wall-clock limit of the search.
    pub time_limit: Duration,
    /// Seed of the search.
    pub seed: u64,
}

/// Changes a what-if applies to the current picture.
#[derive(Debug, Clone, Default)]
pub struct WhatIf {
    /// Orders to add (their operations from their routing).
    pub orders: Vec<crate::masterdata::records::ProductionOrder>,
    /// Machines to take down.
    pub down: Vec<DownWindow>,
}

/// A plan and the model it is for.
#[derive(Debug)]
pub struct Planned {
    /// The model.
    pub model: Model,
    /// The plan document.
    pub stored: StoredPlan,
    /// Its revision, when it is the live plan.
    pub revision: Option<i64>,
}

/// The current picture of a site: its data, the floor facts caught up to
/// the event log, and the live plan if there is one.
struct Picture {
    data: SiteData,
    facts: FloorFacts,
    cursor: i64,
    live: Option<(LivePlanRow, StoredPlan)>,
}

async fn require_site(store: &Store, tenant: TenantId, site: &str) -> Result<(), PlanningError> {
    if store.site_exists(tenant, site.to_string()).await? {
        Ok(())
    } else {
        Err(PlanningError::SiteNotFound(site.to_string()))
    }
}

fn parse_stored(row: &LivePlanRow) -> Result<StoredPlan, PlanningError> {
    serde_json::from_value(row.body.clone()).map_err(|e| PlanningError::Unreadable {
        site: row.site.clone(),
        reason: e.to_string(),
    })
}

/// The site's live plan as stored, if any.
pub async fn live_row(
    store: &Store,
    tenant: TenantId,
    site: &str,
) -> Result<Option<(LivePlanRow, StoredPlan)>, PlanningError> {
    match store.live_plan(tenant, site.to_string()).await? {
        Some(row) => {
            let stored = parse_stored(&row)?;
            Ok(Some((row, stored)))
        }
        None => Ok(None),
    }
}

/// Folds the site's events after `cursor` into `facts`; returns the new
/// cursor and what changed.
pub async fn catch_up(
    store: &Store,
    tenant: TenantId,
    site: &str,
    facts: &mut FloorFacts,
    mut cursor: i64,
) -> Result<(i64, Vec<FloorChange>), PlanningError> {
    let mut changes = Vec::new();
    loop {
        let page = store
            .site_events_after(tenant, site.to_string(), cursor, PLANNING_EVENT_KINDS, EVENT_PAGE)
            .await?;
        for ev in &page {
            match facts.apply(&ev.kind, ev.occurred_at, &ev.raw) {
                Ok(Some(change)) => changes.push(change),
                Ok(None) => {}
                // Checked at ingest; a body this hub can no longer read is skipped, loudly.
                Err(e) => {
                    tracing::warn!(site, event = ev.id, error = %e, "planning skips an unreadable event")
                }
            }
            cursor = ev.id;
        }
        if page.len() < EVENT_PAGE {
            return Ok((cursor, changes));
        }
    }
}

async fn picture(store: &Store, tenant: TenantId, site: &str) -> Result<Picture, PlanningError> {
    require_site(store, tenant, site).await?;
    let live = live_row(store, tenant, site).await?;
    let (mut facts, cursor) = live.as_ref().map_or((FloorFacts::default(), 0), |(row, s)| {
        (s.facts.clone(), row.event_cursor)
    });
    let (cursor, _) = catch_up(store, tenant, site, &mut facts, cursor).await?;
    let data = load_site(store, tenant, site).await?;
    let open: HashSet<String> = data.orders.iter().map(|o| o.order.code.to_string()).collect();
    facts.retain_orders(&open);
    Ok(Picture {
        data,
        facts,
        cursor,
        live,
    })
}

/// The down windows the facts imply at `now` (epoch ms): machines down
/// longer than the threshold, assumed down until `now` + the repair time.
pub fn down_windows(facts: &FloorFacts, now_ms: i64, settings: &PlanningSettings) -> Vec<DownWindow> {
    let now = now_ms.div_euclid(60_000);
    facts
        .down_since
        .iter()
        .filter(|(_, since)| now - since.div_euclid(60_000) >= settings.machine_down_threshold_minutes)
        .map(|(equipment, since)| DownWindow {
            equipment: equipment.clone(),
            from: since.div_euclid(60_000),
            to: now + settings.assumed_repair_minutes,
        })
        .collect()
}

fn frame(now_ms: i64, settings: &PlanningSettings) -> Frame {
    let now = now_ms.div_euclid(60_000);
    Frame {
        now,
        horizon_end: now + i64::from(settings.horizon_days) * 1440,
    }
}

/// A plan made for a model, with what the model left out, the material
/// waits and the steering it keeps.
struct Made {
    model: Model,
    plan: Plan,
    problems: Vec<Problem>,
    waits: Vec<MaterialWait>,
    steering: Steering,
}

/// Solves (`options`) or repairs (no options: from `live`) `built` on the
/// blocking pool, keeping the live plan's steering (issue 17), and
/// validates the result.
async fn plan_model(
    built: Built,
    live: Option<StoredPlan>,
    options: Option<(RunOptions, usize)>,
) -> Result<Made, PlanningError> {
    let Built {
        model,
        mut problems,
        waits,
    } = built;
    tokio::task::spawn_blocking(move || {
        let live_model = live.as_ref().map(StoredPlan::model).transpose()?;
        let mut steering = live.as_ref().map(|l| l.steering.clone()).unwrap_or_default();
        let base = live.as_ref().zip(live_model.as_ref()).map(|(l, m)| (m, &l.plan));
        let (model, steered) = steering.apply(&model, base)?;
        problems.extend(steered);
        let plan = match (base, options) {
            (Some((prev_model, prev_plan)), None) => match reschedule(prev_model, prev_plan, &model) {
                Ok(plan) => plan,
                // The repair found no place: search afresh, briefly.
                Err(_) => solve(&model, &SolveOptions::default())?.plan,
            },
            (_, options) => {
                let (run, threads) = options.unwrap_or((
                    RunOptions {
                        time_limit: Duration::from_secs(10),
                        seed: 0,
                    },
                    1,
                ));
                let opts = SolveOptions {
                    seed: run.seed,
                    time_limit: Some(run.time_limit),
                    iteration_limit: None,
                    threads,
                };
                solve(&model, &opts)?.plan
            }
        };
        if let Some(v) = validate(&model, &plan).first() {
            return Err(PlanningError::InvalidPlan(v.to_string()));
        }
        Ok(Made {
            model,
            plan,
            problems,
            waits,
            steering,
        })
    })
    .await
    .map_err(|e| PlanningError::Task(e.to_string()))?
}

async fn store_live(
    store: &Store,
    tenant: TenantId,
    pic: &Picture,
    made: Made,
    meta: PlanMeta,
    if_revision: Option<i64>,
) -> Result<Planned, PlanningError> {
    let Made {
        model,
        plan,
        problems,
        waits,
        steering,
    } = made;
    let stored = StoredPlan::new(
        &model,
        plan,
        PlanMeta {
            problems,
            waits,
            steering,
            ..meta
        },
    );
    let body = serde_json::to_value(&stored).map_err(|e| PlanningError::Unreadable {
        site: pic.data.site.clone(),
        reason: e.to_string(),
    })?;
    let new = NewLivePlan {
        site: pic.data.site.clone(),
        records_version: pic.data.records_version,
        event_cursor: pic.cursor,
        trigger: stored.trigger.clone(),
        body,
        if_revision,
    };
    let revision = match store.save_live_plan(tenant, new).await {
        Ok(r) => r,
        Err(StoreError::VersionConflict { .. }) => {
            return Err(PlanningError::Conflict {
                site: pic.data.site.clone(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Planned {
        model,
        stored,
        revision: Some(revision),
    })
}

fn meta(
    pic: &Picture,
    now_ms: i64,
    settings: &PlanningSettings,
    trigger: &str,
    down: Vec<DownWindow>,
) -> PlanMeta {
    let f = frame(now_ms, settings);
    PlanMeta {
        made_at: crate::store::now_ms(),
        now: f.now,
        horizon_end: f.horizon_end,
        trigger: trigger.to_string(),
        facts: pic.facts.clone(),
        down,
        problems: Vec::new(),
        steering: Default::default(),
        waits: Vec::new(),
    }
}

/// Schedules site `site` afresh and makes the result its live plan.
pub async fn run(
    store: &Store,
    tenant: TenantId,
    site: &str,
    settings: &PlanningSettings,
    options: RunOptions,
    now_ms: i64,
) -> Result<Planned, PlanningError> {
    let pic = picture(store, tenant, site).await?;
    let down = down_windows(&pic.facts, now_ms, settings);
    let built = build(&pic.data, &pic.facts, frame(now_ms, settings), &down)?;
    let live = pic.live.as_ref().map(|(_, s)| s.clone());
    let planned = plan_model(built, live, Some((options, settings.threads))).await?;
    let meta = meta(&pic, now_ms, settings, "run", down);
    store_live(store, tenant, &pic, planned, meta, None).await
}

/// Re-plans site `site` from its live plan (keeping what nothing forces to
/// change) and makes the result its live plan, unless the live plan was
/// replaced meanwhile ([`PlanningError::Conflict`]).
pub async fn replan(
    store: &Store,
    tenant: TenantId,
    site: &str,
    settings: &PlanningSettings,
    now_ms: i64,
    trigger: &str,
) -> Result<Planned, PlanningError> {
    let pic = picture(store, tenant, site).await?;
    let Some((row, previous)) = pic.live.clone() else {
        return Err(PlanningError::NoPlan(site.to_string()));
    };
    let down = down_windows(&pic.facts, now_ms, settings);
    let built = build(&pic.data, &pic.facts, frame(now_ms, settings), &down)?;
    let planned = plan_model(built, Some(previous), None).await?;
    let meta = meta(&pic, now_ms, settings, trigger, down);
    store_live(store, tenant, &pic, planned, meta, Some(row.revision)).await
}

/// The live plan of site `site`.
pub async fn live(store: &Store, tenant: TenantId, site: &str) -> Result<Planned, PlanningError> {
    require_site(store, tenant, site).await?;
    let (row, stored) = live_row(store, tenant, site)
        .await?
        .ok_or_else(|| PlanningError::NoPlan(site.to_string()))?;
    let model = stored.model()?;
    Ok(Planned {
        model,
        stored,
        revision: Some(row.revision),
    })
}

/// The live plan of `site` as the API shows it (an empty report when the
/// site has no plan yet), orders at risk within `at_risk_slack` minutes.
pub async fn live_report(
    store: &Store,
    tenant: TenantId,
    site: &str,
    at_risk_slack: i64,
) -> Result<super::report::PlanReport, PlanningError> {
    match live(store, tenant, site).await {
        Ok(p) => Ok(super::report::report(
            site,
            p.revision,
            &p.stored,
            &p.model,
            at_risk_slack,
        )),
        Err(PlanningError::NoPlan(_)) => Ok(super::report::PlanReport::none(site)),
        Err(e) => Err(e),
    }
}

/// What the plan would be with `changes`, repaired from the live plan when
/// there is one (so it compares with it), else solved; never stored.
pub async fn what_if(
    store: &Store,
    tenant: TenantId,
    site: &str,
    settings: &PlanningSettings,
    changes: WhatIf,
    now_ms: i64,
) -> Result<Planned, PlanningError> {
    let mut pic = picture(store, tenant, site).await?;
    for order in changes.orders {
        if pic.data.orders.iter().any(|o| o.order.code == order.code) {
            return Err(PlanningError::Invalid(FieldError::new(
                "orders",
                format!("order {} is already on the floor", order.code),
            )));
        }
        let planned = super::input::operations_of(store, tenant, order).await?;
        pic.data.orders.push(planned);
    }
    for (i, d) in changes.down.iter().enumerate() {
        if !pic.data.equipment.iter().any(|e| e.code == d.equipment) {
            return Err(PlanningError::Invalid(FieldError::new(
                format!("machines_down[{i}].equipment"),
                format!("equipment {} is not at site {site}", d.equipment),
            )));
        }
    }
    let mut down = down_windows(&pic.facts, now_ms, settings);
    down.extend(changes.down);
    let built = build(&pic.data, &pic.facts, frame(now_ms, settings), &down)?;
    let previous = pic.live.as_ref().map(|(_, s)| s.clone());
    let options = previous.is_none().then_some((
        RunOptions {
            time_limit: settings.default_time_limit,
            seed: 0,
        },
        settings.threads,
    ));
    let Made {
        model,
        plan,
        problems,
        waits,
        steering,
    } = plan_model(built, previous, options).await?;
    let meta = meta(&pic, now_ms, settings, "what-if", down);
    let stored = StoredPlan::new(
        &model,
        plan,
        PlanMeta {
            problems,
            waits,
            steering,
            ..meta
        },
    );
    Ok(Planned {
        model,
        stored,
        revision: None,
    })
}

/// The live plan checked against its own model and against the current
/// picture (operations matched by key and machine name): what is broken
/// now, if anything.
pub async fn validation(
    store: &Store,
    tenant: TenantId,
    site: &str,
    settings: &PlanningSettings,
    now_ms: i64,
) -> Result<(i64, Vec<String>, Vec<String>), PlanningError> {
    let live = live(store, tenant, site).await?;
    let own = validate(&live.model, &live.stored.plan)
        .iter()
        .map(ToString::to_string)
        .collect();
    let pic = picture(store, tenant, site).await?;
    let down = down_windows(&pic.facts, now_ms, settings);
    let current = build(&pic.data, &pic.facts, frame(now_ms, settings), &down)?.model;
    let mapped = Plan {
        ops: live
            .stored
            .plan
            .ops
            .iter()
            .filter_map(|s| {
                let name = &live.model.operation(s.op)?.name;
                let machine = &live.model.machine(s.machine)?.name;
                Some(ScheduledOp {
                    op: current.find_operation(name)?,
                    machine: current.find_machine(machine)?,
                    ..*s
                })
            })
            .collect(),
    };
    let now = validate(&current, &mapped)
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok((live.revision.unwrap_or(0), own, now))
}
