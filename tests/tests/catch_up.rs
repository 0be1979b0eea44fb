//! Catch-up after an outage does not wait for the uplink's backoff: once the
//! downlink reaches the hub again, the uplink stops backing off and sends.

use mes_tests::{AgentProcess, HubProcess, binaries, eventually, post_events, sample_event};
use std::time::{Duration, Instant};

#[tokio::test]
async fn the_uplink_stops_backing_off_when_the_downlink_reaches_the_hub() {
    let bins = binaries!();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hub = HubProcess::new(&bins.hub, dir.path()).expect("hub");
    let creds = hub.provision("acme", "plant-1").expect("provision");
    let agent_dir = dir.path().join("agent");
    std::fs::create_dir_all(&agent_dir).expect("dir");
    let mut agent = AgentProcess::new(
        &bins.agent,
        &agent_dir,
        &hub.url(),
        &creds,
        "[downlink]\ninterval_ms = 200\n",
    )
    .expect("agent");
    // A long first retry delay (15-30 s with jitter) that only the downlink's
    // success can cut short.
    let config = agent_dir.join("agent.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    let text = text
        .replace("backoff_initial_ms = 50", "backoff_initial_ms = 30000")
        .replace("backoff_max_secs = 1", "backoff_max_secs = 60");
    std::fs::write(&config, text).expect("config");
    agent.start().await.expect("agent starts with the hub down");

    let client = reqwest::Client::new();
    let (_, event) = sample_event(1);
    post_events(&client, &agent.url(), vec![event])
        .await
        .expect("the agent takes the event");
    let url = agent.url();
    eventually("the uplink failed and backs off", Duration::from_secs(20), || {
        let url = url.clone();
        async move {
            let h: serde_json::Value = reqwest::get(format!("{url}/healthz"))
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            h["sync"]["last_error"].is_string().then_some(())
        }
    })
    .await;

    hub.start().await.expect("the hub comes back");
    let back = Instant::now();
    eventually(
        "the event acknowledged well before the 15-30 s backoff ends",
        Duration::from_secs(8),
        || {
            let url = url.clone();
            async move {
                let h: serde_json::Value = reqwest::get(format!("{url}/healthz"))
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                (h["buffer"]["acked_seq"] == 1).then_some(())
            }
        },
    )
    .await;
    println!("acknowledged {:?} after the hub came back", back.elapsed());
}
