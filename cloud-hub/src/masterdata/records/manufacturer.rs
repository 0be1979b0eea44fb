//! Manufacturers (makers, brands) lots come from; approval lists
//! (`approval.rs`) say which of them a material may come from.

use crate::masterdata::kind::{MasterKind, not_blank};
use mes_protocols::{Code, FieldError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A manufacturer (maker, brand) lots may come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manufacturer {
    /// Its code (what lots and approval lists name).
    pub code: Code,
    /// Its name.
    pub name: String,
    /// The brand its goods carry, when it differs from the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
}

impl MasterKind for Manufacturer {
    const KIND: &'static str = "manufacturer";
    const PATH: &'static str = "manufacturers";
    const TITLE: &'static str = "Manufacturer";

    fn code(&self) -> &Code {
        &self.code
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)
    }
}
