-- Authentication in one lookup (issue 15): a request finds its API token
-- or session by the hash of its secret and reads nothing else; each hub
-- keeps what the credential's user holds (`Store`'s `PrincipalCache`),
-- good while the credential's `access_version` is the one it was read at.
-- So every change to what a principal is changes the `access_version` of
-- every live credential it reaches, in the change's own transaction:
-- - roles, groups, grants: the store advances the tenant's version, and
--   the first trigger copies it onto the tenant's live tokens and sessions;
-- - a user's active flag or language: a trigger advances the tenant's
--   version (and so every live credential's);
-- - a new token or session starts at its tenant's version (a trigger, so
--   every writer does it: the hub, the command line, an older hub);
-- - a revoked token or an ended session is its own row, which the lookup
--   no longer finds.
-- Versions only grow, so a credential never returns to a version a cache
-- read it at before.
--
-- Concurrency (READ COMMITTED): a new credential reads its tenant's row
-- FOR SHARE. A change holds that row locked from its advance to its commit,
-- so a credential made meanwhile waits and starts at the new version; a
-- credential made first makes the change's advance wait until it has
-- committed, and the copy that follows the advance (a statement of its own,
-- so a snapshot of its own) sees it. No live credential is left at an old
-- version after a change commits.

ALTER TABLE api_tokens ADD COLUMN access_version bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN access_version bigint NOT NULL DEFAULT 0;
UPDATE api_tokens t SET access_version = n.access_version FROM tenants n WHERE n.id = t.tenant_id;
UPDATE sessions s SET access_version = n.access_version FROM tenants n WHERE n.id = s.tenant_id;
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id);

CREATE FUNCTION access_version_to_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_tokens SET access_version = NEW.access_version WHERE tenant_id = NEW.id AND revoked_at IS NULL;
    UPDATE sessions SET access_version = NEW.access_version WHERE tenant_id = NEW.id AND ended_at IS NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER tenants_access_version_to_credentials AFTER UPDATE OF access_version ON tenants
    FOR EACH ROW WHEN (NEW.access_version IS DISTINCT FROM OLD.access_version)
    EXECUTE FUNCTION access_version_to_credentials();

CREATE FUNCTION credential_starts_at_access_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT access_version INTO NEW.access_version FROM tenants WHERE id = NEW.tenant_id FOR SHARE;
    RETURN NEW;
END
$$;
CREATE TRIGGER api_tokens_start_at_access_version BEFORE INSERT ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION credential_starts_at_access_version();
CREATE TRIGGER sessions_start_at_access_version BEFORE INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION credential_starts_at_access_version();

CREATE FUNCTION user_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tenants SET access_version = access_version + 1 WHERE id = NEW.tenant_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_access_change AFTER UPDATE OF active, language ON users
    FOR EACH ROW WHEN (NEW.active IS DISTINCT FROM OLD.active OR NEW.language IS DISTINCT FROM OLD.language)
    EXECUTE FUNCTION user_access_changed();
