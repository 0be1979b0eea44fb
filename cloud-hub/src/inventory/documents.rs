//! Stock documents entered at the hub, checked against master data and
//! booked as ledger rows in one write. A document number is the rows' id:
//! posting the same document again changes nothing; reusing a number for
//! different content is refused.

use super::invalid;
use crate::error::HubError;
use crate::masterdata::records::{Location, Material, Unit};
use crate::masterdata::service;
use crate::stock::{Movement, MovementId, MovementKind, StockKey};
use crate::store::Store;
use crate::store::TenantId;
use crate::store::ledger::{LedgerOutcome, LedgerRow, LedgerWrite};
use mes_protocols::limits::{PRICE, QUANTITY};
use mes_protocols::{Code, FieldError, Timestamp};
use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a stock document moves: one material (and lot) in a unit.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockLine {
    /// The material.
    pub material: Code,
    /// The lot (required for lot-tracked materials, refused otherwise).
    #[serde(default)]
    pub lot: Option<Code>,
    /// The quantity, in `unit`; above zero (adjustments: signed, not zero).
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub quantity: Decimal,
    /// The unit: the material's base unit or one of its alternative units.
    pub unit: Code,
}

/// A stock document.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StockDocument {
    /// Goods received (from a supplier, against a purchase order line).
    Receipt {
        /// Document number (unique per tenant).
        document: Code,
        /// Where it was put.
        location: Code,
        /// What.
        #[serde(flatten)]
        line: StockLine,
        /// The purchase order it was received against.
        #[serde(default)]
        purchase_order: Option<Code>,
        /// Price per `unit`, in the tenant's currency; at least zero. When
        /// absent, the price of the purchase order's line for the material
        /// (converted through the base unit); with neither, the receipt is
        /// valued at the material's moving average (see ARCHITECTURE.md,
        /// valuation).
        #[serde(
            default,
            deserialize_with = "mes_protocols::decimal::text::option::deserialize"
        )]
        unit_price: Option<Decimal>,
        /// Last day of use of a new lot (creates the lot record).
        #[serde(default)]
        #[schemars(with = "Option<String>")]
        expires_on: Option<String>,
        /// Who made the lot (a manufacturer's code), recorded on the lot
        /// and judged against the material's approval list.
        #[serde(default)]
        manufacturer: Option<Code>,
        /// The maker's own lot number.
        #[serde(default)]
        manufacturer_lot: Option<String>,
        /// The maker's part number.
        #[serde(default)]
        manufacturer_part: Option<String>,
        /// The maker's GS1 label as scanned: AI 10 gives the maker's lot,
        /// AI 240 its part number, AI 17 the expiry, where the receipt
        /// does not give them.
        #[serde(default)]
        label: Option<String>,
        /// When it happened; now when absent.
        #[serde(default)]
        occurred_at: Option<Timestamp>,
    },
    /// Stock moved between two locations.
    Transfer {
        /// Document number.
        document: Code,
        /// From.
        from: Code,
        /// To.
        to: Code,
        /// What.
        #[serde(flatten)]
        line: StockLine,
        /// When; now when absent.
        #[serde(default)]
        occurred_at: Option<Timestamp>,
    },
    /// A count: the quantity is what was found.
    Stocktake {
        /// Document number.
        document: Code,
        /// Where it was counted.
        location: Code,
        /// What and how much was found (zero allowed).
        #[serde(flatten)]
        line: StockLine,
        /// When it was counted; now when absent.
        #[serde(default)]
        occurred_at: Option<Timestamp>,
    },
    /// Stock written off.
    Scrap {
        /// Document number.
        document: Code,
        /// Where.
        location: Code,
        /// What.
        #[serde(flatten)]
        line: StockLine,
        /// Why (a scrap reason code).
        reason: Code,
        /// When; now when absent.
        #[serde(default)]
        occurred_at: Option<Timestamp>,
    },
    /// A correction by a signed quantity.
    Adjustment {
        /// Document number.
        document: Code,
        /// Where.
        location: Code,
        /// What (quantity signed).
        #[serde(flatten)]
        line: StockLine,
        /// Why, free text.
        note: String,
        /// When; now when absent.
        #[serde(default)]
        occurred_at: Option<Timestamp>,
    },
}

/// The decimal fields of a stock document, read alone: a document is an
/// internally tagged enum with a flattened line, through which serde
/// cannot tell which field failed, so a decimal outside the grammar
/// (`mes_protocols::decimal`) is found again here to name it.
#[derive(Deserialize)]
struct DecimalFields {
    #[serde(
        default,
        deserialize_with = "mes_protocols::decimal::text::option::deserialize"
    )]
    #[allow(dead_code)]
    quantity: Option<Decimal>,
    #[serde(
        default,
        deserialize_with = "mes_protocols::decimal::text::option::deserialize"
    )]
    #[allow(dead_code)]
    unit_price: Option<Decimal>,
}

/// The decimal field of document JSON `body` that is not in the decimal
/// grammar, with why; `None` when they all are (or the body is no object).
pub fn decimal_field_error(body: &[u8]) -> Option<FieldError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, DecimalFields>(&mut de)
        .err()
        .map(|e| FieldError::from_json(e.path().to_string(), e.inner()))
        .filter(|f| !f.field.is_empty())
}

/// What posting a document did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Posted {
    /// The document number.
    pub document: Code,
    /// Rows booked now (0: the same document was posted before).
    pub rows_booked: usize,
    /// What was booked but deserves a look (a receipt from a maker not
    /// approved for the material, at a site that only warns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Why a posting was refused beyond plain validation.
fn refused(outcome: &LedgerOutcome, document: &Code) -> Option<HubError> {
    if let Some(overflow) = &outcome.overflow {
        return Some(invalid(
            "quantity",
            format!(
                "the balance of {} would leave the range of a decimal",
                overflow.key
            ),
        ));
    }
    if !outcome.conflicts.is_empty() {
        return Some(HubError::Exists {
            kind: "stock document",
            code: document.to_string(),
        });
    }
    outcome
        .negative
        .first()
        .map(|(key, balance)| HubError::InvalidState {
            kind: "stock document",
            code: document.to_string(),
            reason: format!("would take {key} to {balance}; this site does not allow negative stock"),
        })
}

/// The base-unit quantity of `line`, checked (field paths relative to the document).
async fn base_quantity(
    store: &Store,
    tenant: TenantId,
    line: &StockLine,
) -> Result<(Material, Decimal), HubError> {
    QUANTITY
        .check("quantity", line.quantity)
        .map_err(HubError::Invalid)?;
    let material = service::get::<Material>(store, tenant, line.material.as_str())
        .await
        .map_err(|e| match e {
            HubError::NotFound { .. } => {
                invalid("material", format!("material `{}` not found", line.material))
            }
            other => other,
        })?
        .record;
    match (&line.lot, material.lot_tracked) {
        (None, true) => {
            return Err(invalid(
                "lot",
                format!("material {} is lot-tracked: name the lot", material.code),
            ));
        }
        (Some(_), false) => {
            return Err(invalid(
                "lot",
                format!("material {} is not lot-tracked: leave the lot out", material.code),
            ));
        }
        _ => {}
    }
    let factor = material.base_units_per(&line.unit).ok_or_else(|| {
        invalid(
            "unit",
            format!(
                "`{}` is not a unit of material {} (base unit {})",
                line.unit, material.code, material.base_unit
            ),
        )
    })?;
    let decimals = service::get::<Unit>(store, tenant, material.base_unit.as_str())
        .await
        .map(|u| u.record.decimals)
        .unwrap_or(6);
    let exact = line
        .quantity
        .checked_mul(factor)
        .filter(|q| q.abs() <= crate::stock::ledger::MAX_QUANTITY)
        .ok_or_else(|| {
            invalid(
                "quantity",
                format!(
                    "{} {} is more than the ledger's limit of {} {} per row",
                    line.quantity,
                    line.unit,
                    crate::stock::ledger::MAX_QUANTITY,
                    material.base_unit
                ),
            )
        })?;
    Ok((
        material,
        exact.round_dp_with_strategy(decimals, RoundingStrategy::MidpointNearestEven),
    ))
}

/// The site of `location` (which must exist and be active).
async fn site_of(store: &Store, tenant: TenantId, location: &Code, field: &str) -> Result<String, HubError> {
    match service::get::<Location>(store, tenant, location.as_str()).await {
        Ok(l) if !l.archived => Ok(l.record.site.to_string()),
        Ok(_) | Err(HubError::NotFound { .. }) => Err(invalid(
            field,
            format!("location `{location}` does not exist (or is archived)"),
        )),
        Err(e) => Err(e),
    }
}

fn now() -> Timestamp {
    Timestamp::from_unix_millis(crate::store::now_ms())
}

impl StockDocument {
    /// The document number.
    fn number(&self) -> &Code {
        match self {
            Self::Receipt { document, .. }
            | Self::Transfer { document, .. }
            | Self::Stocktake { document, .. }
            | Self::Scrap { document, .. }
            | Self::Adjustment { document, .. } => document,
        }
    }

    /// The material line.
    fn line(&self) -> &StockLine {
        match self {
            Self::Receipt { line, .. }
            | Self::Transfer { line, .. }
            | Self::Stocktake { line, .. }
            | Self::Scrap { line, .. }
            | Self::Adjustment { line, .. } => line,
        }
    }

    /// When it happened, if the document says.
    fn occurred_at(&self) -> Option<Timestamp> {
        match self {
            Self::Receipt { occurred_at, .. }
            | Self::Transfer { occurred_at, .. }
            | Self::Stocktake { occurred_at, .. }
            | Self::Scrap { occurred_at, .. }
            | Self::Adjustment { occurred_at, .. } => *occurred_at,
        }
    }
}

/// When document `doc`'s number was booked before (its first row), if it was.
async fn booked_at(
    store: &Store,
    tenant: TenantId,
    doc: &StockDocument,
) -> Result<Option<Timestamp>, HubError> {
    let first_row = MovementId::document(doc.number().clone(), 0);
    let booked = store
        .movements_of(tenant, doc.line().material.to_string(), None, None)
        .await
        .map_err(HubError::Store)?;
    Ok(booked.iter().find(|m| m.id == first_row).map(|m| m.occurred_at))
}

/// Checks and books `doc`. A document without `occurred_at` is dated now;
/// when that meets its own number booked before at another instant (a
/// client retrying after a lost answer), it is dated as it was booked, so
/// the retry is the same document (200, nothing booked), not a 409. Only
/// that case reads the material's rows.
pub async fn post(store: &Store, tenant: TenantId, doc: StockDocument) -> Result<Posted, HubError> {
    if let Some(at) = doc.occurred_at() {
        return post_at(store, tenant, doc, at).await;
    }
    let first = post_at(store, tenant, doc.clone(), now()).await;
    if !matches!(first, Err(HubError::Exists { .. })) {
        return first;
    }
    match booked_at(store, tenant, &doc).await? {
        Some(at) => post_at(store, tenant, doc, at).await,
        None => first,
    }
}

/// Checks and books `doc` dated `at`.
async fn post_at(
    store: &Store,
    tenant: TenantId,
    doc: StockDocument,
    at: Timestamp,
) -> Result<Posted, HubError> {
    let mut warnings = Vec::new();
    let (document, rows, site) = match doc {
        StockDocument::Receipt {
            document,
            location,
            line,
            purchase_order,
            unit_price,
            expires_on,
            manufacturer,
            manufacturer_lot,
            manufacturer_part,
            label,
            occurred_at: _,
        } => {
            if line.quantity <= Decimal::ZERO {
                return Err(invalid("quantity", "a receipt's quantity must be above zero"));
            }
            if unit_price.is_some_and(|p| p < Decimal::ZERO) {
                return Err(invalid("unit_price", "a price cannot be below zero"));
            }
            if let Some(price) = unit_price {
                PRICE.check("unit_price", price).map_err(HubError::Invalid)?;
            }
            let site = site_of(store, tenant, &location, "location").await?;
            let (material, quantity) = base_quantity(store, tenant, &line).await?;
            let mut value = unit_price
                .map(|p| {
                    line.quantity
                        .checked_mul(p)
                        .map(receipt_value)
                        .ok_or_else(|| invalid("unit_price", "quantity × price is too large"))
                })
                .transpose()?;
            if let Some(po) = &purchase_order {
                let order =
                    service::get::<crate::masterdata::records::PurchaseOrder>(store, tenant, po.as_str())
                        .await
                        .map_err(|_| invalid("purchase_order", format!("purchase order `{po}` not found")))?;
                if value.is_none() {
                    value = po_line_value(&order.record, &material, quantity);
                }
            }
            let received = super::receipt_lot::Received {
                lot: line.lot.as_ref(),
                material: &material.code,
                document: &document,
                site: &site,
                at,
                expires_on: expires_on.as_deref(),
            };
            let maker = super::receipt_lot::Maker {
                manufacturer,
                manufacturer_lot,
                manufacturer_part,
                label,
            };
            warnings = super::receipt_lot::receive(store, tenant, received, maker).await?;
            let key = StockKey::new(material.code, line.lot, location);
            let row = Movement::delta(
                MovementId::document(document.clone(), 0),
                MovementKind::PurchaseReceipt,
                key,
                quantity,
                at,
            )
            .priced(value, purchase_order);
            (document, vec![row], site)
        }
        StockDocument::Transfer {
            document,
            from,
            to,
            line,
            occurred_at: _,
        } => {
            if line.quantity <= Decimal::ZERO {
                return Err(invalid("quantity", "a transfer's quantity must be above zero"));
            }
            if from == to {
                return Err(invalid("to", "a transfer needs two different locations"));
            }
            let site = site_of(store, tenant, &from, "from").await?;
            let to_site = site_of(store, tenant, &to, "to").await?;
            if to_site != site {
                return Err(invalid(
                    "to",
                    format!("location {to} is at site {to_site}, {from} at {site}"),
                ));
            }
            let (material, quantity) = base_quantity(store, tenant, &line).await?;
            let rows = Movement::transfer(document.clone(), material.code, line.lot, from, to, quantity, at);
            (document, rows.to_vec(), site)
        }
        StockDocument::Stocktake {
            document,
            location,
            line,
            occurred_at: _,
        } => {
            if line.quantity < Decimal::ZERO {
                return Err(invalid("quantity", "a count cannot be below zero"));
            }
            let site = site_of(store, tenant, &location, "location").await?;
            let (material, quantity) = base_quantity(store, tenant, &line).await?;
            let key = StockKey::new(material.code, line.lot, location);
            let row = Movement::stocktake(MovementId::document(document.clone(), 0), key, quantity, at);
            (document, vec![row], site)
        }
        StockDocument::Scrap {
            document,
            location,
            line,
            reason,
            occurred_at: _,
        } => {
            if line.quantity <= Decimal::ZERO {
                return Err(invalid("quantity", "a scrap quantity must be above zero"));
            }
            service::get::<crate::masterdata::records::Reason>(store, tenant, reason.as_str())
                .await
                .map_err(|_| invalid("reason", format!("reason code `{reason}` not found")))?;
            let site = site_of(store, tenant, &location, "location").await?;
            let (material, quantity) = base_quantity(store, tenant, &line).await?;
            let key = StockKey::new(material.code, line.lot, location);
            let row = Movement::delta(
                MovementId::document(document.clone(), 0),
                MovementKind::Scrap,
                key,
                -quantity,
                at,
            );
            (document, vec![row], site)
        }
        StockDocument::Adjustment {
            document,
            location,
            line,
            note,
            occurred_at: _,
        } => {
            if line.quantity == Decimal::ZERO {
                return Err(invalid("quantity", "an adjustment of zero changes nothing"));
            }
            if note.trim().is_empty() {
                return Err(invalid("note", "say why stock is adjusted"));
            }
            let site = site_of(store, tenant, &location, "location").await?;
            let (material, quantity) = base_quantity(store, tenant, &line).await?;
            let key = StockKey::new(material.code, line.lot, location);
            let row = Movement::delta(
                MovementId::document(document.clone(), 0),
                MovementKind::Adjustment,
                key,
                quantity,
                at,
            );
            (document, vec![row], site)
        }
    };
    let refuse_negative = super::position::site_refuses_negative(store, tenant, &site).await?;
    let outcome = store
        .write_ledger(
            tenant,
            LedgerWrite {
                rows: rows
                    .into_iter()
                    .map(|movement| LedgerRow {
                        movement,
                        site: site.clone(),
                    })
                    .collect(),
                refuse_negative,
                refuse_conflicts: true,
                projection: None,
            },
        )
        .await
        .map_err(HubError::Store)?;
    if let Some(e) = refused(&outcome, &document) {
        return Err(e);
    }
    Ok(Posted {
        document,
        rows_booked: outcome.inserted,
        warnings,
    })
}

/// A receipt's value: rounded to cents, half away from zero (the costing's
/// money rule, `crate::costing::money`).
fn receipt_value(exact: Decimal) -> Decimal {
    crate::costing::money(exact)
}

/// The value of `quantity` (base units) of `material` at the price of the
/// first line of `order` for it, converted to the base unit through the
/// line's unit (`None`: no such line, or its unit is not the material's).
fn po_line_value(
    order: &crate::masterdata::records::PurchaseOrder,
    material: &Material,
    quantity: Decimal,
) -> Option<Decimal> {
    let line = order.lines.iter().find(|l| l.material == material.code)?;
    let factor = material.base_units_per(&line.unit)?;
    if factor <= Decimal::ZERO {
        return None;
    }
    Some(receipt_value(
        quantity.checked_mul(line.price)?.checked_div(factor)?,
    ))
}
