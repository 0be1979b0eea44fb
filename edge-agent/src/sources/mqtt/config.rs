//! Configuration of the MQTT source (`[mqtt]` and `[[mqtt.subscriptions]]`),
//! and its parsing into [`MqttSettings`], which cannot hold an invalid value.
//!
//! Errors name the key and the reason, e.g.
//! `mqtt.subscriptions[2].topic: "plant/#/x": '#' must be the last level`.
//! Device and tag names built from topic variables can only be checked per
//! message; constant ones are checked here.

use super::route::{Mapping, Name, Router, Subscription};
use super::{payload::JsonPath, tls, topic::Template, topic::TopicFilter};
use mes_protocols::Code;
use mes_protocols::config_text::ConfigError;
use rumqttc::QoS;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Environment variable overriding `mqtt.password`.
pub const ENV_MQTT_PASSWORD: &str = "MES_MQTT_PASSWORD";

/// The MQTT source: one broker connection and its subscriptions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// Name of this broker connection; link up/down events are reported for
    /// a device of this name.
    #[serde(default = "default_name")]
    pub name: String,
    /// Broker address: `mqtt://host:port` (plain TCP, default port 1883) or
    /// `mqtts://host:port` (TLS, default port 8883).
    pub broker: String,
    /// MQTT client id. Keep it stable and unique per agent: the broker keeps
    /// a persistent session (and the messages queued for it) under this id.
    pub client_id: String,
    /// User name, if the broker requires a login.
    #[serde(default)]
    pub username: Option<String>,
    /// Password for `username`. Prefer the environment variable
    /// `MES_MQTT_PASSWORD`, which overrides this. Never logged.
    #[serde(default)]
    pub password: Option<Secret>,
    /// CA certificate file (PEM) that signed the broker's certificate; required
    /// with `mqtts://`. For a broker with a public certificate use the system
    /// bundle, e.g. `/etc/ssl/certs/ca-certificates.crt`.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Start a fresh session on every connect (`true`), or keep a persistent
    /// one (`false`, the default) so the broker queues QoS 1/2 messages while
    /// the agent is disconnected.
    #[serde(default)]
    pub clean_session: bool,
    /// Keep-alive interval in seconds (1 to 65535); a dead connection is
    /// noticed after about 1.5 times this.
    #[serde(default = "default_keep_alive")]
    pub keep_alive_secs: u64,
    /// First reconnect delay, in milliseconds (doubles, with jitter, per failure).
    #[serde(default = "default_reconnect_initial")]
    pub reconnect_initial_ms: u64,
    /// Longest reconnect delay, in seconds.
    #[serde(default = "default_reconnect_max")]
    pub reconnect_max_secs: u64,
    /// Largest message payload mapped, in bytes (1 to
    /// [`MAX_PAYLOAD_LIMIT`]); a larger message is counted as bad input
    /// and acknowledged, never mapped.
    #[serde(default = "default_max_payload")]
    pub max_payload_bytes: usize,
    /// What to subscribe to and how messages become tags (`[[mqtt.subscriptions]]`).
    pub subscriptions: Vec<SubscriptionConfig>,
}

/// The most `max_payload_bytes` may be: the agent reads whole packets of up
/// to this (plus the topic) from the broker. A broker should refuse larger
/// messages (Mosquitto: `message_size_limit`), since one the agent cannot
/// read drops the connection each time it is delivered.
pub const MAX_PAYLOAD_LIMIT: usize = 16 * 1024 * 1024;

/// One subscription: a topic filter and how its messages map to tags.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionConfig {
    /// Topic filter. `+` matches one level, `#` (last level only) any number;
    /// `+name` matches one level and captures it as variable `name`, e.g.
    /// `plant/+line/+machine/state`.
    pub topic: String,
    /// Quality of service to subscribe with: 0, 1 (default) or 2.
    #[serde(default = "default_qos")]
    pub qos: u8,
    /// Device name; `{name}` inserts a topic variable, e.g. `"{machine}"`.
    pub device: String,
    /// Payload format: `"value"` (the whole payload is one number, true/false
    /// or text) or `"json"` (fields of a JSON document).
    pub payload: PayloadFormat,
    /// With `payload = "value"`: the tag name (variables allowed).
    #[serde(default)]
    pub tag: Option<String>,
    /// With `payload = "json"`: tag name = JSON field path, with dots and array
    /// indices, e.g. `{ state = "state", temperature = "data.temp" }`. A field
    /// missing from a message is counted as bad input, unless its path ends
    /// in `?` (`fault_code = "fault_code?"`): then the tag is just skipped.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// With `payload = "json"`: field holding the device's time (RFC 3339 text
    /// or Unix milliseconds); the receive time is used when it is absent.
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// The payload formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadFormat {
    /// Plain text: one value.
    Value,
    /// A JSON document: one value per configured field.
    Json,
}

/// A secret that never appears in logs or `Debug` output.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// A secret holding `text`.
    pub fn new(text: String) -> Secret {
        Secret(text)
    }

    /// The secret text, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// Where the broker is.
#[derive(Debug, Clone)]
pub struct Broker {
    /// Host name or address (IPv6 in brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS client configuration, for `mqtts://`.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Broker {
    /// Parses `mqtt[s]://host[:port]` and, for `mqtts://`, the CA file
    /// (required then, refused otherwise). Errors are (key, reason): the
    /// key is `broker` or `ca_file`. Shared by every MQTT connection the
    /// agent makes (`[mqtt]`, `[sparkplug]`).
    pub fn parse(raw: &str, ca_file: Option<&Path>) -> Result<Broker, (&'static str, String)> {
        let (host, port, secure) = parse_broker(raw).map_err(|why| ("broker", why))?;
        let tls = match (secure, ca_file) {
            (true, Some(path)) => {
                Some(tls::client_config(path).map_err(|e| ("ca_file", format!("{}: {e}", path.display())))?)
            }
            (true, None) => return Err(("ca_file", "is required with an mqtts:// broker".into())),
            (false, Some(_)) => return Err(("ca_file", "is only used with an mqtts:// broker".into())),
            (false, None) => None,
        };
        Ok(Broker { host, port, tls })
    }
}

/// The checked MQTT configuration the running source uses.
#[derive(Debug, Clone)]
pub struct MqttSettings {
    /// The connection's pseudo-device, for link up/down observations.
    pub name: Code,
    /// The broker.
    pub broker: Broker,
    /// The client id (non-empty).
    pub client_id: String,
    /// User name and password.
    pub credentials: Option<(String, Secret)>,
    /// Fresh session on every connect.
    pub clean_session: bool,
    /// Keep-alive interval (at least one second).
    pub keep_alive: Duration,
    /// First reconnect delay.
    pub reconnect_initial: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
    /// Largest payload mapped, in bytes.
    pub max_payload: usize,
    /// The subscriptions and their mappings.
    pub router: Router,
}

impl MqttConfig {
    /// Checks the section (including `MES_MQTT_PASSWORD` and the CA file) as
    /// read from `file`.
    pub fn validate(&self, file: &str) -> Result<(), ConfigError> {
        self.parse(file).map(|_| ())
    }

    /// Parses the section into settings, taking the password from
    /// `MES_MQTT_PASSWORD` when set.
    pub fn parse(&self, file: &str) -> Result<MqttSettings, ConfigError> {
        self.parse_with_env(file, |key| std::env::var(key).ok())
    }

    /// [`Self::parse`] with the environment given as a function.
    pub fn parse_with_env(
        &self,
        file: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<MqttSettings, ConfigError> {
        let err = |key: &str, reason: String| ConfigError::new(file, format!("mqtt.{key}"), reason);
        let name =
            Code::parse(&self.name).map_err(|why| err("name", format!("{:?}: code {why}", self.name)))?;
        let broker =
            Broker::parse(&self.broker, self.ca_file.as_deref()).map_err(|(key, why)| err(key, why))?;
        if self.client_id.is_empty() || self.client_id.chars().any(char::is_control) {
            return Err(err(
                "client_id",
                "must be non-empty text without control characters".into(),
            ));
        }
        let password = env(ENV_MQTT_PASSWORD)
            .map(Secret)
            .or_else(|| self.password.clone());
        let credentials = match (&self.username, password) {
            (Some(user), password) => Some((user.clone(), password.unwrap_or(Secret(String::new())))),
            (None, Some(_)) => {
                return Err(err(
                    "password",
                    format!("a password (or {ENV_MQTT_PASSWORD}) needs mqtt.username"),
                ));
            }
            (None, None) => None,
        };
        if !(1..=u64::from(u16::MAX)).contains(&self.keep_alive_secs) {
            return Err(err(
                "keep_alive_secs",
                format!("{} is outside 1..=65535", self.keep_alive_secs),
            ));
        }
        if self.reconnect_initial_ms == 0 || self.reconnect_max_secs == 0 {
            return Err(err(
                "reconnect_initial_ms",
                "reconnect delays must be positive".into(),
            ));
        }
        if self.reconnect_initial_ms > self.reconnect_max_secs.saturating_mul(1000) {
            return Err(err(
                "reconnect_initial_ms",
                "must not exceed reconnect_max_secs".into(),
            ));
        }
        if !(1..=MAX_PAYLOAD_LIMIT).contains(&self.max_payload_bytes) {
            return Err(err(
                "max_payload_bytes",
                format!("{} is outside 1..={MAX_PAYLOAD_LIMIT}", self.max_payload_bytes),
            ));
        }
        if self.subscriptions.is_empty() {
            return Err(err("subscriptions", "at least one subscription is needed".into()));
        }
        let subscriptions = self
            .subscriptions
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.parse().map_err(|(key, reason)| {
                    ConfigError::new(file, format!("mqtt.subscriptions[{i}].{key}"), reason)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MqttSettings {
            name,
            broker,
            client_id: self.client_id.clone(),
            credentials,
            clean_session: self.clean_session,
            keep_alive: Duration::from_secs(self.keep_alive_secs),
            reconnect_initial: Duration::from_millis(self.reconnect_initial_ms),
            reconnect_max: Duration::from_secs(self.reconnect_max_secs),
            max_payload: self.max_payload_bytes,
            router: Router::new(subscriptions),
        })
    }
}

impl MqttSettings {
    /// Whether subscription `index` (in configuration order) could name
    /// `device`: its device name is `device`, or a template some topic it
    /// matches would render as `device`. False for an index past the end.
    pub fn could_name(&self, index: usize, device: &str) -> bool {
        self.router
            .subscriptions()
            .get(index)
            .is_some_and(|s| s.device.could_be(device))
    }
}

impl SubscriptionConfig {
    /// Parses one subscription; errors are (key within the subscription, reason).
    fn parse(&self) -> Result<Subscription, (String, String)> {
        fn at(key: &str) -> impl Fn(String) -> (String, String) + '_ {
            move |reason| (key.to_string(), reason)
        }
        let filter = TopicFilter::parse(&self.topic)
            .map_err(|e| format!("{:?}: {e}", self.topic))
            .map_err(at("topic"))?;
        let qos = match self.qos {
            0 => QoS::AtMostOnce,
            1 => QoS::AtLeastOnce,
            2 => QoS::ExactlyOnce,
            n => return Err(at("qos")(format!("{n} is not 0, 1 or 2"))),
        };
        let device = name(&self.device, &filter).map_err(at("device"))?;
        let unused = |key: &str, format: &str| at(key)(format!("is not used with payload = \"{format}\""));
        let mapping = match self.payload {
            PayloadFormat::Value => {
                if !self.fields.is_empty() {
                    return Err(unused("fields", "value"));
                }
                if self.timestamp.is_some() {
                    return Err(unused("timestamp", "value"));
                }
                let tag = self
                    .tag
                    .as_deref()
                    .ok_or_else(|| at("tag")("is required with payload = \"value\"".into()))?;
                Mapping::Value {
                    tag: name(tag, &filter).map_err(at("tag"))?,
                }
            }
            PayloadFormat::Json => {
                if self.tag.is_some() {
                    return Err(unused("tag", "json"));
                }
                if self.fields.is_empty() {
                    return Err(at("fields")(
                        "at least one field is required with payload = \"json\"".into(),
                    ));
                }
                let fields = self
                    .fields
                    .iter()
                    .map(|(tag, path)| {
                        let key = format!("fields.{tag}");
                        let tag = name(tag, &filter).map_err(at(&key))?;
                        let path = JsonPath::parse(path).map_err(|e| at(&key)(format!("{path:?}: {e}")))?;
                        Ok((tag, path))
                    })
                    .collect::<Result<Vec<_>, (String, String)>>()?;
                let timestamp = self
                    .timestamp
                    .as_deref()
                    .map(|p| JsonPath::parse(p).map_err(|e| at("timestamp")(format!("{p:?}: {e}"))))
                    .transpose()?;
                Mapping::Json { fields, timestamp }
            }
        };
        Ok(Subscription {
            filter,
            qos,
            device,
            mapping,
        })
    }
}

fn name(raw: &str, filter: &TopicFilter) -> Result<Name, String> {
    Template::parse(raw, filter)
        .map_err(|e| e.to_string())
        .and_then(Name::new)
        .map_err(|why| format!("{raw:?}: {why}"))
}

/// Splits `mqtt[s]://host[:port]` into host, port and whether it is TLS.
fn parse_broker(raw: &str) -> Result<(String, u16, bool), String> {
    let (secure, rest) = match (raw.strip_prefix("mqtt://"), raw.strip_prefix("mqtts://")) {
        (Some(rest), _) => (false, rest),
        (_, Some(rest)) => (true, rest),
        _ => return Err(format!("{raw:?} must start with mqtt:// or mqtts://")),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '@', '#']) {
        return Err(format!(
            "{raw:?}: only a host and port are allowed (credentials go in username and password)"
        ));
    }
    let default_port = if secure { 8883 } else { 1883 };
    let (host, port) = if rest.starts_with('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| format!("{raw:?}: unclosed '[' in an IPv6 address"))?;
        let after = &rest[end + 1..];
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| format!("{raw:?}: expected ':' after ']'"))?,
            ),
        };
        (&rest[..=end], port)
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(format!("{raw:?}: the host is missing"));
    }
    let port = match port {
        None => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("{raw:?}: port {p:?} is not 1 to 65535"))?,
    };
    Ok((host.to_string(), port, secure))
}

fn default_name() -> String {
    "mqtt".into()
}

fn default_keep_alive() -> u64 {
    30
}

fn default_reconnect_initial() -> u64 {
    500
}

fn default_reconnect_max() -> u64 {
    30
}

fn default_max_payload() -> usize {
    1024 * 1024
}

fn default_qos() -> u8 {
    1
}
