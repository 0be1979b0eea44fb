//! Configuration of the MQTT source.

use serde::Deserialize;

/// The MQTT source: one broker connection and its subscriptions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {}
