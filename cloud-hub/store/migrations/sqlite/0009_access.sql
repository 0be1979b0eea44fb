-- People and their rights (issue 15): users, groups, roles with rights per
-- module and action, grants of roles (optionally limited to sites), browser
-- sessions, login attempts for rate limiting, and the append-only audit log.
-- API tokens now belong to a user; each tenant's tokens made before this
-- migration move to its service user `service`, which holds the admin role.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,             -- UUID
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    login          TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    kind           TEXT NOT NULL,                -- 'person' | 'service' (tokens only, no password)
    password_phc   TEXT,                         -- argon2id PHC string; NULL: cannot log in
    active         INTEGER NOT NULL DEFAULT 1,
    single_session INTEGER NOT NULL DEFAULT 0,   -- at most one browser session at a time
    language       TEXT,                         -- console language; NULL: the browser's
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, login)
);

CREATE TABLE user_groups (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE group_members (
    tenant_id TEXT NOT NULL,
    group_id  TEXT NOT NULL REFERENCES user_groups (id),
    user_id   TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (tenant_id, user_id);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    rights      TEXT NOT NULL,                   -- JSON array of "module:action"
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

-- A role granted to a user or to a group, at every site (sites NULL) or
-- only at the listed ones (JSON array of site short names).
CREATE TABLE role_grants (
    id        INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    user_id   TEXT REFERENCES users (id),
    group_id  TEXT REFERENCES user_groups (id),
    role_id   TEXT NOT NULL REFERENCES roles (id),
    sites     TEXT,
    CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX role_grants_user ON role_grants (tenant_id, user_id);
CREATE INDEX role_grants_group ON role_grants (tenant_id, group_id);

ALTER TABLE api_tokens ADD COLUMN user_id TEXT REFERENCES users (id);
ALTER TABLE api_tokens ADD COLUMN rights TEXT;  -- JSON array narrowing the user's rights; NULL: all of them
ALTER TABLE tenants ADD COLUMN single_session INTEGER NOT NULL DEFAULT 0;
-- Advanced by every change to roles, groups or grants: a replica's cache of
-- what a user holds is good while the tenant's number is the one it read.
ALTER TABLE tenants ADD COLUMN access_version INTEGER NOT NULL DEFAULT 0;

-- Browser sessions: only the hash of the cookie's secret is kept.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,               -- public id (UUID), shown in session lists
    tenant_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    secret_hash  BLOB NOT NULL UNIQUE,           -- SHA-256 of the cookie value
    csrf_token   TEXT NOT NULL,                  -- sent back in X-CSRF-Token on changes
    address      TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ended_at     INTEGER,
    end_reason   TEXT
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id, ended_at);

-- Login attempts (for rate limiting per account and per address).
CREATE TABLE login_attempts (
    id        INTEGER PRIMARY KEY,
    tenant    TEXT NOT NULL,                     -- the tenant name as typed
    login     TEXT NOT NULL,                     -- the login as typed (lower case)
    address   TEXT NOT NULL,
    at        INTEGER NOT NULL,
    succeeded INTEGER NOT NULL
);
CREATE INDEX login_attempts_login ON login_attempts (tenant, login, at);
CREATE INDEX login_attempts_address ON login_attempts (address, at);

-- The audit log. Append-only: no statement of the hub updates or deletes
-- it, and these triggers refuse any that tries (a person with the file and
-- the sqlite3 shell can still drop the triggers: SQLite has no privileges;
-- PostgreSQL's log is guarded by a trigger and by its owner's grants).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor_kind  TEXT NOT NULL,                   -- 'user' | 'token' | 'agent' | 'anonymous' | 'cli'
    actor       TEXT NOT NULL,                   -- login, token name or agent id
    address     TEXT NOT NULL,
    user_agent  TEXT NOT NULL,
    action      TEXT NOT NULL,                   -- 'POST /api/v1/materials', 'login', ...
    object_kind TEXT,
    object_code TEXT,
    outcome     TEXT NOT NULL,                   -- 'ok' | 'refused' | 'failed'
    status      INTEGER NOT NULL,
    before      TEXT,                            -- JSON
    after       TEXT,                            -- JSON
    detail      TEXT
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
