//! The Sparkplug B protobuf messages, generated at build time from
//! `proto/sparkplug_b.proto` (Eclipse Tahu) by `build.rs`. Only
//! `payload.rs` uses them; everything else sees the typed
//! [`Payload`](super::Payload).
#![allow(missing_docs, clippy::all, clippy::pedantic, clippy::unwrap_used)]

include!(concat!(env!("OUT_DIR"), "/org.eclipse.tahu.protobuf.rs"));
