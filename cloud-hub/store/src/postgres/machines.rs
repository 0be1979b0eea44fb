//! Machine data in PostgreSQL: the latest event of a kind per machine of a
//! site.

use super::PgStore;
use crate::plans::SiteEvent;
use crate::{StoreError, TenantId};

impl PgStore {
    /// The latest `kind` event (by hub time, then arrival) per value of
    /// the event's `data.{field}`, from the agents of `site`.
    pub(crate) async fn latest_per_key(
        &self,
        tenant: TenantId,
        site: String,
        kind: &'static str,
        field: &'static str,
    ) -> Result<Vec<(String, SiteEvent)>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(
                "SELECT DISTINCT ON (key) key, id, kind, occurred_at, raw FROM (
                     SELECT ((e.raw::jsonb -> 'data') ->> $4::text) COLLATE \"C\" AS key, e.id, e.kind, e.occurred_at, e.raw
                     FROM events e
                     JOIN agent_streams s ON s.id = e.stream_id AND s.tenant_id = e.tenant_id
                     JOIN agents a ON a.id = s.agent_id AND a.tenant_id = e.tenant_id
                     JOIN sites st ON st.id = a.site_id AND st.tenant_id = e.tenant_id
                     WHERE e.tenant_id = $1 AND st.slug = $2 AND e.kind = $3) k
                 WHERE key IS NOT NULL
                 ORDER BY key, occurred_at DESC, id DESC",
            )
            .await?;
        let rows = client.query(&stmt, &[&tenant, &site, &kind, &field]).await?;
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
}
