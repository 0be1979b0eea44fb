//! What every kind of master-data record tells the generic machinery (REST
//! routes, store, OpenAPI, downlink): its names, its code, the site it
//! belongs to, its own consistency checks and the records it refers to.

use crate::store::rights::{Action, Module};
use mes_protocols::limits::Limit;
use mes_protocols::{Code, FieldError};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A reference from one record to another, checked on every write: the
/// target must exist in the tenant and not be archived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The kind referred to ([`MasterKind::KIND`], or [`SITE`] for a site).
    pub kind: &'static str,
    /// The code referred to.
    pub code: Code,
    /// The referring field's path in the record (`lines[2].material`).
    pub field: String,
}

impl Reference {
    /// A reference to `code` of kind `kind` from `field`.
    pub fn new(kind: &'static str, code: &Code, field: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.clone(),
            field: field.into(),
        }
    }
}

/// The kind name of a reference to a site (sites live in their own table,
/// created by `cloud-hub site add`).
pub const SITE: &str = "site";

/// One kind of master data.
pub trait MasterKind: Serialize + DeserializeOwned + JsonSchema + Clone + Send + Sync + 'static {
    /// The kind's name in the store and in references (`material`).
    const KIND: &'static str;
    /// Its collection in the REST API (`materials` → `/api/v1/materials`).
    const PATH: &'static str;
    /// A human name for documentation (`Material`).
    const TITLE: &'static str;
    /// Top-level text fields a list may filter on (`?status=released`).
    const FILTERS: &'static [&'static str] = &[];
    /// The module whose `view` right reads records of this kind and whose
    /// `edit` right writes them (see `store::rights`).
    const MODULE: Module = Module::MasterData;
    /// The module whose `edit` right writes them, when not [`Self::MODULE`]
    /// (calendars: read by planners, changed by a tenant admin).
    const EDIT_MODULE: Option<Module> = None;
    /// The action whose right writes them (create, replace, archive,
    /// import): `edit`, or `approve` for approval lists.
    const EDIT_ACTION: Action = Action::Edit;

    /// The record's code, unique per tenant and kind.
    fn code(&self) -> &Code;

    /// The site the record belongs to, if it belongs to one.
    fn site(&self) -> Option<&Code> {
        None
    }

    /// Checks the record on its own; the first problem, naming its field.
    fn check(&self) -> Result<(), FieldError> {
        Ok(())
    }

    /// The records it refers to.
    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }

    /// Checks a new record created through the generic create (fields
    /// that only a lifecycle action may set).
    fn check_create(&self) -> Result<(), FieldError> {
        Ok(())
    }

    /// Checks a replacement of `old` by `self` through the generic update
    /// (fields that only a lifecycle action may change).
    fn check_update(&self, old: &Self) -> Result<(), FieldError> {
        let _ = old;
        Ok(())
    }
}

/// `value` must be above zero and within `limit` (one of
/// `mes_protocols::limits`).
pub fn positive(field: &str, value: Decimal, limit: Limit) -> Result<(), FieldError> {
    if value > Decimal::ZERO {
        limit.check(field, value)
    } else {
        Err(FieldError::new(field, format!("must be above zero, not {value}")))
    }
}

/// `value` must be zero or more and within `limit` (one of
/// `mes_protocols::limits`).
pub fn not_negative(field: &str, value: Decimal, limit: Limit) -> Result<(), FieldError> {
    if value >= Decimal::ZERO {
        limit.check(field, value)
    } else {
        Err(FieldError::new(
            field,
            format!("must not be negative, not {value}"),
        ))
    }
}

/// `value` must not be blank.
pub fn not_blank(field: &str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        Err(FieldError::new(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// Every item of `items` must have a distinct key.
pub fn distinct<T, K: PartialEq + std::fmt::Display>(
    field: &str,
    items: &[T],
    key: impl Fn(&T) -> K,
) -> Result<(), FieldError> {
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        if items[..i].iter().any(|other| key(other) == k) {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                format!("{k} is listed twice"),
            ));
        }
    }
    Ok(())
}
