//! What the floor reported, as the planner needs it: which operations
//! started (where and when) or finished, and which machines are down.
//!
//! The planner reads operation facts through [`OperationFacts`], so the
//! production projection (operation runs per order operation, kept by the
//! lead's event projections) can feed it directly once it is persisted.
//! Until then [`FloorFacts`] is the interim source: a small fold of the
//! site's `operation_started` / `operation_finished` /
//! `equipment_state_changed` events, kept with the live plan and advanced
//! by the re-planning watcher from the event cursor stored with it.
//! [`StatusOnly`] is the fallback that knows nothing but order statuses.

use mes_protocols::event::{EquipmentState, EventBody, EventKind};
use mes_protocols::{Code, FieldError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the floor reported about one operation of one order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OperationProgress {
    /// When it (last) started, epoch ms.
    pub started_at: Option<i64>,
    /// The equipment it started on.
    pub equipment: Option<Code>,
    /// When it finished, epoch ms.
    pub finished_at: Option<i64>,
}

/// The source of operation facts for a plan.
pub trait OperationFacts: Send + Sync {
    /// What is known about operation `operation` (its number) of `order`.
    fn progress(&self, order: &str, operation: &str) -> Option<OperationProgress>;
}

/// No facts: every operation of a released or in-progress order is open
/// and unpinned (the order's status is all the planner knows).
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusOnly;

impl OperationFacts for StatusOnly {
    fn progress(&self, _order: &str, _operation: &str) -> Option<OperationProgress> {
        None
    }
}

/// The event kinds the planner folds.
pub const PLANNING_EVENT_KINDS: &[&str] = &[
    "operation_started",
    "operation_finished",
    "equipment_state_changed",
];

/// Facts folded from a site's events (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FloorFacts {
    /// Per operation key `order/operation`.
    pub operations: BTreeMap<String, OperationProgress>,
    /// Equipment reported down, and since when (epoch ms).
    pub down_since: BTreeMap<Code, i64>,
}

/// A fact that changed what the plan may assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FloorChange {
    /// An operation finished at `at` (epoch ms).
    Finished {
        /// The operation key `order/operation`.
        op: String,
        /// When.
        at: i64,
    },
    /// An operation started at `at` on `equipment`.
    Started {
        /// The operation key.
        op: String,
        /// Where.
        equipment: Code,
        /// When.
        at: i64,
    },
    /// A machine went down at `at`.
    Down {
        /// The machine.
        equipment: Code,
        /// When.
        at: i64,
    },
    /// A machine that was down works again at `at`.
    Up {
        /// The machine.
        equipment: Code,
        /// Since when it was down.
        since: i64,
        /// When it came back.
        at: i64,
    },
}

/// The operation key the plan uses for operation `operation` of `order`.
pub fn op_key(order: &str, operation: &str) -> String {
    format!("{order}/{operation}")
}

impl OperationFacts for FloorFacts {
    fn progress(&self, order: &str, operation: &str) -> Option<OperationProgress> {
        self.operations.get(&op_key(order, operation)).cloned()
    }
}

impl FloorFacts {
    /// Folds one stored event (`raw` as sent by the agent) into the facts;
    /// returns what changed, if anything. Events of other kinds or that no
    /// longer decode are ignored (they were checked at ingest).
    pub fn apply(
        &mut self,
        kind: &str,
        occurred_at: i64,
        raw: &str,
    ) -> Result<Option<FloorChange>, FieldError> {
        let Some(kind) = EventKind::parse(kind) else {
            return Ok(None);
        };
        let value: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| FieldError::new("raw", e.to_string()))?;
        let data = value.get("data").map(ToString::to_string).unwrap_or_default();
        Ok(match EventBody::decode(kind, &data)? {
            EventBody::OperationStarted(s) => {
                let op = op_key(s.run.order.as_str(), s.run.operation.as_str());
                let entry = self.operations.entry(op.clone()).or_default();
                entry.started_at = Some(occurred_at);
                entry.equipment = Some(s.equipment.clone());
                entry.finished_at = None;
                Some(FloorChange::Started {
                    op,
                    equipment: s.equipment,
                    at: occurred_at,
                })
            }
            EventBody::OperationFinished(run) => {
                let op = op_key(run.order.as_str(), run.operation.as_str());
                self.operations.entry(op.clone()).or_default().finished_at = Some(occurred_at);
                Some(FloorChange::Finished { op, at: occurred_at })
            }
            EventBody::EquipmentStateChanged(s) => match (s.state, self.down_since.get(&s.equipment)) {
                (EquipmentState::Down, None) => {
                    self.down_since.insert(s.equipment.clone(), occurred_at);
                    Some(FloorChange::Down {
                        equipment: s.equipment,
                        at: occurred_at,
                    })
                }
                (EquipmentState::Down, Some(_)) => None,
                // Offline says nothing about the machine itself.
                (EquipmentState::Offline, _) => None,
                (_, Some(&since)) => {
                    self.down_since.remove(&s.equipment);
                    Some(FloorChange::Up {
                        equipment: s.equipment,
                        since,
                        at: occurred_at,
                    })
                }
                (_, None) => None,
            },
            _ => None,
        })
    }

    /// Drops the facts of operations whose order is not in `open_orders`
    /// (finished orders would otherwise be kept for ever).
    pub fn retain_orders(&mut self, open_orders: &std::collections::HashSet<String>) {
        self.operations.retain(|key, _| {
            key.rsplit_once('/')
                .is_some_and(|(order, _)| open_orders.contains(order))
        });
    }
}
