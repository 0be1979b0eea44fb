//! Machine data in SQLite: the latest event of a kind per machine of a site.

use super::SqliteStore;
use crate::plans::SiteEvent;
use crate::{StoreError, TenantId};
use rusqlite::params;

impl SqliteStore {
    /// The latest `kind` event (by hub time, then arrival) per value of
    /// the event's `data.{field}`, from the agents of `site`.
    pub(crate) async fn latest_per_key(
        &self,
        tenant: TenantId,
        site: String,
        kind: &'static str,
        field: &'static str,
    ) -> Result<Vec<(String, SiteEvent)>, StoreError> {
        let path = format!("$.data.{field}");
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT key, id, kind, occurred_at, raw FROM (
                     SELECT json_extract(e.raw, ?4) AS key, e.id, e.kind, e.occurred_at, e.raw,
                            ROW_NUMBER() OVER (PARTITION BY json_extract(e.raw, ?4)
                                               ORDER BY e.occurred_at DESC, e.id DESC) AS n
                     FROM events e
                     JOIN agent_streams s ON s.id = e.stream_id AND s.tenant_id = e.tenant_id
                     JOIN agents a ON a.id = s.agent_id AND a.tenant_id = e.tenant_id
                     JOIN sites st ON st.id = a.site_id AND st.tenant_id = e.tenant_id
                     WHERE e.tenant_id = ?1 AND st.slug = ?2 AND e.kind = ?3)
                 WHERE n = 1 AND key IS NOT NULL ORDER BY key",
            )?;
            let rows = stmt
                .query_map(params![tenant, site, kind, path], |r| {
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
}
