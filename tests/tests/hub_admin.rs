//! The hub's administration from its command line and API, against the
//! real binary: a site added by the CLI is listed by the API at once; a
//! revoked API token and a disabled agent stop authenticating (and an
//! enabled agent works again).

use mes_tests::{Binaries, HubProcess};
use reqwest::StatusCode;
use serde_json::Value;

fn binaries() -> Binaries {
    Binaries {
        hub: env!("CARGO_BIN_EXE_hub").into(),
        agent: env!("CARGO_BIN_EXE_agent").into(),
    }
}

async fn status_of(client: &reqwest::Client, url: &str, token: &str) -> StatusCode {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("the hub answers")
        .status()
}

#[tokio::test]
async fn cli_sites_are_listed_and_revoked_or_disabled_credentials_stop_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hub = HubProcess::new(&binaries().hub, dir.path()).expect("hub");
    let creds = hub.provision("acme", "plant-1").expect("provision");
    let second = hub
        .cli(&["token", "add", "--tenant", "acme", "--name", "script"])
        .expect("token");
    let script_token = second
        .split('"')
        .nth(1)
        .expect("the token is printed quoted")
        .to_string();
    hub.start().await.expect("hub starts");
    let client = reqwest::Client::new();
    let base = hub.url();

    let sites: Value = client
        .get(format!("{base}/api/v1/sites"))
        .bearer_auth(&creds.api_token)
        .send()
        .await
        .expect("the hub answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(sites["items"][0]["code"], "plant-1", "{sites}");

    let downlink = format!("{base}{}", mes_protocols::downlink::DOWNLINK_PATH);
    assert_eq!(
        status_of(&client, &downlink, &creds.agent_token).await,
        StatusCode::OK
    );
    hub.cli(&["agent", "disable", "--tenant", "acme", &creds.agent_id])
        .expect("agent disable");
    assert_eq!(
        status_of(&client, &downlink, &creds.agent_token).await,
        StatusCode::UNAUTHORIZED,
        "a disabled agent's token no longer authenticates"
    );
    hub.cli(&["agent", "enable", "--tenant", "acme", &creds.agent_id])
        .expect("agent enable");
    assert_eq!(
        status_of(&client, &downlink, &creds.agent_token).await,
        StatusCode::OK
    );

    let agents = format!("{base}/api/v1/agents");
    assert_eq!(status_of(&client, &agents, &script_token).await, StatusCode::OK);
    hub.cli(&["token", "revoke", "--tenant", "acme", "script"])
        .expect("token revoke");
    assert_eq!(
        status_of(&client, &agents, &script_token).await,
        StatusCode::UNAUTHORIZED,
        "a revoked token no longer authenticates"
    );
    assert_eq!(
        status_of(&client, &agents, &creds.api_token).await,
        StatusCode::OK,
        "other tokens still work"
    );
    let listed = hub
        .cli(&["token", "list", "--tenant", "acme"])
        .expect("token list");
    assert!(
        listed.contains("script\t") && listed.contains("revoked"),
        "{listed}"
    );
    assert!(
        hub.cli(&["token", "revoke", "--tenant", "acme", "script"])
            .is_err(),
        "nothing left to revoke is an error"
    );
    hub.stop();
}
