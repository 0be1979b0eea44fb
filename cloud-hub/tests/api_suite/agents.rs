//! The agent list through the API: what the hub knows of each agent's sync
//! and clock.

use crate::harness::TestDb;
use crate::hub::Hub;
use axum::http::Method;
use serde_json::json;

/// 2026-01-10 08:10:00 UTC, the hub's "now" in these cases.
const HUB_NOW: i64 = 1_768_032_600_000;

/// A gateway whose clock is 10 minutes behind: the hub measures the offset
/// from the batch's `sent_at`, shows it (and the correction it applies) in
/// the agent list and on /metrics, and dates the event in hub time.
pub async fn agent_list_shows_the_measured_clock_offset(db: &TestDb) {
    let hub = Hub::with_clock(&db.store, cloud_hub::clock::fixed_clock(HUB_NOW));
    let t = hub.tenant("clock").await;
    let batch = json!({"schema_version": 1, "agent_id": t.agent_id,
        "incarnation": "01a21495-81bd-765a-bf8c-615d889778d7",
        "first_seq": 1, "last_seq": 1,
        "buffer": {"depth": 1, "dropped_total": 0, "refused_total": 0},
        "sent_at": "2026-01-10T08:00:00.000Z",
        "events": [{"seq": 1, "id": "01a21495-8000-7000-8000-00000000002a",
                    "occurred_at": "2026-01-10T07:59:59.000Z",
                    "source": {"type": "station", "id": t.code("st-1")},
                    "kind": "api_suite_probe", "data": {}}]});
    let ack = hub
        .req(Method::POST, "/api/v1/ingest")
        .token(&t.agent_token)
        .json(&batch)
        .send()
        .await
        .expect(200);
    assert_eq!(ack.body["hub_time"], "2026-01-10T08:10:00.000Z", "{}", ack.text);
    let agents = hub.get("/api/v1/agents", &t.token).await.expect(200);
    let agent = &agents.body["items"][0];
    assert_eq!(agent["agent_id"], t.agent_id.as_str(), "{}", agents.text);
    assert_eq!(
        (
            &agent["clock_offset_ms"],
            &agent["clock_correction_ms"],
            &agent["future_events"]
        ),
        (&json!(600_000), &json!(600_000), &json!(0)),
        "{}",
        agents.text
    );
    let logged = db
        .store
        .events_after(db.store.tenants().await.expect("tenants")[0].0, 0, 10)
        .await
        .expect("the log reads");
    assert_eq!(
        logged.iter().map(|e| e.occurred_at).collect::<Vec<_>>(),
        [HUB_NOW - 1_000],
        "07:59:59 by the gateway is 08:09:59 by the hub"
    );
    let metrics = hub.req(Method::GET, "/metrics").send().await.expect(200);
    let line = format!("mes_hub_agent_clock_offset_ms{{agent=\"{}\"}} 600000", t.agent_id);
    assert!(metrics.text.contains(&line), "{line} in\n{}", metrics.text);
}

/// An agent disabled through the API cannot send until enabled again; a
/// revoked API token stops working at once.
pub async fn disabled_agents_and_revoked_tokens_stop_authenticating(db: &TestDb) {
    let hub = Hub::with_clock(&db.store, cloud_hub::clock::fixed_clock(HUB_NOW));
    let t = hub.tenant("access").await;
    let downlink = mes_protocols::downlink::DOWNLINK_PATH;
    let agent_get = |token: &str| {
        let token = token.to_string();
        let hub = &hub;
        async move { hub.get(downlink, &token).await.status.as_u16() }
    };
    assert_eq!(agent_get(&t.agent_token).await, 200);
    hub.req(Method::POST, format!("/api/v1/agents/{}/disable", t.agent_id))
        .token(&t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(agent_get(&t.agent_token).await, 401, "disabled");
    let agents = hub.get("/api/v1/agents", &t.token).await.expect(200);
    assert!(agents.body["items"][0]["disabled_at"].is_i64(), "{}", agents.text);
    hub.req(Method::POST, format!("/api/v1/agents/{}/enable", t.agent_id))
        .token(&t.token)
        .send()
        .await
        .expect(200);
    assert_eq!(agent_get(&t.agent_token).await, 200, "enabled again");
    hub.req(
        Method::POST,
        "/api/v1/agents/01a21495-8000-7000-8000-000000000000/disable",
    )
    .token(&t.token)
    .send()
    .await
    .expect_error(404, "not_found", None);

    let listed = hub.get("/api/v1/tokens", &t.token).await.expect(200);
    assert_eq!(listed.body["items"][0]["name"], "api-suite", "{}", listed.text);
    assert!(
        !listed.text.contains(&t.token),
        "the token itself is never listed"
    );
    hub.req(Method::DELETE, "/api/v1/tokens/api-suite")
        .token(&t.token)
        .send()
        .await
        .expect(200);
    hub.get("/api/v1/agents", &t.token)
        .await
        .expect_error(401, "unauthorized", None);
}
