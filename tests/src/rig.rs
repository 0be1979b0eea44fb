//! The common set-up of an end-to-end test: a hub with a tenant, site and
//! agent provisioned, started, and that agent started against it, all in
//! one temporary directory.

use crate::process::{AgentProcess, Binaries, HubProcess, Provisioned};

/// The binaries of this package, for integration tests (`env!` is expanded
/// in the calling test crate, where Cargo sets `CARGO_BIN_EXE_*`).
#[macro_export]
macro_rules! binaries {
    () => {
        $crate::Binaries {
            hub: env!("CARGO_BIN_EXE_hub").into(),
            agent: env!("CARGO_BIN_EXE_agent").into(),
        }
    };
}

/// A running hub and agent; both are killed and the directory removed when
/// it is dropped.
pub struct Rig {
    /// The agent (its files live in `dir/agent`).
    pub agent: AgentProcess,
    /// The hub.
    pub hub: HubProcess,
    /// Tenant `acme`, site `plant-1`, the agent's and an API token.
    pub creds: Provisioned,
    /// Everything's files.
    pub dir: tempfile::TempDir,
}

/// Starts a hub, provisions tenant `acme` / site `plant-1` / one agent, and
/// starts that agent with `agent_toml` appended to its configuration.
pub async fn start_rig(bins: &Binaries, agent_toml: &str) -> anyhow::Result<Rig> {
    let dir = tempfile::tempdir()?;
    let mut hub = HubProcess::new(&bins.hub, dir.path())?;
    let creds = hub.provision("acme", "plant-1")?;
    hub.start().await?;
    let agent_dir = dir.path().join("agent");
    std::fs::create_dir_all(&agent_dir)?;
    let mut agent = AgentProcess::new(&bins.agent, &agent_dir, &hub.url(), &creds, agent_toml)?;
    agent.start().await?;
    Ok(Rig {
        agent,
        hub,
        creds,
        dir,
    })
}
