//! Machine data in SQLite: the latest event of some kinds per key of a
//! site, and the parts counted since an instant.

use super::SqliteStore;
use crate::keyed::{KeyedEvents, keyed};
use crate::plans::SiteEvent;
use crate::types::PartsSince;
use crate::{StoreError, TenantId};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter};

/// The events of a site's agents, with the site's short name as `?2`.
const SITE_EVENTS: &str = "FROM events e
     JOIN agent_streams s ON s.id = e.stream_id AND s.tenant_id = e.tenant_id
     JOIN agents a ON a.id = s.agent_id AND a.tenant_id = e.tenant_id
     JOIN sites st ON st.id = a.site_id AND st.tenant_id = e.tenant_id";

impl SqliteStore {
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
        let index = keyed(kinds, path);
        let sql = match index {
            Some(index) => latest_by_index(index),
            None => format!(
                "SELECT key, id, kind, occurred_at, raw FROM (
                     SELECT json_extract(e.raw, ?4) AS key, e.id, e.kind, e.occurred_at, e.raw,
                            ROW_NUMBER() OVER (PARTITION BY json_extract(e.raw, ?4)
                                               ORDER BY e.occurred_at DESC, e.id DESC) AS n
                     {SITE_EVENTS}
                     WHERE e.tenant_id = ?1 AND st.slug = ?2
                       AND e.kind IN (SELECT value FROM json_each(?3)))
                 WHERE n = 1 AND key IS NOT NULL ORDER BY key"
            ),
        };
        let path = format!("$.data.{path}");
        let kinds = serde_json::json!(kinds).to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut args: Vec<SqlValue> = vec![tenant.into(), site.into(), kinds.into()];
            if index.is_none() {
                // Else the index's own expression names the field.
                args.push(path.into());
            }
            let rows = stmt
                .query_map(params_from_iter(args), |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        SiteEvent {
                            id: r.get(1)?,
                            kind: r.get(2)?,
                            occurred_at: r.get(3)?,
                            raw: r.get(4)?,
                        },
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// Good and scrap parts counted per equipment of `site` at or after
    /// `since` (hub time, unix ms), in equipment order (bytewise).
    pub(crate) async fn parts_since(
        &self,
        tenant: TenantId,
        site: String,
        since: i64,
    ) -> Result<Vec<PartsSince>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT json_extract(e.raw, '$.data.equipment') AS equipment,
                        SUM(json_extract(e.raw, '$.data.good')), SUM(json_extract(e.raw, '$.data.scrap'))
                 {SITE_EVENTS}
                 WHERE e.tenant_id = ?1 AND st.slug = ?2 AND e.kind = 'parts_counted' AND e.occurred_at >= ?3
                 GROUP BY equipment HAVING equipment IS NOT NULL ORDER BY equipment"
            ))?;
            let rows = stmt
                .query_map(params![tenant, site, since], |r| {
                    Ok(PartsSince {
                        equipment: r.get(0)?,
                        good: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                        scrap: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}

/// [`SqliteStore::latest_per_key`] through `index`: the keys walked in
/// order, one seek each, then per key the newest event of the kinds (`?3`)
/// from the site's agents, walking the key's entries back from the newest.
fn latest_by_index(index: &KeyedEvents) -> String {
    let (key, term) = (index.sqlite_key(""), index.kind_term(""));
    let (x_key, x_term) = (index.sqlite_key("x."), index.kind_term("x."));
    format!(
        "WITH RECURSIVE keys(key) AS (
             SELECT (SELECT MIN({key}) FROM events WHERE tenant_id = ?1 AND {term})
             UNION ALL
             SELECT (SELECT MIN({key}) FROM events WHERE tenant_id = ?1 AND {term} AND {key} > keys.key)
             FROM keys WHERE keys.key IS NOT NULL),
         streams(id) AS (
             SELECT s.id FROM agent_streams s
             JOIN agents a ON a.id = s.agent_id AND a.tenant_id = s.tenant_id
             JOIN sites st ON st.id = a.site_id AND st.tenant_id = s.tenant_id
             WHERE s.tenant_id = ?1 AND st.slug = ?2)
         SELECT keys.key, e.id, e.kind, e.occurred_at, e.raw FROM keys JOIN events e ON e.id = (
             SELECT x.id FROM events x
             WHERE x.tenant_id = ?1 AND {x_term} AND {x_key} = keys.key
               AND x.kind IN (SELECT value FROM json_each(?3)) AND x.stream_id IN (SELECT id FROM streams)
             ORDER BY x.occurred_at DESC, x.id DESC LIMIT 1)
         WHERE keys.key IS NOT NULL ORDER BY keys.key"
    )
}
