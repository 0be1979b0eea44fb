//! Open boards and the time from an event's ingest to its card on them:
//! `n` server-sent event streams of one site's board
//! (`GET /console/sites/{site}/board/events`, the session's cookie), read
//! as a browser's `EventSource` reads them; then, one at a time, a batch
//! of one `equipment_state_changed` posted as an agent posts it
//! (`POST /api/v1/ingest`), timed from just before the request to the
//! `card` message carrying the new state on each open stream.

use super::super::bench_ledger::seed;
use super::web::Session;
use anyhow::Context;
use cloud_hub::store::AgentAuth;
use mes_protocols::event::{EquipmentState, EquipmentStateChanged};
use mes_protocols::{Code, EventBody, EventDraft, Incarnation, Source, Timestamp};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long a card may take before it counts as missed.
const CARD_DEADLINE: Duration = Duration::from_secs(10);

/// A `card` message one open board received.
struct Arrival {
    stream: usize,
    id: String,
    html: String,
    at: Instant,
}

/// `n` open boards.
pub struct Boards {
    n: usize,
    arrivals: mpsc::UnboundedReceiver<Arrival>,
    readers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Boards {
    fn drop(&mut self) {
        for reader in &self.readers {
            reader.abort();
        }
    }
}

/// Reads one stream's messages, sending each `card` on.
async fn read_stream(stream: usize, mut reply: reqwest::Response, arrivals: mpsc::UnboundedSender<Arrival>) {
    let mut buffer: Vec<u8> = Vec::new();
    while let Ok(Some(chunk)) = reply.chunk().await {
        buffer.extend_from_slice(&chunk);
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let at = Instant::now();
            let block: Vec<u8> = buffer.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&block);
            let mut event = "";
            let mut data = String::new();
            for line in text.lines() {
                if let Some(name) = line.strip_prefix("event:") {
                    event = name.trim();
                } else if let Some(part) = line.strip_prefix("data:") {
                    data.push_str(part.strip_prefix(' ').unwrap_or(part));
                }
            }
            if event != "card" {
                continue;
            }
            let Ok(card) = serde_json::from_str::<serde_json::Value>(&data) else {
                continue;
            };
            let arrival = Arrival {
                stream,
                id: card["id"].as_str().unwrap_or_default().to_string(),
                html: card["html"].as_str().unwrap_or_default().to_string(),
                at,
            };
            if arrivals.send(arrival).is_err() {
                return;
            }
        }
    }
}

/// Opens `n` streams of `site`'s board and waits until each has received
/// the whole board once (`machines` cards).
pub async fn open(session: &Session, site: &str, n: usize, machines: usize) -> anyhow::Result<Boards> {
    let (send, mut arrivals) = mpsc::unbounded_channel();
    let mut readers = Vec::with_capacity(n);
    let path = format!("/console/sites/{site}/board/events");
    for stream in 0..n {
        let reply = session
            .get(&path)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .with_context(|| format!("opening board stream {stream}"))?;
        anyhow::ensure!(
            reply.status() == reqwest::StatusCode::OK,
            "GET {path} answered {}",
            reply.status()
        );
        readers.push(tokio::spawn(read_stream(stream, reply, send.clone())));
    }
    let mut seen: Vec<HashSet<String>> = vec![HashSet::new(); n];
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen.iter().any(|s| s.len() < machines) {
        let arrival = tokio::time::timeout_at(deadline.into(), arrivals.recv())
            .await
            .context("open boards did not all receive the whole board within 120 s")?
            .context("every board stream ended")?;
        seen[arrival.stream].insert(arrival.id);
    }
    Ok(Boards { n, arrivals, readers })
}

/// An agent of the site posting live events over HTTP.
pub struct LiveAgent {
    /// The agent as the store authenticates it.
    pub auth: AgentAuth,
    /// Its bearer token.
    pub token: String,
    incarnation: Incarnation,
    next_seq: u64,
}

impl LiveAgent {
    /// A new buffer incarnation of agent `auth` with `token`.
    pub fn new(auth: AgentAuth, token: String) -> Self {
        LiveAgent {
            auth,
            token,
            incarnation: Incarnation::new_v7(),
            next_seq: 1,
        }
    }

    /// Posts a batch of `draft` alone; returns when the hub acknowledged it.
    async fn post(&mut self, session: &Session, draft: &EventDraft) -> anyhow::Result<()> {
        let body = seed::encode(
            &self.auth,
            self.incarnation,
            self.next_seq,
            &[draft.to_record_json()],
        );
        let reply = session
            .client()
            .post(format!("{}/api/v1/ingest", session.base()))
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .context("posting a live batch")?;
        let status = reply.status();
        let text = reply.text().await.unwrap_or_default();
        anyhow::ensure!(status.is_success(), "ingest answered {status}: {text}");
        self.next_seq += 1;
        Ok(())
    }
}

/// What the live measurement saw.
#[derive(Debug, Default)]
pub struct Latencies {
    /// Ingest request sent → `card` message received, one per event and
    /// open board.
    pub to_card: Vec<Duration>,
    /// Ingest request sent → the hub's answer, one per event.
    pub ingest: Vec<Duration>,
    /// Cards not received within the deadline.
    pub missed: usize,
}

/// Posts `events` state changes one after the other (each a machine of
/// `machines` in turn, down with a reason of its own, so its card changes)
/// and times each one's card on every open board.
pub async fn measure(
    session: &Session,
    boards: &mut Boards,
    agent: &mut LiveAgent,
    events: usize,
    machines: usize,
    equipment: impl Fn(usize) -> String,
) -> anyhow::Result<Latencies> {
    let mut out = Latencies::default();
    for e in 0..events {
        let code = equipment((e * 37) % machines);
        let reason = format!("BENCH-{e:04}");
        let parse = |raw: &str| Code::parse(raw).map_err(|err| anyhow::anyhow!("code {raw:?}: {err}"));
        let draft = EventDraft::new(
            Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
            Source::Device(parse(&code)?),
            EventBody::EquipmentStateChanged(EquipmentStateChanged {
                equipment: parse(&code)?,
                state: EquipmentState::Down,
                reason: Some(parse(&reason)?),
            }),
        );
        // Whatever arrived before this event is not its card.
        while boards.arrivals.try_recv().is_ok() {}
        let sent = Instant::now();
        agent.post(session, &draft).await?;
        out.ingest.push(sent.elapsed());
        let card = format!("m-{code}");
        let mut pending: HashSet<usize> = (0..boards.n).collect();
        let deadline = sent + CARD_DEADLINE;
        while !pending.is_empty() {
            let Ok(arrival) = tokio::time::timeout_at(deadline.into(), boards.arrivals.recv()).await else {
                break;
            };
            let arrival = arrival.context("every board stream ended")?;
            if arrival.id == card && arrival.html.contains(&reason) && pending.remove(&arrival.stream) {
                out.to_card.push(arrival.at - sent);
            }
        }
        out.missed += pending.len();
    }
    Ok(out)
}
