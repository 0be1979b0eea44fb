//! The approved-manufacturer list of each material (issue 21). A list is one record per material (its code is the
//! material's): the general list and the customers' own lists. Writing a
//! list needs `master_data:approve`, not edit: approving a source is a
//! quality decision. The rule that judges a lot against a list is
//! `mes_protocols::approval::judge`, shared with the stations.

use super::iso_date;
use super::items::Material;
use super::manufacturer::Manufacturer;
use super::partners::Customer;
use crate::masterdata::kind::{MasterKind, Reference};
use crate::store::rights::Action;
use mes_protocols::approval::{self as rule, ApprovalStatus};
use mes_protocols::{Code, FieldError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

/// Longest free text on an approval (its reason), characters.
const MAX_REASON: usize = 500;

/// One manufacturer's standing on a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalEntry {
    /// The manufacturer.
    pub manufacturer: Code,
    /// `approved`, `conditional` (until `expires_on`, with a `reason`) or
    /// `blocked`.
    pub status: ApprovalStatus,
    /// Why: required for `conditional`, optional for `blocked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Last day a conditional approval holds; only on `conditional`.
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<super::IsoDateText>")]
    pub expires_on: Option<Date>,
}

/// One customer's own list for the material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerApprovalList {
    /// The customer.
    pub customer: Code,
    /// Its list, which replaces the general list for its orders (a block
    /// on the general list still holds).
    #[serde(default)]
    pub approvals: Vec<ApprovalEntry>,
}

/// The approved-manufacturer list of one material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialApproval {
    /// The material (the record's code).
    pub material: Code,
    /// The general list: every order, receipts, the stock report.
    #[serde(default)]
    pub approvals: Vec<ApprovalEntry>,
    /// Customers' own lists.
    #[serde(default)]
    pub customers: Vec<CustomerApprovalList>,
}

impl MaterialApproval {
    /// The list as the shared rule reads it.
    pub fn to_rule(&self) -> rule::ApprovalList {
        rule::ApprovalList {
            material: self.material.clone(),
            approvals: self.approvals.iter().map(entry_rule).collect(),
            customers: self
                .customers
                .iter()
                .map(|c| rule::CustomerApprovals {
                    customer: c.customer.clone(),
                    approvals: c.approvals.iter().map(entry_rule).collect(),
                })
                .collect(),
        }
    }

    /// Every entry with the field path it sits at.
    fn entries(&self) -> impl Iterator<Item = (String, &ApprovalEntry)> {
        let general = self
            .approvals
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("approvals[{i}]"), a));
        let own = self.customers.iter().enumerate().flat_map(|(c, list)| {
            list.approvals
                .iter()
                .enumerate()
                .map(move |(i, a)| (format!("customers[{c}].approvals[{i}]"), a))
        });
        general.chain(own)
    }
}

fn entry_rule(a: &ApprovalEntry) -> rule::Approval {
    rule::Approval {
        manufacturer: a.manufacturer.clone(),
        status: a.status,
        reason: a.reason.clone(),
        expires_on: a.expires_on,
    }
}

impl MasterKind for MaterialApproval {
    const KIND: &'static str = "material_approval";
    const PATH: &'static str = "material-approvals";
    const TITLE: &'static str = "Material approval";
    const EDIT_ACTION: Action = Action::Approve;

    fn code(&self) -> &Code {
        &self.material
    }

    fn check(&self) -> Result<(), FieldError> {
        for (field, a) in self.entries() {
            if a.reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
                return Err(FieldError::new(
                    format!("{field}.reason"),
                    format!("is longer than {MAX_REASON} characters"),
                ));
            }
        }
        self.to_rule().check()
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![Reference::new(Material::KIND, &self.material, "material")];
        for (i, c) in self.customers.iter().enumerate() {
            refs.push(Reference::new(
                Customer::KIND,
                &c.customer,
                format!("customers[{i}].customer"),
            ));
        }
        refs.extend(self.entries().map(|(field, a)| {
            Reference::new(
                Manufacturer::KIND,
                &a.manufacturer,
                format!("{field}.manufacturer"),
            )
        }));
        refs
    }
}
