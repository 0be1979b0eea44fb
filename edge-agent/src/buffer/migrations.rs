//! The buffer file's numbered migrations, in order: what `schema.rs`
//! applies and `identity.rs` checks a file's version against.

/// Numbered migrations, applied in order; never edit one that has shipped.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_buffer.sql"),
    include_str!("../../migrations/0002_agent_state.sql"),
    include_str!("../../migrations/0003_downlink_cache.sql"),
];
