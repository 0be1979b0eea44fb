//! Manufacturers and approved-manufacturer lists as files (issue 21), the
//! same way as materials (`files.rs`): CSV or XLSX in, all or nothing,
//! every bad row listed; CSV out that imports back to the same records.
//!
//! An approvals file holds entries (`import/approval.rs`); the entries of
//! one material, in file order, make its whole list (general entries, then
//! each customer's list in the order the customer first appears), which
//! replaces the stored list. Materials without rows in the file keep
//! theirs.

use super::files::{Counts, FileImportError, Format, active_codes, by_code, list_all, pending, records};
use super::import::{self, ApprovalRow, ImportErrors, Lookup, ManufacturerRow, Source};
use super::kind::MasterKind;
use super::records::{
    ApprovalEntry, Customer, CustomerApprovalList, Manufacturer, Material, MaterialApproval,
};
use super::service::{self, Stored};
use crate::error::HubError;
use crate::store::{Store, TenantId};
use mes_protocols::Code;
use std::collections::{HashMap, HashSet};

/// Imports a manufacturers file.
pub async fn import_manufacturers(
    store: &Store,
    tenant: TenantId,
    bytes: Vec<u8>,
    format: Format,
) -> Result<Counts, FileImportError> {
    let rows = off_runtime(move || import::import_manufacturers(source(&bytes, &format))).await?;
    let existing: HashMap<String, Stored<Manufacturer>> = by_code(list_all(store, tenant, true).await?);
    let mut counts = Counts::default();
    let mut writes = Vec::new();
    for row in rows {
        let record = Manufacturer {
            code: row.code,
            name: row.name,
            brand: row.brand,
        };
        writes.push(pending(&record, &existing, &mut counts)?);
    }
    if !writes.is_empty() {
        service::write_all(store, tenant, writes).await?;
    }
    Ok(counts)
}

/// Imports an approvals file: each material named replaces its list.
pub async fn import_approvals(
    store: &Store,
    tenant: TenantId,
    bytes: Vec<u8>,
    format: Format,
) -> Result<Counts, FileImportError> {
    let lookup = Known {
        materials: active_codes(store, tenant, Material::KIND).await?,
        manufacturers: active_codes(store, tenant, Manufacturer::KIND).await?,
        customers: active_codes(store, tenant, Customer::KIND).await?,
    };
    let rows =
        off_runtime(move || import::import_approvals_checked(source(&bytes, &format), &lookup)).await?;
    let existing: HashMap<String, Stored<MaterialApproval>> = by_code(list_all(store, tenant, true).await?);
    let mut counts = Counts::default();
    let mut writes = Vec::new();
    for list in lists_from_rows(rows) {
        writes.push(pending(&list, &existing, &mut counts)?);
    }
    if !writes.is_empty() {
        service::write_all(store, tenant, writes).await?;
    }
    Ok(counts)
}

/// The tenant's active manufacturers as CSV, in code order.
pub async fn export_manufacturers(store: &Store, tenant: TenantId) -> Result<String, HubError> {
    let makers: Vec<Manufacturer> = records(list_all(store, tenant, false).await?);
    let rows: Vec<ManufacturerRow> = makers
        .into_iter()
        .map(|m| ManufacturerRow {
            code: m.code,
            name: m.name,
            brand: m.brand,
        })
        .collect();
    Ok(import::manufacturers_to_csv(&rows))
}

/// The tenant's active approval lists as CSV, by material.
pub async fn export_approvals(store: &Store, tenant: TenantId) -> Result<String, HubError> {
    let lists: Vec<MaterialApproval> = records(list_all(store, tenant, false).await?);
    Ok(import::approvals_to_csv(&rows_from_lists(&lists)))
}

/// Groups entries into one list per material (first-appearance order).
pub fn lists_from_rows(rows: Vec<ApprovalRow>) -> Vec<MaterialApproval> {
    let mut lists: Vec<MaterialApproval> = Vec::new();
    for row in rows {
        let at = match lists.iter().position(|l| l.material == row.material) {
            Some(i) => i,
            None => {
                lists.push(MaterialApproval {
                    material: row.material.clone(),
                    approvals: Vec::new(),
                    customers: Vec::new(),
                });
                lists.len() - 1
            }
        };
        let list = &mut lists[at];
        let entry = ApprovalEntry {
            manufacturer: row.manufacturer,
            status: row.status,
            reason: row.reason,
            expires_on: row.expires_on,
        };
        match row.customer {
            None => list.approvals.push(entry),
            Some(customer) => match list.customers.iter_mut().find(|c| c.customer == customer) {
                Some(own) => own.approvals.push(entry),
                None => list.customers.push(CustomerApprovalList {
                    customer,
                    approvals: vec![entry],
                }),
            },
        }
    }
    lists
}

/// One row per entry: each list's general entries, then each customer's.
pub fn rows_from_lists(lists: &[MaterialApproval]) -> Vec<ApprovalRow> {
    let row = |material: &Code, customer: Option<&Code>, a: &ApprovalEntry| ApprovalRow {
        material: material.clone(),
        customer: customer.cloned(),
        manufacturer: a.manufacturer.clone(),
        status: a.status,
        reason: a.reason.clone(),
        expires_on: a.expires_on,
    };
    let mut rows = Vec::new();
    for list in lists {
        rows.extend(list.approvals.iter().map(|a| row(&list.material, None, a)));
        for own in &list.customers {
            rows.extend(
                own.approvals
                    .iter()
                    .map(|a| row(&list.material, Some(&own.customer), a)),
            );
        }
    }
    rows
}

fn source<'a>(bytes: &'a [u8], format: &'a Format) -> Source<'a> {
    match format {
        Format::Csv => Source::Csv(bytes),
        Format::Xlsx { sheet } => Source::Xlsx {
            bytes,
            sheet: sheet.as_deref(),
        },
    }
}

/// Parsing is CPU work: off the async runtime.
async fn off_runtime<T: Send + 'static>(
    parse: impl FnOnce() -> Result<T, ImportErrors> + Send + 'static,
) -> Result<T, FileImportError> {
    tokio::task::spawn_blocking(parse)
        .await
        .map_err(|e| FileImportError::Internal(e.to_string()))?
        .map_err(FileImportError::Rejected)
}

/// What an approvals file may name: active materials, manufacturers and
/// customers of the tenant.
struct Known {
    materials: HashSet<Code>,
    manufacturers: HashSet<Code>,
    customers: HashSet<Code>,
}

impl Lookup for Known {
    fn material(&self, code: &Code) -> bool {
        self.materials.contains(code)
    }

    fn manufacturer(&self, code: &Code) -> bool {
        self.manufacturers.contains(code)
    }

    fn customer(&self, code: &Code) -> bool {
        self.customers.contains(code)
    }
}
