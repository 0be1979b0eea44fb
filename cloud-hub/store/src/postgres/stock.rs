//! Stock as PostgreSQL answers it: balances by query and the movements
//! of a material, a tenant or production orders (what the stock pages,
//! the costing and the lot trace read).

use super::PgStore;
use crate::ledger::{BalanceQuery, BalanceRow, code, decimal, lot_from_column, movement};
use crate::{StoreError, TenantId};
use mes_protocols::Timestamp;
use mes_stock::Movement;
use tokio_postgres::types::ToSql;

impl PgStore {
    /// Balances by `query`.
    pub(crate) async fn balances(
        &self,
        tenant: TenantId,
        query: BalanceQuery,
    ) -> Result<Vec<BalanceRow>, StoreError> {
        let tenant = tenant.as_uuid();
        let mut args: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(tenant)];
        let mut sql = String::from(
            "SELECT material, lot, location, site, quantity, last_movement_at FROM stock_balances WHERE tenant_id = $1",
        );
        for (column, value) in [
            ("material", query.material),
            ("location", query.location),
            ("lot", query.lot),
            ("site", query.site),
        ] {
            if let Some(v) = value {
                args.push(Box::new(v));
                sql.push_str(&format!(" AND {column} = ${}", args.len()));
            }
        }
        if !query.include_zero {
            sql.push_str(" AND quantity <> '0'");
        }
        if let Some((m, l, loc)) = query.after {
            let a = args.len() + 1;
            args.push(Box::new(m));
            args.push(Box::new(l));
            args.push(Box::new(loc));
            // The leading `material >=` bound is implied by the row
            // comparison, but only it lets the planner start the index
            // scan at the key instead of filtering every row before it.
            sql.push_str(&format!(
                " AND material COLLATE \"C\" >= ${a} \
                 AND (material COLLATE \"C\", lot COLLATE \"C\", location COLLATE \"C\") > (${a}, ${}, ${})",
                a + 1,
                a + 2
            ));
        }
        args.push(Box::new(i64::try_from(query.limit).unwrap_or(i64::MAX)));
        sql.push_str(&format!(
            " ORDER BY material COLLATE \"C\", lot COLLATE \"C\", location COLLATE \"C\" LIMIT ${}",
            args.len()
        ));
        let client = self.pool.get().await?;
        let params: Vec<&(dyn ToSql + Sync)> =
            args.iter().map(|a| a.as_ref() as &(dyn ToSql + Sync)).collect();
        client
            .query(&sql, &params)
            .await?
            .iter()
            .map(|r| {
                Ok(BalanceRow {
                    material: code(r.try_get(0)?)?,
                    lot: lot_from_column(r.try_get(1)?),
                    location: code(r.try_get(2)?)?,
                    site: r.try_get(3)?,
                    quantity: decimal(r.try_get(4)?)?,
                    last_movement_at: Timestamp::from_unix_millis(r.try_get(5)?),
                })
            })
            .collect()
    }

    /// Every movement of `material` (optionally one lot and location).
    pub(crate) async fn movements_of(
        &self,
        tenant: TenantId,
        material: String,
        lot: Option<String>,
        location: Option<String>,
    ) -> Result<Vec<Movement>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        client
            .query(
                "SELECT body FROM stock_movements WHERE tenant_id = $1 AND material = $2
                   AND ($3::text IS NULL OR lot = $3) AND ($4::text IS NULL OR location = $4)",
                &[&tenant, &material, &lot, &location],
            )
            .await?
            .iter()
            .map(|r| movement(r.try_get(0)?))
            .collect()
    }

    /// Every movement of `tenant`.
    pub(crate) async fn all_movements(&self, tenant: TenantId) -> Result<Vec<Movement>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        client
            .query(
                "SELECT body FROM stock_movements WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?
            .iter()
            .map(|r| movement(r.try_get(0)?))
            .collect()
    }

    /// Every movement booked for production order `order`.
    pub(crate) async fn movements_of_order(
        &self,
        tenant: TenantId,
        order: String,
    ) -> Result<Vec<Movement>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        client
            .query(
                "SELECT body FROM stock_movements WHERE tenant_id = $1 AND production_order = $2",
                &[&tenant, &order],
            )
            .await?
            .iter()
            .map(|r| movement(r.try_get(0)?))
            .collect()
    }

    /// Every movement booked for any of `orders`.
    pub(crate) async fn movements_of_orders(
        &self,
        tenant: TenantId,
        orders: Vec<String>,
    ) -> Result<Vec<Movement>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        client
            .query(
                "SELECT body FROM stock_movements WHERE tenant_id = $1 AND production_order = ANY($2)",
                &[&tenant, &orders],
            )
            .await?
            .iter()
            .map(|r| movement(r.try_get(0)?))
            .collect()
    }
}
