//! OPC UA against an independent server: asyncua (Python) serves a machine
//! whose namespace is named by URI in the agent's configuration. The agent
//! subscribes; the test changes values, turns a node Bad, and restarts the
//! server with its namespaces renumbered: the equipment goes offline, the
//! state is read again after the gap, and every change after the restart
//! arrives. Skipped, with the reason printed, when Python lacks asyncua.

#[path = "support/opcua.rs"]
mod opcua;

use mes_tests::python::python_with;
use mes_tests::{binaries, eventually, hub_events, start_rig};
use opcua::{URI, agent_state, start_server};
use std::time::Duration;

/// The agent's configuration with four tags of the machine (`axis2` one
/// element of an array), its values and good-parts counter; `security`
/// added to the server's section.
fn agent_config(port: u16, security: &str) -> String {
    let tags = format!(
        r#"{security}
tags = [
  {{ name = "state", node = "nsu={URI};s=Machine.State" }},
  {{ name = "good", node = "nsu={URI};s=Machine.Good" }},
  {{ name = "temp", node = "nsu={URI};s=Machine.Temp" }},
  {{ name = "axis2", node = "nsu={URI};s=Machine.Axes", index = 1 }},
]"#
    );
    let equipment = r#"values = ["temp", "axis2"]
counters = { good = { tag = "good", width = 32 } }"#;
    opcua::agent_config(port, &tags, equipment)
}

async fn metric(agent_url: &str, line_start: &str) -> Option<u64> {
    let text = reqwest::get(format!("{agent_url}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

fn hub_good(db: &std::path::Path) -> u64 {
    hub_events(db)
        .iter()
        .filter(|(k, _)| k == "parts_counted")
        .map(|(_, d)| d["good"].as_u64().unwrap_or(0))
        .sum()
}

fn hub_value(db: &std::path::Path, tag: &str) -> Option<f64> {
    hub_events(db)
        .iter()
        .rev()
        .find(|(k, d)| k == "process_value_sampled" && d["tag"] == tag)
        .and_then(|(_, d)| d["value"].as_f64())
}

#[tokio::test]
async fn an_independent_server_drives_the_equipment_through_bad_values_and_a_renumbering_restart() {
    let Some(python) = python_with("asyncua") else {
        return;
    };
    let (mut server, port) = start_server(&python, &[]).await;
    let rig = start_rig(&binaries!(), &agent_config(port, ""))
        .await
        .expect("hub and agent start");
    let (hub, agent) = (&rig.hub, &rig.agent);
    let url = agent.url();
    let db = hub.db_path();

    eventually("idle from the first read", Duration::from_secs(30), || async {
        (agent_state(agent).await? == "idle").then_some(())
    })
    .await;
    server.command("set State running", "ok").await.expect("set");
    server.command("set Good 5", "ok").await.expect("set");
    server.command("set Axes 1,7,3", "ok").await.expect("set");
    eventually(
        "running, five parts and axis 2 at the hub",
        Duration::from_secs(30),
        || {
            let (good, axis) = (hub_good(&db), hub_value(&db, "axis2"));
            async move { (good == 5 && axis == Some(7.0)).then_some(()) }
        },
    )
    .await;
    assert_eq!(agent_state(agent).await.as_deref(), Some("running"));

    // A Bad value is not a value: counted with its status, nothing changes.
    server.command("set Temp 42.5", "ok").await.expect("set");
    eventually("temp 42.5 at the hub", Duration::from_secs(30), || {
        let temp = hub_value(&db, "temp");
        async move { (temp == Some(42.5)).then_some(()) }
    })
    .await;
    server.command("bad Temp", "ok").await.expect("bad");
    eventually("the Bad status counted", Duration::from_secs(30), || {
        let url = url.clone();
        async move {
            metric(
                &url,
                "mes_agent_source_bad_inputs_total{device=\"cnc-1\",reason=\"status\"}",
            )
            .await
            .filter(|n| *n >= 1)
        }
    })
    .await;
    assert_eq!(hub_value(&db, "temp"), Some(42.5), "the Bad value made no sample");

    // Restart with the namespace at another index: offline during the gap,
    // then the state read again and every later change delivered.
    server.send("restart").await.expect("restart");
    server
        .expect("namespace 3", Duration::from_secs(30))
        .await
        .expect("restarted, the namespace renumbered");
    server
        .expect("ready", Duration::from_secs(30))
        .await
        .expect("restarted");
    eventually("offline during the restart", Duration::from_secs(30), || {
        let events = hub_events(&db);
        async move {
            events
                .iter()
                .any(|(k, d)| k == "equipment_state_changed" && d["state"] == "offline")
                .then_some(())
        }
    })
    .await;
    eventually(
        "running again after the re-read",
        Duration::from_secs(30),
        || async { (agent_state(agent).await? == "running").then_some(()) },
    )
    .await;
    for good in [6, 7, 9] {
        server
            .command(&format!("set Good {good}"), "ok")
            .await
            .expect("set");
    }
    eventually(
        "nine parts at the hub after the restart",
        Duration::from_secs(30),
        || {
            let good = hub_good(&db);
            async move { (good == 9).then_some(()) }
        },
    )
    .await;
    let states: Vec<String> = hub_events(&db)
        .iter()
        .filter(|(k, _)| k == "equipment_state_changed")
        .filter_map(|(_, d)| d["state"].as_str().map(str::to_string))
        .collect();
    assert_eq!(states, ["idle", "running", "offline", "running"]);
    server.command("stop", "stopped").await.expect("stop");
}

/// Basic256Sha256 SignAndEncrypt with the server's certificate configured
/// as the one trusted: the agent's own certificate is created on first
/// start in `opcua-pki` beside the buffer, and values flow.
#[tokio::test]
async fn basic256sha256_sign_and_encrypt_trusting_the_configured_server_certificate() {
    let Some(python) = python_with("asyncua") else {
        return;
    };
    let pki = tempfile::tempdir().expect("temp dir");
    let server_dir = pki.path().to_str().expect("utf-8 path").to_string();
    let (mut server, port) = start_server(&python, &[&server_dir]).await;
    let security = format!(
        "security_policy = \"Basic256Sha256\"\nsecurity_mode = \"SignAndEncrypt\"\nserver_certificate = \"{server_dir}/server.der\""
    );
    let rig = start_rig(&binaries!(), &agent_config(port, &security))
        .await
        .expect("hub and agent start");
    let agent = &rig.agent;
    server.command("set State running", "ok").await.expect("set");
    eventually(
        "running over an encrypted channel",
        Duration::from_secs(60),
        || async { (agent_state(agent).await? == "running").then_some(()) },
    )
    .await;
    let own = agent
        .buffer_path()
        .parent()
        .expect("the buffer's directory")
        .join("opcua-pki")
        .join("own");
    assert!(
        std::fs::read_dir(&own).is_ok_and(|mut d| d.next().is_some()),
        "the agent's certificate was created in {}",
        own.display()
    );
    server.command("stop", "stopped").await.expect("stop");
}

/// `edge-agent probe` reads the configured tags once and browses the
/// server, printing node ids with the namespace by URI, ready to configure.
#[tokio::test]
async fn probe_reads_the_tags_and_browses_the_address_space() {
    let Some(python) = python_with("asyncua") else {
        return;
    };
    let (mut server, port) = start_server(&python, &[]).await;
    server.command("set Good 12", "ok").await.expect("set");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("agent.toml");
    let config = format!(
        "[buffer]\npath = \"{}\"\n{}",
        dir.path().join("buffer.db").display(),
        agent_config(port, "")
    );
    std::fs::write(&file, config).expect("config written");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_agent"))
        .arg("probe")
        .arg("-c")
        .arg(&file)
        .args(["--browse", &format!("nsu={URI};s=Machine"), "--depth", "1"])
        .output()
        .await
        .expect("probe runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("good ").ends_with(" 12"), "{text}");
    assert!(line("axis2").ends_with(" 0"), "{text}");
    let node = format!("nsu={URI};s=Machine.Good");
    let browsed = text.lines().rfind(|l| l.contains(&node)).unwrap_or_default();
    assert!(browsed.contains("UInt32") && browsed.ends_with(" 12"), "{text}");
    server.command("stop", "stopped").await.expect("stop");
}
