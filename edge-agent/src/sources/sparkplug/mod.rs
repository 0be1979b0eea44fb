//! The Sparkplug B source: the agent as a Sparkplug host application,
//! consuming one group of edge nodes over MQTT (rumqttc).
//!
//! Shape: `config` (the `[sparkplug]` section, parsed once into
//! [`SparkplugSettings`]), `client` (the connection task: subscribe,
//! decode, track, request rebirths, publish STATE), `map` (the tracker's
//! outcome to observations, pure) and `stats` (its counters). The codec and
//! the session rules (births, aliases, `seq`, `bdSeq`) are
//! `mes_protocols::sparkplug`, pure and property-tested.

mod client;
mod config;
mod map;
mod stats;

pub use client::run;
pub use config::{ENV_SPARKPLUG_PASSWORD, SparkplugConfig, SparkplugSettings};
pub use stats::SparkplugStats;

use crate::sources::ObservationSink;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Starts the connection task of `settings`.
pub fn start(
    settings: SparkplugSettings,
    sink: &ObservationSink,
    shutdown: &CancellationToken,
    tasks: &mut JoinSet<()>,
) {
    tasks.spawn(run(settings, sink.clone(), shutdown.clone()));
}
