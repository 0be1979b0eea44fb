//! Live updates for open pages, fed by the ingest path: every stored
//! batch says "site S of tenant T changed" ([`LiveFeed::site_changed`]),
//! and each site with an open board has one task ([`SiteBoards`]) that
//! reads its board once per change (changes arriving together are read
//! once) and hands the same board to every page open on it. So the
//! database is read per site and change, never per open page, and a page
//! that is not open costs nothing.
//!
//! The task also reads the board every [`REFRESH_EVERY`] without a change,
//! so an agent that falls silent shows as behind on open boards.
//!
//! This replica's ingest feeds this replica's boards at once; on
//! PostgreSQL every notice is also relayed to the other replicas through
//! LISTEN/NOTIFY, and theirs come back through [`LiveFeed::deliver`]
//! (`live_relay.rs`), so a board on any replica shows events ingested
//! on any other.

use crate::machines::board::{self, Board};
use crate::store::{Store, TenantId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// How often an open board is read again without any change.
pub const REFRESH_EVERY: Duration = Duration::from_secs(20);
/// Changes arriving within this time are read as one.
const SETTLE: Duration = Duration::from_millis(50);

/// "Site `site` of `tenant` has new events."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteChanged {
    /// The tenant.
    pub tenant: TenantId,
    /// The site's short name.
    pub site: String,
}

/// The hub's notices of new events, and the boards open on them.
#[derive(Clone)]
pub struct LiveFeed {
    notices: broadcast::Sender<SiteChanged>,
    boards: Arc<SiteBoards>,
    /// Where notices go for the other replicas (PostgreSQL), once set.
    relay: Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<SiteChanged>>>,
}

impl std::fmt::Debug for LiveFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveFeed").finish_non_exhaustive()
    }
}

impl Default for LiveFeed {
    fn default() -> Self {
        let (notices, _) = broadcast::channel(1024);
        LiveFeed {
            notices,
            boards: Arc::new(SiteBoards::default()),
            relay: Arc::default(),
        }
    }
}

impl LiveFeed {
    /// Says that `site` of `tenant` has new events (ingest, after commit).
    /// Costs nothing when no board is open here and there is no other
    /// replica to tell.
    pub fn site_changed(&self, tenant: TenantId, site: &str) {
        let notice = SiteChanged {
            tenant,
            site: site.to_string(),
        };
        if let Some(relay) = self.relay.get() {
            // Full (the database is slow): dropped, see `live_relay.rs`.
            let _ = relay.try_send(notice.clone());
        }
        self.deliver(notice);
    }

    /// Hands `notice` to this replica's open boards only (a notice
    /// another replica sent).
    pub fn deliver(&self, notice: SiteChanged) {
        if self.notices.receiver_count() > 0 {
            let _ = self.notices.send(notice);
        }
    }

    /// Relays every later [`LiveFeed::site_changed`] to `relay` as well
    /// (the other replicas); set once, at start.
    pub fn relay_to(&self, relay: tokio::sync::mpsc::Sender<SiteChanged>) {
        let _ = self.relay.set(relay);
    }

    /// The board of `site`, kept current while the returned receiver is
    /// held: it holds the latest board (read at once if nobody watched
    /// the site yet) and changes whenever the board is read again.
    pub fn watch_board(
        &self,
        store: &Store,
        clock: crate::clock::Clock,
        tenant: TenantId,
        site: &str,
    ) -> watch::Receiver<Option<Arc<Board>>> {
        SiteBoards::watch(&self.boards, self, store, clock, tenant, site)
    }
}

/// What a site's task hands every open page: the latest board read.
type BoardSender = watch::Sender<Option<Arc<Board>>>;

/// A site of a tenant.
type SiteKey = (TenantId, String);

/// One task per site with open boards.
#[derive(Default)]
struct SiteBoards {
    open: Mutex<HashMap<SiteKey, Weak<BoardSender>>>,
}

impl SiteBoards {
    fn watch(
        boards: &Arc<SiteBoards>,
        feed: &LiveFeed,
        store: &Store,
        clock: crate::clock::Clock,
        tenant: TenantId,
        site: &str,
    ) -> watch::Receiver<Option<Arc<Board>>> {
        let key = (tenant, site.to_string());
        let mut open = boards.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|_, sender| sender.strong_count() > 0);
        if let Some(sender) = open.get(&key).and_then(Weak::upgrade) {
            return sender.subscribe();
        }
        let (sender, receiver) = watch::channel(None);
        let sender = Arc::new(sender);
        open.insert(key.clone(), Arc::downgrade(&sender));
        tokio::spawn(keep_board(
            boards.clone(),
            key,
            sender,
            feed.notices.subscribe(),
            store.clone(),
            clock,
        ));
        receiver
    }

    /// Whether the task of `key` may stop: no page watches it, checked
    /// under the lock a new page subscribes under (then it is forgotten).
    fn last_page_gone(&self, key: &SiteKey, sender: &BoardSender) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if sender.receiver_count() > 0 {
            return false;
        }
        open.remove(key);
        true
    }
}

/// Reads the board of one site at start, on every change and every
/// [`REFRESH_EVERY`], until no page watches it.
async fn keep_board(
    boards: Arc<SiteBoards>,
    key: SiteKey,
    sender: Arc<BoardSender>,
    mut notices: broadcast::Receiver<SiteChanged>,
    store: Store,
    clock: crate::clock::Clock,
) {
    let (tenant, site) = (key.0, key.1.clone());
    loop {
        match board::site_board(&store, tenant, &site, clock()).await {
            Ok(read) => {
                sender.send_replace(Some(Arc::new(read)));
            }
            Err(e) => tracing::warn!(site = %site, error = %e, "reading a live board failed"),
        }
        // Wait for a change of this site (or a lagging channel: read
        // anyway), the refresh, or the last page to go.
        let changed = async {
            loop {
                match notices.recv().await {
                    Ok(notice) if notice.tenant == tenant && notice.site == site => return true,
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => return true,
                    Err(broadcast::error::RecvError::Closed) => return false,
                }
            }
        };
        tokio::select! {
            open = changed => {
                if !open {
                    return;
                }
                tokio::time::sleep(SETTLE).await;
                // Everything that arrived meanwhile is in the next read.
                while notices.try_recv().is_ok() {}
            }
            () = tokio::time::sleep(REFRESH_EVERY) => {}
            () = sender.closed() => {}
        }
        if boards.last_page_gone(&key, &sender) {
            return;
        }
    }
}
