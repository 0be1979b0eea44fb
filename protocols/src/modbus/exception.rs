//! Modbus exception codes and their names, so that every log line and
//! counter says "0x02 Illegal Data Address" instead of a bare number.

use std::fmt;

/// An exception code from a Modbus exception response, named as in the
/// Modbus Application Protocol Specification v1.1b3, §7. Codes the
/// specification does not define are kept as [`ExceptionCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExceptionCode {
    /// 0x01: the function code is not supported by the server.
    IllegalFunction,
    /// 0x02: the address (or address + count) is not valid on the server.
    IllegalDataAddress,
    /// 0x03: a value in the request is not allowed.
    IllegalDataValue,
    /// 0x04: the server failed while performing the action.
    ServerDeviceFailure,
    /// 0x05: the request was accepted but will take long to process.
    Acknowledge,
    /// 0x06: the server is busy with a long command; retry later.
    ServerDeviceBusy,
    /// 0x08: the server found a parity error in its extended memory.
    MemoryParityError,
    /// 0x0A: the gateway could not route the request.
    GatewayPathUnavailable,
    /// 0x0B: the device behind the gateway did not answer.
    GatewayTargetDeviceFailedToRespond,
    /// Any other code.
    Other(u8),
}

impl ExceptionCode {
    /// The exception named by `code`.
    pub fn from_code(code: u8) -> Self {
        match code {
            0x01 => Self::IllegalFunction,
            0x02 => Self::IllegalDataAddress,
            0x03 => Self::IllegalDataValue,
            0x04 => Self::ServerDeviceFailure,
            0x05 => Self::Acknowledge,
            0x06 => Self::ServerDeviceBusy,
            0x08 => Self::MemoryParityError,
            0x0A => Self::GatewayPathUnavailable,
            0x0B => Self::GatewayTargetDeviceFailedToRespond,
            other => Self::Other(other),
        }
    }

    /// The code on the wire.
    pub fn code(self) -> u8 {
        match self {
            Self::IllegalFunction => 0x01,
            Self::IllegalDataAddress => 0x02,
            Self::IllegalDataValue => 0x03,
            Self::ServerDeviceFailure => 0x04,
            Self::Acknowledge => 0x05,
            Self::ServerDeviceBusy => 0x06,
            Self::MemoryParityError => 0x08,
            Self::GatewayPathUnavailable => 0x0A,
            Self::GatewayTargetDeviceFailedToRespond => 0x0B,
            Self::Other(code) => code,
        }
    }

    /// The specification's name ("Illegal Data Address"), or "Unknown
    /// Exception" for codes it does not define.
    pub fn name(self) -> &'static str {
        match self {
            Self::IllegalFunction => "Illegal Function",
            Self::IllegalDataAddress => "Illegal Data Address",
            Self::IllegalDataValue => "Illegal Data Value",
            Self::ServerDeviceFailure => "Server Device Failure",
            Self::Acknowledge => "Acknowledge",
            Self::ServerDeviceBusy => "Server Device Busy",
            Self::MemoryParityError => "Memory Parity Error",
            Self::GatewayPathUnavailable => "Gateway Path Unavailable",
            Self::GatewayTargetDeviceFailedToRespond => "Gateway Target Device Failed to Respond",
            Self::Other(_) => "Unknown Exception",
        }
    }

    /// Whether the same request may succeed if simply retried later: the
    /// server or gateway was busy or unreachable, not the request wrong.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::Acknowledge
                | Self::ServerDeviceBusy
                | Self::GatewayPathUnavailable
                | Self::GatewayTargetDeviceFailedToRespond
        )
    }
}

impl From<u8> for ExceptionCode {
    fn from(code: u8) -> Self {
        Self::from_code(code)
    }
}

impl fmt::Display for ExceptionCode {
    /// `0x02 Illegal Data Address`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:02X} {}", self.code(), self.name())
    }
}

/// The display name of an exception code: `exception_name(2)` is
/// `"0x02 Illegal Data Address"`, `exception_name(0x07)` is
/// `"0x07 Unknown Exception"`.
pub fn exception_name(code: u8) -> String {
    ExceptionCode::from_code(code).to_string()
}
