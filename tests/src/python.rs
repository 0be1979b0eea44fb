//! Independent implementations written in Python (pysparkplug, asyncua),
//! run by the tests as child processes that speak a line protocol: the
//! test writes commands to the script's stdin and waits, with a deadline,
//! for the lines it prints.
//!
//! The interpreter is `MES_TEST_PYTHON` (`.ci/run` points it at a
//! virtualenv with the packages from PyPI), else `python3`; a test whose
//! module is missing is skipped with the reason printed.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The Python interpreter that can import `module`, or `None` with the
/// reason printed (the test is then skipped).
pub fn python_with(module: &str) -> Option<PathBuf> {
    let python = std::env::var("MES_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(python.into())
    } else {
        eprintln!(
            "skipped: {python} cannot import {module} (pip install it, or set MES_TEST_PYTHON; .ci/run does)"
        );
        None
    }
}

/// The path of a script in `tests/python/`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(name)
}

/// A running script; killed when dropped.
pub struct Script {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Script {
    /// Starts `python script args...` and waits for its first line, `ready`.
    pub async fn start(python: &PathBuf, script: PathBuf, args: &[&str]) -> anyhow::Result<Script> {
        let mut child = Command::new(python)
            .arg(&script)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", script.display()))?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut script = Script {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        };
        script.expect("ready", Duration::from_secs(20)).await?;
        Ok(script)
    }

    /// The script's process id (for its CPU time in `/proc`), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Sends one command line.
    pub async fn send(&mut self, command: &str) -> anyhow::Result<()> {
        self.stdin.write_all(format!("{command}\n").as_bytes()).await?;
        self.stdin.flush().await?;
        Ok(())
    }

    /// Sends a command and waits for the line `reply`.
    pub async fn command(&mut self, command: &str, reply: &str) -> anyhow::Result<()> {
        self.send(command).await?;
        self.expect(reply, Duration::from_secs(20)).await
    }

    /// Waits up to `timeout` for the line `wanted`, skipping others.
    pub async fn expect(&mut self, wanted: &str, timeout: Duration) -> anyhow::Result<()> {
        let wait = async {
            loop {
                match self.lines.next_line().await? {
                    Some(line) if line.trim() == wanted => return Ok(()),
                    Some(_) => continue,
                    None => bail!("the script ended before printing {wanted:?}"),
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .with_context(|| format!("no {wanted:?} from the script within {timeout:?}"))?
    }

    /// Waits up to `timeout` for the next line, whatever it is.
    pub async fn next_line(&mut self, timeout: Duration) -> anyhow::Result<String> {
        tokio::time::timeout(timeout, self.lines.next_line())
            .await
            .context("no line from the script")??
            .context("the script ended")
    }

    /// Waits for the script to end by itself.
    pub async fn wait(mut self, timeout: Duration) -> anyhow::Result<()> {
        tokio::time::timeout(timeout, self.child.wait()).await??;
        Ok(())
    }
}
