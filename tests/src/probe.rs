//! Reading the state the reliability tests assert on: the hub's agent list
//! and metrics, and the agent's buffer as its `/healthz` reports it.

use anyhow::Context;
use serde_json::Value;

/// The tenant's agents as `GET /api/v1/agents` lists them (`items`).
pub async fn hub_agents(
    client: &reqwest::Client,
    hub_url: &str,
    api_token: &str,
) -> anyhow::Result<Vec<Value>> {
    let response = client
        .get(format!("{hub_url}/api/v1/agents"))
        .bearer_auth(api_token)
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    anyhow::ensure!(status.is_success(), "agents list answered {status}: {body}");
    body["items"]
        .as_array()
        .cloned()
        .with_context(|| format!("no `items` in {body}"))
}

/// The value of one sample of the hub's Prometheus metrics, by its full name
/// (`mes_hub_ingest_events_duplicate_total`); 0 when the hub has not exposed
/// it yet (a labelled family before its first sample).
pub async fn hub_metric(client: &reqwest::Client, hub_url: &str, name: &str) -> anyhow::Result<f64> {
    let text = client
        .get(format!("{hub_url}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    Ok(metric_value(&text, name).unwrap_or(0.0))
}

/// Finds the sample `name` (exactly, labels included if given) in a text
/// exposition.
fn metric_value(text: &str, name: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (key, value) = line.rsplit_once(' ')?;
        (key == name).then(|| value.parse().ok()).flatten()
    })
}

/// The buffer part of an agent's `/healthz`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferHealth {
    /// Events waiting for the hub's acknowledgement.
    pub depth: u64,
    /// Highest sequence number assigned.
    pub last_seq: u64,
    /// Highest sequence number the hub acknowledged.
    pub acked_seq: u64,
    /// The buffer's incarnation.
    pub incarnation: String,
    /// The uplink's last error (`None` once a sync succeeded after it).
    pub sync_error: Option<String>,
}

impl BufferHealth {
    /// Parses an agent's `/healthz` document.
    pub fn from_health(health: &Value) -> anyhow::Result<Self> {
        let buffer = &health["buffer"];
        let num = |key: &str| {
            buffer[key]
                .as_u64()
                .with_context(|| format!("no buffer.{key} in {health}"))
        };
        Ok(Self {
            depth: num("depth")?,
            last_seq: num("last_seq")?,
            acked_seq: num("acked_seq")?,
            incarnation: buffer["incarnation"].as_str().unwrap_or_default().to_string(),
            sync_error: health["sync"]["last_error"].as_str().map(str::to_string),
        })
    }

    /// Whether the hub has acknowledged everything the buffer holds.
    pub fn drained(&self) -> bool {
        self.depth == 0 && self.acked_seq == self.last_seq
    }
}

#[cfg(test)]
mod tests {
    use super::metric_value;

    #[test]
    fn finds_exact_sample_names() {
        let text =
            "# TYPE x counter\nmes_hub_ingest_batches_total 12\nmes_hub_ingest_events_stored_total 3400\n";
        assert_eq!(metric_value(text, "mes_hub_ingest_batches_total"), Some(12.0));
        assert_eq!(
            metric_value(text, "mes_hub_ingest_events_stored_total"),
            Some(3400.0)
        );
        assert_eq!(metric_value(text, "mes_hub_ingest_batches"), None);
    }
}
