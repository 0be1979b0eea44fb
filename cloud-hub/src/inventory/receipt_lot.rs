//! What a goods receipt says about the lot it brings in (issue 21): who
//! made it (the manufacturer, the maker's own lot and part number, from the
//! receipt's fields or the maker's GS1 label), recorded on the lot; and
//! whether that maker is approved for the material, judged by the shared
//! rule (`mes_protocols::approval`) against the material's general list
//! (a receipt is for stock, not for one customer's order).
//!
//! A maker that is not approved is refused (422 naming `manufacturer`)
//! when the site's `unapproved_receipts` is `refuse`, else booked with the
//! reason in the answer's `warnings`: the station refuses such a lot
//! anyway, and the approval report lists it in stock.
//!
//! Dates are UTC days, as at the stations.

use super::invalid;
use crate::error::HubError;
use crate::masterdata::records::{Lot, MaterialApproval, SiteSettings, UnapprovedReceipts};
use crate::masterdata::service::{self, Stored};
use crate::store::{Expect, Store, TenantId};
use mes_protocols::approval::{Question, judge};
use mes_protocols::barcode::{Scan, ScanConfig, ScanParser};
use mes_protocols::{Code, Timestamp};
use time::Date;

/// What a receipt tells about the lot's maker.
#[derive(Debug, Clone, Default)]
pub(super) struct Maker {
    /// The manufacturer's code.
    pub manufacturer: Option<Code>,
    /// The maker's own lot number.
    pub manufacturer_lot: Option<String>,
    /// The maker's part number.
    pub manufacturer_part: Option<String>,
    /// The maker's GS1 label as scanned (element string): AI 10 gives
    /// the maker's lot, AI 240 its part number, AI 17 the expiry, each
    /// only where the receipt does not say.
    pub label: Option<String>,
}

/// The lot a receipt brings: the receipt's lot of `material`, with its
/// maker and expiry as the receipt (or its label) gives them.
pub(super) struct Received<'a> {
    /// The lot, for lot-tracked materials.
    pub lot: Option<&'a Code>,
    /// The material.
    pub material: &'a Code,
    /// The receipt's document number (names an untracked receipt).
    pub document: &'a Code,
    /// The site received at.
    pub site: &'a str,
    /// When.
    pub at: Timestamp,
    /// Last day of use of a new lot, as the receipt writes it.
    pub expires_on: Option<&'a str>,
}

/// Reads the label into `maker` and the expiry; checks the maker against
/// the material's approval list under the site's setting, and creates or
/// completes the lot record. Returns the warnings for the answer.
pub(super) async fn receive(
    store: &Store,
    tenant: TenantId,
    received: Received<'_>,
    mut maker: Maker,
) -> Result<Vec<String>, HubError> {
    let mut expires_on = received
        .expires_on
        .map(|raw| mes_protocols::downlink::parse_date(raw).map_err(|reason| invalid("expires_on", reason)))
        .transpose()?;
    if let Some(label) = maker.label.take() {
        read_label(&label, received.at, &mut maker, &mut expires_on)?;
    }
    let existing = match received.lot {
        Some(lot) => existing_lot(store, tenant, lot, received.material).await?,
        None => None,
    };
    let recorded = existing.as_ref().and_then(|l| l.record.manufacturer.clone());
    if let (Some(was), Some(now)) = (&recorded, &maker.manufacturer)
        && was != now
    {
        return Err(invalid(
            "manufacturer",
            format!(
                "lot {} is recorded as made by {was}, not {now}",
                received.lot.map_or("", Code::as_str)
            ),
        ));
    }
    let effective = maker.manufacturer.clone().or(recorded);
    let warnings = approval_warnings(store, tenant, &received, effective.as_ref()).await?;
    if let Some(lot) = received.lot {
        write_lot(store, tenant, lot, received.material, existing, expires_on, maker).await?;
    }
    Ok(warnings)
}

fn read_label(
    label: &str,
    at: Timestamp,
    maker: &mut Maker,
    expires_on: &mut Option<Date>,
) -> Result<(), HubError> {
    let year = at.to_datetime().year();
    let Ok(Scan::Gs1(message)) = ScanParser::new(&ScanConfig::default())
        .map_err(|e| invalid("label", e.reason))?
        .parse(label, year)
    else {
        return Err(invalid(
            "label",
            "is not a GS1 element string (e.g. (01)04012345000019(10)A123(17)271231)",
        ));
    };
    if maker.manufacturer_lot.is_none() {
        maker.manufacturer_lot = message.lot().map(ToString::to_string);
    }
    if maker.manufacturer_part.is_none() {
        maker.manufacturer_part = message.additional_product_id().map(str::to_string);
    }
    if expires_on.is_none() {
        *expires_on = message.expiry();
    }
    Ok(())
}

/// The lot record `lot`, if it exists; refused when it is another
/// material's.
async fn existing_lot(
    store: &Store,
    tenant: TenantId,
    lot: &Code,
    material: &Code,
) -> Result<Option<Stored<Lot>>, HubError> {
    match service::get::<Lot>(store, tenant, lot.as_str()).await {
        Ok(existing) if existing.record.material == *material => Ok(Some(existing)),
        Ok(existing) => Err(invalid(
            "lot",
            format!(
                "lot {lot} is a lot of material {}, not {material}",
                existing.record.material
            ),
        )),
        Err(HubError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The receipt's approval problem as a warning, or refused under the
/// site's `unapproved_receipts = refuse`.
async fn approval_warnings(
    store: &Store,
    tenant: TenantId,
    received: &Received<'_>,
    maker: Option<&Code>,
) -> Result<Vec<String>, HubError> {
    let list = match service::get::<MaterialApproval>(store, tenant, received.material.as_str()).await {
        Ok(stored) if !stored.archived => Some(stored.record.to_rule()),
        Ok(_) | Err(HubError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let question = Question {
        lot: received.lot.unwrap_or(received.document),
        material: received.material,
        manufacturer: maker,
        customer: None,
        on: received.at.to_datetime().date(),
    };
    let Err(refusal) = judge(list.as_ref(), &question) else {
        return Ok(Vec::new());
    };
    let setting = match service::get::<SiteSettings>(store, tenant, received.site).await {
        Ok(site) => site.record.unapproved_receipts,
        Err(HubError::NotFound { .. }) => UnapprovedReceipts::default(),
        Err(e) => return Err(e),
    };
    match setting {
        UnapprovedReceipts::Refuse => Err(invalid(
            "manufacturer",
            format!("{refusal} (site {} refuses unapproved receipts)", received.site),
        )),
        UnapprovedReceipts::Warn => Ok(vec![refusal.message]),
    }
}

/// Creates lot `lot` with its maker, or completes an existing lot with
/// the maker fields it does not have yet (an archived lot stays archived).
async fn write_lot(
    store: &Store,
    tenant: TenantId,
    lot: &Code,
    material: &Code,
    existing: Option<Stored<Lot>>,
    expires_on: Option<Date>,
    maker: Maker,
) -> Result<(), HubError> {
    let (record, archived, expect) = match existing {
        None => {
            let new = Lot {
                code: lot.clone(),
                material: material.clone(),
                expires_on,
                blocked: false,
                supplier_lot: None,
                manufacturer: maker.manufacturer,
                manufacturer_lot: maker.manufacturer_lot,
                manufacturer_part: maker.manufacturer_part,
            };
            (new, false, Expect::Any)
        }
        Some(stored) => {
            let old = stored.record;
            let completed = Lot {
                manufacturer: old.manufacturer.clone().or(maker.manufacturer),
                manufacturer_lot: old.manufacturer_lot.clone().or(maker.manufacturer_lot),
                manufacturer_part: old.manufacturer_part.clone().or(maker.manufacturer_part),
                ..old.clone()
            };
            if completed == old {
                return Ok(());
            }
            (completed, stored.archived, Expect::Present(Some(stored.version)))
        }
    };
    let write = service::PendingWrite::new(&record, archived, expect)?;
    service::write_all(store, tenant, vec![write]).await.map(drop)
}
