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

ALTER TABLE api_tokens ADD COLUMN access_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN access_version INTEGER NOT NULL DEFAULT 0;
UPDATE api_tokens SET access_version = (SELECT n.access_version FROM tenants n WHERE n.id = api_tokens.tenant_id);
UPDATE sessions SET access_version = (SELECT n.access_version FROM tenants n WHERE n.id = sessions.tenant_id);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id);

CREATE TRIGGER tenants_access_version_to_credentials AFTER UPDATE OF access_version ON tenants
WHEN NEW.access_version IS NOT OLD.access_version
BEGIN
    UPDATE api_tokens SET access_version = NEW.access_version WHERE tenant_id = NEW.id AND revoked_at IS NULL;
    UPDATE sessions SET access_version = NEW.access_version WHERE tenant_id = NEW.id AND ended_at IS NULL;
END;

CREATE TRIGGER api_tokens_start_at_access_version AFTER INSERT ON api_tokens
BEGIN
    UPDATE api_tokens SET access_version = (SELECT access_version FROM tenants WHERE id = NEW.tenant_id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER sessions_start_at_access_version AFTER INSERT ON sessions
BEGIN
    UPDATE sessions SET access_version = (SELECT access_version FROM tenants WHERE id = NEW.tenant_id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER users_access_change AFTER UPDATE OF active, language ON users
WHEN NEW.active IS NOT OLD.active OR NEW.language IS NOT OLD.language
BEGIN
    UPDATE tenants SET access_version = access_version + 1 WHERE id = NEW.tenant_id;
END;
