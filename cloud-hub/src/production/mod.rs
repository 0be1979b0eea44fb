//! Production orders beyond their record: the lifecycle actions (release,
//! close, create from a sales order line) and, from the floor's events,
//! what actually happened per operation.

pub mod actuals;
pub mod bom_inputs;
pub mod lifecycle;
