-- The live schedule of each planned site: one row per tenant and site, a
-- new plan replaces it (revision + 1). It remembers what it was planned
-- from: the tenant's master-data version and the last event of the site
-- it took in (events.id), so the re-planning watcher sees what is new.
CREATE TABLE live_plans (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    site            text NOT NULL,         -- site slug
    revision        bigint NOT NULL,
    records_version bigint NOT NULL,
    event_cursor    bigint NOT NULL,
    trigger_reason  text NOT NULL,
    body            jsonb NOT NULL,        -- model, plan, floor facts
    created_at      bigint NOT NULL,
    PRIMARY KEY (tenant_id, site)
);

-- The planner reads a tenant's events of a few kinds after a cursor.
CREATE INDEX events_tenant_kind ON events (tenant_id, kind, id);
