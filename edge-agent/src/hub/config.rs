//! The `[hub]` section: where the hub is, who this agent is, and how the
//! uplink sends to it; parsed into a [`HubSpec`].

use mes_protocols::AgentId;
use mes_protocols::config_text::ConfigError;
use mes_protocols::wire::MAX_EVENTS_PER_BATCH;
use serde::Deserialize;
use std::time::Duration;

/// Connection to the hub.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubConfig {
    /// Base URL of the hub (`https://hub.example.com`); HTTPS uses rustls.
    pub url: String,
    /// This agent's id, printed by `cloud-hub agent add`. Without it the
    /// agent buffers but does not sync. Environment: `MES_AGENT_ID`.
    pub agent_id: Option<AgentId>,
    /// This agent's bearer token, printed once by `cloud-hub agent add`.
    /// Prefer the environment variable `MES_AGENT_TOKEN` over the file.
    pub token: Option<String>,
    /// Most events per batch (1 to 10000).
    pub batch_size: usize,
    /// Timeout of one sync request, in seconds.
    pub request_timeout_secs: u64,
    /// First retry delay after a failed sync, in milliseconds.
    pub backoff_initial_ms: u64,
    /// Longest retry delay, in seconds (the cap of the exponential backoff).
    pub backoff_max_secs: u64,
    /// Warn when the agent's clock differs from the hub's by more than this
    /// many seconds.
    pub clock_offset_warn_secs: u64,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8080".into(),
            agent_id: None,
            token: None,
            batch_size: 2000,
            request_timeout_secs: 30,
            backoff_initial_ms: 500,
            backoff_max_secs: 60,
            clock_offset_warn_secs: 5,
        }
    }
}

/// The agent's identity at the hub.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// This agent's id.
    pub agent_id: AgentId,
    /// Its bearer token.
    pub token: String,
}

/// The checked `[hub]` section.
#[derive(Debug, Clone)]
pub struct HubSpec {
    /// Base URL, `http://` or `https://`.
    pub url: String,
    /// Id and token; without them the agent buffers but does not sync.
    pub credentials: Option<Credentials>,
    /// Most events per batch (1 to 10000).
    pub batch_size: usize,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// First retry delay.
    pub backoff_initial: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Clock offset beyond which the uplink warns, in milliseconds.
    pub clock_warn_ms: i64,
}

impl HubConfig {
    /// Checks the section (after environment overrides) as read from `file`.
    pub fn parse(&self, file: &str) -> Result<HubSpec, ConfigError> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(ConfigError::new(
                file,
                "hub.url",
                format!("`{}` must start with http:// or https://", self.url),
            ));
        }
        if self.batch_size == 0 || self.batch_size > MAX_EVENTS_PER_BATCH {
            return Err(ConfigError::new(
                file,
                "hub.batch_size",
                format!("{} is outside 1..={MAX_EVENTS_PER_BATCH}", self.batch_size),
            ));
        }
        let credentials = match (self.agent_id, &self.token) {
            (Some(agent_id), Some(token)) => Some(Credentials {
                agent_id,
                token: token.clone(),
            }),
            (None, None) => None,
            (id, _) => {
                return Err(ConfigError::new(
                    file,
                    if id.is_some() { "hub.token" } else { "hub.agent_id" },
                    "hub.agent_id and hub.token go together (or set MES_AGENT_ID and MES_AGENT_TOKEN)",
                ));
            }
        };
        if self.backoff_initial_ms == 0 || self.backoff_max_secs == 0 || self.request_timeout_secs == 0 {
            return Err(ConfigError::new(
                file,
                "hub",
                "backoff and timeout values must be positive",
            ));
        }
        Ok(HubSpec {
            url: self.url.clone(),
            credentials,
            batch_size: self.batch_size,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            backoff_initial: Duration::from_millis(self.backoff_initial_ms),
            backoff_max: Duration::from_secs(self.backoff_max_secs),
            clock_warn_ms: i64::try_from(self.clock_offset_warn_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
        })
    }
}
