-- Master data as validated JSON documents (see src/store/records.rs), and
-- the per-tenant version counter every write advances (the downlink's
-- change cursor).
CREATE TABLE tenant_versions (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    version   bigint NOT NULL
);

CREATE TABLE master_records (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    kind       text NOT NULL,
    code       text NOT NULL,
    site       text,                      -- site slug, for records that belong to one
    body       jsonb NOT NULL,
    archived   boolean NOT NULL DEFAULT false,
    version    bigint NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, kind, code)
);
CREATE INDEX master_records_changes ON master_records (tenant_id, version);
