//! Operator-station test helpers: the master data the station tests work
//! with (put into the hub through its REST API, as an integrator would),
//! the agent configuration for a station, and clients for the station's
//! JSON API and TCP scanner port.

use crate::wait::eventually;
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The station every test uses.
pub const STATION: &str = "st-1";

/// Agent configuration for station [`STATION`] (with a scanner port when
/// given): prefixes `B-` (badge), `PO:` (order), `L:` (lot), a fast
/// downlink.
pub fn station_toml(scanner_port: Option<u16>) -> String {
    let scanner = scanner_port.map_or(String::new(), |p| format!("scanner_port = \"127.0.0.1:{p}\"\n"));
    format!(
        "[downlink]\ninterval_ms = 200\n\
         [scan]\nbadge_prefix = \"B-\"\norder_prefix = \"PO:\"\nlot_prefix = \"L:\"\n\
         [[station]]\ncode = \"{STATION}\"\n{scanner}"
    )
}

/// The site's master data, in dependency order (the site's settings record
/// exists already: `cloud-hub site add` makes it): a press station, worker
/// Ana (badge 0001, operator), steel counted in kg or sheets (2.5 kg),
/// bolts, lots (good, a second good one, expired, a bolt lot), reasons,
/// a routing for brackets, order PO-1 released and PO-2 left in draft.
pub fn master_data() -> Vec<(&'static str, Value)> {
    vec![
        ("units", json!({"code": "kg", "name": "kilogram", "decimals": 3})),
        ("units", json!({"code": "sheet", "name": "sheet"})),
        ("units", json!({"code": "pcs", "name": "pieces"})),
        (
            "materials",
            json!({"code": "STEEL", "name": "Steel sheet", "kind": "raw", "base_unit": "kg",
                   "alt_units": [{"unit": "sheet", "factor": "2.5"}], "lot_tracked": true, "standard_cost": "1"}),
        ),
        (
            "materials",
            json!({"code": "BOLT", "name": "Bolt", "kind": "raw", "base_unit": "pcs", "lot_tracked": true, "standard_cost": "0.1"}),
        ),
        (
            "materials",
            json!({"code": "BRACKET", "name": "Bracket", "kind": "finished", "base_unit": "pcs", "lot_tracked": true, "standard_cost": "5"}),
        ),
        (
            "lots",
            json!({"code": "L-1", "material": "STEEL", "expires_on": "2099-12-31"}),
        ),
        ("lots", json!({"code": "L-2", "material": "STEEL"})),
        (
            "lots",
            json!({"code": "L-OLD", "material": "STEEL", "expires_on": "2020-01-01"}),
        ),
        ("lots", json!({"code": "B-77", "material": "BOLT"})),
        ("equipment-types", json!({"code": "PRESS", "name": "Press"})),
        (
            "equipment",
            json!({"code": "press-1", "name": "Press 1", "equipment_type": "PRESS", "site": "plant-1"}),
        ),
        ("worker-types", json!({"code": "OPERATOR", "name": "Operator"})),
        (
            "workers",
            json!({"code": "W1", "name": "Ana Silva", "badge": "0001", "worker_type": "OPERATOR", "site": "plant-1"}),
        ),
        (
            "stations",
            json!({"code": STATION, "name": "Press line", "site": "plant-1", "equipment": ["press-1"]}),
        ),
        (
            "reasons",
            json!({"code": "JAM", "kind": "downtime", "text": "Material jam"}),
        ),
        (
            "reasons",
            json!({"code": "BURR", "kind": "scrap", "text": "Burr"}),
        ),
        (
            "reasons",
            json!({"code": "BREAK", "kind": "pause", "text": "Break"}),
        ),
        (
            "routings",
            json!({"material": "BRACKET", "versions": [{"version": "1", "operations": [
                {"operation": 10, "name": "Press", "equipment_type": "PRESS", "setup_minutes": "10",
                 "run_minutes_per_unit": "0.5", "worker_type": "OPERATOR",
                 "inputs": [{"material": "STEEL", "quantity_per_unit": "0.25", "unit": "kg"}]}]}]}),
        ),
        (
            "production-orders",
            json!({"code": "PO-1", "material": "BRACKET", "quantity": "100", "site": "plant-1"}),
        ),
        (
            "production-orders",
            json!({"code": "PO-2", "material": "BRACKET", "quantity": "10", "site": "plant-1"}),
        ),
        ("production-orders/PO-1/release", json!({})),
    ]
}

/// Puts [`master_data`] into the hub with the tenant's API token.
pub async fn seed_master_data(hub_url: &str, api_token: &str) -> anyhow::Result<()> {
    post_records(hub_url, api_token, master_data()).await
}

/// Posts each `(path, body)` to `/api/v1/<path>` in order, with the
/// tenant's API token; the first answer that is not a success is the error.
pub async fn post_records(
    hub_url: &str,
    api_token: &str,
    records: Vec<(&'static str, Value)>,
) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for (path, body) in records {
        let response = client
            .post(format!("{hub_url}/api/v1/{path}"))
            .bearer_auth(api_token)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        if !status.is_success() {
            bail!(
                "POST /api/v1/{path} answered {status}: {}",
                response.text().await?
            );
        }
    }
    Ok(())
}

/// Waits until the agent's station has the master data (order PO-1 and
/// the worker's badge arrived through the downlink).
pub async fn wait_for_master_data(agent_url: &str) -> Value {
    let client = reqwest::Client::new();
    let url = format!("{agent_url}/stations/{STATION}/api/state");
    eventually(
        "the station's master data from the hub",
        Duration::from_secs(30),
        || {
            let request = client.get(&url).send();
            async move {
                let state: Value = request.await.ok()?.json().await.ok()?;
                let has_order = state["orders"].as_array()?.iter().any(|o| o["code"] == "PO-1");
                (has_order && state["name"] == "Press line").then_some(state)
            }
        },
    )
    .await
}

/// Posts a step to the station's JSON API and returns its answer
/// (`{ok, message, output_lot?, state}`).
pub async fn station_step(agent_url: &str, step: Value) -> anyhow::Result<Value> {
    let response = reqwest::Client::new()
        .post(format!("{agent_url}/stations/{STATION}/api/steps"))
        .json(&step)
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    anyhow::ensure!(status.is_success(), "station answered {status}: {body}");
    Ok(body)
}

/// A connection to a station's TCP scanner port.
pub struct Scanner {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Scanner {
    /// Connects to the scanner port on loopback.
    pub async fn connect(port: u16) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let (read, writer) = stream.into_split();
        Ok(Self {
            reader: BufReader::new(read),
            writer,
        })
    }

    /// Sends one scan line and returns the answer line (without newline).
    pub async fn scan(&mut self, code: &str) -> anyhow::Result<String> {
        self.writer.write_all(format!("{code}\r\n").as_bytes()).await?;
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(10), self.reader.read_line(&mut line))
            .await
            .context("no answer on the scanner port within 10 s")??;
        Ok(line.trim_end().to_string())
    }
}

/// Every event the hub stored, as its full wire JSON (`seq`, `id`,
/// `occurred_at`, `kind`, `data` ...), in arrival order; empty while the
/// database cannot be read.
pub fn hub_raw_events(db: &std::path::Path) -> Vec<Value> {
    let read = || -> anyhow::Result<Vec<Value>> {
        let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut stmt = conn.prepare("SELECT raw FROM events ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for raw in rows {
            out.push(serde_json::from_str(&raw?)?);
        }
        Ok(out)
    };
    read().unwrap_or_default()
}

/// Waits until the hub holds at least `count` events from stations and
/// returns them (full wire JSON, arrival order).
pub async fn wait_for_station_events(db: &std::path::Path, count: usize) -> Vec<Value> {
    eventually(
        &format!("{count} station events at the hub"),
        Duration::from_secs(30),
        || {
            let events: Vec<Value> = hub_raw_events(db)
                .into_iter()
                .filter(|e| e["source"]["type"] == "station")
                .collect();
            async move { (events.len() >= count).then_some(events) }
        },
    )
    .await
}

/// The kinds of `events`, in order.
pub fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("?").to_string())
        .collect()
}
