//! The OEE of an equipment or a site over a period: reads (`load.rs`),
//! lays each machine's timeline, planned busy time and quantities out, and
//! tallies them per bucket (`compute.rs`), pooled where asked
//! (`figures.rs`). The API (`api/oee.rs`) and the console call
//! [`equipment_oee`] and [`site_oee`].

use super::buckets::{self, Bucket, BucketKind};
use super::compute::{self, MachineInput, Span};
use super::figures::{Figures, Tally};
use super::load::{self, SiteLog, SiteMaster};
use super::quantities::{self, MachineRun, Report};
use super::report::{self, BucketFigures, EquipmentOee, MachineTotals, SiteOee};
use crate::arith::{self, OutOfRange};
use crate::costing::time::{self, FloorFact};
use crate::error::HubError;
use crate::machines::load::MachineEvents;
use crate::machines::timeline;
use crate::masterdata::records::{Calendar, Equipment, ProductionOrder};
use crate::masterdata::service;
use crate::planning::calendars::working_time;
use crate::store::{Store, TenantId};
use mes_protocols::FieldError;
use rust_decimal::Decimal;
use std::collections::HashMap;

const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// Longest period one question may cover, days.
pub const MAX_DAYS: i64 = 400;

/// Most buckets one answer may hold.
pub const MAX_BUCKETS: usize = 1000;

/// A period of an OEE question: `from..to`, unix ms, `from` before `to`,
/// `to` at most now, at most [`MAX_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: i64,
    to: i64,
}

impl Period {
    /// The period `from..to` asked at `now`: `to` defaults to and is capped
    /// at now, `from` defaults to a day before `to`. A period that is empty
    /// or too long is `Invalid` naming `from` (422).
    pub fn new(from: Option<i64>, to: Option<i64>, now: i64) -> Result<Period, HubError> {
        let to = to.unwrap_or(now).min(now);
        let from = from.unwrap_or(to.saturating_sub(DAY));
        if from >= to {
            return Err(invalid("from", "must be before `to` (and before now)"));
        }
        if to.saturating_sub(from) > MAX_DAYS * DAY {
            return Err(invalid(
                "from",
                format!("the period may cover at most {MAX_DAYS} days"),
            ));
        }
        Ok(Period { from, to })
    }

    /// Its start, unix ms.
    pub fn from(self) -> i64 {
        self.from
    }

    /// Its end, unix ms.
    pub fn to(self) -> i64 {
        self.to
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> HubError {
    HubError::Invalid(FieldError::new(field, reason))
}

fn out_of_range(kind: &'static str, code: &str) -> impl Fn(OutOfRange) -> HubError {
    let code = code.to_string();
    move |_| HubError::InvalidState {
        kind,
        code: code.clone(),
        reason: "an OEE figure is out of the range of a decimal (a quantity or run time stored \
                 before entry was bounded)"
            .into(),
    }
}

/// The buckets of the question, refused past [`MAX_BUCKETS`].
fn cut(
    kind: BucketKind,
    calendar: Option<&Calendar>,
    offset: i64,
    period: Period,
) -> Result<Vec<Bucket>, HubError> {
    let list = buckets::buckets(kind, calendar, offset, period.from, period.to);
    if list.len() > MAX_BUCKETS {
        return Err(invalid(
            "bucket",
            format!(
                "the period makes {} buckets of a {}, more than {MAX_BUCKETS}: ask a shorter period or a larger bucket",
                list.len(),
                kind.as_str()
            ),
        ));
    }
    Ok(list)
}

/// The calendar's planned busy time of `equipment` in `period`, ms.
fn planned(calendar: Option<&Calendar>, equipment: &Equipment, offset: i64, period: Period) -> Vec<Span> {
    if calendar.is_none() {
        return vec![(period.from, period.to)];
    }
    let from_min = period.from.div_euclid(MIN);
    let to_min = period.to.div_euclid(MIN) + 1;
    working_time(calendar, &equipment.code, offset, from_min, to_min)
        .intervals()
        .iter()
        // The calendar is open (always available) past `to_min`: clipped.
        .map(|i| {
            (
                i.start.saturating_mul(MIN).max(period.from),
                i.end.saturating_mul(MIN).min(period.to),
            )
        })
        .filter(|(a, b)| a < b)
        .collect()
}

/// Planned run time per item of `operation` of `order` on `equipment`,
/// ms: the order's copied operation's run minutes per unit over the
/// equipment's speed factor (as the planner times it).
fn run_ms_per_unit(
    order: Option<&ProductionOrder>,
    operation: &str,
    equipment: &Equipment,
) -> Result<Option<Decimal>, OutOfRange> {
    let Some(op) = order.and_then(|o| {
        o.operations
            .iter()
            .find(|op| op.operation.to_string() == operation)
    }) else {
        return Ok(None);
    };
    let ms = arith::mul(op.run_minutes_per_unit, Decimal::from(MIN))?;
    let speed = if equipment.speed_factor > Decimal::ZERO {
        equipment.speed_factor
    } else {
        Decimal::ONE
    };
    Ok(Some(arith::div(ms, speed)?).filter(|v| *v > Decimal::ZERO))
}

/// The runs on `equipment` and their output reports.
fn runs_on(
    log: &SiteLog,
    runs: &std::collections::BTreeMap<String, time::Run>,
    orders: &HashMap<String, ProductionOrder>,
    equipment: &Equipment,
) -> Result<(Vec<MachineRun>, Vec<Report>), OutOfRange> {
    let mut machine_runs = Vec::new();
    for (execution, run) in runs {
        if run.equipment.as_ref() != Some(&equipment.code) {
            continue;
        }
        let order = run.order.as_ref().and_then(|o| orders.get(o.as_str()));
        let operation = run.operation.as_ref().map_or("", |o| o.as_str());
        let span = match (run.active.first(), run.active.last()) {
            (Some(first), Some(last)) => Some((first.0, last.1)),
            _ => None,
        };
        machine_runs.push(MachineRun {
            execution: execution.clone(),
            span,
            run_ms_per_unit: run_ms_per_unit(order, operation, equipment)?,
        });
    }
    let reports = log
        .facts
        .iter()
        .filter_map(|f| match &f.fact {
            FloorFact::Output {
                execution,
                good,
                scrap,
                ..
            } => Some(Report {
                execution: execution.clone(),
                at: f.at,
                good: *good,
                scrap: *scrap,
            }),
            _ => None,
        })
        .collect();
    Ok((machine_runs, reports))
}

/// One machine of a question: its record, calendar and events.
struct Machine<'a> {
    record: &'a Equipment,
    calendar: Option<&'a Calendar>,
    events: &'a MachineEvents,
}

/// What every machine of one question shares.
struct Question<'a> {
    period: Period,
    offset: i64,
    changeover_planned: bool,
    log: &'a SiteLog,
    runs: std::collections::BTreeMap<String, time::Run>,
    orders: HashMap<String, ProductionOrder>,
}

/// The tallies of `machine` over `buckets`.
fn machine_tallies(
    q: &Question<'_>,
    machine: &Machine<'_>,
    buckets: &[Span],
) -> Result<Vec<Tally>, OutOfRange> {
    let (from, to) = (q.period.from, q.period.to);
    let e = machine.events;
    let states = timeline::with_outages(
        timeline::intervals(&e.changes, &e.assigned, from, to),
        &e.outages,
        from,
        to,
    );
    let planned = planned(machine.calendar, machine.record, q.offset, q.period);
    let (runs, reports) = runs_on(q.log, &q.runs, &q.orders, machine.record)?;
    let produced = quantities::produced(&runs, &reports, &e.parts);
    compute::tally(
        &MachineInput {
            planned: &planned,
            states: &states,
            produced: &produced,
            counted: &e.parts,
            changeover_planned: q.changeover_planned,
        },
        buckets,
    )
}

/// The trend of `tallies` (one per bucket).
fn trend(buckets: &[Bucket], tallies: &[Tally]) -> Result<Vec<BucketFigures>, OutOfRange> {
    buckets
        .iter()
        .zip(tallies)
        .map(|(bucket, t)| {
            Ok(BucketFigures {
                bucket: bucket.clone(),
                figures: Figures::of(t)?,
            })
        })
        .collect()
}

/// What the machines of `site` share for one question.
async fn question<'a>(
    store: &Store,
    tenant: TenantId,
    (site, master): (&str, &SiteMaster),
    log: &'a SiteLog,
    period: Period,
    now: i64,
) -> Result<Question<'a>, HubError> {
    let runs = time::runs(&log.facts, now).map_err(out_of_range("site", site))?;
    Ok(Question {
        period,
        offset: master.utc_offset(),
        changeover_planned: master.changeover_planned(),
        log,
        runs,
        orders: load::orders_of(store, tenant, &log.facts).await?,
    })
}

/// The OEE of equipment `code` of `tenant` over `period` in buckets of
/// `bucket`, as of `now` (open runs end there): `NotFound` for an unknown
/// equipment, `Invalid` naming `bucket` for too many buckets. The answer
/// names the equipment's site; a caller whose reach is limited to some
/// sites checks it (the API answers 404 beyond them).
pub async fn equipment_oee(
    store: &Store,
    tenant: TenantId,
    code: &str,
    period: Period,
    bucket: BucketKind,
    now: i64,
) -> Result<EquipmentOee, HubError> {
    let record = service::get::<Equipment>(store, tenant, code).await?.record;
    let site = record.site.to_string();
    let master = load::site_master(store, tenant, &site).await?;
    let calendar = load::calendar_of(store, tenant, &record, &master).await?;
    let buckets = cut(bucket, calendar.as_ref(), master.utc_offset(), period)?;
    let log = load::site_log(store, tenant, &site, &[record.code.to_string()]).await?;
    let q = question(store, tenant, (&site, &master), &log, period, now).await?;
    let fail = out_of_range("equipment", code);
    let none = MachineEvents::default();
    let machine = Machine {
        record: &record,
        calendar: calendar.as_ref(),
        events: log.machines.get(record.code.as_str()).unwrap_or(&none),
    };
    let spans: Vec<Span> = buckets.iter().map(|b| (b.from, b.to)).collect();
    let tallies = machine_tallies(&q, &machine, &spans).map_err(&fail)?;
    let total = Tally::pooled(&tallies).map_err(&fail)?;
    let totals = Figures::of(&total).map_err(&fail)?;
    Ok(EquipmentOee {
        warnings: report::warnings(&format!("equipment {code}"), &totals),
        equipment: record.code.to_string(),
        name: record.name.clone(),
        site,
        calendar: calendar.map(|c| c.code.to_string()),
        changeover_planned: q.changeover_planned,
        from: period.from,
        to: period.to,
        bucket: bucket.as_str().to_string(),
        waterfall: report::waterfall(&total).map_err(&fail)?,
        pareto: report::pareto(&total, &master.reason_texts),
        trend: trend(&buckets, &tallies).map_err(&fail)?,
        totals,
    })
}

/// The OEE of site `site` of `tenant` over `period`: every active machine
/// of the site pooled (sums of numerators and denominators) per bucket of
/// `bucket` (shifts of the site's default calendar), and each machine's
/// totals; as of `now`. `NotFound` for an unknown site, `Invalid` naming
/// `bucket` for too many buckets.
pub async fn site_oee(
    store: &Store,
    tenant: TenantId,
    site: &str,
    period: Period,
    bucket: BucketKind,
    now: i64,
) -> Result<SiteOee, HubError> {
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
    let master = load::site_master(store, tenant, site).await?;
    let buckets = cut(bucket, master.calendar.as_ref(), master.utc_offset(), period)?;
    let spans: Vec<Span> = buckets.iter().map(|b| (b.from, b.to)).collect();
    let equipment = load::site_equipment(store, tenant, site).await?;
    let codes: Vec<String> = equipment.iter().map(|e| e.code.to_string()).collect();
    let log = load::site_log(store, tenant, site, &codes).await?;
    let q = question(store, tenant, (site, &master), &log, period, now).await?;
    let fail = out_of_range("site", site);
    let mut pooled: Vec<Tally> = vec![Tally::default(); spans.len()];
    let mut machines = Vec::with_capacity(equipment.len());
    let mut warnings = Vec::new();
    for record in &equipment {
        let calendar = load::calendar_of(store, tenant, record, &master).await?;
        let none = MachineEvents::default();
        let machine = Machine {
            record,
            calendar: calendar.as_ref(),
            events: log.machines.get(record.code.as_str()).unwrap_or(&none),
        };
        let tallies = machine_tallies(&q, &machine, &spans).map_err(&fail)?;
        for (sum, t) in pooled.iter_mut().zip(&tallies) {
            sum.add(t).map_err(&fail)?;
        }
        let totals = Figures::of(&Tally::pooled(&tallies).map_err(&fail)?).map_err(&fail)?;
        warnings.extend(report::warnings(&format!("equipment {}", record.code), &totals));
        machines.push(MachineTotals {
            equipment: record.code.to_string(),
            name: record.name.clone(),
            calendar: calendar.map(|c| c.code.to_string()),
            totals,
        });
    }
    let total = Tally::pooled(&pooled).map_err(&fail)?;
    Ok(SiteOee {
        site: site.to_string(),
        calendar: master.calendar.as_ref().map(|c| c.code.to_string()),
        changeover_planned: q.changeover_planned,
        from: period.from,
        to: period.to,
        bucket: bucket.as_str().to_string(),
        totals: Figures::of(&total).map_err(&fail)?,
        waterfall: report::waterfall(&total).map_err(&fail)?,
        pareto: report::pareto(&total, &master.reason_texts),
        trend: trend(&buckets, &pooled).map_err(&fail)?,
        equipment: machines,
        warnings,
    })
}
