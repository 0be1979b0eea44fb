//! The hub's configuration: one TOML file, every key documented in
//! `config/cloud-hub.toml`. Defaults run the hub on an embedded SQLite file
//! with no file at all; `database.url = "postgres://…"` runs it on PostgreSQL.

use mes_protocols::config_text::{ConfigError, parse_toml};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;

pub use crate::store::config::{DatabaseConfig, DatabaseLocation, redact_url};

/// Environment variable overriding `database.url` (it may hold a password).
pub const ENV_DATABASE_URL: &str = "MES_HUB_DATABASE_URL";

/// Environment variable overriding `cluster.listen_url` (it may hold a
/// password).
pub const ENV_LISTEN_URL: &str = "MES_HUB_LISTEN_URL";

/// The whole hub configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubConfig {
    /// The HTTP server.
    pub http: HttpConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// Limits of agent batches.
    pub ingest: IngestConfig,
    /// Scheduling: how plans are made and re-planned.
    pub planning: crate::planning::config::PlanningConfig,
    /// The projection of events into the stock ledger.
    pub projection: crate::projection::ProjectionConfig,
    /// Browser sessions and login limits.
    pub access: crate::access::config::AccessConfig,
    /// Several hubs on one PostgreSQL: tenant leases, live notices.
    pub cluster: crate::cluster::ClusterConfig,
}

/// The HTTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to listen on. Put a TLS-terminating proxy in front for the
    /// internet.
    pub listen: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        }
    }
}

/// Limits of agent batches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Largest request body as sent (usually gzip), in bytes.
    pub max_body_bytes: usize,
    /// Largest batch once decompressed, in bytes.
    pub max_inflated_bytes: usize,
    /// Bytes all batches being received, decoded and stored may hold in
    /// memory together (a batch counts its body plus three times its
    /// inflated size). A batch that finds no room within 2 s is answered
    /// 503 with `Retry-After`, and the agent sends it again later. A batch
    /// larger than the whole budget waits until it can run alone.
    pub max_inflight_bytes: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
            max_inflated_bytes: 64 * 1024 * 1024,
            max_inflight_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Loads `path` (or defaults), applies the environment, checks the result.
pub fn load(path: Option<&Path>) -> Result<HubConfig, ConfigError> {
    let (name, mut config) = match path {
        Some(p) => {
            let name = p.display().to_string();
            let text = std::fs::read_to_string(p)
                .map_err(|e| ConfigError::new(&name, "", format!("cannot read the file: {e}")))?;
            let config = parse_toml(&name, &text)?;
            (name, config)
        }
        None => ("defaults".to_string(), HubConfig::default()),
    };
    if let Ok(url) = std::env::var(ENV_DATABASE_URL) {
        config.database.url = url.trim().to_string();
    }
    if let Ok(url) = std::env::var(ENV_LISTEN_URL) {
        config.cluster.listen_url = url.trim().to_string();
    }
    check(&config, &name)?;
    Ok(config)
}

fn check(config: &HubConfig, file: &str) -> Result<(), ConfigError> {
    if let Err((key, reason)) = config.planning.check() {
        return Err(ConfigError::new(file, key, reason));
    }
    if let Err((key, reason)) = config.access.check() {
        return Err(ConfigError::new(file, key, reason));
    }
    if let Err((key, reason)) = config.cluster.check() {
        return Err(ConfigError::new(file, key, reason));
    }
    config
        .database
        .location()
        .map_err(|reason| ConfigError::new(file, "database.url", reason))?;
    if config.database.max_connections == 0 {
        return Err(ConfigError::new(
            file,
            "database.max_connections",
            "must be at least 1",
        ));
    }
    if config.ingest.max_body_bytes == 0 || config.ingest.max_inflated_bytes < config.ingest.max_body_bytes {
        return Err(ConfigError::new(
            file,
            "ingest.max_inflated_bytes",
            "must be positive and at least ingest.max_body_bytes",
        ));
    }
    if config.ingest.max_inflight_bytes < config.ingest.max_body_bytes {
        return Err(ConfigError::new(
            file,
            "ingest.max_inflight_bytes",
            "must be at least ingest.max_body_bytes (else no batch could be read)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_urls_are_named() {
        let err = parse_toml::<HubConfig>("hub.toml", "[database]\nuri = \"x\"\n").expect_err("unknown key");
        assert!(err.to_string().contains("uri"), "{err}");
        let config =
            parse_toml::<HubConfig>("hub.toml", "[database]\nurl = \"mysql://x\"\n").expect("parses");
        assert_eq!(
            check(&config, "hub.toml").expect_err("bad url").key,
            "database.url"
        );
    }

    #[test]
    fn postgres_urls_are_accepted_and_checked() {
        let parse = |url: &str| {
            let text = format!("[database]\nurl = \"{url}\"\n");
            let config = parse_toml::<HubConfig>("hub.toml", &text).expect("parses");
            check(&config, "hub.toml").map(|()| config)
        };
        let config = parse("postgres://mes:s3cret@db.internal:5432/mes").expect("a valid URL");
        assert!(matches!(
            config.database.location(),
            Ok(DatabaseLocation::Postgres(_))
        ));
        assert!(parse("postgresql://mes@localhost/mes?connect_timeout=5").is_ok());
        let err = parse("postgres://mes:s3cret@db:notaport/mes").expect_err("bad port");
        assert_eq!(err.key, "database.url");
        assert!(!err.to_string().contains("s3cret"), "{err}");
        let err = parse("postgres://mes@db/mes?sslmode=require").expect_err("no TLS yet");
        assert!(err.to_string().contains("TLS"), "{err}");
    }
}
