-- Small pieces of agent state that must change atomically with the events
-- they explain (a counter's last raw value with the parts_counted event
-- computed from it; who is clocked in at a station with the clock event).
CREATE TABLE agent_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
