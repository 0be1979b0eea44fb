//! Live updates across replicas: a browser on replica B sees an event
//! ingested on replica A.
//!
//! On PostgreSQL every stored batch's "site S of tenant T changed" goes two
//! ways: straight to this replica's boards (`live.rs`, as on SQLite), and
//! to the sender task here, which gathers the notices of
//! [`GATHER`] and sends each distinct site once with `pg_notify`. The
//! listener task holds one direct connection (`cluster.listen_url`, else
//! `database.url`) listening on the channel and hands every other
//! replica's notice to this replica's boards, which read the site's board
//! again. A lost listening connection is made again with a backoff; what
//! was said meanwhile shows at the boards' next change or their periodic
//! read (`live::REFRESH_EVERY`).
//!
//! Backpressure: the channel to the sender is bounded ([`QUEUE`]); when it
//! is full (the database is slow) a notice is dropped rather than slowing
//! ingest; the board shows the change at the next notice or periodic read.

use crate::live::{LiveFeed, SiteChanged};
use crate::store::{Notices, Store, TenantId};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Notices gathered before one NOTIFY statement.
pub const GATHER: Duration = Duration::from_millis(50);
/// Notices waiting for the sender at most.
const QUEUE: usize = 4096;

/// On PostgreSQL, starts the sender and the listener of replica `replica`
/// (listening on `listen_url`, else the store's database) until
/// `shutdown`, and makes `feed` relay every ingest notice to the sender;
/// on SQLite does nothing (one hub per file).
pub fn start(
    store: &Store,
    feed: &LiveFeed,
    replica: Arc<str>,
    listen_url: Option<String>,
    shutdown: CancellationToken,
) {
    let Some(notices) = store.notices() else {
        return;
    };
    let (relay, queue) = mpsc::channel(QUEUE);
    tokio::spawn(send(notices.clone(), queue, replica.clone(), shutdown.clone()));
    tokio::spawn(listen(notices, feed.clone(), replica, listen_url, shutdown));
    feed.relay_to(relay);
}

/// Gathers notices for [`GATHER`] and sends each distinct site once.
async fn send(
    notices: Notices,
    mut queue: mpsc::Receiver<SiteChanged>,
    replica: Arc<str>,
    shutdown: CancellationToken,
) {
    loop {
        let first = tokio::select! {
            () = shutdown.cancelled() => return,
            n = queue.recv() => match n { Some(n) => n, None => return },
        };
        let mut sites: BTreeSet<(TenantId, String)> = BTreeSet::from([(first.tenant, first.site)]);
        tokio::time::sleep(GATHER).await;
        while let Ok(n) = queue.try_recv() {
            sites.insert((n.tenant, n.site));
        }
        let sites: Vec<(TenantId, String)> = sites.into_iter().collect();
        if let Err(e) = notices.notify(&replica, &sites).await {
            tracing::warn!(error = %e, sites = sites.len(), "live notices to the other replicas not sent; their boards catch up at their next read");
        }
    }
}

/// Listens until `shutdown`, connecting again after a loss.
async fn listen(
    notices: Notices,
    feed: LiveFeed,
    replica: Arc<str>,
    listen_url: Option<String>,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(250);
    loop {
        let (sink, mut heard) = mpsc::channel(QUEUE);
        let (ready, listening) = tokio::sync::oneshot::channel();
        let listener = notices.listen(listen_url.as_deref(), sink, Some(ready));
        let forward = async {
            if listening.await.is_ok() {
                tracing::info!("listening for the other replicas' live notices");
            }
            while let Some(n) = heard.recv().await {
                if *n.origin != *replica {
                    feed.deliver(SiteChanged {
                        tenant: n.tenant,
                        site: n.site,
                    });
                }
            }
        };
        let started = std::time::Instant::now();
        let ended = tokio::select! {
            () = shutdown.cancelled() => return,
            (result, ()) = async { tokio::join!(listener, forward) } => result,
        };
        if started.elapsed() > Duration::from_secs(30) {
            backoff = Duration::from_millis(250);
        }
        match ended {
            Ok(()) => return,
            Err(e) => tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64,
                "live notices: the listening connection failed; connecting again"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}
