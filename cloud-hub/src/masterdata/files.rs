//! Master-data files against a tenant's records: a materials, BOM or
//! routing file (CSV or XLSX), or a workbook of all three, imported all or
//! nothing; and each kind exported as CSV that imports back to the same
//! records.
//!
//! An import loads what the tenant holds (active materials with their
//! units, units, equipment types, worker types) into a [`Lookup`], so the
//! file layer checks every reference in the same pass as the cells and one
//! answer lists every bad row. A clean file's records are written in one
//! transaction ([`service::write_all`], which checks the references once
//! more against the store); records with the same code are replaced, and
//! an archived one is restored: a file is the master data as the factory
//! keeps it. Fields a file cannot carry are kept from the replaced record
//! (see [`convert`]).

use super::convert;
use super::import::{self, ImportErrors, Lookup, MasterData, Source};
use super::kind::MasterKind;
use super::records::{Bom, EquipmentType, Material, Routing, Unit, WorkerType};
use super::service::{self, PendingWrite, Stored};
use crate::error::HubError;
use crate::store::TenantId;
use crate::store::{Expect, RecordQuery, Store};
use mes_protocols::Code;
use std::collections::{HashMap, HashSet};

/// The kinds a single file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Materials (`FORMAT.md`, section materials).
    Materials,
    /// BOM lines.
    Boms,
    /// Routing rows.
    Routings,
}

/// How a file's bytes are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated UTF-8.
    Csv,
    /// An `.xlsx` workbook, reading the named sheet or the first.
    Xlsx {
        /// The worksheet, case-insensitive; `None` = the first.
        sheet: Option<String>,
    },
}

/// How many records of one kind an import created and replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Counts {
    /// Records that did not exist.
    pub created: usize,
    /// Records that existed (perhaps archived) and were replaced.
    pub updated: usize,
}

/// What an import wrote, per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct ImportSummary {
    /// Material records.
    pub materials: Counts,
    /// BOM records (one per parent material).
    pub boms: Counts,
    /// Routing records (one per material).
    pub routings: Counts,
}

impl ImportSummary {
    /// Whether any record was created.
    pub fn created_any(&self) -> bool {
        self.materials.created + self.boms.created + self.routings.created > 0
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum FileImportError {
    /// The file is unreadable or has bad rows, every one listed.
    #[error(transparent)]
    Rejected(ImportErrors),
    /// A record built from the file fails its own checks (what the file
    /// layer cannot see, such as a field added to the records later).
    #[error("{kind} `{code}`: {error}")]
    Record {
        /// The record's kind.
        kind: &'static str,
        /// Its code.
        code: String,
        /// The check that failed, naming the field.
        error: Box<HubError>,
    },
    /// Reading the hub's records or writing failed.
    #[error(transparent)]
    Service(#[from] HubError),
    /// The parsing task did not finish (a bug: it panicked).
    #[error("the file could not be processed: {0}")]
    Internal(String),
}

/// Imports one file of `kind`: nothing is written unless every row is good.
pub async fn import_file(
    store: &Store,
    tenant: TenantId,
    kind: FileKind,
    bytes: Vec<u8>,
    format: Format,
) -> Result<ImportSummary, FileImportError> {
    let lookup = HubLookup::load(store, tenant).await?;
    let data = parse_off_runtime(move || {
        let source = match &format {
            Format::Csv => Source::Csv(&bytes),
            Format::Xlsx { sheet } => Source::Xlsx {
                bytes: &bytes,
                sheet: sheet.as_deref(),
            },
        };
        let mut data = MasterData::default();
        match kind {
            FileKind::Materials => data.materials = import::import_materials_checked(source, &lookup)?,
            FileKind::Boms => data.boms = import::import_boms_checked(source, &lookup)?,
            FileKind::Routings => data.routings = import::import_routings_checked(source, &lookup)?,
        }
        Ok(data)
    })
    .await?;
    write(store, tenant, data).await
}

/// Imports a workbook with the sheets `materials`, `boms` and `routings`
/// (each optional); BOMs and routings may use the workbook's materials.
pub async fn import_workbook(
    store: &Store,
    tenant: TenantId,
    bytes: Vec<u8>,
) -> Result<ImportSummary, FileImportError> {
    let lookup = HubLookup::load(store, tenant).await?;
    let data = parse_off_runtime(move || import::import_workbook_checked(&bytes, &lookup)).await?;
    write(store, tenant, data).await
}

/// The tenant's active records of `kind` as CSV, in code order.
pub async fn export(store: &Store, tenant: TenantId, kind: FileKind) -> Result<String, HubError> {
    Ok(match kind {
        FileKind::Materials => {
            let materials: Vec<Material> = records(list_all(store, tenant, false).await?);
            import::materials_to_csv(&materials)
        }
        FileKind::Boms => {
            let boms: Vec<Bom> = records(list_all(store, tenant, false).await?);
            import::boms_to_csv(&convert::bom_rows(&boms))
        }
        FileKind::Routings => {
            let routings: Vec<Routing> = records(list_all(store, tenant, false).await?);
            import::routings_to_csv(&convert::routing_rows(&routings))
        }
    })
}

/// Parsing a large workbook is CPU work: off the async runtime.
async fn parse_off_runtime(
    parse: impl FnOnce() -> Result<MasterData, ImportErrors> + Send + 'static,
) -> Result<MasterData, FileImportError> {
    tokio::task::spawn_blocking(parse)
        .await
        .map_err(|e| FileImportError::Internal(e.to_string()))?
        .map_err(FileImportError::Rejected)
}

/// Writes the records of `data` in one transaction, replacing records of
/// the same codes.
async fn write(store: &Store, tenant: TenantId, data: MasterData) -> Result<ImportSummary, FileImportError> {
    let mut summary = ImportSummary::default();
    let mut writes = Vec::new();
    if !data.materials.is_empty() {
        let existing: HashMap<String, Stored<Material>> = by_code(list_all(store, tenant, true).await?);
        for material in data.materials {
            writes.push(pending(&material, &existing, &mut summary.materials)?);
        }
    }
    if !data.boms.is_empty() {
        let existing: HashMap<String, Stored<Bom>> = by_code(list_all(store, tenant, true).await?);
        for bom in convert::boms_from_rows(&data.boms) {
            let bom = match existing.get(bom.material.as_str()) {
                Some(old) => convert::bom_keeping_unfiled(bom, &old.record),
                None => bom,
            };
            writes.push(pending(&bom, &existing, &mut summary.boms)?);
        }
    }
    if !data.routings.is_empty() {
        let existing: HashMap<String, Stored<Routing>> = by_code(list_all(store, tenant, true).await?);
        for routing in convert::routings_from_rows(&data.routings) {
            let routing = match existing.get(routing.material.as_str()) {
                Some(old) => convert::routing_keeping_unfiled(routing, &old.record),
                None => routing,
            };
            writes.push(pending(&routing, &existing, &mut summary.routings)?);
        }
    }
    if !writes.is_empty() {
        service::write_all(store, tenant, writes).await?;
    }
    Ok(summary)
}

/// The checked write of `record` (active, created or replaced), counted.
pub(super) fn pending<T: MasterKind>(
    record: &T,
    existing: &HashMap<String, Stored<T>>,
    counts: &mut Counts,
) -> Result<PendingWrite, FileImportError> {
    match existing.contains_key(record.code().as_str()) {
        true => counts.updated += 1,
        false => counts.created += 1,
    }
    PendingWrite::new(record, false, Expect::Any).map_err(|error| FileImportError::Record {
        kind: T::KIND,
        code: record.code().to_string(),
        error: Box::new(error),
    })
}

/// Page size when reading a whole kind.
const PAGE: usize = 1000;

/// Every record of kind `T` (archived ones too when asked).
pub(super) async fn list_all<T: MasterKind>(
    store: &Store,
    tenant: TenantId,
    include_archived: bool,
) -> Result<Vec<Stored<T>>, HubError> {
    let query = RecordQuery {
        include_archived,
        ..RecordQuery::default()
    };
    service::list_all::<T>(store, tenant, query).await
}

/// The codes of every active record of `kind`, without decoding them.
pub(super) async fn active_codes(
    store: &Store,
    tenant: TenantId,
    kind: &'static str,
) -> Result<HashSet<Code>, HubError> {
    let mut codes = HashSet::new();
    let mut after = None;
    loop {
        let query = RecordQuery {
            after: after.take(),
            limit: PAGE,
            ..RecordQuery::default()
        };
        let page = store
            .list_records(tenant, kind, query)
            .await
            .map_err(HubError::Store)?;
        after = page.last().map(|row| row.code.clone());
        let full = page.len() == PAGE;
        // Stored codes were parsed when written; one that no longer parses
        // cannot be named by a file either.
        codes.extend(page.iter().filter_map(|row| Code::parse(&row.code).ok()));
        if !full {
            return Ok(codes);
        }
    }
}

pub(super) fn records<T>(stored: Vec<Stored<T>>) -> Vec<T> {
    stored.into_iter().map(|s| s.record).collect()
}

pub(super) fn by_code<T: MasterKind>(stored: Vec<Stored<T>>) -> HashMap<String, Stored<T>> {
    stored
        .into_iter()
        .map(|s| (s.record.code().to_string(), s))
        .collect()
}

/// What a tenant holds that a file may refer to: its active records.
struct HubLookup {
    /// Active materials and the units each is counted in (base first).
    materials: HashMap<Code, Vec<Code>>,
    units: HashSet<Code>,
    equipment_types: HashSet<Code>,
    worker_types: HashSet<Code>,
}

impl HubLookup {
    async fn load(store: &Store, tenant: TenantId) -> Result<Self, HubError> {
        let materials = list_all::<Material>(store, tenant, false)
            .await?
            .into_iter()
            .map(|s| {
                let m = s.record;
                let units = std::iter::once(m.base_unit)
                    .chain(m.alt_units.into_iter().map(|u| u.unit))
                    .collect();
                (m.code, units)
            })
            .collect();
        Ok(Self {
            materials,
            units: active_codes(store, tenant, Unit::KIND).await?,
            equipment_types: active_codes(store, tenant, EquipmentType::KIND).await?,
            worker_types: active_codes(store, tenant, WorkerType::KIND).await?,
        })
    }
}

impl Lookup for HubLookup {
    fn material(&self, code: &Code) -> bool {
        self.materials.contains_key(code)
    }

    fn material_units(&self, material: &Code) -> Option<&[Code]> {
        self.materials.get(material).map(Vec::as_slice)
    }

    fn unit(&self, code: &Code) -> bool {
        self.units.contains(code)
    }

    fn equipment_type(&self, code: &Code) -> bool {
        self.equipment_types.contains(code)
    }

    fn worker_type(&self, code: &Code) -> bool {
        self.worker_types.contains(code)
    }
}
