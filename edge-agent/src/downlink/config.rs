//! The `[downlink]` section: how often the agent pulls master data and
//! orders from the hub.

use mes_protocols::config_text::ConfigError;
use mes_protocols::downlink::MAX_LIMIT;
use serde::Deserialize;

/// How the agent pulls what its stations need from the hub.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DownlinkConfig {
    /// Pull master data and released orders from the hub (needs
    /// `hub.agent_id` and `hub.token`). Off: stations work from the cache
    /// saved in the buffer file.
    pub enabled: bool,
    /// Milliseconds between pulls once up to date, and between attempts
    /// while the hub cannot be reached (at least 100). While the hub says
    /// more pages wait, the agent asks again at once.
    pub interval_ms: u64,
    /// Most records per page (1 to 5000).
    pub page_limit: u32,
}

impl Default for DownlinkConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_ms: 30_000,
            page_limit: 500,
        }
    }
}

impl DownlinkConfig {
    /// Checks the ranges; the error names the key.
    pub fn validate(&self, file: &str) -> Result<(), ConfigError> {
        if self.interval_ms < 100 {
            return Err(ConfigError::new(
                file,
                "downlink.interval_ms",
                format!("{} is below the minimum of 100", self.interval_ms),
            ));
        }
        if self.page_limit == 0 || self.page_limit > MAX_LIMIT {
            return Err(ConfigError::new(
                file,
                "downlink.page_limit",
                format!("{} is outside 1..={MAX_LIMIT}", self.page_limit),
            ));
        }
        Ok(())
    }
}
