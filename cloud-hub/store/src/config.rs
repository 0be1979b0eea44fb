//! Where the hub's database is: the `[database]` section of the hub's
//! configuration (documented in `config/cloud-hub.toml`), and the one way a
//! database URL may be shown (with its password redacted).

use serde::Deserialize;
use std::path::Path;

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
    /// which uses one writer and one reader). Per replica: N replicas open
    /// up to N × this, which PostgreSQL's `max_connections` (or
    /// PgBouncer's pool) must allow.
    pub max_connections: usize,
    /// Longest a PostgreSQL statement may run, in milliseconds, before the
    /// server cancels it (`statement_timeout`, sent when connecting); 0
    /// leaves the server's setting. Migrations run without it. Behind a
    /// PgBouncer that refuses the `options` startup parameter, set 0 here
    /// and `ALTER ROLE … SET statement_timeout` on the database instead.
    pub statement_timeout_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://cloud-hub.db".into(),
            max_connections: 16,
            statement_timeout_ms: DEFAULT_STATEMENT_TIMEOUT_MS,
        }
    }
}

/// `database.statement_timeout_ms` unless configured: far above any
/// request's or step's statement, short enough that a runaway query does
/// not hold a pool connection for long.
pub const DEFAULT_STATEMENT_TIMEOUT_MS: u64 = 60_000;

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

#[cfg(test)]
mod tests {
    use super::*;

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
