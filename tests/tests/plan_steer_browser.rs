//! Steering the planning board (issue 17) in real headless Chromium against
//! a real hub and agent: a planner drags an operation with the mouse to the
//! other press, sees the what-if's consequences, accepts, and the live plan
//! (JSON API) and the station's order list (through the agent) follow; a
//! drop on a lathe (touch) and a drop before the
//! operation's predecessor are refused with their reasons; undo restores
//! the earlier plan; a plan made meanwhile (the API's run) reloads the open
//! board with what moved; the dispatch lists show each machine's sequence
//! (and the API gives them as CSV); a supervisor (scheduling view, no edit) sees the
//! board without drag handles and the API refuses their what-if (403).
//! Screenshots before and after the drag go to `target/console-screenshots/`
//! (or `$MES_SCREENSHOTS`). Skips with a printed reason when Chromium or
//! chromedriver is not installed.

#[path = "support/browser.rs"]
mod browser;

use browser::Browser;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction, TouchActions};
use mes_tests::stations::*;
use mes_tests::{Rig, binaries, eventually, start_rig};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

const PLANNER_PASSWORD: &str = "violet tractor 19 lemons";
const SUPERVISOR_PASSWORD: &str = "copper ladder 77 plums";

fn screenshots() -> PathBuf {
    std::env::var_os("MES_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots"))
}

async fn post(rig: &Rig, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/{path}", rig.hub.url()))
        .bearer_auth(&rig.creds.api_token)
        .json(&body)
        .send()
        .await
        .expect("hub answers");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "POST {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The station rig's master data, a second press, a lathe, and order PO-9
/// of two press operations; users `planner` and `super` (supervisor).
async fn rig() -> Rig {
    let rig = start_rig(&binaries!(), &station_toml(None))
        .await
        .expect("rig starts");
    seed_master_data(&rig.hub.url(), &rig.creds.api_token)
        .await
        .expect("master data");
    for (path, body) in [
        (
            "equipment",
            json!({"code": "press-2", "name": "Press 2", "equipment_type": "PRESS", "site": "plant-1"}),
        ),
        ("equipment-types", json!({"code": "LATHE", "name": "Lathe"})),
        (
            "equipment",
            json!({"code": "lathe-1", "name": "Lathe 1", "equipment_type": "LATHE", "site": "plant-1"}),
        ),
        (
            "materials",
            json!({"code": "FRAME", "name": "Frame", "kind": "finished", "base_unit": "pcs",
                   "lot_tracked": false, "standard_cost": "7"}),
        ),
        (
            "routings",
            json!({"material": "FRAME", "versions": [{"version": "1", "operations": [
                {"operation": 10, "name": "Cut", "equipment_type": "PRESS", "setup_minutes": "5",
                 "run_minutes_per_unit": "1", "worker_type": "OPERATOR"},
                {"operation": 20, "name": "Form", "equipment_type": "PRESS", "setup_minutes": "5",
                 "run_minutes_per_unit": "1", "worker_type": "OPERATOR"}]}]}),
        ),
        (
            "production-orders",
            json!({"code": "PO-9", "material": "FRAME", "quantity": "60", "site": "plant-1"}),
        ),
        ("production-orders/PO-9/release", json!({})),
    ] {
        post(&rig, path, body).await;
    }
    for (login, role, password) in [
        ("planner", "planner", PLANNER_PASSWORD),
        ("super", "supervisor", SUPERVISOR_PASSWORD),
    ] {
        rig.hub
            .cli_with_input(
                &[
                    "user", "add", "--tenant", "acme", "--login", login, "--role", role,
                ],
                &format!("{password}\n"),
            )
            .expect("user add");
    }
    rig
}

async fn log_in(browser: &Browser, hub: &str, login: &str, password: &str) {
    browser.goto(&format!("{hub}/console/")).await;
    browser.wait_for("the login form", "#login-form").await;
    browser.fill("tenant", "acme").await;
    browser.fill("login", login).await;
    browser.fill("password", password).await;
    browser.click("login-submit").await;
    browser.wait_for("the console after logging in", "#user").await;
}

/// The live plan as the API shows it.
async fn live_plan(rig: &Rig) -> Value {
    reqwest::Client::new()
        .get(format!("{}/api/v1/schedules/plant-1", rig.hub.url()))
        .bearer_auth(&rig.creds.api_token)
        .send()
        .await
        .expect("hub answers")
        .json()
        .await
        .expect("a JSON plan")
}

/// Machine of operation `operation` of `order` in the API's plan.
fn machine_of(plan: &Value, order: &str, operation: &str) -> String {
    plan["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .find(|o| o["order"] == order)
        .and_then(|o| {
            o["operations"]
                .as_array()?
                .iter()
                .find(|op| op["operation"] == operation)
        })
        .and_then(|op| op["equipment"].as_str())
        .unwrap_or_else(|| panic!("{order}/{operation} in {plan}"))
        .to_string()
}

/// Viewport centre of the first element matching `selector` (scrolled into view).
async fn centre(browser: &Browser, selector: &str) -> (f64, f64) {
    let at = browser
        .client
        .execute(
            "var el = document.querySelector(arguments[0]);
             el.scrollIntoView({block: 'center'});
             var r = el.getBoundingClientRect();
             return [r.left + r.width / 2, r.top + r.height / 2];",
            vec![json!(selector)],
        )
        .await
        .expect("script runs");
    let xy = at.as_array().expect("two numbers");
    (xy[0].as_f64().expect("x"), xy[1].as_f64().expect("y"))
}

/// Presses at `from`, moves in steps to `to`, releases: with the mouse,
/// or with a finger when `touch`.
async fn drag(browser: &Browser, from: (f64, f64), to: (f64, f64), touch: bool) {
    let step = |k: f64| PointerAction::MoveTo {
        duration: Some(Duration::from_millis(60)),
        x: from.0 + (to.0 - from.0) * k,
        y: from.1 + (to.1 - from.1) * k,
    };
    let moves = [
        PointerAction::MoveTo {
            duration: None,
            x: from.0,
            y: from.1,
        },
        PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        },
        step(0.25),
        step(0.6),
        step(1.0),
        PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        },
    ];
    if touch {
        let mut finger = TouchActions::new("finger".to_string());
        for m in moves {
            finger = finger.then(m);
        }
        browser.client.perform_actions(finger).await.expect("touch drag");
    } else {
        let mut mouse = MouseActions::new("mouse".to_string());
        for m in moves {
            mouse = mouse.then(m);
        }
        browser.client.perform_actions(mouse).await.expect("mouse drag");
    }
    browser.client.release_actions().await.expect("actions released");
}

/// The bar's rectangle of operation `op`.
fn bar(op: &str) -> String {
    format!("#gantt a.bar[data-op=\"{op}\"] rect")
}

/// The text of the refusal the panel shows.
async fn refusal(browser: &Browser) -> String {
    browser
        .wait_text("the refusal", "#steer-error", |t| !t.is_empty())
        .await
}

#[tokio::test]
async fn a_planner_drags_an_operation_and_accepts_the_what_if() {
    let Some(browser) = Browser::start_sized(1280, 900, "en-US").await else {
        return;
    };
    let rig = rig().await;
    let hub = rig.hub.url();
    post(&rig, "schedules/plant-1/run", json!({"time_limit_seconds": 1})).await;
    let before = live_plan(&rig).await;
    let was = machine_of(&before, "PO-1", "10");
    let target = if was == "press-1" { "press-2" } else { "press-1" };

    log_in(&browser, &hub, "planner", PLANNER_PASSWORD).await;
    browser
        .goto(&format!("{hub}/console/sites/plant-1/plan?span=1d"))
        .await;
    browser
        .wait_for("PO-1's movable bar", "#gantt a.bar.movable[data-op=\"PO-1/10\"]")
        .await;
    assert!(browser.exists("#steer-toolbar").await, "the planner can steer");
    browser
        .screenshot(&screenshots().join("plan-steer-before.png"))
        .await;

    // Mouse: PO-1's press operation onto the other press's row.
    let from = centre(&browser, &bar("PO-1/10")).await;
    let row = centre(&browser, &format!("#gantt g.row[data-code=\"{target}\"] rect")).await;
    drag(&browser, from, (from.0, row.1), false).await;
    browser.wait_for("the what-if panel", "#steer-draft").await;
    let title = browser.text_of("steer-title").await;
    assert!(title.contains("PO-1/10") && title.contains(target), "{title}");
    let figures = browser.text_of("steer-figures").await;
    assert!(figures.contains("All done by"), "{figures}");
    browser
        .screenshot(&screenshots().join("plan-steer-draft.png"))
        .await;
    assert_eq!(
        machine_of(&live_plan(&rig).await, "PO-1", "10"),
        was,
        "a what-if leaves the live plan alone"
    );
    browser.click("steer-accept").await;
    browser.wait_for("what moved", "#plan-diff").await;
    let moved = browser.text_of("plan-diff").await;
    assert!(moved.contains("PO-1/10"), "{moved}");
    let stability = browser.text_of("plan-stability").await;
    assert!(
        stability.starts_with("Stability ") && stability.contains("changed machine"),
        "{stability}"
    );
    assert_eq!(
        machine_of(&live_plan(&rig).await, "PO-1", "10"),
        target,
        "the live plan follows"
    );
    browser
        .wait_for(
            "the moved bar on its new row",
            &format!("#gantt a.bar[data-op=\"PO-1/10\"][data-machine=\"{target}\"]"),
        )
        .await;
    browser
        .screenshot(&screenshots().join("plan-steer-after.png"))
        .await;

    // The station's order list follows (through the agent's downlink):
    // PO-1's press operation is now planned on the target press.
    browser
        .goto(&format!("{}/stations/{STATION}", rig.agent.url()))
        .await;
    let row = browser
        .wait_text(
            "the station's order list to follow the accepted plan",
            "#orders tr[data-order=\"PO-1\"]",
            |t| t.contains(&format!("op 10 on {target}")),
        )
        .await;
    assert!(row.contains("PO-1"), "{row}");
    browser
        .client
        .execute("document.getElementById('orders').scrollIntoView();", vec![])
        .await
        .expect("script runs");
    browser
        .screenshot(&screenshots().join("station-follows-plan.png"))
        .await;
    browser
        .goto(&format!("{hub}/console/sites/plant-1/plan?span=1d"))
        .await;
    browser.wait_for("PO-1's movable bar", &bar("PO-1/10")).await;

    // Touch: onto the lathe, a machine of another type: refused, put back.
    let from = centre(&browser, &bar("PO-1/10")).await;
    let lathe = centre(&browser, "#gantt g.row[data-code=\"lathe-1\"] rect").await;
    drag(&browser, from, (from.0, lathe.1), true).await;
    let reason = refusal(&browser).await;
    assert!(
        reason.contains("may not run on lathe-1") && reason.contains("LATHE"),
        "{reason}"
    );
    assert!(
        !browser.exists("#gantt a.bar[transform]").await,
        "the bar went back"
    );
    browser
        .screenshot(&screenshots().join("plan-steer-refused.png"))
        .await;

    // Before its predecessor: PO-9's second operation dragged into its first.
    let first = centre(&browser, &bar("PO-9/10")).await;
    let second = centre(&browser, &bar("PO-9/20")).await;
    drag(&browser, second, (first.0, second.1), false).await;
    let reason = browser
        .wait_text("the precedence refusal", "#steer-error", |t| {
            t.contains("must follow")
        })
        .await;
    assert!(reason.contains("PO-9/10"), "{reason}");

    // Undo: the move is taken back as a new revision.
    browser.click("plan-undo").await;
    eventually("the undo to be live", Duration::from_secs(20), || {
        let rig = &rig;
        let was = was.clone();
        async move { (machine_of(&live_plan(rig).await, "PO-1", "10") == was).then_some(()) }
    })
    .await;

    // A plan made meanwhile: the open board shows it with what moved.
    browser.goto(&format!("{hub}/console/sites/plant-1/plan")).await;
    browser.wait_for("the board", "#plan-board").await;
    let shown: i64 = browser
        .client
        .execute(
            "return Number(document.getElementById('plan-board').getAttribute('data-revision'));",
            vec![],
        )
        .await
        .expect("script runs")
        .as_i64()
        .expect("a revision");
    post(
        &rig,
        "schedules/plant-1/run",
        json!({"time_limit_seconds": 1, "seed": 7}),
    )
    .await;
    let heading = browser
        .wait_text("the board to show the new plan", "#plan-diff h2", |t| {
            !t.is_empty()
        })
        .await;
    assert!(heading.contains(&format!("revision {shown} →")), "{heading}");

    // The dispatch lists: one table per machine, printable, and as CSV.
    browser.click("plan-dispatch").await;
    browser
        .wait_for(
            "the dispatch lists",
            "section.dispatch-machine[data-equipment=\"press-1\"]",
        )
        .await;
    let listed = browser.text_css("#main").await;
    assert!(
        listed.contains("PO-1 / 10") && listed.contains("PO-9 / 20"),
        "{listed}"
    );
    assert!(browser.exists("#dispatch-print").await);
    browser.screenshot(&screenshots().join("plan-dispatch.png")).await;
    let csv = reqwest::Client::new()
        .get(format!(
            "{hub}/api/v1/sites/plant-1/plan/dispatch?format=csv&equipment=press-1"
        ))
        .bearer_auth(&rig.creds.api_token)
        .send()
        .await
        .expect("hub answers")
        .text()
        .await
        .expect("a body");
    assert!(
        csv.starts_with("equipment,seq,order,operation,start,end"),
        "{csv}"
    );
    assert!(csv.lines().skip(1).all(|l| l.starts_with("press-1,")), "{csv}");
    browser.click("logout").await;
    browser.wait_for("the login page", "#login-form").await;

    // A supervisor looks but cannot drag; the API refuses their what-if.
    log_in(&browser, &hub, "super", SUPERVISOR_PASSWORD).await;
    browser
        .goto(&format!("{hub}/console/sites/plant-1/plan?span=1d"))
        .await;
    browser
        .wait_for("PO-1's bar", "#gantt a.bar[data-order=\"PO-1\"]")
        .await;
    assert!(!browser.exists("#gantt a.bar.movable").await, "no drag handles");
    assert!(!browser.exists("#steer-toolbar").await, "no undo or redo");
    let csrf = browser
        .client
        .execute(
            "return document.querySelector('meta[name=\"csrf-token\"]').getAttribute('content');",
            vec![],
        )
        .await
        .expect("script runs");
    let cookie = browser
        .client
        .get_all_cookies()
        .await
        .expect("cookies")
        .into_iter()
        .find(|c| c.name().ends_with("mes_session"))
        .expect("a session cookie");
    let response = reqwest::Client::new()
        .post(format!("{hub}/api/v1/sites/plant-1/plan/drafts"))
        .header("Cookie", format!("{}={}", cookie.name(), cookie.value()))
        .header("X-CSRF-Token", csrf.as_str().expect("a token"))
        .json(&json!({"changes": [{"kind": "move", "operation": "PO-1/10", "machine": target}]}))
        .send()
        .await
        .expect("hub answers");
    assert_eq!(response.status().as_u16(), 403);
    let body: Value = response.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
}
