//! The planner's decisions that every later plan of the site keeps: an
//! operation fixed on a machine from a time (a drag or a pin), an order's
//! priority or due time, a frozen horizon. They live in the plan document
//! ([`super::super::StoredPlan::steering`]), so an accepted draft, an undo
//! (an earlier document) and the background re-plan (which applies the live
//! plan's steering to the model it builds) all carry them.
//!
//! How each is put into the scheduler's model (pure, here):
//! - a fixed operation keeps only its machine among its alternatives and
//!   may not start before its start (the stable repair then keeps it
//!   there unless its predecessors or the floor push it later);
//! - an order's priority is its weight, its due time its due;
//! - a frozen horizon fixes every operation the base plan starts before
//!   it, and no other operation may start before it.
//!
//! The model's values the steering replaced are kept beside it
//! ([`Originals`]), so a later change (an unpin) can take a decision back
//! on the stored model without rebuilding it from master data.

use crate::planning::build::Problem;
use mes_scheduler::{Alternative, Model, ModelBuilder, ModelError, Operation, Order, Plan};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Why an operation is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixedBy {
    /// The planner moved it there.
    Move,
    /// The planner pinned it where it was.
    Pin,
}

/// An operation the planner fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixed {
    /// The machine's code.
    pub machine: String,
    /// Not before this, epoch minutes.
    pub start: i64,
    /// Moved or pinned.
    pub by: FixedBy,
}

/// An order's priority or due time as the planner set them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderOverride {
    /// Its weight in the objective, when set.
    #[serde(default)]
    pub priority: Option<i64>,
    /// Whether the due time is set (to `due`, which may be none).
    #[serde(default)]
    pub due_set: bool,
    /// The due time, epoch minutes.
    #[serde(default)]
    pub due: Option<i64>,
}

/// What the steering replaced in the model it was applied to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Originals {
    /// Per operation key: its alternatives and earliest start.
    #[serde(default)]
    pub ops: BTreeMap<String, (Vec<Alternative>, i64)>,
    /// Per order: its due and weight.
    #[serde(default)]
    pub orders: BTreeMap<String, (Option<i64>, i64)>,
}

/// The planner's standing decisions on a site's plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Steering {
    /// Fixed operations by key.
    #[serde(default)]
    pub fixed: BTreeMap<String, Fixed>,
    /// Orders' priority and due overrides by code.
    #[serde(default)]
    pub orders: BTreeMap<String, OrderOverride>,
    /// The end of the frozen horizon, epoch minutes.
    #[serde(default)]
    pub frozen_until: Option<i64>,
    /// The model values replaced (see the module doc).
    #[serde(default)]
    pub originals: Originals,
}

/// A model's parts, to change and rebuild with the same ids.
struct Parts {
    machines: Vec<mes_scheduler::Machine>,
    orders: Vec<Order>,
    ops: Vec<Operation>,
    precedences: Vec<(mes_scheduler::OpId, mes_scheduler::OpId)>,
}

impl Parts {
    fn of(model: &Model) -> Parts {
        Parts {
            machines: model.machines().to_vec(),
            orders: model.orders().to_vec(),
            ops: model.operations().to_vec(),
            precedences: model.precedences().to_vec(),
        }
    }

    fn build(self) -> Result<Model, ModelError> {
        let mut b = ModelBuilder::new();
        for m in self.machines {
            b.add_machine(m);
        }
        for o in self.orders {
            b.add_order(o);
        }
        for op in self.ops {
            b.add_operation(op);
        }
        for (before, after) in self.precedences {
            b.add_precedence(before, after);
        }
        b.build()
    }
}

impl Steering {
    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.fixed.is_empty() && self.orders.is_empty() && self.frozen_until.is_none()
    }

    /// `model` (which this steering was applied to) with the replaced
    /// values put back: the model as master data and the floor made it.
    pub fn unsteered(&self, model: &Model) -> Result<Model, ModelError> {
        if self.originals.ops.is_empty() && self.originals.orders.is_empty() {
            return Ok(model.clone());
        }
        let mut parts = Parts::of(model);
        for op in &mut parts.ops {
            if let Some((alternatives, earliest)) = self.originals.ops.get(&op.name) {
                op.alternatives = alternatives.clone();
                op.earliest_start = *earliest;
            }
        }
        for order in &mut parts.orders {
            if let Some(&(due, weight)) = self.originals.orders.get(&order.name) {
                order.due = due;
                order.weight = weight;
            }
        }
        parts.build()
    }

    /// Applies this steering to `model` (unsteered), the frozen horizon
    /// against `base` (the plan it steers, by operation key); records the
    /// replaced values and drops decisions reality no longer allows
    /// (reported as problems). Returns the steered model.
    pub fn apply(
        &mut self,
        model: &Model,
        base: Option<(&Model, &Plan)>,
    ) -> Result<(Model, Vec<Problem>), ModelError> {
        self.originals = Originals::default();
        let mut problems = Vec::new();
        if self.is_empty() {
            return Ok((model.clone(), problems));
        }
        let mut parts = Parts::of(model);
        let machine_ids: HashMap<&str, mes_scheduler::MachineId> = model
            .machine_ids()
            .filter_map(|m| Some((model.machine(m)?.name.as_str(), m)))
            .collect();
        let frozen = self.frozen_places(base);
        let mut dropped = Vec::new();
        for op in &mut parts.ops {
            if op.pin.is_some() {
                // Running: the floor decides, not the plan.
                continue;
            }
            let place = self
                .fixed
                .get(&op.name)
                .map(|f| (f.machine.as_str(), f.start))
                .or_else(|| frozen.get(op.name.as_str()).map(|(m, s)| (m.as_str(), *s)));
            let original = (op.alternatives.clone(), op.earliest_start);
            match place {
                Some((machine, start)) => {
                    let alt = machine_ids
                        .get(machine)
                        .and_then(|id| op.alternatives.iter().find(|a| a.machine == *id).copied());
                    match alt {
                        Some(alt) => {
                            op.alternatives = vec![alt];
                            op.earliest_start = op.earliest_start.max(start);
                        }
                        None => {
                            dropped.push(op.name.clone());
                            problems.push(Problem {
                                subject: op.name.clone(),
                                reason: format!(
                                    "was fixed on {machine}, which it may no longer use; planned freely"
                                ),
                            });
                            continue;
                        }
                    }
                }
                None => match self.frozen_until {
                    Some(until) if op.earliest_start < until => op.earliest_start = until,
                    _ => continue,
                },
            }
            self.originals.ops.insert(op.name.clone(), original);
        }
        for name in dropped {
            self.fixed.remove(&name);
        }
        for order in &mut parts.orders {
            let Some(o) = self.orders.get(&order.name) else {
                continue;
            };
            self.originals
                .orders
                .insert(order.name.clone(), (order.due, order.weight));
            if let Some(p) = o.priority {
                order.weight = p;
            }
            if o.due_set {
                order.due = o.due;
            }
        }
        Ok((parts.build()?, problems))
    }

    /// Operations `base` starts before the frozen horizon and the planner
    /// did not fix: their machine and start.
    fn frozen_places(&self, base: Option<(&Model, &Plan)>) -> HashMap<String, (String, i64)> {
        let (Some(until), Some((model, plan))) = (self.frozen_until, base) else {
            return HashMap::new();
        };
        plan.ops
            .iter()
            .filter(|s| s.start < until)
            .filter_map(|s| {
                let op = model.operation(s.op)?;
                let machine = model.machine(s.machine)?;
                (!self.fixed.contains_key(&op.name))
                    .then(|| (op.name.clone(), (machine.name.clone(), s.start)))
            })
            .collect()
    }
}
