//! The downlink: what an agent's stations need, as pages of changes since
//! a cursor (see `protocols/SYNC_PROTOCOL.md`, "Downlink").
//!
//! The cursor is the tenant's master-data version: every write advances
//! it, so "changed since the cursor" is one index range, in write order.
//! A snapshot (`since = 0`, or a cursor ahead of the tenant's version, as
//! after a restore from backup) is the same range from 0 with the records
//! the site should not hold left out. Records bound to another site, or
//! archived, or orders not on the floor, come as removals in incremental
//! pages (harmless when the agent never held them: a record moved away
//! from the agent's site must leave its cache).
//!
//! An order carries the customer of the sales order it makes, read when
//! the order is sent: a sales order whose customer changes after release
//! reaches the floor with the order's next change. Approval lists are
//! tenant-wide, like materials.

use crate::error::HubError;
use crate::masterdata::MasterKind;
use crate::masterdata::records::{
    Equipment, Lot, Material, MaterialApproval, ProductionOrder, ProductionStatus, Reason, ReasonKind,
    SalesOrder, Station, Worker,
};
use crate::masterdata::service::decode;
use crate::planning::PlanningError;
use crate::planning::station_feed::{PlanFeed, plan_feed};
use crate::store::TenantId;
use crate::store::{RecordRow, Store};
use mes_protocols::Code;
use mes_protocols::downlink::{
    self as wire, DownlinkPage, MaterialRecord, OrderOperation, OrderRecord, Record, RecordKey, RecordKind,
};
use std::collections::HashMap;

/// The store kinds the downlink carries.
const KINDS: &[&str] = &[
    Station::KIND,
    Equipment::KIND,
    Worker::KIND,
    Material::KIND,
    Lot::KIND,
    ProductionOrder::KIND,
    Reason::KIND,
    MaterialApproval::KIND,
];

/// What one stored row becomes for the agent's site.
enum Change {
    Upsert(Record),
    Remove(RecordKey),
}

fn key(kind: RecordKind, code: &Code) -> RecordKey {
    RecordKey {
        kind,
        code: code.clone(),
        material: None,
    }
}

/// The downlink page for `site` of `tenant` after cursor `since`; with
/// `plan` (the live-plan revision the agent holds) also the site's live plan
/// when it differs (see [`mes_protocols::downlink::PlanRecord`]).
pub async fn page(
    store: &Store,
    tenant: TenantId,
    site: &str,
    since: u64,
    limit: usize,
    plan: Option<u64>,
) -> Result<DownlinkPage, HubError> {
    let current = store.tenant_version(tenant).await.map_err(HubError::Store)?;
    let current = u64::try_from(current).unwrap_or(0);
    let reset = since == 0 || since > current;
    let from = if reset { 0 } else { since };
    let rows = store
        .records_changed_since(tenant, KINDS, i64::try_from(from).unwrap_or(i64::MAX), limit + 1)
        .await
        .map_err(HubError::Store)?;
    let more = rows.len() > limit;
    let rows = &rows[..rows.len().min(limit)];
    let cursor = match rows.last() {
        Some(row) => u64::try_from(row.version).unwrap_or(0),
        None if reset => current,
        None => since,
    };
    let mut units = PageLookups::new(store, tenant);
    let mut page = DownlinkPage {
        cursor,
        more,
        reset,
        upserts: Vec::new(),
        removals: Vec::new(),
    };
    for row in rows {
        match change(row, site, &mut units).await? {
            Some(Change::Upsert(record)) => page.upserts.push(record),
            // An agent that does not send `plan=` is older than approval
            // lists: a removal of a kind it does not know would fail its
            // whole page (their upserts it skips as unknown).
            Some(Change::Remove(key)) if !reset && (plan.is_some() || key.kind != RecordKind::Approval) => {
                page.removals.push(key)
            }
            _ => {}
        }
    }
    if let Some(held) = plan {
        // A snapshot replaces everything the agent holds: the plan too.
        let held = if reset { 0 } else { held };
        match site_plan(store, tenant, site, held).await? {
            Some(Change::Upsert(record)) => page.upserts.push(record),
            Some(Change::Remove(key)) => page.removals.push(key),
            None => {}
        }
    }
    Ok(page)
}

/// The live plan's change for an agent holding revision `held`. A plan that
/// cannot be read is logged and left out: the stations keep the plan they
/// have and the master data still flows.
async fn site_plan(
    store: &Store,
    tenant: TenantId,
    site: &str,
    held: u64,
) -> Result<Option<Change>, HubError> {
    let Ok(site) = Code::parse(site) else {
        return Ok(None);
    };
    match plan_feed(store, tenant, &site, held).await {
        Ok(PlanFeed::Unchanged) => Ok(None),
        Ok(PlanFeed::Send(record)) => Ok(Some(Change::Upsert(Record::Plan(record)))),
        Ok(PlanFeed::Gone) => Ok(Some(Change::Remove(key(RecordKind::Plan, &site)))),
        Err(PlanningError::Store(e)) => Err(HubError::Store(e)),
        Err(e) => {
            tracing::warn!(tenant = ?tenant, %site, error = %e, "downlink: the live plan is left out");
            Ok(None)
        }
    }
}

/// Base units of materials and customers of sales orders, read once per
/// page.
struct PageLookups<'a> {
    store: &'a Store,
    tenant: TenantId,
    known: HashMap<String, Option<Code>>,
    customers: HashMap<String, Option<Code>>,
}

impl<'a> PageLookups<'a> {
    fn new(store: &'a Store, tenant: TenantId) -> Self {
        Self {
            store,
            tenant,
            known: HashMap::new(),
            customers: HashMap::new(),
        }
    }

    /// The customer of sales order `order` (none when it is gone).
    async fn customer(&mut self, order: &Code) -> Result<Option<Code>, HubError> {
        if let Some(customer) = self.customers.get(order.as_str()) {
            return Ok(customer.clone());
        }
        let customer = match self
            .store
            .get_record(self.tenant, SalesOrder::KIND, order.to_string())
            .await
            .map_err(HubError::Store)?
        {
            Some(row) => Some(decode::<SalesOrder>(row)?.record.customer),
            None => None,
        };
        self.customers.insert(order.to_string(), customer.clone());
        Ok(customer)
    }

    async fn base_unit(&mut self, material: &Code) -> Result<Option<Code>, HubError> {
        if let Some(unit) = self.known.get(material.as_str()) {
            return Ok(unit.clone());
        }
        let unit = match self
            .store
            .get_record(self.tenant, Material::KIND, material.to_string())
            .await
            .map_err(HubError::Store)?
        {
            Some(row) => Some(decode::<Material>(row)?.record.base_unit),
            None => None,
        };
        self.known.insert(material.to_string(), unit.clone());
        Ok(unit)
    }
}

async fn change(
    row: &RecordRow,
    site: &str,
    units: &mut PageLookups<'_>,
) -> Result<Option<Change>, HubError> {
    let here = |s: Option<&Code>| s.is_some_and(|s| s.as_str() == site);
    let change = match row.kind.as_str() {
        Station::KIND => {
            let s = decode::<Station>(row.clone())?;
            if s.archived || !here(Some(&s.record.site)) {
                Change::Remove(key(RecordKind::Station, &s.record.code))
            } else {
                Change::Upsert(Record::Station(wire::StationRecord {
                    code: s.record.code,
                    name: s.record.name,
                    equipment: s.record.equipment,
                    location: s.record.location,
                }))
            }
        }
        Equipment::KIND => {
            let e = decode::<Equipment>(row.clone())?;
            if e.archived || !here(Some(&e.record.site)) {
                Change::Remove(key(RecordKind::Equipment, &e.record.code))
            } else {
                Change::Upsert(Record::Equipment(wire::EquipmentRecord {
                    code: e.record.code,
                    name: e.record.name,
                    equipment_type: e.record.equipment_type,
                }))
            }
        }
        Worker::KIND => {
            let w = decode::<Worker>(row.clone())?;
            if w.archived || !here(Some(&w.record.site)) {
                Change::Remove(key(RecordKind::Worker, &w.record.code))
            } else {
                Change::Upsert(Record::Worker(wire::WorkerRecord {
                    code: w.record.code,
                    name: w.record.name,
                    badge: w.record.badge,
                    worker_type: w.record.worker_type,
                }))
            }
        }
        Material::KIND => {
            let m = decode::<Material>(row.clone())?;
            if m.archived {
                Change::Remove(key(RecordKind::Material, &m.record.code))
            } else {
                Change::Upsert(Record::Material(MaterialRecord {
                    code: m.record.code,
                    name: m.record.name,
                    base_unit: m.record.base_unit,
                    alt_units: m
                        .record
                        .alt_units
                        .into_iter()
                        .map(|a| wire::AltUnit {
                            unit: a.unit,
                            factor: a.factor,
                        })
                        .collect(),
                    lot_tracked: m.record.lot_tracked,
                }))
            }
        }
        Lot::KIND => {
            let l = decode::<Lot>(row.clone())?;
            if l.archived {
                Change::Remove(RecordKey {
                    kind: RecordKind::Lot,
                    code: l.record.code,
                    material: Some(l.record.material),
                })
            } else {
                Change::Upsert(Record::Lot(wire::LotRecord {
                    material: l.record.material,
                    lot: l.record.code,
                    expires_on: l.record.expires_on,
                    blocked: l.record.blocked,
                    manufacturer: l.record.manufacturer,
                }))
            }
        }
        ProductionOrder::KIND => {
            let o = decode::<ProductionOrder>(row.clone())?;
            let status = match o.record.status {
                ProductionStatus::Released => Some(wire::OrderStatus::Released),
                ProductionStatus::InProgress => Some(wire::OrderStatus::InProgress),
                _ => None,
            };
            match status {
                Some(status) if !o.archived && here(o.record.site.as_ref()) => {
                    let Some(unit) = units.base_unit(&o.record.material).await? else {
                        return Ok(Some(Change::Remove(key(RecordKind::Order, &o.record.code))));
                    };
                    let customer = match &o.record.sales_order {
                        Some(so) => units.customer(&so.order).await?,
                        None => None,
                    };
                    Change::Upsert(Record::Order(order_record(o.record, unit, status, customer)))
                }
                _ => Change::Remove(key(RecordKind::Order, &o.record.code)),
            }
        }
        Reason::KIND => {
            let r = decode::<Reason>(row.clone())?;
            if r.archived {
                Change::Remove(key(RecordKind::Reason, &r.record.code))
            } else {
                Change::Upsert(Record::Reason(wire::ReasonRecord {
                    code: r.record.code,
                    reason_kind: match r.record.kind {
                        ReasonKind::Downtime => wire::ReasonKind::Downtime,
                        ReasonKind::Scrap => wire::ReasonKind::Scrap,
                        ReasonKind::Pause => wire::ReasonKind::Pause,
                    },
                    text: r.record.text,
                }))
            }
        }
        MaterialApproval::KIND => {
            let a = decode::<MaterialApproval>(row.clone())?;
            if a.archived {
                Change::Remove(key(RecordKind::Approval, &a.record.material))
            } else {
                Change::Upsert(Record::Approval(a.record.to_rule()))
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(change))
}

fn order_record(
    order: ProductionOrder,
    unit: Code,
    status: wire::OrderStatus,
    customer: Option<Code>,
) -> OrderRecord {
    OrderRecord {
        customer,
        code: order.code,
        material: order.material,
        quantity: order.quantity,
        unit,
        due: order.due,
        status,
        operations: order
            .operations
            .into_iter()
            .map(|op| OrderOperation {
                operation: Code::from(op.operation),
                name: op.name,
                equipment_type: op.equipment_type,
                worker_type: Some(op.worker_type),
                setup_minutes: op.setup_minutes,
                run_minutes_per_unit: op.run_minutes_per_unit,
                inputs: op
                    .inputs
                    .into_iter()
                    .map(|i| wire::OperationInput {
                        material: i.material,
                        quantity_per_unit: i.quantity_per_unit,
                        unit: i.unit,
                    })
                    .collect(),
                output: op.output,
            })
            .collect(),
    }
}
