//! Master-data records and the tenant's version.

use crate::{RecordQuery, RecordRow, RecordWrite, Store, StoreError, TenantId};

impl Store {
    /// Writes master-data records in one transaction: all or none. Each
    /// write advances the tenant's version.
    pub async fn write_records(
        &self,
        tenant: TenantId,
        writes: Vec<RecordWrite>,
    ) -> Result<Vec<RecordRow>, StoreError> {
        on_backend!(self, b => b.write_records(tenant, writes).await)
    }

    /// One master-data record of `tenant`, archived or not.
    pub async fn get_record(
        &self,
        tenant: TenantId,
        kind: &'static str,
        code: String,
    ) -> Result<Option<RecordRow>, StoreError> {
        on_backend!(self, b => b.get_record(tenant, kind, code).await)
    }

    /// Master-data records of one kind, in code order (bytewise).
    pub async fn list_records(
        &self,
        tenant: TenantId,
        kind: &'static str,
        query: RecordQuery,
    ) -> Result<Vec<RecordRow>, StoreError> {
        on_backend!(self, b => b.list_records(tenant, kind, query).await)
    }

    /// Records of `kinds` written after version `since`, in version order.
    pub async fn records_changed_since(
        &self,
        tenant: TenantId,
        kinds: &'static [&'static str],
        since: i64,
        limit: usize,
    ) -> Result<Vec<RecordRow>, StoreError> {
        on_backend!(self, b => b.records_changed_since(tenant, kinds, since, limit).await)
    }

    /// The tenant's master-data version (0 before its first write).
    pub async fn tenant_version(&self, tenant: TenantId) -> Result<i64, StoreError> {
        on_backend!(self, b => b.tenant_version(tenant).await)
    }

    /// Whether `tenant` has a site with the short name `slug`.
    pub async fn site_exists(&self, tenant: TenantId, slug: String) -> Result<bool, StoreError> {
        on_backend!(self, b => b.site_exists(tenant, slug).await)
    }
}
