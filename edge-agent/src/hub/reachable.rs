//! "The hub answered": a signal that every successful request through the
//! [`HubConnection`](super::HubConnection) raises (the downlink's pulls
//! among them) and that the uplink watches while it backs off. After an
//! outage the downlink may reach the hub long before the uplink's next retry
//! (its backoff grows to `hub.backoff_max_secs`); with this signal the
//! backlog starts moving at the first sign of the hub instead.

use std::sync::Arc;
use tokio::sync::watch;

/// Raised by whoever got an answer from the hub; cheap to clone.
#[derive(Debug, Clone)]
pub struct HubReachable {
    successes: Arc<watch::Sender<u64>>,
}

impl Default for HubReachable {
    fn default() -> Self {
        Self {
            successes: Arc::new(watch::Sender::new(0)),
        }
    }
}

impl HubReachable {
    /// Records that a hub request just succeeded.
    pub fn reached(&self) {
        self.successes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A watcher that sees successes from now on.
    pub fn watch(&self) -> ReachableWatch {
        ReachableWatch(self.successes.subscribe())
    }
}

/// Waits for the next hub success.
#[derive(Debug)]
pub struct ReachableWatch(watch::Receiver<u64>);

impl ReachableWatch {
    /// Forgets successes seen so far (call when a request has just failed:
    /// only a success after the failure says the hub is back).
    pub fn forget(&mut self) {
        self.0.mark_unchanged();
    }

    /// Returns at the first success since the last [`forget`](Self::forget).
    pub async fn reached(&mut self) {
        if self.0.changed().await.is_err() {
            // Every sender is gone: nothing will ever signal again.
            std::future::pending::<()>().await;
        }
    }
}
