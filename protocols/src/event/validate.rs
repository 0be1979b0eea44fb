//! Rules on event bodies that serde's types cannot express: cross-field
//! constraints, positive quantities and the declared maxima of
//! [`crate::limits`]. Field paths are relative to `data`.

use super::body::*;
use crate::field_error::FieldError;
use crate::limits::{COUNT, QUANTITY};
use rust_decimal::Decimal;

/// Longest free text (scanned code, reason, detail) an event may carry.
pub const MAX_TEXT_LEN: usize = 1024;

/// Most workers an `operation_started` may name. With the text limit this
/// keeps every event the agent makes far below the hub's
/// `wire::MAX_EVENT_BYTES`, so the hub never refuses what the agent stored.
pub const MAX_WORKERS: usize = 100;

impl EventBody {
    /// Checks this body's cross-field rules.
    pub fn validate(&self) -> Result<(), FieldError> {
        match self {
            EventBody::PartsCounted(b) => parts_counted(b),
            EventBody::ProcessValueSampled(b) if !b.value.is_finite() => {
                Err(FieldError::new("value", "must be a finite number"))
            }
            EventBody::DeviceCommunicationChanged(b) => text_opt("detail", b.detail.as_deref()),
            EventBody::ScanRejected(b) => {
                text("code", &b.code)?;
                text("reason", &b.reason)
            }
            EventBody::OperationStarted(b) => no_duplicate_workers(&b.workers),
            EventBody::MaterialConsumed(b) if b.quantity.value <= Decimal::ZERO => {
                Err(FieldError::new("quantity.value", "must be positive"))
            }
            EventBody::MaterialConsumed(b) => QUANTITY.check("quantity.value", b.quantity.value),
            EventBody::OutputReported(b) => output_reported(b),
            _ => Ok(()),
        }
    }
}

fn parts_counted(b: &PartsCounted) -> Result<(), FieldError> {
    COUNT.check_count("good", b.good)?;
    COUNT.check_count("scrap", b.scrap)?;
    if b.good == 0 && b.scrap == 0 {
        return Err(FieldError::new("good", "good or scrap must be positive"));
    }
    if b.good_total < b.good {
        return Err(FieldError::new(
            "good_total",
            "must include good (total >= delta)",
        ));
    }
    if b.scrap_total < b.scrap {
        return Err(FieldError::new(
            "scrap_total",
            "must include scrap (total >= delta)",
        ));
    }
    Ok(())
}

fn output_reported(b: &OutputReported) -> Result<(), FieldError> {
    if b.good < Decimal::ZERO {
        return Err(FieldError::new("good", "must not be negative"));
    }
    if b.scrap < Decimal::ZERO {
        return Err(FieldError::new("scrap", "must not be negative"));
    }
    QUANTITY.check("good", b.good)?;
    QUANTITY.check("scrap", b.scrap)?;
    if b.good.is_zero() && b.scrap.is_zero() {
        return Err(FieldError::new("good", "good or scrap must be positive"));
    }
    if b.scrap > Decimal::ZERO && b.scrap_reason.is_none() {
        return Err(FieldError::new(
            "scrap_reason",
            "is required when scrap is positive",
        ));
    }
    Ok(())
}

fn no_duplicate_workers(workers: &[crate::Code]) -> Result<(), FieldError> {
    if workers.len() > MAX_WORKERS {
        return Err(FieldError::new(
            "workers",
            format!("{} workers, at most {MAX_WORKERS}", workers.len()),
        ));
    }
    for (i, w) in workers.iter().enumerate() {
        if workers[..i].contains(w) {
            return Err(FieldError::new(
                format!("workers[{i}]"),
                format!("worker {w} is listed twice"),
            ));
        }
    }
    Ok(())
}

fn text(field: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    text_opt(field, Some(value))
}

fn text_opt(field: &str, value: Option<&str>) -> Result<(), FieldError> {
    match value {
        Some(v) if v.chars().count() > MAX_TEXT_LEN => Err(FieldError::new(
            field,
            format!("is longer than {MAX_TEXT_LEN} characters"),
        )),
        _ => Ok(()),
    }
}
