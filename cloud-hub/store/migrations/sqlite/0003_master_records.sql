-- Master data as validated JSON documents (see src/store/records.rs), and
-- the per-tenant version counter every write advances (the downlink's
-- change cursor).
CREATE TABLE tenant_versions (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    version   INTEGER NOT NULL
);

CREATE TABLE master_records (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    kind       TEXT NOT NULL,
    code       TEXT NOT NULL,
    site       TEXT,                      -- site slug, for records that belong to one
    body       TEXT NOT NULL,             -- JSON
    archived   INTEGER NOT NULL DEFAULT 0,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, code)
) WITHOUT ROWID;
CREATE INDEX master_records_changes ON master_records (tenant_id, version);
