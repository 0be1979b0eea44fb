//! The hub's configuration: one TOML file, every key documented in
//! `config/cloud-hub.toml`. Defaults run the hub on an embedded SQLite file
//! with no file at all.

use mes_protocols::config_text::{ConfigError, parse_toml};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;

/// Environment variable overriding `database.url` (it may hold a password).
pub const ENV_DATABASE_URL: &str = "MES_HUB_DATABASE_URL";

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

/// The database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` for the embedded store (the default, `sqlite://cloud-hub.db`).
    /// Environment: `MES_HUB_DATABASE_URL`.
    pub url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://cloud-hub.db".into(),
        }
    }
}

impl DatabaseConfig {
    /// The SQLite file path of a `sqlite://` URL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.url.strip_prefix("sqlite://").map(Path::new)
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
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
            max_inflated_bytes: 64 * 1024 * 1024,
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
    check(&config, &name)?;
    Ok(config)
}

fn check(config: &HubConfig, file: &str) -> Result<(), ConfigError> {
    match config.database.sqlite_path() {
        Some(p) if p.as_os_str().is_empty() => {
            return Err(ConfigError::new(
                file,
                "database.url",
                "sqlite:// needs a file path, e.g. sqlite://cloud-hub.db",
            ));
        }
        Some(_) => {}
        None if config.database.url.starts_with("postgres://")
            || config.database.url.starts_with("postgresql://") =>
        {
            return Err(ConfigError::new(
                file,
                "database.url",
                "PostgreSQL support arrives with the ERP core; this build stores in SQLite (sqlite://PATH)",
            ));
        }
        None => {
            return Err(ConfigError::new(
                file,
                "database.url",
                format!("`{}` is not a sqlite:// URL", config.database.url),
            ));
        }
    }
    if config.ingest.max_body_bytes == 0 || config.ingest.max_inflated_bytes < config.ingest.max_body_bytes {
        return Err(ConfigError::new(
            file,
            "ingest.max_inflated_bytes",
            "must be positive and at least ingest.max_body_bytes",
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
}
