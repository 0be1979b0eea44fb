//! A serial line shared by every RTU device on it (RS-485 multidrop: one
//! port, several unit ids). RTU is half duplex: one request and its answer
//! at a time, so the line is a mutex that each device takes for one read.
//!
//! The port is opened by the first read that needs it. A read that fails
//! without an answer (timeout, I/O, garbled frame) closes the port, so that
//! late bytes of that answer cannot be taken for the next device's answer;
//! the next read, of any device, reopens it. A device's own reconnect never
//! closes the line: only a failed read does, while it holds the line.

use super::config::{SerialConfig, Transport};
use super::connection::{BlockData, ReadError, connect, read_block};
use mes_protocols::modbus::ReadBlock;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio_modbus::client::Context;
use tokio_modbus::slave::{Slave, SlaveContext};

/// One serial port and its (lazily opened) Modbus RTU connection.
pub struct SerialBus {
    serial: SerialConfig,
    line: Mutex<Option<Context>>,
}

impl SerialBus {
    /// A bus on `serial`; nothing is opened yet.
    pub fn new(serial: SerialConfig) -> Self {
        SerialBus {
            serial,
            line: Mutex::new(None),
        }
    }

    /// Reads `block` from unit `unit_id`, waiting for the line first (and
    /// opening the port if closed); `timeout` bounds the read, not the wait.
    pub async fn read(
        &self,
        unit_id: u8,
        block: &ReadBlock,
        timeout: Duration,
    ) -> Result<BlockData, ReadError> {
        let mut line = self.line.lock().await;
        let ctx = match line.as_mut() {
            Some(ctx) => ctx,
            None => {
                let transport = Transport::Rtu(self.serial.clone());
                line.insert(
                    connect(&transport, unit_id, timeout)
                        .await
                        .map_err(ReadError::Link)?,
                )
            }
        };
        ctx.set_slave(Slave(unit_id));
        let result = read_block(ctx, block, timeout).await;
        if result.as_ref().is_err_and(ReadError::breaks_link) {
            // Dropping the context closes the port (see the module comment).
            *line = None;
        }
        result
    }
}

/// The buses of the serial ports in use, one per port.
#[derive(Default)]
pub struct SerialBuses(HashMap<String, Arc<SerialBus>>);

impl SerialBuses {
    /// The bus a device reads through: its port's (created on first use),
    /// or `None` for a TCP device, which keeps a connection of its own.
    pub fn for_transport(&mut self, transport: &Transport) -> Option<Arc<SerialBus>> {
        let Transport::Rtu(serial) = transport else {
            return None;
        };
        let bus = self
            .0
            .entry(serial.port.clone())
            .or_insert_with(|| Arc::new(SerialBus::new(serial.clone())));
        Some(bus.clone())
    }
}
