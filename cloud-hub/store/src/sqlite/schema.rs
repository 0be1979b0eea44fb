//! Numbered SQLite migrations (`cloud-hub/store/migrations/sqlite/`), applied at
//! start; the applied count is `PRAGMA user_version`. Never edit one that has
//! landed.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_core.sql"),
    include_str!("../../migrations/sqlite/0002_event_id_per_tenant.sql"),
    include_str!("../../migrations/sqlite/0003_master_records.sql"),
    include_str!("../../migrations/sqlite/0004_ledger.sql"),
    include_str!("../../migrations/sqlite/0005_plans.sql"),
    include_str!("../../migrations/sqlite/0006_order_cost_snapshots.sql"),
    include_str!("../../migrations/sqlite/0007_agent_clock.sql"),
    include_str!("../../migrations/sqlite/0008_revocation.sql"),
    include_str!("../../migrations/sqlite/0009_access.sql"),
    include_str!("../../migrations/sqlite/0010_credential_access_version.sql"),
    include_str!("../../migrations/sqlite/0011_event_keys.sql"),
    include_str!("../../migrations/sqlite/0012_replica_leases.sql"),
    include_str!("../../migrations/sqlite/0013_plan_steering.sql"),
];

/// Applies the migrations the database has not seen yet.
pub(super) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let applied: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        conn.execute_batch(&format!("BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;", i + 1))?;
    }
    Ok(())
}
