//! Machine data in PostgreSQL: the latest event of some kinds per key of
//! a site, and the parts counted since an instant.

use super::PgStore;
use crate::keyed::{KeyedEvents, keyed};
use crate::plans::SiteEvent;
use crate::types::PartsSince;
use crate::{StoreError, TenantId};

impl PgStore {
    /// The latest event of `kinds` (by hub time, then arrival) per value of
    /// the event's `data.{path}` (dots for nested fields), from the agents
    /// of `site`. Served by a keyed index when one holds the kinds
    /// (`keyed.rs`), else by reading every event of the kinds.
    pub(crate) async fn latest_per_key(
        &self,
        tenant: TenantId,
        site: String,
        kinds: &'static [&'static str],
        path: &'static str,
    ) -> Result<Vec<(String, SiteEvent)>, StoreError> {
        let tenant = tenant.as_uuid();
        let kinds: Vec<&str> = kinds.to_vec();
        let client = self.pool.get().await?;
        let rows = match keyed(&kinds, path) {
            Some(index) => {
                let stmt = client.prepare_cached(&latest_by_index(index)).await?;
                client.query(&stmt, &[&tenant, &site, &kinds]).await?
            }
            None => {
                let path: Vec<&str> = std::iter::once("data").chain(path.split('.')).collect();
                let stmt = client
                    .prepare_cached(
                        "SELECT DISTINCT ON (key) key, id, kind, occurred_at, raw FROM (
                             SELECT (e.raw::jsonb #>> $4::text[]) COLLATE \"C\" AS key, e.id, e.kind, e.occurred_at, e.raw
                             FROM events e
                             JOIN agent_streams s ON s.id = e.stream_id AND s.tenant_id = e.tenant_id
                             JOIN agents a ON a.id = s.agent_id AND a.tenant_id = e.tenant_id
                             JOIN sites st ON st.id = a.site_id AND st.tenant_id = e.tenant_id
                             WHERE e.tenant_id = $1 AND st.slug = $2 AND e.kind = ANY($3::text[])) k
                         WHERE key IS NOT NULL
                         ORDER BY key, occurred_at DESC, id DESC",
                    )
                    .await?;
                client.query(&stmt, &[&tenant, &site, &kinds, &path]).await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    SiteEvent {
                        id: r.try_get(1)?,
                        kind: r.try_get(2)?,
                        occurred_at: r.try_get(3)?,
                        raw: r.try_get(4)?,
                    },
                ))
            })
            .collect()
    }

    /// Good and scrap parts counted per equipment of `site` at or after
    /// `since` (hub time, unix ms), in equipment order (bytewise).
    pub(crate) async fn parts_since(
        &self,
        tenant: TenantId,
        site: String,
        since: i64,
    ) -> Result<Vec<PartsSince>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(
                // Each row's JSON parsed once (jsonb_to_record), not once
                // per field: the parsing was most of the board's time.
                "SELECT d.equipment COLLATE \"C\" AS equipment, SUM(d.good)::bigint, SUM(d.scrap)::bigint
                 FROM events e
                 JOIN agent_streams s ON s.id = e.stream_id AND s.tenant_id = e.tenant_id
                 JOIN agents a ON a.id = s.agent_id AND a.tenant_id = e.tenant_id
                 JOIN sites st ON st.id = a.site_id AND st.tenant_id = e.tenant_id
                 CROSS JOIN LATERAL jsonb_to_record(e.raw::jsonb -> 'data')
                     AS d(equipment text, good bigint, scrap bigint)
                 WHERE e.tenant_id = $1 AND st.slug = $2 AND e.kind = 'parts_counted' AND e.occurred_at >= $3
                   AND d.equipment IS NOT NULL
                 GROUP BY 1 ORDER BY 1",
            )
            .await?;
        let rows = client.query(&stmt, &[&tenant, &site, &since]).await?;
        rows.iter()
            .map(|r| {
                Ok(PartsSince {
                    equipment: r.try_get(0)?,
                    good: r.try_get::<_, Option<i64>>(1)?.unwrap_or(0),
                    scrap: r.try_get::<_, Option<i64>>(2)?.unwrap_or(0),
                })
            })
            .collect()
    }
}

/// [`PgStore::latest_per_key`] through `index`: the keys walked in order,
/// one seek each, then per key the newest event of the kinds (`$3`) from
/// the site's agents, walking the key's entries back from the newest.
fn latest_by_index(index: &KeyedEvents) -> String {
    let (key, term) = (index.pg_key(""), index.kind_term(""));
    let (x_key, x_term) = (index.pg_key("x."), index.kind_term("x."));
    format!(
        "WITH RECURSIVE keys(key) AS (
             (SELECT {key} FROM events WHERE tenant_id = $1 AND {term} AND {key} IS NOT NULL
              ORDER BY {key} LIMIT 1)
             UNION ALL
             SELECT (SELECT {key} FROM events WHERE tenant_id = $1 AND {term} AND {key} > keys.key
                     ORDER BY {key} LIMIT 1)
             FROM keys WHERE keys.key IS NOT NULL),
         streams AS (
             SELECT s.id FROM agent_streams s
             JOIN agents a ON a.id = s.agent_id AND a.tenant_id = s.tenant_id
             JOIN sites st ON st.id = a.site_id AND st.tenant_id = s.tenant_id
             WHERE s.tenant_id = $1 AND st.slug = $2)
         SELECT keys.key, e.id, e.kind, e.occurred_at, e.raw FROM keys CROSS JOIN LATERAL (
             SELECT x.id, x.kind, x.occurred_at, x.raw FROM events x
             WHERE x.tenant_id = $1 AND {x_term} AND {x_key} = keys.key
               AND x.kind = ANY($3::text[]) AND x.stream_id IN (SELECT id FROM streams)
             ORDER BY x.occurred_at DESC, x.id DESC LIMIT 1) e
         WHERE keys.key IS NOT NULL ORDER BY keys.key"
    )
}
