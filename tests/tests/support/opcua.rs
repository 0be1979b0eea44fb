//! What the OPC UA tests share (`opcua_machines.rs`, `opcua_security.rs`):
//! the asyncua server (`tests/python/opcua_server.py`) started on a free
//! port, the namespace URI its machine lives in, the agent's configuration
//! of that machine as equipment `cnc-1`, and the equipment's state as the
//! agent reports it.

use mes_tests::python::{Script, script};
use mes_tests::{AgentProcess, free_port};
use std::path::PathBuf;

/// The namespace of the server's machine, named by URI in the agent's
/// configuration.
pub const URI: &str = "urn:mes:test";

/// Starts the asyncua server on a free port, with `extra` after the port
/// and [`URI`] (a folder for its certificates, then user modes): the
/// running script and its port.
pub async fn start_server(python: &PathBuf, extra: &[&str]) -> (Script, u16) {
    let port = free_port();
    let port_text = port.to_string();
    let mut args = vec![port_text.as_str(), URI];
    args.extend_from_slice(extra);
    let server = Script::start(python, script("opcua_server.py"), &args)
        .await
        .expect("the asyncua server starts");
    (server, port)
}

/// The agent's configuration: the server at `port` as `[[opcua]]` `cnc-1`
/// (publishing every 100 ms, reconnecting within a second) with `opcua`
/// added (security, tags), and the equipment `cnc-1`, running when its tag
/// `state` says "running" and idle otherwise, with `equipment` added
/// (values, counters).
pub fn agent_config(port: u16, opcua: &str, equipment: &str) -> String {
    format!(
        r#"
[[opcua]]
name = "cnc-1"
endpoint = "opc.tcp://127.0.0.1:{port}/"
publishing_interval_ms = 100
reconnect_initial_ms = 100
reconnect_max_secs = 1
{opcua}

[[equipment]]
name = "cnc-1"
device = "cnc-1"
offline_after_secs = 0
states = [
  {{ state = "running", tag = "state", op = "eq", text = "running" }},
  {{ state = "idle", tag = "state", op = "other" }},
]
{equipment}
"#
    )
}

/// The state of equipment `cnc-1` on the agent's health page.
pub async fn agent_state(agent: &AgentProcess) -> Option<String> {
    let health = agent.health().await.ok()?;
    health["equipment"]["cnc-1"]["state"].as_str().map(str::to_string)
}
