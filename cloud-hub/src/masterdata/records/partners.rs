//! Suppliers and customers.

use crate::masterdata::kind::{MasterKind, not_blank};
use mes_protocols::{Code, FieldError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Contact details shared by suppliers and customers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Postal address, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// A supplier of materials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Supplier {
    /// Its code.
    pub code: Code,
    /// Its name.
    pub name: String,
    /// How to reach it.
    #[serde(default)]
    pub contact: Contact,
    /// Usual days from order to delivery.
    #[serde(default)]
    pub lead_time_days: u32,
}

impl MasterKind for Supplier {
    const KIND: &'static str = "supplier";
    const PATH: &'static str = "suppliers";
    const TITLE: &'static str = "Supplier";

    fn code(&self) -> &Code {
        &self.code
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)
    }
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// Its code.
    pub code: Code,
    /// Its name.
    pub name: String,
    /// How to reach it.
    #[serde(default)]
    pub contact: Contact,
}

impl MasterKind for Customer {
    const KIND: &'static str = "customer";
    const PATH: &'static str = "customers";
    const TITLE: &'static str = "Customer";

    fn code(&self) -> &Code {
        &self.code
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)
    }
}
