//! Sequence-dependent setup times.
//!
//! Operations may belong to a *setup family* (same tooling, colour, material);
//! a machine may carry a matrix giving the changeover time from one family to
//! the next. This file owns the rule for which setup time applies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A caller-chosen identifier of a setup family (e.g. a tooling group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SetupFamily(pub u32);

/// Changeover minutes on one machine from one setup family to another.
///
/// Rule: when an operation of family `to` follows an operation of family
/// `from` on a machine with a matrix, and the matrix has an entry for
/// `(from, to)`, that entry replaces the operation's own setup time.
/// Otherwise (no matrix, no family on either side, or no entry) the
/// operation's own setup time applies. Fill the diagonal with 0 for "no
/// changeover within a family".
///
/// It serializes as a list of `(from, to, minutes)` entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "Vec<(SetupFamily, SetupFamily, i64)>",
    into = "Vec<(SetupFamily, SetupFamily, i64)>"
)]
pub struct SetupMatrix {
    entries: BTreeMap<(SetupFamily, SetupFamily), i64>,
}

impl SetupMatrix {
    /// An empty matrix (every lookup falls back to the operation's setup time).
    pub fn new() -> Self {
        Self::default()
    }

    /// This matrix with the changeover `from` → `to` set to `minutes`.
    pub fn with(mut self, from: SetupFamily, to: SetupFamily, minutes: i64) -> Self {
        self.entries.insert((from, to), minutes);
        self
    }

    /// The changeover minutes `from` → `to`, if the matrix has an entry.
    pub fn get(&self, from: SetupFamily, to: SetupFamily) -> Option<i64> {
        self.entries.get(&(from, to)).copied()
    }

    /// All entries, for validation of the model.
    pub fn entries(&self) -> impl Iterator<Item = ((SetupFamily, SetupFamily), i64)> + '_ {
        self.entries.iter().map(|(k, v)| (*k, *v))
    }
}

impl From<Vec<(SetupFamily, SetupFamily, i64)>> for SetupMatrix {
    fn from(entries: Vec<(SetupFamily, SetupFamily, i64)>) -> Self {
        Self {
            entries: entries
                .into_iter()
                .map(|(from, to, minutes)| ((from, to), minutes))
                .collect(),
        }
    }
}

impl From<SetupMatrix> for Vec<(SetupFamily, SetupFamily, i64)> {
    fn from(matrix: SetupMatrix) -> Self {
        matrix
            .entries
            .into_iter()
            .map(|((from, to), minutes)| (from, to, minutes))
            .collect()
    }
}
