//! The agent's local intake (`POST /local/v1/events`) and producer ids: an
//! event without an id is refused by default, naming the field, because a
//! retried request would otherwise be stored twice; the setting
//! `http.intake_allow_missing_id` accepts it (at-least-once).

use mes_tests::AgentProcess;
use serde_json::{Value, json};
use uuid::Uuid;

fn state_event(id: Option<Uuid>) -> Value {
    let mut event = json!({
        "source": { "type": "device", "id": "press-1" },
        "kind": "equipment_state_changed",
        "data": { "equipment": "press-1", "state": "running" }
    });
    if let Some(id) = id {
        event["id"] = json!(id);
    }
    event
}

async fn post(agent: &AgentProcess, events: Vec<Value>) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/local/v1/events", agent.url()))
        .json(&json!({ "events": events }))
        .send()
        .await
        .expect("agent answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

#[tokio::test]
async fn an_event_without_id_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut agent =
        AgentProcess::without_hub(env!("CARGO_BIN_EXE_agent").as_ref(), dir.path(), "").expect("agent");
    agent.start().await.expect("agent starts");
    let (status, body) = post(&agent, vec![state_event(Some(Uuid::now_v7())), state_event(None)]).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "events[1].id", "{body}");
    let health = agent.health().await.expect("health");
    assert_eq!(
        health["buffer"]["last_seq"], 0,
        "nothing of the request stored: {health}"
    );

    let (status, body) = post(&agent, vec![state_event(Some(Uuid::now_v7()))]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_setting_accepts_events_without_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut agent = AgentProcess::without_hub(
        env!("CARGO_BIN_EXE_agent").as_ref(),
        dir.path(),
        "intake_allow_missing_id = true",
    )
    .expect("agent");
    agent.start().await.expect("agent starts");
    let (status, body) = post(&agent, vec![state_event(None), state_event(None)]).await;
    assert_eq!(status, 200, "{body}");
    let committed = body["committed"].as_array().expect("committed");
    assert_eq!(committed.len(), 2);
    assert_ne!(
        committed[0]["id"], committed[1]["id"],
        "each gets an id of its own"
    );
}
