//! A SQLite database is served by one hub at a time: a second hub started
//! on the same file is refused with an error naming the file (it would
//! project the same steps twice), and once the first is gone, killed or
//! stopped, a hub starts on the file again.

use mes_tests::HubProcess;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `hub -c <config> serve` and waits at most `limit` for it to exit.
fn serve_expecting_exit(bin: &str, config: &std::path::Path, limit: Duration) -> Output {
    let mut child = Command::new(bin)
        .arg("-c")
        .arg(config)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hub binary starts");
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().expect("the child can be waited for").is_some() {
            return child.wait_with_output().expect("its output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("its output");
            panic!(
                "the second hub kept running on the same SQLite file: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn a_second_hub_on_the_same_sqlite_file_is_refused_naming_it() {
    let bin = env!("CARGO_BIN_EXE_hub");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = HubProcess::new(bin.as_ref(), dir.path()).expect("hub");
    first.start().await.expect("the first hub starts");
    let db = first.db_path();

    // A second hub, its own port and config file, the same database file.
    let other = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", db.display());
    let second = HubProcess::with_database(bin.as_ref(), other.path(), &url).expect("hub");
    let config = other.path().join("hub.toml");
    let out = serve_expecting_exit(bin, &config, Duration::from_secs(20));
    assert!(!out.status.success(), "refused with a failure status");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&db.display().to_string()),
        "names the file: {stderr}"
    );
    assert!(
        stderr.contains("already served by another hub"),
        "says why: {stderr}"
    );
    let pid = first.pid().expect("the first hub runs").to_string();
    assert!(
        stderr.contains(&pid),
        "names the holder's process id {pid}: {stderr}"
    );
    drop(second);

    // The first hub still serves; killed with -9, it leaves the lock file
    // behind but not the lock, and a hub starts on the file again.
    first.kill();
    let mut third = HubProcess::with_database(bin.as_ref(), other.path(), &url).expect("hub");
    third.start().await.expect("a hub starts once the first is gone");
    third.stop();
}
