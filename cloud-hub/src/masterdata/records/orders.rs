//! Purchase, sales and production orders.

use super::iso_date;
use super::items::{Material, Unit};
use super::partners::{Customer, Supplier};
use crate::masterdata::kind::{MasterKind, Reference, SITE, distinct, not_negative, positive};
use mes_protocols::limits::{PRICE, QUANTITY};
use mes_protocols::{Code, FieldError};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

/// Whether a purchase or sales order is still expected to move stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Open: its open quantities count as expected supply or demand.
    #[default]
    Open,
    /// Done: fully delivered, or closed with what was delivered.
    Closed,
    /// Cancelled before delivery.
    Cancelled,
}

/// One line of a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderLine {
    /// Line number, unique in the order.
    pub line: u32,
    /// The material ordered.
    pub material: Code,
    /// Quantity ordered in `unit`; above zero.
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub quantity: Decimal,
    /// The unit of `quantity`.
    pub unit: Code,
    /// Price per `unit`, in the tenant's currency.
    #[serde(default)]
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub price: Decimal,
    /// The day the supplier promised delivery.
    #[serde(with = "iso_date")]
    #[schemars(with = "super::IsoDateText")]
    pub expected_on: Date,
}

/// A purchase order to a supplier; receipts are booked against its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrder {
    /// The order number.
    pub code: Code,
    /// The supplier.
    pub supplier: Code,
    /// The site it is delivered to.
    pub site: Code,
    /// Open, closed or cancelled.
    #[serde(default)]
    pub status: OrderStatus,
    /// Its lines.
    pub lines: Vec<PurchaseOrderLine>,
}

impl MasterKind for PurchaseOrder {
    const MODULE: crate::store::rights::Module = crate::store::rights::Module::Purchasing;
    const KIND: &'static str = "purchase_order";
    const PATH: &'static str = "purchase-orders";
    const TITLE: &'static str = "Purchase order";
    const FILTERS: &'static [&'static str] = &["supplier", "status"];

    fn code(&self) -> &Code {
        &self.code
    }

    fn site(&self) -> Option<&Code> {
        Some(&self.site)
    }

    fn check(&self) -> Result<(), FieldError> {
        if self.lines.is_empty() {
            return Err(FieldError::new("lines", "an order needs at least one line"));
        }
        distinct("lines", &self.lines, |l| l.line)?;
        for (i, line) in self.lines.iter().enumerate() {
            positive(&format!("lines[{i}].quantity"), line.quantity, QUANTITY)?;
            not_negative(&format!("lines[{i}].price"), line.price, PRICE)?;
        }
        Ok(())
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![
            Reference::new(Supplier::KIND, &self.supplier, "supplier"),
            Reference::new(SITE, &self.site, "site"),
        ];
        for (i, line) in self.lines.iter().enumerate() {
            refs.push(Reference::new(
                Material::KIND,
                &line.material,
                format!("lines[{i}].material"),
            ));
            refs.push(Reference::new(Unit::KIND, &line.unit, format!("lines[{i}].unit")));
        }
        refs
    }
}

/// One line of a sales order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SalesOrderLine {
    /// Line number, unique in the order.
    pub line: u32,
    /// The material sold.
    pub material: Code,
    /// Quantity in `unit`; above zero.
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub quantity: Decimal,
    /// The unit of `quantity`.
    pub unit: Code,
    /// Price per `unit`, in the tenant's currency.
    #[serde(default)]
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub price: Decimal,
    /// The day the customer wants it.
    #[serde(with = "iso_date")]
    #[schemars(with = "super::IsoDateText")]
    pub due: Date,
}

/// A customer's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SalesOrder {
    /// The order number.
    pub code: Code,
    /// The customer.
    pub customer: Code,
    /// The day it was ordered.
    #[serde(with = "iso_date")]
    #[schemars(with = "super::IsoDateText")]
    pub ordered_on: Date,
    /// Open, closed or cancelled.
    #[serde(default)]
    pub status: OrderStatus,
    /// Its lines.
    pub lines: Vec<SalesOrderLine>,
}

impl MasterKind for SalesOrder {
    const MODULE: crate::store::rights::Module = crate::store::rights::Module::Sales;
    const KIND: &'static str = "sales_order";
    const PATH: &'static str = "sales-orders";
    const TITLE: &'static str = "Sales order";
    const FILTERS: &'static [&'static str] = &["customer", "status"];

    fn code(&self) -> &Code {
        &self.code
    }

    fn check(&self) -> Result<(), FieldError> {
        if self.lines.is_empty() {
            return Err(FieldError::new("lines", "an order needs at least one line"));
        }
        distinct("lines", &self.lines, |l| l.line)?;
        for (i, line) in self.lines.iter().enumerate() {
            positive(&format!("lines[{i}].quantity"), line.quantity, QUANTITY)?;
            not_negative(&format!("lines[{i}].price"), line.price, PRICE)?;
        }
        Ok(())
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![Reference::new(Customer::KIND, &self.customer, "customer")];
        for (i, line) in self.lines.iter().enumerate() {
            refs.push(Reference::new(
                Material::KIND,
                &line.material,
                format!("lines[{i}].material"),
            ));
            refs.push(Reference::new(Unit::KIND, &line.unit, format!("lines[{i}].unit")));
        }
        refs
    }
}

/// Where a production order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductionStatus {
    /// Being prepared; editable; not on the floor.
    #[default]
    Draft,
    /// Released to a site: its agents receive it, its materials are reserved.
    Released,
    /// An operation has started on the floor.
    InProgress,
    /// Its last operation finished.
    Completed,
    /// Closed by the office: no more bookings expected.
    Closed,
}

impl ProductionStatus {
    /// The name used in the API and in filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Released => "released",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Closed => "closed",
        }
    }

    /// Whether orders in this state are on the floor (sent to agents,
    /// reserving material, scheduled).
    pub fn is_open_on_floor(self) -> bool {
        matches!(self, Self::Released | Self::InProgress)
    }
}

/// The sales order line a production order makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SalesOrderRef {
    /// The sales order.
    pub order: Code,
    /// Its line.
    pub line: u32,
}

/// An order to make a quantity of a material by a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductionOrder {
    /// The order number.
    pub code: Code,
    /// The material made.
    pub material: Code,
    /// Quantity to make, in the material's base unit; above zero.
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub quantity: Decimal,
    /// The day it is due; none = no due date.
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<super::IsoDateText>")]
    pub due: Option<Date>,
    /// Priority; higher weighs more when the scheduler trades lateness.
    #[serde(default = "default_priority")]
    pub priority: u32,
    /// The routing version; none = the routing's last version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_version: Option<Code>,
    /// The BOM version; none = the one valid on the day it is released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bom_version: Option<Code>,
    /// The site it is released to; required to release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<Code>,
    /// Where it is in its life; changed by the lifecycle actions and the
    /// floor's events, not by an update.
    #[serde(default)]
    pub status: ProductionStatus,
    /// The sales order line it makes, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_order: Option<SalesOrderRef>,
    /// The routing's operations as copied when the order was released: the
    /// floor works to these, whatever later becomes of the routing. Empty
    /// while a draft; set by the release action, not by an update.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<super::RoutingOperation>,
    /// When it was released (its material reservations start); set by the
    /// release action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<mes_protocols::Timestamp>,
    /// When it was completed or closed (its reservations end); set by the
    /// floor's events or the close action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<mes_protocols::Timestamp>,
}

fn default_priority() -> u32 {
    1
}

impl MasterKind for ProductionOrder {
    const MODULE: crate::store::rights::Module = crate::store::rights::Module::Production;
    const KIND: &'static str = "production_order";
    const PATH: &'static str = "production-orders";
    const TITLE: &'static str = "Production order";
    const FILTERS: &'static [&'static str] = &["status", "material"];

    fn code(&self) -> &Code {
        &self.code
    }

    fn site(&self) -> Option<&Code> {
        self.site.as_ref()
    }

    fn check(&self) -> Result<(), FieldError> {
        positive("quantity", self.quantity, QUANTITY)?;
        if self.status != ProductionStatus::Draft && self.site.is_none() {
            return Err(FieldError::new("site", "a released order needs a site"));
        }
        Ok(())
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![
            Reference::new(Material::KIND, &self.material, "material"),
            Reference::new(super::Routing::KIND, &self.material, "material"),
        ];
        if let Some(site) = &self.site {
            refs.push(Reference::new(SITE, site, "site"));
        }
        if let Some(so) = &self.sales_order {
            refs.push(Reference::new(SalesOrder::KIND, &so.order, "sales_order.order"));
        }
        refs
    }

    fn check_create(&self) -> Result<(), FieldError> {
        if self.status != ProductionStatus::Draft {
            return Err(FieldError::new(
                "status",
                "a new order is a draft; release it with the release action",
            ));
        }
        if !self.operations.is_empty() {
            return Err(FieldError::new(
                "operations",
                "are copied from the routing when the order is released",
            ));
        }
        if self.released_at.is_some() || self.ended_at.is_some() {
            return Err(FieldError::new("released_at", "is set by the order's lifecycle"));
        }
        Ok(())
    }

    fn check_update(&self, old: &Self) -> Result<(), FieldError> {
        if self.operations != old.operations {
            return Err(FieldError::new(
                "operations",
                "are copied from the routing when the order is released; they cannot be edited",
            ));
        }
        if self.released_at != old.released_at || self.ended_at != old.ended_at {
            return Err(FieldError::new(
                "released_at",
                "released_at and ended_at are set by the order's lifecycle, not by an update",
            ));
        }
        if self.status != old.status {
            return Err(FieldError::new(
                "status",
                format!(
                    "is {}; change it with the order's release, close or reopen action, not an update",
                    old.status.as_str()
                ),
            ));
        }
        if old.status != ProductionStatus::Draft
            && (self.material != old.material
                || self.routing_version != old.routing_version
                || self.site != old.site)
        {
            return Err(FieldError::new(
                "material",
                "material, routing version and site can only change while the order is a draft",
            ));
        }
        Ok(())
    }
}
