//! Master data of the hub ERP core.
//!
//! - [`kind`]: what every kind of record declares ([`kind::MasterKind`]).
//! - [`records`]: the kinds (materials, BOMs, routings, equipment, workers,
//!   places, partners, orders).
//! - [`service`]: checked create / update / archive of records of a tenant.
//! - [`import`]: CSV and XLSX files → typed rows, and rows back to CSV.
//! - [`convert`]: those rows ↔ BOM and routing records.
//! - [`files`]: imports of files into a tenant's records (all or nothing)
//!   and CSV exports; [`approval_files`] the same for manufacturers and
//!   approved-manufacturer lists.

pub mod approval_files;
pub mod convert;
pub mod engineering_change;
pub mod files;
pub mod import;
pub mod kind;
pub mod records;
pub mod service;

pub use kind::{MasterKind, Reference};
