//! `[cluster]`: several hubs on one PostgreSQL database (documented in
//! `config/cloud-hub.toml`). Ignored on SQLite, which one hub serves.

use serde::Deserialize;

/// `[cluster]` in the hub's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// How long a tenant lease (and a replica's heartbeat) lasts without
    /// renewal, in milliseconds. A replica that dies holds its tenants'
    /// background work at most this long plus two renewal rounds; a
    /// replica that cannot reach the database stops working on a tenant
    /// when its lease runs out.
    pub lease_ms: u64,
    /// How often a replica renews its leases and heartbeat and takes or
    /// gives up leases, in milliseconds; at most a third of `lease_ms`.
    pub renew_ms: u64,
    /// This replica's name in the lease table and `/healthz`; empty: the
    /// host name and process id with a random suffix (unique per start).
    pub replica_id: String,
    /// The PostgreSQL URL of the one direct connection that listens for
    /// other replicas' live notices (`LISTEN` does not work through
    /// PgBouncer in transaction mode); empty: `database.url`.
    /// Environment: `MES_HUB_LISTEN_URL`.
    pub listen_url: String,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            lease_ms: 5_000,
            renew_ms: 1_000,
            replica_id: String::new(),
            listen_url: String::new(),
        }
    }
}

impl ClusterConfig {
    /// The key and reason of the first bad value.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.lease_ms < 1_000 {
            return Err(("cluster.lease_ms", "must be at least 1000".into()));
        }
        if self.renew_ms == 0 || self.renew_ms.saturating_mul(3) > self.lease_ms {
            return Err((
                "cluster.renew_ms",
                format!(
                    "must be positive and at most a third of cluster.lease_ms ({}), so a lease is \
                     renewed twice before it runs out",
                    self.lease_ms
                ),
            ));
        }
        if self.replica_id.len() > 200 || self.replica_id.chars().any(char::is_control) {
            return Err((
                "cluster.replica_id",
                "at most 200 characters, none a control character".into(),
            ));
        }
        if self.listen_url.is_empty() {
            return Ok(());
        }
        // The same URL rules as `database.url` (and its password redacted
        // in the message).
        let as_database = crate::store::config::DatabaseConfig {
            url: self.listen_url.clone(),
            ..crate::store::config::DatabaseConfig::default()
        };
        match as_database.location() {
            Ok(crate::store::config::DatabaseLocation::Postgres(_)) => Ok(()),
            Ok(crate::store::config::DatabaseLocation::Sqlite(_)) => {
                Err(("cluster.listen_url", "must be a postgres:// URL or empty".into()))
            }
            Err(reason) => Err(("cluster.listen_url", reason)),
        }
    }

    /// The bound on how long a dead replica's tenants wait for another
    /// replica: the lease runs out, then the next two rounds (the first
    /// may still count the dead replica alive) take it.
    pub fn takeover_bound(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.lease_ms + 2 * self.renew_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_their_key() {
        let mut c = ClusterConfig::default();
        assert_eq!(c.check(), Ok(()));
        c.renew_ms = 2_000;
        assert_eq!(c.check().expect_err("renewed too rarely").0, "cluster.renew_ms");
        c = ClusterConfig {
            listen_url: "mysql://x".into(),
            ..ClusterConfig::default()
        };
        assert_eq!(c.check().expect_err("not postgres").0, "cluster.listen_url");
    }
}
