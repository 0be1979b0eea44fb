//! Tests against real Mosquitto brokers: the shared one (`MES_TEST_MQTT`,
//! default 127.0.0.1:1883) for mapping and bad input, and one started by the
//! test on a free port for broker restarts. Each skips with a printed reason
//! when its broker is not available.

use super::test_support::{
    Agent, DEADLINE, Mosquitto, Publisher, eventually, links, settings, shared_broker, unique, values,
};
use std::time::Duration;

fn state_subscription(prefix: &str) -> String {
    format!(
        "[[mqtt.subscriptions]]\ntopic = \"{prefix}/+line/+machine/state\"\ndevice = \"{{machine}}\"\n\
         payload = \"value\"\ntag = \"state\"\n"
    )
}

/// Publishes `value` to `{prefix}/l1/{machine}/state` until the source
/// observes it: subscribing races the first publishes.
async fn until_observed(agent: &mut Agent, publisher: &mut Publisher, prefix: &str, machine: &str) -> bool {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while tokio::time::Instant::now() < deadline {
        publisher
            .publish(&format!("{prefix}/l1/{machine}/state"), b"probe")
            .await;
        if agent
            .until(
                |s| !values(s, machine, "state").is_empty(),
                Duration::from_millis(300),
            )
            .await
        {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn mqtt_mapped_messages_become_observations_and_bad_input_does_not_stop_the_flow() {
    let Some(broker) = shared_broker().await else {
        return;
    };
    let p = unique("flow");
    let subs = format!(
        "{}[[mqtt.subscriptions]]\ntopic = \"{p}/+line/+machine/telemetry\"\ndevice = \"{{line}}-{{machine}}\"\n\
         payload = \"json\"\nfields = {{ temperature = \"data.temp\", speed = \"axes[1].rpm\" }}\ntimestamp = \"ts\"\n",
        state_subscription(&p)
    );
    let mut agent = Agent::start(settings(&broker, &unique("agent"), true, 200, &subs));
    let mut publisher = Publisher::connect(&broker);
    assert!(
        until_observed(&mut agent, &mut publisher, &p, "probe").await,
        "subscribed"
    );
    assert_eq!(links(&agent.seen, "test-broker").first(), Some(&"up"));

    let telemetry = format!("{p}/l1/m1/telemetry");
    publisher.publish(&telemetry, b"{not json").await;
    publisher
        .publish(&telemetry, br#"{"data": {"temp": [1]}, "axes": [0, {"rpm": 5}]}"#)
        .await;
    publisher
        .publish(&telemetry, br#"{"ts": "soon", "data": {"temp": 1}}"#)
        .await;
    publisher.publish(&format!("{p}/l1//state"), b"1").await;
    publisher.publish(&format!("{p}/l1/m1/state"), b"running").await;
    let good = br#"{"ts": 1795640543123, "data": {"temp": 21.5}, "axes": [{}, {"rpm": 1200}]}"#;
    publisher.publish(&telemetry, good).await;

    assert!(
        agent
            .until(|s| !values(s, "l1-m1", "temperature").is_empty(), DEADLINE)
            .await
    );
    assert_eq!(values(&agent.seen, "m1", "state"), ["\"running\""]);
    assert_eq!(values(&agent.seen, "l1-m1", "speed"), ["5", "1200"]);
    assert_eq!(values(&agent.seen, "l1-m1", "temperature"), ["21.5"]);
    let at = agent.seen.last().map(|o| o.at.unix_millis());
    assert_eq!(at, Some(1_795_640_543_123), "the device's own timestamp");
    let stats = agent.stats.clone();
    let empty_device = format!("{p}/l1//state");
    let counted = || {
        let bad = stats.bad_inputs();
        bad.get("l1-m1") == Some(&3) && bad.get(&empty_device) == Some(&1)
    };
    assert!(
        eventually(counted, DEADLINE).await,
        "{:?}",
        agent.stats.bad_inputs()
    );
    agent.stop().await;
}

#[tokio::test]
async fn mqtt_topic_of_a_stale_persistent_subscription_is_counted_as_unknown() {
    let Some(broker) = shared_broker().await else {
        return;
    };
    let p = unique("stale");
    let client_id = unique("agent");
    let legacy = format!(
        "{}[[mqtt.subscriptions]]\ntopic = \"{p}/legacy/+x\"\ndevice = \"{{x}}\"\npayload = \"value\"\ntag = \"v\"\n",
        state_subscription(&p)
    );
    let mut publisher = Publisher::connect(&broker);
    let mut old = Agent::start(settings(&broker, &client_id, false, 200, &legacy));
    assert!(
        until_observed(&mut old, &mut publisher, &p, "first").await,
        "old config subscribed"
    );
    old.stop().await;

    // Same persistent session, newer configuration without the legacy subscription.
    let mut agent = Agent::start(settings(&broker, &client_id, false, 200, &state_subscription(&p)));
    assert!(
        until_observed(&mut agent, &mut publisher, &p, "second").await,
        "new config subscribed"
    );
    let topic = format!("{p}/legacy/a");
    publisher.publish(&topic, b"1").await;
    publisher.publish(&format!("{p}/l1/m1/state"), b"after").await;
    assert!(
        agent
            .until(|s| !values(s, "m1", "state").is_empty(), DEADLINE)
            .await,
        "flow continues"
    );
    let stats = agent.stats.clone();
    assert!(eventually(|| stats.bad_inputs().get(&topic) == Some(&1), DEADLINE).await);
    agent.stop().await;

    // Leave no persistent session behind on the shared broker.
    let mut cleanup = Agent::start(settings(&broker, &client_id, true, 200, &state_subscription(&p)));
    assert!(
        cleanup
            .until(|s| links(s, "test-broker").contains(&"up"), DEADLINE)
            .await
    );
    cleanup.stop().await;
}

/// A message over `max_payload_bytes` (and over the 1 MiB packet limit the
/// agent had before, which dropped the connection and, with a persistent
/// session, had the broker redeliver it forever) is counted, acknowledged
/// and skipped; the connection stays up and the next message maps.
#[tokio::test]
async fn mqtt_a_message_over_the_payload_limit_is_counted_and_the_flow_continues() {
    let Some(broker) = shared_broker().await else {
        return;
    };
    let p = unique("big");
    let client_id = unique("agent");
    let mut agent = Agent::start(settings(&broker, &client_id, false, 200, &state_subscription(&p)));
    let mut publisher = Publisher::connect(&broker);
    assert!(
        until_observed(&mut agent, &mut publisher, &p, "probe").await,
        "subscribed"
    );
    let topic = format!("{p}/l1/m1/state");
    publisher.publish(&topic, &vec![b'x'; 2 * 1024 * 1024]).await;
    publisher.publish(&topic, b"after").await;
    assert!(
        agent
            .until(|s| !values(s, "m1", "state").is_empty(), DEADLINE)
            .await,
        "the message after the oversized one maps"
    );
    assert_eq!(values(&agent.seen, "m1", "state"), ["\"after\""]);
    let stats = agent.stats.clone();
    assert!(
        eventually(|| stats.bad_inputs().get(&topic) == Some(&1), DEADLINE).await,
        "{:?}",
        agent.stats.bad_inputs()
    );
    assert_eq!(
        links(&agent.seen, "test-broker"),
        ["up"],
        "the connection never dropped"
    );
    agent.stop().await;

    // The same persistent session again: the oversized message was
    // acknowledged, so nothing comes back; then leave no session behind.
    let mut again = Agent::start(settings(&broker, &client_id, true, 200, &state_subscription(&p)));
    assert!(
        again
            .until(|s| links(s, "test-broker").contains(&"up"), DEADLINE)
            .await
    );
    assert!(
        again.stats.bad_inputs().is_empty(),
        "{:?}",
        again.stats.bad_inputs()
    );
    again.stop().await;
}

#[tokio::test]
async fn mqtt_qos1_messages_published_while_disconnected_arrive_after_a_broker_restart() {
    let Some(mut mosquitto) = Mosquitto::start().await else {
        return;
    };
    let p = unique("restart");
    // A long first reconnect delay (2-4 s) leaves time to publish while the
    // agent is away.
    let config = settings(
        &mosquitto.addr,
        &unique("agent"),
        false,
        4000,
        &state_subscription(&p),
    );
    let mut agent = Agent::start(config);
    let mut publisher = Publisher::connect(&mosquitto.addr);
    assert!(
        until_observed(&mut agent, &mut publisher, &p, "probe").await,
        "subscribed"
    );
    drop(publisher);

    restart_broker(&mut mosquitto, &mut agent).await;
    let mut publisher = Publisher::connect(&mosquitto.addr);
    for i in 0..5 {
        publisher
            .publish(&format!("{p}/l1/m1/state"), i.to_string().as_bytes())
            .await;
    }
    agent.drain();
    assert_eq!(
        links(&agent.seen, "test-broker"),
        ["up", "down"],
        "the messages were published while the agent was disconnected"
    );

    assert!(
        agent
            .until(|s| values(s, "m1", "state").len() == 5, DEADLINE)
            .await,
        "queued messages arrive; seen {:?}\nbroker log:\n{}",
        agent.seen,
        mosquitto.log()
    );
    assert_eq!(values(&agent.seen, "m1", "state"), ["0", "1", "2", "3", "4"]);
    assert_eq!(links(&agent.seen, "test-broker"), ["up", "down", "up"]);
    publisher.publish(&format!("{p}/l1/m2/state"), b"7").await;
    assert!(
        agent.until(|s| values(s, "m2", "state") == ["7"], DEADLINE).await,
        "live again"
    );
    agent.stop().await;
}

#[tokio::test]
async fn mqtt_source_resubscribes_after_a_restart_that_forgot_its_session() {
    let Some(mut mosquitto) = Mosquitto::start().await else {
        return;
    };
    let p = unique("resub");
    // A clean session: the broker keeps no subscription for the agent.
    let config = settings(
        &mosquitto.addr,
        &unique("agent"),
        true,
        100,
        &state_subscription(&p),
    );
    let mut agent = Agent::start(config);
    let mut publisher = Publisher::connect(&mosquitto.addr);
    assert!(
        until_observed(&mut agent, &mut publisher, &p, "before").await,
        "subscribed"
    );
    drop(publisher);

    restart_broker(&mut mosquitto, &mut agent).await;
    assert!(
        agent
            .until(|s| links(s, "test-broker").last() == Some(&"up"), DEADLINE)
            .await
    );
    let mut publisher = Publisher::connect(&mosquitto.addr);
    assert!(
        until_observed(&mut agent, &mut publisher, &p, "after").await,
        "resubscribed"
    );
    agent.stop().await;
}

/// Stops the broker, waits until the agent reports the link down, and starts
/// the broker again on the same port.
async fn restart_broker(mosquitto: &mut Mosquitto, agent: &mut Agent) {
    mosquitto.stop();
    assert!(
        agent
            .until(|s| links(s, "test-broker").last() == Some(&"down"), DEADLINE)
            .await
    );
    assert!(mosquitto.restart().await, "broker restarted on the same port");
}
