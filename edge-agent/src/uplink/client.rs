//! One sync request to the hub, and what its answer means for the uplink.

use mes_protocols::Seq;
use mes_protocols::wire::{ApiError, SyncAck};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, DATE};
use std::time::{Duration, SystemTime};

/// What went wrong with a sync request, sorted by what the uplink does next.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The hub could not be reached or did not answer in time: retry.
    #[error("hub unreachable: {0}")]
    Network(String),
    /// The hub failed (5xx): retry.
    #[error("hub error {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The hub's message.
        message: String,
    },
    /// The batch is larger than the hub accepts: send smaller batches.
    #[error("batch too large for the hub: {0}")]
    TooLarge(String),
    /// The hub's record of this agent's sequence disagrees with the buffer
    /// (`sequence_gap` or `sequence_conflict`): start a new incarnation.
    #[error("hub reports {code}: {message}")]
    SequenceMismatch {
        /// `sequence_gap` or `sequence_conflict`.
        code: String,
        /// The hub's explanation.
        message: String,
        /// What the hub has stored for this incarnation.
        acked_seq: Option<Seq>,
    },
    /// The hub refused the request (bad token, invalid batch): retry slowly
    /// and shout, since only a person can fix it; the events stay buffered.
    #[error("hub refused the batch ({status} {code}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The error code.
        code: String,
        /// The hub's message (with the field, when named).
        message: String,
    },
}

/// A successful sync.
#[derive(Debug, Clone)]
pub struct SyncReply {
    /// The hub's acknowledgement.
    pub ack: SyncAck,
    /// Hub clock minus agent clock, in milliseconds, from the Date header
    /// (whole-second resolution) corrected by half the round trip.
    pub clock_offset_ms: Option<i64>,
}

/// Posts batches to one hub.
pub struct HubClient {
    http: reqwest::Client,
    ingest_url: String,
    auth: String,
}

impl HubClient {
    /// A client for the hub at `base_url` with the agent's bearer `token`.
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("mes-edge-agent/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            ingest_url: format!("{}/api/v1/ingest", base_url.trim_end_matches('/')),
            auth: format!("Bearer {token}"),
        })
    }

    /// Sends one gzip-compressed batch.
    pub async fn send(&self, gzipped_batch: Vec<u8>) -> Result<SyncReply, SyncError> {
        let sent = SystemTime::now();
        let response = self
            .http
            .post(&self.ingest_url)
            .header(AUTHORIZATION, &self.auth)
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_ENCODING, "gzip")
            .body(gzipped_batch)
            .send()
            .await
            .map_err(|e| SyncError::Network(error_chain(&e)))?;
        let received = SystemTime::now();
        let status = response.status();
        let clock_offset_ms = response
            .headers()
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .map(|hub| offset_ms(sent, received, hub));
        let body = response
            .bytes()
            .await
            .map_err(|e| SyncError::Network(error_chain(&e)))?;
        if status == StatusCode::OK {
            let ack: SyncAck = serde_json::from_slice(&body).map_err(|e| SyncError::Server {
                status: 200,
                message: format!("unreadable acknowledgement: {e}"),
            })?;
            return Ok(SyncReply { ack, clock_offset_ms });
        }
        Err(classify(status, &body))
    }
}

fn classify(status: StatusCode, body: &[u8]) -> SyncError {
    let parsed: Option<ApiError> = serde_json::from_slice(body).ok();
    let (code, message, acked_seq) = match parsed {
        Some(e) => {
            let message = match e.error.field {
                Some(field) => format!("{} (field {field})", e.error.message),
                None => e.error.message,
            };
            (e.error.code, message, e.error.acked_seq)
        }
        None => (
            String::new(),
            String::from_utf8_lossy(body).chars().take(300).collect(),
            None,
        ),
    };
    match status.as_u16() {
        413 => SyncError::TooLarge(message),
        409 if code == "sequence_gap" || code == "sequence_conflict" => SyncError::SequenceMismatch {
            code,
            message,
            acked_seq,
        },
        s if s >= 500 || s == 408 || s == 429 => SyncError::Server { status: s, message },
        s => SyncError::Refused {
            status: s,
            code,
            message,
        },
    }
}

fn offset_ms(sent: SystemTime, received: SystemTime, hub: SystemTime) -> i64 {
    let millis = |t: SystemTime| match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    };
    let midpoint = (millis(sent) + millis(received)) / 2;
    // The Date header is truncated to the second; its true value lies in
    // [hub, hub + 1 s), so compare against the middle of that second.
    millis(hub) + 500 - midpoint
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_errors_lead_to_a_new_incarnation() {
        let body = br#"{"error":{"code":"sequence_gap","message":"expected 5","acked_seq":4}}"#;
        match classify(StatusCode::CONFLICT, body) {
            SyncError::SequenceMismatch { acked_seq, .. } => assert_eq!(acked_seq, Some(Seq(4))),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn auth_errors_are_refusals_and_5xx_retries() {
        let body = br#"{"error":{"code":"unauthorized","message":"bad token"}}"#;
        assert!(matches!(
            classify(StatusCode::UNAUTHORIZED, body),
            SyncError::Refused { status: 401, .. }
        ));
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, b"<html>"),
            SyncError::Server { status: 502, .. }
        ));
        assert!(matches!(
            classify(StatusCode::PAYLOAD_TOO_LARGE, b""),
            SyncError::TooLarge(_)
        ));
    }
}
