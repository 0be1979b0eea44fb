//! The site's live plan as the hub sends it down (`kind: "plan"`): for each
//! planned operation its machine and times, so a station lists its orders
//! in the order the plan runs them, offline too.
//!
//! The plan is not master data: it changes with every re-plan, not with the
//! tenant's master-data version. An agent that wants it names the revision
//! it holds (`plan=<revision>`, 0 for none) and the hub adds the plan to the
//! page when its live revision differs (always on a `reset` page), or a
//! removal when the site has no live plan any more. An agent that does not
//! ask never gets either, so older agents see no new removal kind.

use crate::{Code, Timestamp};
use serde::{Deserialize, Serialize};

/// One site's live plan: every operation planned on its machines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRecord {
    /// The site's code (the record's key).
    pub site: Code,
    /// The live plan's revision (1 for the first plan of the site, one more
    /// at every replacement).
    pub revision: u64,
    /// When the plan was made.
    pub made_at: Timestamp,
    /// Planned operations, by machine and then start.
    #[serde(default)]
    pub operations: Vec<PlannedOperation>,
}

/// Where and when the plan runs one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedOperation {
    /// The production order.
    pub order: Code,
    /// The operation number.
    pub operation: Code,
    /// The machine it is planned on.
    pub equipment: Code,
    /// Start of its setup (or run).
    pub start: Timestamp,
    /// When it is planned to be done.
    pub end: Timestamp,
}

impl PlanRecord {
    /// The planned operation `operation` of `order`, if the plan holds it.
    pub fn operation(&self, order: &Code, operation: &Code) -> Option<&PlannedOperation> {
        self.operations
            .iter()
            .find(|p| &p.order == order && &p.operation == operation)
    }
}
