//! A small factory for the ledger cases: master data (units, materials
//! with alternative units, a routing, locations, a station), shop-floor
//! events as an agent sends them, and the projection run to the end.

use crate::fixtures::{Agent, provision};
use cloud_hub::ingest::{IngestBatch, IngestEvent};
use cloud_hub::inventory::documents::{self, StockDocument};
use cloud_hub::masterdata::records::{
    EquipmentType, Location, Material, ProductionOrder, Routing, SiteSettings, Station, Unit, Warehouse,
    WorkerType,
};
use cloud_hub::masterdata::service;
use cloud_hub::projection::project_step;
use cloud_hub::store::Store;
use cloud_hub::store::TenantId;
use mes_protocols::event::{MaterialConsumed, OperationRun, OutputReported};
use mes_protocols::wire::BufferReport;
use mes_protocols::{
    Code, EventBody, EventDraft, ExecutionId, Incarnation, Quantity, Seq, Source, Timestamp,
};
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;

/// A code from a literal.
pub fn code(s: &str) -> Code {
    Code::parse(s).expect("test codes are valid")
}

/// A decimal from a literal.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test decimals are valid")
}

async fn create<T: cloud_hub::masterdata::MasterKind>(
    store: &Store,
    tenant: TenantId,
    value: serde_json::Value,
) {
    let record: T = serde_json::from_value(value).expect("fixture records are valid JSON");
    service::create(store, tenant, record)
        .await
        .expect("fixture records are accepted");
}

/// The provisioned factory.
pub struct Floor {
    /// The agent that sends the floor's events.
    pub agent: Agent,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its buffer incarnation.
    pub incarnation: Incarnation,
    /// The next sequence number.
    pub next_seq: u64,
    /// The run events belong to.
    pub execution: ExecutionId,
}

/// Tenant `name` with site `plant-1`, and:
/// - units `pcs` (0 decimals) and `kg` (3 decimals), `box` and `sheet`;
/// - STEEL (kg, lot-tracked, 1 sheet = 2.5 kg), BOLT (pcs, 1 box = 100 pcs),
///   BRACKET (pcs, finished), with a routing: op 10 takes 0.25 kg STEEL and
///   2 pcs BOLT per bracket;
/// - warehouse W1 with locations STORE and LINE; station ST1 books at LINE;
/// - production order MO-1 for 100 brackets, released to plant-1.
pub async fn factory(store: &Store, name: &str) -> Floor {
    let agent = provision(store, name).await;
    let tenant = agent.auth.tenant_id;
    let t = tenant;
    create::<Unit>(store, t, json!({"code": "pcs", "name": "pieces"})).await;
    create::<Unit>(store, t, json!({"code": "kg", "name": "kilogram", "decimals": 3})).await;
    create::<Unit>(store, t, json!({"code": "box", "name": "box of bolts"})).await;
    create::<Unit>(store, t, json!({"code": "sheet", "name": "steel sheet"})).await;
    create::<Material>(
        store,
        t,
        json!({"code": "STEEL", "name": "Steel", "kind": "raw", "base_unit": "kg",
        "alt_units": [{"unit": "sheet", "factor": "2.5"}], "lot_tracked": true, "standard_cost": "1.2"}),
    )
    .await;
    create::<Material>(
        store,
        t,
        json!({"code": "BOLT", "name": "Bolt", "kind": "raw", "base_unit": "pcs",
        "alt_units": [{"unit": "box", "factor": "100"}], "lot_tracked": false, "standard_cost": "0.05"}),
    )
    .await;
    create::<Material>(
        store,
        t,
        json!({"code": "BRACKET", "name": "Bracket", "kind": "finished",
        "base_unit": "pcs", "lot_tracked": false, "standard_cost": "2"}),
    )
    .await;
    create::<EquipmentType>(store, t, json!({"code": "PRESS", "name": "Press"})).await;
    create::<WorkerType>(
        store,
        t,
        json!({"code": "OP", "name": "Operator", "hourly_rate": "30"}),
    )
    .await;
    create::<Routing>(
        store,
        t,
        json!({"material": "BRACKET", "versions": [{"version": "1", "operations": [
        {"operation": 10, "name": "Press", "equipment_type": "PRESS", "setup_minutes": "10",
         "run_minutes_per_unit": "0.5", "worker_type": "OP", "inputs": [
            {"material": "STEEL", "quantity_per_unit": "0.25", "unit": "kg"},
            {"material": "BOLT", "quantity_per_unit": "2", "unit": "pcs"}]}]}]}),
    )
    .await;
    create::<Warehouse>(store, t, json!({"code": "W1", "name": "Main", "site": "plant-1"})).await;
    create::<Location>(
        store,
        t,
        json!({"code": "STORE", "warehouse": "W1", "site": "plant-1"}),
    )
    .await;
    create::<Location>(
        store,
        t,
        json!({"code": "LINE", "warehouse": "W1", "site": "plant-1"}),
    )
    .await;
    create::<Station>(
        store,
        t,
        json!({"code": "ST1", "name": "Press station", "site": "plant-1", "location": "LINE"}),
    )
    .await;
    create::<SiteSettings>(
        store,
        t,
        json!({"code": "plant-1", "production_location": "LINE"}),
    )
    .await;
    create::<ProductionOrder>(
        store,
        t,
        json!({"code": "MO-1", "material": "BRACKET", "quantity": "100"}),
    )
    .await;
    cloud_hub::production::lifecycle::release(
        store,
        t,
        "MO-1",
        Some(code("plant-1")),
        time::macros::date!(2026 - 11 - 25),
    )
    .await
    .expect("MO-1 releases");
    Floor {
        agent,
        tenant,
        incarnation: Incarnation::new_v7(),
        next_seq: 1,
        execution: ExecutionId::new_v7(),
    }
}

impl Floor {
    fn run(&self) -> OperationRun {
        OperationRun {
            execution: self.execution,
            order: code("MO-1"),
            operation: code("10"),
            station: code("ST1"),
        }
    }

    /// A `material_consumed` of `quantity` `unit` of `material` (lot) at `at`.
    pub fn consumed(
        &self,
        at: Timestamp,
        material: &str,
        lot: Option<&str>,
        quantity: &str,
        unit: &str,
    ) -> EventDraft {
        EventDraft::new(
            at,
            Source::Station(code("ST1")),
            EventBody::MaterialConsumed(MaterialConsumed {
                run: self.run(),
                material: code(material),
                lot: lot.map(code),
                quantity: Quantity::new(dec(quantity), code(unit)),
            }),
        )
    }

    /// An `output_reported` of brackets at `at`.
    pub fn output(&self, at: Timestamp, good: &str, scrap: &str) -> EventDraft {
        EventDraft::new(
            at,
            Source::Station(code("ST1")),
            EventBody::OutputReported(OutputReported {
                run: self.run(),
                material: code("BRACKET"),
                good: dec(good),
                scrap: dec(scrap),
                unit: code("pcs"),
                scrap_reason: (dec(scrap) > Decimal::ZERO).then(|| code("BURR")),
                lot: None,
            }),
        )
    }

    /// The batch carrying `drafts` with the next sequence numbers.
    pub fn batch(&mut self, drafts: &[EventDraft]) -> IngestBatch {
        let first = self.next_seq;
        let events: Vec<IngestEvent> = drafts
            .iter()
            .map(|d| {
                let seq = self.next_seq;
                self.next_seq += 1;
                let record = d.to_record_json();
                IngestEvent {
                    seq: Seq(seq),
                    event_id: *d.id.0.as_bytes(),
                    kind: d.body.kind().as_str().into(),
                    known: true,
                    occurred_at: d.occurred_at.unix_millis(),
                    raw: format!("{{\"seq\":{seq},{}", &record[1..]),
                }
            })
            .collect();
        IngestBatch {
            agent_id: self.agent.auth.agent_id,
            incarnation: self.incarnation,
            first_seq: Seq(first),
            last_seq: Seq(self.next_seq - 1),
            dropped: Vec::new(),
            buffer: BufferReport {
                depth: 0,
                dropped_total: 0,
                refused_total: 0,
            },
            events,
            sent_at: Timestamp::from_unix_millis(0),
            clock_offset_ms: None,
        }
    }

    /// Sends `drafts` as one batch.
    pub async fn send(&mut self, store: &Store, drafts: &[EventDraft]) -> IngestBatch {
        let batch = self.batch(drafts);
        store
            .ingest(self.agent.auth.clone(), batch.clone())
            .await
            .expect("the store works")
            .expect("the batch is accepted");
        batch
    }

    /// Posts stock document `doc` (JSON).
    pub async fn post(&self, store: &Store, doc: serde_json::Value) {
        let doc: StockDocument = serde_json::from_value(doc).expect("fixture documents are valid");
        documents::post(store, self.tenant, doc)
            .await
            .expect("the document is booked");
    }

    /// Runs the projection until it has caught up, in steps of `batch`.
    pub async fn project(&self, store: &Store, batch: usize) {
        let mut context = None;
        loop {
            let step = project_step(store, self.tenant, &mut context, batch)
                .await
                .expect("projection works");
            assert_eq!(step.issues, 0, "every fixture event is bookable");
            if step.events == 0 {
                return;
            }
        }
    }
}
