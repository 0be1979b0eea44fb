//! The agent as a Sparkplug B edge node (`[sparkplug_node]`, optional):
//! it publishes what the MES sees of every equipment to a broker, so a
//! plant's SCADA (Ignition and others) sees the same states, counts and
//! process values. Not a source: it reads the equipment board, never the
//! buffer, and nothing it does changes what is recorded.
//!
//! Shape: `config.rs` (the section, parsed once), `model.rs` (pure: the
//! devices and metrics, births and the changes since the last message, by
//! alias), `task.rs` (the connection: NBIRTH + DBIRTHs on connect and on a
//! rebirth request, DDATA on change, NDEATH as the will and at a clean
//! stop, `bdSeq` one more per connection).

mod config;
mod model;
mod task;

pub use config::{ENV_SPARKPLUG_NODE_PASSWORD, SparkplugNodeConfig, SparkplugNodeSpec};
pub use model::{NodeModel, device_id};
pub use task::run;
