//! Master data of the hub ERP core: materials, BOMs and routings.
//!
//! [`import`] turns CSV and XLSX files into typed rows (and rows back into
//! CSV); persisting them is the store's job.

pub mod import;
