//! The prepared factory site shared by the cases, and small helpers to put
//! records and floor events into the store.
//!
//! Site `plant` (UTC+1), calendar `day`: Monday to Friday 06:00–14:00,
//! Wednesday 2026-05-06 a holiday, saw M1 in maintenance Tuesday
//! 06:00–08:00. M1 saw, M2 mill at twice the routing speed, M3 drill.
//! Material P: 10 saw (setup 30, 2 min/unit), 20 mill (3 min/unit);
//! material Q: 10 drill (1 min/unit). Orders, all released, due Monday
//! 2026-05-04 unless said: MO-A 100 P priority 2, MO-B 50 P, MO-C 200 P,
//! MO-D 60 Q due Friday. Planned from Monday 06:00 local.

use cloud_hub::masterdata::records as r;
use cloud_hub::masterdata::{MasterKind, service};
use cloud_hub::store::Store;
use cloud_hub::store::TenantId;
use mes_protocols::Incarnation;
use serde_json::{Value, json};

/// Monday 2026-05-04 06:00 at the site (05:00 UTC), epoch ms.
pub const MONDAY_0600: i64 = 1_777_870_800_000;

/// A provisioned tenant with the factory site.
pub struct Factory {
    /// The tenant's id.
    pub tenant: TenantId,
    /// An API token of the tenant.
    pub token: String,
    /// The site's agent, as the store authenticates it.
    pub agent: cloud_hub::store::AgentAuth,
}

/// Stores `record` (JSON of kind `T`) in `tenant` as it is, with the
/// record checks and references but without the create-only guards: the
/// fixture writes production orders already released or in progress, as
/// their lifecycle would have left them.
pub async fn put<T: MasterKind>(store: &Store, tenant: TenantId, record: Value) {
    let record: T = serde_json::from_value(record).expect("a valid record");
    let write = service::PendingWrite::new(&record, false, cloud_hub::store::Expect::Absent)
        .expect("the record is valid");
    service::write_all(store, tenant, vec![write])
        .await
        .expect("the record is created");
}

/// A tenant `slug` with site `plant` and the factory's records.
pub async fn factory(store: &Store, slug: &str) -> Factory {
    let tenant = store.create_tenant(slug).expect("tenant created");
    store.create_site(slug, "plant").expect("site created");
    let token = store
        .create_api_token(slug, "planning")
        .expect("token created")
        .token;
    let agent = store
        .create_agent(slug, "plant", "gateway")
        .expect("agent created");
    let agent = store
        .agent_by_token(&agent.token)
        .await
        .expect("token lookup works")
        .expect("the agent is found");
    let t = tenant;
    put::<r::Unit>(store, t, json!({"code": "pcs", "name": "piece"})).await;
    for m in ["P", "Q"] {
        put::<r::Material>(
            store,
            t,
            json!({"code": m, "name": m, "kind": "finished", "base_unit": "pcs", "lot_tracked": false, "standard_cost": "1"}),
        )
        .await;
    }
    put::<r::WorkerType>(store, t, json!({"code": "op", "name": "Operator"})).await;
    for ty in ["saw", "mill", "drill"] {
        put::<r::EquipmentType>(store, t, json!({"code": ty, "name": ty})).await;
    }
    let op = |n: u32, ty: &str, setup: &str, run: &str| {
        json!({"operation": n, "equipment_type": ty, "setup_minutes": setup,
               "run_minutes_per_unit": run, "worker_type": "op"})
    };
    put::<r::Routing>(
        store,
        t,
        json!({"material": "P", "versions": [{"version": "r1",
        "operations": [op(10, "saw", "30", "2"), op(20, "mill", "0", "3")]}]}),
    )
    .await;
    put::<r::Routing>(
        store,
        t,
        json!({"material": "Q", "versions": [{"version": "r1",
        "operations": [op(10, "drill", "0", "1")]}]}),
    )
    .await;
    put::<r::Equipment>(
        store,
        t,
        json!({"code": "M1", "name": "Saw", "equipment_type": "saw", "site": "plant"}),
    )
    .await;
    put::<r::Equipment>(
        store,
        t,
        json!({"code": "M2", "name": "Mill", "equipment_type": "mill", "site": "plant",
        "speed_factor": "2"}),
    )
    .await;
    put::<r::Equipment>(
        store,
        t,
        json!({"code": "M3", "name": "Drill", "equipment_type": "drill", "site": "plant"}),
    )
    .await;
    put::<r::Calendar>(
        store,
        t,
        json!({"code": "day", "name": "Day shift",
        "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "06:00", "end": "14:00"}],
        "holidays": [{"date": "2026-05-06", "name": "Holiday"}],
        "maintenance": [{"from": "2026-05-05T06:00", "to": "2026-05-05T08:00", "equipment": ["M1"]}]}),
    )
    .await;
    put::<r::SiteSettings>(
        store,
        t,
        json!({"code": "plant", "name": "Plant", "utc_offset_minutes": 60,
        "calendar": "day"}),
    )
    .await;
    for (code, material, qty, prio, due) in [
        ("MO-A", "P", "100", 2, "2026-05-04"),
        ("MO-B", "P", "50", 1, "2026-05-04"),
        ("MO-C", "P", "200", 1, "2026-05-04"),
        ("MO-D", "Q", "60", 1, "2026-05-08"),
    ] {
        put::<r::ProductionOrder>(
            store,
            t,
            json!({"code": code, "material": material, "quantity": qty,
            "priority": prio, "due": due, "site": "plant", "status": "released"}),
        )
        .await;
    }
    Factory { tenant, token, agent }
}

/// Stores floor events `(kind, data, occurred_at ms)` from the site's
/// agent as one batch numbered from `first_seq`.
pub async fn floor_events(
    store: &Store,
    f: &Factory,
    incarnation: Incarnation,
    first_seq: u64,
    events: &[(&str, Value, i64)],
) {
    use cloud_hub::ingest::{IngestBatch, IngestEvent};
    use mes_protocols::{Seq, Timestamp};
    let events: Vec<IngestEvent> = events
        .iter()
        .zip(first_seq..)
        .map(|((kind, data, at), seq)| {
            let id = uuid::Uuid::now_v7();
            let raw = json!({"seq": seq, "id": id, "occurred_at": Timestamp::from_unix_millis(*at),
                             "source": {"type": "device", "id": "plc"}, "kind": kind, "data": data});
            IngestEvent {
                seq: Seq(seq),
                event_id: *id.as_bytes(),
                kind: (*kind).to_string(),
                known: true,
                occurred_at: *at,
                raw: raw.to_string(),
            }
        })
        .collect();
    let batch = IngestBatch {
        agent_id: f.agent.agent_id,
        incarnation,
        first_seq: Seq(first_seq),
        last_seq: Seq(first_seq + events.len() as u64 - 1),
        dropped: Vec::new(),
        buffer: mes_protocols::wire::BufferReport {
            depth: 0,
            dropped_total: 0,
            refused_total: 0,
        },
        events,
        sent_at: mes_protocols::Timestamp::from_unix_millis(0),
        clock_offset_ms: None,
    };
    store
        .ingest(f.agent.clone(), batch)
        .await
        .expect("the store works")
        .expect("the batch is accepted");
}
