-- The durable event buffer. An event row leaves only when the hub has
-- acknowledged its sequence number, or when the overflow policy drops it
-- (then its number is recorded in dropped_ranges and reported to the hub).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,   -- per-incarnation sequence number, from 1, gap-free
    occurred_at INTEGER NOT NULL,      -- unix milliseconds, for the oldest-event age
    droppable   INTEGER NOT NULL,      -- 1 for process-value samples (overflow policy may drop)
    record      TEXT NOT NULL          -- the wire JSON object of the event, without "seq"
);

CREATE INDEX events_droppable ON events (seq) WHERE droppable = 1;

CREATE TABLE dropped_ranges (
    first_seq INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL
);
