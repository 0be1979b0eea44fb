-- Steering the plan (issue 17): every live plan is also kept by revision
-- (the last few per site), so a planner's undo can restore an earlier one
-- and an open board can be shown what moved between two revisions; a
-- what-if's result is a draft any hub replica can accept; each planner's
-- accepted changes are a stack of steps to undo and redo.
CREATE TABLE plan_revisions (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    site            TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    records_version INTEGER NOT NULL,
    event_cursor    INTEGER NOT NULL,
    trigger_reason  TEXT NOT NULL,
    body            TEXT NOT NULL,         -- JSON: the plan document
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, site, revision)
) WITHOUT ROWID;

CREATE TABLE plan_drafts (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    site          TEXT NOT NULL,
    draft_id      TEXT NOT NULL,
    author        TEXT NOT NULL,           -- the user's login
    base_revision INTEGER NOT NULL,        -- the live plan it was made from
    body          TEXT NOT NULL,           -- JSON: the plan document it would store
    answer        TEXT NOT NULL,           -- JSON: the changes and their consequences
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, site, draft_id)
) WITHOUT ROWID;

CREATE TABLE plan_steps (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    site            TEXT NOT NULL,
    author          TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    before_revision INTEGER NOT NULL,      -- restored by an undo
    after_revision  INTEGER NOT NULL,      -- restored by a redo
    result_revision INTEGER NOT NULL,      -- the live revision its last do/undo/redo made
    undone          INTEGER NOT NULL,      -- 0 or 1 (boolean)
    summary         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, site, author, seq)
) WITHOUT ROWID;
