//! Station pages in real headless Chromium (Debian's `chromium` and
//! `chromium-driver`; `.ci/run` installs them): an operator's full flow and
//! each rejection, typed into the page's scan field as a keyboard-wedge
//! scanner types (text then Enter). Each step checks what the screen shows
//! and, at the end, which events reached the hub. Skips with a printed
//! reason when Chromium or chromedriver is not installed.

use fantoccini::Locator;
use mes_tests::stations::*;
use mes_tests::{Rig, binaries, eventually, start_rig};
use serde_json::{Value, json};
use std::time::Duration;

#[path = "support/browser.rs"]
mod browser;
use browser::Browser;

/// The station page's own steps.
trait StationPage {
    async fn open_station(&self, agent: &str);
    async fn answer(&self) -> (Option<String>, String);
    async fn expect_answer(&self, green: bool, expected: &str);
    async fn scan(&self, text: &str);
}

impl StationPage for Browser {
    /// Opens the station page and waits until it shows the station.
    async fn open_station(&self, agent: &str) {
        self.client
            .goto(&format!("{agent}/stations/{STATION}"))
            .await
            .expect("page loads");
        let c = self.client.clone();
        eventually("the page to show the station", Duration::from_secs(15), || {
            let c = c.clone();
            async move {
                let title = c.find(Locator::Id("title")).await.ok()?.text().await.ok()?;
                title.contains("Press line").then_some(())
            }
        })
        .await;
    }

    /// The answer shown: (green?, text).
    async fn answer(&self) -> (Option<String>, String) {
        let el = self
            .client
            .find(Locator::Id("answer"))
            .await
            .expect("answer element");
        let ok = el.attr("data-ok").await.expect("data-ok");
        (ok, el.text().await.expect("answer text"))
    }

    /// Waits until the screen shows `expected`, green or red.
    async fn expect_answer(&self, green: bool, expected: &str) {
        let want = if green { "true" } else { "false" };
        let mut last = (None, String::new());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            last = self.answer().await;
            if last.0.as_deref() == Some(want) && last.1 == expected {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("screen shows {last:?}, expected {want} {expected:?}");
    }

    /// Types `text` into the scan field and presses Enter, as a keyboard
    /// wedge scanner does.
    async fn scan(&self, text: &str) {
        let field = self.client.find(Locator::Id("scan")).await.expect("scan field");
        field.send_keys(&format!("{text}\n")).await.expect("typing");
    }
}

async fn rig_with_master_data() -> Rig {
    let rig = start_rig(&binaries!(), &station_toml(None))
        .await
        .expect("rig starts");
    seed_master_data(&rig.hub.url(), &rig.creds.api_token)
        .await
        .expect("master data");
    wait_for_master_data(&rig.agent.url()).await;
    rig
}

#[tokio::test]
async fn operator_flow_on_the_station_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let rig = rig_with_master_data().await;
    browser.open_station(&rig.agent.url()).await;

    browser.scan("B-0001").await;
    browser.expect_answer(true, "Ana Silva clocked in").await;
    assert!(browser.text_of("workers").await.contains("Ana Silva"));

    browser.scan("PO:PO-1").await;
    browser
        .expect_answer(true, "Started PO-1 operation 10 Press on press-1")
        .await;
    assert!(
        browser
            .text_of("run")
            .await
            .contains("PO-1 · op 10 Press on press-1")
    );

    browser.scan("L:L-1").await;
    browser
        .expect_answer(true, "Consumed 25 kg of STEEL lot L-1")
        .await;

    // The second lot in the alternative unit, quantity typed by hand.
    browser.fill("qty", "2").await;
    browser.select("unit", "sheet").await;
    browser.scan("L:L-2").await;
    browser
        .expect_answer(true, "Consumed 2 sheet of STEEL lot L-2")
        .await;
    assert!(
        browser.text_of("inputs").await.contains("30 kg"),
        "25 kg + 2 sheets of 2.5 kg"
    );

    browser.fill("good", "95").await;
    browser.fill("scrap", "5").await;
    browser.select("scrap-reason", "BURR").await;
    browser.click("report").await;
    browser
        .expect_answer(
            true,
            "Reported 95 good, 5 scrap pcs of BRACKET; output lot PO-1-10-1",
        )
        .await;
    assert_eq!(browser.text_of("output-lot").await, "Output lot: PO-1-10-1");

    browser.click("finish").await;
    browser
        .expect_answer(true, "Finished PO-1 operation 10: 95 good, 5 scrap")
        .await;
    browser.scan("B-0001").await;
    browser.expect_answer(true, "Ana Silva clocked out").await;
    assert!(browser.text_of("workers").await.contains("Nobody clocked in"));

    let events = wait_for_station_events(&rig.hub.db_path(), 7).await;
    assert_eq!(
        kinds(&events),
        [
            "worker_clocked_in",
            "operation_started",
            "material_consumed",
            "material_consumed",
            "output_reported",
            "operation_finished",
            "worker_clocked_out"
        ]
    );
    let data = |i: usize| events[i]["data"].clone();
    assert_eq!(data(0), json!({"worker": "W1", "station": STATION}));
    assert_eq!(data(1)["workers"], json!(["W1"]));
    assert_eq!(data(1)["equipment"], "press-1");
    assert_eq!(
        (data(2)["lot"].clone(), data(2)["quantity"].clone()),
        (json!("L-1"), json!({"value": "25", "unit": "kg"}))
    );
    assert_eq!(
        (data(3)["lot"].clone(), data(3)["quantity"].clone()),
        (json!("L-2"), json!({"value": "2", "unit": "sheet"}))
    );
    let output = data(4);
    assert_eq!(
        [
            &output["good"],
            &output["scrap"],
            &output["scrap_reason"],
            &output["lot"],
            &output["material"]
        ],
        [
            &json!("95"),
            &json!("5"),
            &json!("BURR"),
            &json!("PO-1-10-1"),
            &json!("BRACKET")
        ]
    );
    let run = &data(1)["run"];
    assert!(
        events[2..5].iter().all(|e| e["data"]["run"] == *run),
        "one execution"
    );
    assert_eq!(data(5), *run, "operation_finished's data is the run");
    drop(browser);
}

#[tokio::test]
async fn each_rejection_is_shown_in_red_and_recorded_once() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let rig = rig_with_master_data().await;
    browser.open_station(&rig.agent.url()).await;

    let rejections: [(&str, &str); 5] = [
        ("B-0099", "Unknown badge 0099"),
        ("PO:PO-1", "No worker clocked in at st-1: scan a badge first"),
        ("PO:PO-2", "Order PO-2 is not released to this site"),
        (
            "L:B-77",
            "Wrong material: lot B-77 is BOLT; PO-1 operation 10 uses STEEL",
        ),
        ("L:L-OLD", "Lot L-OLD of STEEL expired on 2020-01-01"),
    ];
    for (i, (scan, reason)) in rejections.iter().enumerate() {
        match i {
            2 => {
                browser.scan("B-0001").await;
                browser.expect_answer(true, "Ana Silva clocked in").await;
            }
            3 => {
                browser.scan("PO:PO-1").await;
                browser
                    .expect_answer(true, "Started PO-1 operation 10 Press on press-1")
                    .await;
            }
            _ => {}
        }
        browser.scan(scan).await;
        browser.expect_answer(false, reason).await;
    }
    let class = browser
        .client
        .find(Locator::Id("answer"))
        .await
        .expect("answer")
        .attr("class")
        .await;
    assert_eq!(class.expect("class").as_deref(), Some("answer err"));

    let events = wait_for_station_events(&rig.hub.db_path(), 7).await;
    assert_eq!(
        kinds(&events),
        [
            "scan_rejected",
            "scan_rejected",
            "worker_clocked_in",
            "scan_rejected",
            "operation_started",
            "scan_rejected",
            "scan_rejected"
        ]
    );
    let rejected: Vec<&Value> = events.iter().filter(|e| e["kind"] == "scan_rejected").collect();
    for ((scan, reason), event) in rejections.iter().zip(rejected) {
        assert_eq!(
            event["data"],
            json!({"station": STATION, "code": scan, "reason": reason})
        );
    }
    drop(browser);
}
