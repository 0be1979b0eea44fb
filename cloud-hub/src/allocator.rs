//! Makes the allocator give memory back promptly in a serving hub.
//!
//! Every allocation of a hub binary goes through mimalloc
//! ([`crate::app::HubAllocator`]; with its `override` feature also
//! SQLite's, whose page cache glibc's malloc kept after a burst).
//! mimalloc returns freed pages to the system only after its purge delay
//! (1 s), and only when it next allocates or frees a page: a hub that
//! goes idle after a burst of maximal ingest batches makes no such call,
//! and kept 130-230 MB for good (`bench-hub-memory`). With a purge delay
//! of 0 it returns them as they are freed (30 s after the burst: 65 MB
//! instead of 229 MB; peak 301 MB instead of 346 MB, same run time).
//!
//! mimalloc reads its options from the environment when the process
//! starts, before `main`, and this workspace forbids the `unsafe` an FFI
//! call to `mi_option_set` would need. So `serve` starts itself again
//! once with `MIMALLOC_PURGE_DELAY=0` in its environment, unless the
//! variable is set already (an operator's own choice is kept).

use std::ffi::OsString;

/// The mimalloc option this module sets.
pub const PURGE_DELAY_VAR: &str = "MIMALLOC_PURGE_DELAY";

/// Replaces this process by itself with [`PURGE_DELAY_VAR`] set to 0,
/// when it is not set. Returns only when it is set already or the
/// program cannot be started again (then the hub runs with the default).
pub fn purge_promptly() {
    if std::env::var_os(PURGE_DELAY_VAR).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let error = std::os::unix::process::CommandExt::exec(
        std::process::Command::new(exe)
            .args(args)
            .env(PURGE_DELAY_VAR, "0"),
    );
    // Only reached when exec failed: run on with mimalloc's default.
    eprintln!(
        "cloud-hub: could not restart with {PURGE_DELAY_VAR}=0 ({error}); memory freed after a burst is returned late"
    );
}
