//! Site settings, warehouses and stock locations.

use crate::masterdata::kind::{MasterKind, Reference, SITE, not_blank};
use mes_protocols::{Code, FieldError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Whether a site's stock may go below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NegativeStock {
    /// Movements that take stock below zero are booked, and the shortage
    /// is shown until a receipt corrects it (the correction is explicit in
    /// the ledger). The default: the floor never waits for the office.
    #[default]
    Allow,
    /// Movements from the hub's API that would take stock below zero are
    /// refused. Shop-floor events are facts and are still booked; the
    /// shortage is reported.
    Refuse,
}

/// What the plan does with an operation short of an input that a purchase
/// order brings (issue 17, item 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaterialWaits {
    /// It may not start before the purchase order's expected day; a move
    /// earlier is refused naming the material. The default: a plan that
    /// starts work before its material arrives is a plan the floor cannot
    /// follow.
    #[default]
    Hold,
    /// It is marked on the board and in the dispatch lists, and planned
    /// as if the material were there (for plants that expedite).
    Mark,
}

/// What a goods receipt from a manufacturer not approved for the material
/// does (the stations refuse such lots whatever this says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnapprovedReceipts {
    /// Booked, with the reason in the answer's `warnings`; the lot shows in
    /// the approval report while in stock. The default: goods on the dock
    /// are a fact, and quarantine is the quality team's call.
    #[default]
    Warn,
    /// Refused (422 naming `manufacturer`).
    Refuse,
}

/// Settings of a site (created by `cloud-hub site add`; the record's code
/// is the site's short name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    /// The site's short name.
    pub code: Code,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Whether its stock may go negative.
    #[serde(default)]
    pub negative_stock: NegativeStock,
    /// Where production movements are booked for stations without a
    /// location of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_location: Option<Code>,
    /// Offset of the site's local time from UTC in minutes (calendars and
    /// dates are in local time).
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// The working-time calendar of its equipment that names none; none =
    /// always available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Code>,
    /// Whether changeovers (equipment in `setup`) are planned time: true
    /// takes setup time out of OEE availability's base (like planned
    /// maintenance); false, the default, counts it as an availability
    /// loss (`crate::oee`).
    #[serde(default)]
    pub changeover_planned: bool,
    /// Whether an operation short of material on order waits for the
    /// purchase order's expected day or is only marked.
    #[serde(default)]
    pub material_waits: MaterialWaits,
    /// Whether a receipt of a lot from a maker not approved for its
    /// material is booked with a warning (`warn`, the default) or refused.
    #[serde(default)]
    pub unapproved_receipts: UnapprovedReceipts,
}

impl MasterKind for SiteSettings {
    const MODULE: crate::store::rights::Module = crate::store::rights::Module::Agents;
    const KIND: &'static str = "site_settings";
    const PATH: &'static str = "sites";
    const TITLE: &'static str = "Site settings";

    fn code(&self) -> &Code {
        &self.code
    }

    fn site(&self) -> Option<&Code> {
        Some(&self.code)
    }

    fn check(&self) -> Result<(), FieldError> {
        if !(-14 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return Err(FieldError::new(
                "utc_offset_minutes",
                "must be between -840 and 840",
            ));
        }
        Ok(())
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![Reference::new(SITE, &self.code, "code")];
        if let Some(location) = &self.production_location {
            refs.push(Reference::new(Location::KIND, location, "production_location"));
        }
        if let Some(calendar) = &self.calendar {
            refs.push(Reference::new(super::Calendar::KIND, calendar, "calendar"));
        }
        refs
    }
}

/// A warehouse (a store room, a yard) at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Warehouse {
    /// Its code.
    pub code: Code,
    /// Its name.
    pub name: String,
    /// The site it belongs to.
    pub site: Code,
}

impl MasterKind for Warehouse {
    const KIND: &'static str = "warehouse";
    const PATH: &'static str = "warehouses";
    const TITLE: &'static str = "Warehouse";

    fn code(&self) -> &Code {
        &self.code
    }

    fn site(&self) -> Option<&Code> {
        Some(&self.site)
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)
    }

    fn references(&self) -> Vec<Reference> {
        vec![Reference::new(SITE, &self.site, "site")]
    }
}

/// A stock location (a shelf, a line-side rack) in a warehouse; stock is
/// kept per material, lot and location. Codes are unique per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Its code.
    pub code: Code,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The warehouse it is in.
    pub warehouse: Code,
    /// The site of the warehouse (checked against it).
    pub site: Code,
}

impl MasterKind for Location {
    const KIND: &'static str = "location";
    const PATH: &'static str = "locations";
    const TITLE: &'static str = "Stock location";
    const FILTERS: &'static [&'static str] = &["warehouse"];

    fn code(&self) -> &Code {
        &self.code
    }

    fn site(&self) -> Option<&Code> {
        Some(&self.site)
    }

    fn references(&self) -> Vec<Reference> {
        vec![
            Reference::new(Warehouse::KIND, &self.warehouse, "warehouse"),
            Reference::new(SITE, &self.site, "site"),
        ]
    }
}
