//! Identifiers that cross the edge-hub boundary.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered (UUID v7) identifier.
            pub fn new_v7() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// One edge-agent, issued by the hub (`cloud-hub agent add`).
    AgentId
);
uuid_id!(
    /// One life of an agent's buffer file. A new buffer (lost disk, fresh
    /// install, restore from an old backup detected) gets a new incarnation,
    /// and sequence numbers start again at 1 inside it.
    Incarnation
);
uuid_id!(
    /// The globally unique identity of one event (UUID v7, made when the event
    /// is observed). The hub stores each event id at most once.
    EventId
);
uuid_id!(
    /// One run of an operation at a station (start, pauses, finish, the
    /// materials, output, workers and equipment recorded against it).
    ExecutionId
);

/// A per-agent, per-incarnation sequence number, assigned when an event is
/// committed to the agent's buffer. Sequence numbers start at 1 and have no
/// gaps except ranges the agent reports as dropped by its overflow policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seq(pub u64);

impl Seq {
    /// The number after this one.
    pub fn next(self) -> Seq {
        Seq(self.0 + 1)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An inclusive range of sequence numbers, `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqRange {
    /// First sequence number in the range.
    pub first: Seq,
    /// Last sequence number in the range (inclusive, `>= first`).
    pub last: Seq,
}

impl SeqRange {
    /// How many sequence numbers the range covers.
    pub fn len(&self) -> u64 {
        self.last.0.saturating_sub(self.first.0) + 1
    }

    /// Always false: a range covers at least one number.
    pub fn is_empty(&self) -> bool {
        false
    }
}
