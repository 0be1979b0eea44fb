//! The hub's ingest endpoint against bad and repeated requests, over real
//! HTTP: every rejection answers with its JSON error and stores nothing; a
//! retried batch changes nothing.

use mes_protocols::event::{EquipmentState, EquipmentStateChanged};
use mes_protocols::wire::{BatchHeader, BufferReport, SCHEMA_VERSION, encode_batch, gzip};
use mes_protocols::{AgentId, Code, EventBody, EventDraft, Incarnation, Seq, Source, Timestamp};
use mes_tests::{Binaries, HubProcess, Provisioned, hub_event_rows};
use reqwest::StatusCode;
use serde_json::Value;

struct Fixture {
    _dir: tempfile::TempDir,
    hub: HubProcess,
    creds: Provisioned,
    client: reqwest::Client,
}

async fn fixture() -> Fixture {
    let bins = Binaries {
        hub: env!("CARGO_BIN_EXE_hub").into(),
        agent: env!("CARGO_BIN_EXE_agent").into(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hub = HubProcess::new(&bins.hub, dir.path()).expect("hub");
    let creds = hub.provision("acme", "plant-1").expect("provision");
    hub.start().await.expect("hub starts");
    Fixture {
        _dir: dir,
        hub,
        creds,
        client: reqwest::Client::new(),
    }
}

fn draft(n: u64) -> EventDraft {
    let code = Code::parse(&format!("press-{n}")).expect("valid code");
    EventDraft::new(
        Timestamp::from_unix_millis(1_764_000_000_000 + n as i64),
        Source::Device(code.clone()),
        EventBody::EquipmentStateChanged(EquipmentStateChanged {
            equipment: code,
            state: EquipmentState::Idle,
            reason: None,
        }),
    )
}

fn header(agent: &str, incarnation: Incarnation, first: u64, last: u64) -> BatchHeader {
    BatchHeader {
        schema_version: SCHEMA_VERSION,
        agent_id: agent.parse().expect("agent id"),
        incarnation,
        first_seq: Seq(first),
        last_seq: Seq(last),
        dropped: vec![],
        buffer: BufferReport::default(),
        sent_at: Timestamp::from_unix_millis(1_764_000_000_000),
    }
}

fn batch(header: &BatchHeader, events: &[(u64, &EventDraft)]) -> Vec<u8> {
    let records: Vec<(Seq, String)> = events
        .iter()
        .map(|(s, d)| (Seq(*s), d.to_record_json()))
        .collect();
    encode_batch(header, records.iter().map(|(s, r)| (*s, r.as_str())))
}

impl Fixture {
    async fn post(&self, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/api/v1/ingest", self.hub.url()))
            .bearer_auth(token)
            .header("content-encoding", "gzip")
            .body(gzip(&body))
            .send()
            .await
            .expect("hub answers");
        let status = response.status();
        (status, response.json().await.expect("JSON body"))
    }

    fn rows(&self) -> u64 {
        hub_event_rows(&self.hub.db_path()).expect("read hub db")
    }

    /// Asserts a rejection: status, error code, named field, and nothing stored.
    async fn assert_rejected(
        &self,
        token: &str,
        body: Vec<u8>,
        status: StatusCode,
        code: &str,
        field: Option<&str>,
    ) -> Value {
        let before = self.rows();
        let (got, json) = self.post(token, body).await;
        assert_eq!(got, status, "{json}");
        assert_eq!(json["error"]["code"], code, "{json}");
        assert!(
            json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{json}"
        );
        if let Some(field) = field {
            assert_eq!(json["error"]["field"], field, "{json}");
        }
        assert_eq!(self.rows(), before, "a rejected batch stores nothing");
        json
    }

    /// A batch of the fixture's own agent.
    fn own(&self, incarnation: Incarnation, first: u64, last: u64, events: &[(u64, &EventDraft)]) -> Vec<u8> {
        batch(&header(&self.creds.agent_id, incarnation, first, last), events)
    }

    /// Posts with the fixture's own agent token.
    async fn post_own(&self, body: Vec<u8>) -> (StatusCode, Value) {
        self.post(&self.creds.agent_token, body).await
    }

    /// [`assert_rejected`](Self::assert_rejected) with the own agent token.
    async fn assert_rejected_own(
        &self,
        body: Vec<u8>,
        status: StatusCode,
        code: &str,
        field: Option<&str>,
    ) -> Value {
        self.assert_rejected(&self.creds.agent_token, body, status, code, field)
            .await
    }
}

#[tokio::test]
async fn retried_batch_is_stored_once() {
    let f = fixture().await;
    let inc = Incarnation::new_v7();
    let events: Vec<EventDraft> = (1..=3).map(draft).collect();
    let body = f.own(inc, 1, 3, &[(1, &events[0]), (2, &events[1]), (3, &events[2])]);
    let (status, ack) = f.post_own(body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        (ack["acked_seq"].as_u64(), ack["stored"].as_u64()),
        (Some(3), Some(3))
    );
    let (status, ack) = f.post_own(body).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        (ack["stored"].as_u64(), ack["duplicates"].as_u64()),
        (Some(0), Some(3))
    );
    // An overlapping batch (2..=4) stores only the new event.
    let fourth = draft(4);
    let body = f.own(inc, 2, 4, &[(2, &events[1]), (3, &events[2]), (4, &fourth)]);
    let (status, ack) = f.post_own(body).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        (ack["stored"].as_u64(), ack["acked_seq"].as_u64()),
        (Some(1), Some(4))
    );
    assert_eq!(f.rows(), 4);
}

#[tokio::test]
async fn wrong_or_missing_token_is_401() {
    let f = fixture().await;
    let e = draft(1);
    let body = batch(
        &header(&f.creds.agent_id, Incarnation::new_v7(), 1, 1),
        &[(1, &e)],
    );
    f.assert_rejected(
        "mesa_not-a-token",
        body.clone(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    )
    .await;
    // A tenant API token is not an agent token.
    f.assert_rejected(
        &f.creds.api_token,
        body.clone(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    )
    .await;
    let response = f
        .client
        .post(format!("{}/api/v1/ingest", f.hub.url()))
        .body(body)
        .send()
        .await
        .expect("hub answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_of_agent_a_posting_as_agent_b_is_403() {
    let f = fixture().await;
    let other = f
        .hub
        .cli(&[
            "agent", "add", "--tenant", "acme", "--site", "plant-1", "--name", "b",
        ])
        .expect("agent b");
    let b_id: AgentId = other
        .lines()
        .find_map(|l| l.strip_prefix("agent_id = "))
        .map(|v| v.trim_matches('"').parse().expect("uuid"))
        .expect("agent b id");
    let e = draft(1);
    let body = batch(
        &header(&b_id.to_string(), Incarnation::new_v7(), 1, 1),
        &[(1, &e)],
    );
    f.assert_rejected_own(body, StatusCode::FORBIDDEN, "forbidden", Some("agent_id"))
        .await;
}

#[tokio::test]
async fn malformed_json_is_400() {
    let f = fixture().await;
    let token = f.creds.agent_token.clone();
    f.assert_rejected(
        &token,
        b"{\"schema_version\": 1, \"events\": [".to_vec(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
        None,
    )
    .await;
    let e = draft(1);
    let body = batch(
        &header(&f.creds.agent_id, Incarnation::new_v7(), 1, 1),
        &[(1, &e)],
    );
    let text = String::from_utf8(body)
        .expect("utf8")
        .replace("\"occurred_at\":\"", "\"occurred_at\":\"not a time ");
    f.assert_rejected(
        &token,
        text.into_bytes(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
        Some("events[0].occurred_at"),
    )
    .await;
    let body = batch(
        &header(&f.creds.agent_id, Incarnation::new_v7(), 1, 1),
        &[(1, &e)],
    );
    let text = String::from_utf8(body)
        .expect("utf8")
        .replace("\"idle\"", "\"napping\"");
    f.assert_rejected(
        &token,
        text.into_bytes(),
        StatusCode::BAD_REQUEST,
        "invalid_event",
        Some("events[0].data.state"),
    )
    .await;
}

#[tokio::test]
async fn wrong_schema_version_is_400() {
    let f = fixture().await;
    let e = draft(1);
    let mut h = header(&f.creds.agent_id, Incarnation::new_v7(), 1, 1);
    h.schema_version = 2;
    f.assert_rejected_own(
        batch(&h, &[(1, &e)]),
        StatusCode::BAD_REQUEST,
        "unsupported_schema_version",
        Some("schema_version"),
    )
    .await;
}

#[tokio::test]
async fn sequence_gap_is_409_with_the_stored_position() {
    let f = fixture().await;
    let inc = Incarnation::new_v7();
    let (a, b) = (draft(1), draft(2));
    let (status, _) = f.post_own(f.own(inc, 1, 1, &[(1, &a)])).await;
    assert_eq!(status, StatusCode::OK);
    let json = f
        .assert_rejected_own(
            f.own(inc, 3, 3, &[(3, &b)]),
            StatusCode::CONFLICT,
            "sequence_gap",
            Some("first_seq"),
        )
        .await;
    assert_eq!(json["error"]["acked_seq"], 1);
    // Inside one batch, a missing number is a gap too.
    let body = f.own(inc, 2, 4, &[(2, &b), (4, &draft(4))]);
    f.assert_rejected_own(
        body,
        StatusCode::BAD_REQUEST,
        "sequence_gap",
        Some("events[1].seq"),
    )
    .await;
}

#[tokio::test]
async fn sequence_overlap_is_rejected_whole() {
    let f = fixture().await;
    let inc = Incarnation::new_v7();
    let (a, b, c) = (draft(1), draft(2), draft(3));
    // Two events claiming the same number inside one batch.
    let body = f.own(inc, 1, 2, &[(1, &a), (1, &b), (2, &c)]);
    f.assert_rejected_own(
        body,
        StatusCode::BAD_REQUEST,
        "sequence_overlap",
        Some("events[1].seq"),
    )
    .await;
    // A stored number sent again with a different event.
    let (status, _) = f.post_own(f.own(inc, 1, 1, &[(1, &a)])).await;
    assert_eq!(status, StatusCode::OK);
    let body = f.own(inc, 1, 2, &[(1, &b), (2, &c)]);
    f.assert_rejected_own(body, StatusCode::CONFLICT, "sequence_conflict", None)
        .await;
}

#[tokio::test]
async fn oversized_batch_is_413() {
    let f = fixture().await;
    let events: Vec<EventDraft> = (1..=10_001).map(draft).collect();
    let pairs: Vec<(u64, &EventDraft)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (i as u64 + 1, e))
        .collect();
    let body = batch(
        &header(&f.creds.agent_id, Incarnation::new_v7(), 1, 10_001),
        &pairs,
    );
    f.assert_rejected_own(
        body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_events",
        Some("events"),
    )
    .await;
}

#[tokio::test]
async fn agents_list_needs_an_api_token_of_the_tenant() {
    let f = fixture().await;
    let url = format!("{}/api/v1/agents", f.hub.url());
    let status = f
        .client
        .get(&url)
        .bearer_auth(&f.creds.agent_token)
        .send()
        .await
        .expect("answer")
        .status();
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an agent token cannot list agents"
    );
    f.hub.cli(&["tenant", "add", "globex"]).expect("second tenant");
    let other = f.hub.cli(&["token", "add", "--tenant", "globex"]).expect("token");
    let other = other
        .trim()
        .trim_start_matches("token = ")
        .trim_matches('"')
        .to_string();
    let list: Value = f
        .client
        .get(&url)
        .bearer_auth(&other)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(0),
        "another tenant sees none of acme's agents"
    );
    let list: Value = f
        .client
        .get(&url)
        .bearer_auth(&f.creds.api_token)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_same_event_id_in_two_tenants_is_stored_for_each() {
    let f = fixture().await;
    f.hub.cli(&["tenant", "add", "globex"]).expect("tenant");
    f.hub
        .cli(&["site", "add", "--tenant", "globex", "works"])
        .expect("site");
    let other = f
        .hub
        .cli(&["agent", "add", "--tenant", "globex", "--site", "works"])
        .expect("agent");
    let value = |key: &str| {
        other
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| {
                v.trim()
                    .trim_start_matches('=')
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
            .expect("printed")
    };
    let (other_id, other_token) = (value("agent_id"), value("token"));
    let event = draft(1);
    let body = batch(
        &header(&f.creds.agent_id, Incarnation::new_v7(), 1, 1),
        &[(1, &event)],
    );
    let (status, ack) = f.post_own(body).await;
    assert_eq!(
        (status, ack["stored"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{ack}"
    );
    let body = batch(&header(&other_id, Incarnation::new_v7(), 1, 1), &[(1, &event)]);
    let (status, ack) = f.post(&other_token, body).await;
    assert_eq!(
        (status, ack["stored"].as_u64()),
        (StatusCode::OK, Some(1)),
        "another tenant's id is no duplicate: {ack}"
    );
    assert_eq!(f.rows(), 2);
}
