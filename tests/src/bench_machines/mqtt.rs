//! Phase 2: MQTT messages mapped to events by a real agent, next to the
//! broker's own round trip measured in the same run.
//!
//! Every leg publishes the same N messages from one rumqttc client, spread
//! over per-machine topics under a prefix unique to this run (the broker is
//! shared): to a plain subscriber (the reference: publish → broker →
//! subscriber), measured before and after the agent leg because the shared
//! broker and machine are noisy; and to the agent, whose subscription maps each message to
//! a per-message part counter of one equipment, i.e. one `parts_counted`
//! event committed to its SQLite buffer. The agent leg ends when the
//! buffer's `last_seq` has grown by N.

use super::agent::BenchAgent;
use super::procfs::{self, CpuMark};
use anyhow::{Context, bail};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, QoS};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long nothing may arrive, after the broker acknowledged every
/// message, before a leg counts the rest as dropped by the broker.
const QUIET: Duration = Duration::from_secs(2);

/// The agent's counter of buffer transactions (group commits).
const COMMITS: &str = "mes_agent_buffer_commits_total";

/// Environment variable naming the broker (`host:port`).
pub const ENV_BROKER: &str = "MES_TEST_MQTT";

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Broker `host:port`.
    pub broker: String,
    /// Messages per leg.
    pub messages: u64,
    /// Machines (topics) the messages are spread over.
    pub machines: u16,
    /// QoS of publishing and of both subscriptions.
    pub qos: QoS,
    /// Unacknowledged QoS 1 messages the publisher may have in flight.
    pub inflight: u16,
    /// Give up on a leg after this long.
    pub deadline: Duration,
}

/// One leg's timing.
#[derive(Debug, Clone, Copy)]
pub struct Leg {
    /// Messages (or events) that arrived.
    pub arrived: u64,
    /// From the first publish until the last arrival. When fewer than N
    /// arrive (the broker dropped some, or the deadline passed), the rate is
    /// still arrivals over the time they took.
    pub elapsed: Duration,
    /// From the first publish until the broker acknowledged the last
    /// message (QoS 1) or the client wrote it (QoS 0).
    pub published_after: Option<Duration>,
}

impl Leg {
    /// Arrivals per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.arrived as f64 / secs
        } else {
            0.0
        }
    }
}

/// The measured figures.
#[derive(Debug, Clone)]
pub struct MqttRun {
    /// Publisher → broker → plain subscriber, before the agent leg.
    pub raw_before: Leg,
    /// The same, after the agent leg (the broker is shared, the machine
    /// noisy: two references bracket the figure).
    pub raw_after: Leg,
    /// Publisher → broker → agent → buffer.
    pub agent: Leg,
    /// Agent CPU over its leg, share of one core.
    pub agent_cpu: Option<f64>,
    /// Broker CPU over the agent leg (when a local `mosquitto` is found).
    pub broker_cpu: Option<f64>,
    /// Agent VmHWM at the end, kB.
    pub agent_hwm_kb: Option<u64>,
    /// Bad inputs the agent counted.
    pub bad_inputs: f64,
    /// Buffer transactions the agent committed during its leg.
    pub commits: f64,
    /// Median durable SQLite commit on the same disk, right after the agent
    /// leg (autocommit insert, WAL, `synchronous=FULL`).
    pub sqlite_commit: Option<Duration>,
}

/// Outcome of the phase.
pub enum Outcome {
    /// No broker: why.
    Skipped(String),
    /// The figures.
    Ran(MqttRun),
}

/// The broker address to use: `MES_TEST_MQTT` or 127.0.0.1:1883.
pub fn broker_address() -> String {
    std::env::var(ENV_BROKER).unwrap_or_else(|_| "127.0.0.1:1883".into())
}

/// Runs both legs, or skips when the broker does not answer.
pub async fn run(agent_bin: &Path, dir: &Path, plan: &Plan) -> anyhow::Result<Outcome> {
    if !mes_tests::service_reachable(&plan.broker) {
        return Ok(Outcome::Skipped(format!(
            "no MQTT broker answers at {} (set {ENV_BROKER}=host:port)",
            plan.broker
        )));
    }
    let (host, port) = split(&plan.broker)?;
    let prefix = format!(
        "mesbench-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let machines: Vec<String> = (1..=plan.machines).map(|n| format!("m{n:02}")).collect();
    let publisher = Publisher::connect(&host, port, &format!("{prefix}-pub"), plan.inflight).await?;

    let raw_topics: Vec<String> = machines
        .iter()
        .map(|m| format!("{prefix}/raw/{m}/count"))
        .collect();
    let raw_filter = format!("{prefix}/raw/+/count");
    let raw_before = raw_leg(
        &publisher,
        &host,
        port,
        &format!("{prefix}-sub1"),
        &raw_filter,
        &raw_topics,
        plan,
    )
    .await?;
    eprintln!("mqtt raw (before): {:.0} msg/s", raw_before.rate());

    let agent_topics: Vec<String> = machines
        .iter()
        .map(|m| format!("{prefix}/agent/{m}/count"))
        .collect();
    let agent = BenchAgent::start(
        agent_bin,
        &dir.join("agent-mqtt"),
        &agent_config(&plan.broker, &prefix, &machines, plan.qos),
    )
    .await?;
    let base = subscribed(&agent, &publisher, &agent_topics[0], plan.qos).await?;
    let commits_before = agent.metrics().await?.get(COMMITS);
    let ticks = procfs::clock_ticks_per_sec();
    let agent_mark = CpuMark::start(agent.pid());
    let broker_mark = find_comm("mosquitto").and_then(CpuMark::start);
    let started = Instant::now();
    let acked = publisher.published();
    let send = publisher.publish_all(&agent_topics, plan.messages, plan.qos);
    let wait = async {
        let deadline = started + plan.deadline;
        let (mut seen, mut last_change) = (base, started);
        loop {
            let seq = agent.last_seq().await?;
            if seq != seen {
                (seen, last_change) = (seq, Instant::now());
            }
            // Done: all arrived; or the broker acknowledged every message
            // to the publisher and nothing more arrives (it dropped some).
            let quiet = publisher.published() >= acked + plan.messages && last_change.elapsed() > QUIET;
            if seq >= base + plan.messages || quiet || Instant::now() > deadline {
                return anyhow::Ok((seq.saturating_sub(base), last_change.duration_since(started)));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (sent, arrived) = tokio::join!(send, wait);
    sent?;
    let (arrived, elapsed) = arrived?;
    let agent_cpu = agent_mark.and_then(|m| m.share_of_core(ticks));
    let broker_cpu = broker_mark.and_then(|m| m.share_of_core(ticks));
    let published_after = publisher
        .wait_published(acked + plan.messages, started, plan.deadline)
        .await;
    let metrics = agent.metrics().await?;
    let bad_inputs = metrics.sum("mes_agent_source_bad_inputs_total");
    let commits = metrics.get(COMMITS) - commits_before;
    let agent_hwm_kb = procfs::status_kb(agent.pid(), "VmHWM");
    eprintln!("mqtt agent: {arrived} events in {:.2} s", elapsed.as_secs_f64());
    // The agent leaves the broker before the second reference runs.
    drop(agent);
    let sqlite_commit = procfs::sqlite_commit_latency(dir, 50);
    let raw_after = raw_leg(
        &publisher,
        &host,
        port,
        &format!("{prefix}-sub2"),
        &raw_filter,
        &raw_topics,
        plan,
    )
    .await?;
    eprintln!("mqtt raw (after): {:.0} msg/s", raw_after.rate());
    let run = MqttRun {
        raw_before,
        raw_after,
        agent: Leg {
            arrived,
            elapsed,
            published_after,
        },
        agent_cpu,
        broker_cpu,
        agent_hwm_kb,
        bad_inputs,
        commits,
        sqlite_commit,
    };
    publisher.disconnect().await;
    Ok(Outcome::Ran(run))
}

fn split(broker: &str) -> anyhow::Result<(String, u16)> {
    let (host, port) = broker
        .rsplit_once(':')
        .with_context(|| format!("{ENV_BROKER}: `{broker}` is not host:port"))?;
    Ok((host.to_string(), port.parse().context("the broker port")?))
}

/// The agent's `[mqtt]` section and one equipment per machine whose good
/// counter counts one part per message.
fn agent_config(broker: &str, prefix: &str, machines: &[String], qos: QoS) -> String {
    let mut out = format!(
        r#"
[mqtt]
broker = "mqtt://{broker}"
client_id = "{prefix}-agent"
# A fresh session: the benchmark leaves no session behind on a shared broker.
clean_session = true
[[mqtt.subscriptions]]
topic = "{prefix}/agent/+machine/count"
qos = {qos}
device = "{{machine}}"
payload = "value"
tag = "good"
"#,
        qos = qos as u8
    );
    for m in machines {
        out.push_str(&format!(
            "[[equipment]]\nname = \"{m}\"\ndevice = \"{m}\"\noffline_after_secs = 0\n\
             counters = {{ good = {{ tag = \"good\", mode = \"per_message\" }} }}\n"
        ));
    }
    out
}

/// Waits until the agent is connected and subscribed (a probe message
/// becomes an event), then until its buffer is quiet; returns `last_seq`.
async fn subscribed(agent: &BenchAgent, publisher: &Publisher, topic: &str, qos: QoS) -> anyhow::Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(20);
    // The link-up event comes first; a probe sent before it may be lost.
    let mut seq = agent.last_seq().await?;
    while seq == 0 {
        if Instant::now() > deadline {
            bail!(
                "the agent did not connect to the broker; see {}",
                agent.log().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        seq = agent.last_seq().await?;
    }
    let before = seq;
    while seq == before {
        if Instant::now() > deadline {
            bail!(
                "probe messages never became events; see {}",
                agent.log().display()
            );
        }
        publisher.client.publish(topic, qos, false, "1").await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        seq = agent.last_seq().await?;
    }
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = agent.last_seq().await?;
        if now == seq {
            return Ok(seq);
        }
        seq = now;
    }
}

/// The reference leg: the same messages to a plain subscriber.
async fn raw_leg(
    publisher: &Publisher,
    host: &str,
    port: u16,
    client_id: &str,
    filter: &str,
    topics: &[String],
    plan: &Plan,
) -> anyhow::Result<Leg> {
    let mut options = MqttOptions::new(client_id, host, port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_session(true);
    let (client, mut events) = AsyncClient::new(options, 100);
    // A wildcard filter, like the agent's subscription.
    client.subscribe(filter, plan.qos).await?;
    wait_for(
        &mut events,
        |p| matches!(p, Packet::SubAck(_)),
        "the subscription",
    )
    .await?;
    let acked = publisher.published();
    let started = Instant::now();
    let receive = async {
        let deadline = started + plan.deadline;
        let (mut arrived, mut last) = (0, started);
        while arrived < plan.messages {
            // Wake at least every QUIET to notice that nothing more comes.
            let until = tokio::time::Instant::from_std(deadline.min(Instant::now() + QUIET));
            match tokio::time::timeout_at(until, events.poll()).await {
                Err(_) => {
                    let quiet = publisher.published() >= acked + plan.messages && last.elapsed() > QUIET;
                    if quiet || Instant::now() >= deadline {
                        break;
                    }
                }
                Ok(Ok(Event::Incoming(Packet::Publish(_)))) => {
                    (arrived, last) = (arrived + 1, Instant::now());
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(anyhow::anyhow!("raw subscriber: {e}")),
            }
        }
        Ok((arrived, last.duration_since(started)))
    };
    let (sent, received) = tokio::join!(publisher.publish_all(topics, plan.messages, plan.qos), receive);
    sent?;
    let (arrived, elapsed) = received?;
    let published_after = publisher
        .wait_published(acked + plan.messages, started, plan.deadline)
        .await;
    let _ = client.try_disconnect();
    let _ = tokio::time::timeout(Duration::from_secs(1), events.poll()).await;
    Ok(Leg {
        arrived,
        elapsed,
        published_after,
    })
}

async fn wait_for(events: &mut EventLoop, pred: impl Fn(&Packet) -> bool, what: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, events.poll()).await {
            Err(_) => bail!("no answer from the broker for {what} within 10 s"),
            Ok(Ok(Event::Incoming(p))) if pred(&p) => return Ok(()),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => bail!("MQTT error waiting for {what}: {e}"),
        }
    }
}

/// The publishing client; its event loop runs on a task that counts what
/// the broker acknowledged (QoS 1) or the client wrote (QoS 0).
struct Publisher {
    client: AsyncClient,
    /// Messages acknowledged or written so far, and when the last one was.
    done: watch::Receiver<(u64, Instant)>,
    task: tokio::task::JoinHandle<()>,
}

impl Publisher {
    async fn connect(host: &str, port: u16, id: &str, inflight: u16) -> anyhow::Result<Self> {
        let mut options = MqttOptions::new(id, host, port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_clean_session(true)
            .set_inflight(inflight.max(1))
            .set_request_channel_capacity(1000);
        let (client, mut events) = AsyncClient::new(options, 1000);
        wait_for(&mut events, |p| matches!(p, Packet::ConnAck(_)), "the connection").await?;
        let (tx, done) = watch::channel((0, Instant::now()));
        let count = move || tx.send_modify(|(n, at)| (*n, *at) = (*n + 1, Instant::now()));
        let task = tokio::spawn(async move {
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(_))) => count(),
                    // Packet id 0: a QoS 0 message, written.
                    Ok(Event::Outgoing(Outgoing::Publish(0))) => count(),
                    Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("MQTT publisher: {e}");
                        break;
                    }
                }
            }
        });
        Ok(Self { client, done, task })
    }

    /// Messages acknowledged (QoS 1) or written (QoS 0) so far.
    fn published(&self) -> u64 {
        self.done.borrow().0
    }

    /// Queues `n` messages round-robin over `topics`.
    async fn publish_all(&self, topics: &[String], n: u64, qos: QoS) -> anyhow::Result<()> {
        for i in 0..n {
            let topic = &topics[(i % topics.len() as u64) as usize];
            self.client.publish(topic.as_str(), qos, false, "1").await?;
        }
        Ok(())
    }

    /// Time from `started` until the broker had acknowledged (QoS 1) or
    /// the client had written (QoS 0) `target` messages, if that happens
    /// within `deadline` of `started`.
    async fn wait_published(&self, target: u64, started: Instant, deadline: Duration) -> Option<Duration> {
        let mut done = self.done.clone();
        let left = deadline.saturating_sub(started.elapsed());
        let reached = tokio::time::timeout(left, done.wait_for(|(n, _)| *n >= target)).await;
        match reached {
            Ok(Ok(state)) => Some(state.1.saturating_duration_since(started)),
            _ => None,
        }
    }

    async fn disconnect(self) {
        let _ = self.client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.task).await;
    }
}

/// The pid of the one process whose command name (`/proc/<pid>/comm`) is
/// `comm`; None when there is none or several (which one serves us is then
/// unknown).
fn find_comm(comm: &str) -> Option<u32> {
    let found: Vec<u32> = std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let name = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            (name.trim() == comm).then_some(pid)
        })
        .collect();
    match found[..] {
        [pid] => Some(pid),
        _ => None,
    }
}
