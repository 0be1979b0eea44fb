-- Steering the plan (issue 17): every live plan is also kept by revision
-- (the last few per site), so a planner's undo can restore an earlier one
-- and an open board can be shown what moved between two revisions; a
-- what-if's result is a draft any hub replica can accept; each planner's
-- accepted changes are a stack of steps to undo and redo.
CREATE TABLE plan_revisions (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    site            text NOT NULL,
    revision        bigint NOT NULL,
    records_version bigint NOT NULL,
    event_cursor    bigint NOT NULL,
    trigger_reason  text NOT NULL,
    body            jsonb NOT NULL,        -- the plan document
    created_at      bigint NOT NULL,
    PRIMARY KEY (tenant_id, site, revision)
);

CREATE TABLE plan_drafts (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    site          text NOT NULL,
    draft_id      text NOT NULL,
    author        text NOT NULL,           -- the user's login
    base_revision bigint NOT NULL,        -- the live plan it was made from
    body          jsonb NOT NULL,          -- the plan document it would store
    answer        jsonb NOT NULL,          -- the changes and their consequences
    created_at    bigint NOT NULL,
    PRIMARY KEY (tenant_id, site, draft_id)
);

CREATE TABLE plan_steps (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    site            text NOT NULL,
    author          text NOT NULL,
    seq             bigint NOT NULL,
    before_revision bigint NOT NULL,      -- restored by an undo
    after_revision  bigint NOT NULL,      -- restored by a redo
    result_revision bigint NOT NULL,      -- the live revision its last do/undo/redo made
    undone          boolean NOT NULL,
    summary         text NOT NULL,
    created_at      bigint NOT NULL,
    PRIMARY KEY (tenant_id, site, author, seq)
);
