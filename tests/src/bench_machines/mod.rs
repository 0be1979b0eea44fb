//! The phases of the machine-data benchmark (`src/bin/bench_machines.rs`),
//! kept out of the `mes_tests` library because only the benchmark uses
//! them: Modbus polling by a real agent (`modbus`), MQTT messages mapped to
//! events (`mqtt`), the agent process with a known pid (`agent`), `/proc`
//! readings (`procfs`) and the result table (`table`).

pub mod agent;
pub mod modbus;
pub mod mqtt;
pub mod procfs;
pub mod table;
