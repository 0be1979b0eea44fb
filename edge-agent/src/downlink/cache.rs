//! `MasterData`: the in-memory copy of the downlink cache that stations read
//! on every scan, with the lookups they need. Pure: the SQLite copy is in
//! `store.rs`; this file only knows how a page changes the records.

use super::plan::SitePlan;
use mes_protocols::Code;
use mes_protocols::approval::ApprovalList;
use mes_protocols::downlink::{
    EquipmentRecord, LotRecord, MaterialRecord, OrderRecord, ReasonKind, ReasonRecord, Record, RecordKey,
    RecordKind, StationRecord, WorkerRecord,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// Everything the hub sent down, indexed for the station lookups.
#[derive(Debug, Clone, Default)]
pub struct MasterData {
    stations: BTreeMap<Code, StationRecord>,
    equipment: HashMap<Code, EquipmentRecord>,
    workers: HashMap<Code, WorkerRecord>,
    badges: HashMap<Code, Code>,
    materials: HashMap<Code, MaterialRecord>,
    lots: HashMap<(Code, Code), LotRecord>,
    orders: BTreeMap<Code, OrderRecord>,
    reasons: BTreeMap<Code, ReasonRecord>,
    plan: Option<SitePlan>,
    approvals: HashMap<Code, ApprovalList>,
}

impl MasterData {
    /// Master data holding `records` (later records replace earlier ones
    /// with the same key).
    pub fn from_records(records: impl IntoIterator<Item = Record>) -> Self {
        let mut data = Self::default();
        for record in records {
            data.upsert(record);
        }
        data
    }

    /// Adds or replaces a record; unknown kinds are ignored.
    pub fn upsert(&mut self, record: Record) {
        match record {
            Record::Station(r) => drop(self.stations.insert(r.code.clone(), r)),
            Record::Equipment(r) => drop(self.equipment.insert(r.code.clone(), r)),
            Record::Worker(r) => {
                if let Some(old) = self.workers.get(&r.code) {
                    self.badges.remove(&old.badge);
                }
                self.badges.insert(r.badge.clone(), r.code.clone());
                self.workers.insert(r.code.clone(), r);
            }
            Record::Material(r) => drop(self.materials.insert(r.code.clone(), r)),
            Record::Lot(r) => drop(self.lots.insert((r.material.clone(), r.lot.clone()), r)),
            Record::Order(r) => drop(self.orders.insert(r.code.clone(), r)),
            Record::Reason(r) => drop(self.reasons.insert(r.code.clone(), r)),
            Record::Plan(r) => self.plan = Some(SitePlan::new(r)),
            Record::Approval(r) => drop(self.approvals.insert(r.material.clone(), r)),
            Record::Unknown => {}
        }
    }

    /// Forgets the record with `key`, if held.
    pub fn remove(&mut self, key: &RecordKey) {
        let code = &key.code;
        match key.kind {
            RecordKind::Station => drop(self.stations.remove(code)),
            RecordKind::Equipment => drop(self.equipment.remove(code)),
            RecordKind::Worker => {
                if let Some(old) = self.workers.remove(code) {
                    self.badges.remove(&old.badge);
                }
            }
            RecordKind::Material => drop(self.materials.remove(code)),
            RecordKind::Lot => {
                if let Some(material) = &key.material {
                    self.lots.remove(&(material.clone(), code.clone()));
                }
            }
            RecordKind::Order => drop(self.orders.remove(code)),
            RecordKind::Reason => drop(self.reasons.remove(code)),
            RecordKind::Plan => self.plan = None,
            RecordKind::Approval => drop(self.approvals.remove(code)),
            RecordKind::Unknown => {}
        }
    }

    /// The station with `code`.
    pub fn station(&self, code: &Code) -> Option<&StationRecord> {
        self.stations.get(code)
    }

    /// The equipment with `code`.
    pub fn equipment(&self, code: &Code) -> Option<&EquipmentRecord> {
        self.equipment.get(code)
    }

    /// The worker with `code`.
    pub fn worker(&self, code: &Code) -> Option<&WorkerRecord> {
        self.workers.get(code)
    }

    /// The worker whose badge is `badge`.
    pub fn worker_by_badge(&self, badge: &Code) -> Option<&WorkerRecord> {
        self.badges.get(badge).and_then(|code| self.workers.get(code))
    }

    /// The material with `code`.
    pub fn material(&self, code: &Code) -> Option<&MaterialRecord> {
        self.materials.get(code)
    }

    /// The lot `lot` of `material`.
    pub fn lot(&self, material: &Code, lot: &Code) -> Option<&LotRecord> {
        self.lots.get(&(material.clone(), lot.clone()))
    }

    /// Every lot with code `lot`, of any material.
    pub fn lots_named(&self, lot: &Code) -> Vec<&LotRecord> {
        let mut found: Vec<_> = self.lots.values().filter(|l| l.lot == *lot).collect();
        found.sort_by(|a, b| a.material.cmp(&b.material));
        found
    }

    /// The order with number `code`.
    pub fn order(&self, code: &Code) -> Option<&OrderRecord> {
        self.orders.get(code)
    }

    /// Every order, by number.
    pub fn orders(&self) -> impl Iterator<Item = &OrderRecord> {
        self.orders.values()
    }

    /// The reason with `code`, if it is of `kind`.
    pub fn reason(&self, code: &Code, kind: ReasonKind) -> Option<&ReasonRecord> {
        self.reasons.get(code).filter(|r| r.reason_kind == kind)
    }

    /// Every reason of `kind`, by code.
    pub fn reasons(&self, kind: ReasonKind) -> Vec<&ReasonRecord> {
        self.reasons.values().filter(|r| r.reason_kind == kind).collect()
    }

    /// The site's live plan, when the hub sent one.
    pub fn plan(&self) -> Option<&SitePlan> {
        self.plan.as_ref()
    }

    /// The approved-manufacturer list of `material`, if it has one.
    pub fn approval(&self, material: &Code) -> Option<&ApprovalList> {
        self.approvals.get(material)
    }

    /// How many records are held.
    pub fn len(&self) -> usize {
        self.stations.len()
            + self.equipment.len()
            + self.workers.len()
            + self.materials.len()
            + self.lots.len()
            + self.orders.len()
            + self.reasons.len()
            + usize::from(self.plan.is_some())
            + self.approvals.len()
    }

    /// Whether nothing is held (no downlink yet).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The shared, swappable master data: the downlink task replaces it after
/// each applied page, stations take a snapshot per step (readers never wait
/// for a page to be applied).
#[derive(Debug, Clone, Default)]
pub struct MasterDataHandle(Arc<RwLock<Arc<MasterData>>>);

impl MasterDataHandle {
    /// A handle holding `data`.
    pub fn new(data: MasterData) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(data))))
    }

    /// The current master data.
    pub fn snapshot(&self) -> Arc<MasterData> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces the master data.
    pub fn replace(&self, data: MasterData) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(data);
    }
}
