//! The parts of the ledger benchmark (`src/bin/bench_ledger.rs`), kept out
//! of the `mes_tests` library because only the benchmark uses them: the
//! database per run (`db`), the master data and events it ingests
//! (`seed`), the figures through the hub's code (`measure`), the raw
//! references on the same database (`reference`) and several agents
//! ingesting at once while the projection runs (`concurrent`).

pub mod concurrent;
pub mod db;
pub mod measure;
pub mod reference;
pub mod seed;
