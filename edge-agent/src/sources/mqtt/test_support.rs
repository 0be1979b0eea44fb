//! Helpers for the broker tests: finding (or starting) Mosquitto, a test
//! publisher that waits for the broker's PUBACK, the source under test with
//! its observation channel, and deadline-bound waiting.

use super::config::{MqttConfig, MqttSettings};
use crate::sources::{Envelope, Observation, ObservationKind, SourceStats, observation_channel};
use mes_protocols::config_text::{ConfigError, parse_toml};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long any awaited condition may take.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// The shared broker (`MES_TEST_MQTT`, default `127.0.0.1:1883`) if it
/// accepts connections; prints why not otherwise.
pub async fn shared_broker() -> Option<String> {
    let addr = std::env::var("MES_TEST_MQTT").unwrap_or_else(|_| "127.0.0.1:1883".into());
    let addr = addr
        .trim_start_matches("mqtt://")
        .trim_end_matches('/')
        .to_string();
    match tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(&addr)).await {
        Ok(Ok(_)) => Some(addr),
        _ => {
            eprintln!("skipping: no MQTT broker at {addr} (set MES_TEST_MQTT to host:port)");
            None
        }
    }
}

/// A unique topic prefix and client-id suffix, so tests run in parallel.
pub fn unique(what: &str) -> String {
    format!("mes-test-{what}-{:016x}", rand::random::<u64>())
}

/// A configuration file holding only an `[mqtt]` section.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MqttOnly {
    mqtt: Option<MqttConfig>,
}

/// The `[mqtt]` section of `text` read from `file`, as the agent's loader
/// reads it (unknown keys are errors naming their key).
pub fn read_section(file: &str, text: &str) -> Result<Option<MqttConfig>, ConfigError> {
    parse_toml::<MqttOnly>(file, text).map(|doc| doc.mqtt)
}

/// Settings for `broker` with the given `[[mqtt.subscriptions]]` TOML.
pub fn settings(broker: &str, client_id: &str, clean: bool, reconnect_ms: u64, subs: &str) -> MqttSettings {
    let text = format!(
        "[mqtt]\nname = \"test-broker\"\nbroker = \"mqtt://{broker}\"\nclient_id = \"{client_id}\"\n\
         clean_session = {clean}\nreconnect_initial_ms = {reconnect_ms}\nreconnect_max_secs = 10\n{subs}"
    );
    read_section("test.toml", &text)
        .expect("test config parses")
        .expect("test config has [mqtt]")
        .parse_with_env("test.toml", |_| None)
        .expect("test config is valid")
}

/// The source under test, running on its own task.
pub struct Agent {
    /// What the source observed.
    pub rx: mpsc::Receiver<Envelope>,
    /// Everything received from `rx` so far.
    pub seen: Vec<Observation>,
    /// The bad-input counters.
    pub stats: Arc<SourceStats>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Agent {
    /// Starts `super::run` with a fresh observation channel.
    pub fn start(settings: MqttSettings) -> Self {
        let stats = Arc::new(SourceStats::default());
        let (sink, rx) = observation_channel(stats.clone());
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(super::run(settings, sink, shutdown.clone()));
        Self {
            rx,
            seen: Vec::new(),
            stats,
            shutdown,
            task,
        }
    }

    /// Receives until `done(seen)` holds; false at the deadline.
    pub async fn until(&mut self, done: impl Fn(&[Observation]) -> bool, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while !done(&self.seen) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(envelope)) => self.take(envelope),
                _ => return false,
            }
        }
        true
    }

    /// Takes what has arrived so far, without waiting.
    pub fn drain(&mut self) {
        while let Ok(envelope) = self.rx.try_recv() {
            self.take(envelope);
        }
    }

    fn take(&mut self, envelope: Envelope) {
        // Stands in for the equipment task's commit.
        if let Some(receipt) = envelope.committed {
            let _ = receipt.send(());
        }
        self.seen.push(envelope.observation);
    }

    /// Stops the source and waits for it to disconnect.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(DEADLINE, self.task).await;
    }
}

/// The text value of tag observations of `device`, in arrival order.
pub fn values(seen: &[Observation], device: &str, tag: &str) -> Vec<String> {
    seen.iter()
        .filter(|o| o.device.as_str() == device)
        .flat_map(|o| match &o.kind {
            ObservationKind::Snapshot { values, .. } => values
                .iter()
                .filter(|(t, _)| t.as_str() == tag)
                .map(|(_, value)| value.to_string())
                .collect(),
            ObservationKind::Link { .. } => Vec::new(),
        })
        .collect()
}

/// Link observations of `device` as `up`/`down`, in arrival order.
pub fn links(seen: &[Observation], device: &str) -> Vec<&'static str> {
    seen.iter()
        .filter(|o| o.device.as_str() == device)
        .filter_map(|o| match &o.kind {
            ObservationKind::Link { state, .. } => Some(match state {
                mes_protocols::event::LinkState::Up => "up",
                mes_protocols::event::LinkState::Down => "down",
            }),
            ObservationKind::Snapshot { .. } => None,
        })
        .collect()
}

/// Polls `condition` until it holds or `within` passes.
pub async fn eventually(condition: impl Fn() -> bool, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while !condition() {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// A client publishing test messages at QoS 1, confirmed by the broker.
pub struct Publisher {
    client: AsyncClient,
    acked: watch::Receiver<u64>,
    sent: u64,
    task: tokio::task::JoinHandle<()>,
}

impl Publisher {
    /// Connects to `broker` (`host:port`).
    pub fn connect(broker: &str) -> Self {
        let (host, port) = broker.rsplit_once(':').expect("broker is host:port");
        let port = port.parse().expect("broker port is a number");
        let mut options = MqttOptions::new(unique("pub"), host, port);
        // Room for the oversized messages some tests publish.
        options.set_max_packet_size(32 * 1024 * 1024, 32 * 1024 * 1024);
        let (client, mut events) = AsyncClient::new(options, 100);
        let (tx, acked) = watch::channel(0u64);
        let task = tokio::spawn(async move {
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(_))) => tx.send_modify(|n| *n += 1),
                    Ok(_) => {}
                    // Retry pacing for the test client, not a wait for a condition.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        Self {
            client,
            acked,
            sent: 0,
            task,
        }
    }

    /// Publishes at QoS 1 and waits until the broker acknowledged it.
    pub async fn publish(&mut self, topic: &str, payload: &[u8]) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.to_vec())
            .await
            .expect("queued");
        self.sent += 1;
        let sent = self.sent;
        let acked = tokio::time::timeout(DEADLINE, self.acked.wait_for(|n| *n >= sent)).await;
        assert!(
            matches!(acked, Ok(Ok(_))),
            "broker acknowledged the publish to {topic}"
        );
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A Mosquitto process of our own, on a fixed free port, with persistence
/// in a temporary directory (so its sessions survive its restarts).
pub struct Mosquitto {
    /// `127.0.0.1:port`.
    pub addr: String,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Mosquitto {
    /// Starts one, or prints why it cannot and returns `None`.
    pub async fn start() -> Option<Self> {
        let Some(binary) = find_mosquitto() else {
            eprintln!("skipping: no `mosquitto` binary in PATH or /usr/sbin");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let dir = tempfile::tempdir().ok()?;
        // Started as root, mosquitto drops to its own user, which must still
        // be able to write its persistence file and log here.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).ok()?;
        let conf = format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {dir}/\nlog_dest file {dir}/mosquitto.log\nlog_type all\n",
            dir = dir.path().display()
        );
        std::fs::write(dir.path().join("mosquitto.conf"), conf).ok()?;
        let mut broker = Self {
            addr: format!("127.0.0.1:{port}"),
            dir,
            child: None,
        };
        broker.child = Some(spawn(&binary, &broker.dir.path().join("mosquitto.conf"))?);
        broker.wait_listening().await.then_some(broker)
    }

    /// The broker's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// Stops the broker with SIGTERM (it saves its sessions) and waits.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port.
    pub async fn restart(&mut self) -> bool {
        let Some(binary) = find_mosquitto() else {
            return false;
        };
        self.child = spawn(&binary, &self.dir.path().join("mosquitto.conf"));
        self.child.is_some() && self.wait_listening().await
    }

    async fn wait_listening(&self) -> bool {
        let deadline = Instant::now() + DEADLINE;
        while Instant::now() < deadline {
            if tokio::net::TcpStream::connect(&self.addr).await.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!("mosquitto did not start listening on {}", self.addr);
        false
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn find_mosquitto() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join("mosquitto"))
        .find(|candidate| candidate.is_file())
}

fn spawn(binary: &PathBuf, conf: &std::path::Path) -> Option<Child> {
    Command::new(binary)
        .arg("-c")
        .arg(conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}
