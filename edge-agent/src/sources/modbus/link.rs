//! A device task's way to its registers: a Modbus TCP connection of its
//! own, or its unit id on a serial line shared with other devices.

use super::bus::SerialBus;
use super::config::{DeviceSpec, Transport};
use super::connection::{BlockData, ReadError, connect, read_block};
use mes_protocols::modbus::ReadBlock;
use std::sync::Arc;
use std::time::Duration;
use tokio_modbus::client::Context;

/// A device task's way to its device.
pub enum Link {
    /// A connection of its own (Modbus TCP).
    Own(Context),
    /// Its unit id on a serial line shared with other devices (Modbus RTU).
    Bus {
        /// The line.
        bus: Arc<SerialBus>,
        /// The device's unit id on it.
        unit_id: u8,
    },
}

impl Link {
    /// Connects a TCP device; an RTU device reads through `bus` (its port's,
    /// or a bus of its own when `None`), which opens the port on first read.
    pub async fn open(spec: &DeviceSpec, bus: Option<Arc<SerialBus>>) -> Result<Link, String> {
        match &spec.transport {
            Transport::Tcp(_) => Ok(Link::Own(
                connect(&spec.transport, spec.unit_id, spec.timeout).await?,
            )),
            Transport::Rtu(serial) => Ok(Link::Bus {
                bus: bus.unwrap_or_else(|| Arc::new(SerialBus::new(serial.clone()))),
                unit_id: spec.unit_id,
            }),
        }
    }

    /// Reads one block.
    pub async fn read(&mut self, block: &ReadBlock, timeout: Duration) -> Result<BlockData, ReadError> {
        match self {
            Link::Own(ctx) => read_block(ctx, block, timeout).await,
            Link::Bus { bus, unit_id } => bus.read(*unit_id, block, timeout).await,
        }
    }

    /// Closes an own connection. A shared line stays open for the other
    /// devices: the bus itself closes it after a failed read.
    pub async fn close(self) {
        if let Link::Own(mut ctx) = self {
            use tokio_modbus::client::Client;
            let _ = tokio::time::timeout(Duration::from_millis(200), ctx.disconnect()).await;
        }
    }
}
