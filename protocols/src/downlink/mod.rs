//! The hub-to-agent downlink: what an agent's stations need to work offline
//! (stations, equipment, workers, materials, lots, released production
//! orders with their routings, reason codes, approved-manufacturer lists),
//! pulled incrementally.
//!
//! The agent calls `GET /api/v1/downlink?since=<cursor>&limit=<n>` with its
//! agent token; the hub answers a [`DownlinkPage`] with the records of the
//! agent's site changed since `cursor`. The full contract, with examples, is
//! the "Downlink" section of `protocols/SYNC_PROTOCOL.md`.

mod plan;
mod records;
#[cfg(test)]
mod tests;

pub use crate::date::{format_date, parse_date};
pub use plan::{PlanRecord, PlannedOperation};
pub use records::*;

use crate::Code;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The path of the downlink endpoint on the hub.
pub const DOWNLINK_PATH: &str = "/api/v1/downlink";

/// Records per page when the agent does not say.
pub const DEFAULT_LIMIT: u32 = 500;

/// Most records (upserts plus removals) one page may carry; a larger
/// `limit` is an `invalid_query` error.
pub const MAX_LIMIT: u32 = 5_000;

/// The query of a downlink request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownlinkQuery {
    /// The `cursor` of the last page the agent applied; 0 asks for a full
    /// snapshot.
    #[serde(default)]
    pub since: u64,
    /// Most records the page may carry, 1..=[`MAX_LIMIT`]; absent =
    /// [`DEFAULT_LIMIT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The revision of the site's live plan the agent holds (0: none). When
    /// present the page carries the live plan if its revision differs
    /// (see [`PlanRecord`]); when absent the page never carries a plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<u64>,
}

/// One answer of the downlink endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownlinkPage {
    /// What to pass as `since` next time. Opaque to the agent; never lower
    /// than the `since` it answers unless `reset` is set.
    pub cursor: u64,
    /// More changes are waiting: ask again at once with `cursor`.
    pub more: bool,
    /// This page starts a full snapshot: every record of the site follows
    /// (in this page and the next ones while `more`), and whatever the
    /// agent holds that the snapshot does not repeat is gone. Always set
    /// when `since` was 0; also set when the hub cannot answer from `since`
    /// (a cursor from an older hub database, or a compacted change log).
    pub reset: bool,
    /// Records created or changed, each complete (a record replaces the
    /// agent's copy of the same key).
    #[serde(default)]
    pub upserts: Vec<Record>,
    /// Records the agent must forget: archived, deleted, or an order no
    /// longer released or in progress. Never sent with `reset` pages.
    #[serde(default)]
    pub removals: Vec<Removal>,
}

/// One record, tagged with its kind:
/// `{"kind": "worker", "code": "W-17", "name": ..., ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// An operator station.
    Station(StationRecord),
    /// A machine.
    Equipment(EquipmentRecord),
    /// A worker with their badge.
    Worker(WorkerRecord),
    /// A material with its units.
    Material(MaterialRecord),
    /// A lot of a material.
    Lot(LotRecord),
    /// A released or in-progress production order with its routing.
    Order(OrderRecord),
    /// A downtime, scrap or pause reason.
    Reason(ReasonRecord),
    /// The site's live plan (only to agents that ask with `plan=`).
    Plan(PlanRecord),
    /// A material's approved-manufacturer list (keyed by the material).
    Approval(crate::approval::ApprovalList),
    /// A kind this version does not know (sent by a newer hub); agents skip
    /// it. Never sent by a hub of this version.
    #[serde(other, skip_serializing)]
    Unknown,
}

impl Record {
    /// The key that identifies this record among the site's records, or
    /// `None` for an unknown kind.
    pub fn key(&self) -> Option<RecordKey> {
        let (kind, code, material) = match self {
            Record::Station(r) => (RecordKind::Station, &r.code, None),
            Record::Equipment(r) => (RecordKind::Equipment, &r.code, None),
            Record::Worker(r) => (RecordKind::Worker, &r.code, None),
            Record::Material(r) => (RecordKind::Material, &r.code, None),
            Record::Lot(r) => (RecordKind::Lot, &r.lot, Some(r.material.clone())),
            Record::Order(r) => (RecordKind::Order, &r.code, None),
            Record::Reason(r) => (RecordKind::Reason, &r.code, None),
            Record::Plan(r) => (RecordKind::Plan, &r.site, None),
            Record::Approval(r) => (RecordKind::Approval, &r.material, None),
            Record::Unknown => return None,
        };
        Some(RecordKey {
            kind,
            code: code.clone(),
            material,
        })
    }
}

/// The kinds of downlink records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// [`StationRecord`].
    Station,
    /// [`EquipmentRecord`].
    Equipment,
    /// [`WorkerRecord`].
    Worker,
    /// [`MaterialRecord`].
    Material,
    /// [`LotRecord`].
    Lot,
    /// [`OrderRecord`].
    Order,
    /// [`ReasonRecord`].
    Reason,
    /// [`PlanRecord`], keyed by the site's code.
    Plan,
    /// [`ApprovalList`](crate::approval::ApprovalList), keyed by its material.
    Approval,
    /// A kind this version does not know, in a removal from a newer hub:
    /// the agent skips that removal (it never held such a record). Never
    /// sent by a hub of this version.
    #[serde(other, skip_serializing)]
    Unknown,
}

impl RecordKind {
    /// Every kind, in the order a snapshot sends them.
    pub const ALL: [RecordKind; 9] = [
        RecordKind::Station,
        RecordKind::Equipment,
        RecordKind::Worker,
        RecordKind::Material,
        RecordKind::Lot,
        RecordKind::Order,
        RecordKind::Reason,
        RecordKind::Plan,
        RecordKind::Approval,
    ];

    /// The kind's wire name (`station`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Station => "station",
            RecordKind::Equipment => "equipment",
            RecordKind::Worker => "worker",
            RecordKind::Material => "material",
            RecordKind::Lot => "lot",
            RecordKind::Order => "order",
            RecordKind::Reason => "reason",
            RecordKind::Plan => "plan",
            RecordKind::Approval => "approval",
            RecordKind::Unknown => "unknown",
        }
    }

    /// The kind with this wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What identifies a record: its kind and code, and for a lot also its
/// material (lot codes are unique per material only).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordKey {
    /// The record's kind.
    pub kind: RecordKind,
    /// Its code: the station, equipment, worker, material, order or reason
    /// code, the lot code, or an approval list's material.
    pub code: Code,
    /// The lot's material; present for lots only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material: Option<Code>,
}

/// A record to forget: `{"kind": "order", "code": "PO-1"}`, for a lot
/// `{"kind": "lot", "material": "STEEL", "code": "L-7"}`.
pub type Removal = RecordKey;
