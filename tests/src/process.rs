//! The hub and agent as child processes.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Where the two binaries are.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// The hub's binary.
    pub hub: PathBuf,
    /// The agent's binary.
    pub agent: PathBuf,
}

impl Binaries {
    /// The binaries built beside the running executable (benchmarks and
    /// tools in this package's `target/<profile>` directory).
    pub fn beside_current_exe() -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let mut dir = exe.parent().context("executable has no directory")?.to_path_buf();
        if dir.ends_with("deps") {
            dir.pop();
        }
        let found = Self {
            hub: dir.join("hub"),
            agent: dir.join("agent"),
        };
        if !found.hub.exists() || !found.agent.exists() {
            bail!(
                "hub/agent binaries not found in {}; build with `cargo build -p mes-tests --bins`",
                dir.display()
            );
        }
        Ok(found)
    }
}

/// A free loopback port (bound, then released for the child to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the loopback interface has a free port")
}

/// Credentials printed by `cloud-hub agent add` and `token add`.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// The agent's id.
    pub agent_id: String,
    /// The agent's token.
    pub agent_token: String,
    /// A tenant API token.
    pub api_token: String,
}

/// A hub process with its own directory and database.
pub struct HubProcess {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
    env: Vec<(String, String)>,
}

impl HubProcess {
    /// A hub that will keep its files in `dir` (not started yet).
    pub fn new(bin: &Path, dir: &Path) -> anyhow::Result<Self> {
        let url = format!("sqlite://{}", dir.join("hub.db").display());
        Self::with_database(bin, dir, &url)
    }

    /// A hub on the database at `url` (`[database] url`), keeping its
    /// other files in `dir` (not started yet).
    pub fn with_database(bin: &Path, dir: &Path, url: &str) -> anyhow::Result<Self> {
        let port = free_port();
        let hub = Self {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            port,
            child: None,
            env: Vec::new(),
        };
        std::fs::write(
            hub.config_path(),
            format!("[http]\nlisten = \"127.0.0.1:{port}\"\n[database]\nurl = {url:?}\n"),
        )?;
        Ok(hub)
    }

    /// Adds `toml` (whole tables, e.g. `[cluster]\nreplica_id = "hub-1"`)
    /// to the hub's configuration file, read at the next `start`.
    pub fn append_config(&self, toml: &str) -> anyhow::Result<()> {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.config_path())?;
        writeln!(file, "{toml}")?;
        Ok(())
    }

    /// The hub's SQLite file.
    pub fn db_path(&self) -> PathBuf {
        self.dir.join("hub.db")
    }

    fn config_path(&self) -> PathBuf {
        self.dir.join("hub.toml")
    }

    /// Base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs a hub command (`tenant add acme`) and returns its stdout.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(&self.bin)
            .arg("-c")
            .arg(self.config_path())
            .args(args)
            .output()?;
        if !out.status.success() {
            bail!(
                "cloud-hub {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs a hub command with `input` on its standard input (a password)
    /// and returns its stdout and stderr.
    pub fn cli_with_input(&self, args: &[&str], input: &str) -> anyhow::Result<(String, String)> {
        use std::io::Write;
        let mut child = Command::new(&self.bin)
            .arg("-c")
            .arg(self.config_path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdin"))?
            .write_all(input.as_bytes())?;
        let out = child.wait_with_output()?;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        if !out.status.success() {
            bail!("cloud-hub {args:?} failed: {stderr}");
        }
        Ok((stdout, stderr))
    }

    /// Sets an environment variable for the next `start` (`RUST_LOG`).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.push((key.into(), value.into()));
    }

    /// Everything the hub has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("hub.log")).unwrap_or_default()
    }

    /// Creates tenant, site, agent and API token.
    pub fn provision(&self, tenant: &str, site: &str) -> anyhow::Result<Provisioned> {
        self.cli(&["tenant", "add", tenant])?;
        self.cli(&["site", "add", "--tenant", tenant, site])?;
        let agent = self.cli(&["agent", "add", "--tenant", tenant, "--site", site])?;
        let token = self.cli(&["token", "add", "--tenant", tenant])?;
        Ok(Provisioned {
            agent_id: quoted_value(&agent, "agent_id")?,
            agent_token: quoted_value(&agent, "token")?,
            api_token: quoted_value(&token, "token")?,
        })
    }

    /// Starts the hub and waits until `/healthz` answers.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("hub.log"))?;
        let child = Command::new(&self.bin)
            .arg("-c")
            .arg(self.config_path())
            .arg("serve")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        wait_healthy(&self.url(), "hub").await
    }

    /// Stops the hub with SIGTERM and waits for it to exit.
    pub fn stop(&mut self) {
        terminate(self.child.take());
    }

    /// The running hub's process id (for `/proc/PID/…`).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the hub with SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An agent process with its own directory and buffer.
pub struct AgentProcess {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl AgentProcess {
    /// An agent syncing to `hub_url` with `creds`; `extra_toml` is appended
    /// to its configuration (e.g. a `[generator]` table).
    pub fn new(
        bin: &Path,
        dir: &Path,
        hub_url: &str,
        creds: &Provisioned,
        extra_toml: &str,
    ) -> anyhow::Result<Self> {
        let port = free_port();
        let agent = Self {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            port,
            child: None,
        };
        std::fs::write(
            agent.dir.join("agent.toml"),
            format!(
                "[hub]\nurl = \"{hub_url}\"\nagent_id = \"{}\"\ntoken = \"{}\"\nbackoff_initial_ms = 50\nbackoff_max_secs = 1\n\
                 [buffer]\npath = \"{}\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n{extra_toml}\n",
                creds.agent_id,
                creds.agent_token,
                agent.buffer_path().display()
            ),
        )?;
        Ok(agent)
    }

    /// An agent without a hub (sync off), buffering only; `extra_toml` is
    /// appended to its configuration, after an open `[http]` table.
    pub fn without_hub(bin: &Path, dir: &Path, extra_toml: &str) -> anyhow::Result<Self> {
        let port = free_port();
        let agent = Self {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            port,
            child: None,
        };
        std::fs::write(
            agent.dir.join("agent.toml"),
            format!(
                "[buffer]\npath = \"{}\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n{extra_toml}\n",
                agent.buffer_path().display()
            ),
        )?;
        Ok(agent)
    }

    /// The agent's buffer file.
    pub fn buffer_path(&self) -> PathBuf {
        self.dir.join("buffer.db")
    }

    /// Base URL of the agent's own HTTP server.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the agent and waits until `/healthz` answers.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("agent.log"))?;
        let child = Command::new(&self.bin)
            .arg("run")
            .arg("-c")
            .arg(self.dir.join("agent.toml"))
            .env_remove("MES_AGENT_ID")
            .env_remove("MES_AGENT_TOKEN")
            .env_remove("MES_HUB_URL")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        wait_healthy(&self.url(), "agent").await
    }

    /// Kills the agent with SIGKILL (no chance to clean up).
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops the agent with SIGTERM and waits for it to exit.
    pub fn stop(&mut self) {
        terminate(self.child.take());
    }

    /// The agent's `/healthz` document.
    pub async fn health(&self) -> anyhow::Result<serde_json::Value> {
        Ok(reqwest::get(format!("{}/healthz", self.url()))
            .await?
            .json()
            .await?)
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn terminate(child: Option<Child>) {
    if let Some(mut c) = child {
        let pid = nix::unistd::Pid::from_raw(c.id() as i32);
        if nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).is_err() {
            let _ = c.kill();
        }
        let _ = c.wait();
    }
}

async fn wait_healthy(base: &str, what: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("{what} at {base} did not become healthy within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn quoted_value(text: &str, key: &str) -> anyhow::Result<String> {
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
        })
        .with_context(|| format!("no `{key}` in {text:?}"))
}
