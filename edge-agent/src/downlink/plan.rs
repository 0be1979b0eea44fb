//! The site's live plan as the stations read it: the hub's [`PlanRecord`]
//! with its operations indexed by order and operation, so a station sorts
//! its order list in the order the plan runs them.

use mes_protocols::Code;
use mes_protocols::downlink::{PlanRecord, PlannedOperation};
use std::collections::HashMap;

/// A site plan with a lookup by (order, operation).
#[derive(Debug, Clone)]
pub struct SitePlan {
    record: PlanRecord,
    index: HashMap<(Code, Code), usize>,
}

impl SitePlan {
    /// The plan `record`, indexed.
    pub fn new(record: PlanRecord) -> Self {
        let index = record
            .operations
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.order.clone(), p.operation.clone()), i))
            .collect();
        Self { record, index }
    }

    /// The plan's revision.
    pub fn revision(&self) -> u64 {
        self.record.revision
    }

    /// The plan as the hub sent it.
    pub fn record(&self) -> &PlanRecord {
        &self.record
    }

    /// Where and when the plan runs `operation` of `order`, if it does.
    pub fn planned(&self, order: &Code, operation: &Code) -> Option<&PlannedOperation> {
        self.index
            .get(&(order.clone(), operation.clone()))
            .and_then(|i| self.record.operations.get(*i))
    }
}
