//! Starts the agent's parts, wires them together and stops them in order:
//! producers and the HTTP server first, then the uplink, then the buffer
//! writer, which commits everything already handed to it before the file is
//! closed.

use crate::buffer::{Buffer, BufferSettings};
use crate::config::AgentConfig;
use crate::hub::HubConnection;
use crate::local_api::{self, LocalState};
use crate::uplink::{self, UplinkSettings, UplinkStats};
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Runs the agent until `shutdown` is cancelled.
pub async fn run(config: AgentConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    // The error names the file and the cause once; no context to add.
    let (buffer, writer) = Buffer::open(BufferSettings::from(&config.buffer))?;
    let uplink_stats = Arc::new(UplinkStats::default());
    let mut tasks = tokio::task::JoinSet::new();

    // Before any source runs: an outage since the last heartbeat is
    // committed ahead of the first new machine event.
    let equipment: Vec<mes_protocols::Code> = config
        .equipment
        .iter()
        .filter_map(|e| mes_protocols::Code::parse(&e.name).ok())
        .collect();
    let now = mes_protocols::Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    crate::liveness::on_start(&buffer, &config.liveness, &equipment, now)
        .await
        .context("recording the agent's start")?;
    tasks.spawn(crate::liveness::run(
        buffer.clone(),
        Duration::from_secs(config.liveness.heartbeat_secs),
        shutdown.clone(),
    ));

    let (cache_meta, cached) = crate::downlink::load_from(&buffer).context("reading the downlink cache")?;
    let master_data = crate::downlink::MasterDataHandle::new(cached);
    let downlink_status = Arc::new(crate::downlink::DownlinkStatus::default());

    let hub = config.hub.parse("configuration")?;
    let sync_enabled = match &hub.credentials {
        Some(credentials) => {
            // One connection for the uplink and the downlink: any success
            // through it ends the uplink's backoff wait.
            let connection = HubConnection::new(&hub.url, &credentials.token, hub.request_timeout)
                .context("building the hub connection")?;
            if config.downlink.enabled {
                let task = crate::downlink::DownlinkTask {
                    hub: connection.clone(),
                    buffer: buffer.clone(),
                    data: master_data.clone(),
                    meta: cache_meta,
                    interval: Duration::from_millis(config.downlink.interval_ms),
                    page_limit: config.downlink.page_limit,
                    status: downlink_status.clone(),
                };
                tasks.spawn(task.run(shutdown.clone()));
            }
            tasks.spawn(uplink::run(
                buffer.clone(),
                connection,
                UplinkSettings::new(&hub, credentials.agent_id),
                uplink_stats.clone(),
                shutdown.clone(),
            ));
            tracing::info!(hub = %hub.url, agent = %credentials.agent_id, "sync on");
            true
        }
        None => {
            tracing::warn!(
                "sync off: no hub.agent_id and hub.token (MES_AGENT_ID / MES_AGENT_TOKEN); buffering only"
            );
            false
        }
    };

    // Machine data: every source feeds one observation channel, which the
    // equipment task consumes (`observations`).
    let source_stats = Arc::new(crate::sources::SourceStats::default());
    let (observation_sink, observations) = crate::sources::observation_channel(source_stats.clone());
    let machines = crate::machines::start(
        &config,
        &buffer,
        &observation_sink,
        observations,
        &mut tasks,
        &shutdown,
    )?;
    // The MQTT source (sources/mqtt) feeds the same observation sink.
    if let Some(mqtt) = &config.mqtt {
        let settings = mqtt.parse("configuration").context("the [mqtt] section")?;
        tasks.spawn(crate::sources::mqtt::run(
            settings,
            observation_sink.clone(),
            shutdown.clone(),
        ));
    }

    if config.generator.enabled {
        tasks.spawn(crate::generator::run(
            config.generator.clone(),
            buffer.clone(),
            shutdown.clone(),
        ));
        tracing::info!(
            events_per_sec = config.generator.events_per_sec,
            "demo event generator on"
        );
    }

    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("listening on http.listen = {}", config.http.listen))?;
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
        intake_allow_missing_id: config.http.intake_allow_missing_id,
    };
    let mut router = local_api::router(state);
    if !config.station.is_empty() {
        let handle = start_stations(
            &config,
            &buffer,
            master_data,
            downlink_status,
            machines_board,
            &mut tasks,
            &shutdown,
        )
        .await?;
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

/// Starts the station service and each station's scanner port.
async fn start_stations(
    config: &AgentConfig,
    buffer: &Buffer,
    data: crate::downlink::MasterDataHandle,
    downlink: Arc<crate::downlink::DownlinkStatus>,
    board: Arc<crate::equipment::EquipmentBoard>,
    tasks: &mut tokio::task::JoinSet<()>,
    shutdown: &CancellationToken,
) -> anyhow::Result<crate::station::StationHandle> {
    let specs = crate::station::parse_stations("configuration", &config.station)?;
    let parser = mes_protocols::barcode::ScanParser::new(&config.scan)
        .map_err(|e| anyhow::anyhow!("configuration: key scan.{}: {}", e.field, e.reason))?;
    let service = crate::station::StationService {
        specs: specs.clone(),
        parser,
        data,
        downlink,
        board,
        buffer: buffer.clone(),
    };
    let (handle, task) = service
        .start(shutdown.clone())
        .context("reading the saved station state")?;
    tasks.spawn(task);
    for (i, spec) in specs.iter().enumerate() {
        let Some(address) = spec.scanner_port else {
            continue;
        };
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("station[{i}].scanner_port = {address} (station {})", spec.code))?;
        tracing::info!(station = %spec.code, %address, "scanner port listening");
        tasks.spawn(crate::station::serve_scanner(
            listener,
            spec.code.clone(),
            handle.clone(),
            shutdown.clone(),
        ));
    }
    tracing::info!(stations = specs.len(), "station pages at /stations");
    Ok(handle)
}
