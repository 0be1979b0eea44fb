//! The timed parts of the ledger benchmark that go through the hub's own
//! code: the projection catching up with the event log, and the stock
//! reads (a material's position, stock list pages, a material's rows).

use cloud_hub::inventory::position;
use cloud_hub::projection::project_step;
use cloud_hub::store::Store;
use cloud_hub::store::TenantId;
use cloud_hub::store::ledger::BalanceQuery;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

/// What catching up did.
#[derive(Debug, Default)]
pub struct Projected {
    /// Events projected.
    pub events: usize,
    /// Ledger rows inserted.
    pub rows: usize,
    /// Events that could not be booked.
    pub issues: usize,
    /// Time for all of it.
    pub elapsed: Duration,
    /// Events of the steps that started with at least 90% of the rows in
    /// the ledger, and their time (the rate at full size).
    pub tail: (usize, Duration),
}

/// Runs `project_step` (steps of `batch` events) until the tenant's
/// projection has caught up with `expected` events; prints progress to
/// stderr every tenth.
pub async fn project_all(
    store: &Store,
    tenant: TenantId,
    batch: usize,
    expected: usize,
) -> anyhow::Result<Projected> {
    let mut context = None;
    let mut out = Projected::default();
    let mut next_report = expected / 10;
    let started = Instant::now();
    loop {
        let step_started = Instant::now();
        let step = project_step(store, tenant, &mut context, batch)
            .await
            .map_err(|e| anyhow::anyhow!("projection step: {e}"))?;
        if step.events == 0 {
            break;
        }
        if out.rows * 10 >= expected * 9 {
            out.tail.0 += step.events;
            out.tail.1 += step_started.elapsed();
        }
        out.events += step.events;
        out.rows += step.rows;
        out.issues += step.issues;
        if out.events >= next_report {
            eprintln!(
                "  projected {} events, {:.0} events/s so far",
                out.events,
                out.events as f64 / started.elapsed().as_secs_f64()
            );
            next_report += expected / 10;
        }
    }
    out.elapsed = started.elapsed();
    Ok(out)
}

/// Runs `call` once per item after `warmup` untimed calls, timing each.
pub async fn time_each<T>(
    items: &[T],
    warmup: usize,
    mut call: impl AsyncFnMut(&T) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<Duration>> {
    for item in items.iter().take(warmup) {
        call(item).await?;
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let started = Instant::now();
        call(item).await?;
        out.push(started.elapsed());
    }
    Ok(out)
}

/// Times `position` (on hand, reserved, available now) of each material,
/// checking the first answer against the stored balances.
pub async fn positions(
    store: &Store,
    tenant: TenantId,
    materials: &[String],
) -> anyhow::Result<Vec<Duration>> {
    if let Some(first) = materials.first() {
        let got = position::position(store, tenant, first, None)
            .await
            .map_err(|e| anyhow::anyhow!("position of {first}: {e}"))?;
        let listed: Decimal = store
            .balances(
                tenant,
                BalanceQuery {
                    material: Some(first.clone()),
                    limit: 100_000,
                    ..BalanceQuery::default()
                },
            )
            .await?
            .iter()
            .map(|b| b.quantity)
            .sum();
        anyhow::ensure!(
            got.on_hand == listed,
            "position of {first} says {} on hand, the stored balances {listed}",
            got.on_hand
        );
    }
    time_each(materials, 20, async |m: &String| {
        position::position(store, tenant, m, None)
            .await
            .map(drop)
            .map_err(|e| anyhow::anyhow!("position of {m}: {e}"))
    })
    .await
}

/// Times a stock list page of `limit` balances after each of `after`
/// (`None`: the first page).
pub async fn list_pages(
    store: &Store,
    tenant: TenantId,
    after: &[Option<String>],
    limit: usize,
) -> anyhow::Result<Vec<Duration>> {
    time_each(after, 20, async |from: &Option<String>| {
        let page = store
            .balances(
                tenant,
                BalanceQuery {
                    after: from.clone().map(|m| (m, String::new(), String::new())),
                    limit,
                    ..BalanceQuery::default()
                },
            )
            .await?;
        anyhow::ensure!(
            page.len() == limit,
            "a page of {} balances, not {limit}",
            page.len()
        );
        Ok(())
    })
    .await
}

/// Times `Store::movements_of` (every row of one material) per material.
pub async fn material_rows(
    store: &Store,
    tenant: TenantId,
    materials: &[String],
) -> anyhow::Result<Vec<Duration>> {
    time_each(materials, 20, async |m: &String| {
        let rows = store.movements_of(tenant, m.clone(), None, None).await?;
        anyhow::ensure!(!rows.is_empty(), "material {m} has no rows");
        Ok(())
    })
    .await
}

/// p50, p99 and max of `samples`, in milliseconds.
pub fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).saturating_sub(1);
        samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    (at(0.50), at(0.99), at(1.0))
}
