//! The equipment model: turns what sources observe on devices into equipment
//! states, part counts and process values (`config.rs` rules, `model.rs`
//! logic, `counter.rs` rollover, `task.rs` the running task).

mod config;
mod counter;
mod model;
mod task;

pub use config::{
    CounterConfig, CounterMode, CountersConfig, EquipmentConfig, EquipmentSpec, Op, StateRuleConfig,
    parse_equipment,
};
pub use counter::{CounterStep, step};
pub use model::{EquipmentModel, EquipmentStatus, ModelOutput, Rejected, counter_key, state_key};
pub use task::{EquipmentBoard, Models, run};
