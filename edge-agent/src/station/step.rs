//! What an operator does at a station (a [`Step`]) and what the station
//! answers ([`Answer`]). The same steps come from the page, the page's
//! keyboard-wedge input and the TCP scanner port.

use mes_protocols::Code;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Longest audit text kept in a `scan_rejected` event (the event allows
/// 1024 characters).
const MAX_AUDIT_LEN: usize = 1000;

/// One operator step. JSON: `{"step": "scan", "code": "B-0017"}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// A scanned code: a badge (clock in/out), an order (start its next
    /// operation here) or a lot (consume it in the running operation).
    Scan {
        /// The text the scanner delivered.
        code: String,
        /// For a lot: the quantity consumed (default: what the operation
        /// still needs of that material).
        #[serde(default, with = "rust_decimal::serde::str_option")]
        quantity: Option<Decimal>,
        /// For a lot: the unit of `quantity` (base or alternative unit of
        /// the material; default: the unit the routing plans in).
        #[serde(default)]
        unit: Option<Code>,
        /// For an order: which operation to start (default: the next one).
        #[serde(default)]
        operation: Option<Code>,
    },
    /// Pause the running operation.
    Pause {
        /// A pause or downtime reason code.
        #[serde(default)]
        reason: Option<Code>,
    },
    /// Resume the paused operation.
    Resume,
    /// Finish the running or paused operation.
    Finish,
    /// Report output of the running operation.
    Output {
        /// Good quantity.
        #[serde(with = "rust_decimal::serde::str")]
        good: Decimal,
        /// Scrap quantity.
        #[serde(default, with = "rust_decimal::serde::str")]
        scrap: Decimal,
        /// Why the scrap was scrapped; required when scrap > 0.
        #[serde(default)]
        scrap_reason: Option<Code>,
    },
    /// Give the reason for a stop of the station's equipment.
    Downtime {
        /// A downtime reason code.
        reason: Code,
        /// Which equipment (default: the station's first).
        #[serde(default)]
        equipment: Option<Code>,
    },
}

impl Step {
    /// A scan with no options (what a scanner sends).
    pub fn scan(code: impl Into<String>) -> Self {
        Step::Scan {
            code: code.into(),
            quantity: None,
            unit: None,
            operation: None,
        }
    }

    /// How the step is recorded in a `scan_rejected` event's `code`: the
    /// raw scan, or the step in words for buttons.
    pub fn audit_text(&self) -> String {
        let text = match self {
            Step::Scan { code, .. } if code.trim().is_empty() => "(empty scan)".to_string(),
            Step::Scan { code, .. } => code.clone(),
            Step::Pause { reason } => format!("pause {}", reason.as_ref().map_or("", Code::as_str)),
            Step::Resume => "resume".into(),
            Step::Finish => "finish".into(),
            Step::Output {
                good,
                scrap,
                scrap_reason,
            } => format!(
                "output good={good} scrap={scrap} {}",
                scrap_reason.as_ref().map_or("", Code::as_str)
            ),
            Step::Downtime { reason, equipment } => format!(
                "downtime {reason} {}",
                equipment.as_ref().map_or("", Code::as_str)
            ),
        };
        let text = text.trim().to_string();
        text.chars().take(MAX_AUDIT_LEN).collect()
    }
}

/// The station's answer to a step: green (`ok`) or red, one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// Accepted (green) or rejected (red).
    pub ok: bool,
    /// What happened, or why not, in one line.
    pub message: String,
    /// The output lot made by an accepted output step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_lot: Option<Code>,
}

impl Answer {
    /// The one-line form the TCP scanner port writes: `OK ...` / `ERR ...`.
    pub fn line(&self) -> String {
        let message = self.message.replace(['\r', '\n'], " ");
        if self.ok {
            format!("OK {message}")
        } else {
            format!("ERR {message}")
        }
    }
}
