//! Starts the hub's HTTP server on an open store and stops it gracefully.

use crate::api::{self, HubState, IngestLimits};
use crate::config::HubConfig;
use crate::metrics::HubMetrics;
use crate::store::Store;
use anyhow::Context;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The allocator every hub binary uses (`#[global_allocator]` in
/// `main.rs`): jemalloc, which with its unprefixed `malloc` is also C
/// code's (SQLite's page cache above all). Configured by `allocator.rs`
/// to hand freed pages back to the system at once, whichever thread
/// freed them: after a burst of maximal ingest batches glibc's malloc kept
/// 130-400 MB resident for good, mimalloc 52-78 MB (pages of idle
/// threads), jemalloc so configured 23 MB against 20 MB idle
/// (`bench-hub-memory`).
pub type HubAllocator = tikv_jemallocator::Jemalloc;

/// Opens the store named by `config` (connecting and migrating; blocking).
pub fn open_store(config: &HubConfig) -> anyhow::Result<Store> {
    // The error names the database (its URL without the password).
    Store::open(&config.database).context("opening the database")
}

/// The hub's whole HTTP surface: the REST API (`/api/v1`, `/healthz`,
/// `/metrics`) and the planners' console (`/console`).
pub fn web(state: HubState) -> axum::Router {
    api::router(state.clone()).merge(crate::console::router(state))
}

/// Serves until `shutdown`; in-flight requests finish first.
pub async fn serve(config: HubConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    // One serving hub per SQLite file (`serve_lock.rs`); held until return.
    let _serve_lock = match config.database.location() {
        Ok(crate::config::DatabaseLocation::Sqlite(path)) => {
            Some(crate::serve_lock::ServeLock::acquire(path)?)
        }
        _ => None,
    };
    let opening = config.clone();
    let store = tokio::task::spawn_blocking(move || open_store(&opening))
        .await
        .context("opening the database")??;
    let store_backend = store.backend_name();
    // Background work stops before the keeper gives the leases up.
    let work_stop = shutdown.child_token();
    let keeper_stop = CancellationToken::new();
    let replica = crate::cluster::replica_name(&config.cluster);
    let (ownership, keeper) =
        crate::cluster::start(&store, &config.cluster, replica.clone(), keeper_stop.clone());
    // Live notices to and from the other replicas (PostgreSQL).
    let live = crate::live::LiveFeed::default();
    let listen_url = Some(config.cluster.listen_url.clone()).filter(|u| !u.is_empty());
    crate::live_relay::start(&store, &live, replica, listen_url, shutdown.clone());
    let planner = crate::planning::start(
        &config.planning,
        store.clone(),
        ownership.clone(),
        work_stop.clone(),
    );
    let metrics = Arc::new(HubMetrics::default());
    let books = tokio::spawn(crate::projection::run_books_check(
        store.clone(),
        config.projection.clone(),
        metrics.clone(),
        ownership.clone(),
        work_stop.clone(),
    ));
    let state = HubState::new(
        store,
        metrics,
        IngestLimits {
            max_body_bytes: config.ingest.max_body_bytes,
            max_inflated_bytes: config.ingest.max_inflated_bytes,
            max_inflight_bytes: config.ingest.max_inflight_bytes,
        },
        crate::clock::system_clock(),
    )
    .with_access(config.access.clone())
    .with_ownership(ownership.clone())
    .with_live(live);
    let projection = tokio::spawn(crate::projection::run_projection(
        state.store.clone(),
        config.projection.clone(),
        state.metrics.clone(),
        ownership,
        work_stop.clone(),
    ));
    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("listening on http.listen = {}", config.http.listen))?;
    let local = listener.local_addr().context("reading the bound address")?;
    tracing::info!(address = %format!("http://{local}"), database = %config.database.redacted_url(), backend = store_backend, "hub listening");
    // hyper's own refusals (414, 431, 400 for a head it cannot read) in
    // the API's error shape too (`api/http_refusals.rs`).
    axum::serve(
        api::JsonRefusalListener::new(listener),
        web(state).into_make_service_with_connect_info::<crate::access::client::PeerAddr>(),
    )
    .with_graceful_shutdown({
        let shutdown = shutdown.clone();
        async move { shutdown.cancelled().await }
    })
    .await
    .context("serving HTTP")?;
    shutdown.cancel();
    if let Err(e) = projection.await {
        tracing::error!(error = %e, "projection task failed");
    }
    books.abort();
    if let Some(planner) = planner {
        planner.abort();
    }
    // No step of this replica runs any more: hand the leases over.
    keeper_stop.cancel();
    if let Some(keeper) = keeper
        && let Err(e) = keeper.await
    {
        tracing::error!(error = %e, "lease keeper failed");
    }
    tracing::info!("hub stopped");
    Ok(())
}
