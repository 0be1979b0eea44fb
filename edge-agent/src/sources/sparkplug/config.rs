//! Configuration of the Sparkplug B source (`[sparkplug]`): the broker, the
//! group to consume, and how the agent behaves as a Sparkplug host
//! application; parsed once into [`SparkplugSettings`], which cannot hold
//! an invalid value. Errors name the key and the reason
//! (`sparkplug.group_id: "plant/1": ...`).

use crate::sources::mqtt::{Broker, Secret};
use mes_protocols::Code;
use mes_protocols::config_text::ConfigError;
use mes_protocols::sparkplug;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// Environment variable overriding `sparkplug.password`.
pub const ENV_SPARKPLUG_PASSWORD: &str = "MES_SPARKPLUG_PASSWORD";

/// The largest `max_payload_bytes`.
const MAX_PAYLOAD_LIMIT: usize = 16 * 1024 * 1024;

/// The Sparkplug B source: one broker connection consuming one group as a
/// host application. Device names: an edge node's own metrics are the
/// device `<edge node id>`, a device's are `<edge node id>/<device id>`;
/// tag names are metric names (`Inputs/Temperature`), whatever alias a
/// birth gave them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparkplugConfig {
    /// Name of this broker connection; its link up/down events are reported
    /// for a device of this name.
    #[serde(default = "default_name")]
    pub name: String,
    /// Broker address: `mqtt://host:port` or `mqtts://host:port`.
    pub broker: String,
    /// MQTT client id, unique per agent.
    pub client_id: String,
    /// User name, if the broker wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password for `username`; the environment variable
    /// `MES_SPARKPLUG_PASSWORD` overrides it. Never logged.
    #[serde(default)]
    pub password: Option<Secret>,
    /// CA certificate file (PEM) for `mqtts://`.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The Sparkplug group consumed: the agent subscribes to
    /// `spBv1.0/<group_id>/#`.
    pub group_id: String,
    /// When set, the agent is a Sparkplug host application of this id: it
    /// publishes `spBv1.0/STATE/<host_id>` online (retained) on connect,
    /// with offline as its will, so edge nodes that wait for their primary
    /// host publish to it.
    #[serde(default)]
    pub host_id: Option<String>,
    /// Shortest time between two rebirth requests to one edge node, in
    /// milliseconds (a node that keeps losing messages is not flooded).
    #[serde(default = "default_rebirth_interval")]
    pub rebirth_interval_ms: u64,
    /// Date values by the payload's timestamp (`true`, the default: the
    /// edge node's clock) or by when the agent received them (`false`).
    /// Historical metrics always keep their own timestamps.
    #[serde(default = "default_true")]
    pub use_payload_time: bool,
    /// Keep-alive interval in seconds (1 to 65535).
    #[serde(default = "default_keep_alive")]
    pub keep_alive_secs: u64,
    /// First reconnect delay, in milliseconds (doubles, with jitter).
    #[serde(default = "default_reconnect_initial")]
    pub reconnect_initial_ms: u64,
    /// Longest reconnect delay, in seconds.
    #[serde(default = "default_reconnect_max")]
    pub reconnect_max_secs: u64,
    /// Largest payload decoded, in bytes (1 to 16 MiB); a larger one is
    /// counted as bad input.
    #[serde(default = "default_max_payload")]
    pub max_payload_bytes: usize,
}

/// The checked Sparkplug configuration the running source uses.
#[derive(Debug, Clone)]
pub struct SparkplugSettings {
    /// The connection's pseudo-device.
    pub name: Code,
    /// The broker.
    pub broker: Broker,
    /// The client id (non-empty).
    pub client_id: String,
    /// User name and password.
    pub credentials: Option<(String, Secret)>,
    /// The group consumed (a valid Sparkplug id).
    pub group_id: String,
    /// The host application id, when the agent publishes STATE.
    pub host_id: Option<String>,
    /// Shortest time between rebirth requests to one node.
    pub rebirth_interval: Duration,
    /// Date values by the payload's timestamp.
    pub use_payload_time: bool,
    /// Keep-alive interval (at least one second).
    pub keep_alive: Duration,
    /// First reconnect delay.
    pub reconnect_initial: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
    /// Largest payload decoded.
    pub max_payload: usize,
}

impl SparkplugConfig {
    /// Parses the section read from `file`, taking the password from
    /// `MES_SPARKPLUG_PASSWORD` when set.
    pub fn parse(&self, file: &str) -> Result<SparkplugSettings, ConfigError> {
        self.parse_with_env(file, |key| std::env::var(key).ok())
    }

    /// [`Self::parse`] with the environment given as a function.
    pub fn parse_with_env(
        &self,
        file: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<SparkplugSettings, ConfigError> {
        let err = |key: &str, reason: String| ConfigError::new(file, format!("sparkplug.{key}"), reason);
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
        let group_id =
            sparkplug::id(&self.group_id, "group id").map_err(|e| err("group_id", e.to_string()))?;
        let host_id = self
            .host_id
            .as_deref()
            .map(|h| sparkplug::id(h, "host id").map_err(|e| err("host_id", e.to_string())))
            .transpose()?;
        let password = env(ENV_SPARKPLUG_PASSWORD)
            .map(Secret::new)
            .or_else(|| self.password.clone());
        let credentials = match (&self.username, password) {
            (Some(user), password) => Some((
                user.clone(),
                password.unwrap_or_else(|| Secret::new(String::new())),
            )),
            (None, Some(_)) => {
                return Err(err(
                    "password",
                    format!("a password (or {ENV_SPARKPLUG_PASSWORD}) needs sparkplug.username"),
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
        if self.reconnect_initial_ms == 0
            || self.reconnect_max_secs == 0
            || self.reconnect_initial_ms > self.reconnect_max_secs.saturating_mul(1000)
        {
            return Err(err(
                "reconnect_initial_ms",
                "reconnect delays must be positive, the first no longer than reconnect_max_secs".into(),
            ));
        }
        if !(1..=MAX_PAYLOAD_LIMIT).contains(&self.max_payload_bytes) {
            return Err(err(
                "max_payload_bytes",
                format!("{} is outside 1..={MAX_PAYLOAD_LIMIT}", self.max_payload_bytes),
            ));
        }
        if self.rebirth_interval_ms > 3_600_000 {
            return Err(err(
                "rebirth_interval_ms",
                format!("{} is over an hour", self.rebirth_interval_ms),
            ));
        }
        Ok(SparkplugSettings {
            name,
            broker,
            client_id: self.client_id.clone(),
            credentials,
            group_id,
            host_id,
            rebirth_interval: Duration::from_millis(self.rebirth_interval_ms),
            use_payload_time: self.use_payload_time,
            keep_alive: Duration::from_secs(self.keep_alive_secs),
            reconnect_initial: Duration::from_millis(self.reconnect_initial_ms),
            reconnect_max: Duration::from_secs(self.reconnect_max_secs),
            max_payload: self.max_payload_bytes,
        })
    }
}

impl SparkplugSettings {
    /// Whether this source could feed `device`: an edge node id, or
    /// `<edge node id>/<device id>` (any node of the group may appear, so
    /// only the shape is checked).
    pub fn could_name(&self, device: &str) -> bool {
        let mut levels = device.split('/');
        let node = levels.next().is_some_and(|n| sparkplug::id(n, "").is_ok());
        let rest: Vec<&str> = levels.collect();
        node && match rest.as_slice() {
            [] => true,
            [d] => sparkplug::id(d, "").is_ok(),
            _ => false,
        }
    }
}

fn default_name() -> String {
    "sparkplug".into()
}

fn default_true() -> bool {
    true
}

fn default_rebirth_interval() -> u64 {
    5_000
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> Result<SparkplugSettings, ConfigError> {
        let config: SparkplugConfig = toml::from_str(toml).expect("shape");
        config.parse_with_env("agent.toml", |_| None)
    }

    const BASE: &str = "broker = \"mqtt://127.0.0.1\"\nclient_id = \"a\"\n";

    #[test]
    fn a_minimal_section_takes_the_defaults() {
        let s = parse(&format!("{BASE}group_id = \"plant\"")).expect("valid");
        assert_eq!(s.group_id, "plant");
        assert_eq!(s.broker.port, 1883);
        assert_eq!(s.rebirth_interval, Duration::from_secs(5));
        assert!(s.use_payload_time);
        assert!(s.could_name("gw1") && s.could_name("gw1/press-1"));
        assert!(!s.could_name("gw1/a/b") && !s.could_name("gw1/") && !s.could_name("a+"));
    }

    #[test]
    fn bad_values_name_their_key() {
        for (extra, key) in [
            ("group_id = \"plant/1\"", "sparkplug.group_id"),
            ("group_id = \"p\"\nhost_id = \"#\"", "sparkplug.host_id"),
            ("group_id = \"p\"\npassword = \"x\"", "sparkplug.password"),
            (
                "group_id = \"p\"\nkeep_alive_secs = 0",
                "sparkplug.keep_alive_secs",
            ),
            (
                "group_id = \"p\"\nmax_payload_bytes = 0",
                "sparkplug.max_payload_bytes",
            ),
        ] {
            let e = parse(&format!("{BASE}{extra}")).expect_err(extra);
            assert_eq!(e.key, key, "{e}");
        }
        let e = parse("broker = \"tcp://x\"\nclient_id = \"a\"\ngroup_id = \"p\"").expect_err("scheme");
        assert_eq!(e.key, "sparkplug.broker");
    }
}
