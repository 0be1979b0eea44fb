//! What the MQTT tests share: where the broker is, and the agent's
//! `[mqtt]` connection section for a test's own topic prefix.

/// The broker the tests use: `MES_TEST_MQTT`, else the local Mosquitto.
pub fn broker() -> String {
    std::env::var("MES_TEST_MQTT").unwrap_or_else(|_| "127.0.0.1:1883".into())
}

/// The agent's `[mqtt]` table (before its subscriptions) for `broker`,
/// with a client id of its own per `prefix` and quick reconnects.
pub fn agent_mqtt_section(broker: &str, prefix: &str) -> String {
    format!(
        "[mqtt]\nbroker = \"mqtt://{broker}\"\nclient_id = \"agent-{prefix}\"\nclean_session = true\n\
         reconnect_initial_ms = 100\nreconnect_max_secs = 1\n"
    )
}
