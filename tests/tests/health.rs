//! `/healthz` says `degraded` (503, naming the commit error) while the
//! buffer cannot commit, and `ok` again once it can.

use mes_tests::{AgentProcess, eventually};
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

fn state_event() -> Value {
    json!({
        "id": Uuid::now_v7(),
        "source": { "type": "device", "id": "press-1" },
        "kind": "equipment_state_changed",
        "data": { "equipment": "press-1", "state": "running" }
    })
}

async fn post(client: &reqwest::Client, agent: &AgentProcess) -> u16 {
    client
        .post(format!("{}/local/v1/events", agent.url()))
        .json(&json!({ "events": [state_event()] }))
        .send()
        .await
        .expect("agent answers")
        .status()
        .as_u16()
}

async fn health(client: &reqwest::Client, agent: &AgentProcess) -> (u16, Value) {
    let response = client
        .get(format!("{}/healthz", agent.url()))
        .send()
        .await
        .expect("agent answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn health_is_degraded_while_buffer_commits_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut agent =
        AgentProcess::without_hub(env!("CARGO_BIN_EXE_agent").as_ref(), dir.path(), "").expect("agent");
    agent.start().await.expect("agent starts");
    let client = reqwest::Client::new();
    assert_eq!(post(&client, &agent).await, 200);
    assert_eq!(health(&client, &agent).await.0, 200);

    // Another process holds the write lock: the agent's commits fail (after
    // its 5 s busy timeout) with "database is locked".
    let blocker = rusqlite::Connection::open(agent.buffer_path()).expect("open the buffer");
    blocker
        .execute_batch("BEGIN EXCLUSIVE")
        .expect("take the write lock");
    assert_eq!(post(&client, &agent).await, 503, "nothing can be stored");
    // The request may give up waiting before the commit itself fails (the
    // buffer's 5 s busy timeout, longer on a loaded machine); the health
    // turns degraded once it has.
    let body = eventually("the health turns degraded", Duration::from_secs(30), || {
        let client = client.clone();
        let agent = &agent;
        async move {
            let (status, body) = health(&client, agent).await;
            (status == 503).then_some(body)
        }
    })
    .await;
    assert_eq!(body["status"], "degraded", "{body}");
    assert_eq!(body["error"]["code"], "buffer_commit_failed", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("locked"), "names the commit error: {body}");

    blocker.execute_batch("COMMIT").expect("release the lock");
    drop(blocker);
    eventually("a commit succeeds again", Duration::from_secs(20), || {
        let client = client.clone();
        let agent = &agent;
        async move { (post(&client, agent).await == 200).then_some(()) }
    })
    .await;
    let (status, body) = health(&client, &agent).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")), "{body}");
}
