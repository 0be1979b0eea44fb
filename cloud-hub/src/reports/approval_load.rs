//! Reads what the unapproved-stock report judges: the active approval
//! lists, the lots on hand of their materials (only the sites the caller
//! may see) and those lots' records.

use super::approval::{UnapprovedStockReport, judge_stock};
use crate::error::HubError;
use crate::masterdata::records::{Lot, MaterialApproval};
use crate::masterdata::service;
use crate::store::ledger::{BalanceQuery, BalanceRow};
use crate::store::{RecordQuery, Store, TenantId};
use mes_protocols::downlink::format_date;
use std::collections::HashMap;
use time::Date;

/// Balances read per query.
const PAGE: usize = 1000;

/// The report of `tenant` on day `on`, looking `within_days` ahead for
/// conditions that end, for the sites `visible` admits.
pub async fn unapproved_stock_report(
    store: &Store,
    tenant: TenantId,
    on: Date,
    within_days: u32,
    visible: impl Fn(&str) -> bool,
) -> Result<UnapprovedStockReport, HubError> {
    let lists: HashMap<_, _> = service::list_all::<MaterialApproval>(store, tenant, RecordQuery::default())
        .await?
        .into_iter()
        .map(|s| (s.record.material.clone(), s.record.to_rule()))
        .collect();
    let mut balances: Vec<BalanceRow> = Vec::new();
    let mut materials: Vec<_> = lists.keys().cloned().collect();
    materials.sort();
    for material in materials {
        let mut after = None;
        loop {
            let page = store
                .balances(
                    tenant,
                    BalanceQuery {
                        material: Some(material.to_string()),
                        after: after.take(),
                        limit: PAGE,
                        ..BalanceQuery::default()
                    },
                )
                .await
                .map_err(HubError::Store)?;
            let full = page.len() == PAGE;
            after = page.last().map(|r| {
                (
                    r.material.to_string(),
                    r.lot.as_ref().map(ToString::to_string).unwrap_or_default(),
                    r.location.to_string(),
                )
            });
            balances.extend(page.into_iter().filter(|r| r.lot.is_some() && visible(&r.site)));
            if !full {
                break;
            }
        }
    }
    let mut lots = HashMap::new();
    for lot in balances.iter().filter_map(|r| r.lot.as_ref()) {
        if lots.contains_key(lot) {
            continue;
        }
        match service::get::<Lot>(store, tenant, lot.as_str()).await {
            Ok(stored) => drop(lots.insert(lot.clone(), stored.record)),
            Err(HubError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let (items, expiring) = judge_stock(&balances, &lots, &lists, on, within_days);
    Ok(UnapprovedStockReport {
        on: format_date(on),
        items,
        within_days,
        expiring,
    })
}
