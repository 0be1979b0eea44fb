//! Modbus TCP and RTU polling (tokio-modbus): `config.rs` (devices, poll
//! groups, tags, parsed into read plans), `connection.rs` (connect, read a
//! block with a timeout), `bus.rs` (a serial line shared by its RTU
//! devices), `poller.rs` (one task per device), `report.rs` (units,
//! deadband), `stats.rs` (poll counts and jitter).

mod bus;
mod config;
mod connection;
mod link;
mod poller;
mod probe;
mod report;
mod stats;

pub use bus::{SerialBus, SerialBuses};
pub use config::{
    AddressStyle, DeviceSpec, GroupSpec, ModbusDeviceConfig, Parity, PollGroupConfig, ReportMode,
    SerialConfig, TagConfig, TagSpec, Transport, parse_devices,
};
pub use connection::{BlockData, ReadError, connect, describe, read_block};
pub use link::Link;
pub use poller::run;
pub use probe::{ProbeRow, probe_range, probe_tags, render};
pub use stats::ModbusStats;
