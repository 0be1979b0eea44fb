-- The stock ledger (one row per movement, never edited), the balance per
-- stock key it maintains, the floor's operation facts, and the projection's
-- progress through the event log. Quantities are exact decimals as text.
CREATE TABLE stock_movements (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    movement_key text NOT NULL,          -- the movement id: its source (event or document) and line
    from_event   boolean NOT NULL,      -- true: projected from an event (rebuild deletes and re-derives it)
    site         text NOT NULL,
    material     text NOT NULL,
    lot          text NOT NULL,          -- '' = no lot
    location     text NOT NULL,
    kind         text NOT NULL,
    is_count     boolean NOT NULL,      -- true: a stocktake count (quantity = counted balance)
    quantity     text NOT NULL,          -- signed delta, or the counted balance
    occurred_at  bigint NOT NULL,
    recorded_at  bigint NOT NULL,
    production_order text,
    body         text NOT NULL,          -- the movement as JSON (rebuilds the pure ledger)
    UNIQUE (tenant_id, movement_key)
);
CREATE INDEX stock_movements_key ON stock_movements (tenant_id, material, lot, location, occurred_at);
CREATE INDEX stock_movements_order ON stock_movements (tenant_id, production_order, material)
    WHERE production_order IS NOT NULL;

CREATE TABLE stock_balances (
    tenant_id   uuid NOT NULL,
    material    text NOT NULL,
    lot         text NOT NULL,
    location    text NOT NULL,
    site        text NOT NULL,
    quantity    text NOT NULL,
    count_at    bigint,                 -- occurred_at of the latest stocktake count
    count_key   text,                    -- its movement id (ties at the same instant)
    last_movement_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, material, lot, location)
);
CREATE INDEX stock_balances_location ON stock_balances (tenant_id, location, material);

-- What the floor reported about operation runs: one row per event.
CREATE TABLE operation_facts (
    tenant_id        uuid NOT NULL,
    event_row        bigint NOT NULL,
    execution        text NOT NULL,
    production_order text NOT NULL,
    operation        text NOT NULL,
    kind             text NOT NULL,
    occurred_at      bigint NOT NULL,
    body             text NOT NULL,      -- the event's data
    PRIMARY KEY (tenant_id, event_row)
);
CREATE INDEX operation_facts_order ON operation_facts (tenant_id, production_order, occurred_at);

CREATE TABLE projection_cursors (
    tenant_id uuid PRIMARY KEY,
    event_row bigint NOT NULL           -- events.id of the last event projected
);

-- Events the projection could not book (unknown material, no location…),
-- until master data is fixed and the log rebuilt.
CREATE TABLE projection_issues (
    tenant_id  uuid NOT NULL,
    event_row  bigint NOT NULL,
    event_id   text NOT NULL,
    kind       text NOT NULL,
    reason     text NOT NULL,
    at         bigint NOT NULL,
    PRIMARY KEY (tenant_id, event_row)
);

CREATE INDEX events_tenant_row ON events (tenant_id, id);
