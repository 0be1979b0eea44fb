//! An equipment's states, downtime and part counts through the API, from
//! events an agent sent.

use crate::fixtures;
use crate::harness::TestDb;
use crate::hub::{Hub, Tenant};
use axum::http::Method;
use serde_json::{Value, json};

/// 2026-01-10 12:00:00 UTC, the hub's "now".
const HUB_NOW: i64 = 1_768_046_400_000;
const MIN: i64 = 60_000;

fn at(hour: i64, minute: i64) -> String {
    mes_protocols::Timestamp::from_unix_millis(HUB_NOW - 12 * 60 * MIN + (hour * 60 + minute) * MIN)
        .to_string()
}

fn event(seq: u64, occurred_at: String, kind: &str, data: Value) -> Value {
    json!({"seq": seq, "id": uuid::Uuid::now_v7().to_string(), "occurred_at": occurred_at,
           "source": {"type": "device", "id": "plc-1"}, "kind": kind, "data": data})
}

async fn send(hub: &Hub, t: &Tenant, events: Vec<Value>) {
    let batch = json!({"schema_version": 1, "agent_id": t.agent_id,
        "incarnation": "01a21495-81bd-765a-bf8c-615d889778d7",
        "first_seq": 1, "last_seq": events.len(),
        "buffer": {"depth": 0, "dropped_total": 0, "refused_total": 0},
        "sent_at": mes_protocols::Timestamp::from_unix_millis(HUB_NOW).to_string(), "events": events});
    hub.req(Method::POST, "/api/v1/ingest")
        .token(&t.agent_token)
        .json(&batch)
        .send()
        .await
        .expect(200);
}

/// Running 08:00, down (fault 3) 09:00 with the operator's reason JAM,
/// running again 09:30; 5 good + 1 scrap at 10:10 and 3 good at 11:20;
/// another machine's events are not this one's.
pub async fn equipment_timeline_downtime_and_parts(db: &TestDb) {
    let hub = Hub::with_clock(&db.store, cloud_hub::clock::fixed_clock(HUB_NOW));
    let t = hub.tenant("machines").await;
    fixtures::create_all(&hub, &t).await;
    let press = t.code("press-1");
    let state = |s: &str, reason: Option<&str>| json!({"equipment": press, "state": s, "reason": reason});
    send(
        &hub,
        &t,
        vec![
            event(1, at(8, 0), "equipment_state_changed", state("running", None)),
            event(2, at(9, 0), "equipment_state_changed", state("down", Some("3"))),
            event(3, at(9, 30), "equipment_state_changed", state("running", None)),
            event(
                4,
                at(9, 35),
                "downtime_reason_assigned",
                json!({"equipment": press, "reason": "JAM", "down_since": at(9, 0)}),
            ),
            event(
                5,
                at(10, 10),
                "parts_counted",
                json!({"equipment": press, "good": 5, "scrap": 1, "good_total": 5, "scrap_total": 1}),
            ),
            event(
                6,
                at(11, 20),
                "parts_counted",
                json!({"equipment": press, "good": 3, "scrap": 0, "good_total": 8, "scrap_total": 1}),
            ),
            event(
                7,
                at(9, 10),
                "equipment_state_changed",
                json!({"equipment": t.code("other"), "state": "down"}),
            ),
        ],
    )
    .await;
    let base = format!("/api/v1/equipment/{press}");
    let from = at(8, 30);
    let timeline = hub
        .get(format!("{base}/timeline?from={from}"), &t.token)
        .await
        .expect(200);
    let spans: Vec<(String, Value, i64)> = timeline.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["state"].as_str().unwrap_or("?").to_string(),
                i["reason"].clone(),
                i["duration_ms"].as_i64().unwrap_or(-1) / MIN,
            )
        })
        .collect();
    assert_eq!(
        spans,
        [
            ("running".to_string(), Value::Null, 30),
            ("down".to_string(), json!("3"), 30),
            ("running".to_string(), Value::Null, 150)
        ],
        "{}",
        timeline.text
    );
    let down = hub
        .get(format!("{base}/downtime?from={from}"), &t.token)
        .await
        .expect(200);
    assert_eq!(down.body["total_ms"], 30 * MIN, "{}", down.text);
    assert_eq!(down.body["stops"], 1, "{}", down.text);
    assert_eq!(down.body["items"][0]["assigned_reason"], "JAM", "{}", down.text);
    let parts = hub
        .get(format!("{base}/parts?from={}&bucket=hour", at(8, 0)), &t.token)
        .await
        .expect(200);
    assert_eq!(
        (&parts.body["good"], &parts.body["scrap"]),
        (&json!(8), &json!(1)),
        "{}",
        parts.text
    );
    assert_eq!(
        parts.body["items"].as_array().map(Vec::len),
        Some(2),
        "{}",
        parts.text
    );
    hub.get(format!("{base}/parts?bucket=week"), &t.token)
        .await
        .expect_error(400, "invalid_query", Some("bucket"));
    hub.get(
        format!("{base}/timeline?from={}&to={}", at(10, 0), at(9, 0)),
        &t.token,
    )
    .await
    .expect_error(422, "invalid", Some("from"));
    hub.get(format!("{base}/timeline?from=2000-01-01T00:00:00Z"), &t.token)
        .await
        .expect_error(422, "invalid", Some("from"));
    hub.get(format!("/api/v1/equipment/{}/timeline", t.code("nope")), &t.token)
        .await
        .expect_error(404, "not_found", None);
}

/// The site's equipment with each one's latest state by hub time (not by
/// arrival), a machine that never reported without one, an equipment the
/// master data does not know left out, an unknown site 404.
pub async fn site_equipment_shows_each_latest_state(db: &TestDb) {
    let hub = Hub::with_clock(&db.store, cloud_hub::clock::fixed_clock(HUB_NOW));
    let t = hub.tenant("fleet").await;
    fixtures::create_all(&hub, &t).await;
    let (press, idle_press) = (t.code("press-1"), t.code("press-2"));
    hub.post(
        "/api/v1/equipment",
        &t.token,
        &json!({"code": idle_press, "name": "Press 2", "equipment_type": t.code("press"), "site": t.site}),
    )
    .await
    .expect(201);
    let state = |s: &str, reason: Option<&str>| json!({"equipment": press, "state": s, "reason": reason});
    send(
        &hub,
        &t,
        vec![
            event(1, at(8, 0), "equipment_state_changed", state("running", None)),
            // Arrives after the 09:30 restart but happened before it.
            event(2, at(9, 30), "equipment_state_changed", state("idle", None)),
            event(3, at(9, 0), "equipment_state_changed", state("down", Some("3"))),
            event(
                4,
                at(9, 10),
                "equipment_state_changed",
                json!({"equipment": t.code("unknown"), "state": "down"}),
            ),
        ],
    )
    .await;
    let answer = hub
        .get(format!("/api/v1/sites/{}/equipment", t.site), &t.token)
        .await
        .expect(200);
    let rows: Vec<(String, Value, Value, Value)> = answer.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["code"].as_str().unwrap_or("?").to_string(),
                i["state"].clone(),
                i["reason"].clone(),
                i["since"].clone(),
            )
        })
        .collect();
    let since = mes_protocols::Timestamp::parse(&at(9, 30))
        .expect("an instant")
        .unix_millis();
    assert_eq!(
        rows,
        [
            (press.clone(), json!("idle"), Value::Null, json!(since)),
            (idle_press, Value::Null, Value::Null, Value::Null),
        ],
        "{}",
        answer.text
    );
    hub.get(format!("/api/v1/sites/{}/equipment", t.code("nowhere")), &t.token)
        .await
        .expect_error(404, "not_found", None);
}

/// Running from 08:00; the agent was down 10:00-10:40 (an `agent_outage`
/// naming the press) and an outage naming only another machine at 11:00.
pub async fn an_agent_outage_is_agent_down_in_the_timeline(db: &TestDb) {
    let hub = Hub::with_clock(&db.store, cloud_hub::clock::fixed_clock(HUB_NOW));
    let t = hub.tenant("outages").await;
    fixtures::create_all(&hub, &t).await;
    let press = t.code("press-1");
    let outage = |from: String, until: String, equipment: &str| {
        let mut e = event(
            0,
            until.clone(),
            "agent_outage",
            json!({"from": from, "until": until, "equipment": [equipment]}),
        );
        e["source"] = json!({"type": "subsystem", "id": "agent"});
        e
    };
    let mut events = vec![
        event(
            0,
            at(8, 0),
            "equipment_state_changed",
            json!({"equipment": press, "state": "running"}),
        ),
        outage(at(10, 0), at(10, 40), &press),
        outage(at(11, 0), at(11, 30), &t.code("other")),
    ];
    for (i, e) in events.iter_mut().enumerate() {
        e["seq"] = json!(i + 1);
    }
    send(&hub, &t, events).await;
    let base = format!("/api/v1/equipment/{press}");
    let timeline = hub
        .get(format!("{base}/timeline?from={}", at(8, 30)), &t.token)
        .await
        .expect(200);
    let spans: Vec<(String, i64)> = timeline.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["state"].as_str().unwrap_or("?").to_string(),
                i["duration_ms"].as_i64().unwrap_or(-1) / MIN,
            )
        })
        .collect();
    assert_eq!(
        spans,
        [
            ("running".to_string(), 90),
            ("agent_down".to_string(), 40),
            ("running".to_string(), 80)
        ],
        "{}",
        timeline.text
    );
    let down = hub
        .get(format!("{base}/downtime?from={}", at(8, 30)), &t.token)
        .await
        .expect(200);
    assert_eq!(
        down.body["total_ms"], 0,
        "agent_down is not downtime: {}",
        down.text
    );
}
