-- The stock list pages in bytewise key order (COLLATE "C", as SQLite
-- compares), which the primary key's index (database collation) cannot
-- serve: without this index every page sorted all of a tenant's balances.
CREATE INDEX stock_balances_bytewise ON stock_balances
    (tenant_id, material COLLATE "C", lot COLLATE "C", location COLLATE "C");
