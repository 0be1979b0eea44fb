//! Machine data on the hub: an equipment's state timeline, its downtime
//! with reasons and its part counts over a period, from the events agents
//! sent (issue 13). `timeline.rs` is the pure core, `load.rs` reads the log;
//! `api/machines.rs` serves them. Derived on read, so late events count as
//! soon as they are stored. `board.rs` is a site's shop-floor board (the
//! console's live page), `shift.rs` when its shift began.

pub mod board;
pub mod fleet;
pub mod load;
pub mod shift;
pub mod timeline;
