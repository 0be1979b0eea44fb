//! The live plan for the downlink (issue 17: "the stations' order list
//! follows"): what an agent that holds plan revision `held` should receive
//! for its site. Stations sort their orders by it, offline too.

use super::PlanningError;
use super::service::live_row;
use super::stored::StoredPlan;
use crate::store::{Store, TenantId};
use mes_protocols::downlink::{PlanRecord, PlannedOperation};
use mes_protocols::{Code, Timestamp};

/// What the downlink page says of the site's plan.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanFeed {
    /// The agent holds the live revision (or there is none and it holds
    /// none): nothing to send.
    Unchanged,
    /// The live plan, to replace the agent's.
    Send(PlanRecord),
    /// The site has no live plan any more: the agent forgets its copy.
    Gone,
}

/// The feed for an agent of `site` that holds plan revision `held` (0:
/// none). One light revision read when nothing changed.
pub async fn plan_feed(
    store: &Store,
    tenant: TenantId,
    site: &Code,
    held: u64,
) -> Result<PlanFeed, PlanningError> {
    let live = store.live_plan_revision(tenant, site.to_string()).await?;
    match live.and_then(|r| u64::try_from(r).ok()) {
        None if held == 0 => Ok(PlanFeed::Unchanged),
        None => Ok(PlanFeed::Gone),
        Some(revision) if revision == held => Ok(PlanFeed::Unchanged),
        Some(_) => match live_row(store, tenant, site.as_str()).await? {
            Some((row, stored)) => Ok(PlanFeed::Send(plan_record(
                site,
                u64::try_from(row.revision).unwrap_or(0),
                &stored,
            ))),
            // Replaced by nothing between the two reads: the next pull says.
            None => Ok(PlanFeed::Unchanged),
        },
    }
}

/// The wire record of `stored`, revision `revision` of `site`'s plan:
/// every planned operation, by machine and then start.
pub fn plan_record(site: &Code, revision: u64, stored: &StoredPlan) -> PlanRecord {
    let at = |minute: i64| Timestamp::from_unix_millis(minute.saturating_mul(60_000));
    let mut operations: Vec<PlannedOperation> = stored
        .placed()
        .filter_map(|(s, op, machine)| {
            let (order, operation) = op.name.rsplit_once('/')?;
            Some(PlannedOperation {
                order: Code::parse(order).ok()?,
                operation: Code::parse(operation).ok()?,
                equipment: Code::parse(&machine.name).ok()?,
                start: at(s.start),
                end: at(s.end),
            })
        })
        .collect();
    operations.sort_by(|a, b| (&a.equipment, a.start, &a.order).cmp(&(&b.equipment, b.start, &b.order)));
    PlanRecord {
        site: site.clone(),
        revision,
        made_at: Timestamp::from_unix_millis(stored.made_at),
        operations,
    }
}
