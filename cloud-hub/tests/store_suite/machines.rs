//! The latest event per machine, station and worker of a site
//! (`Store::latest_per_key`, what the board and the equipment list read):
//! the same answer through the keyed indexes (migration 0011) as through
//! reading every event of the kinds, whatever the arrival order, ties of
//! the same instant, events of another site or kinds outside the question.

use crate::fixtures::{Agent, agent_in, provision};
use crate::harness::TestDb;
use cloud_hub::ingest::{IngestBatch, IngestEvent};
use cloud_hub::store::{Store, TenantId};
use mes_protocols::wire::BufferReport;
use mes_protocols::{Incarnation, Seq};
use serde_json::{Value, json};

/// One agent's stream, numbering its events.
struct Stream {
    agent: Agent,
    incarnation: Incarnation,
    next: u64,
}

impl Stream {
    fn new(agent: Agent) -> Self {
        Stream {
            agent,
            incarnation: Incarnation::new_v7(),
            next: 1,
        }
    }

    /// Stores `events` (kind, hub time, data) in this order as one batch.
    async fn send(&mut self, store: &Store, events: &[(&str, i64, Value)]) {
        let first = self.next;
        let events: Vec<IngestEvent> = events
            .iter()
            .map(|(kind, at, data)| {
                let seq = self.next;
                self.next += 1;
                let id = uuid::Uuid::now_v7();
                IngestEvent {
                    seq: Seq(seq),
                    event_id: *id.as_bytes(),
                    kind: (*kind).into(),
                    known: true,
                    occurred_at: *at,
                    raw: json!({"seq": seq, "id": id, "kind": kind, "data": data}).to_string(),
                }
            })
            .collect();
        let batch = IngestBatch {
            agent_id: self.agent.auth.agent_id,
            incarnation: self.incarnation,
            first_seq: Seq(first),
            last_seq: Seq(self.next - 1),
            dropped: Vec::new(),
            buffer: BufferReport::default(),
            events,
            sent_at: mes_protocols::Timestamp::from_unix_millis(1_764_000_000_000),
            clock_offset_ms: None,
        };
        store
            .ingest(self.agent.auth.clone(), batch)
            .await
            .expect("the store answers")
            .expect("the batch is stored");
    }
}

/// (key, kind, hub time, the data's `n`) of each answer.
async fn latest(
    store: &Store,
    tenant: TenantId,
    site: &str,
    kinds: &'static [&'static str],
    path: &'static str,
) -> Vec<(String, String, i64, i64)> {
    store
        .latest_per_key(tenant, site.into(), kinds, path)
        .await
        .expect("latest per key reads")
        .into_iter()
        .map(|(key, e)| {
            let raw: Value = serde_json::from_str(&e.raw).expect("raw JSON");
            (
                key,
                e.kind,
                e.occurred_at,
                raw["data"]["n"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

const ESC: &str = "equipment_state_changed";
const STARTED: &str = "operation_started";
const PAUSED: &str = "operation_paused";
const RESUMED: &str = "operation_resumed";
const FINISHED: &str = "operation_finished";
const CLOCKED_IN: &str = "worker_clocked_in";
const CLOCKED_OUT: &str = "worker_clocked_out";

fn state(n: i64, equipment: &str, state: &str) -> Value {
    json!({"n": n, "equipment": equipment, "state": state})
}

fn op(n: i64, station: &str) -> Value {
    json!({"n": n, "run": {"execution": format!("x-{station}"), "order": "MO-1", "operation": "10", "station": station},
           "equipment": "E1"})
}

fn clock(n: i64, worker: &str) -> Value {
    json!({"n": n, "worker": worker, "station": "S1"})
}

/// Two agents at plant-1 and one at plant-2, events arriving late and at
/// the same instant; each question answered by hand below.
pub async fn latest_per_key_is_the_newest_event_of_the_site_per_key(db: &TestDb) {
    let store = &db.store;
    let a1 = provision(store, "latest").await;
    let tenant = a1.auth.tenant_id;
    let a2 = agent_in(store, "latest", "second").await;
    store.create_site("latest", "plant-2").expect("site created");
    let b = store
        .create_agent("latest", "plant-2", "far")
        .expect("agent created");
    let b = Agent {
        auth: store
            .agent_by_token(&b.token)
            .await
            .expect("token lookup works")
            .expect("the new token finds its agent"),
    };
    let (mut a1, mut a2, mut b) = (Stream::new(a1), Stream::new(a2), Stream::new(b));
    let (esc, started, paused, resumed, finished) = (ESC, STARTED, PAUSED, RESUMED, FINISHED);
    a1.send(
        store,
        &[
            (esc, 100, state(1, "E1", "running")),
            (esc, 300, state(2, "E1", "down")),
            (esc, 150, state(3, "E2", "running")),
            (started, 100, op(4, "S1")),
            (paused, 150, op(5, "S1")),
            (resumed, 160, op(6, "S1")),
            (started, 100, op(7, "S2")),
            (finished, 200, op(8, "S2")),
            ("worker_clocked_in", 100, clock(9, "W1")),
            ("worker_clocked_out", 200, clock(10, "W1")),
            (
                "parts_counted",
                400,
                json!({"n": 11, "equipment": "E1", "good": 1, "scrap": 0,
                                          "good_total": 1, "scrap_total": 0}),
            ),
        ],
    )
    .await;
    // Late: happened before what is stored; the same instant as E2's
    // running, arriving after it.
    a2.send(
        store,
        &[
            (esc, 200, state(12, "E1", "idle")),
            (esc, 150, state(13, "E2", "idle")),
            (started, 50, op(14, "S2")),
        ],
    )
    .await;
    // Another site: newer, and keys plant-1 never saw.
    b.send(
        store,
        &[
            (esc, 999, state(15, "E1", "setup")),
            (esc, 999, state(16, "E3", "running")),
            (started, 999, op(17, "S1")),
            ("worker_clocked_in", 999, clock(18, "W2")),
        ],
    )
    .await;
    let s = |v: &str| v.to_string();
    assert_eq!(
        latest(store, tenant, "plant-1", &[ESC], "equipment").await,
        [(s("E1"), s(esc), 300, 2), (s("E2"), s(esc), 150, 13)]
    );
    assert_eq!(
        latest(
            store,
            tenant,
            "plant-1",
            &[STARTED, PAUSED, RESUMED, FINISHED],
            "run.station"
        )
        .await,
        [(s("S1"), s(resumed), 160, 6), (s("S2"), s(finished), 200, 8)]
    );
    assert_eq!(
        latest(store, tenant, "plant-1", &[STARTED], "run.station").await,
        [(s("S1"), s(started), 100, 4), (s("S2"), s(started), 100, 7)]
    );
    assert_eq!(
        latest(store, tenant, "plant-1", &[CLOCKED_IN, CLOCKED_OUT], "worker").await,
        [(s("W1"), s("worker_clocked_out"), 200, 10)]
    );
    assert_eq!(
        latest(store, tenant, "plant-2", &[ESC], "equipment").await,
        [(s("E1"), s(esc), 999, 15), (s("E3"), s(esc), 999, 16)]
    );
    // No index holds starts by equipment: the same answer by reading them.
    assert_eq!(
        latest(store, tenant, "plant-1", &[STARTED], "equipment").await,
        [(s("E1"), s(started), 100, 7)]
    );
    assert!(
        latest(store, tenant, "nowhere", &[ESC], "equipment")
            .await
            .is_empty()
    );
}

/// The parts counted per machine of a site since an instant (the board's
/// "parts this shift"): summed per equipment, the instant itself counted,
/// earlier counts, other sites and counts naming no equipment left out.
pub async fn parts_since_sums_each_machines_counts_of_the_site(db: &TestDb) {
    let store = &db.store;
    let a = provision(store, "parts").await;
    let tenant = a.auth.tenant_id;
    store.create_site("parts", "plant-2").expect("site created");
    let far = store
        .create_agent("parts", "plant-2", "far")
        .expect("agent created");
    let far = Agent {
        auth: store
            .agent_by_token(&far.token)
            .await
            .expect("token lookup works")
            .expect("the new token finds its agent"),
    };
    let (mut a, mut far) = (Stream::new(a), Stream::new(far));
    let parts = |equipment: &str, good: i64, scrap: i64| json!({"equipment": equipment, "good": good, "scrap": scrap});
    a.send(
        store,
        &[
            ("parts_counted", 99, parts("E1", 100, 100)),
            ("parts_counted", 100, parts("E1", 5, 1)),
            ("parts_counted", 150, parts("E2", 7, 0)),
            ("parts_counted", 160, parts("E1", 3, 2)),
            ("parts_counted", 170, json!({"good": 50, "scrap": 0})),
            (ESC, 180, state(1, "E1", "running")),
        ],
    )
    .await;
    far.send(store, &[("parts_counted", 200, parts("E1", 40, 4))])
        .await;
    let sums: Vec<(String, i64, i64)> = store
        .parts_since(tenant, "plant-1".into(), 100)
        .await
        .expect("parts since reads")
        .into_iter()
        .map(|p| (p.equipment, p.good, p.scrap))
        .collect();
    assert_eq!(sums, [("E1".to_string(), 8, 3), ("E2".to_string(), 7, 0)]);
    assert!(
        store
            .parts_since(tenant, "plant-1".into(), 161)
            .await
            .expect("parts since reads")
            .is_empty(),
        "nothing counted since 161"
    );
}
