//! The hub's side of exactly-once, driven with hand-made batches on
//! `POST /api/v1/ingest` (encoded like the agent's, with
//! `mes_protocols::wire::encode_batch`): retries are answered with the same
//! acknowledgement and store nothing twice, events of a kind the hub does
//! not know are kept and flagged, and batches that disagree with what is
//! stored are refused whole.

use mes_protocols::wire::{BatchHeader, BufferReport, SCHEMA_VERSION, encode_batch, gzip};
use mes_protocols::{AgentId, Incarnation, Seq, Timestamp};
use mes_tests::{HubProcess, Provisioned, hub_agents, hub_event_ids, hub_event_rows};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use uuid::Uuid;

/// A hub with one provisioned agent, and a client posting its batches.
struct Hub {
    process: HubProcess,
    creds: Provisioned,
    client: reqwest::Client,
    incarnation: Incarnation,
    _dir: tempfile::TempDir,
}

impl Hub {
    async fn start() -> Hub {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut process = HubProcess::new(env!("CARGO_BIN_EXE_hub").as_ref(), dir.path()).expect("hub");
        let creds = process.provision("acme", "plant-1").expect("provision");
        process.start().await.expect("hub starts");
        Hub {
            process,
            creds,
            client: reqwest::Client::new(),
            incarnation: Incarnation::new_v7(),
            _dir: dir,
        }
    }

    /// Posts a batch of `records` (stored event JSON without `seq`) numbered
    /// from `first`; returns the status and the JSON answer.
    async fn send(&self, first: u64, records: &[String]) -> (u16, Value) {
        let agent_id: AgentId = self
            .creds
            .agent_id
            .parse()
            .expect("the hub prints a valid agent id");
        let header = BatchHeader {
            schema_version: SCHEMA_VERSION,
            agent_id,
            incarnation: self.incarnation,
            first_seq: Seq(first),
            last_seq: Seq(first + records.len() as u64 - 1),
            dropped: Vec::new(),
            buffer: BufferReport::default(),
            sent_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
        };
        let body = encode_batch(
            &header,
            records
                .iter()
                .enumerate()
                .map(|(i, r)| (Seq(first + i as u64), r.as_str())),
        );
        let response = self
            .client
            .post(format!("{}/api/v1/ingest", self.process.url()))
            .bearer_auth(&self.creds.agent_token)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(gzip(&body))
            .send()
            .await
            .expect("hub answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }

    async fn agent_row(&self) -> Value {
        hub_agents(&self.client, &self.process.url(), &self.creds.api_token)
            .await
            .expect("agents list")
            .into_iter()
            .next()
            .expect("the agent is listed")
    }

    fn stored(&self) -> std::collections::HashMap<Uuid, u32> {
        hub_event_ids(&self.process.db_path()).expect("read hub")
    }
}

/// A stored-event record (wire JSON without `seq`) of `kind` with `data`.
fn record(id: Uuid, kind: &str, data: Value) -> String {
    json!({
        "id": id,
        "occurred_at": "2026-03-02T07:15:00.000Z",
        "source": { "type": "device", "id": "press-1" },
        "kind": kind,
        "data": data,
    })
    .to_string()
}

fn parts(id: Uuid, total: u64) -> String {
    record(
        id,
        "parts_counted",
        json!({ "equipment": "press-1", "good": 1, "scrap": 0, "good_total": total, "scrap_total": 0 }),
    )
}

fn assert_ack(answer: &(u16, Value), acked: u64, stored: u64, duplicates: u64) {
    let (status, body) = answer;
    assert_eq!(*status, 200, "{body}");
    assert_eq!(
        (&body["acked_seq"], &body["stored"], &body["duplicates"]),
        (&json!(acked), &json!(stored), &json!(duplicates)),
        "acknowledgement {body}"
    );
}

#[tokio::test]
async fn events_of_an_unknown_future_kind_are_stored_raw_and_flagged() {
    let hub = Hub::start().await;
    let future = Uuid::now_v7();
    let records = vec![
        parts(Uuid::now_v7(), 1),
        record(
            future,
            "spindle_spectrum_sampled",
            json!({ "equipment": "press-1", "bins": [0.5, 1.25, 3.0], "unit": "mm/s" }),
        ),
        parts(Uuid::now_v7(), 2),
    ];
    assert_ack(&hub.send(1, &records).await, 3, 3, 0);

    let conn = Connection::open_with_flags(hub.process.db_path(), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open hub db");
    let (kind, known, raw): (String, bool, String) = conn
        .query_row(
            "SELECT kind, known_kind, raw FROM events WHERE event_id = ?1",
            [&future.as_bytes()[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("the unknown event is stored");
    assert_eq!(kind, "spindle_spectrum_sampled");
    assert!(!known, "flagged as a kind this hub does not know");
    let raw: Value = serde_json::from_str(&raw).expect("raw is the event JSON");
    assert_eq!(
        raw["data"]["bins"],
        json!([0.5, 1.25, 3.0]),
        "kept as sent: {raw}"
    );
    assert_eq!(raw["seq"], 2);

    let row = hub.agent_row().await;
    assert_eq!(row["unknown_kind_events"], 1, "{row}");
    assert_eq!(row["events_received"], 3, "{row}");

    // The same batch again (its answer was lost): same acknowledgement,
    // nothing stored or counted twice.
    assert_ack(&hub.send(1, &records).await, 3, 0, 3);
    let row = hub.agent_row().await;
    assert_eq!(
        (&row["unknown_kind_events"], &row["events_received"]),
        (&json!(1), &json!(3))
    );
    assert_eq!(hub_event_rows(&hub.process.db_path()).expect("rows"), 3);
}

/// An agent holds the same event twice when a client resent a request whose
/// first attempt was committed but not answered (the agent was killed). The
/// hub stores the id once; when the batch carrying the second copy is resent
/// (its answer lost too) the hub must give the same acknowledgement, not
/// take the copy for a different event and force a new incarnation.
#[tokio::test]
async fn a_resent_batch_with_an_event_the_hub_had_by_id_gets_the_same_acknowledgement() {
    let hub = Hub::start().await;
    let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    assert_ack(&hub.send(1, &[parts(a, 1), parts(b, 2)]).await, 2, 2, 0);
    let second = [parts(c, 3), parts(a, 1)];
    assert_ack(&hub.send(3, &second).await, 4, 1, 1);
    assert_ack(&hub.send(3, &second).await, 4, 0, 2);
    // An overlapping retry that reaches past what is stored.
    let d = Uuid::now_v7();
    assert_ack(
        &hub.send(3, &[parts(c, 3), parts(a, 1), parts(d, 4)]).await,
        5,
        1,
        2,
    );

    let stored = hub.stored();
    assert_eq!(stored.len(), 4);
    assert!(stored.values().all(|n| *n == 1));
    let row = hub.agent_row().await;
    assert_eq!(row["acked_seq"], 5, "{row}");
    assert_eq!(
        (&row["incarnations"], &row["anomalies"]),
        (&json!(1), &json!(0)),
        "{row}"
    );
}

#[tokio::test]
async fn batches_that_skip_or_rewrite_stored_numbers_are_refused_whole() {
    let hub = Hub::start().await;
    let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let records: Vec<String> = ids.iter().zip(1..).map(|(id, n)| parts(*id, n)).collect();
    assert_ack(&hub.send(1, &records).await, 4, 4, 0);

    // Numbers 5 and 6 never arrived: the hub cannot acknowledge past them.
    let late = Uuid::now_v7();
    let (status, body) = hub.send(7, &[parts(late, 7)]).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "sequence_gap");
    assert_eq!(body["error"]["acked_seq"], 4);

    // Number 3 is stored with another event (a buffer restored from an old
    // backup): nothing of the batch is stored, not even its new number 5.
    let (other, fresh) = (Uuid::now_v7(), Uuid::now_v7());
    let (status, body) = hub
        .send(3, &[parts(other, 3), parts(ids[3], 4), parts(fresh, 5)])
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "sequence_conflict");
    assert_eq!(body["error"]["acked_seq"], 4);

    let stored = hub.stored();
    assert_eq!(stored.len(), 4, "nothing of a refused batch is stored");
    assert!(![late, other, fresh].iter().any(|id| stored.contains_key(id)));
    let row = hub.agent_row().await;
    assert_eq!(row["acked_seq"], 4, "{row}");
    assert_eq!(
        row["anomalies"], 2,
        "both refusals are recorded for a person: {row}"
    );
}
