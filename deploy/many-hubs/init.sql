-- Run once when the PostgreSQL container creates its database.
-- The hub sends its statement timeout as a startup option
-- (database.statement_timeout_ms); PgBouncer drops that option
-- (ignore_startup_parameters in pgbouncer.ini), so the role carries it.
ALTER ROLE mes SET statement_timeout = '60s';
