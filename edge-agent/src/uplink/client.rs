//! One sync request through the hub connection, and what its answer means
//! for the uplink.

use crate::hub::{HubConnection, HubFailure};
use mes_protocols::Seq;
use mes_protocols::wire::SyncAck;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE};
use std::time::SystemTime;

/// Where batches go.
const INGEST_PATH: &str = "/api/v1/ingest";

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

/// Sends one gzip-compressed batch through the hub connection.
pub async fn send(hub: &HubConnection, gzipped_batch: Vec<u8>) -> Result<SyncReply, SyncError> {
    let request = hub
        .post(INGEST_PATH)
        .header(CONTENT_TYPE, "application/json")
        .header(CONTENT_ENCODING, "gzip")
        .body(gzipped_batch);
    let answer = hub.exchange(request).await.map_err(classify)?;
    let clock_offset_ms = answer
        .date
        .map(|hub| offset_ms(answer.sent, answer.received, hub));
    let ack: SyncAck = serde_json::from_slice(&answer.body).map_err(|e| SyncError::Server {
        status: 200,
        message: format!("unreadable acknowledgement: {e}"),
    })?;
    Ok(SyncReply { ack, clock_offset_ms })
}

/// What a failed sync request means for the uplink.
fn classify(failure: HubFailure) -> SyncError {
    let (status, code, message, acked_seq) = match failure {
        HubFailure::Network(message) => return SyncError::Network(message),
        HubFailure::Status {
            status,
            code,
            message,
            acked_seq,
        } => (status, code, message, acked_seq),
    };
    match status {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, code: &str) -> HubFailure {
        HubFailure::Status {
            status,
            code: code.into(),
            message: "why".into(),
            acked_seq: Some(Seq(4)),
        }
    }

    #[test]
    fn sequence_errors_lead_to_a_new_incarnation() {
        match classify(status(409, "sequence_gap")) {
            SyncError::SequenceMismatch { acked_seq, .. } => assert_eq!(acked_seq, Some(Seq(4))),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn auth_errors_are_refusals_and_5xx_retries() {
        assert!(matches!(
            classify(status(401, "unauthorized")),
            SyncError::Refused { status: 401, .. }
        ));
        assert!(matches!(
            classify(status(502, "")),
            SyncError::Server { status: 502, .. }
        ));
        assert!(matches!(classify(status(413, "")), SyncError::TooLarge(_)));
        assert!(matches!(
            classify(HubFailure::Network("refused".into())),
            SyncError::Network(_)
        ));
    }
}
