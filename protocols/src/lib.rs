//! The shared vocabulary of the shop-floor MES: the event model, the
//! edge-to-hub sync wire format and the field codecs.
//!
//! This crate is pure: it performs no I/O (no files, sockets or clocks other
//! than what callers pass in), so every codec in it can be fuzzed and
//! property-tested in isolation. Both `edge-agent` and `cloud-hub` depend on
//! it; it depends on nothing of ours.

pub mod approval;
pub mod barcode;
pub mod code;
pub mod config_text;
pub mod date;
pub mod decimal;
pub mod downlink;
pub mod event;
pub mod field_error;
pub mod ids;
pub mod limits;
pub mod modbus;
pub mod quantity;
pub mod sparkplug;
pub mod timestamp;
pub mod wire;

pub use code::Code;
pub use event::{Event, EventBody, EventDraft, EventHeader, EventKind, Source};
pub use field_error::FieldError;
pub use ids::{AgentId, EventId, ExecutionId, Incarnation, Seq, SeqRange};
pub use quantity::Quantity;
pub use timestamp::Timestamp;
