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
            EventBody::AgentOutage(b) => agent_outage(b),
            _ => Ok(()),
        }
    }
}

fn agent_outage(b: &AgentOutage) -> Result<(), FieldError> {
    if b.until <= b.from {
        return Err(FieldError::new("until", "must be after `from`"));
    }
    if b.equipment.is_empty() {
        return Err(FieldError::new("equipment", "must name at least one equipment"));
    }
    if b.equipment.len() > MAX_OUTAGE_EQUIPMENT {
        return Err(FieldError::new(
            "equipment",
            format!(
                "{} equipment, at most {MAX_OUTAGE_EQUIPMENT} (send several events)",
                b.equipment.len()
            ),
        ));
    }
    for (i, e) in b.equipment.iter().enumerate() {
        if b.equipment[..i].contains(e) {
            return Err(FieldError::new(
                format!("equipment[{i}]"),
                format!("equipment {e} is listed twice"),
            ));
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Code, Timestamp};

    fn outage(from: i64, until: i64, equipment: &[&str]) -> EventBody {
        EventBody::AgentOutage(AgentOutage {
            from: Timestamp::from_unix_millis(from),
            until: Timestamp::from_unix_millis(until),
            equipment: equipment
                .iter()
                .map(|e| Code::parse(e).expect("test code"))
                .collect(),
        })
    }

    fn field(body: EventBody) -> Option<String> {
        body.validate().err().map(|e| e.field)
    }

    #[test]
    fn an_outage_ends_after_it_begins_and_names_its_equipment_once() {
        assert_eq!(field(outage(1_000, 2_000, &["press-1", "lathe-1"])), None);
        assert_eq!(
            field(outage(2_000, 2_000, &["press-1"])).as_deref(),
            Some("until")
        );
        assert_eq!(field(outage(1_000, 2_000, &[])).as_deref(), Some("equipment"));
        assert_eq!(
            field(outage(1_000, 2_000, &["press-1", "press-1"])).as_deref(),
            Some("equipment[1]")
        );
        let many: Vec<String> = (0..=MAX_OUTAGE_EQUIPMENT).map(|i| format!("m-{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(field(outage(1_000, 2_000, &many)).as_deref(), Some("equipment"));
    }

    #[test]
    fn an_outage_decodes_from_its_wire_data() {
        let data = r#"{"from":"2026-01-05T10:00:00.000Z","until":"2026-01-05T10:05:00.000Z","equipment":["press-1"]}"#;
        let body = EventBody::decode(EventKind::AgentOutage, data).expect("valid");
        assert_eq!(body.kind().as_str(), "agent_outage");
        let bad = r#"{"from":"2026-01-05T10:05:00.000Z","until":"2026-01-05T10:00:00.000Z","equipment":["press-1"]}"#;
        assert_eq!(
            EventBody::decode(EventKind::AgentOutage, bad)
                .expect_err("backwards")
                .field,
            "until"
        );
    }
}
