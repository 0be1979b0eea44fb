//! The factory the console benchmark reads, on top of the ledger
//! benchmark's (`bench_ledger::seed`: its tenant, site `plant-1`, units,
//! locations and materials, and its million `material_consumed` /
//! `output_reported` events, which stay the bulk of the ledger):
//!
//! - `machines` presses `EQ-000…` (type PRESS), each at a station of its own
//!   `WS-000…` booking at the site's production location, three workers per
//!   station (one per 8-hour shift);
//! - products `P-00…` (each with a routing: op 10 on a press, two raw
//!   materials `R-00…` as inputs) and a receipt of every raw material;
//! - `orders` production orders `MO-00000…` for them, `orders / machines`
//!   per station in time order: the oldest closed or completed, then in
//!   progress, one running now on every fourth press, then released and
//!   draft ones (codes shuffled, so a list page mixes statuses);
//! - the floor's events of the last `days` days, in time order: a run per
//!   order that started (start, two consumptions, a pause on every third,
//!   output, finish), a state change every 15-45 minutes and a parts count
//!   every 15 minutes per press, and each shift's clock-in and clock-out
//!   (the current shift's workers are clocked in).
//!
//! Everything is generated from one seed; the events are sent by an agent
//! of their own through `Store::ingest`, as the ledger benchmark sends its
//! own.

use anyhow::Context;
use cloud_hub::costing::CostingSettings;
use cloud_hub::inventory::documents::{self, StockDocument};
use cloud_hub::masterdata::MasterKind;
use cloud_hub::masterdata::records::{
    Equipment, EquipmentType, Material, ProductionOrder, ProductionStatus, Routing, Station, Worker,
    WorkerType,
};
use cloud_hub::masterdata::service::{self, PendingWrite};
use cloud_hub::store::{Expect, Store, TenantId};
use mes_protocols::event::{
    EquipmentState, EquipmentStateChanged, MaterialConsumed, OperationPaused, OperationRun, OperationStarted,
    OutputReported, PartsCounted, WorkerClock,
};
use mes_protocols::{Code, EventBody, EventDraft, ExecutionId, Quantity, Source, Timestamp};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::json;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const SHIFT: i64 = 8 * HOUR;
const SITE: &str = super::super::bench_ledger::seed::SITE;

/// How big the console's factory is.
#[derive(Debug, Clone, Copy)]
pub struct FloorShape {
    /// Presses (one station each).
    pub machines: usize,
    /// Production orders.
    pub orders: usize,
    /// Days of floor history.
    pub days: i64,
    /// Finished products.
    pub products: usize,
    /// Raw materials.
    pub raws: usize,
}

/// What the generated factory holds, for the measurements to name.
#[derive(Debug, Clone)]
pub struct Floor {
    /// An order that ran, paused and completed: the order detail's.
    pub detail_order: String,
    /// The orders by status, for the report.
    pub statuses: Vec<(ProductionStatus, usize)>,
    /// Floor events generated (all sent).
    pub events: usize,
    /// Runs started, and how many of them are running now.
    pub runs: (usize, usize),
}

fn code(raw: &str) -> anyhow::Result<Code> {
    Code::parse(raw).map_err(|e| anyhow::anyhow!("code {raw:?}: {e}"))
}

fn pending<T: MasterKind>(record: &T) -> anyhow::Result<PendingWrite> {
    PendingWrite::new(record, false, Expect::Absent).map_err(|e| anyhow::anyhow!("{e}"))
}

/// A record of type `$kind` from its JSON (serde's bound cannot be named
/// here without a dependency on serde itself).
macro_rules! from_json {
    ($kind:ty, $value:expr $(,)?) => {
        serde_json::from_value::<$kind>($value).context(concat!("a generated ", stringify!($kind)))
    };
}

fn equipment(s: usize) -> String {
    format!("EQ-{s:03}")
}

fn station(s: usize) -> String {
    format!("WS-{s:03}")
}

fn raw(r: usize) -> String {
    format!("R-{r:02}")
}

fn product(p: usize) -> String {
    format!("P-{p:02}")
}

/// The worker of shift `shift` (counted back from now) at station `s`.
fn worker(shape: &FloorShape, s: usize, shift: i64) -> String {
    format!("W-{:04}", (shift as usize % 3) * shape.machines + s)
}

/// How an order stands, by its place `k` in its station's sequence of
/// `per_station` (time order) and the station `s`.
fn status_of(k: usize, per_station: usize, s: usize) -> (ProductionStatus, Run) {
    let ran = per_station * 4 / 5;
    let in_progress = ran * 3 / 4;
    match k {
        k if k < ran / 5 => (ProductionStatus::Closed, Run::Finished { complete: true }),
        k if k < in_progress => (ProductionStatus::Completed, Run::Finished { complete: true }),
        k if k < ran => (ProductionStatus::InProgress, Run::Finished { complete: false }),
        k if k == ran && s.is_multiple_of(4) => (ProductionStatus::InProgress, Run::Running),
        k if k < per_station - per_station / 10 => (ProductionStatus::Released, Run::None),
        _ => (ProductionStatus::Draft, Run::None),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    None,
    Finished { complete: bool },
    Running,
}

/// Writes the factory's master data and orders and receives every raw
/// material; returns the orders' codes by (station, place) and the
/// products' routings.
pub async fn master_data(
    store: &Store,
    tenant: TenantId,
    shape: &FloorShape,
    seed: u64,
    now: i64,
) -> anyhow::Result<Vec<Vec<String>>> {
    let t = tenant;
    let mut groups: Vec<Vec<PendingWrite>> = vec![
        vec![
            pending(&from_json!(
                EquipmentType,
                json!({"code": "PRESS", "name": "Press"})
            )?)?,
            pending(&from_json!(
                WorkerType,
                json!({"code": "OP", "name": "Operator", "hourly_rate": "30"}),
            )?)?,
        ],
        (0..shape.machines)
            .map(|s| {
                pending(&from_json!(
                    Equipment,
                    json!({
                    "code": equipment(s), "name": format!("Press {s}"), "equipment_type": "PRESS",
                    "site": SITE, "hourly_rate": "60"})
                )?)
            })
            .collect::<anyhow::Result<_>>()?,
        (0..shape.machines)
            .map(|s| {
                pending(&from_json!(
                    Station,
                    json!({
                    "code": station(s), "name": format!("Press station {s}"), "site": SITE,
                    "equipment": [equipment(s)]})
                )?)
            })
            .collect::<anyhow::Result<_>>()?,
        (0..shape.machines * 3)
            .map(|w| {
                pending(&from_json!(
                    Worker,
                    json!({
                    "code": format!("W-{w:04}"), "name": format!("Worker {w}"),
                    "badge": format!("B-{w:04}"), "worker_type": "OP", "site": SITE})
                )?)
            })
            .collect::<anyhow::Result<_>>()?,
        (0..shape.raws)
            .map(|r| {
                pending(&from_json!(
                    Material,
                    json!({
                    "code": raw(r), "name": format!("Raw {r}"), "kind": "raw", "base_unit": "kg",
                    "lot_tracked": false, "standard_cost": "1.5"})
                )?)
            })
            .chain((0..shape.products).map(|p| {
                pending(&from_json!(
                    Material,
                    json!({
                    "code": product(p), "name": format!("Product {p}"), "kind": "finished",
                    "base_unit": "pcs", "lot_tracked": false, "standard_cost": "12"})
                )?)
            }))
            .collect::<anyhow::Result<_>>()?,
        vec![pending(&from_json!(
            CostingSettings,
            json!({"code": SITE, "overhead": {"percent_of_conversion": "10"}}),
        )?)?],
    ];
    let routings: Vec<Routing> = (0..shape.products)
        .map(|p| {
            from_json!(Routing, json!({"material": product(p), "versions": [{"version": "1", "operations": [
                {"operation": 10, "name": "Press", "equipment_type": "PRESS", "setup_minutes": "10",
                 "run_minutes_per_unit": "0.5", "worker_type": "OP", "inputs": [
                    {"material": raw((2 * p) % shape.raws), "quantity_per_unit": "0.25", "unit": "kg"},
                    {"material": raw((2 * p + 1) % shape.raws), "quantity_per_unit": "0.1", "unit": "kg"}]}]}]}))
        })
        .collect::<anyhow::Result<_>>()?;
    groups.push(routings.iter().map(pending).collect::<anyhow::Result<_>>()?);
    for group in groups {
        service::write_all(store, t, group)
            .await
            .map_err(|e| anyhow::anyhow!("writing the floor's master data: {e}"))?;
    }
    let start = now - shape.days * 24 * HOUR;
    for r in 0..shape.raws {
        let doc = from_json!(
            StockDocument,
            json!({
            "type": "receipt", "document": format!("REC-{r:02}"), "location": "L-000",
            "material": raw(r), "quantity": "1000000", "unit": "kg", "unit_price": "1.40",
            "occurred_at": Timestamp::from_unix_millis(start - HOUR)})
        )?;
        documents::post(store, t, doc)
            .await
            .map_err(|e| anyhow::anyhow!("receiving {}: {e}", raw(r)))?;
    }
    orders(store, t, shape, &routings, seed, start).await
}

/// The orders, written 500 at a time (as an import would).
async fn orders(
    store: &Store,
    tenant: TenantId,
    shape: &FloorShape,
    routings: &[Routing],
    seed: u64,
    start: i64,
) -> anyhow::Result<Vec<Vec<String>>> {
    let per_station = (shape.orders / shape.machines).max(1);
    let mut places: Vec<(usize, usize)> = (0..shape.machines)
        .flat_map(|s| (0..per_station).map(move |k| (s, k)))
        .collect();
    places.shuffle(&mut StdRng::seed_from_u64(seed));
    let mut codes = vec![vec![String::new(); per_station]; shape.machines];
    let slot = slot_ms(shape, per_station);
    let mut all = Vec::with_capacity(places.len());
    for (i, &(s, k)) in places.iter().enumerate() {
        let order_code = format!("MO-{i:05}");
        codes[s][k] = order_code.clone();
        let (status, run) = status_of(k, per_station, s);
        let p = (s + k) % shape.products;
        let slot_start = start + k as i64 * slot;
        let due = time::OffsetDateTime::from_unix_timestamp((slot_start + 2 * slot) / 1000)
            .context("a due date")?
            .date();
        all.push(ProductionOrder {
            code: code(&order_code)?,
            material: code(&product(p))?,
            quantity: Decimal::from(100),
            due: Some(due),
            priority: 1,
            routing_version: Some(code("1")?),
            bom_version: None,
            site: (status != ProductionStatus::Draft)
                .then(|| code(SITE))
                .transpose()?,
            status,
            sales_order: None,
            operations: match status {
                ProductionStatus::Draft => Vec::new(),
                _ => routings[p].versions[0].operations.clone(),
            },
            released_at: (status != ProductionStatus::Draft)
                .then(|| Timestamp::from_unix_millis(slot_start - slot)),
            ended_at: matches!(run, Run::Finished { complete: true })
                .then(|| Timestamp::from_unix_millis(slot_start + slot - 10 * MINUTE)),
        });
    }
    for chunk in all.chunks(500) {
        let writes = chunk
            .iter()
            .map(|o| PendingWrite::new(o, false, Expect::Absent).map_err(|e| anyhow::anyhow!("{e}")))
            .collect::<anyhow::Result<_>>()?;
        service::write_all(store, tenant, writes)
            .await
            .map_err(|e| anyhow::anyhow!("writing orders: {e}"))?;
    }
    Ok(codes)
}

/// The time each order of a station has: the runs of the first 80% of a
/// station's orders (and the one running now) fill the history.
fn slot_ms(shape: &FloorShape, per_station: usize) -> i64 {
    shape.days * 24 * HOUR / (per_station * 4 / 5 + 1).max(1) as i64
}

/// The floor's events in time order, and what they hold.
pub fn events(
    shape: &FloorShape,
    codes: &[Vec<String>],
    seed: u64,
    now: i64,
) -> anyhow::Result<(Vec<EventDraft>, Floor)> {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1));
    let start = now - shape.days * 24 * HOUR;
    let per_station = codes.first().map_or(0, Vec::len);
    let slot = slot_ms(shape, per_station);
    let mut out: Vec<EventDraft> = Vec::new();
    let mut runs = (0, 0);
    let mut detail_order = None;
    let mut statuses: std::collections::BTreeMap<&'static str, (ProductionStatus, usize)> =
        std::collections::BTreeMap::new();
    for (s, station_codes) in codes.iter().enumerate().take(shape.machines) {
        let eq = code(&equipment(s))?;
        let st = code(&station(s))?;
        let device = || Source::Device(eq.clone());
        let at_station = || Source::Station(st.clone());
        // States: a change every 15-45 minutes.
        let mut at = start + rng.random_range(0..30) * MINUTE;
        while at < now {
            let roll = rng.random_range(0..100);
            let (state, reason) = match roll {
                0..60 => (EquipmentState::Running, None),
                60..75 => (EquipmentState::Idle, None),
                75..85 => (EquipmentState::Setup, None),
                _ => (EquipmentState::Down, Some(code(&format!("E-{:02}", roll - 85))?)),
            };
            out.push(EventDraft::new(
                Timestamp::from_unix_millis(at),
                device(),
                EventBody::EquipmentStateChanged(EquipmentStateChanged {
                    equipment: eq.clone(),
                    state,
                    reason,
                }),
            ));
            at += rng.random_range(15..45) * MINUTE;
        }
        // Parts: a count every 15 minutes.
        let (mut good_total, mut scrap_total) = (0, 0);
        let mut at = start + rng.random_range(0..15) * MINUTE;
        while at < now {
            let (good, scrap) = (rng.random_range(10..40), rng.random_range(0..3));
            good_total += good;
            scrap_total += scrap;
            out.push(EventDraft::new(
                Timestamp::from_unix_millis(at),
                device(),
                EventBody::PartsCounted(PartsCounted {
                    equipment: eq.clone(),
                    good,
                    scrap,
                    good_total,
                    scrap_total,
                }),
            ));
            at += 15 * MINUTE;
        }
        // Shifts, counted back from now: shift 0 is the current one.
        for shift in 0..shape.days * 3 {
            let begins = now - (shift + 1) * SHIFT + rng.random_range(0..5) * MINUTE;
            let clock = WorkerClock {
                worker: code(&worker(shape, s, shift))?,
                station: st.clone(),
            };
            out.push(EventDraft::new(
                Timestamp::from_unix_millis(begins),
                at_station(),
                EventBody::WorkerClockedIn(clock.clone()),
            ));
            if shift > 0 {
                let ends = now - shift * SHIFT - rng.random_range(0..5) * MINUTE;
                out.push(EventDraft::new(
                    Timestamp::from_unix_millis(ends),
                    at_station(),
                    EventBody::WorkerClockedOut(clock),
                ));
            }
        }
        // Runs, one per order that reached the floor.
        for (k, order) in station_codes.iter().enumerate() {
            let (status, run_kind) = status_of(k, per_station, s);
            statuses.entry(status.as_str()).or_insert((status, 0)).1 += 1;
            if run_kind == Run::None {
                continue;
            }
            let p = (s + k) % shape.products;
            let run = OperationRun {
                execution: ExecutionId(uuid::Uuid::from_u128(rng.random())),
                order: code(order)?,
                operation: code("10")?,
                station: st.clone(),
            };
            let begins = start + k as i64 * slot + 5 * MINUTE;
            let shift = (now - begins) / SHIFT;
            let ends = (begins + slot - 15 * MINUTE).min(now - MINUTE);
            let ts = Timestamp::from_unix_millis;
            let body_at = |at: i64, body: EventBody| EventDraft::new(ts(at), at_station(), body);
            runs.0 += 1;
            out.push(body_at(
                begins,
                EventBody::OperationStarted(OperationStarted {
                    run: run.clone(),
                    equipment: eq.clone(),
                    workers: vec![code(&worker(shape, s, shift))?],
                }),
            ));
            for (i, (input, per_unit)) in [((2 * p) % shape.raws, 25), ((2 * p + 1) % shape.raws, 10)]
                .into_iter()
                .enumerate()
            {
                out.push(body_at(
                    begins + (2 + i as i64) * MINUTE,
                    EventBody::MaterialConsumed(MaterialConsumed {
                        run: run.clone(),
                        material: code(&raw(input))?,
                        lot: None,
                        quantity: Quantity::new(Decimal::from(per_unit), code("kg")?),
                    }),
                ));
            }
            let paused = s % 3 == 0;
            if paused {
                out.push(body_at(
                    begins + 30 * MINUTE,
                    EventBody::OperationPaused(OperationPaused {
                        run: run.clone(),
                        reason: Some(code("MATERIAL")?),
                    }),
                ));
                if run_kind != Run::Running || s % 12 != 0 {
                    out.push(body_at(
                        begins + 45 * MINUTE,
                        EventBody::OperationResumed(run.clone()),
                    ));
                }
            }
            let good = match run_kind {
                Run::Finished { complete: true } => rng.random_range(95..=100),
                _ => 40,
            };
            let scrap = rng.random_range(0..4);
            out.push(body_at(
                ends - 5 * MINUTE,
                EventBody::OutputReported(OutputReported {
                    run: run.clone(),
                    material: code(&product(p))?,
                    good: Decimal::from(good),
                    scrap: Decimal::from(scrap),
                    unit: code("pcs")?,
                    scrap_reason: (scrap > 0).then(|| code("BURR")).transpose()?,
                    lot: None,
                }),
            ));
            if run_kind == Run::Running {
                runs.1 += 1;
                continue;
            }
            out.push(body_at(ends, EventBody::OperationFinished(run)));
            if paused && status == ProductionStatus::Completed && detail_order.is_none() {
                detail_order = Some(order.clone());
            }
        }
    }
    out.sort_by_key(|e| e.occurred_at.unix_millis());
    let floor = Floor {
        detail_order: detail_order.context("no completed order that paused")?,
        statuses: statuses.into_values().collect(),
        events: out.len(),
        runs,
    };
    Ok((out, floor))
}
