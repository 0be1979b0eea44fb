//! Concurrent producers for the reliability tests: tasks that post batches of
//! events to an agent's local intake and keep a [`Ledger`] of what the agent
//! acknowledged, so a test can check the hub against it.
//!
//! Only an acknowledgement counts: a request that failed (the agent was
//! killed mid-request, or was down) may or may not have been committed, so
//! its ids are "uncertain": they may reach the hub, at most once.

use crate::events::{post_events, sample_event};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// The seed of a test's random choices: `MES_TEST_SEED` when set (to replay
/// a failure), else a fresh one. Printed either way, with the test's name.
pub fn test_seed(test: &str) -> u64 {
    let seed = std::env::var("MES_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("{test}: seed {seed} (replay with MES_TEST_SEED={seed})");
    seed
}

/// What the producers posted and what the agent acknowledged.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    /// Every event id handed to the agent, acknowledged or not.
    pub posted: HashSet<Uuid>,
    /// Ids the agent acknowledged as committed.
    pub acknowledged: HashSet<Uuid>,
    /// Ids of failed requests that may have reached the agent and that no
    /// later request acknowledged: they may be stored (at most once) or not.
    pub uncertain: HashSet<Uuid>,
    /// Ids of requests that never reached the agent (connection refused) and
    /// were not acknowledged later: they must not be stored.
    pub undelivered: HashSet<Uuid>,
    /// Requests the agent acknowledged.
    pub requests_ok: u64,
    /// Requests that failed (connection refused or reset, error answer).
    pub requests_failed: u64,
    /// Acknowledgements that did not list exactly the request's ids in order.
    pub bad_receipts: Vec<String>,
}

impl Ledger {
    /// Everything that breaks "nothing lost, nothing doubled, nothing
    /// invented" between this ledger and the hub's stored ids (id → rows),
    /// each with a few examples; empty when the hub is right.
    pub fn problems(&self, stored: &HashMap<Uuid, u32>) -> Vec<String> {
        let mut problems = Vec::new();
        let mut report = |what: &str, ids: Vec<String>| {
            if !ids.is_empty() {
                let examples: Vec<_> = ids.iter().take(5).collect();
                problems.push(format!("{} {what}, e.g. {examples:?}", ids.len()));
            }
        };
        report(
            "acknowledged ids missing at the hub",
            self.acknowledged
                .iter()
                .filter(|id| !stored.contains_key(id))
                .map(Uuid::to_string)
                .collect(),
        );
        report(
            "ids stored more than once",
            stored
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|(id, n)| format!("{id} x{n}"))
                .collect(),
        );
        report(
            "stored ids that were never posted",
            stored
                .keys()
                .filter(|id| !self.posted.contains(id))
                .map(Uuid::to_string)
                .collect(),
        );
        report(
            "stored ids whose request never reached the agent",
            self.undelivered
                .iter()
                .filter(|id| stored.contains_key(id))
                .map(Uuid::to_string)
                .collect(),
        );
        report("bad acknowledgements", self.bad_receipts.clone());
        problems
    }
}

/// How the producers behave.
#[derive(Debug, Clone)]
pub struct ProducerPlan {
    /// Concurrent producer tasks.
    pub producers: usize,
    /// Events per request, chosen at random in this range.
    pub batch_sizes: RangeInclusive<usize>,
    /// Events each producer posts before it stops by itself (`None`: until
    /// [`Producers::stop`]).
    pub events_per_producer: Option<usize>,
    /// How many producers (the first ones) resend a failed request with the
    /// same event ids, as a station client would; the others abandon it and
    /// go on with new events.
    pub retrying_producers: usize,
    /// Seed of the batch sizes (each producer derives its own).
    pub seed: u64,
}

/// Running producer tasks.
pub struct Producers {
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
    acknowledged: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// A pause after a failed request before the next one, so a producer does
/// not spin while the agent is down (a retry delay, not a wait for a state).
const RETRY_PAUSE: Duration = Duration::from_millis(20);

impl Producers {
    /// Starts `plan.producers` tasks posting to the agent at `agent_url`.
    pub fn spawn(agent_url: &str, plan: ProducerPlan) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let acknowledged = Arc::new(AtomicU64::new(0));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a reqwest client with a timeout always builds");
        let tasks = (0..plan.producers)
            .map(|index| {
                let producer = Producer {
                    index,
                    url: agent_url.to_string(),
                    client: client.clone(),
                    plan: plan.clone(),
                    stop: stop.clone(),
                    ledger: ledger.clone(),
                    acknowledged: acknowledged.clone(),
                };
                tokio::spawn(producer.run())
            })
            .collect();
        Self {
            stop,
            ledger,
            acknowledged,
            tasks,
        }
    }

    /// How many events the agent has acknowledged so far.
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged.load(Ordering::Relaxed)
    }

    /// How many requests have failed so far.
    pub fn failures(&self) -> u64 {
        self.lock().requests_failed
    }

    /// Waits until every producer posted its `events_per_producer`.
    pub async fn join(mut self) -> Ledger {
        for task in self.tasks.drain(..) {
            if let Err(e) = task.await {
                std::panic::resume_unwind(e.into_panic());
            }
        }
        self.lock().clone()
    }

    /// Tells the producers to stop after their current request and waits
    /// for them.
    pub async fn stop(self) -> Ledger {
        self.stop.store(true, Ordering::Relaxed);
        self.join().await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Producers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for task in &self.tasks {
            task.abort();
        }
    }
}

struct Producer {
    index: usize,
    url: String,
    client: reqwest::Client,
    plan: ProducerPlan,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
    acknowledged: Arc<AtomicU64>,
}

impl Producer {
    async fn run(self) {
        let mut rng = StdRng::seed_from_u64(self.plan.seed.wrapping_add(self.index as u64));
        let retries = self.index < self.plan.retrying_producers;
        let limit = self.plan.events_per_producer.unwrap_or(usize::MAX);
        // Distinct counters per producer keep the sample events' totals apart.
        let mut n = self.index as u64 * 1_000_000_000;
        let mut generated = 0usize;
        let mut pending: Option<(Vec<Uuid>, Vec<Value>)> = None;
        while !self.stop.load(Ordering::Relaxed) {
            let (ids, events) = match pending.take() {
                Some(p) => p,
                None if generated >= limit => break,
                None => {
                    let size = rng
                        .random_range(self.plan.batch_sizes.clone())
                        .min(limit - generated);
                    generated += size;
                    let batch: (Vec<Uuid>, Vec<Value>) = (0..size)
                        .map(|_| {
                            n += 1;
                            sample_event(n)
                        })
                        .unzip();
                    self.ledger().posted.extend(batch.0.iter().copied());
                    batch
                }
            };
            match post_events(&self.client, &self.url, events.clone()).await {
                Ok(committed) => {
                    let mut ledger = self.ledger();
                    if committed != ids {
                        ledger.bad_receipts.push(format!(
                            "producer {} posted {} events, the agent acknowledged {}",
                            self.index,
                            ids.len(),
                            committed.len()
                        ));
                    }
                    ledger.requests_ok += 1;
                    for id in &committed {
                        ledger.uncertain.remove(id);
                        ledger.undelivered.remove(id);
                        if ledger.acknowledged.insert(*id) {
                            self.acknowledged.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                Err(e) => {
                    let refused = e
                        .downcast_ref::<reqwest::Error>()
                        .is_some_and(reqwest::Error::is_connect);
                    {
                        let mut ledger = self.ledger();
                        ledger.requests_failed += 1;
                        for id in ids
                            .iter()
                            .filter(|id| !ledger.acknowledged.contains(id))
                            .copied()
                            .collect::<Vec<_>>()
                        {
                            // One attempt that may have reached the agent
                            // makes the id uncertain for good.
                            if refused && !ledger.uncertain.contains(&id) {
                                ledger.undelivered.insert(id);
                            } else {
                                ledger.undelivered.remove(&id);
                                ledger.uncertain.insert(id);
                            }
                        }
                    }
                    if retries {
                        pending = Some((ids, events));
                    }
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
            }
        }
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }
}
