//! OPC UA trust and user authentication against an independent server
//! (asyncua, Python) over Basic256Sha256 SignAndEncrypt: the server's
//! certificate trusted by its SHA-256 fingerprint (and refused with another
//! fingerprint), and a session activated with an X.509 user certificate
//! (and refused with a certificate the server does not know). Skipped,
//! with the reason printed, when Python lacks asyncua.

#[path = "support/opcua.rs"]
mod opcua;

use mes_tests::python::{Script, python_with};
use mes_tests::{binaries, eventually, hub_events, start_rig};
use opcua::{URI, agent_state, start_server};
use std::time::Duration;

/// The agent's configuration over Basic256Sha256 SignAndEncrypt, with
/// `security` (how the server is trusted, who the user is) and the state
/// tag only.
fn agent_config(port: u16, security: &str) -> String {
    let opcua = format!(
        r#"security_policy = "Basic256Sha256"
security_mode = "SignAndEncrypt"
{security}
tags = [{{ name = "state", node = "nsu={URI};s=Machine.State" }}]"#
    );
    opcua::agent_config(port, &opcua, "")
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
    let (mut server, port) = start_server(&python, &[&dir]).await;
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
    let (mut server, port) = start_server(&python, &[&dir, "certificate-users"]).await;
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
