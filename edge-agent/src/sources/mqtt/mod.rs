//! MQTT subscriptions (rumqttc): topics mapped to devices and tags.
//!
//! Shape: [`config`](MqttConfig) (the `[mqtt]` section, parsed once into
//! [`MqttSettings`]), `topic` (filters with named `+var` levels, name
//! templates), `payload` (plain and JSON decoding), `route` (message to
//! observations), `tls` (rustls with ring) and `client` (the connection task
//! and its delivery guarantees, see [`run`]).

mod client;
mod config;
mod payload;
mod route;
mod tls;
mod topic;

#[cfg(test)]
mod broker_tests;
#[cfg(test)]
mod config_tests;
#[cfg(test)]
mod test_support;

pub use client::run;

use crate::sources::ObservationSink;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Starts the connection task of `settings`.
pub fn start(
    settings: MqttSettings,
    sink: &ObservationSink,
    shutdown: &CancellationToken,
    tasks: &mut JoinSet<()>,
) {
    tasks.spawn(run(settings, sink.clone(), shutdown.clone()));
}
pub use config::{
    Broker, ENV_MQTT_PASSWORD, MqttConfig, MqttSettings, PayloadFormat, Secret, SubscriptionConfig,
};
