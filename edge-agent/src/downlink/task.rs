//! The downlink task: pulls pages from the hub, commits each to the cache in
//! the buffer file, then publishes the new master data to the stations.

use super::cache::{MasterData, MasterDataHandle};
use super::client::{DownlinkError, fetch};
use super::store::{self, CacheMeta};
use crate::buffer::Buffer;
use crate::hub::HubConnection;
use mes_protocols::Timestamp;
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What the downlink did last, for the station pages and the logs.
#[derive(Debug, Default)]
pub struct DownlinkStatus {
    inner: Mutex<StatusView>,
}

/// A copy of the downlink's status.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StatusView {
    /// The cursor of the last applied page.
    pub cursor: u64,
    /// Records held.
    pub records: usize,
    /// When a page was last applied.
    pub last_success: Option<Timestamp>,
    /// The last failure, cleared by the next success.
    pub last_error: Option<String>,
    /// Pages applied since the agent started.
    pub pages_applied: u64,
}

impl DownlinkStatus {
    /// A copy of the status.
    pub fn view(&self) -> StatusView {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn update(&self, f: impl FnOnce(&mut StatusView)) {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// What the task needs.
pub struct DownlinkTask {
    /// The connection to the hub (its successes end the uplink's backoff).
    pub hub: HubConnection,
    /// The buffer file holding the cache.
    pub buffer: Buffer,
    /// Where stations read the master data.
    pub data: MasterDataHandle,
    /// The cache's state when the agent started.
    pub meta: CacheMeta,
    /// Pause between pulls when up to date or failing.
    pub interval: Duration,
    /// Records per page.
    pub page_limit: u32,
    /// Shared status.
    pub status: std::sync::Arc<DownlinkStatus>,
    /// Whether to ask for the site's live plan; cleared when the hub is an
    /// older version that refuses the parameter.
    pub ask_plan: bool,
}

impl DownlinkTask {
    /// Pulls until `shutdown`.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut failing = false;
        loop {
            let more = match self.pull_once().await {
                Ok(more) => {
                    if failing {
                        tracing::info!(cursor = self.meta.cursor, "downlink: hub reachable again");
                    }
                    failing = false;
                    more
                }
                Err(message) => {
                    if !failing {
                        tracing::warn!(error = %message, "downlink failed; stations use the cached data");
                    }
                    failing = true;
                    self.status.update(|s| s.last_error = Some(message));
                    false
                }
            };
            let pause = if more { Duration::ZERO } else { self.interval };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Fetches and applies one page; `Ok(true)` when more wait.
    async fn pull_once(&mut self) -> Result<bool, String> {
        let held = self
            .ask_plan
            .then(|| self.data.snapshot().plan().map_or(0, |p| p.revision()));
        let page = match fetch(&self.hub, self.meta.cursor, self.page_limit, held).await {
            Err(DownlinkError::PlanUnsupported) => {
                tracing::info!(
                    "downlink: the hub sends no plans (an older version); stations list orders by number"
                );
                self.ask_plan = false;
                fetch(&self.hub, self.meta.cursor, self.page_limit, None).await
            }
            other => other,
        }
        .map_err(|e| e.to_string())?;
        let (after, completes) = store::apply(&self.buffer, self.meta, &page)
            .await
            .map_err(|e| format!("saving the downlink page: {e}"))?;
        let data = if completes {
            // The snapshot's last page: what is not in it is gone; the file
            // now holds exactly the snapshot.
            store::load_from(&self.buffer).map_err(|e| e.to_string())?.1
        } else {
            let mut data: MasterData = (*self.data.snapshot()).clone();
            for record in page.upserts.iter().cloned() {
                data.upsert(record);
            }
            for key in &page.removals {
                data.remove(key);
            }
            data
        };
        let records = data.len();
        let before = (self.meta.cursor, self.data.snapshot().len());
        self.data.replace(data);
        self.meta = after;
        let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
        self.status.update(|s| {
            s.cursor = after.cursor;
            s.records = records;
            s.last_success = Some(now);
            s.last_error = None;
            s.pages_applied += 1;
        });
        // An empty snapshot at the same cursor (a hub with no master data
        // for this site yet) changes nothing and is not worth a line per pull.
        let changed =
            !page.upserts.is_empty() || !page.removals.is_empty() || (after.cursor, records) != before;
        if changed {
            tracing::info!(
                cursor = after.cursor,
                upserts = page.upserts.len(),
                removals = page.removals.len(),
                reset = page.reset,
                records,
                "downlink page applied"
            );
        }
        Ok(page.more)
    }
}
