//! The parts of the console benchmark (`src/bin/bench_console.rs`), kept
//! out of the `mes_tests` library because only the benchmark uses them:
//! the factory it generates on top of the ledger benchmark's (`floor`), a
//! browser session's timed page loads (`web`) and open boards' server-sent
//! events (`live`).

pub mod floor;
pub mod live;
pub mod web;
