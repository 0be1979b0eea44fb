//! The Sparkplug B benchmark: DDATA messages decoded into events by a real
//! agent, next to plain MQTT JSON messages mapped by the same agent binary
//! in the same run (the reference).
//!
//! ```text
//! cargo build --release -p mes-tests --bin agent --bin bench-sparkplug && target/release/bench-sparkplug
//! ```
//!
//! Each leg publishes the same number of messages (QoS 1, one publisher,
//! spread over `--machines` devices) to the broker at 127.0.0.1:1883
//! (`MES_TEST_MQTT=host:port` overrides) and ends when the agent's buffer
//! holds one `parts_counted` event per message (`/healthz`
//! `buffer.last_seq`): JSON `{"good": 1}` through an `[mqtt]` subscription
//! with a per-message counter, and Sparkplug DDATA (the metric `good` by
//! alias only, UInt64 1, seq in order) through `[sparkplug]` with the same
//! counter, after the node's NBIRTH and the devices' DBIRTHs. Printed: the
//! rate of each, the ratio, and the agent's CPU over each leg.

#[path = "../bench_machines/agent.rs"]
#[allow(dead_code)]
mod agent;
#[path = "../bench_machines/procfs.rs"]
#[allow(dead_code)]
mod procfs;

use agent::BenchAgent;
use anyhow::{Context, bail};
use clap::Parser;
use mes_protocols::sparkplug::{BD_SEQ, DataType, Metric, MetricValue, Payload, encode};
use procfs::CpuMark;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use std::time::{Duration, Instant};

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(about = "Benchmarks Sparkplug B DDATA decoding against plain MQTT JSON in a real edge agent")]
struct Args {
    /// Messages per leg.
    #[arg(long, default_value_t = 20_000)]
    messages: u64,
    /// Devices the messages are spread over.
    #[arg(long, default_value_t = 10)]
    machines: u16,
    /// Give up on a leg after this many seconds.
    #[arg(long, default_value_t = 120)]
    deadline_secs: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The agent built beside this binary (the hub is not needed: sync off).
    let exe = std::env::current_exe()?;
    let agent_bin = exe.with_file_name("agent");
    if !agent_bin.exists() {
        bail!(
            "{} not found; build with `cargo build --release -p mes-tests --bin agent --bin bench-sparkplug`",
            agent_bin.display()
        );
    }
    let broker = std::env::var("MES_TEST_MQTT").unwrap_or_else(|_| "127.0.0.1:1883".into());
    if !mes_tests::service_reachable(&broker) {
        println!("SKIPPED: no MQTT broker at {broker} (set MES_TEST_MQTT=host:port)");
        return Ok(());
    }
    let (host, port) = broker.rsplit_once(':').context("the broker is host:port")?;
    let port: u16 = port.parse().context("the broker port")?;
    let rt = tokio::runtime::Runtime::new()?;
    let dir = tempfile::tempdir()?;
    let prefix = format!("spbench{}", std::process::id());
    let machines: Vec<String> = (1..=args.machines).map(|n| format!("m{n:02}")).collect();
    let deadline = Duration::from_secs(args.deadline_secs);
    rt.block_on(async {
        let client = publisher(host, port, &format!("{prefix}-pub"))?;
        let json = json_leg(
            &agent_bin,
            dir.path(),
            &client,
            &broker,
            &prefix,
            &machines,
            args.messages,
            deadline,
        )
        .await?;
        let spb = sparkplug_leg(
            &agent_bin,
            dir.path(),
            &client,
            &broker,
            &prefix,
            &machines,
            args.messages,
            deadline,
        )
        .await?;
        println!(
            "\n{} messages per leg over {} devices, QoS 1, one publisher, broker {broker}",
            args.messages, args.machines
        );
        println!(
            "{:<40} {:>10} {:>16} {:>12}",
            "leg", "events/s", "events / sent", "agent CPU"
        );
        for (name, leg) in [
            ("MQTT JSON {\"good\":1} (reference)", &json),
            ("Sparkplug B DDATA by alias", &spb),
        ] {
            println!(
                "{name:<40} {:>10.0} {:>16} {:>12}",
                leg.rate(),
                format!("{} / {}", leg.events, args.messages),
                leg.cpu
                    .map_or_else(|| "n/a".into(), |c| format!("{:.0}% core", c * 100.0))
            );
        }
        println!("Sparkplug / JSON: {:.2}", spb.rate() / json.rate().max(1.0));
        anyhow::Ok(())
    })
}

struct Leg {
    events: u64,
    elapsed: Duration,
    cpu: Option<f64>,
}

impl Leg {
    fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

fn publisher(host: &str, port: u16, id: &str) -> anyhow::Result<AsyncClient> {
    let mut options = MqttOptions::new(id, host, port);
    options.set_keep_alive(Duration::from_secs(30)).set_inflight(100);
    let (client, mut events) = AsyncClient::new(options, 1000);
    tokio::spawn(async move {
        loop {
            if let Err(e) = events.poll().await {
                eprintln!("publisher: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    Ok(client)
}

fn equipment(machines: &[String], device: impl Fn(&str) -> String) -> String {
    machines
        .iter()
        .map(|m| {
            format!(
                "[[equipment]]\nname = \"{m}\"\ndevice = \"{}\"\noffline_after_secs = 0\n\
                 counters = {{ good = {{ tag = \"good\", mode = \"per_message\" }} }}\n",
                device(m)
            )
        })
        .collect()
}

/// Waits until the buffer holds `target` events, nothing more arrived for
/// two seconds (the broker dropped some), or the deadline; returns the last
/// seq and when it was last seen to grow (so a partial leg's rate is what
/// arrived over the time it took, not over the wait).
async fn until(
    agent: &BenchAgent,
    target: u64,
    started: Instant,
    deadline: Duration,
) -> anyhow::Result<(u64, Duration)> {
    let (mut seen, mut changed) = (agent.last_seq().await?, Instant::now());
    loop {
        let seq = agent.last_seq().await?;
        if seq != seen {
            (seen, changed) = (seq, Instant::now());
        }
        let quiet = changed.elapsed() > Duration::from_secs(2);
        if seq >= target || quiet || started.elapsed() > deadline {
            return Ok((seq, changed.duration_since(started)));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until the buffer stops growing; returns its last seq.
async fn quiet(agent: &BenchAgent) -> anyhow::Result<u64> {
    let mut seq = agent.last_seq().await?;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = agent.last_seq().await?;
        if now == seq {
            return Ok(seq);
        }
        seq = now;
    }
}

#[allow(clippy::too_many_arguments)]
async fn json_leg(
    agent_bin: &std::path::Path,
    dir: &std::path::Path,
    client: &AsyncClient,
    broker: &str,
    prefix: &str,
    machines: &[String],
    messages: u64,
    deadline: Duration,
) -> anyhow::Result<Leg> {
    let config = format!(
        "[mqtt]\nbroker = \"mqtt://{broker}\"\nclient_id = \"{prefix}-json\"\nclean_session = true\n\
         [[mqtt.subscriptions]]\ntopic = \"{prefix}/json/+machine/count\"\nqos = 1\ndevice = \"{{machine}}\"\n\
         payload = \"json\"\nfields = {{ good = \"good\" }}\n{}",
        equipment(machines, str::to_string)
    );
    let agent = BenchAgent::start(agent_bin, &dir.join("json"), &config).await?;
    let topics: Vec<String> = machines
        .iter()
        .map(|m| format!("{prefix}/json/{m}/count"))
        .collect();
    // Subscribed once a probe message becomes an event.
    let probe_deadline = Instant::now() + Duration::from_secs(20);
    let before = agent.last_seq().await?;
    while agent.last_seq().await? <= before + 1 {
        if Instant::now() > probe_deadline {
            bail!(
                "the JSON subscription never took a message; see {}",
                agent.log().display()
            );
        }
        client
            .publish(&topics[0], QoS::AtLeastOnce, false, r#"{"good":1}"#)
            .await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let base = quiet(&agent).await?;
    let ticks = procfs::clock_ticks_per_sec();
    let mark = CpuMark::start(agent.pid());
    let started = Instant::now();
    for i in 0..messages {
        let topic = &topics[(i % topics.len() as u64) as usize];
        client
            .publish(topic, QoS::AtLeastOnce, false, r#"{"good":1}"#)
            .await?;
    }
    let (seq, elapsed) = until(&agent, base + messages, started, deadline).await?;
    let cpu = mark.and_then(|m| m.share_of_core(ticks));
    eprintln!("json: {} events in {:.2} s", seq - base, elapsed.as_secs_f64());
    Ok(Leg {
        events: seq - base,
        elapsed,
        cpu,
    })
}

#[allow(clippy::too_many_arguments)]
async fn sparkplug_leg(
    agent_bin: &std::path::Path,
    dir: &std::path::Path,
    client: &AsyncClient,
    broker: &str,
    prefix: &str,
    machines: &[String],
    messages: u64,
    deadline: Duration,
) -> anyhow::Result<Leg> {
    let group = format!("{prefix}-g");
    let config = format!(
        "[sparkplug]\nbroker = \"mqtt://{broker}\"\nclient_id = \"{prefix}-spb\"\ngroup_id = \"{group}\"\n{}",
        equipment(machines, |m| format!("node/{m}"))
    );
    let agent = BenchAgent::start(agent_bin, &dir.join("sparkplug"), &config).await?;
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    };
    let topic = |kind: &str, device: Option<&str>| match device {
        Some(d) => format!("spBv1.0/{group}/{kind}/node/{d}"),
        None => format!("spBv1.0/{group}/{kind}/node"),
    };
    let mut seq = 0u64;
    let births = |seq: &mut u64| {
        *seq = 0;
        let mut out = vec![(
            topic("NBIRTH", None),
            Payload {
                timestamp: Some(now()),
                seq: Some(0),
                metrics: vec![Metric::named(
                    BD_SEQ,
                    DataType::UInt64,
                    Some(&MetricValue::UInt(0)),
                )],
            },
        )];
        for m in machines {
            *seq += 1;
            out.push((
                topic("DBIRTH", Some(m)),
                Payload {
                    timestamp: Some(now()),
                    seq: Some(*seq % 256),
                    metrics: vec![Metric {
                        alias: Some(1),
                        ..Metric::named("good", DataType::UInt64, Some(&MetricValue::UInt(0)))
                    }],
                },
            ));
        }
        out
    };
    // Subscribed once the births are counted.
    let probe_deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for (t, p) in births(&mut seq) {
            client.publish(t, QoS::AtLeastOnce, false, encode(&p)).await?;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let born = agent.metrics().await?.get("mes_agent_sparkplug_births_total");
        if born > machines.len() as f64 {
            break;
        }
        if Instant::now() > probe_deadline {
            bail!(
                "the Sparkplug births were never counted; see {}",
                agent.log().display()
            );
        }
    }
    let base = quiet(&agent).await?;
    let payloads: Vec<Vec<u8>> = (0..messages)
        .map(|i| {
            encode(&Payload {
                timestamp: Some(now()),
                seq: Some((seq + 1 + i) % 256),
                metrics: vec![Metric {
                    alias: Some(1),
                    value: MetricValue::UInt(1).to_raw(DataType::UInt64),
                    ..Metric::default()
                }],
            })
        })
        .collect();
    let ticks = procfs::clock_ticks_per_sec();
    let mark = CpuMark::start(agent.pid());
    let started = Instant::now();
    for (i, payload) in payloads.into_iter().enumerate() {
        let m = &machines[i % machines.len()];
        client
            .publish(topic("DDATA", Some(m)), QoS::AtLeastOnce, false, payload)
            .await?;
    }
    let (last, elapsed) = until(&agent, base + messages, started, deadline).await?;
    let cpu = mark.and_then(|m| m.share_of_core(ticks));
    eprintln!(
        "sparkplug: {} events in {:.2} s",
        last - base,
        elapsed.as_secs_f64()
    );
    Ok(Leg {
        events: last - base,
        elapsed,
        cpu,
    })
}
