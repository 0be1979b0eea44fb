//! Replica heartbeats and tenant leases in PostgreSQL (migration 0012;
//! the protocol is in `crate::leases`). Every statement is its own
//! transaction or a short one, and nothing is kept on the connection
//! between statements, so it works through PgBouncer in transaction mode.

use super::PgStore;
use crate::leases::{Fence, Taken};
use crate::{StoreError, TenantId};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::Transaction;

/// `ttl` as the seconds `make_interval` takes.
fn secs(ttl: Duration) -> f64 {
    ttl.as_secs_f64()
}

/// In a projection step's transaction: refuses the write unless `fence`
/// is still the tenant's lease (its holder and token, not expired), and
/// keeps it so until commit (`FOR SHARE`: a takeover's `FOR UPDATE`
/// skips the row while the step runs).
pub(super) async fn hold_fence(
    tx: &Transaction<'_>,
    tenant: TenantId,
    fence: &Fence,
) -> Result<(), StoreError> {
    let lost = || StoreError::LeaseLost {
        tenant,
        fence: fence.token,
        holder: fence.holder.to_string(),
    };
    if fence.tenant != tenant {
        return Err(lost());
    }
    let held = tx
        .query_opt(
            "SELECT 1 FROM tenant_leases
             WHERE tenant_id = $1 AND holder = $2 AND fence = $3 AND expires_at > clock_timestamp()
             FOR SHARE",
            &[&tenant.as_uuid(), &&*fence.holder, &fence.token],
        )
        .await?;
    match held {
        Some(_) => Ok(()),
        None => Err(lost()),
    }
}

impl PgStore {
    /// Writes `replica`'s heartbeat (alive for `ttl`) and answers how many
    /// replicas are alive, this one included. Heartbeats dead for an hour
    /// are deleted.
    pub(crate) async fn replica_heartbeat(&self, replica: &str, ttl: Duration) -> Result<usize, StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO hub_replicas (replica_id, started_at, seen_at, expires_at)
                 VALUES ($1, clock_timestamp(), clock_timestamp(), clock_timestamp() + make_interval(secs => $2))
                 ON CONFLICT (replica_id) DO UPDATE SET seen_at = excluded.seen_at, expires_at = excluded.expires_at",
                &[&replica, &secs(ttl)],
            )
            .await?;
        client
            .execute(
                "DELETE FROM hub_replicas WHERE expires_at < clock_timestamp() - interval '1 hour'",
                &[],
            )
            .await?;
        let live: i64 = client
            .query_one(
                "SELECT count(*) FROM hub_replicas WHERE expires_at > clock_timestamp()",
                &[],
            )
            .await?
            .try_get(0)?;
        Ok(usize::try_from(live).unwrap_or(0).max(1))
    }

    /// Extends every lease of `held` that is still this holder's and not
    /// expired by `ttl`; answers those (the others are lost).
    pub(crate) async fn renew_leases(&self, held: &[Fence], ttl: Duration) -> Result<Vec<Fence>, StoreError> {
        let Some(first) = held.first() else {
            return Ok(Vec::new());
        };
        let holder = first.holder.clone();
        let tenants: Vec<uuid::Uuid> = held.iter().map(|f| f.tenant.as_uuid()).collect();
        let tokens: Vec<i64> = held.iter().map(|f| f.token).collect();
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "UPDATE tenant_leases l SET expires_at = clock_timestamp() + make_interval(secs => $2)
                 FROM unnest($3::uuid[], $4::bigint[]) AS h(t, f)
                 WHERE l.tenant_id = h.t AND l.fence = h.f AND l.holder = $1 AND l.expires_at > clock_timestamp()
                 RETURNING l.tenant_id, l.fence",
                &[&&*holder, &secs(ttl), &tenants, &tokens],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Fence {
                    tenant: TenantId::from_row(r.try_get(0)?),
                    holder: holder.clone(),
                    token: r.try_get(1)?,
                })
            })
            .collect()
    }

    /// Takes up to `want` leases that are free or expired for `holder`,
    /// for `ttl`, each one more on its tenant's fencing token, each logged
    /// in `tenant_lease_log`. A lease whose row a running step holds is
    /// skipped (taken at a later call).
    pub(crate) async fn take_leases(
        &self,
        holder: &Arc<str>,
        want: usize,
        ttl: Duration,
    ) -> Result<Vec<Taken>, StoreError> {
        if want == 0 {
            return Ok(Vec::new());
        }
        let mut client = self.pool.get().await?;
        let limit = i64::try_from(want).unwrap_or(i64::MAX);
        let candidates = client
            .query(
                "SELECT t.id, t.slug FROM tenants t LEFT JOIN tenant_leases l ON l.tenant_id = t.id
                 WHERE l.tenant_id IS NULL OR l.expires_at <= clock_timestamp()
                 ORDER BY random() LIMIT $1",
                &[&limit],
            )
            .await?;
        let mut taken = Vec::new();
        for row in candidates {
            let tenant: uuid::Uuid = row.try_get(0)?;
            let slug: String = row.try_get(1)?;
            let tx = client.transaction().await?;
            let token = take_one(&tx, tenant, holder, ttl).await?;
            tx.commit().await?;
            if let Some(token) = token {
                taken.push(Taken {
                    fence: Fence {
                        tenant: TenantId::from_row(tenant),
                        holder: holder.clone(),
                        token,
                    },
                    slug,
                });
            }
        }
        Ok(taken)
    }

    /// Gives `fence`'s lease up at once (it expires now; the row and its
    /// token stay, so the next holder's token is higher).
    pub(crate) async fn release_lease(&self, fence: &Fence) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "UPDATE tenant_leases SET expires_at = clock_timestamp()
                 WHERE tenant_id = $1 AND holder = $2 AND fence = $3",
                &[&fence.tenant.as_uuid(), &&*fence.holder, &fence.token],
            )
            .await?;
        Ok(())
    }

    /// `replica` stops: its leases expire now and its heartbeat is gone,
    /// so the others take its tenants at their next round.
    pub(crate) async fn leave(&self, replica: &str) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "UPDATE tenant_leases SET expires_at = clock_timestamp()
                 WHERE holder = $1 AND expires_at > clock_timestamp()",
                &[&replica],
            )
            .await?;
        client
            .execute("DELETE FROM hub_replicas WHERE replica_id = $1", &[&replica])
            .await?;
        Ok(())
    }

    /// How many tenants there are (what the replicas share).
    pub(crate) async fn tenant_count(&self) -> Result<usize, StoreError> {
        let client = self.pool.get().await?;
        let n: i64 = client
            .query_one("SELECT count(*) FROM tenants", &[])
            .await?
            .try_get(0)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

/// Takes `tenant`'s lease for `holder` if it is free or expired and no
/// step holds its row; its new fencing token, or `None`.
async fn take_one(
    tx: &Transaction<'_>,
    tenant: uuid::Uuid,
    holder: &str,
    ttl: Duration,
) -> Result<Option<i64>, StoreError> {
    let current = tx
        .query_opt(
            "SELECT holder, fence, expires_at, expires_at <= clock_timestamp() FROM tenant_leases
             WHERE tenant_id = $1 FOR UPDATE SKIP LOCKED",
            &[&tenant],
        )
        .await?;
    let token = match current {
        None => {
            // No row, or a step holds it: a first lease is inserted, a
            // held row is left alone.
            let inserted = tx
                .query_opt(
                    "INSERT INTO tenant_leases (tenant_id, holder, fence, taken_at, expires_at)
                     VALUES ($1, $2, 1, clock_timestamp(), clock_timestamp() + make_interval(secs => $3))
                     ON CONFLICT (tenant_id) DO NOTHING RETURNING fence",
                    &[&tenant, &holder, &secs(ttl)],
                )
                .await?;
            let Some(row) = inserted else {
                return Ok(None);
            };
            let token: i64 = row.try_get(0)?;
            log_take(tx, tenant, token, holder, None, None).await?;
            token
        }
        Some(row) => {
            let free: bool = row.try_get(3)?;
            if !free {
                return Ok(None);
            }
            let previous: String = row.try_get(0)?;
            let token: i64 = row.try_get::<_, i64>(1)? + 1;
            let expiry: std::time::SystemTime = row.try_get(2)?;
            tx.execute(
                "UPDATE tenant_leases SET holder = $2, fence = $3, taken_at = clock_timestamp(),
                     expires_at = clock_timestamp() + make_interval(secs => $4)
                 WHERE tenant_id = $1",
                &[&tenant, &holder, &token, &secs(ttl)],
            )
            .await?;
            log_take(tx, tenant, token, holder, Some(&previous), Some(expiry)).await?;
            token
        }
    };
    Ok(Some(token))
}

async fn log_take(
    tx: &Transaction<'_>,
    tenant: uuid::Uuid,
    token: i64,
    holder: &str,
    previous: Option<&str>,
    previous_expiry: Option<std::time::SystemTime>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO tenant_lease_log (tenant_id, fence, holder, previous_holder, previous_expiry, taken_at)
         VALUES ($1, $2, $3, $4, $5, clock_timestamp())",
        &[&tenant, &token, &holder, &previous, &previous_expiry],
    )
    .await?;
    Ok(())
}
