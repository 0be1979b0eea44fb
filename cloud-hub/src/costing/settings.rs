//! How a site charges overhead to its production orders: a master-data
//! record of its own (kind `costing_settings`, at `/api/v1/costing-settings`,
//! code = the site's short name), so the rule is data a planner can change,
//! not configuration of the hub.

use crate::masterdata::kind::{MasterKind, Reference, SITE};
use mes_protocols::{Code, FieldError};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An overhead rate (`{"per_machine_hour": "12.50"}` or
/// `{"percent_of_conversion": "15"}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Overhead {
    /// This amount per machine hour counted on the order.
    PerMachineHour(#[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")] Decimal),
    /// This percentage of the order's conversion cost (labour + machine).
    PercentOfConversion(#[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")] Decimal),
}

/// The costing settings of one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostingSettings {
    /// The site's short name.
    pub code: Code,
    /// Overhead charged to its orders; none = no overhead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<Overhead>,
}

impl MasterKind for CostingSettings {
    const MODULE: crate::store::rights::Module = crate::store::rights::Module::Costing;
    const KIND: &'static str = "costing_settings";
    const PATH: &'static str = "costing-settings";
    const TITLE: &'static str = "Costing settings of a site";

    fn code(&self) -> &Code {
        &self.code
    }

    fn site(&self) -> Option<&Code> {
        Some(&self.code)
    }

    fn check(&self) -> Result<(), FieldError> {
        match self.overhead {
            Some(Overhead::PerMachineHour(rate) | Overhead::PercentOfConversion(rate))
                if rate < Decimal::ZERO =>
            {
                Err(FieldError::new(
                    "overhead",
                    "an overhead rate cannot be below zero",
                ))
            }
            Some(Overhead::PerMachineHour(rate)) => {
                mes_protocols::limits::RATE.check("overhead.per_machine_hour", rate)
            }
            Some(Overhead::PercentOfConversion(rate)) => {
                mes_protocols::limits::RATE.check("overhead.percent_of_conversion", rate)
            }
            None => Ok(()),
        }
    }

    fn references(&self) -> Vec<Reference> {
        vec![Reference::new(SITE, &self.code, "code")]
    }
}
