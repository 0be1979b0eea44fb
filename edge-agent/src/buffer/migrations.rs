//! The buffer file's schema as numbered migrations (`edge-agent/migrations/`),
//! in their own file so that both `identity.rs` (is this file's schema
//! newer than this build?) and `schema.rs` (apply what is missing) read the
//! one list without depending on each other.

/// Numbered migrations, applied in order; never edit one that has shipped.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_buffer.sql"),
    include_str!("../../migrations/0002_agent_state.sql"),
    include_str!("../../migrations/0003_downlink_cache.sql"),
];
