-- The last actual cost of each production order as reported, so a report
-- can say when its figures changed (a late event re-costs an order).
CREATE TABLE order_cost_snapshots (
    tenant_id        TEXT NOT NULL,
    production_order TEXT NOT NULL,
    figures          TEXT NOT NULL,      -- the order's cost (JSON) as last reported
    first_costed_at  INTEGER NOT NULL,   -- unix ms of the first report
    changed_at       INTEGER NOT NULL,   -- unix ms of the report whose figures differed from the one before
    previous         TEXT,               -- the figures before that change
    PRIMARY KEY (tenant_id, production_order)
);
