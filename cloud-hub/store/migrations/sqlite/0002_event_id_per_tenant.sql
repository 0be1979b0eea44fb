-- Event ids are unique per tenant, not across tenants: an event id another
-- tenant happens to hold must not make this tenant's event a "duplicate".
DROP INDEX events_event_id;
CREATE UNIQUE INDEX events_tenant_event_id ON events (tenant_id, event_id);
