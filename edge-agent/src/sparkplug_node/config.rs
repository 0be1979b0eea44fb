//! Configuration of the agent's own Sparkplug B edge node
//! (`[sparkplug_node]`), parsed once into [`SparkplugNodeSpec`].

use crate::sources::mqtt::{Broker, Secret};
use mes_protocols::config_text::ConfigError;
use mes_protocols::sparkplug;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// Environment variable overriding `sparkplug_node.password`.
pub const ENV_SPARKPLUG_NODE_PASSWORD: &str = "MES_SPARKPLUG_NODE_PASSWORD";

/// The agent as a Sparkplug B edge node: it publishes what the MES sees
/// of every equipment (state, reason, good and scrap totals, process
/// values) so a plant's SCADA sees it too.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparkplugNodeConfig {
    /// Broker address: `mqtt://host:port` or `mqtts://host:port`.
    pub broker: String,
    /// MQTT client id (not the one of `[sparkplug]` or `[mqtt]`).
    pub client_id: String,
    /// User name, if the broker wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password for `username`; `MES_SPARKPLUG_NODE_PASSWORD` overrides it.
    #[serde(default)]
    pub password: Option<Secret>,
    /// CA certificate file (PEM) for `mqtts://`.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The Sparkplug group the node publishes in.
    pub group_id: String,
    /// The edge node id (topics `spBv1.0/<group_id>/<type>/<edge_node_id>`).
    pub edge_node_id: String,
    /// How often the equipment's status is compared with what was
    /// published, in milliseconds; changes go out as DDATA.
    #[serde(default = "default_interval")]
    pub publish_interval_ms: u64,
    /// When set, publish only while this primary host application's STATE
    /// (`spBv1.0/STATE/<id>`) says online; births go out again when it
    /// comes back.
    #[serde(default)]
    pub primary_host_id: Option<String>,
    /// Keep-alive interval in seconds (1 to 65535).
    #[serde(default = "default_keep_alive")]
    pub keep_alive_secs: u64,
    /// Longest reconnect delay, in seconds (the first is 500 ms).
    #[serde(default = "default_reconnect_max")]
    pub reconnect_max_secs: u64,
}

/// The checked edge node configuration.
#[derive(Debug, Clone)]
pub struct SparkplugNodeSpec {
    /// The broker.
    pub broker: Broker,
    /// The client id.
    pub client_id: String,
    /// User name and password.
    pub credentials: Option<(String, Secret)>,
    /// The group id (a valid Sparkplug id).
    pub group_id: String,
    /// The edge node id (a valid Sparkplug id).
    pub edge_node_id: String,
    /// How often changes are published.
    pub publish_interval: Duration,
    /// The primary host whose STATE gates publishing.
    pub primary_host_id: Option<String>,
    /// Keep-alive interval.
    pub keep_alive: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
}

impl SparkplugNodeConfig {
    /// Parses the section read from `file`.
    pub fn parse(&self, file: &str) -> Result<SparkplugNodeSpec, ConfigError> {
        let err = |key: &str, reason: String| ConfigError::new(file, format!("sparkplug_node.{key}"), reason);
        let broker =
            Broker::parse(&self.broker, self.ca_file.as_deref()).map_err(|(key, why)| err(key, why))?;
        if self.client_id.is_empty() || self.client_id.chars().any(char::is_control) {
            return Err(err(
                "client_id",
                "must be non-empty text without control characters".into(),
            ));
        }
        let id = |raw: &str, key: &str| sparkplug::id(raw, key).map_err(|e| err(key, e.to_string()));
        let group_id = id(&self.group_id, "group_id")?;
        let edge_node_id = id(&self.edge_node_id, "edge_node_id")?;
        let primary_host_id = self
            .primary_host_id
            .as_deref()
            .map(|h| id(h, "primary_host_id"))
            .transpose()?;
        let password = std::env::var(ENV_SPARKPLUG_NODE_PASSWORD)
            .ok()
            .map(Secret::new)
            .or_else(|| self.password.clone());
        let credentials = match (&self.username, password) {
            (Some(user), password) => Some((
                user.clone(),
                password.unwrap_or_else(|| Secret::new(String::new())),
            )),
            (None, Some(_)) => {
                return Err(err("password", "a password needs sparkplug_node.username".into()));
            }
            (None, None) => None,
        };
        if !(100..=3_600_000).contains(&self.publish_interval_ms) {
            return Err(err(
                "publish_interval_ms",
                format!("{} is outside 100..=3600000", self.publish_interval_ms),
            ));
        }
        if !(1..=u64::from(u16::MAX)).contains(&self.keep_alive_secs) {
            return Err(err(
                "keep_alive_secs",
                format!("{} is outside 1..=65535", self.keep_alive_secs),
            ));
        }
        if self.reconnect_max_secs == 0 {
            return Err(err("reconnect_max_secs", "must be positive".into()));
        }
        Ok(SparkplugNodeSpec {
            broker,
            client_id: self.client_id.clone(),
            credentials,
            group_id,
            edge_node_id,
            publish_interval: Duration::from_millis(self.publish_interval_ms),
            primary_host_id,
            keep_alive: Duration::from_secs(self.keep_alive_secs),
            reconnect_max: Duration::from_secs(self.reconnect_max_secs),
        })
    }
}

fn default_interval() -> u64 {
    1_000
}

fn default_keep_alive() -> u64 {
    30
}

fn default_reconnect_max() -> u64 {
    30
}
