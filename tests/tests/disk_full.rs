//! The agent's buffer on a small filesystem (an 8 MiB tmpfs): with the hub
//! down the free-space floor makes old process samples give way, so state
//! events are never refused while samples could make room; state events
//! alone then fill the disk to the last byte; when the hub comes back the
//! agent drains (its reserve lets it record the first acknowledgement) and
//! takes new state events, with nothing deleted by hand. Skips, saying why,
//! where mounting a tmpfs is not allowed.

use mes_tests::{AgentProcess, HubProcess, binaries, eventually, hub_event_ids};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use uuid::Uuid;

/// A mounted tmpfs, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Self(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn sample(n: u64) -> Value {
    json!({
        "id": Uuid::now_v7(),
        "source": { "type": "device", "id": "oven-1" },
        "kind": "process_value_sampled",
        "data": { "equipment": "oven-1", "tag": format!("zone_{}_temperature_with_a_long_tag_name", n % 10), "value": 180.5, "unit": "degC" }
    })
}

fn state(id: Uuid) -> Value {
    json!({
        "id": id,
        "source": { "type": "device", "id": "oven-1" },
        "kind": "equipment_state_changed",
        "data": { "equipment": "oven-1", "state": "running" }
    })
}

/// Posts events; the status and the ids the agent committed.
async fn post(client: &reqwest::Client, agent: &str, events: Vec<Value>) -> (u16, Vec<Uuid>) {
    let response = client
        .post(format!("{agent}/local/v1/events"))
        .json(&json!({ "events": events }))
        .send()
        .await
        .expect("the agent answers");
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    let committed = body["committed"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["id"].as_str().and_then(|s| s.parse().ok()))
                .collect()
        })
        .unwrap_or_default();
    (status, committed)
}

fn droppable_rows(buffer: &Path) -> u64 {
    rusqlite::Connection::open_with_flags(buffer, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| {
            c.query_row("SELECT COUNT(*) FROM events WHERE droppable = 1", [], |r| {
                r.get(0)
            })
        })
        .expect("read the buffer")
}

#[tokio::test]
async fn a_full_disk_never_wedges_the_agent() {
    let bins = binaries!();
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = match Tmpfs::mount(&dir.path().join("disk"), "8m") {
        Ok(disk) => disk,
        Err(why) => {
            println!("skipped: cannot mount an 8 MiB tmpfs for the buffer ({why})");
            return;
        }
    };
    let mut hub = HubProcess::new(&bins.hub, dir.path()).expect("hub");
    let creds = hub.provision("acme", "plant-1").expect("provision");
    let agent_dir = dir.path().join("agent");
    std::fs::create_dir_all(&agent_dir).expect("dir");
    let mut agent = AgentProcess::new(&bins.agent, &agent_dir, &hub.url(), &creds, "").expect("agent");
    // Only the buffer lives on the small disk (the log does not); the
    // default max_size_mb (1024) is far above it: the floor must act.
    let buffer = disk.0.join("buffer.db");
    let config = agent_dir.join("agent.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    let text = text.replace(
        &format!("path = \"{}\"", agent.buffer_path().display()),
        &format!("path = \"{}\"\nmin_free_mb = 2\nreserve_mb = 1", buffer.display()),
    );
    std::fs::write(&config, text).expect("config");
    agent.start().await.expect("agent starts with the hub down");
    let url = agent.url();
    let client = reqwest::Client::new();
    let mut states = Vec::new();

    // 1. Three disks' worth of samples with state events among them: old
    // samples give way, every state event is stored.
    for chunk in 0..300u64 {
        let mut events: Vec<Value> = (0..200).map(|i| sample(chunk * 200 + i)).collect();
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        events.extend(ids.iter().map(|id| state(*id)));
        let (status, committed) = post(&client, &url, events).await;
        assert_eq!(
            status, 200,
            "request {chunk} refused with samples still droppable"
        );
        assert!(
            ids.iter().all(|id| committed.contains(id)),
            "request {chunk}: a state event was refused"
        );
        states.extend(ids);
    }
    let health = agent.health().await.expect("health");
    assert!(health["buffer"]["dropped_total"].as_u64() > Some(0), "{health}");
    assert_eq!(health["status"], "ok", "{health}");

    // 2. State events alone: they take the samples' room first, then the
    // disk, until it is full.
    let mut refused_at = None;
    for round in 0..400 {
        let ids: Vec<Uuid> = (0..200).map(|_| Uuid::now_v7()).collect();
        let (status, committed) = post(&client, &url, ids.iter().map(|id| state(*id)).collect()).await;
        if status == 200 {
            states.extend(committed);
            continue;
        }
        assert_eq!(status, 503, "a full disk refuses with 503");
        assert_eq!(
            droppable_rows(&buffer),
            0,
            "a state event was refused while samples could make room"
        );
        refused_at = Some(round);
        break;
    }
    assert!(refused_at.is_some(), "state events never filled the disk");
    let health = reqwest::get(format!("{url}/healthz")).await.expect("health");
    assert_eq!(health.status().as_u16(), 503, "health is degraded on a full disk");
    let health: Value = health.json().await.expect("json");
    assert!(
        health["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("full")),
        "{health}"
    );

    // 3. The hub comes back: everything committed drains, with nothing
    // deleted by hand.
    hub.start().await.expect("hub starts");
    drained(&url).await;

    // 4. New state events are taken again, and health is back to ok.
    for _ in 0..20 {
        let id = Uuid::now_v7();
        let (status, committed) = post(&client, &url, vec![state(id)]).await;
        assert_eq!(
            (status, committed.contains(&id)),
            (200, true),
            "a new state event after the drain"
        );
        states.push(id);
    }
    let health = reqwest::get(format!("{url}/healthz")).await.expect("health");
    assert_eq!(health.status().as_u16(), 200);
    drained(&url).await;
    let stored = hub_event_ids(&hub.db_path()).expect("hub db");
    assert!(
        states.iter().all(|id| stored.get(id) == Some(&1)),
        "every committed state event stored exactly once"
    );
    agent.stop();
    hub.stop();
}

async fn drained(url: &str) {
    eventually("the agent drained its buffer", Duration::from_secs(120), || {
        let url = url.to_owned();
        async move {
            let h: Value = reqwest::get(format!("{url}/healthz"))
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (h["buffer"]["depth"] == 0 && h["buffer"]["acked_seq"] == h["buffer"]["last_seq"]).then_some(())
        }
    })
    .await;
}
