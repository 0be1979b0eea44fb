//! Machine data in SQLite: the latest event of some kinds per key of a
//! site, and the parts counted since an instant.

use super::SqliteStore;
use crate::plans::SiteEvent;
use crate::types::PartsSince;
use crate::{StoreError, TenantId};
use rusqlite::params;

/// The events of a site's agents, with the site's short name as `?2`.
const SITE_EVENTS: &str = "FROM events e
     JOIN agent_streams s ON s.id = e.stream_id AND s.tenant_id = e.tenant_id
     JOIN agents a ON a.id = s.agent_id AND a.tenant_id = e.tenant_id
     JOIN sites st ON st.id = a.site_id AND st.tenant_id = e.tenant_id";

impl SqliteStore {
    /// The latest event of `kinds` (by hub time, then arrival) per value of
    /// the event's `data.{path}` (dots for nested fields), from the agents
    /// of `site`.
    pub(crate) async fn latest_per_key(
        &self,
        tenant: TenantId,
        site: String,
        kinds: &'static [&'static str],
        path: &'static str,
    ) -> Result<Vec<(String, SiteEvent)>, StoreError> {
        let path = format!("$.data.{path}");
        let kinds = serde_json::json!(kinds).to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT key, id, kind, occurred_at, raw FROM (
                     SELECT json_extract(e.raw, ?4) AS key, e.id, e.kind, e.occurred_at, e.raw,
                            ROW_NUMBER() OVER (PARTITION BY json_extract(e.raw, ?4)
                                               ORDER BY e.occurred_at DESC, e.id DESC) AS n
                     {SITE_EVENTS}
                     WHERE e.tenant_id = ?1 AND st.slug = ?2
                       AND e.kind IN (SELECT value FROM json_each(?3)))
                 WHERE n = 1 AND key IS NOT NULL ORDER BY key"
            ))?;
            let rows = stmt
                .query_map(params![tenant, site, kinds, path], |r| {
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
