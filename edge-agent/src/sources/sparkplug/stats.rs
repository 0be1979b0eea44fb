//! Counters of the Sparkplug B source: messages, births, deaths, `seq`
//! gaps, data from nodes or devices not born, and rebirth requests sent
//! per edge node.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The Sparkplug source's counters.
#[derive(Debug, Default)]
pub struct SparkplugStats {
    /// Messages received on the group's topics.
    pub messages_total: AtomicU64,
    /// NBIRTH and DBIRTH messages.
    pub births_total: AtomicU64,
    /// NDEATH and DDEATH messages (not the stale wills ignored).
    pub deaths_total: AtomicU64,
    /// Messages whose `seq` was not the one expected.
    pub seq_gaps_total: AtomicU64,
    /// Data from a node or device not born in this session.
    pub not_born_total: AtomicU64,
    rebirths: Mutex<BTreeMap<String, u64>>,
}

impl SparkplugStats {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a rebirth request sent to `node`.
    pub fn rebirth_requested(&self, node: &str) {
        *self
            .rebirths
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(node.to_string())
            .or_insert(0) += 1;
    }

    /// Rebirth requests sent, per edge node.
    pub fn rebirths(&self) -> BTreeMap<String, u64> {
        self.rebirths.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
