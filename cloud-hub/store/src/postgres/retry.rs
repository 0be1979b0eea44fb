//! The write transactions' retry: a transaction on a pooled connection is
//! run again when PostgreSQL aborts it for a serialization failure
//! (SQLSTATE 40001) or a deadlock (40P01), which only mean "another
//! transaction got in the way; the same work again will succeed". Nothing
//! else is retried: a constraint violation or a lost connection is the
//! caller's to see.
//!
//! The hub's transactions run at READ COMMITTED and take the tenant's
//! advisory lock first where they would conflict, so these are rare
//! (a deadlock between a stock document and a step touching the same
//! balances in another order, or a `SERIALIZABLE` default set on the
//! database by an operator), but a replica among several must not answer
//! an agent 500 for one.

use crate::StoreError;
use std::time::Duration;
use tokio_postgres::error::SqlState;

/// Attempts of one transaction at most.
const ATTEMPTS: u32 = 5;

/// Whether `e` is worth running the transaction again for.
pub(super) fn is_retryable(e: &StoreError) -> bool {
    match e {
        StoreError::Postgres(e) => matches!(
            e.code(),
            Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        ),
        _ => false,
    }
}

/// The attempts of one write transaction. A call site runs its whole
/// transaction (take a connection, begin, work, commit) in a loop and asks
/// [`Attempts::again`] with the error: `true` (after a short growing pause
/// with jitter) means run it again; at most [`ATTEMPTS`] runs. A loop at
/// the call site rather than a closure taking the transaction, so the
/// transaction's future stays `Send` without boxing.
#[derive(Debug, Default)]
pub(super) struct Attempts {
    made: u32,
}

impl Attempts {
    /// Whether to run the transaction again after it failed with `e`.
    pub(super) async fn again(&mut self, e: &StoreError) -> bool {
        self.made += 1;
        if self.made >= ATTEMPTS || !is_retryable(e) {
            return false;
        }
        tracing::info!(attempt = self.made, error = %e, "transaction aborted by the database; running it again");
        let jitter = u64::from(uuid::Uuid::now_v7().as_bytes()[15]) % 20;
        tokio::time::sleep(Duration::from_millis(10 * u64::from(self.made) + jitter)).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error PostgreSQL answers when a statement raises SQLSTATE `code`,
    /// or `None` (after printing why) without a server.
    async fn raised(code: &str) -> Option<StoreError> {
        let url = std::env::var("MES_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let (client, connection) = match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!(
                    "skipping: no PostgreSQL at {} ({e})",
                    crate::config::redact_url(&url)
                );
                return None;
            }
        };
        tokio::spawn(connection);
        let sql = format!("DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '{code}'; END $$");
        Some(StoreError::Postgres(
            client
                .batch_execute(&sql)
                .await
                .expect_err("the statement raises"),
        ))
    }

    #[tokio::test]
    async fn serialization_failures_and_deadlocks_are_run_again_and_nothing_else() {
        for (code, retried) in [
            ("40001", true),
            ("40P01", true),
            ("23505", false),
            ("57014", false),
        ] {
            let Some(e) = raised(code).await else { return };
            assert_eq!(is_retryable(&e), retried, "SQLSTATE {code}");
            let mut attempts = Attempts::default();
            let mut runs = 1;
            while attempts.again(&e).await {
                runs += 1;
            }
            assert_eq!(runs, if retried { ATTEMPTS } else { 1 }, "SQLSTATE {code}");
        }
    }
}
