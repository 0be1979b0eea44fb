//! Memory and CPU of the hub and agent processes, read from `/proc`.
//!
//! The harness does not expose child pids, so a process is found by a
//! string unique to it on its command line (its config file, which lives in
//! the run's own temporary directory).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Kernel clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100
/// on every Linux architecture we run on).
const TICKS_PER_SEC: f64 = 100.0;

/// The pid of a running process whose command line contains `needle`.
pub fn find_pid(needle: &str) -> Option<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
        let cmdline = String::from_utf8_lossy(&cmdline);
        (pid != me && cmdline.contains(needle)).then_some(pid)
    })
}

/// A `kB` value of `/proc/<pid>/status` (`VmRSS`, `VmHWM`).
pub fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// User plus system CPU seconds the process has used so far.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after `)`.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / TICKS_PER_SEC)
}

/// Samples `VmRSS` of one process on its own thread until stopped.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Samples>,
}

/// What an [`RssSampler`] saw.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    /// The process, once found.
    pub pid: Option<u32>,
    /// `(time since the sampler started, VmRSS kB)`.
    pub rss_kb: Vec<(Duration, u64)>,
}

impl RssSampler {
    /// Starts sampling every `every` the process whose command line contains
    /// `needle` (waiting for it to appear).
    pub fn start(needle: String, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let started = Instant::now();
            let mut samples = Samples::default();
            while !flag.load(Ordering::Relaxed) {
                match samples.pid {
                    None => samples.pid = find_pid(&needle),
                    Some(pid) => match status_kb(pid, "VmRSS") {
                        Some(kb) => samples.rss_kb.push((started.elapsed(), kb)),
                        None => break,
                    },
                }
                std::thread::sleep(if samples.pid.is_some() {
                    every
                } else {
                    Duration::from_millis(2)
                });
            }
            samples
        });
        Self { stop, handle }
    }

    /// Stops sampling and returns the samples.
    pub fn finish(self) -> Samples {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}
