//! Reports over the ledger, the floor's events and master data, for the
//! API (the console shows them later): the material shortage list, lot
//! traceability and sales statistics. Each report has a pure core that
//! takes plain rows, and an async loader that reads them from the store.

pub mod shortage;
pub mod shortage_load;

pub use shortage::{ShortageReport, shortages};
pub use shortage_load::shortage_report;
