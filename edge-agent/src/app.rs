//! Starts the agent's parts from their specs, wires them together and stops
//! them in order: producers and the HTTP server first, then the uplink,
//! then the buffer writer, which commits everything already handed to it
//! before the file is closed.

use crate::buffer::Buffer;
use crate::config::AgentSpec;
use crate::downlink::{DownlinkConfig, DownlinkStatus, MasterDataHandle};
use crate::hub::{HubConnection, HubSpec};
use crate::local_api::{self, LocalState};
use crate::station::StationsSpec;
use crate::uplink::{self, UplinkSettings, UplinkStats};
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Runs the agent until `shutdown` is cancelled.
pub async fn run(spec: AgentSpec, shutdown: CancellationToken) -> anyhow::Result<()> {
    // The error names the file and the cause once; no context to add.
    let (buffer, writer) = Buffer::open(spec.buffer)?;
    let uplink_stats = Arc::new(UplinkStats::default());
    let mut tasks = JoinSet::new();

    // Before any source runs: an outage since the last heartbeat is
    // committed ahead of the first new machine event.
    let equipment: Vec<mes_protocols::Code> =
        spec.machines.equipment.iter().map(|e| e.name.clone()).collect();
    let now = mes_protocols::Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    crate::liveness::on_start(&buffer, &spec.liveness, &equipment, now)
        .await
        .context("recording the agent's start")?;
    tasks.spawn(crate::liveness::run(
        buffer.clone(),
        Duration::from_secs(spec.liveness.heartbeat_secs),
        shutdown.clone(),
    ));

    let (cache_meta, cached) = crate::downlink::load_from(&buffer).context("reading the downlink cache")?;
    let master_data = MasterDataHandle::new(cached);
    let downlink_status = Arc::new(DownlinkStatus::default());
    let sync = Sync {
        hub: &spec.hub,
        downlink: &spec.downlink,
        buffer: &buffer,
        master_data: &master_data,
        cache_meta,
        downlink_status: &downlink_status,
        uplink_stats: &uplink_stats,
    };
    let sync_enabled = sync.start(&mut tasks, &shutdown)?;

    // Machine data: every source feeds one observation channel, which the
    // equipment task consumes (`observations`).
    let source_stats = Arc::new(crate::sources::SourceStats::default());
    let (observation_sink, observations) = crate::sources::observation_channel(source_stats.clone());
    let published: Vec<_> = spec
        .machines
        .equipment
        .iter()
        .map(|e| (e.name.clone(), e.values.clone()))
        .collect();
    let machines = crate::machines::start(
        spec.machines,
        &buffer,
        &observation_sink,
        observations,
        &mut tasks,
        &shutdown,
    )?;

    if let Some(node) = spec.sparkplug_node {
        tasks.spawn(crate::sparkplug_node::run(
            node,
            published,
            machines.board.clone(),
            shutdown.clone(),
        ));
    }

    if spec.generator.enabled {
        tracing::info!(
            events_per_sec = spec.generator.events_per_sec,
            "demo event generator on"
        );
        tasks.spawn(crate::generator::run(
            spec.generator,
            buffer.clone(),
            shutdown.clone(),
        ));
    }

    let listener = tokio::net::TcpListener::bind(spec.http.listen)
        .await
        .with_context(|| format!("listening on http.listen = {}", spec.http.listen))?;
    let local = listener.local_addr().context("reading the bound address")?;
    tracing::info!(address = %format!("http://{local}"), "agent status page, /healthz, /metrics");
    let registry = Arc::new(crate::metrics::registry(crate::metrics::Sources {
        buffer: buffer.stats().clone(),
        uplink: uplink_stats.clone(),
        machines: machines.clone(),
        inputs: source_stats,
    }));
    let machines_board = machines.board.clone();
    let state = LocalState {
        machines,
        buffer: buffer.clone(),
        uplink: uplink_stats,
        registry,
        sync_enabled,
        intake_allow_missing_id: spec.http.intake_allow_missing_id,
    };
    let mut router = local_api::router(state);
    if !spec.stations.stations.is_empty() {
        let parts = StationParts {
            buffer: buffer.clone(),
            data: master_data,
            downlink: downlink_status,
            board: machines_board,
        };
        let handle = start_stations(spec.stations, parts, &mut tasks, &shutdown).await?;
        router = router.merge(crate::station::router(handle));
    }
    let server_shutdown = shutdown.clone();
    tasks.spawn(async move {
        let server = axum::serve(listener, router)
            .with_graceful_shutdown(async move { server_shutdown.cancelled().await });
        if let Err(e) = server.await {
            tracing::error!(error = %e, "agent HTTP server failed");
        }
    });

    shutdown.cancelled().await;
    drop(observation_sink);
    while tasks.join_next().await.is_some() {}
    drop(buffer);
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .context("joining the buffer writer")?;
    tracing::info!("agent stopped; buffer committed and closed");
    Ok(())
}

/// What the uplink and the downlink start from.
struct Sync<'a> {
    hub: &'a HubSpec,
    downlink: &'a DownlinkConfig,
    buffer: &'a Buffer,
    master_data: &'a MasterDataHandle,
    cache_meta: crate::downlink::CacheMeta,
    downlink_status: &'a Arc<DownlinkStatus>,
    uplink_stats: &'a Arc<UplinkStats>,
}

impl Sync<'_> {
    /// Starts the uplink and (when enabled) the downlink on one hub
    /// connection, if the agent has credentials; whether sync is on.
    fn start(self, tasks: &mut JoinSet<()>, shutdown: &CancellationToken) -> anyhow::Result<bool> {
        let Some(credentials) = &self.hub.credentials else {
            tracing::warn!(
                "sync off: no hub.agent_id and hub.token (MES_AGENT_ID / MES_AGENT_TOKEN); buffering only"
            );
            return Ok(false);
        };
        // One connection for the uplink and the downlink: any success
        // through it ends the uplink's backoff wait.
        let connection = HubConnection::new(&self.hub.url, &credentials.token, self.hub.request_timeout)
            .context("building the hub connection")?;
        if self.downlink.enabled {
            let task = crate::downlink::DownlinkTask {
                hub: connection.clone(),
                buffer: self.buffer.clone(),
                data: self.master_data.clone(),
                meta: self.cache_meta,
                interval: Duration::from_millis(self.downlink.interval_ms),
                page_limit: self.downlink.page_limit,
                status: self.downlink_status.clone(),
                ask_plan: true,
            };
            tasks.spawn(task.run(shutdown.clone()));
        }
        tasks.spawn(uplink::run(
            self.buffer.clone(),
            connection,
            UplinkSettings::new(self.hub, credentials.agent_id),
            self.uplink_stats.clone(),
            shutdown.clone(),
        ));
        tracing::info!(hub = %self.hub.url, agent = %credentials.agent_id, "sync on");
        Ok(true)
    }
}

/// What the station service works with besides its spec.
struct StationParts {
    buffer: Buffer,
    data: MasterDataHandle,
    downlink: Arc<DownlinkStatus>,
    board: Arc<crate::equipment::EquipmentBoard>,
}

/// Starts the station service and each station's scanner port.
async fn start_stations(
    spec: StationsSpec,
    parts: StationParts,
    tasks: &mut JoinSet<()>,
    shutdown: &CancellationToken,
) -> anyhow::Result<crate::station::StationHandle> {
    let stations = spec.stations;
    let service = crate::station::StationService {
        specs: stations.clone(),
        parser: spec.parser,
        data: parts.data,
        downlink: parts.downlink,
        board: parts.board,
        buffer: parts.buffer,
    };
    let (handle, task) = service
        .start(shutdown.clone())
        .context("reading the saved station state")?;
    tasks.spawn(task);
    for (i, station) in stations.iter().enumerate() {
        let Some(address) = station.scanner_port else {
            continue;
        };
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("station[{i}].scanner_port = {address} (station {})", station.code))?;
        tracing::info!(station = %station.code, %address, "scanner port listening");
        tasks.spawn(crate::station::serve_scanner(
            listener,
            station.code.clone(),
            handle.clone(),
            shutdown.clone(),
        ));
    }
    tracing::info!(stations = stations.len(), "station pages at /stations");
    Ok(handle)
}
