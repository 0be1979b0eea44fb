//! Makes the allocator give memory back promptly in a serving hub.
//!
//! Every allocation of a hub binary goes through jemalloc
//! ([`crate::app::HubAllocator`]; its unprefixed `malloc` makes it also
//! SQLite's, whose page cache glibc's malloc kept after a burst). A burst
//! of maximal ingest batches (`bench-hub-memory`) is freed on other
//! threads than those that allocated it (a body read on a runtime worker
//! is dropped on the blocking pool, a batch parsed on one pool thread is
//! stored and dropped on another). jemalloc returns such memory to its
//! arena at once; mimalloc, the allocator before, kept it in the pages of
//! the thread that allocated it until that thread allocated again, which
//! an idle worker or pool thread never does: 52-78 MB 30 s after the
//! burst against 30-35 MB idle, and still 46-48 MB after every thread
//! was made to collect its pages (from a debugger).
//!
//! [`CONF`] is jemalloc's configuration for a serving hub:
//! - `dirty_decay_ms:0,muzzy_decay_ms:0`: pages freed are returned to the
//!   system at once, not after jemalloc's default 10 s of decay (a decay
//!   of 1 s held the peak at 350 MB, against 249 MB without);
//! - `narenas:1`: one arena instead of four per CPU, each of which keeps
//!   partly used pages of its own;
//! - `tcache_max:4096`: a thread caches freed blocks of at most 4 KiB
//!   (jemalloc's default is 32 KiB), so the pool threads a burst woke,
//!   which stay alive polled by the projection, hold less each.
//!
//! Measured on 2 CPUs against 20 MB idle, 30 s after the burst: 24.7-25.2
//! MB with `narenas:2` and the default thread caches (over the target of
//! idle + 20%), 23.6-23.7 MB with either `narenas:1` or `tcache_max:4096`
//! (one run each), 22.9-23.0 MB with both (three runs, peak 230-248 MB).
//!
//! jemalloc reads `MALLOC_CONF` when the process starts, before `main`,
//! and this workspace forbids the `unsafe` of exporting its `malloc_conf`
//! symbol. So `serve` starts itself again once with `MALLOC_CONF` set to
//! [`CONF`], unless the variable is set already (an operator's own choice
//! is kept).

use std::ffi::OsString;

/// The environment variable jemalloc reads its options from.
pub const CONF_VAR: &str = "MALLOC_CONF";

/// The options `serve` runs with (see the module documentation).
pub const CONF: &str = "narenas:1,tcache_max:4096,dirty_decay_ms:0,muzzy_decay_ms:0";

/// Replaces this process by itself with [`CONF_VAR`] set to [`CONF`],
/// when it is not set. Returns only when it is set already or the program
/// cannot be started again (then the hub runs with jemalloc's defaults).
pub fn purge_promptly() {
    if std::env::var_os(CONF_VAR).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let error = std::os::unix::process::CommandExt::exec(
        std::process::Command::new(exe).args(args).env(CONF_VAR, CONF),
    );
    // Only reached when exec failed: run on with jemalloc's defaults.
    eprintln!(
        "cloud-hub: could not restart with {CONF_VAR}={CONF} ({error}); memory freed after a burst is returned late"
    );
}
