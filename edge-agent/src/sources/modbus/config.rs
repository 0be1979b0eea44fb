//! Configuration of Modbus devices.

use serde::Deserialize;

/// One Modbus device.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModbusDeviceConfig {}
