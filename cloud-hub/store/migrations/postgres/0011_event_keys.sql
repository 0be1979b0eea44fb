-- The console's board (issue 16) asks for the latest event per machine,
-- station and worker of a site, and the parts counted since the shift
-- began. Without these it read every event of those kinds the tenant ever
-- had; with them it seeks once per key (`keyed.rs` declares the same
-- expressions and kinds, which the queries repeat, so the planner can
-- prove a query's rows are in the partial index). Keys compare bytewise.
CREATE INDEX IF NOT EXISTS events_state_by_equipment ON events
    (tenant_id, ((raw::jsonb #>> '{data,equipment}') COLLATE "C"), occurred_at, id)
    WHERE kind IN ('equipment_state_changed');
CREATE INDEX IF NOT EXISTS events_operation_by_station ON events
    (tenant_id, ((raw::jsonb #>> '{data,run,station}') COLLATE "C"), occurred_at, id)
    WHERE kind IN ('operation_started', 'operation_paused', 'operation_resumed', 'operation_finished');
CREATE INDEX IF NOT EXISTS events_clock_by_worker ON events
    (tenant_id, ((raw::jsonb #>> '{data,worker}') COLLATE "C"), occurred_at, id)
    WHERE kind IN ('worker_clocked_in', 'worker_clocked_out');
CREATE INDEX IF NOT EXISTS events_parts_by_time ON events (tenant_id, occurred_at) WHERE kind = 'parts_counted';
