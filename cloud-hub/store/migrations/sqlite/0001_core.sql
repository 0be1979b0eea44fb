-- Tenants, sites, agents and the event log.
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,          -- UUID
    slug       TEXT NOT NULL UNIQUE,      -- short name used on the command line
    created_at INTEGER NOT NULL           -- unix ms
);

CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    slug       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (tenant_id, slug)
);

CREATE TABLE agents (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id),
    site_id             TEXT NOT NULL REFERENCES sites (id),
    name                TEXT NOT NULL,
    token_hash          BLOB NOT NULL UNIQUE,   -- SHA-256 of the bearer token
    created_at          INTEGER NOT NULL,
    last_contact_at     INTEGER,
    current_stream      INTEGER,                -- agent_streams.id of the newest incarnation
    events_received     INTEGER NOT NULL DEFAULT 0,
    unknown_kind_events INTEGER NOT NULL DEFAULT 0,
    reported_depth      INTEGER NOT NULL DEFAULT 0,
    reported_dropped    INTEGER NOT NULL DEFAULT 0,
    reported_refused    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agents_tenant ON agents (tenant_id);

-- One row per (agent, incarnation): the sequence space of one buffer file.
CREATE TABLE agent_streams (
    id             INTEGER PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    agent_id       TEXT NOT NULL REFERENCES agents (id),
    incarnation    TEXT NOT NULL,
    acked_seq      INTEGER NOT NULL DEFAULT 0,  -- every seq up to here is stored or was dropped
    dropped_events INTEGER NOT NULL DEFAULT 0,  -- numbers the agent reported as dropped
    first_seen_at  INTEGER NOT NULL,
    UNIQUE (agent_id, incarnation)
);

-- Things a person should look at: a buffer that started over, a sequence
-- that disagrees with what is stored.
CREATE TABLE agent_anomalies (
    id        INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    agent_id  TEXT NOT NULL,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX agent_anomalies_agent ON agent_anomalies (tenant_id, agent_id);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- The event log: each event id at most once. The rowid is the hub's
-- arrival order, which projections follow.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    stream_id   INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    event_id    BLOB NOT NULL,
    kind        TEXT NOT NULL,
    known_kind  INTEGER NOT NULL,        -- 0: a kind this hub version does not know (kept raw)
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    raw         TEXT NOT NULL,
    UNIQUE (stream_id, seq)
);
CREATE UNIQUE INDEX events_event_id ON events (event_id);
