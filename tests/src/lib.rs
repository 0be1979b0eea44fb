//! Test harness for end-to-end tests and benchmarks: starts the real hub and
//! agent binaries as processes on random loopback ports, each with its own
//! temporary directory and SQLite files, and offers the waits and probes the
//! tests need. Processes are killed when their handle is dropped, so a
//! failing test leaves nothing running.

mod events;
pub mod modbus;
pub mod mqtt;
mod probe;
mod process;
mod producers;
pub mod python;
pub mod report;
mod rig;
pub mod stations;
mod wait;

pub use events::{hub_event_ids, hub_event_rows, hub_events, post_events, sample_event};
pub use probe::{BufferHealth, hub_agents, hub_metric};
pub use process::{AgentProcess, Binaries, HubProcess, Provisioned, free_port};
pub use producers::{Ledger, ProducerPlan, Producers, test_seed};
pub use rig::{Rig, start_rig};
pub use wait::eventually;

/// Whether a TCP service answers at `addr` (for skipping tests whose service
/// is not installed).
pub fn service_reachable(addr: &str) -> bool {
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| {
            std::net::TcpStream::connect_timeout(&a, std::time::Duration::from_millis(500)).is_ok()
        })
}
