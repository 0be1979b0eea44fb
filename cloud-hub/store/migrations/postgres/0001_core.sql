-- Tenants, sites, agents and the event log: the same tables, columns and
-- meaning as SQLite's 0001 + 0002, in PostgreSQL's types. Times are unix ms
-- in bigint (as in SQLite); ids and event ids are uuid; token hashes bytea.
-- Every table but tenants carries tenant_id, and rows that point at an agent
-- or a site point at it *within the tenant* (composite foreign keys), so the
-- database itself keeps the tenant walls.
CREATE TABLE tenants (
    id         uuid PRIMARY KEY,
    slug       text NOT NULL UNIQUE,      -- short name used on the command line
    created_at bigint NOT NULL            -- unix ms
);

CREATE TABLE sites (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    slug       text NOT NULL,
    created_at bigint NOT NULL,
    UNIQUE (tenant_id, slug),
    UNIQUE (tenant_id, id)
);

CREATE TABLE agents (
    id                  uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    site_id             uuid NOT NULL,
    name                text NOT NULL,
    token_hash          bytea NOT NULL UNIQUE,  -- SHA-256 of the bearer token
    created_at          bigint NOT NULL,
    last_contact_at     bigint,
    current_stream      bigint,                 -- agent_streams.id of the newest incarnation
    events_received     bigint NOT NULL DEFAULT 0,
    unknown_kind_events bigint NOT NULL DEFAULT 0,
    reported_depth      bigint NOT NULL DEFAULT 0,
    reported_dropped    bigint NOT NULL DEFAULT 0,
    reported_refused    bigint NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);
CREATE INDEX agents_tenant ON agents (tenant_id);

-- One row per (agent, incarnation): the sequence space of one buffer file.
-- Ingest locks the agent's row (SELECT ... FOR UPDATE) before reading it, so
-- that batches of one agent are stored one after the other.
CREATE TABLE agent_streams (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      uuid NOT NULL,
    agent_id       uuid NOT NULL,
    incarnation    uuid NOT NULL,
    acked_seq      bigint NOT NULL DEFAULT 0,  -- every seq up to here is stored or was dropped
    dropped_events bigint NOT NULL DEFAULT 0,  -- numbers the agent reported as dropped
    first_seen_at  bigint NOT NULL,
    UNIQUE (agent_id, incarnation),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id)
);
CREATE INDEX agent_streams_agent ON agent_streams (tenant_id, agent_id);

-- Things a person should look at: a buffer that started over, a sequence
-- that disagrees with what is stored.
CREATE TABLE agent_anomalies (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    agent_id  uuid NOT NULL,
    at        bigint NOT NULL,
    kind      text NOT NULL,
    detail    text NOT NULL,
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id)
);
CREATE INDEX agent_anomalies_agent ON agent_anomalies (tenant_id, agent_id);

CREATE TABLE api_tokens (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    name       text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at bigint NOT NULL
);

-- The event log: each event id at most once per tenant. The identity column
-- is the hub's arrival order, which projections follow. No foreign key on
-- stream_id: ingest reaches the stream row first (and locks it), and a key
-- check per inserted event would only cost time.
CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    stream_id   bigint NOT NULL,
    seq         bigint NOT NULL,
    event_id    uuid NOT NULL,
    kind        text NOT NULL,
    known_kind  boolean NOT NULL,         -- false: a kind this hub version does not know (kept raw)
    occurred_at bigint NOT NULL,
    received_at bigint NOT NULL,
    raw         text NOT NULL,            -- the event JSON exactly as sent (not jsonb: kept byte for byte)
    UNIQUE (stream_id, seq)
);
-- Event ids are unique per tenant, not across tenants: an event id another
-- tenant happens to hold must not make this tenant's event a "duplicate".
CREATE UNIQUE INDEX events_tenant_event_id ON events (tenant_id, event_id);
