//! Opening a Modbus connection and reading one block, with a timeout, as
//! errors that say what failed where; [`Link`] is how a device task reads
//! (its own TCP connection, or its unit id on a shared serial bus).

use super::config::{Parity, SerialConfig, Transport};
use mes_protocols::modbus::{Area, ExceptionCode, ReadBlock};
use std::time::Duration;
use tokio_modbus::client::{Context, Reader};
use tokio_modbus::slave::Slave;

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The device answered with a Modbus exception (the link is fine).
    #[error("Modbus exception {0} at {1}")]
    Exception(ExceptionCode, String),
    /// No answer within the timeout.
    #[error("no answer within {0:?} reading {1}")]
    Timeout(Duration, String),
    /// The connection failed (refused, reset, protocol error).
    #[error("{0}")]
    Link(String),
}

impl ReadError {
    /// Whether the connection must be dropped and reopened.
    pub fn breaks_link(&self) -> bool {
        !matches!(self, ReadError::Exception(..))
    }
}

/// The data of one block.
pub enum BlockData {
    /// Register words.
    Words(Vec<u16>),
    /// Coil or input bits.
    Bits(Vec<bool>),
}

/// Opens a connection to the device.
pub async fn connect(transport: &Transport, unit_id: u8, timeout: Duration) -> Result<Context, String> {
    match transport {
        Transport::Tcp(address) => {
            let addr = tokio::time::timeout(timeout, tokio::net::lookup_host(address))
                .await
                .map_err(|_| format!("resolving {address} took longer than {timeout:?}"))?
                .map_err(|e| format!("cannot resolve {address}: {e}"))?
                .next()
                .ok_or_else(|| format!("{address} resolves to no address"))?;
            let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr))
                .await
                .map_err(|_| format!("connecting to {address} took longer than {timeout:?}"))?
                .map_err(|e| format!("cannot connect to {address}: {e}"))?;
            let _ = stream.set_nodelay(true);
            Ok(tokio_modbus::client::tcp::attach_slave(stream, Slave(unit_id)))
        }
        Transport::Rtu(serial) => {
            use tokio_serial::{ClearBuffer, SerialPort};
            let port =
                open_serial(serial).map_err(|e| format!("cannot open serial port {}: {e}", serial.port))?;
            // Bytes left from before (a late answer) are not ours to read.
            let _ = port.clear(ClearBuffer::Input);
            Ok(tokio_modbus::client::rtu::attach_slave(port, Slave(unit_id)))
        }
    }
}

fn open_serial(s: &SerialConfig) -> tokio_serial::Result<tokio_serial::SerialStream> {
    use tokio_serial::{DataBits, SerialPortBuilderExt, StopBits};
    let parity = match s.parity {
        Parity::None => tokio_serial::Parity::None,
        Parity::Even => tokio_serial::Parity::Even,
        Parity::Odd => tokio_serial::Parity::Odd,
    };
    tokio_serial::new(&s.port, s.baud)
        .parity(parity)
        .stop_bits(if s.stop_bits == 2 {
            StopBits::Two
        } else {
            StopBits::One
        })
        .data_bits(if s.data_bits == 7 {
            DataBits::Seven
        } else {
            DataBits::Eight
        })
        .open_native_async()
}

/// Where a block is, in words (`holding registers 100..=124`).
pub fn describe(block: &ReadBlock) -> String {
    let last = block.end().saturating_sub(1);
    format!("{} {}..={}", area_name(block.area), block.start, last)
}

fn area_name(area: Area) -> &'static str {
    match area {
        Area::Coil => "coils",
        Area::DiscreteInput => "discrete inputs",
        Area::HoldingRegister => "holding registers",
        Area::InputRegister => "input registers",
    }
}

/// Reads one block.
pub async fn read_block(
    ctx: &mut Context,
    block: &ReadBlock,
    timeout: Duration,
) -> Result<BlockData, ReadError> {
    let (start, count) = (block.start, block.count);
    let request = async {
        match block.area {
            Area::Coil => ctx.read_coils(start, count).await.map(|r| r.map(BlockData::Bits)),
            Area::DiscreteInput => ctx
                .read_discrete_inputs(start, count)
                .await
                .map(|r| r.map(BlockData::Bits)),
            Area::HoldingRegister => ctx
                .read_holding_registers(start, count)
                .await
                .map(|r| r.map(BlockData::Words)),
            Area::InputRegister => ctx
                .read_input_registers(start, count)
                .await
                .map(|r| r.map(BlockData::Words)),
        }
    };
    match tokio::time::timeout(timeout, request).await {
        Err(_) => Err(ReadError::Timeout(timeout, describe(block))),
        Ok(Err(e)) => Err(ReadError::Link(format!("reading {}: {e}", describe(block)))),
        Ok(Ok(Err(code))) => Err(ReadError::Exception(
            ExceptionCode::from_code(u8::from(code)),
            describe(block),
        )),
        Ok(Ok(Ok(data))) => Ok(data),
    }
}
