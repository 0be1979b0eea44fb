//! The smallest end-to-end path: events handed to a real agent reach a real
//! hub, and the agent list shows the agent's state.

use mes_tests::{Rig, binaries, eventually, hub_event_ids, post_events, sample_event, start_rig};
use std::time::Duration;

#[tokio::test]
async fn posted_events_arrive_at_the_hub_and_the_agent_list_shows_them() {
    let Rig {
        mut agent,
        mut hub,
        creds,
        dir: _dir,
    } = start_rig(&binaries!(), "").await.expect("hub and agent start");

    let client = reqwest::Client::new();
    let (events, ids): (Vec<_>, Vec<_>) = (0..50)
        .map(|n| {
            let (id, e) = sample_event(n);
            (e, id)
        })
        .unzip();
    let committed = post_events(&client, &agent.url(), events)
        .await
        .expect("agent takes the events");
    assert_eq!(committed, ids, "every event is committed, in order");

    let db = hub.db_path();
    eventually("all 50 events at the hub", Duration::from_secs(20), || {
        let db = db.clone();
        async move { hub_event_ids(&db).ok().filter(|m| m.len() == 50) }
    })
    .await;
    let stored = hub_event_ids(&db).expect("read hub");
    assert!(
        ids.iter().all(|id| stored.get(id) == Some(&1)),
        "each event stored exactly once"
    );

    let list: serde_json::Value = client
        .get(format!("{}/api/v1/agents", hub.url()))
        .bearer_auth(&creds.api_token)
        .send()
        .await
        .expect("agents list")
        .json()
        .await
        .expect("json");
    let row = &list["items"][0];
    assert_eq!(row["agent_id"], creds.agent_id.as_str());
    assert_eq!(row["events_received"], 50);
    assert_eq!(row["acked_seq"], 50);
    assert!(row["last_contact_at"].as_i64().is_some());

    let health = agent.health().await.expect("health");
    assert_eq!(health["buffer"]["acked_seq"], 50);
    agent.stop();
    hub.stop();
}
