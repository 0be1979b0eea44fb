//! `ScanConfig`: how a site's scanners and codes look, as written in the
//! edge agent's TOML configuration, and its validation.

use super::ai_table::is_cset82;
use super::prefixes::CodeKind;
use crate::FieldError;
use serde::{Deserialize, Serialize};

/// How to read scans at a site. Embedded in the edge agent's configuration,
/// for example:
///
/// ```toml
/// badge_prefix = "B-"
/// order_prefix = "PO-"
/// lot_prefix = "L-"
/// gs1_separator_substitute = "~"
/// gs1_requires_identifier = false
/// ```
///
/// Every field is optional; the default recognises GS1 barcodes only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanConfig {
    /// Text that starts every worker badge code, e.g. `"B-"`; the rest of the
    /// scan is the badge code. Absent: badges are not recognised. Prefixes
    /// are case-sensitive and must be distinct and non-empty.
    #[serde(default)]
    pub badge_prefix: Option<String>,
    /// Text that starts every production order code, e.g. `"PO-"`; the rest
    /// is the order number. Absent: orders are not recognised.
    #[serde(default)]
    pub order_prefix: Option<String>,
    /// Text that starts the factory's own lot labels, e.g. `"L-"`; the rest
    /// is the lot code. Supplier lots arrive as GS1 barcodes with AI 10 and
    /// need no prefix. Absent: only GS1 lot labels are recognised.
    #[serde(default)]
    pub lot_prefix: Option<String>,
    /// A character the scanners send instead of the GS1 separator (FNC1,
    /// ASCII GS 0x1D), for keyboard-wedge scanners that cannot type 0x1D
    /// and are programmed to send e.g. `"~"` or `"|"` instead. GS is always
    /// accepted as well. Must not be a character that can occur in GS1 data
    /// (letters, digits and `! " % & ' ( ) * + , - . / : ; < = > ? _`).
    /// Absent: only GS separates fields.
    #[serde(default)]
    pub gs1_separator_substitute: Option<char>,
    /// Read plain digits as GS1 data only when a symbology identifier
    /// (`]C1`, `]d2`, `]Q3`, `]e0`) announces it. Set this when the scanners
    /// are programmed to send AIM identifiers, so that no other number
    /// (an EAN-13, a serial) is ever mistaken for GS1 data. Default `false`:
    /// keyboard-wedge scanners usually send no identifier.
    #[serde(default)]
    pub gs1_requires_identifier: bool,
}

impl ScanConfig {
    /// Checks the configuration; a failure names the offending field.
    pub(crate) fn validate(&self) -> Result<(), FieldError> {
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (field, prefix) in self.prefixes() {
            let Some(prefix) = prefix else { continue };
            if prefix.is_empty() {
                return Err(FieldError::new(field, "must not be empty; leave it out instead"));
            }
            if prefix.chars().any(char::is_control) {
                return Err(FieldError::new(field, "must not contain control characters"));
            }
            if let Some((other, _)) = seen.iter().find(|(_, p)| *p == prefix) {
                return Err(FieldError::new(field, format!("is the same as {other}")));
            }
            seen.push((field, prefix));
        }
        if let Some(c) = self.gs1_separator_substitute
            && (is_cset82(c) || c.is_whitespace())
        {
            return Err(FieldError::new(
                "gs1_separator_substitute",
                format!("{c:?} can occur in GS1 data or is whitespace; choose e.g. '~' or '|'"),
            ));
        }
        Ok(())
    }

    /// The configured prefixes with the kinds they announce.
    pub(crate) fn prefix_kinds(&self) -> impl Iterator<Item = (String, CodeKind)> + '_ {
        [
            (&self.badge_prefix, CodeKind::Badge),
            (&self.order_prefix, CodeKind::Order),
            (&self.lot_prefix, CodeKind::Lot),
        ]
        .into_iter()
        .filter_map(|(prefix, kind)| prefix.clone().map(|p| (p, kind)))
    }

    fn prefixes(&self) -> [(&'static str, Option<&str>); 3] {
        [
            ("badge_prefix", self.badge_prefix.as_deref()),
            ("order_prefix", self.order_prefix.as_deref()),
            ("lot_prefix", self.lot_prefix.as_deref()),
        ]
    }
}
