//! The kinds of master data the hub keeps, each a typed document checked
//! before it is stored (see [`super::kind::MasterKind`]).
//!
//! - [`manufacturer`], [`approval`]: makers lots come from, and the
//!   approved-manufacturer list of each material.
//! - [`calendar`]: working-time calendars (shifts, holidays, maintenance).
//! - [`items`]: units, materials, lots.
//! - [`structure`]: BOMs and routings (versioned, per material).
//! - [`resources`]: equipment types, equipment, worker types, workers,
//!   stations, reason codes.
//! - [`places`]: site settings, warehouses, stock locations.
//! - [`partners`]: suppliers, customers.
//! - [`orders`]: purchase, sales and production orders.

pub mod approval;
pub mod calendar;
pub mod items;
pub mod manufacturer;
pub mod orders;
pub mod partners;
pub mod places;
pub mod resources;
pub mod structure;

pub use approval::{ApprovalEntry, CustomerApprovalList, MaterialApproval};
pub use calendar::Calendar;
pub use items::{Lot, Material, Unit};
pub use manufacturer::Manufacturer;
pub use orders::{
    OrderStatus, ProductionOrder, ProductionStatus, PurchaseOrder, PurchaseOrderLine, SalesOrder,
    SalesOrderLine, SalesOrderRef,
};
pub use partners::{Customer, Supplier};
pub use places::{Location, MaterialWaits, NegativeStock, SiteSettings, UnapprovedReceipts, Warehouse};
pub use resources::{Equipment, EquipmentType, Reason, ReasonKind, Station, Worker, WorkerType};
pub use structure::{Bom, BomLine, BomVersion, Routing, RoutingInput, RoutingOperation, RoutingVersion};

/// The OpenAPI schema of a date as records write it, `YYYY-MM-DD`
/// (`#[schemars(with = "IsoDateText")]` beside `#[serde(with =
/// "iso_date")]`), so the document states what [`iso_date`] reads.
pub struct IsoDateText;

impl schemars::JsonSchema for IsoDateText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IsoDate".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        })
    }
}

/// Serde helper for `time::Date` as `YYYY-MM-DD`.
pub mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;
    use time::macros::format_description;

    const FORMAT: &[time::format_description::FormatItem<'static>] =
        format_description!("[year]-[month]-[day]");

    /// Writes `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        let text = date.format(FORMAT).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    /// Reads `YYYY-MM-DD`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text, FORMAT)
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a date YYYY-MM-DD")))
    }

    /// The same for `Option<Date>` (`null` or absent = none).
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::Date;

        /// Writes `YYYY-MM-DD` or `null`.
        pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
            match date {
                Some(d) => super::serialize(d, s),
                None => s.serialize_none(),
            }
        }

        /// Reads `YYYY-MM-DD` or `null`.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
            #[derive(Deserialize)]
            struct Wrapper(#[serde(with = "super")] Date);
            Ok(Option::<Wrapper>::deserialize(d)?.map(|Wrapper(date)| date))
        }
    }
}
