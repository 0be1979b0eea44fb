-- People and their rights (issue 15): the same tables and meaning as
-- SQLite's 0009, in PostgreSQL's types. Rows that point at a user, group or
-- role point at it within the tenant (composite foreign keys).

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    login          text NOT NULL,
    display_name   text NOT NULL,
    kind           text NOT NULL,                -- 'person' | 'service' (tokens only, no password)
    password_phc   text,                         -- argon2id PHC string; NULL: cannot log in
    active         boolean NOT NULL DEFAULT true,
    single_session boolean NOT NULL DEFAULT false,
    language       text,
    created_at     bigint NOT NULL,
    updated_at     bigint NOT NULL,
    UNIQUE (tenant_id, login),
    UNIQUE (tenant_id, id)
);

CREATE TABLE user_groups (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  bigint NOT NULL,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
);

CREATE TABLE group_members (
    tenant_id uuid NOT NULL,
    group_id  uuid NOT NULL,
    user_id   uuid NOT NULL,
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES user_groups (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX group_members_user ON group_members (tenant_id, user_id);

CREATE TABLE roles (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    rights      jsonb NOT NULL,                  -- array of "module:action"
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL,
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
);

CREATE TABLE role_grants (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    user_id   uuid,
    group_id  uuid,
    role_id   uuid NOT NULL,
    sites     jsonb,                             -- NULL: every site; else an array of site short names
    CHECK ((user_id IS NULL) <> (group_id IS NULL)),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES user_groups (tenant_id, id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id)
);
CREATE INDEX role_grants_user ON role_grants (tenant_id, user_id);
CREATE INDEX role_grants_group ON role_grants (tenant_id, group_id);

ALTER TABLE api_tokens ADD COLUMN user_id uuid REFERENCES users (id);
ALTER TABLE api_tokens ADD COLUMN rights jsonb;
ALTER TABLE tenants ADD COLUMN single_session boolean NOT NULL DEFAULT false;
-- Advanced by every change to roles, groups or grants: a replica's cache of
-- what a user holds is good while the tenant's number is the one it read.
ALTER TABLE tenants ADD COLUMN access_version bigint NOT NULL DEFAULT 0;

CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    secret_hash  bytea NOT NULL UNIQUE,
    csrf_token   text NOT NULL,
    address      text NOT NULL,
    user_agent   text NOT NULL,
    created_at   bigint NOT NULL,
    last_seen_at bigint NOT NULL,
    ended_at     bigint,
    end_reason   text,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id, ended_at);

CREATE TABLE login_attempts (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant    text NOT NULL,
    login     text NOT NULL,
    address   text NOT NULL,
    at        bigint NOT NULL,
    succeeded boolean NOT NULL
);
CREATE INDEX login_attempts_login ON login_attempts (tenant, login, at);
CREATE INDEX login_attempts_address ON login_attempts (address, at);

-- The audit log, append-only: the trigger refuses UPDATE, DELETE and
-- TRUNCATE for every role, the hub's included. (An operator who wants the
-- database itself to enforce it against its owner too runs the hub as a
-- role that does not own the table; see README "Audit log".)
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    at          bigint NOT NULL,
    actor_kind  text NOT NULL,
    actor       text NOT NULL,
    address     text NOT NULL,
    user_agent  text NOT NULL,
    action      text NOT NULL,
    object_kind text,
    object_code text,
    outcome     text NOT NULL,
    status      integer NOT NULL,
    before      jsonb,
    after       jsonb,
    detail      text
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
