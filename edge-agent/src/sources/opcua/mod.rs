//! The OPC UA source (async-opcua client): one session per configured
//! server, tags by node id with the namespace named by URI.
//!
//! Shape: `config` (`[[opcua]]`, parsed once into [`OpcuaSpec`]s),
//! `node` (node ids by namespace URI, resolved per session, pure),
//! `value` (DataValue to tag value; Bad/Uncertain is no value, pure),
//! `identity` (the session's user: anonymous, name and password, or an
//! X.509 user certificate), `trust` (the server certificate trusted: a
//! file, or the SHA-256 fingerprint of the one the server presents),
//! `session` (the client, connecting, the session's event loop, the
//! server's namespaces and operation limits; shared with the probe),
//! `client` (the task per server: connect, resolve, read all, subscribe,
//! start over on loss; see [`run`]) and `probe` (`edge-agent probe`: the
//! tags once, and a browse of the address space).

mod client;
mod config;
mod identity;
mod node;
mod probe;
mod session;
mod trust;
mod value;

pub use client::run;
pub use config::{OpcuaConfig, OpcuaSpec, OpcuaTagConfig, parse_servers};
pub use probe::{Browse, probe};

use crate::sources::ObservationSink;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Starts one task per server.
pub fn start(
    servers: Vec<OpcuaSpec>,
    sink: &ObservationSink,
    shutdown: &CancellationToken,
    tasks: &mut JoinSet<()>,
) {
    for spec in servers {
        tasks.spawn(run(spec, sink.clone(), shutdown.clone()));
    }
}
