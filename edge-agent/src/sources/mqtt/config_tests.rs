//! Tests of the `[mqtt]` section: the documented shape parses, and every
//! invalid value is refused with its key and reason.

use super::config::{MqttConfig, MqttSettings};
use super::test_support::read_section;
use mes_protocols::config_text::ConfigError;
use rumqttc::QoS;

const EXAMPLE: &str = r#"
[mqtt]
name = "line-broker"
broker = "mqtt://127.0.0.1:1883"
client_id = "edge-agent-plant-1"
username = "agent"
password = "from-file"
keep_alive_secs = 20

[[mqtt.subscriptions]]
topic = "plant/+line/+machine/state"
qos = 1
device = "{machine}"
payload = "value"
tag = "state"

[[mqtt.subscriptions]]
topic = "plant/+line/+machine/telemetry"
qos = 0
device = "{line}-{machine}"
payload = "json"
fields = { temperature = "data.temp", spindle = "axes[0].rpm" }
timestamp = "ts"
"#;

fn section(text: &str) -> MqttConfig {
    read_section("agent.toml", text)
        .expect("parses")
        .expect("has [mqtt]")
}

fn settings(text: &str) -> Result<MqttSettings, ConfigError> {
    section(text).parse_with_env("agent.toml", |_| None)
}

/// The example with `old` replaced by `new` (which must occur).
fn variant(old: &str, new: &str) -> String {
    assert!(EXAMPLE.contains(old), "{old}");
    EXAMPLE.replacen(old, new, 1)
}

fn error(text: &str) -> ConfigError {
    settings(text).expect_err("invalid")
}

#[test]
fn documented_example_parses_into_settings() {
    let s = settings(EXAMPLE).expect("valid");
    assert_eq!(s.name.as_str(), "line-broker");
    assert_eq!((s.broker.host.as_str(), s.broker.port), ("127.0.0.1", 1883));
    assert!(s.broker.tls.is_none());
    assert!(!s.clean_session, "persistent session by default");
    assert_eq!(s.keep_alive.as_secs(), 20);
    let subs = s.router.subscriptions();
    assert_eq!(subs[0].filter.mqtt_filter(), "plant/+/+/state");
    assert_eq!(subs[0].qos, QoS::AtLeastOnce);
    assert_eq!(subs[1].filter.mqtt_filter(), "plant/+/+/telemetry");
    assert_eq!(subs[1].qos, QoS::AtMostOnce);
}

#[test]
fn minimal_section_takes_defaults() {
    let s = settings(
        "[mqtt]\nbroker = \"mqtt://broker.local\"\nclient_id = \"a\"\n\
         [[mqtt.subscriptions]]\ntopic = \"m/+id\"\ndevice = \"{id}\"\npayload = \"value\"\ntag = \"v\"\n",
    )
    .expect("valid");
    assert_eq!((s.name.as_str(), s.broker.port), ("mqtt", 1883));
    assert_eq!(s.router.subscriptions()[0].qos, QoS::AtLeastOnce);
    assert_eq!(s.reconnect_initial.as_millis(), 500);
    assert!(s.credentials.is_none());
}

#[test]
fn password_comes_from_the_environment_first_and_is_never_printed() {
    let config = section(EXAMPLE);
    let from_env = config
        .parse_with_env("agent.toml", |k| {
            (k == "MES_MQTT_PASSWORD").then(|| "from-env".into())
        })
        .expect("valid");
    let (user, password) = from_env.credentials.as_ref().expect("credentials");
    assert_eq!((user.as_str(), password.expose()), ("agent", "from-env"));
    assert!(!format!("{config:?}").contains("from-file"));
    assert!(!format!("{from_env:?}").contains("from-env"));
    let err = section(&variant("username = \"agent\"\n", ""))
        .parse_with_env("agent.toml", |_| None)
        .expect_err("password without user");
    assert_eq!(err.key, "mqtt.password");
}

#[test]
fn topic_errors_name_the_subscription_and_the_filter() {
    let text = format!(
        "{EXAMPLE}\n[[mqtt.subscriptions]]\ntopic = \"plant/#/x\"\ndevice = \"d\"\npayload = \"value\"\ntag = \"t\"\n"
    );
    let err = error(&text);
    assert_eq!(err.key, "mqtt.subscriptions[2].topic");
    assert_eq!(err.reason, "\"plant/#/x\": '#' must be the last level");
    assert_eq!(
        err.to_string(),
        "agent.toml: key mqtt.subscriptions[2].topic: \"plant/#/x\": '#' must be the last level"
    );
    let err = error(&variant("plant/+line/+machine/state", "plant/+m/+m/state"));
    assert_eq!(err.key, "mqtt.subscriptions[0].topic");
    assert!(err.reason.contains("variable `m` is defined twice"), "{err}");
    let err = error(&variant("plant/+line/+machine/state", "plant/li+ne/state"));
    assert!(err.reason.contains("'+' must be a whole level"), "{err}");
}

#[test]
fn templates_may_only_use_defined_variables() {
    let err = error(&variant("device = \"{machine}\"", "device = \"{cell}\""));
    assert_eq!(err.key, "mqtt.subscriptions[0].device");
    assert!(err.reason.contains("`{cell}` is not a variable"), "{err}");
    let err = error(&variant("tag = \"state\"", "tag = \"{state}\""));
    assert_eq!(err.key, "mqtt.subscriptions[0].tag");
    let err = error(&variant("device = \"{machine}\"", "device = \" padded\""));
    assert!(
        err.reason.contains("code must not start or end with whitespace"),
        "{err}"
    );
}

#[test]
fn payload_keys_must_fit_the_format() {
    let cases = [
        (
            variant("tag = \"state\"\n", ""),
            "mqtt.subscriptions[0].tag",
            "is required",
        ),
        (
            variant("tag = \"state\"", "tag = \"s\"\ntimestamp = \"ts\""),
            "mqtt.subscriptions[0].timestamp",
            "not used",
        ),
        (
            variant("tag = \"state\"", "tag = \"s\"\nfields = { a = \"b\" }"),
            "mqtt.subscriptions[0].fields",
            "not used",
        ),
        (
            variant("timestamp = \"ts\"", "tag = \"x\""),
            "mqtt.subscriptions[1].tag",
            "not used",
        ),
        (
            variant(
                "fields = { temperature = \"data.temp\", spindle = \"axes[0].rpm\" }",
                "fields = {}",
            ),
            "mqtt.subscriptions[1].fields",
            "at least one field",
        ),
        (
            variant("\"axes[0].rpm\"", "\"axes[x].rpm\""),
            "mqtt.subscriptions[1].fields.spindle",
            "array index",
        ),
        (
            variant("timestamp = \"ts\"", "timestamp = \"a..b\""),
            "mqtt.subscriptions[1].timestamp",
            "empty field",
        ),
        (
            variant("qos = 0", "qos = 3"),
            "mqtt.subscriptions[1].qos",
            "3 is not 0, 1 or 2",
        ),
    ];
    for (text, key, reason) in cases {
        let err = error(&text);
        assert_eq!(err.key, key, "{err}");
        assert!(err.reason.contains(reason), "{err}");
    }
}

#[test]
fn connection_settings_are_checked() {
    let cases = [
        (
            variant("mqtt://127.0.0.1:1883", "tcp://127.0.0.1:1883"),
            "mqtt.broker",
            "must start with mqtt://",
        ),
        (
            variant("mqtt://127.0.0.1:1883", "mqtt://127.0.0.1:0"),
            "mqtt.broker",
            "is not 1 to 65535",
        ),
        (
            variant("mqtt://127.0.0.1:1883", "mqtt://u:p@host"),
            "mqtt.broker",
            "only a host and port",
        ),
        (
            variant("mqtt://127.0.0.1:1883", "mqtt://:1883"),
            "mqtt.broker",
            "host is missing",
        ),
        (
            variant("mqtt://127.0.0.1:1883", "mqtts://127.0.0.1"),
            "mqtt.ca_file",
            "is required",
        ),
        (
            variant("keep_alive_secs = 20", "ca_file = \"/x.pem\""),
            "mqtt.ca_file",
            "only used with an mqtts",
        ),
        (
            variant("keep_alive_secs = 20", "keep_alive_secs = 0"),
            "mqtt.keep_alive_secs",
            "outside",
        ),
        (
            variant("client_id = \"edge-agent-plant-1\"", "client_id = \"\""),
            "mqtt.client_id",
            "non-empty",
        ),
        (
            variant("name = \"line-broker\"", "name = \"\""),
            "mqtt.name",
            "must not be empty",
        ),
        (
            variant(
                "keep_alive_secs = 20",
                "reconnect_initial_ms = 60000\nreconnect_max_secs = 1",
            ),
            "mqtt.reconnect_initial_ms",
            "must not exceed",
        ),
        (
            variant("keep_alive_secs = 20", "max_payload_bytes = 0"),
            "mqtt.max_payload_bytes",
            "outside 1..=16777216",
        ),
        (
            variant("keep_alive_secs = 20", "max_payload_bytes = 16777217"),
            "mqtt.max_payload_bytes",
            "outside 1..=16777216",
        ),
    ];
    for (text, key, reason) in cases {
        let err = error(&text);
        assert_eq!(err.key, key, "{err}");
        assert!(err.reason.contains(reason), "{err}");
    }
    let err = error(&variant(
        "mqtt://127.0.0.1:1883",
        "mqtts://broker:8883\"\nca_file = \"/nonexistent.pem",
    ));
    assert_eq!(err.key, "mqtt.ca_file");
    assert!(err.reason.contains("/nonexistent.pem: cannot read"), "{err}");
}

#[test]
fn ipv6_brokers_and_default_ports_parse() {
    let s = settings(&variant("mqtt://127.0.0.1:1883", "mqtt://[::1]:1884")).expect("valid");
    assert_eq!((s.broker.host.as_str(), s.broker.port), ("[::1]", 1884));
    let s = settings(&variant("mqtt://127.0.0.1:1883", "mqtt://[::1]")).expect("valid");
    assert_eq!(s.broker.port, 1883);
    assert_eq!(
        error(&variant("mqtt://127.0.0.1:1883", "mqtt://[::1]x")).key,
        "mqtt.broker"
    );
}

#[test]
fn tls_brokers_load_the_ca_file() {
    let bundle = "/etc/ssl/certs/ca-certificates.crt";
    if !std::path::Path::new(bundle).exists() {
        eprintln!("skipping: no system CA bundle at {bundle}");
        return;
    }
    let text = variant(
        "mqtt://127.0.0.1:1883",
        &format!("mqtts://broker.example\"\nca_file = \"{bundle}"),
    );
    let s = settings(&text).expect("valid");
    assert_eq!(s.broker.port, 8883);
    assert!(s.broker.tls.is_some());
}

#[test]
fn unknown_keys_and_missing_required_keys_are_refused_by_the_loader() {
    let err =
        read_section("agent.toml", &variant("qos = 1", "qos = 1\ntopics = \"x\"")).expect_err("unknown");
    assert_eq!(err.key, "mqtt.subscriptions[0].topics");
    assert!(err.reason.contains("unknown field `topics`"), "{err}");
    let err =
        read_section("agent.toml", &variant("payload = \"value\"", "payload = \"xml\"")).expect_err("enum");
    assert_eq!(err.key, "mqtt.subscriptions[0].payload");
}
