//! A machine simulator for demos, integration tests and benchmarks of the
//! edge agent: several simulated machines (cycle times, random stops,
//! faults and setups from a seeded RNG, counters that roll over, process
//! values) served over Modbus TCP by unit id, and optionally published as
//! MQTT machine messages and as the devices of a Sparkplug B edge node.
//!
//! Tests start it in-process:
//!
//! ```no_run
//! # async fn demo() -> Result<(), machine_sim::SimError> {
//! use machine_sim::{SimConfig, Simulator};
//! let mut config = SimConfig::with_machines(2, "127.0.0.1:0");
//! config.start_paused = true;
//! let sim = Simulator::start(config).await?;
//! let addr = sim.local_addr(); // poll unit ids 1 and 2 here
//! sim.force_fault("sim-01", 205)?; // registers show it on return
//! sim.set_counters("sim-02", 65_535, 0)?;
//! sim.step(40); // 4 s of simulated time
//! sim.shutdown().await;
//! # let _ = addr; Ok(()) }
//! ```
//!
//! Code map: `config.rs` (the TOML/CLI configuration), `resolve.rs`
//! (configuration → checked [`Plan`]), `machine.rs` (one machine's state
//! machine, pure), `layout.rs` (where signals live and how they encode,
//! with the default layout table), `image.rs` (the register snapshot reads
//! are served from), `simulator.rs` (machines, images and the clock), `handle.rs`
//! ([`Simulator::start`], [`SimHandle`]),
//! `modbus_server.rs` (the tokio-modbus service), `mqtt_publisher.rs`
//! (topics and payloads), `sparkplug_node.rs` (the Sparkplug devices and
//! metrics, births and data, pure), `sparkplug_publisher.rs` (the edge
//! node's connection: births, DDATA, rebirth, NDEATH), `summary.rs` (the
//! start-up printout).
//! Invariant: a Modbus read never takes the machines' lock; it reads the
//! image published after the last change.

pub mod config;
mod handle;
pub mod image;
pub mod layout;
pub mod machine;
mod modbus_server;
pub mod mqtt_publisher;
pub mod resolve;
mod simulator;
mod sparkplug_node;
mod sparkplug_publisher;
mod summary;

pub use config::SimConfig;
pub use handle::{MachineInfo, MqttStats, SimError, SimHandle, Simulator};
pub use layout::Layout;
pub use machine::{MachineState, MachineStatus};
pub use resolve::Plan;
