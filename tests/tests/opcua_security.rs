//! OPC UA trust and user authentication against an independent server
//! (asyncua, Python) over Basic256Sha256 SignAndEncrypt: the server's
//! certificate trusted by its SHA-256 fingerprint (and refused with another
//! fingerprint), and a session activated with an X.509 user certificate
//! (and refused with a certificate the server does not know). Skipped,
//! with the reason printed, when Python lacks asyncua.

use mes_tests::python::{Script, python_with, script};
use mes_tests::{binaries, eventually, free_port, hub_events, start_rig};
use std::time::Duration;

const URI: &str = "urn:mes:test";

fn agent_config(port: u16, security: &str) -> String {
    format!(
        r#"
[[opcua]]
name = "cnc-1"
endpoint = "opc.tcp://127.0.0.1:{port}/"
security_policy = "Basic256Sha256"
security_mode = "SignAndEncrypt"
{security}
publishing_interval_ms = 100
reconnect_initial_ms = 100
reconnect_max_secs = 1
tags = [{{ name = "state", node = "nsu={URI};s=Machine.State" }}]

[[equipment]]
name = "cnc-1"
device = "cnc-1"
offline_after_secs = 0
states = [
  {{ state = "running", tag = "state", op = "eq", text = "running" }},
  {{ state = "idle", tag = "state", op = "other" }},
]
"#
    )
}

async fn agent_state(agent: &mes_tests::AgentProcess) -> Option<String> {
    let health = agent.health().await.ok()?;
    health["equipment"]["cnc-1"]["state"].as_str().map(str::to_string)
}

/// The detail of the first `device_communication_changed` down event whose
/// detail contains `needle`.
fn link_down_saying(db: &std::path::Path, needle: &str) -> Option<String> {
    hub_events(db).into_iter().find_map(|(kind, data)| {
        let detail = data["detail"].as_str()?;
        (kind == "device_communication_changed" && data["state"] == "down" && detail.contains(needle))
            .then(|| detail.to_string())
    })
}

/// Starts the asyncua server with its certificate (and users) in `dir`.
async fn secure_server(python: &std::path::PathBuf, dir: &str, users: &[&str]) -> (Script, u16) {
    let port = free_port();
    let port_text = port.to_string();
    let mut args = vec![port_text.as_str(), URI, dir];
    args.extend_from_slice(users);
    let server = Script::start(python, script("opcua_server.py"), &args)
        .await
        .expect("the asyncua server starts");
    (server, port)
}

async fn fingerprint(server: &mut Script) -> String {
    server.send("fingerprint").await.expect("fingerprint");
    let line = server
        .next_line(Duration::from_secs(20))
        .await
        .expect("a fingerprint line");
    line.strip_prefix("sha256 ")
        .unwrap_or_else(|| panic!("not a fingerprint: {line}"))
        .to_string()
}

#[tokio::test]
async fn the_server_certificate_is_trusted_by_its_sha256_fingerprint_and_no_other() {
    let Some(python) = python_with("asyncua") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path().to_str().expect("utf-8 path").to_string();
    let (mut server, port) = secure_server(&python, &dir, &[]).await;
    let hex = fingerprint(&mut server).await;

    // Another fingerprint: refused before any session, saying why.
    let wrong: String = hex.chars().rev().collect();
    let rig = start_rig(
        &binaries!(),
        &agent_config(port, &format!("server_certificate_sha256 = \"{wrong}\"")),
    )
    .await
    .expect("hub and agent start");
    let detail = eventually(
        "the link down, naming the fingerprint",
        Duration::from_secs(60),
        || {
            let found = link_down_saying(&rig.hub.db_path(), "server_certificate_sha256");
            async move { found }
        },
    )
    .await;
    assert!(detail.contains("not the configured"), "{detail}");
    assert_ne!(agent_state(&rig.agent).await.as_deref(), Some("idle"));
    drop(rig);

    // The right one, written with colons in capitals as openssl prints it.
    let colons = hex
        .to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).into_owned())
        .collect::<Vec<_>>()
        .join(":");
    let rig = start_rig(
        &binaries!(),
        &agent_config(port, &format!("server_certificate_sha256 = \"{colons}\"")),
    )
    .await
    .expect("hub and agent start");
    server.command("set State running", "ok").await.expect("set");
    eventually(
        "running over a channel to the fingerprinted certificate",
        Duration::from_secs(60),
        || async { (agent_state(&rig.agent).await? == "running").then_some(()) },
    )
    .await;
    server.command("stop", "stopped").await.expect("stop");
}

#[tokio::test]
async fn a_session_is_activated_with_an_x509_user_certificate() {
    let Some(python) = python_with("asyncua") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path().to_str().expect("utf-8 path").to_string();
    let (mut server, port) = secure_server(&python, &dir, &["certificate-users"]).await;
    let user = |name: &str| {
        format!(
            "server_certificate = \"{dir}/server.der\"\nuser_certificate = \"{dir}/{name}.der\"\nuser_private_key = \"{dir}/{name}.pem\""
        )
    };

    // A user certificate the server does not know: refused, saying so.
    let rig = start_rig(&binaries!(), &agent_config(port, &user("other-user")))
        .await
        .expect("hub and agent start");
    eventually(
        "the link down: user access denied",
        Duration::from_secs(60),
        || {
            let found = link_down_saying(&rig.hub.db_path(), "BadUserAccessDenied");
            async move { found }
        },
    )
    .await;
    drop(rig);

    // The server's user: values flow.
    let rig = start_rig(&binaries!(), &agent_config(port, &user("user")))
        .await
        .expect("hub and agent start");
    server.command("set State running", "ok").await.expect("set");
    eventually(
        "running as the certificate's user",
        Duration::from_secs(60),
        || async { (agent_state(&rig.agent).await? == "running").then_some(()) },
    )
    .await;
    server.command("stop", "stopped").await.expect("stop");
}
