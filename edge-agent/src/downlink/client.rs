//! One downlink request through the hub connection:
//! `GET /api/v1/downlink?since=&limit=`, and what its answer means.

use crate::hub::{HubConnection, HubFailure};
use mes_protocols::downlink::{DOWNLINK_PATH, DownlinkPage};

/// Why a downlink request gave no page.
#[derive(Debug, thiserror::Error)]
pub enum DownlinkError {
    /// The hub could not be reached or did not answer in time.
    #[error("hub unreachable: {0}")]
    Network(String),
    /// The hub answered with an error status.
    #[error("hub answered {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The hub's error message (or the start of its body).
        message: String,
    },
    /// The hub's answer is not a downlink page.
    #[error("unreadable downlink page: {0}")]
    Malformed(String),
    /// The hub (an older version) refused the `plan` parameter: ask without
    /// it.
    #[error("the hub does not send plans (an older version)")]
    PlanUnsupported,
}

/// Asks the hub through `hub` for the changes since `since`, at most
/// `limit` records; with `plan` (the live-plan revision held, 0 for none)
/// also the site's live plan when it changed.
pub async fn fetch(
    hub: &HubConnection,
    since: u64,
    limit: u32,
    plan: Option<u64>,
) -> Result<DownlinkPage, DownlinkError> {
    let mut query = vec![("since", since), ("limit", u64::from(limit))];
    if let Some(revision) = plan {
        query.push(("plan", revision));
    }
    let request = hub.get(DOWNLINK_PATH).query(&query);
    let answer = hub.exchange(request).await.map_err(|e| match e {
        HubFailure::Network(message) => DownlinkError::Network(message),
        HubFailure::Status {
            status: 400,
            code,
            message,
            ..
        } if plan.is_some() && code == "invalid_query" && message.contains("(field plan)") => {
            DownlinkError::PlanUnsupported
        }
        HubFailure::Status {
            status,
            code,
            message,
            ..
        } => DownlinkError::Status {
            status,
            message: if code.is_empty() {
                message
            } else {
                format!("{message} ({code})")
            },
        },
    })?;
    let mut de = serde_json::Deserializer::from_slice(&answer.body);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| DownlinkError::Malformed(format!("at {}: {}", e.path(), e.inner())))
}
