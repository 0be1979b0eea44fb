//! Modbus TCP and RTU polling (tokio-modbus).

mod config;

pub use config::ModbusDeviceConfig;
