//! "Nothing lost, nothing doubled": events acknowledged by a real agent reach
//! a real hub exactly once under concurrent load, hub outages (SIGTERM and
//! SIGKILL) and agent crashes (SIGKILL) at random moments.
//!
//! Each test prints its seed; `MES_TEST_SEED=<seed>` replays its random
//! choices (batch sizes, kill moments). Process timing still varies.

use mes_tests::{
    AgentProcess, Binaries, BufferHealth, HubProcess, Ledger, ProducerPlan, Producers, Provisioned,
    eventually, hub_agents, hub_event_ids, hub_event_rows, hub_metric, post_events, sample_event, test_seed,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::time::{Duration, Instant};

const DUPLICATES_METRIC: &str = "mes_hub_ingest_events_duplicate_total";

/// A hub and one agent syncing to it, each in its own directory.
struct Rig {
    hub: HubProcess,
    agent: AgentProcess,
    creds: Provisioned,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Rig {
    async fn start() -> Rig {
        let bins = Binaries {
            hub: env!("CARGO_BIN_EXE_hub").into(),
            agent: env!("CARGO_BIN_EXE_agent").into(),
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let mut hub = HubProcess::new(&bins.hub, dir.path()).expect("hub");
        let creds = hub.provision("acme", "plant-1").expect("provision");
        hub.start().await.expect("hub starts");
        let agent_dir = dir.path().join("agent");
        std::fs::create_dir_all(&agent_dir).expect("agent dir");
        let mut agent = AgentProcess::new(&bins.agent, &agent_dir, &hub.url(), &creds, "").expect("agent");
        agent.start().await.expect("agent starts");
        Rig {
            hub,
            agent,
            creds,
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn buffer(&self) -> anyhow::Result<BufferHealth> {
        BufferHealth::from_health(&self.agent.health().await?)
    }

    fn hub_rows(&self) -> u64 {
        hub_event_rows(&self.hub.db_path()).expect("the hub database is readable")
    }

    /// Waits until the agent's buffer is empty and fully acknowledged.
    async fn wait_drained(&self, timeout: Duration) -> BufferHealth {
        eventually("the agent's buffer to drain", timeout, || async {
            self.buffer().await.ok().filter(BufferHealth::drained)
        })
        .await
    }

    /// This rig's agent as the hub's agent list shows it.
    async fn agent_row(&self) -> Value {
        let items = hub_agents(&self.client, &self.hub.url(), &self.creds.api_token)
            .await
            .expect("agents list");
        items
            .into_iter()
            .find(|a| a["agent_id"] == self.creds.agent_id.as_str())
            .expect("the agent is listed")
    }

    /// Checks the hub against the ledger and returns how many ids it stores.
    fn assert_exactly_once(&self, ledger: &Ledger) -> usize {
        let stored = hub_event_ids(&self.hub.db_path()).expect("read hub");
        let problems = ledger.problems(&stored);
        assert!(
            problems.is_empty(),
            "hub disagrees with the agent's acknowledgements: {problems:#?}"
        );
        stored.len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_producers_deliver_100k_events_exactly_once() {
    const TOTAL: usize = 100_000;
    const PRODUCERS: usize = 8;
    let seed = test_seed("concurrent_producers_deliver_100k_events_exactly_once");
    let rig = Rig::start().await;
    let started = Instant::now();
    let producers = Producers::spawn(
        &rig.agent.url(),
        ProducerPlan {
            producers: PRODUCERS,
            batch_sizes: 100..=500,
            events_per_producer: Some(TOTAL / PRODUCERS),
            retrying_producers: 0,
            seed,
        },
    );
    let ledger = producers.join().await;
    println!("{TOTAL} events acknowledged in {:?}", started.elapsed());
    assert_eq!(ledger.requests_failed, 0, "the agent refused or dropped requests");
    assert_eq!(
        ledger.acknowledged.len(),
        TOTAL,
        "every posted event is acknowledged"
    );

    let rows = eventually("all events at the hub", Duration::from_secs(180), || async {
        Some(rig.hub_rows()).filter(|n| *n >= TOTAL as u64)
    })
    .await;
    println!("{rows} rows at the hub after {:?}", started.elapsed());
    assert_eq!(rows, TOTAL as u64, "the hub stores no more rows than events");
    let buffer = rig.wait_drained(Duration::from_secs(30)).await;
    assert_eq!(buffer.last_seq, TOTAL as u64, "one sequence number per event");

    assert_eq!(rig.assert_exactly_once(&ledger), TOTAL);
    let row = rig.agent_row().await;
    assert_eq!(row["events_received"], TOTAL);
    assert_eq!(row["acked_seq"], TOTAL);
    assert_eq!(
        row["incarnations"], 1,
        "no new incarnation without a reason: {row}"
    );
    assert_eq!(row["anomalies"], 0, "no anomaly in a clean run: {row}");
    let duplicates = hub_metric(&rig.client, &rig.hub.url(), DUPLICATES_METRIC)
        .await
        .expect("hub metrics");
    assert_eq!(duplicates, 0.0, "nothing was resent in a run without failures");
}

/// Waits until the hub stores more than `floor` events (the agent syncs).
async fn wait_hub_grows_past(rig: &Rig, floor: u64) {
    eventually("the agent to sync", Duration::from_secs(60), || async {
        (rig.hub_rows() > floor).then_some(())
    })
    .await
}

/// Waits while the hub is down until producers got `more` acknowledgements
/// and the agent reports a backlog and a sync error; returns its buffer.
async fn assert_agent_works_alone(rig: &Rig, producers: &Producers, more: u64) -> BufferHealth {
    let before = producers.acknowledged();
    eventually(
        "the agent to keep acknowledging events while the hub is down",
        Duration::from_secs(30),
        || async { (producers.acknowledged() >= before + more).then_some(()) },
    )
    .await;
    assert_eq!(producers.failures(), 0, "posts fail while the hub is down");
    eventually(
        "healthz to show a backlog and a sync error",
        Duration::from_secs(30),
        || async {
            rig.buffer()
                .await
                .ok()
                .filter(|b| b.depth > 0 && b.sync_error.is_some())
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_buffered_while_the_hub_is_down_arrive_after_it_restarts() {
    let seed = test_seed("events_buffered_while_the_hub_is_down_arrive_after_it_restarts");
    let mut rig = Rig::start().await;
    let producers = Producers::spawn(
        &rig.agent.url(),
        ProducerPlan {
            producers: 4,
            batch_sizes: 50..=200,
            events_per_producer: None,
            retrying_producers: 0,
            seed,
        },
    );
    wait_hub_grows_past(&rig, 0).await;

    // A graceful stop: in-flight batches finish or fail cleanly.
    rig.hub.stop();
    let down = assert_agent_works_alone(&rig, &producers, 3_000).await;
    println!(
        "hub stopped (SIGTERM): {} events buffered, error {:?}",
        down.depth, down.sync_error
    );
    let frozen = rig.hub_rows();
    rig.hub.start().await.expect("hub restarts on the same database");
    wait_hub_grows_past(&rig, frozen).await;

    // A crash: whatever batch is in flight is cut off mid-request.
    rig.hub.kill();
    let down = assert_agent_works_alone(&rig, &producers, 3_000).await;
    println!(
        "hub killed (SIGKILL): {} events buffered, error {:?}",
        down.depth, down.sync_error
    );
    rig.hub.start().await.expect("hub restarts after a crash");

    let ledger = producers.stop().await;
    assert_eq!(ledger.requests_failed, 0, "the agent never failed a post");
    let total = ledger.acknowledged.len() as u64;
    let buffer = rig.wait_drained(Duration::from_secs(120)).await;
    assert!(buffer.sync_error.is_none(), "the uplink recovered: {buffer:?}");
    assert_eq!(buffer.last_seq, total);
    assert_eq!(rig.hub_rows(), total, "every acknowledged event, once");
    assert_eq!(rig.assert_exactly_once(&ledger) as u64, total);
    let row = rig.agent_row().await;
    assert_eq!(row["acked_seq"], total);
    assert_eq!(row["events_received"], total);
    assert_eq!(row["reported_depth"].as_u64().map(|d| d <= total), Some(true));
    assert_eq!(
        row["incarnations"], 1,
        "hub restarts do not start a new incarnation: {row}"
    );
    println!("{total} events delivered exactly once across a hub stop and a hub crash");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn agent_killed_at_random_moments_loses_and_doubles_nothing() {
    const ROUNDS: usize = 10;
    let seed = test_seed("agent_killed_at_random_moments_loses_and_doubles_nothing");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rig = Rig::start().await;
    let producers = Producers::spawn(
        &rig.agent.url(),
        ProducerPlan {
            producers: 4,
            batch_sizes: 20..=200,
            events_per_producer: None,
            // Half resend a failed request with the same ids, which the
            // agent may then hold twice (if the first attempt committed):
            // the hub must still store each id once.
            retrying_producers: 2,
            seed,
        },
    );
    let hub_crash_round = rng.random_range(2..ROUNDS - 2);
    println!("the hub crashes in round {hub_crash_round}");
    for round in 0..ROUNDS {
        tokio::time::sleep(Duration::from_millis(rng.random_range(200..1_200))).await;
        rig.agent.kill9();
        let acknowledged = producers.acknowledged();
        let rows = rig.hub_rows();
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..300))).await;
        rig.agent.start().await.expect("agent restarts on its buffer");
        let buffer = rig.buffer().await.expect("health");
        println!(
            "round {round}: killed at {acknowledged} acknowledged, {rows} at the hub; restarted at seq {} acked {}",
            buffer.last_seq, buffer.acked_seq
        );
        if round == hub_crash_round {
            tokio::time::sleep(Duration::from_millis(rng.random_range(100..800))).await;
            rig.hub.kill();
            println!("round {round}: hub killed at {} rows", rig.hub_rows());
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..500))).await;
            rig.hub.start().await.expect("hub restarts after a crash");
        }
    }
    let ledger = producers.stop().await;
    println!(
        "{} acknowledged, {} uncertain (a request cut by a kill), {} never delivered, {} failed requests",
        ledger.acknowledged.len(),
        ledger.uncertain.len(),
        ledger.undelivered.len(),
        ledger.requests_failed
    );
    assert!(
        ledger.requests_failed > 0,
        "the kills hit no request: the test tested nothing"
    );
    assert!(
        ledger.acknowledged.len() > 1_000,
        "too little load to mean anything"
    );

    rig.wait_drained(Duration::from_secs(120)).await;
    let stored = rig.assert_exactly_once(&ledger);
    let uncertain_stored = stored - ledger.acknowledged.len();
    println!("{stored} stored, of which {uncertain_stored} from requests cut by a kill");
    assert_eq!(rig.hub_rows() as usize, stored, "one row per id");
    let row = rig.agent_row().await;
    println!("agent at the hub: {row}");
    assert_eq!(
        row["events_received"], stored,
        "the hub's counter agrees with its rows"
    );
    assert_eq!(
        (&row["incarnations"], &row["anomalies"]),
        (&serde_json::json!(1), &serde_json::json!(0)),
        "crashes alone never make the hub and the buffer disagree: {row}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_agent_continues_its_sequence_without_resending() {
    let mut rig = Rig::start().await;
    let mut expected = 0u64;
    let mut incarnation = None;
    for restart in ["first start", "SIGTERM", "SIGKILL"] {
        match restart {
            "SIGTERM" => rig.agent.stop(),
            "SIGKILL" => rig.agent.kill9(),
            _ => {}
        }
        if restart != "first start" {
            rig.agent.start().await.expect("agent restarts");
            let buffer = rig.buffer().await.expect("health");
            assert_eq!(
                (buffer.last_seq, buffer.acked_seq, buffer.depth),
                (expected, expected, 0),
                "after {restart} the agent remembers what the hub acknowledged"
            );
            assert_eq!(
                Some(&buffer.incarnation),
                incarnation.as_ref(),
                "a restart keeps the incarnation"
            );
        }
        for chunk in 0..4 {
            let events = (0..250)
                .map(|i| sample_event(expected + chunk * 250 + i).1)
                .collect();
            post_events(&rig.client, &rig.agent.url(), events)
                .await
                .expect("agent takes the events");
        }
        expected += 1_000;
        let buffer = rig.wait_drained(Duration::from_secs(60)).await;
        assert_eq!(buffer.last_seq, expected, "numbering continues where it stopped");
        incarnation = Some(buffer.incarnation);
    }
    assert_eq!(rig.hub_rows(), expected);
    let row = rig.agent_row().await;
    assert_eq!(row["acked_seq"], expected);
    assert_eq!(row["incarnations"], 1, "{row}");
    assert_eq!(row["anomalies"], 0, "{row}");
    let duplicates = hub_metric(&rig.client, &rig.hub.url(), DUPLICATES_METRIC)
        .await
        .expect("hub metrics");
    assert_eq!(
        duplicates, 0.0,
        "a restarted agent resends nothing the hub acknowledged"
    );
}

/// A station client that resends a request whose answer it never got (the
/// agent was killed after committing it) leaves the agent holding the same
/// event id twice. The hub must store it once, and the second copy must not
/// block the events behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_agent_holds_twice_is_stored_once_and_sync_goes_on() {
    let mut rig = Rig::start().await;
    // Both copies wait in the buffer, so they travel in one sync.
    rig.hub.stop();
    let (resent, resent_event) = sample_event(0);
    let mut ids = vec![resent];
    let mut first = vec![resent_event.clone()];
    let mut second = vec![resent_event];
    for n in 1..=50 {
        let (id, event) = sample_event(n);
        ids.push(id);
        if n <= 25 {
            first.push(event)
        } else {
            second.push(event)
        }
    }
    for request in [first, second] {
        let expected: Vec<_> = request
            .iter()
            .map(|e| e["id"].as_str().and_then(|s| s.parse().ok()))
            .collect();
        let committed = post_events(&rig.client, &rig.agent.url(), request)
            .await
            .expect("agent takes the events");
        assert_eq!(committed.into_iter().map(Some).collect::<Vec<_>>(), expected);
    }
    assert_eq!(
        rig.buffer().await.expect("health").last_seq,
        52,
        "the agent holds the resent event twice"
    );

    rig.hub.start().await.expect("hub restarts");
    let buffer = rig.wait_drained(Duration::from_secs(60)).await;
    assert!(buffer.sync_error.is_none(), "{buffer:?}");
    let stored = hub_event_ids(&rig.hub.db_path()).expect("read hub");
    assert_eq!(stored.len(), 51);
    assert!(
        ids.iter().all(|id| stored.get(id) == Some(&1)),
        "each id stored once"
    );
    let row = rig.agent_row().await;
    assert_eq!(
        (&row["acked_seq"], &row["events_received"]),
        (&serde_json::json!(52), &serde_json::json!(51))
    );
    assert_eq!(
        (&row["incarnations"], &row["anomalies"]),
        (&serde_json::json!(1), &serde_json::json!(0)),
        "{row}"
    );
    let duplicates = hub_metric(&rig.client, &rig.hub.url(), DUPLICATES_METRIC)
        .await
        .expect("hub metrics");
    assert_eq!(duplicates, 1.0, "the second copy is acknowledged as a duplicate");
}
