//! The hub's memory under a burst: the real hub binary, its resident set
//! (`VmRSS` of `/proc/PID/status`) and threads sampled every 50 ms, idle,
//! while 16 agents each send a maximal batch at once (10,000 events,
//! about 60 MiB of JSON gzipped below the 16 MiB body limit) together with
//! unauthenticated uploads of 1 GiB (one with `Content-Length`, one
//! chunked, which must get 401 without being read), and for 30 s after.
//! Agents answered 503 (the ingest memory budget) retry after
//! `Retry-After` as the real agent does, until every batch is stored.
//!
//! ```text
//! cargo build --release -p mes-tests --bins
//! cargo run --release -p mes-tests --bin bench-hub-memory
//! ```
//!
//! Targets: peak RSS < 300 MB; 30 s after the burst, RSS within 20% of the
//! idle figure. Exits non-zero when a batch is never stored or an upload
//! is not refused with 401.

use anyhow::{Context, bail};
use mes_protocols::wire::gzip;
use mes_tests::report::{table, verdict};
use mes_tests::{Binaries, HubProcess};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Agents sending at once.
const AGENTS: usize = 16;
/// Events per batch (the protocol's maximum).
const EVENTS: usize = 10_000;
/// Bytes of text in each event (so a batch is about 60 MiB of JSON).
const TEXT: usize = 6_000;
/// Bytes of each unauthenticated upload.
const UPLOAD: u64 = 1 << 30;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bins = Binaries::beside_current_exe()?;
    let dir = tempfile::tempdir()?;
    let mut hub = HubProcess::new(&bins.hub, dir.path())?;
    hub.cli(&["tenant", "add", "bench"])?;
    hub.cli(&["site", "add", "--tenant", "bench", "plant"])?;
    let mut agents = Vec::new();
    for _ in 0..AGENTS {
        let out = hub.cli(&["agent", "add", "--tenant", "bench", "--site", "plant"])?;
        agents.push((value(&out, "agent_id")?, value(&out, "token")?));
    }
    hub.start().await?;
    let pid = hub.pid().context("the hub runs")?;
    println!("building {AGENTS} batches of {EVENTS} events ...");
    let batches: Vec<(String, Vec<u8>, usize)> = agents
        .iter()
        .enumerate()
        .map(|(i, (id, token))| {
            let json = batch(id, i);
            let packed = gzip(&json);
            (token.clone(), packed, json.len())
        })
        .collect();
    let (inflated, sent) = (batches[0].2, batches[0].1.len());
    println!(
        "a batch: {:.1} MiB of JSON, {:.1} MiB gzipped",
        mib(inflated as u64),
        mib(sent as u64)
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = rss_kb(pid)?;
    let idle_threads = threads(pid)?;
    println!("idle: RSS {:.1} MB, {idle_threads} threads", mb(idle));

    let peak = Arc::new(AtomicU64::new(idle));
    let peak_threads = Arc::new(AtomicU64::new(idle_threads));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = tokio::spawn({
        let (peak, peak_threads, sampling) = (peak.clone(), peak_threads.clone(), sampling.clone());
        async move {
            while sampling.load(Ordering::Relaxed) {
                if let Ok(kb) = rss_kb(pid) {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                if let Ok(n) = threads(pid) {
                    peak_threads.fetch_max(n, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });

    let started = Instant::now();
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/ingest", hub.url());
    let port = hub.url().rsplit(':').next().unwrap_or_default().to_string();
    let uploads = [
        ("/api/v1/production-orders/x/release", false),
        ("/api/v1/schedules/plant/what-if", true),
        ("/api/v1/ingest", false),
        ("/api/v1/ingest", true),
    ]
    .map(|(path, chunked)| tokio::spawn(unauthenticated_upload(port.clone(), path, chunked)));
    let senders: Vec<_> = batches
        .into_iter()
        .map(|(token, body, _)| tokio::spawn(send_until_stored(client.clone(), url.clone(), token, body)))
        .collect();
    let mut busy_answers = 0;
    for sender in senders {
        busy_answers += sender.await??;
    }
    let burst = started.elapsed();
    let mut refused = Vec::new();
    for upload in uploads {
        refused.push(upload.await??);
    }
    let after_burst = rss_kb(pid)?;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let after = rss_kb(pid)?;
    let after_threads = threads(pid)?;
    sampling.store(false, Ordering::Relaxed);
    sampler.await?;
    let peak = peak.load(Ordering::Relaxed);
    let peak_threads = peak_threads.load(Ordering::Relaxed);

    println!(
        "\n{AGENTS} maximal batches stored in {:.1} s ({busy_answers} answers 503 busy, retried); \
         unauthenticated 1 GiB uploads answered {refused:?}\n",
        burst.as_secs_f64()
    );
    let within = |kb: u64| kb as f64 <= idle as f64 * 1.2;
    println!(
        "{}",
        table(
            &[
                ("hub", false),
                ("RSS MB", true),
                ("threads", true),
                ("target", false),
                ("", false)
            ],
            &[
                vec![
                    "idle".into(),
                    format!("{:.1}", mb(idle)),
                    idle_threads.to_string(),
                    "".into(),
                    "".into()
                ],
                vec![
                    "peak during the burst".into(),
                    format!("{:.1}", mb(peak)),
                    peak_threads.to_string(),
                    "< 300 MB".into(),
                    verdict(Some(mb(peak) < 300.0)).into()
                ],
                vec![
                    "when the burst ended".into(),
                    format!("{:.1}", mb(after_burst)),
                    "".into(),
                    "".into(),
                    "".into()
                ],
                vec![
                    "30 s after".into(),
                    format!("{:.1}", mb(after)),
                    after_threads.to_string(),
                    format!("<= {:.1} (idle + 20%)", mb(idle) * 1.2),
                    verdict(Some(within(after))).into()
                ],
            ],
        )
    );
    hub.stop();
    if refused.iter().any(|s| *s != 401) {
        bail!("an unauthenticated upload was not refused with 401: {refused:?}");
    }
    Ok(())
}

/// A maximal batch of `agent_id`: [`EVENTS`] events of a kind the hub keeps
/// raw, each carrying [`TEXT`] bytes of words (compressible as real text,
/// so the batch fits the body limit gzipped).
fn batch(agent_id: &str, salt: usize) -> Vec<u8> {
    const WORDS: [&str; 16] = [
        "spindle", "press", "torque", "lot", "station", "order", "scrap", "good", "bearing", "coolant",
        "pallet", "shift", "badge", "oven", "weld", "mould",
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ salt as u64;
    let events: Vec<Value> = (0..EVENTS)
        .map(|i| {
            let mut text = String::with_capacity(TEXT + 16);
            while text.len() < TEXT {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(WORDS[(state % 16) as usize]);
                text.push_str(&format!("{} ", state % 4));
            }
            json!({"seq": i + 1, "id": uuid::Uuid::now_v7(), "occurred_at": "2026-01-10T07:59:59.000Z",
                   "source": {"type": "device", "id": "bench"}, "kind": "bench_blob",
                   "data": {"text": text}})
        })
        .collect();
    let batch = json!({"schema_version": 1, "agent_id": agent_id,
        "incarnation": uuid::Uuid::now_v7(), "first_seq": 1, "last_seq": EVENTS,
        "buffer": {"depth": EVENTS, "dropped_total": 0, "refused_total": 0},
        "sent_at": "2026-01-10T08:00:00.000Z", "events": events});
    serde_json::to_vec(&batch).expect("a JSON value serialises")
}

/// Sends `body` until the hub stores it, waiting `Retry-After` after each
/// 503 (or 1 s after a connection the hub closed on the unread body);
/// returns how many such answers it got.
async fn send_until_stored(
    client: reqwest::Client,
    url: String,
    token: String,
    body: Vec<u8>,
) -> anyhow::Result<u32> {
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut busy = 0;
    loop {
        let sent = client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(body.clone())
            .send()
            .await;
        // A 503 answered before the body was read closes the connection,
        // which the sender may see as a failed write: the agent retries
        // either after its backoff.
        let reply = match sent {
            Ok(reply) => reply,
            Err(_) if Instant::now() < deadline => {
                busy += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let status = reply.status().as_u16();
        let wait = reply
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1);
        let text = reply.text().await?;
        match status {
            200 => return Ok(busy),
            503 if Instant::now() < deadline => {
                busy += 1;
                tokio::time::sleep(Duration::from_secs(wait)).await;
            }
            _ => bail!("the hub answered {status}: {text}"),
        }
    }
}

/// Uploads [`UPLOAD`] bytes without a token (with `Content-Length`, or
/// chunked) until the hub answers; returns its status.
async fn unauthenticated_upload(port: String, path: &'static str, chunked: bool) -> anyhow::Result<u16> {
    let mut stream = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}")).await?;
    let length = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {UPLOAD}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        let chunk = vec![b' '; 1 << 20];
        let mut sent = 0u64;
        while sent < UPLOAD {
            let result = if chunked {
                writer
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await
                    .and(
                        writer
                            .write_all(&chunk)
                            .await
                            .and(writer.write_all(b"\r\n").await),
                    )
            } else {
                writer.write_all(&chunk).await
            };
            if result.is_err() {
                break;
            }
            sent += chunk.len() as u64;
        }
        sent
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(60), reader.read(&mut buf)).await??;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    writing.abort();
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no HTTP status in {text:?}"))
}

fn value(text: &str, key: &str) -> anyhow::Result<String> {
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
        })
        .with_context(|| format!("no `{key}` in {text:?}"))
}

fn status_field(pid: u32, name: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no {name} in /proc/{pid}/status"))
}

fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    status_field(pid, "VmRSS:")
}

fn threads(pid: u32) -> anyhow::Result<u64> {
    status_field(pid, "Threads:")
}

fn mb(kb: u64) -> f64 {
    kb as f64 * 1024.0 / 1e6
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
