//! Stock as the office sees it: documents entered at the hub (receipts,
//! transfers, stocktakes, scrap, adjustments) become ledger rows; on hand,
//! reserved and available per material at any instant; statements and
//! shortages with their explicit corrections.
//!
//! Rows from the floor come from the projection (`crate::projection`);
//! both kinds of rows live in the same ledger and follow the same rules
//! (`crate::stock`).

pub mod documents;
pub mod position;
mod receipt_lot;

use crate::error::HubError;
use mes_protocols::FieldError;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> HubError {
    HubError::Invalid(FieldError::new(field, reason))
}
