//! MQTT subscriptions (rumqttc): topics mapped to devices and tags.
//! Filled in by the MQTT source work; see `config.rs`.

mod config;

pub use config::MqttConfig;
