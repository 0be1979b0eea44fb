//! The event kinds whose latest event per value of one field of their data
//! the store finds through an index (migration 0011, the same on both
//! backends): a machine's state, a station's operation, a worker's clock.
//! [`crate::Store::latest_per_key`] asks [`keyed`] whether an index serves
//! its question; then it seeks once per key instead of reading every event
//! of the kinds, else it reads them all as before.
//!
//! The indexes are partial (only their kinds' rows) and keyed by an
//! expression; a query uses one only when it repeats the index's kind term
//! and key expression, so both are spelt here once and the migrations
//! spell them the same (checked by this file's test).

/// One partial index of the event log, keyed by a field of the events'
/// data.
#[derive(Debug)]
pub(crate) struct KeyedEvents {
    /// The field, dots for nested ones (`run.station`).
    pub path: &'static str,
    /// The kinds the index holds.
    pub kinds: &'static [&'static str],
}

/// Every keyed index of the event log.
pub(crate) const KEYED: &[KeyedEvents] = &[
    KeyedEvents {
        path: "equipment",
        kinds: &["equipment_state_changed"],
    },
    KeyedEvents {
        path: "run.station",
        kinds: &[
            "operation_started",
            "operation_paused",
            "operation_resumed",
            "operation_finished",
        ],
    },
    KeyedEvents {
        path: "worker",
        kinds: &["worker_clocked_in", "worker_clocked_out"],
    },
];

/// The index holding every kind of `kinds` keyed by `path`, if there is one.
pub(crate) fn keyed(kinds: &[&str], path: &str) -> Option<&'static KeyedEvents> {
    KEYED
        .iter()
        .find(|k| k.path == path && !kinds.is_empty() && kinds.iter().all(|kind| k.kinds.contains(kind)))
}

impl KeyedEvents {
    /// The index's WHERE term on the events of `alias` (`"x."`, or `""`
    /// for the bare table): `kind IN ('a', 'b')`.
    pub(crate) fn kind_term(&self, alias: &str) -> String {
        let kinds: Vec<String> = self.kinds.iter().map(|k| format!("'{k}'")).collect();
        format!("{alias}kind IN ({})", kinds.join(", "))
    }

    /// SQLite's key expression on the events of `alias`.
    pub(crate) fn sqlite_key(&self, alias: &str) -> String {
        format!("json_extract({alias}raw, '$.data.{}')", self.path)
    }

    /// PostgreSQL's key expression on the events of `alias` (bytewise order).
    pub(crate) fn pg_key(&self, alias: &str) -> String {
        format!(
            "(({alias}raw::jsonb #>> '{{data,{}}}') COLLATE \"C\")",
            self.path.replace('.', ",")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The migration's text with runs of white space as one space.
    fn squeezed(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn the_migrations_spell_every_index_as_the_queries_do() {
        let sqlite = squeezed(include_str!("../migrations/sqlite/0011_event_keys.sql"));
        let pg = squeezed(include_str!("../migrations/postgres/0011_event_keys.sql"));
        for k in KEYED {
            let sqlite_index = format!(
                "(tenant_id, {}, occurred_at, id) WHERE {}",
                k.sqlite_key(""),
                k.kind_term("")
            );
            assert!(
                sqlite.contains(&sqlite_index),
                "SQLite migration lacks {sqlite_index}"
            );
            let pg_index = format!(
                "(tenant_id, {}, occurred_at, id) WHERE {}",
                k.pg_key(""),
                k.kind_term("")
            );
            assert!(pg.contains(&pg_index), "PostgreSQL migration lacks {pg_index}");
        }
    }

    #[test]
    fn an_index_serves_only_kinds_it_holds_by_its_own_field() {
        assert!(keyed(&["operation_started"], "run.station").is_some());
        assert!(keyed(&["operation_started", "operation_finished"], "run.station").is_some());
        assert!(keyed(&["operation_started", "output_reported"], "run.station").is_none());
        assert!(keyed(&["equipment_state_changed"], "run.station").is_none());
        assert!(keyed(&[], "equipment").is_none());
    }
}
