//! Production orders beyond their record: the lifecycle actions (release,
//! close, create from a sales order line) and, from the floor's events,
//! what actually happened per operation, with the stock of its inputs and
//! its cost by element (the production order report).

pub mod actuals;
pub mod bom_inputs;
pub mod execution_log;
pub mod input_stock;
pub mod lifecycle;
pub mod order_report;
pub mod report;
