//! Approved-manufacturer lists: one row per entry (`material`, `customer`
//! (empty = the general list), `manufacturer`, `status`, `reason`,
//! `expires_on`). The rows of one material make its whole list: importing
//! a material's rows replaces its list.

use std::collections::HashMap;

use mes_protocols::approval::{Approval, ApprovalStatus};
use mes_protocols::code::Code;
use time::Date;

use super::Record;
use super::cells::{self, Checker, RefKind, RowReader};

/// One entry of a material's list as a file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    /// The material.
    pub material: Code,
    /// The customer whose own list it is on; none = the general list.
    pub customer: Option<Code>,
    /// The manufacturer.
    pub manufacturer: Code,
    /// Approved, conditional or blocked.
    pub status: ApprovalStatus,
    /// Why (required for conditional).
    pub reason: Option<String>,
    /// Last day of a conditional approval.
    pub expires_on: Option<Date>,
}

impl ApprovalRow {
    /// The entry as the shared rule reads it.
    pub fn approval(&self) -> Approval {
        Approval {
            manufacturer: self.manufacturer.clone(),
            status: self.status,
            reason: self.reason.clone(),
            expires_on: self.expires_on,
        }
    }
}

const MATERIAL: &str = "material";
const MANUFACTURER: &str = "manufacturer";

impl Record for ApprovalRow {
    const COLUMNS: &'static [&'static str] = &[
        MATERIAL,
        "customer",
        MANUFACTURER,
        "status",
        "reason",
        "expires_on",
    ];

    fn read(r: &mut RowReader<'_>) -> Option<Self> {
        let material = r.required(MATERIAL, cells::code);
        r.check_known(MATERIAL, material.as_ref());
        let customer = r.optional("customer", cells::code);
        if let Some(Some(c)) = &customer {
            r.check_ref("customer", RefKind::Customer, Some(c));
        }
        let manufacturer = r.required(MANUFACTURER, cells::code);
        r.check_ref(MANUFACTURER, RefKind::Manufacturer, manufacturer.as_ref());
        let status = r.required("status", ApprovalStatus::parse);
        let reason = r.optional("reason", cells::text);
        let expires_on = r.optional("expires_on", cells::date);
        let row = Self {
            material: material?,
            customer: customer?,
            manufacturer: manufacturer?,
            status: status?,
            reason: reason?,
            expires_on: expires_on?,
        };
        // The same rule as the record's check, named by column.
        if let Err(e) = row.approval().check() {
            r.fail(&e.field, e.reason);
            return None;
        }
        Some(row)
    }

    fn check_all(rows: &[(usize, Self)], check: &mut Checker<'_>) {
        let mut first: HashMap<(&Code, Option<&Code>, &Code), usize> = HashMap::new();
        for (row, a) in rows {
            let key = (&a.material, a.customer.as_ref(), &a.manufacturer);
            if let Some(prev) = first.get(&key) {
                let list = a.customer.as_ref().map_or_else(
                    || "the general list".to_string(),
                    |c| format!("customer {c}'s list"),
                );
                check.fail(
                    *row,
                    MANUFACTURER,
                    a.manufacturer.as_str(),
                    format!("is on {list} of {} already, in row {prev}", a.material),
                );
            } else {
                first.insert(key, *row);
            }
        }
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.material.to_string(),
            self.customer
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            self.manufacturer.to_string(),
            self.status.as_str().to_string(),
            self.reason.clone().unwrap_or_default(),
            self.expires_on.map(cells::format_date).unwrap_or_default(),
        ]
    }
}
