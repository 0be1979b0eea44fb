-- Revoking an API token and disabling an agent (issue 12): a revoked token
-- or a disabled agent's token no longer authenticates. Rows are kept (the
-- agent's events and sync state stay; an agent can be enabled again).
ALTER TABLE api_tokens ADD COLUMN revoked_at bigint;
ALTER TABLE agents ADD COLUMN disabled_at bigint;
