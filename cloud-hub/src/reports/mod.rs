//! Reports over the ledger, the floor's events and master data, for the
//! API (the console shows them later): the material shortage list, lot
//! traceability (with each lot's manufacturer), sales statistics, and
//! lots in stock whose manufacturer is no longer approved. Each report has a pure core that
//! takes plain rows, and an async loader that reads them from the store.

pub mod approval;
pub mod approval_load;
pub mod sales;
pub mod shortage;
pub mod shortage_load;
pub mod trace;
pub mod trace_load;

pub use approval::{DEFAULT_EXPIRY_WINDOW_DAYS, ExpiringStock, UnapprovedStock, UnapprovedStockReport};
pub use approval_load::unapproved_stock_report;
pub use sales::{Period, SalesReport, sales_statistics};
pub use shortage::{ShortageReport, shortages};
pub use shortage_load::shortage_report;
pub use trace::{Direction, LotTrace};
pub use trace_load::lot_trace;
