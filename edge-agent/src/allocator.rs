//! Keeps glibc's malloc to one arena in a running agent.
//!
//! glibc gives threads arenas of their own (up to eight per CPU) as they
//! contend, and each keeps the partly used pages of what it freed. The
//! agent's threads (the runtime's workers, the buffer writer, the blocking
//! pool) hand large short-lived values to each other: an OPC UA publish
//! response of thousands of notifications is decoded on one, its events
//! serialised on another, committed on a third. Measured with
//! `bench-opcua` (10,000 monitored items, about 6,000-7,000 changes/s, 2
//! CPUs): 60.6 MB resident with glibc's default, 44.9 MB with
//! `MALLOC_ARENA_MAX=1`, at the same 3% of a core.
//!
//! glibc reads `MALLOC_ARENA_MAX` when the process starts, and this
//! workspace forbids the `unsafe` of calling `mallopt`. So `run` starts
//! itself again once with the variable set to [`ARENAS`], unless it is set
//! already (an operator's own choice is kept). The hub does the same for
//! jemalloc (`cloud-hub/src/allocator.rs`).

#[cfg(unix)]
use std::ffi::OsString;

/// The environment variable glibc reads its arena limit from.
pub const ARENA_VAR: &str = "MALLOC_ARENA_MAX";

/// The arena limit `run` runs with.
pub const ARENAS: &str = "1";

/// Replaces this process by itself with [`ARENA_VAR`] set to [`ARENAS`],
/// when it is not set. Returns only when it is set already or the program
/// cannot be started again (then the agent runs with glibc's default).
#[cfg(unix)]
pub fn one_arena() {
    if std::env::var_os(ARENA_VAR).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let error = std::os::unix::process::CommandExt::exec(
        std::process::Command::new(exe).args(args).env(ARENA_VAR, ARENAS),
    );
    // Only reached when exec failed: run on with glibc's default.
    eprintln!("edge-agent: could not restart with {ARENA_VAR}={ARENAS} ({error}); memory use may be higher");
}

/// Elsewhere there is no glibc arena to limit.
#[cfg(not(unix))]
pub fn one_arena() {}
