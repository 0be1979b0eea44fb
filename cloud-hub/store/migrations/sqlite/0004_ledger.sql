-- The stock ledger (one row per movement, never edited), the balance per
-- stock key it maintains, the floor's operation facts, and the projection's
-- progress through the event log. Quantities are exact decimals as text.
CREATE TABLE stock_movements (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    movement_key TEXT NOT NULL,          -- the movement id: its source (event or document) and line
    from_event   INTEGER NOT NULL,       -- 1: projected from an event (rebuild deletes and re-derives it)
    site         TEXT NOT NULL,
    material     TEXT NOT NULL,
    lot          TEXT NOT NULL,          -- '' = no lot
    location     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    is_count     INTEGER NOT NULL,       -- 1: a stocktake count (quantity = counted balance)
    quantity     TEXT NOT NULL,          -- signed delta, or the counted balance
    occurred_at  INTEGER NOT NULL,
    recorded_at  INTEGER NOT NULL,
    production_order TEXT,
    body         TEXT NOT NULL,          -- the movement as JSON (rebuilds the pure ledger)
    UNIQUE (tenant_id, movement_key)
);
CREATE INDEX stock_movements_key ON stock_movements (tenant_id, material, lot, location, occurred_at);
CREATE INDEX stock_movements_order ON stock_movements (tenant_id, production_order, material)
    WHERE production_order IS NOT NULL;

CREATE TABLE stock_balances (
    tenant_id   TEXT NOT NULL,
    material    TEXT NOT NULL,
    lot         TEXT NOT NULL,
    location    TEXT NOT NULL,
    site        TEXT NOT NULL,
    quantity    TEXT NOT NULL,
    count_at    INTEGER,                 -- occurred_at of the latest stocktake count
    count_key   TEXT,                    -- its movement id (ties at the same instant)
    last_movement_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, material, lot, location)
) WITHOUT ROWID;
CREATE INDEX stock_balances_location ON stock_balances (tenant_id, location, material);

-- What the floor reported about operation runs: one row per event.
CREATE TABLE operation_facts (
    tenant_id        TEXT NOT NULL,
    event_row        INTEGER NOT NULL,
    execution        TEXT NOT NULL,
    production_order TEXT NOT NULL,
    operation        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    occurred_at      INTEGER NOT NULL,
    body             TEXT NOT NULL,      -- the event's data
    PRIMARY KEY (tenant_id, event_row)
) WITHOUT ROWID;
CREATE INDEX operation_facts_order ON operation_facts (tenant_id, production_order, occurred_at);

CREATE TABLE projection_cursors (
    tenant_id TEXT PRIMARY KEY,
    event_row INTEGER NOT NULL           -- events.id of the last event projected
);

-- Events the projection could not book (unknown material, no location…),
-- until master data is fixed and the log rebuilt.
CREATE TABLE projection_issues (
    tenant_id  TEXT NOT NULL,
    event_row  INTEGER NOT NULL,
    event_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, event_row)
) WITHOUT ROWID;

CREATE INDEX events_tenant_row ON events (tenant_id, id);
