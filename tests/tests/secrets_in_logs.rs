//! No secret in the hub's logs (issue 15): a whole flow against the real
//! binary at the most verbose log level (the first admin made by the
//! command line with the password on stdin, a failed and a good login, a
//! session's reads and a change with its CSRF token, a user token made and
//! used, an agent's batch and downlink), then the log and the command's
//! output are searched for every password, token, session secret and CSRF
//! token the flow used: none may appear.

use mes_protocols::event::{EquipmentState, EquipmentStateChanged};
use mes_protocols::wire::{BatchHeader, BufferReport, SCHEMA_VERSION, encode_batch, gzip};
use mes_protocols::{Code, EventBody, EventDraft, Incarnation, Seq, Source, Timestamp};
use mes_tests::{Binaries, HubProcess};
use serde_json::{Value, json};

const PASSWORD: &str = "violet tractor 19 lemons";
const WRONG: &str = "orange kettle 42 zebras";

fn batch(agent: &str) -> Vec<u8> {
    let code = Code::parse("press-1").expect("valid code");
    let draft = EventDraft::new(
        Timestamp::from_unix_millis(1_764_000_000_000),
        Source::Device(code.clone()),
        EventBody::EquipmentStateChanged(EquipmentStateChanged {
            equipment: code,
            state: EquipmentState::Idle,
            reason: None,
        }),
    );
    let header = BatchHeader {
        schema_version: SCHEMA_VERSION,
        agent_id: agent.parse().expect("agent id"),
        incarnation: Incarnation::new_v7(),
        first_seq: Seq(1),
        last_seq: Seq(1),
        dropped: vec![],
        buffer: BufferReport::default(),
        sent_at: Timestamp::from_unix_millis(1_764_000_000_000),
    };
    let record = draft.to_record_json();
    encode_batch(&header, [(Seq(1), record.as_str())])
}

#[tokio::test]
async fn a_login_token_and_ingest_flow_leaves_no_secret_in_the_logs() {
    let bins = Binaries {
        hub: env!("CARGO_BIN_EXE_hub").into(),
        agent: env!("CARGO_BIN_EXE_agent").into(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hub = HubProcess::new(&bins.hub, dir.path()).expect("hub");
    let creds = hub.provision("acme", "plant-1").expect("provision");
    let (out, err) = hub
        .cli_with_input(
            &[
                "user", "add", "--tenant", "acme", "--login", "anna", "--role", "admin",
            ],
            &format!("{PASSWORD}\n"),
        )
        .expect("the first admin is made");
    assert!(out.contains("anna") && !out.contains(PASSWORD) && !err.contains(PASSWORD));
    hub.set_env("RUST_LOG", "trace");
    hub.start().await.expect("hub starts");
    let base = hub.url();
    let client = reqwest::Client::new();
    let login = |password: &'static str| {
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"tenant": "acme", "login": "anna", "password": password}))
            .send()
    };
    assert_eq!(login(WRONG).await.expect("answers").status(), 401);
    let ok = login(PASSWORD).await.expect("answers");
    assert_eq!(ok.status(), 200);
    let cookie = ok
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string();
    let secret = cookie.split_once('=').expect("name=value").1.to_string();
    let body: Value = ok.json().await.expect("JSON");
    let csrf = body["csrf_token"].as_str().expect("a CSRF token").to_string();
    let me = client
        .get(format!("{base}/api/v1/auth/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("answers");
    assert_eq!(me.status(), 200);
    let made = client
        .post(format!("{base}/api/v1/users/anna/tokens"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "laptop", "rights": ["stock:view"]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(made.status(), 201);
    let user_token = made.json::<Value>().await.expect("JSON")["token"]
        .as_str()
        .expect("the token, once")
        .to_string();
    let stock = client
        .get(format!("{base}/api/v1/stock"))
        .bearer_auth(&user_token)
        .send()
        .await
        .expect("answers");
    assert_eq!(stock.status(), 200);
    let ingest = client
        .post(format!("{base}/api/v1/ingest"))
        .bearer_auth(&creds.agent_token)
        .header("content-encoding", "gzip")
        .body(gzip(&batch(&creds.agent_id)))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        ingest.status(),
        200,
        "{}",
        ingest.text().await.unwrap_or_default()
    );
    let downlink = client
        .get(format!("{base}{}", mes_protocols::downlink::DOWNLINK_PATH))
        .bearer_auth(&creds.agent_token)
        .send()
        .await
        .expect("answers");
    assert_eq!(downlink.status(), 200);
    let logout = client
        .post(format!("{base}/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("answers");
    assert_eq!(logout.status(), 200);
    hub.stop();
    let log = hub.log();
    assert!(
        log.lines().count() > 10,
        "the hub logged the flow at trace level:\n{log}"
    );
    for (what, secret) in [
        ("the password", PASSWORD),
        ("the wrong password", WRONG),
        ("the session secret", secret.as_str()),
        ("the CSRF token", csrf.as_str()),
        ("the user's API token", user_token.as_str()),
        ("the service API token", creds.api_token.as_str()),
        ("the agent token", creds.agent_token.as_str()),
    ] {
        assert!(!log.contains(secret), "{what} is in the hub's log");
    }
}
