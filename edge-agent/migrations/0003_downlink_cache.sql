-- The downlink cache: the hub's master data and released orders for this
-- agent's site (protocols/src/downlink), kept so that stations work offline.
-- One row per record key; `record` is the record's JSON as the hub sent it.
-- `generation` marks rows of a snapshot in progress: a snapshot writes its
-- rows with the next generation and, on its last page, deletes the rest.
CREATE TABLE downlink_records (
    kind       TEXT NOT NULL,              -- station, equipment, worker, material, lot, order, reason
    material   TEXT NOT NULL DEFAULT '',   -- the lot's material; '' for other kinds
    code       TEXT NOT NULL,
    generation INTEGER NOT NULL,
    record     TEXT NOT NULL,
    PRIMARY KEY (kind, material, code)
) WITHOUT ROWID;

-- cursor: the last applied page's cursor; generation: the live generation;
-- snapshot: the generation of a snapshot in progress, if any.
CREATE TABLE downlink_meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
