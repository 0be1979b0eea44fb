-- Several hubs on one PostgreSQL (issue 18). Background work (projection
-- steps, the books check, re-planning) is done per tenant by the replica
-- holding the tenant's lease; `cloud-hub/store/src/postgres/leases.rs`
-- explains the protocol. Times are the database's clock, so the replicas'
-- clocks never decide who holds what.

-- Each serving replica's heartbeat: how many replicas are alive decides
-- how many tenants each takes.
CREATE TABLE IF NOT EXISTS hub_replicas (
    replica_id text PRIMARY KEY,
    started_at timestamptz NOT NULL,
    seen_at    timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

-- A tenant's background work belongs to `holder` until `expires_at`.
-- `fence` grows by one at every change of holder (never reset: a
-- released lease keeps its row), and a projection step commits only
-- while the lease it was taken under is still the row's.
CREATE TABLE IF NOT EXISTS tenant_leases (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    holder     text NOT NULL,
    fence      bigint NOT NULL,
    taken_at   timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Every take of a lease, for the operator (and the tests): who took it
-- from whom, when, and when the previous holder's lease had expired.
CREATE TABLE IF NOT EXISTS tenant_lease_log (
    tenant_id       uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    fence           bigint NOT NULL,
    holder          text NOT NULL,
    previous_holder text,
    previous_expiry timestamptz,
    taken_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, fence)
);
