//! `edge-agent`: the command line of the factory gateway's agent.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "edge-agent",
    version,
    about = "Shop-floor MES edge agent: collect, buffer, sync"
)]
struct Cli {
    /// Log JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the agent.
    Run {
        /// Configuration file (TOML); defaults apply when omitted.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Check a configuration file and print every problem found.
    CheckConfig {
        /// Configuration file (TOML).
        file: PathBuf,
    },
    /// Read the configured Modbus tags once (or a raw address range) and
    /// print the decoded values and errors, without starting the agent.
    Probe {
        /// Configuration file (TOML).
        #[arg(long, short)]
        config: PathBuf,
        /// Only this device.
        #[arg(long)]
        device: Option<String>,
        /// Read a raw range instead of the tags: area (coil, discrete_input,
        /// holding_register, input_register).
        #[arg(long, requires_all = ["start", "count", "device"])]
        area: Option<String>,
        /// First 0-based address of the raw range.
        #[arg(long)]
        start: Option<u16>,
        /// How many registers or bits.
        #[arg(long)]
        count: Option<u16>,
        /// OPC UA: also browse the server's address space, from this node
        /// (`nsu=<uri>;s=...` or `ns=0;i=...`; without a value, Objects).
        #[arg(long, num_args = 0..=1, default_missing_value = "")]
        browse: Option<String>,
        /// OPC UA: how many levels to browse.
        #[arg(long, default_value_t = 2)]
        depth: u32,
    },
}

/// Parses the command line and runs the command; the binary's `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init_logging(cli.log_json);
    match cli.command {
        Command::CheckConfig { file } => match crate::config::load(Some(&file)) {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    eprintln!("warning: {warning}");
                }
                match loaded.warnings.len() {
                    0 => println!("{}: ok", file.display()),
                    n => println!("{}: ok, {n} warning(s)", file.display()),
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Probe {
            config,
            device,
            area,
            start,
            count,
            browse,
            depth,
        } => {
            let browse = browse.map(|start| crate::sources::opcua::Browse {
                start: (!start.is_empty()).then_some(start),
                depth,
            });
            crate::probe_cmd::run(&config, device, area, start, count, browse)
        }
        Command::Run { config } => {
            crate::allocator::one_arena();
            let loaded = match crate::config::load(config.as_deref()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            for warning in &loaded.warnings {
                tracing::warn!(%warning, "configuration");
            }
            match runtime.block_on(run(loaded.spec)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn run(spec: crate::config::AgentSpec) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: draining producers and committing the buffer");
        trigger.cancel();
    });
    crate::app::run(spec, shutdown).await
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
