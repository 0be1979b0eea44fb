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

use crate::sources::ObservationSink;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Starts one poller task per device; RTU devices on one serial port read
/// through one [`SerialBus`], one at a time. Counts go to the sink's
/// [`SourceStats`](crate::sources::SourceStats).
pub fn start(
    devices: Vec<DeviceSpec>,
    sink: &ObservationSink,
    shutdown: &CancellationToken,
    tasks: &mut JoinSet<()>,
) {
    let mut buses = SerialBuses::default();
    for device in devices {
        tracing::info!(device = %device.name, transport = ?device.transport, unit_id = device.unit_id, groups = device.groups.len(), "polling Modbus device");
        let bus = buses.for_transport(&device.transport);
        tasks.spawn(run(device, bus, sink.clone(), shutdown.clone()));
    }
}
pub use probe::{ProbeRow, probe_range, probe_tags, render};
pub use stats::ModbusStats;
