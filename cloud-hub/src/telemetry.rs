//! Log output: human-readable by default, JSON lines with `--log-json`.
//! The level comes from `RUST_LOG` (default `info`). Panics are logged as
//! one error line each, with a backtrace at most once a minute: a panic
//! repeated by a client or a bug (answered 500, or set aside by the
//! projection) must not flood the log with backtraces.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracing_subscriber::EnvFilter;

/// Installs the global tracing subscriber.
pub fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    install_panic_hook();
}

/// Most one backtrace per this interval.
const BACKTRACE_EVERY: Duration = Duration::from_secs(60);

/// Replaces the default panic hook (a backtrace on stderr for every panic)
/// by a log line per panic, with a backtrace at most every
/// [`BACKTRACE_EVERY`].
fn install_panic_hook() {
    static LAST_BACKTRACE: Mutex<Option<Instant>> = Mutex::new(None);
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("a panic without a message");
        let location = info
            .location()
            .map_or_else(String::new, |l| format!("{}:{}", l.file(), l.line()));
        let with_backtrace = {
            let mut last = LAST_BACKTRACE.lock().unwrap_or_else(|p| p.into_inner());
            let due = last.is_none_or(|t| t.elapsed() >= BACKTRACE_EVERY);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if with_backtrace {
            let backtrace = std::backtrace::Backtrace::force_capture();
            tracing::error!(panic = message, location, %backtrace, "panic (a backtrace at most once a minute)");
        } else {
            tracing::error!(panic = message, location, "panic");
        }
    }));
}
