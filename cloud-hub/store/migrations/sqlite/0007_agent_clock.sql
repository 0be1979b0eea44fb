-- Each agent's clock against the hub's (issue 11). The hub measures an
-- agent's offset on every batch (its own clock at receipt minus the batch's
-- sent_at) and dates the agent's events in hub time with the offset it
-- applies (clock_correction_ms, changed only when a measurement differs
-- from it by more than the tolerance; see store/rules.rs). events.occurred_at
-- is the corrected instant; the raw JSON keeps the agent's own stamp.
ALTER TABLE agents ADD COLUMN clock_offset_ms INTEGER;              -- last measured offset (None: never)
ALTER TABLE agents ADD COLUMN clock_measured_at INTEGER;            -- unix ms of that measurement
ALTER TABLE agents ADD COLUMN clock_correction_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN future_events INTEGER NOT NULL DEFAULT 0;  -- events dated beyond the bound after now
