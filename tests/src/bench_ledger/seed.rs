//! What the ledger benchmark puts into a fresh hub store: a tenant with one
//! site and one agent, the master data the projection reads (units,
//! materials, a warehouse with its locations, stations each booking at a
//! location, the site's settings), and the floor's `material_consumed` /
//! `output_reported` events, ingested through `Store::ingest` exactly as
//! the hub stores a decoded batch (encoded with the agent's wire encoder,
//! decoded with the hub's `parse_body`).
//!
//! The shape is a small factory's: every material moves at three stations
//! of its own (so at three of the locations), lots change as the run goes
//! on (about `lots` lots per material), 40% of the events report output
//! into a lot and 60% consume from one, a third of the consumptions of
//! piece-counted materials in boxes (a unit conversion), and events of one
//! production order come from one run. Every event makes one ledger row.

use anyhow::Context;
use cloud_hub::ingest::IngestBatch;
use cloud_hub::masterdata::import::{AltUnit, MaterialKind};
use cloud_hub::masterdata::records::{Location, Material, SiteSettings, Station, Unit, Warehouse};
use cloud_hub::masterdata::service::{self, PendingWrite};
use cloud_hub::store::TenantId;
use cloud_hub::store::{AgentAuth, Expect, Store};
use mes_protocols::event::{MaterialConsumed, OperationRun, OutputReported};
use mes_protocols::wire::{BatchHeader, BufferReport, SCHEMA_VERSION, encode_batch};
use mes_protocols::{
    Code, EventBody, EventDraft, EventId, ExecutionId, Incarnation, Quantity, Seq, Source, Timestamp,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

/// The site every record and agent belongs to.
pub const SITE: &str = "plant-1";

/// How much master data and how many events.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Materials.
    pub materials: usize,
    /// Stock locations (one warehouse).
    pub locations: usize,
    /// Stations (each books at location `i % locations`).
    pub stations: usize,
    /// About how many lots each material goes through over the run.
    pub lots: usize,
    /// Events (= ledger rows).
    pub events: usize,
    /// Events per ingested batch.
    pub batch: usize,
}

/// A provisioned tenant and its first agent.
pub struct Tenant {
    /// The tenant id.
    pub id: TenantId,
    /// The first agent, as the store authenticates it.
    pub agent: AgentAuth,
}

fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

fn code(raw: String) -> anyhow::Result<Code> {
    Code::parse(&raw).map_err(|e| anyhow::anyhow!("code {raw:?}: {e}"))
}

/// Material `i`'s code.
pub fn material_code(i: usize) -> String {
    format!("M-{i:05}")
}

fn location_code(i: usize) -> String {
    format!("L-{i:03}")
}

fn station_code(i: usize) -> String {
    format!("ST-{i:03}")
}

/// Creates the tenant `slug`, its site and a first agent.
pub async fn provision(store: &Store, slug: &str) -> anyhow::Result<Tenant> {
    let id = store
        .create_tenant(slug)
        .with_context(|| format!("creating the tenant {slug}"))?;
    store.create_site(slug, SITE).context("creating the site")?;
    let agent = add_agent(store, slug, "gateway-1").await?;
    Ok(Tenant { id, agent })
}

/// Creates one more agent `name` at the site of tenant `slug`.
pub async fn add_agent(store: &Store, slug: &str, name: &str) -> anyhow::Result<AgentAuth> {
    let agent = store
        .create_agent(slug, SITE, name)
        .with_context(|| format!("creating the agent {name}"))?;
    store
        .agent_by_token(&agent.token)
        .await?
        .context("the new agent's token finds it")
}

fn pending<T: cloud_hub::masterdata::MasterKind>(record: &T) -> anyhow::Result<PendingWrite> {
    PendingWrite::new(record, false, Expect::Absent).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Writes the master data of `shape` in one transaction per kind.
pub async fn master_data(store: &Store, tenant: TenantId, shape: &Shape) -> anyhow::Result<()> {
    let site = code(SITE.into())?;
    let mut groups: Vec<Vec<PendingWrite>> = Vec::new();
    let units = [("kg", 3), ("pcs", 0), ("box", 0)];
    groups.push(
        units
            .iter()
            .map(|(c, decimals)| {
                pending(&Unit {
                    code: code((*c).into())?,
                    name: (*c).into(),
                    decimals: *decimals,
                })
            })
            .collect::<anyhow::Result<_>>()?,
    );
    groups.push(vec![pending(&Warehouse {
        code: code("WH-1".into())?,
        name: "main store".into(),
        site: site.clone(),
    })?]);
    groups.push(
        (0..shape.locations)
            .map(|i| {
                pending(&Location {
                    code: code(location_code(i))?,
                    name: format!("rack {i}"),
                    warehouse: code("WH-1".into())?,
                    site: site.clone(),
                })
            })
            .collect::<anyhow::Result<_>>()?,
    );
    groups.push(vec![pending(&SiteSettings {
        code: site.clone(),
        name: "plant one".into(),
        negative_stock: Default::default(),
        production_location: Some(code(location_code(0))?),
        utc_offset_minutes: 60,
        calendar: None,
        changeover_planned: false,
        material_waits: Default::default(),
        unapproved_receipts: Default::default(),
    })?]);
    groups.push(
        (0..shape.stations)
            .map(|i| {
                pending(&Station {
                    code: code(station_code(i))?,
                    name: format!("station {i}"),
                    site: site.clone(),
                    equipment: Vec::new(),
                    location: Some(code(location_code(i % shape.locations))?),
                })
            })
            .collect::<anyhow::Result<_>>()?,
    );
    groups.push(
        (0..shape.materials)
            .map(|i| {
                let pieces = i % 2 == 1;
                pending(&Material {
                    code: code(material_code(i))?,
                    name: format!("material {i}"),
                    kind: if pieces {
                        MaterialKind::SemiFinished
                    } else {
                        MaterialKind::Raw
                    },
                    base_unit: code(if pieces { "pcs" } else { "kg" }.into())?,
                    alt_units: if pieces {
                        vec![AltUnit {
                            unit: code("box".into())?,
                            factor: Decimal::from(12),
                        }]
                    } else {
                        Vec::new()
                    },
                    lot_tracked: true,
                    standard_cost: Decimal::new(1250 + i as i64, 2),
                })
            })
            .collect::<anyhow::Result<_>>()?,
    );
    for group in groups {
        service::write_all(store, tenant, group)
            .await
            .map_err(|e| anyhow::anyhow!("writing master data: {e}"))?;
    }
    Ok(())
}

/// Generates the events in arrival order, deterministically from `seed`.
pub struct Events {
    shape: Shape,
    rng: StdRng,
    next: usize,
    start_ms: i64,
}

impl Events {
    /// Events of `shape`, dated one every 50 ms from about a month ago.
    pub fn new(shape: Shape, seed: u64) -> Self {
        let now = now().unix_millis();
        Self {
            shape,
            rng: StdRng::seed_from_u64(seed),
            next: 0,
            start_ms: now - 30 * 24 * 3600 * 1000,
        }
    }

    /// The next event, or `None` after `shape.events`.
    fn draft(&mut self) -> anyhow::Result<Option<EventDraft>> {
        let n = self.next;
        if n >= self.shape.events {
            return Ok(None);
        }
        self.next += 1;
        let s = &self.shape;
        let m = self.rng.random_range(0..s.materials);
        let station = (m * 7 + self.rng.random_range(0..3)) % s.stations;
        // Lots follow time: about `lots` lots per material over the run.
        let lot_no = n * s.lots / s.events.max(1);
        let order_no = n / 500;
        let pieces = m % 2 == 1;
        let run = OperationRun {
            execution: ExecutionId(uuid::Uuid::from_u128(order_no as u128 + 1)),
            order: code(format!("PO-{order_no:06}"))?,
            operation: code("10".into())?,
            station: code(station_code(station))?,
        };
        let material = code(material_code(m))?;
        let lot = Some(code(format!("LOT-{m:05}-{lot_no:03}"))?);
        let base = code(if pieces { "pcs" } else { "kg" }.into())?;
        let body = if self.rng.random_range(0..10) < 4 {
            let good = if pieces {
                Decimal::from(self.rng.random_range(10..500))
            } else {
                Decimal::new(self.rng.random_range(1_000..500_000), 3)
            };
            EventBody::OutputReported(OutputReported {
                run,
                material,
                good,
                scrap: Decimal::ZERO,
                unit: base,
                scrap_reason: None,
                lot,
            })
        } else {
            let quantity = if pieces && self.rng.random_range(0..3) == 0 {
                Quantity::new(Decimal::from(self.rng.random_range(1..10)), code("box".into())?)
            } else if pieces {
                Quantity::new(Decimal::from(self.rng.random_range(1..200)), base)
            } else {
                Quantity::new(Decimal::new(self.rng.random_range(100..200_000), 3), base)
            };
            EventBody::MaterialConsumed(MaterialConsumed {
                run,
                material,
                lot,
                quantity,
            })
        };
        Ok(Some(EventDraft {
            id: EventId::new_v7(),
            occurred_at: Timestamp::from_unix_millis(self.start_ms + n as i64 * 50),
            source: Source::Station(code(station_code(station))?),
            body,
        }))
    }
}

impl Iterator for Events {
    type Item = anyhow::Result<EventDraft>;

    fn next(&mut self) -> Option<Self::Item> {
        self.draft().transpose()
    }
}

/// The wire body of a batch of `agent` (incarnation `incarnation`)
/// carrying `records` (events as [`EventDraft::to_record_json`] writes
/// them) numbered from `first`, as the agent's uplink encodes it.
pub fn encode(agent: &AgentAuth, incarnation: Incarnation, first: u64, records: &[String]) -> Vec<u8> {
    let last = first + records.len() as u64 - 1;
    let header = BatchHeader {
        schema_version: SCHEMA_VERSION,
        agent_id: agent.agent_id,
        incarnation,
        first_seq: Seq(first),
        last_seq: Seq(last),
        dropped: Vec::new(),
        buffer: BufferReport::default(),
        sent_at: now(),
    };
    encode_batch(
        &header,
        (first..=last).map(Seq).zip(records.iter().map(String::as_str)),
    )
}

/// One agent's events as the batches it sends: numbered from 1 in one
/// incarnation, a fixed number of events each, encoded with the agent's
/// wire encoder and decoded as the hub's ingest route decodes them.
pub struct Batches {
    drafts: Box<dyn Iterator<Item = anyhow::Result<EventDraft>> + Send>,
    size: usize,
    agent: AgentAuth,
    incarnation: Incarnation,
    next_seq: u64,
}

impl Batches {
    /// The batches of `agent` carrying `events`, `shape.batch` each.
    pub fn new(agent: AgentAuth, events: Events) -> Self {
        let size = events.shape.batch;
        Self::of(agent, events, size)
    }

    /// The batches of `agent` carrying `drafts` in their order, `size` each.
    pub fn of(
        agent: AgentAuth,
        drafts: impl Iterator<Item = anyhow::Result<EventDraft>> + Send + 'static,
        size: usize,
    ) -> Self {
        Self {
            drafts: Box::new(drafts),
            size: size.max(1),
            agent,
            incarnation: Incarnation::new_v7(),
            next_seq: 1,
        }
    }

    /// The next batch's wire body, or `None` after the last event.
    pub fn next_body(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        let mut records = Vec::with_capacity(self.size);
        while records.len() < self.size {
            match self.drafts.next().transpose()? {
                Some(d) => records.push(d.to_record_json()),
                None => break,
            }
        }
        if records.is_empty() {
            return Ok(None);
        }
        let body = encode(&self.agent, self.incarnation, self.next_seq, &records);
        self.next_seq += records.len() as u64;
        Ok(Some(body))
    }

    /// The next batch, or `None` after the last event.
    pub fn next_batch(&mut self) -> anyhow::Result<Option<IngestBatch>> {
        self.next_body()?
            .map(|body| cloud_hub::ingest::parse_body(&body, false, usize::MAX).context("decoding a batch"))
            .transpose()
    }
}

/// Stores `batch` of `agent` through `Store::ingest`; returns how many of
/// its events were stored now. A rejected batch is an error.
pub async fn send(store: &Store, agent: &AgentAuth, batch: IngestBatch) -> anyhow::Result<u64> {
    let (first, last) = (batch.first_seq.0, batch.last_seq.0);
    let outcome = store.ingest(agent.clone(), batch).await?.map_err(|r| {
        anyhow::anyhow!(
            "batch {first}..={last} of agent {} rejected: {r:?}",
            agent.agent_id
        )
    })?;
    Ok(outcome.stored)
}

/// Ingests every event of `events` as `agent` through `Store::ingest` in
/// batches of `shape.batch`; returns how long the store took (generation
/// excluded).
pub async fn ingest(store: &Store, agent: &AgentAuth, events: Events) -> anyhow::Result<Duration> {
    let mut batches = Batches::new(agent.clone(), events);
    let mut in_store = Duration::ZERO;
    while let Some(batch) = batches.next_batch()? {
        let started = Instant::now();
        send(store, agent, batch).await?;
        in_store += started.elapsed();
    }
    Ok(in_store)
}
