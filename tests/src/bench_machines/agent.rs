//! The agent under test as a child process whose pid the benchmark knows
//! (for `/proc`), with sync off: no hub, the agent only buffers. The
//! harness's `AgentProcess` always configures a hub and hides the pid,
//! hence this small variant.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running agent; killed when dropped.
pub struct BenchAgent {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl BenchAgent {
    /// Writes `agent.toml` in `dir` (buffer, HTTP port, then `body`), starts
    /// `bin run -c agent.toml` and waits until `/healthz` answers.
    pub async fn start(bin: &Path, dir: &Path, body: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let port = mes_tests::free_port();
        let config = dir.join("agent.toml");
        std::fs::write(
            &config,
            format!(
                "[buffer]\npath = \"{}\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n{body}\n",
                dir.join("buffer.db").display()
            ),
        )?;
        let log = std::fs::File::create(dir.join("agent.log"))?;
        let child = Command::new(bin)
            .arg("run")
            .arg("-c")
            .arg(&config)
            .env_remove("MES_AGENT_ID")
            .env_remove("MES_AGENT_TOKEN")
            .env_remove("MES_HUB_URL")
            .env_remove("MES_MQTT_PASSWORD")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut agent = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir: dir.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if agent.health().await.is_ok() {
                return Ok(agent);
            }
            if let Ok(Some(status)) = agent.child.try_wait() {
                bail!("the agent exited with {status}; see {}", agent.log().display());
            }
            if Instant::now() > deadline {
                bail!(
                    "the agent did not answer /healthz within 30 s; see {}",
                    agent.log().display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The agent's log file.
    pub fn log(&self) -> PathBuf {
        self.dir.join("agent.log")
    }

    /// `/healthz` as JSON.
    pub async fn health(&self) -> anyhow::Result<serde_json::Value> {
        Ok(reqwest::get(format!("{}/healthz", self.url))
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// The buffer's highest sequence number (`/healthz` `buffer.last_seq`).
    pub async fn last_seq(&self) -> anyhow::Result<u64> {
        let health = self.health().await?;
        health["buffer"]["last_seq"]
            .as_u64()
            .with_context(|| format!("no buffer.last_seq in {health}"))
    }

    /// `/metrics` as text.
    pub async fn metrics(&self) -> anyhow::Result<Metrics> {
        let text = reqwest::get(format!("{}/metrics", self.url))
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(Metrics(text))
    }
}

impl Drop for BenchAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Prometheus text exposition.
pub struct Metrics(String);

impl Metrics {
    /// The value of the sample named exactly `name` (labels included, if
    /// any); 0 when absent.
    pub fn get(&self, name: &str) -> f64 {
        self.0
            .lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|line| {
                let (key, value) = line.rsplit_once(' ')?;
                (key == name).then(|| value.parse().ok()).flatten()
            })
            .unwrap_or(0.0)
    }

    /// The sum of every sample of a labelled family (`name{...}`).
    pub fn sum(&self, family: &str) -> f64 {
        self.0
            .lines()
            .filter(|l| l.strip_prefix(family).is_some_and(|rest| rest.starts_with('{')))
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
            .fold(0.0, |a, b| a + b)
    }
}
