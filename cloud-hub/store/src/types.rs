//! What the store hands out, the same from either backend: authenticated
//! agents, new credentials, agent list rows and ingest outcomes.

use crate::{SiteId, TenantId};
use mes_protocols::{AgentId, Seq};
use serde::Serialize;

/// Parts an equipment counted since an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartsSince {
    /// The equipment.
    pub equipment: String,
    /// Good parts.
    pub good: i64,
    /// Scrap parts.
    pub scrap: i64,
}

/// An agent as authenticated by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentAuth {
    /// The agent.
    pub agent_id: AgentId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its site.
    pub site_id: SiteId,
    /// Its site's short name (what master data names the site by).
    pub site: String,
}

/// A newly created agent; the token is shown once and never stored.
#[derive(Debug, Clone, Serialize)]
pub struct NewAgent {
    /// The agent's id (`hub.agent_id` in its config).
    pub agent_id: AgentId,
    /// The bearer token (`MES_AGENT_TOKEN`).
    pub token: String,
}

/// A newly created API token; shown once and never stored.
#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    /// The token's id.
    pub token_id: String,
    /// The bearer token.
    pub token: String,
}

/// One row of `GET /api/v1/agents`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct AgentSummary {
    /// The agent.
    pub agent_id: String,
    /// Its name.
    pub name: String,
    /// Its site's short name.
    pub site: String,
    /// Last accepted batch, unix ms (None: never).
    pub last_contact_at: Option<i64>,
    /// The buffer incarnation it sends now.
    pub incarnation: Option<String>,
    /// Highest sequence number stored for that incarnation.
    pub acked_seq: u64,
    /// Events stored from this agent, all incarnations.
    pub events_received: u64,
    /// Events of kinds this hub does not know (stored raw).
    pub unknown_kind_events: u64,
    /// Buffer incarnations seen (more than one means a buffer started over).
    pub incarnations: u64,
    /// Sequence numbers the hub accepted as dropped (the `dropped` ranges of
    /// its batches, each number counted once), all incarnations.
    pub dropped_events: u64,
    /// Events the agent reported dropped by its overflow policy.
    pub reported_dropped: u64,
    /// Telemetry the agent reported refused while full.
    pub reported_refused: u64,
    /// Events waiting in the agent's buffer at its last batch.
    pub reported_depth: u64,
    /// Anomalies recorded (new incarnations, sequence disagreements).
    pub anomalies: u64,
    /// The agent's clock offset measured on its last batch, ms (the hub's
    /// clock at receipt minus the batch's `sent_at`, so it includes the
    /// network's delay; positive: the agent is behind). None: never measured.
    pub clock_offset_ms: Option<i64>,
    /// When that was measured, unix ms.
    pub clock_measured_at: Option<i64>,
    /// The correction the hub adds to this agent's event times to date them
    /// in hub time (changes only when the measured offset moves by more than
    /// `store::rules::CLOCK_TOLERANCE_MS`).
    pub clock_correction_ms: i64,
    /// Events dated, in hub time, beyond the bound after the hub's clock.
    pub future_events: u64,
    /// When the agent was disabled, unix ms (None: enabled). A disabled
    /// agent's token does not authenticate.
    pub disabled_at: Option<i64>,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct TokenSummary {
    /// Its name.
    pub name: String,
    /// The login of the user it acts as.
    pub user: String,
    /// Its narrowing of the user's rights (absent: all of them).
    pub rights: Option<Vec<crate::rights::Right>>,
    /// When it was made, unix ms.
    pub created_at: i64,
    /// When it was revoked, unix ms (None: valid).
    pub revoked_at: Option<i64>,
}

/// A stored batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Highest number stored for the incarnation, after this batch.
    pub acked_seq: Seq,
    /// Events stored now.
    pub stored: u64,
    /// Events that were stored before (a retry or a renumbered buffer).
    pub duplicates: u64,
    /// Events of this batch stored now that are dated, in hub time, beyond
    /// the bound after the hub's now (`store::rules::FUTURE_BOUND_MS`).
    pub future: u64,
}

/// A batch that does not continue what is stored; nothing of it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestRejection {
    /// Numbers between what is stored and the batch's first are missing.
    Gap {
        /// What is stored.
        acked: Seq,
        /// The batch's first number.
        first: Seq,
    },
    /// A number at or below what is stored carries a different event.
    Conflict {
        /// What is stored.
        acked: Seq,
        /// The first disagreeing number.
        seq: Seq,
    },
}
