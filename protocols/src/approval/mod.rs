//! Material approval: which manufacturers (makers, brands) a material may
//! come from, in general and for one customer's orders, and the one rule
//! that judges a lot against it. Pure: the hub judges goods receipts and
//! reports with it, the agent's stations judge scanned lots with it
//! offline (the lists travel in the downlink as [`ApprovalList`] records).
//!
//! The rule ([`judge`]), in order:
//! 1. No list for the material, or a list with no entries that apply: no
//!    restriction (a factory that keeps no approved-manufacturer list for a
//!    material accepts every lot of it).
//! 2. A manufacturer **blocked on the general list** is refused for every
//!    order, whatever a customer's list says: the factory's own quality
//!    block is never lifted by a customer.
//! 3. The list that applies: the order's customer's list when the material
//!    has one for that customer (it *replaces* the general list: a maker
//!    only on the general list is not approved for that customer), else
//!    the general list. When that list is empty, no restriction.
//! 4. A lot without a recorded manufacturer is refused (nobody can say it
//!    is approved).
//! 5. The manufacturer's entry in the list: `approved` accepts;
//!    `conditional` accepts up to and including its `expires_on` day and
//!    refuses after it (lapsed); `blocked` refuses; no entry refuses.
//!
//! Every refusal is one line an operator understands, starting with the lot:
//! `L-7: maker ACME not approved for STEEL-2MM for customer BOSCH`.

#[cfg(test)]
mod tests;

use crate::date::{self, format_date};
use crate::{Code, FieldError};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::Date;

/// Where a manufacturer stands for a material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    /// Lots from it are accepted.
    Approved,
    /// Accepted until `expires_on` (inclusive), for a stated reason (a
    /// deviation, a qualification under way).
    Conditional,
    /// Lots from it are refused.
    Blocked,
}

impl ApprovalStatus {
    /// The wire and file spelling (`conditional`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Conditional => "conditional",
            Self::Blocked => "blocked",
        }
    }

    /// Reads `approved`, `conditional`, `blocked` (any case).
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "approved" => Ok(Self::Approved),
            "conditional" => Ok(Self::Conditional),
            "blocked" => Ok(Self::Blocked),
            _ => Err(format!(
                "`{raw}` is not an approval status (approved, conditional, blocked)"
            )),
        }
    }
}

/// One manufacturer's standing on a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The manufacturer's code.
    pub manufacturer: Code,
    /// Approved, conditional or blocked.
    pub status: ApprovalStatus,
    /// Why (required for `conditional`; optional for `blocked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Last day a `conditional` approval holds (required for it, refused
    /// on the other statuses).
    #[serde(default, with = "date::option", skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Date>,
}

/// One customer's own list for a material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerApprovals {
    /// The customer.
    pub customer: Code,
    /// Its list; it replaces the general list for this customer's orders.
    #[serde(default)]
    pub approvals: Vec<Approval>,
}

/// The approved-manufacturer list of one material: the general list and
/// the customers' own lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalList {
    /// The material.
    pub material: Code,
    /// The general list (every order, and receipts).
    #[serde(default)]
    pub approvals: Vec<Approval>,
    /// Lists of single customers, each replacing the general list for
    /// that customer's orders.
    #[serde(default)]
    pub customers: Vec<CustomerApprovals>,
}

impl ApprovalList {
    /// The list's own consistency: each manufacturer once per list, each
    /// customer once, `conditional` with a reason and an expiry date, no
    /// expiry date on the other statuses. The first problem, naming its
    /// field (`customers[1].approvals[0].expires_on`).
    pub fn check(&self) -> Result<(), FieldError> {
        check_entries(&self.approvals).map_err(|e| e.within("approvals"))?;
        for (i, c) in self.customers.iter().enumerate() {
            if self.customers[..i].iter().any(|o| o.customer == c.customer) {
                return Err(FieldError::new(
                    format!("customers[{i}].customer"),
                    format!("customer {} is listed twice", c.customer),
                ));
            }
            check_entries(&c.approvals).map_err(|e| e.within(&format!("customers[{i}].approvals")))?;
        }
        Ok(())
    }

    /// The general entry of `manufacturer`, if any.
    fn general(&self, manufacturer: &Code) -> Option<&Approval> {
        self.approvals.iter().find(|a| a.manufacturer == *manufacturer)
    }
}

fn check_entries(entries: &[Approval]) -> Result<(), FieldError> {
    for (i, a) in entries.iter().enumerate() {
        if entries[..i].iter().any(|o| o.manufacturer == a.manufacturer) {
            return Err(FieldError::new(
                format!("[{i}].manufacturer"),
                format!("manufacturer {} is listed twice", a.manufacturer),
            ));
        }
        a.check().map_err(|e| e.within(&format!("[{i}]")))?;
    }
    Ok(())
}

impl Approval {
    /// The entry's own consistency: `conditional` with a reason and an
    /// expiry date, no expiry date on the other statuses. Fields are
    /// `reason` and `expires_on`.
    pub fn check(&self) -> Result<(), FieldError> {
        let reason_blank = self.reason.as_deref().is_none_or(|r| r.trim().is_empty());
        match self.status {
            ApprovalStatus::Conditional if reason_blank => {
                Err(FieldError::new("reason", "a conditional approval needs a reason"))
            }
            ApprovalStatus::Conditional if self.expires_on.is_none() => Err(FieldError::new(
                "expires_on",
                "a conditional approval needs an expiry date",
            )),
            ApprovalStatus::Approved | ApprovalStatus::Blocked if self.expires_on.is_some() => {
                Err(FieldError::new(
                    "expires_on",
                    format!(
                        "only a conditional approval expires; {} has no expiry date",
                        self.status.as_str()
                    ),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// What is being judged: a lot of a material from a manufacturer, for an
/// order of a customer (or for stock: no customer), on a day.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    /// The lot, for the message.
    pub lot: &'a Code,
    /// Its material.
    pub material: &'a Code,
    /// Its manufacturer, if recorded.
    pub manufacturer: Option<&'a Code>,
    /// The customer of the order it is used for; none for stock and
    /// receipts (the general list alone).
    pub customer: Option<&'a Code>,
    /// The day it is used or received.
    pub on: Date,
}

/// Why a lot is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No list restricts the material (for this customer).
    Unrestricted,
    /// Its manufacturer is approved.
    Approved,
    /// Its manufacturer is approved on condition, until `expires_on`.
    Conditional {
        /// The condition's reason.
        reason: String,
        /// Its last day.
        expires_on: Date,
    },
}

/// Why a lot is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The lot records no manufacturer but the material has a list.
    UnknownMaker,
    /// The manufacturer is not on the list that applies.
    NotApproved,
    /// The manufacturer is blocked.
    Blocked,
    /// Its conditional approval expired.
    Lapsed,
}

/// A refused lot: the kind and the one-line message for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Why, as a kind.
    pub kind: RefusalKind,
    /// Why, in one line starting with the lot.
    pub message: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Judges a lot against its material's list (`None`: the material has
/// none). See the module's documentation for the rule.
pub fn judge(list: Option<&ApprovalList>, q: &Question<'_>) -> Result<Verdict, Refusal> {
    let Some(list) = list else {
        return Ok(Verdict::Unrestricted);
    };
    let refuse = |kind, text: String| {
        Err(Refusal {
            kind,
            message: format!("{}: {text}", q.lot),
        })
    };
    if let Some(maker) = q.manufacturer
        && let Some(entry) = list.general(maker)
        && entry.status == ApprovalStatus::Blocked
    {
        return refuse(RefusalKind::Blocked, blocked_text(maker, q.material, None, entry));
    }
    let own = q
        .customer
        .and_then(|c| list.customers.iter().find(|l| l.customer == *c));
    let (entries, customer) = match own {
        Some(l) => (&l.approvals, Some(&l.customer)),
        None => (&list.approvals, None),
    };
    if entries.is_empty() {
        return Ok(Verdict::Unrestricted);
    }
    let for_customer = customer.map_or_else(String::new, |c| format!(" for customer {c}"));
    let Some(maker) = q.manufacturer else {
        return refuse(
            RefusalKind::UnknownMaker,
            format!(
                "maker unknown; {} needs an approved maker{for_customer}",
                q.material
            ),
        );
    };
    let Some(entry) = entries.iter().find(|a| a.manufacturer == *maker) else {
        return refuse(
            RefusalKind::NotApproved,
            format!("maker {maker} not approved for {}{for_customer}", q.material),
        );
    };
    match (entry.status, entry.expires_on) {
        (ApprovalStatus::Approved, _) => Ok(Verdict::Approved),
        (ApprovalStatus::Conditional, Some(last)) if q.on <= last => Ok(Verdict::Conditional {
            reason: entry.reason.clone().unwrap_or_default(),
            expires_on: last,
        }),
        (ApprovalStatus::Conditional, last) => refuse(
            RefusalKind::Lapsed,
            format!(
                "approval of maker {maker} for {}{for_customer} lapsed on {}",
                q.material,
                last.map_or_else(|| "an unknown day".to_string(), format_date)
            ),
        ),
        (ApprovalStatus::Blocked, _) => refuse(
            RefusalKind::Blocked,
            blocked_text(maker, q.material, customer, entry),
        ),
    }
}

fn blocked_text(maker: &Code, material: &Code, customer: Option<&Code>, entry: &Approval) -> String {
    let for_customer = customer.map_or_else(String::new, |c| format!(" for customer {c}"));
    match entry.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("maker {maker} blocked for {material}{for_customer} ({reason})"),
        None => format!("maker {maker} blocked for {material}{for_customer}"),
    }
}
