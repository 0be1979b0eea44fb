//! The hub's configuration: one TOML file, every key documented in
//! `config/cloud-hub.toml`. Defaults run the hub on an embedded SQLite file
//! with no file at all; `database.url = "postgres://…"` runs it on PostgreSQL.

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
    /// Scheduling: how plans are made and re-planned.
    pub planning: crate::planning::config::PlanningConfig,
    /// The projection of events into the stock ledger.
    pub projection: crate::projection::ProjectionConfig,
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
    /// `sqlite://PATH` for the embedded store (the default, `sqlite://cloud-hub.db`)
    /// or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?options]` for
    /// PostgreSQL. Environment: `MES_HUB_DATABASE_URL` (it may hold the
    /// password; the hub never logs it).
    pub url: String,
    /// Most connections the hub opens to PostgreSQL (ignored for SQLite,
    /// which uses one writer and one reader).
    pub max_connections: usize,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://cloud-hub.db".into(),
            max_connections: 16,
        }
    }
}

/// Where `database.url` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseLocation<'a> {
    /// An embedded SQLite file.
    Sqlite(&'a Path),
    /// A PostgreSQL server; the URL as written (it may hold a password).
    Postgres(&'a str),
}

impl DatabaseConfig {
    /// The SQLite file path of a `sqlite://` URL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.url.strip_prefix("sqlite://").map(Path::new)
    }

    /// Where the URL points, or why it points nowhere this hub can go.
    pub fn location(&self) -> Result<DatabaseLocation<'_>, String> {
        if let Some(path) = self.sqlite_path() {
            if path.as_os_str().is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://cloud-hub.db".into());
            }
            return Ok(DatabaseLocation::Sqlite(path));
        }
        if self.url.starts_with("postgres://") || self.url.starts_with("postgresql://") {
            check_postgres_url(&self.url)?;
            return Ok(DatabaseLocation::Postgres(&self.url));
        }
        Err(format!(
            "`{}` is not a sqlite:// URL or a postgres:// URL: use sqlite://PATH or \
             postgres://USER@HOST:PORT/DATABASE",
            self.redacted_url()
        ))
    }

    /// The URL with any password replaced by `***`: the only form of it
    /// that may be logged or shown in an error.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }
}

/// Checks the shape of a PostgreSQL URL without connecting.
fn check_postgres_url(url: &str) -> Result<(), String> {
    let parsed: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("`{}` is not a valid PostgreSQL URL: {e}", redact_url(url)))?;
    if parsed.get_hosts().is_empty() {
        return Err("the PostgreSQL URL names no host, e.g. postgres://mes@db.internal:5432/mes".into());
    }
    if parsed.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        return Err(
            "sslmode=require: this build connects to PostgreSQL without TLS; use a private network \
             or a local TLS tunnel, with sslmode=disable or prefer"
                .into(),
        );
    }
    Ok(())
}

/// `url` with the password of its user part and any `password=` query
/// parameter replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => before_query.split_at(i),
        None => (before_query, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{user_info}@{host}"),
        },
        None => authority.to_string(),
    };
    let mut out = if scheme.is_empty() {
        format!("{authority}{path}")
    } else {
        format!("{scheme}://{authority}{path}")
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
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
    check(&config, &name)?;
    Ok(config)
}

fn check(config: &HubConfig, file: &str) -> Result<(), ConfigError> {
    if let Err((key, reason)) = config.planning.check() {
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

    #[test]
    fn passwords_never_appear_in_the_redacted_url() {
        assert_eq!(
            redact_url("postgres://mes:s3cret@db.internal:5432/mes?application_name=hub"),
            "postgres://mes:***@db.internal:5432/mes?application_name=hub"
        );
        assert_eq!(
            redact_url("postgres://mes@db/mes?password=s3cret&x=1"),
            "postgres://mes@db/mes?password=***&x=1"
        );
        assert_eq!(redact_url("postgres://p:a@ss@db/mes"), "postgres://p:***@db/mes");
        assert_eq!(redact_url("sqlite://hub.db"), "sqlite://hub.db");
    }
}
