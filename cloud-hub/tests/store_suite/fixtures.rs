//! Tenants, agents and batches for the store cases, built directly as the
//! store takes them (decoding is tested elsewhere).

use cloud_hub::ingest::{IngestBatch, IngestEvent};
use cloud_hub::store::{AgentAuth, AgentSummary, IngestOutcome, IngestRejection, Store};
use mes_protocols::wire::BufferReport;
use mes_protocols::{Incarnation, Seq, SeqRange};
use uuid::Uuid;

/// A provisioned agent.
pub struct Agent {
    /// How the store authenticates it.
    pub auth: AgentAuth,
}

/// Creates tenant `tenant` with site `plant-1` and one agent.
pub async fn provision(store: &Store, tenant: &str) -> Agent {
    store.create_tenant(tenant).expect("tenant created");
    store.create_site(tenant, "plant-1").expect("site created");
    agent_in(store, tenant, "gateway").await
}

/// Another agent in `plant-1` of an existing `tenant`.
pub async fn agent_in(store: &Store, tenant: &str, name: &str) -> Agent {
    let agent = store
        .create_agent(tenant, "plant-1", name)
        .expect("agent created");
    let auth = store
        .agent_by_token(&agent.token)
        .await
        .expect("token lookup works")
        .expect("the new token finds its agent");
    Agent { auth }
}

/// One event: (number, id, kind known to the hub?).
#[derive(Debug, Clone, Copy)]
pub struct Ev {
    /// Its number.
    pub seq: u64,
    /// Its id.
    pub id: Uuid,
    /// Whether the hub knows its kind.
    pub known: bool,
}

/// Known-kind events numbered `first..=last` with fresh ids.
pub fn fresh(first: u64, last: u64) -> Vec<Ev> {
    (first..=last)
        .map(|seq| Ev {
            seq,
            id: Uuid::now_v7(),
            known: true,
        })
        .collect()
}

/// `events` renumbered from `first` (what an agent does under a new
/// incarnation).
pub fn renumbered(events: &[Ev], first: u64) -> Vec<Ev> {
    events
        .iter()
        .zip(first..)
        .map(|(e, seq)| Ev { seq, ..*e })
        .collect()
}

/// A batch of `agent` in `incarnation` covering `first..=last`, holding
/// `events` and reporting `dropped`.
pub fn batch(
    agent: &Agent,
    incarnation: Incarnation,
    (first, last): (u64, u64),
    events: &[Ev],
    dropped: &[(u64, u64)],
) -> IngestBatch {
    IngestBatch {
        agent_id: agent.auth.agent_id,
        incarnation,
        first_seq: Seq(first),
        last_seq: Seq(last),
        dropped: dropped
            .iter()
            .map(|&(first, last)| SeqRange {
                first: Seq(first),
                last: Seq(last),
            })
            .collect(),
        buffer: BufferReport {
            depth: 7,
            dropped_total: 2,
            refused_total: 1,
        },
        events: events.iter().map(event).collect(),
        sent_at: mes_protocols::Timestamp::from_unix_millis(1_764_000_000_000),
        clock_offset_ms: None,
    }
}

/// A batch of exactly `events` (no dropped numbers).
pub fn plain(agent: &Agent, incarnation: Incarnation, events: &[Ev]) -> IngestBatch {
    let first = events.first().map_or(1, |e| e.seq);
    let last = events.last().map_or(first, |e| e.seq);
    batch(agent, incarnation, (first, last), events, &[])
}

fn event(e: &Ev) -> IngestEvent {
    let kind = if e.known {
        "parts_counted"
    } else {
        "spindle_spectrum_sampled"
    };
    IngestEvent {
        seq: Seq(e.seq),
        event_id: *e.id.as_bytes(),
        kind: kind.into(),
        known: e.known,
        occurred_at: 1_764_000_000_000 + e.seq as i64,
        raw: format!(
            r#"{{"seq":{},"id":"{}","kind":"{kind}","data":{{}}}}"#,
            e.seq, e.id
        ),
    }
}

/// Stores `batch`, expecting it accepted.
pub async fn accepted(store: &Store, agent: &Agent, batch: IngestBatch) -> IngestOutcome {
    store
        .ingest(agent.auth.clone(), batch)
        .await
        .expect("the store works")
        .expect("the batch is accepted")
}

/// Stores `batch`, expecting it refused.
pub async fn refused(store: &Store, agent: &Agent, batch: IngestBatch) -> IngestRejection {
    match store
        .ingest(agent.auth.clone(), batch)
        .await
        .expect("the store works")
    {
        Ok(outcome) => panic!("the batch was accepted: {outcome:?}"),
        Err(rejection) => rejection,
    }
}

/// An outcome of (acked, stored, duplicates).
pub fn outcome(acked: u64, stored: u64, duplicates: u64) -> IngestOutcome {
    IngestOutcome {
        acked_seq: Seq(acked),
        stored,
        duplicates,
        future: 0,
    }
}

/// The agent's row in its tenant's agent list.
pub async fn row(store: &Store, agent: &Agent) -> AgentSummary {
    store
        .list_agents(agent.auth.tenant_id)
        .await
        .expect("the agent list works")
        .into_iter()
        .find(|r| r.agent_id == agent.auth.agent_id.to_string())
        .expect("the agent is listed")
}
