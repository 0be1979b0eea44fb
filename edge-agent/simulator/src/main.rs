//! `machine-sim`: serve simulated machines over Modbus TCP and publish their
//! MQTT messages and Sparkplug B data until Ctrl-C (or SIGTERM). Everything but argument handling lives in
//! the library, so tests can run the same simulator in-process.

use anyhow::Context as _;
use clap::Parser;
use machine_sim::config::{ListenerConfig, MqttConfig, SparkplugConfig};
use machine_sim::{SimConfig, Simulator};
use std::path::PathBuf;
use tracing_subscriber::EnvFilter;

/// Simulated machines over Modbus TCP and MQTT, for demos, tests and
/// benchmarks of the edge agent. Flags override the config file.
#[derive(Debug, Parser)]
#[command(name = "machine-sim", version)]
struct Args {
    /// TOML configuration (see config/machine-sim.toml).
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Number of generated machines (unit ids from 1). Default 3 without a
    /// config file.
    #[arg(long)]
    machines: Option<u16>,
    /// Serve every machine on this one Modbus TCP address (replaces the
    /// configured listeners).
    #[arg(long)]
    modbus: Option<String>,
    /// Publish MQTT messages to this broker (host:port).
    #[arg(long)]
    mqtt: Option<String>,
    /// MQTT topic prefix.
    #[arg(long)]
    topic_prefix: Option<String>,
    /// Publish the machines as the devices of a Sparkplug B edge node to
    /// this broker (host:port).
    #[arg(long)]
    sparkplug: Option<String>,
    /// Share of MQTT messages preceded by a malformed one (0..=1).
    #[arg(long)]
    malformed_rate: Option<f64>,
    /// Seed of all random choices.
    #[arg(long)]
    seed: Option<u64>,
    /// Tick length in milliseconds.
    #[arg(long)]
    tick_ms: Option<u64>,
    /// Print what would be served and exit.
    #[arg(long)]
    dry_run: bool,
}

impl Args {
    /// The configuration, whether to stop after checking it, and where it
    /// came from (for messages).
    fn into_config(self) -> anyhow::Result<(SimConfig, bool, String)> {
        let source = match &self.config {
            Some(path) => path.display().to_string(),
            None => "the command line".to_string(),
        };
        let mut config = match &self.config {
            Some(path) => SimConfig::from_file(path)?,
            None => SimConfig::default(),
        };
        if let Some(count) = self.machines {
            config.generate.count = count;
        } else if self.config.is_none() {
            config.generate.count = 3;
        }
        if let Some(address) = self.modbus {
            config.listeners = vec![ListenerConfig {
                address,
                machines: Vec::new(),
            }];
        }
        let wants_mqtt = self.mqtt.is_some() || self.topic_prefix.is_some() || self.malformed_rate.is_some();
        if wants_mqtt {
            let mqtt = config.mqtt.get_or_insert_with(MqttConfig::default);
            if let Some(broker) = self.mqtt {
                mqtt.broker = broker;
            }
            if let Some(prefix) = self.topic_prefix {
                mqtt.topic_prefix = prefix;
            }
            if let Some(rate) = self.malformed_rate {
                mqtt.malformed_rate = rate;
            }
        }
        if let Some(broker) = self.sparkplug {
            config
                .sparkplug
                .get_or_insert_with(SparkplugConfig::default)
                .broker = broker;
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(tick_ms) = self.tick_ms {
            config.tick_ms = tick_ms;
        }
        Ok((config, self.dry_run, source))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let (config, dry_run, source) = Args::parse().into_config()?;
    if dry_run {
        let plan = machine_sim::Plan::from_config(&config).with_context(|| format!("checking {source}"))?;
        println!(
            "{} machines would be served; start without --dry-run for addresses",
            plan.machines.len()
        );
        for m in &plan.machines {
            println!("  unit {:>3}  {} (line {})", m.unit_id, m.name, m.line);
        }
        return Ok(());
    }
    let sim = Simulator::start(config)
        .await
        .with_context(|| format!("starting the simulator from {source}"))?;
    // Listen for signals before telling anyone where we serve, so that a
    // supervisor reacting to the summary cannot kill us uncleanly.
    let stop = stop_signal().context("installing the Ctrl-C and SIGTERM handlers")?;
    // A closed stdout (`machine-sim | head`) must not stop the simulator.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), sim.summary().as_bytes());
    stop.await.context("waiting for Ctrl-C or SIGTERM")?;
    eprintln!("stopping…");
    let stats = sim.mqtt_stats();
    sim.shutdown().await;
    if stats.published > 0 || stats.dropped > 0 {
        eprintln!(
            "MQTT: {} published ({} malformed on purpose), {} dropped",
            stats.published, stats.malformed, stats.dropped
        );
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix (systemd and containers stop with it). On
/// Unix both handlers are installed when this returns; the future completes
/// on the first signal.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = std::io::Result<()>>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        Ok(())
    })
}

/// Ctrl-C elsewhere.
#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = std::io::Result<()>>> {
    Ok(tokio::signal::ctrl_c())
}
