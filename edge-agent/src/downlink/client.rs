//! One downlink request: `GET /api/v1/downlink?since=&limit=` with the
//! agent's token, and what its answer means.

use mes_protocols::downlink::{DOWNLINK_PATH, DownlinkPage};
use mes_protocols::wire::ApiError;
use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;
use std::time::Duration;

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
}

/// Pulls pages from one hub.
pub struct DownlinkClient {
    http: reqwest::Client,
    url: String,
    auth: String,
}

impl DownlinkClient {
    /// A client for the hub at `base_url` with the agent's bearer `token`.
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("mes-edge-agent/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            url: format!("{}{DOWNLINK_PATH}", base_url.trim_end_matches('/')),
            auth: format!("Bearer {token}"),
        })
    }

    /// Asks for the changes since `since`, at most `limit` records.
    pub async fn fetch(&self, since: u64, limit: u32) -> Result<DownlinkPage, DownlinkError> {
        let response = self
            .http
            .get(&self.url)
            .query(&[("since", since), ("limit", u64::from(limit))])
            .header(AUTHORIZATION, &self.auth)
            .send()
            .await
            .map_err(|e| DownlinkError::Network(chain(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| DownlinkError::Network(chain(&e)))?;
        if status != StatusCode::OK {
            let message = serde_json::from_slice::<ApiError>(&body)
                .map(|e| match e.error.field {
                    Some(field) => format!("{} ({}: {field})", e.error.message, e.error.code),
                    None => format!("{} ({})", e.error.message, e.error.code),
                })
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(DownlinkError::Status {
                status: status.as_u16(),
                message,
            });
        }
        let mut de = serde_json::Deserializer::from_slice(&body);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| DownlinkError::Malformed(format!("at {}: {}", e.path(), e.inner())))
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
