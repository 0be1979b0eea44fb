//! The agent binary and the file at `buffer.path`: a file that is not an
//! edge-agent buffer, or one of a newer schema, is refused with one error line
//! naming the path and left byte for byte as it was; an empty file becomes a
//! new buffer, and the log says so with the path and incarnation.

use mes_tests::{eventually, free_port};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Agent {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Agent {
    /// An agent without a hub whose buffer is `buffer.db` in its directory.
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("agent.toml");
        std::fs::write(
            &config,
            format!(
                "[buffer]\npath = \"{}\"\n[http]\nlisten = \"127.0.0.1:{}\"\n",
                dir.path().join("buffer.db").display(),
                free_port()
            ),
        )
        .expect("config");
        Self { dir, config }
    }

    fn buffer(&self) -> PathBuf {
        self.dir.path().join("buffer.db")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("agent.log")
    }

    fn spawn(&self) -> Child {
        let log = std::fs::File::create(self.log()).expect("log file");
        Command::new(env!("CARGO_BIN_EXE_agent"))
            .args(["run", "-c"])
            .arg(&self.config)
            .env_remove("MES_AGENT_ID")
            .env_remove("MES_AGENT_TOKEN")
            .env_remove("MES_HUB_URL")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("agent starts")
    }

    /// Runs the agent, which must exit with an error; returns its output.
    async fn refused(&self) -> String {
        let mut child = self.spawn();
        let status = eventually("the agent exits", Duration::from_secs(20), || {
            let status = child.try_wait().ok().flatten();
            async move { status }
        })
        .await;
        assert!(!status.success(), "the agent must refuse the file");
        std::fs::read_to_string(self.log()).expect("log")
    }
}

/// The buffer and the files SQLite may put beside it, byte for byte.
fn snapshot(path: &Path) -> Vec<Option<Vec<u8>>> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| std::fs::read(format!("{}{suffix}", path.display())).ok())
        .collect()
}

fn assert_one_error_line(output: &str, path: &Path, expect: &str) {
    let errors: Vec<&str> = output.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line: {output}");
    assert!(errors[0].contains(&path.display().to_string()), "{output}");
    assert!(errors[0].contains(expect), "{output}");
}

#[tokio::test]
async fn a_foreign_sqlite_file_is_refused_and_left_untouched() {
    let agent = Agent::new();
    let conn = rusqlite::Connection::open(agent.buffer()).expect("create");
    conn.execute_batch(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT); INSERT INTO events (what) VALUES ('payroll');",
    )
    .expect("someone else's data");
    drop(conn);
    let before = snapshot(&agent.buffer());
    let output = agent.refused().await;
    assert_one_error_line(&output, &agent.buffer(), "is not an edge-agent buffer");
    assert!(
        snapshot(&agent.buffer()) == before,
        "the foreign file (or its journal files) changed: {output}"
    );
}

#[tokio::test]
async fn a_buffer_of_a_newer_schema_is_refused_and_left_untouched() {
    let agent = Agent::new();
    let mut child = agent.spawn();
    let log = agent.log();
    eventually("the agent created its buffer", Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        async move { text.contains("created new").then_some(()) }
    })
    .await;
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("stop");
    child.wait().expect("stopped");
    let conn = rusqlite::Connection::open(agent.buffer()).expect("open");
    conn.pragma_update(None, "user_version", 99)
        .expect("a future schema");
    drop(conn);
    let before = snapshot(&agent.buffer());
    let output = agent.refused().await;
    assert_one_error_line(
        &output,
        &agent.buffer(),
        "schema version 99, newer than this build knows",
    );
    assert!(
        snapshot(&agent.buffer()) == before,
        "the buffer changed: {output}"
    );
}

#[tokio::test]
async fn an_empty_file_becomes_a_new_buffer_and_the_log_says_so() {
    let agent = Agent::new();
    std::fs::write(agent.buffer(), b"").expect("empty file");
    let mut child = agent.spawn();
    let log = agent.log();
    let line = eventually("the start line", Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        async move {
            text.lines()
                .find(|l| l.contains("created new"))
                .map(str::to_owned)
        }
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains(&agent.buffer().display().to_string()), "{line}");
    assert!(line.contains("incarnation"), "{line}");
    assert!(line.contains("depth"), "{line}");
}
