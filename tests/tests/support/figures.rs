//! What a planner reads of a tenant (costs and OEE through the REST API),
//! and a machine feed that gives OEE something to count: tests that
//! compare a hub's answers before and after `cloud-hub rebuild` use these.
//! The including test declares `mod bench_ledger` and `mod replicas`.

use crate::bench_ledger::seed::{self, Batches};
use crate::replicas::{BATCH, TenantAgent, post_batches};
use cloud_hub::masterdata::records::{Equipment, EquipmentType};
use cloud_hub::masterdata::service::{self, PendingWrite};
use cloud_hub::store::{Expect, Store};
use mes_protocols::event::{EquipmentState, EquipmentStateChanged, PartsCounted};
use mes_protocols::{Code, EventBody, EventDraft, EventId, Source, Timestamp};
use rust_decimal::Decimal;
use serde_json::Value;
use std::time::Duration;

/// Events of a tenant's machine feed.
pub const MACHINE_EVENTS: usize = 400;
/// The feed's machine.
pub const PRESS: &str = "press-1";
/// One feed event a minute, ending this long before the test started.
const FEED_ENDS_AGO_MS: i64 = 3_600_000;

/// A tenant's second agent, which reports one press's states and counts.
pub struct MachineFeed {
    /// The agent's token.
    pub token: String,
    batches: Option<Batches>,
    /// The OEE period that covers the feed: `from`, `to` (RFC 3339).
    pub period: (String, String),
    /// An API token of the tenant, to read its figures.
    pub api_token: String,
}

fn code(raw: &str) -> Code {
    Code::parse(raw).expect("test codes are valid")
}

/// Adds press `press-1` (30 an hour) to `t`'s site, an agent for it with
/// [`MACHINE_EVENTS`] events (states and counts, one a minute), and an API
/// token to read the figures with.
pub async fn machine_feed(store: &Store, t: &TenantAgent) -> MachineFeed {
    let write = |record: PendingWrite| vec![record];
    let press_type = EquipmentType {
        code: code("PRESS"),
        name: "press".into(),
    };
    let press = Equipment {
        code: code(PRESS),
        name: "Press 1".into(),
        equipment_type: code("PRESS"),
        site: code(seed::SITE),
        hourly_rate: Decimal::from(30),
        speed_factor: Decimal::ONE,
        calendar: None,
    };
    for group in [
        write(PendingWrite::new(&press_type, false, Expect::Absent).expect("a record")),
        write(PendingWrite::new(&press, false, Expect::Absent).expect("a record")),
    ] {
        service::write_all(store, t.id, group)
            .await
            .expect("the press is written");
    }
    let agent = store
        .create_agent(&t.slug, seed::SITE, "machines")
        .expect("an agent");
    let auth = store
        .agent_by_token(&agent.token)
        .await
        .expect("the store answers")
        .expect("the agent's token");
    let end = Timestamp::from_datetime(time::OffsetDateTime::now_utc()).unix_millis() - FEED_ENDS_AGO_MS;
    let start = end - MACHINE_EVENTS as i64 * 60_000;
    let drafts = feed(start);
    let api = store.create_api_token(&t.slug, "figures").expect("an API token");
    MachineFeed {
        token: agent.token,
        batches: Some(Batches::of(auth, drafts.into_iter().map(Ok), BATCH)),
        period: (
            Timestamp::from_unix_millis(start - 60_000).to_string(),
            Timestamp::from_unix_millis(end + 60_000).to_string(),
        ),
        api_token: api.token,
    }
}

/// Running, a count, down (a fault), running again: one event a minute
/// from `start_ms`.
fn feed(start_ms: i64) -> Vec<EventDraft> {
    let (mut good_total, mut scrap_total) = (0u64, 0u64);
    (0..MACHINE_EVENTS)
        .map(|i| {
            let state = |state| {
                EventBody::EquipmentStateChanged(EquipmentStateChanged {
                    equipment: code(PRESS),
                    state,
                    reason: None,
                })
            };
            let body = match i % 4 {
                0 | 3 => state(EquipmentState::Running),
                1 => {
                    let (good, scrap) = (10 + (i as u64 % 7), u64::from(i % 3 == 0));
                    good_total += good;
                    scrap_total += scrap;
                    EventBody::PartsCounted(PartsCounted {
                        equipment: code(PRESS),
                        good,
                        scrap,
                        good_total,
                        scrap_total,
                    })
                }
                _ => state(EquipmentState::Down),
            };
            EventDraft {
                id: EventId::new_v7(),
                occurred_at: Timestamp::from_unix_millis(start_ms + i as i64 * 60_000),
                source: Source::Device(code("plc-1")),
                body,
            }
        })
        .collect()
}

impl MachineFeed {
    /// Posts the feed to `targets` as [`post_batches`] does; answers the
    /// events acknowledged.
    pub async fn post(&mut self, slug: &str, targets: Vec<String>) -> usize {
        let batches = self.batches.take().expect("the feed is posted once");
        post_batches(
            slug,
            &self.token,
            batches,
            MACHINE_EVENTS,
            targets,
            0,
            Duration::from_secs(60),
        )
        .await
        .0
    }

    /// The tenant's figures as `hub` answers them: every order's actual
    /// cost, the stock's value, and the site's OEE over the feed.
    pub async fn figures(&self, hub: &str) -> Figures {
        let client = reqwest::Client::new();
        let get = |path: String| {
            let request = client
                .get(format!("{hub}/api/v1/{path}"))
                .bearer_auth(&self.api_token);
            async move {
                let response = request.send().await.expect("the hub answers");
                let status = response.status();
                let body: Value = response.json().await.expect("a JSON answer");
                assert!(status.is_success(), "{path}: {status} {body}");
                body
            }
        };
        let (from, to) = &self.period;
        Figures {
            order_costs: get("costing/orders".into()).await,
            stock_value: get("costing/stock".into()).await,
            oee: get(format!(
                "oee/sites/{}?from={}&to={}&bucket=day",
                seed::SITE,
                urlencode(from),
                urlencode(to)
            ))
            .await,
        }
    }
}

fn urlencode(raw: &str) -> String {
    raw.replace(':', "%3A").replace('+', "%2B")
}

/// What [`MachineFeed::figures`] read.
#[derive(Debug, PartialEq)]
pub struct Figures {
    /// `GET /api/v1/costing/orders`.
    pub order_costs: Value,
    /// `GET /api/v1/costing/stock`.
    pub stock_value: Value,
    /// `GET /api/v1/oee/sites/{site}` over the feed.
    pub oee: Value,
}

impl Figures {
    /// Checks there is something to compare: costed orders, valued stock,
    /// and parts and time the OEE counted.
    pub fn assert_substantial(&self, slug: &str) {
        let items = |v: &Value| v["items"].as_array().map_or(0, Vec::len);
        assert!(
            items(&self.order_costs) > 0,
            "{slug}: no order costs: {}",
            self.order_costs
        );
        assert!(
            items(&self.stock_value) > 0,
            "{slug}: no stock value: {}",
            self.stock_value
        );
        let oee = self.oee.to_string();
        assert!(
            oee.contains(PRESS),
            "{slug}: the OEE does not name the press: {oee}"
        );
    }
}
