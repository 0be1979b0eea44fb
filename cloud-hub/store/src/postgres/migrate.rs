//! Numbered PostgreSQL migrations (`cloud-hub/store/migrations/postgres/`),
//! applied at start; never edit one that has landed.
//!
//! All pending migrations run in one transaction that first takes a
//! transaction-scoped advisory lock, so two hubs starting at once against
//! the same database do not race: the second waits, then finds everything
//! applied. PostgreSQL's DDL is transactional, so a failed migration leaves
//! nothing half-done. Applied versions are rows of `schema_migrations`.

use crate::{StoreError, now_ms};
use tokio_postgres::Client;

/// (version, name, SQL), in order; versions are the file numbers.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "0001_core",
        include_str!("../../migrations/postgres/0001_core.sql"),
    ),
    (
        2,
        "0002_master_records",
        include_str!("../../migrations/postgres/0002_master_records.sql"),
    ),
    (
        3,
        "0003_ledger",
        include_str!("../../migrations/postgres/0003_ledger.sql"),
    ),
    (
        4,
        "0004_plans",
        include_str!("../../migrations/postgres/0004_plans.sql"),
    ),
    (
        5,
        "0005_order_cost_snapshots",
        include_str!("../../migrations/postgres/0005_order_cost_snapshots.sql"),
    ),
    (
        6,
        "0006_stock_balances_bytewise_index",
        include_str!("../../migrations/postgres/0006_stock_balances_bytewise_index.sql"),
    ),
    (
        7,
        "0007_agent_clock",
        include_str!("../../migrations/postgres/0007_agent_clock.sql"),
    ),
    (
        8,
        "0008_revocation",
        include_str!("../../migrations/postgres/0008_revocation.sql"),
    ),
    (
        9,
        "0009_access",
        include_str!("../../migrations/postgres/0009_access.sql"),
    ),
    (
        10,
        "0010_credential_access_version",
        include_str!("../../migrations/postgres/0010_credential_access_version.sql"),
    ),
    (
        11,
        "0011_event_keys",
        include_str!("../../migrations/postgres/0011_event_keys.sql"),
    ),
    (
        12,
        "0012_replica_leases",
        include_str!("../../migrations/postgres/0012_replica_leases.sql"),
    ),
    (
        13,
        "0013_plan_steering",
        include_str!("../../migrations/postgres/0013_plan_steering.sql"),
    ),
];

/// Key of the advisory lock held while migrating (any fixed number that no
/// other code of this database uses; here the ASCII of "meshubmg").
const MIGRATION_LOCK: i64 = 0x6d65_7368_7562_6d67;

/// Applies the migrations the database has not seen yet; refuses a database
/// migrated by a newer hub.
pub(super) async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    // Not a NOTICE in the hub's log at every start ("already exists").
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .await?;
    // A migration may build an index over every event: no time limit
    // (`database.statement_timeout_ms` is for requests and steps).
    tx.batch_execute("SET LOCAL statement_timeout = 0").await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at bigint NOT NULL
         )",
    )
    .await?;
    let found: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])
        .await?
        .try_get(0)?;
    let known = MIGRATIONS.last().map_or(0, |(v, _, _)| *v);
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > found) {
        tracing::info!(version, name, "applying database migration");
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[version, name, &now_ms()],
        )
        .await?;
    }
    // Tenants made before users existed get their roles and service user.
    super::people::seed_all_tenants(&tx).await?;
    tx.commit().await?;
    Ok(())
}
