//! CPU time and memory of a process, read from `/proc` (no unsafe code):
//! `utime + stime` of `/proc/<pid>/stat` in clock ticks, and `VmRSS` /
//! `VmHWM` of `/proc/<pid>/status`.

use std::process::Command;

/// Kernel clock ticks per second (`getconf CLK_TCK`; USER_HZ is 100 on
/// every Linux we run on, the fallback when `getconf` is missing).
pub fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// User plus system CPU time the process has used so far, in clock ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: split after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after `)`.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// A `kB` value of `/proc/<pid>/status` (`VmRSS`, `VmHWM`).
pub fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// CPU use of one process over a measured interval.
#[derive(Debug, Clone, Copy)]
pub struct CpuMark {
    pid: u32,
    ticks: u64,
    at: std::time::Instant,
}

impl CpuMark {
    /// Marks the start of an interval (None when the process is gone).
    pub fn start(pid: u32) -> Option<Self> {
        Some(Self {
            pid,
            ticks: cpu_ticks(pid)?,
            at: std::time::Instant::now(),
        })
    }

    /// Share of one core used since the mark (1.0 = one core busy).
    pub fn share_of_core(&self, ticks_per_sec: f64) -> Option<f64> {
        let used = cpu_ticks(self.pid)?.saturating_sub(self.ticks) as f64 / ticks_per_sec;
        let wall = self.at.elapsed().as_secs_f64();
        (wall > 0.0).then(|| used / wall)
    }
}

/// Median time of a small durable SQLite commit (WAL, `synchronous=FULL`,
/// the agent buffer's pragmas) in `dir`, over `commits` one-row
/// transactions: what one buffer commit costs on this disk right now.
pub fn sqlite_commit_latency(dir: &std::path::Path, commits: usize) -> Option<std::time::Duration> {
    let path = dir.join("fsync-probe.db");
    let conn = rusqlite::Connection::open(&path).ok()?;
    conn.pragma_update(None, "journal_mode", "WAL").ok()?;
    conn.pragma_update(None, "synchronous", "FULL").ok()?;
    conn.execute_batch("CREATE TABLE IF NOT EXISTS t (x BLOB)").ok()?;
    let mut times = Vec::with_capacity(commits);
    for _ in 0..commits {
        let started = std::time::Instant::now();
        conn.execute("INSERT INTO t (x) VALUES (zeroblob(200))", [])
            .ok()?;
        times.push(started.elapsed());
    }
    drop(conn);
    let _ = std::fs::remove_file(&path);
    times.sort_unstable();
    times.get(times.len() / 2).copied()
}
