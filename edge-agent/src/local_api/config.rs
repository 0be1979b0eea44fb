//! The `[http]` section: the agent's own HTTP server.

use serde::Deserialize;
use std::net::SocketAddr;

/// The agent's HTTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to listen on. Keep it on loopback or the factory LAN: the
    /// local event intake has no authentication of its own.
    pub listen: SocketAddr,
    /// Accept events without an `id` at the local intake (`POST
    /// /local/v1/events`) and give them a fresh one. Off by default: the
    /// producer's own id is what lets a retried event be stored once; without
    /// it a retry after a lost answer stores a second copy (at-least-once).
    pub intake_allow_missing_id: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            intake_allow_missing_id: false,
        }
    }
}
