//! Stock as SQLite answers it: balances by query and the movements of a
//! material, a tenant or production orders (what the stock pages, the
//! costing and the lot trace read).

use super::SqliteStore;
use crate::ledger::{BalanceQuery, BalanceRow, code, decimal, lot_from_column, movement};
use crate::{StoreError, TenantId};
use mes_protocols::Timestamp;
use mes_stock::Movement;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params, params_from_iter};

impl SqliteStore {
    /// Balances by `query`.
    pub(crate) async fn balances(
        &self,
        tenant: TenantId,
        query: BalanceQuery,
    ) -> Result<Vec<BalanceRow>, StoreError> {
        self.read(move |conn| {
            let mut sql = String::from(
                "SELECT material, lot, location, site, quantity, last_movement_at FROM stock_balances
                 WHERE tenant_id = ?1",
            );
            let mut args: Vec<SqlValue> = vec![tenant.into()];
            for (column, value) in [
                ("material", query.material),
                ("location", query.location),
                ("lot", query.lot),
                ("site", query.site),
            ] {
                if let Some(v) = value {
                    args.push(v.into());
                    sql.push_str(&format!(" AND {column} = ?{}", args.len()));
                }
            }
            if !query.include_zero {
                // Balances are stored normalised: zero is exactly '0'.
                sql.push_str(" AND quantity <> '0'");
            }
            if let Some((m, l, loc)) = query.after {
                args.push(m.into());
                let a = args.len();
                args.push(l.into());
                args.push(loc.into());
                sql.push_str(&format!(
                    " AND (material, lot, location) > (?{a}, ?{}, ?{})",
                    a + 1,
                    a + 2
                ));
            }
            args.push(i64::try_from(query.limit).unwrap_or(i64::MAX).into());
            sql.push_str(&format!(
                " ORDER BY material, lot, location LIMIT ?{}",
                args.len()
            ));
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(args), |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(material, lot, location, site, quantity, last)| {
                    Ok(BalanceRow {
                        material: code(&material)?,
                        lot: lot_from_column(&lot),
                        location: code(&location)?,
                        site,
                        quantity: decimal(&quantity)?,
                        last_movement_at: Timestamp::from_unix_millis(last),
                    })
                })
                .collect()
        })
        .await
    }

    /// Every movement of `material` (optionally one lot and location), in
    /// no particular order.
    pub(crate) async fn movements_of(
        &self,
        tenant: TenantId,
        material: String,
        lot: Option<String>,
        location: Option<String>,
    ) -> Result<Vec<Movement>, StoreError> {
        self.read(move |conn| {
            movements_where(
                conn,
                "SELECT body FROM stock_movements WHERE tenant_id = ?1 AND material = ?2
                   AND (?3 IS NULL OR lot = ?3) AND (?4 IS NULL OR location = ?4)",
                params![tenant, material, lot, location],
            )
        })
        .await
    }

    /// Every movement of `tenant`.
    pub(crate) async fn all_movements(&self, tenant: TenantId) -> Result<Vec<Movement>, StoreError> {
        self.read(move |conn| {
            movements_where(
                conn,
                "SELECT body FROM stock_movements WHERE tenant_id = ?1",
                params![tenant],
            )
        })
        .await
    }

    /// Every movement booked for production order `order`.
    pub(crate) async fn movements_of_order(
        &self,
        tenant: TenantId,
        order: String,
    ) -> Result<Vec<Movement>, StoreError> {
        self.read(move |conn| {
            movements_where(
                conn,
                "SELECT body FROM stock_movements WHERE tenant_id = ?1 AND production_order = ?2",
                params![tenant, order],
            )
        })
        .await
    }

    /// Every movement booked for any of `orders` (a JSON array bound once).
    pub(crate) async fn movements_of_orders(
        &self,
        tenant: TenantId,
        orders: Vec<String>,
    ) -> Result<Vec<Movement>, StoreError> {
        let list = serde_json::to_string(&orders)
            .map_err(|e| StoreError::Task(format!("order list as JSON: {e}")))?;
        self.read(move |conn| {
            movements_where(
                conn,
                "SELECT body FROM stock_movements WHERE tenant_id = ?1
                 AND production_order IS NOT NULL
                 AND production_order IN (SELECT value FROM json_each(?2))",
                params![tenant, list],
            )
        })
        .await
    }
}

/// The movements whose bodies `sql` (`SELECT body FROM stock_movements
/// WHERE …`) selects with `args`.
fn movements_where(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Movement>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let bodies = stmt
        .query_map(args, |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    bodies.iter().map(|b| movement(b)).collect()
}
