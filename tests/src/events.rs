//! Making events, handing them to an agent, and reading what the hub stored.

use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use uuid::Uuid;

/// A valid `parts_counted` event for the agent's local intake, with a fresh
/// id (returned with it).
pub fn sample_event(n: u64) -> (Uuid, Value) {
    let id = Uuid::now_v7();
    let event = json!({
        "id": id,
        "source": { "type": "device", "id": format!("press-{}", n % 7) },
        "kind": "parts_counted",
        "data": { "equipment": format!("press-{}", n % 7), "good": 1, "scrap": 0, "good_total": n + 1, "scrap_total": 0 }
    });
    (id, event)
}

/// Posts events to an agent's local intake; returns the ids it acknowledged
/// as committed. An error means nothing of this request may be assumed
/// stored (the agent may have been killed mid-request).
pub async fn post_events(
    client: &reqwest::Client,
    agent_url: &str,
    events: Vec<Value>,
) -> anyhow::Result<Vec<Uuid>> {
    let response = client
        .post(format!("{agent_url}/local/v1/events"))
        .json(&json!({ "events": events }))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    anyhow::ensure!(status.is_success(), "agent answered {status}: {body}");
    let committed = body["committed"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no `committed` in {body}"))?
        .iter()
        .filter_map(|c| c["id"].as_str().and_then(|s| s.parse().ok()))
        .collect();
    Ok(committed)
}

/// How many rows the hub's event table holds.
pub fn hub_event_rows(db: &Path) -> anyhow::Result<u64> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok(conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?)
}

/// Every event id the hub stored, with how many rows carry it (the unique
/// index makes more than one impossible; the tests check it anyway).
pub fn hub_event_ids(db: &Path) -> anyhow::Result<HashMap<Uuid, u32>> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare("SELECT event_id FROM events")?;
    let mut out = HashMap::new();
    for id in stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))? {
        let id = Uuid::from_slice(&id?)?;
        *out.entry(id).or_insert(0) += 1;
    }
    Ok(out)
}

/// Every event the hub stored, as (kind, data), in arrival order; empty
/// while the database cannot be read yet (a test polls it until it can).
pub fn hub_events(db: &Path) -> Vec<(String, Value)> {
    let read = || -> anyhow::Result<Vec<(String, Value)>> {
        let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut stmt = conn.prepare("SELECT kind, raw FROM events ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, raw) = row?;
            let event: Value = serde_json::from_str(&raw)?;
            out.push((kind, event["data"].clone()));
        }
        Ok(out)
    };
    read().unwrap_or_default()
}
