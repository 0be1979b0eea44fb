//! A fixed-mount scanner on a station's TCP port: each line is a scan, the
//! answer comes back on the socket, and the outcome is the one the page
//! shows (same state, same one-line reason, same events at the hub).

use mes_tests::stations::*;
use mes_tests::{binaries, free_port, start_rig};
use serde_json::json;

#[tokio::test]
async fn scanner_port_steps_match_the_page() {
    let port = free_port();
    let rig = start_rig(&binaries!(), &station_toml(Some(port)))
        .await
        .expect("rig starts");
    seed_master_data(&rig.hub.url(), &rig.creds.api_token)
        .await
        .expect("master data");
    wait_for_master_data(&rig.agent.url()).await;
    let agent = rig.agent.url();

    let mut scanner = Scanner::connect(port).await.expect("scanner connects");
    assert_eq!(
        scanner.scan("B-0001").await.expect("answer"),
        "OK Ana Silva clocked in"
    );
    assert_eq!(
        scanner.scan("PO:PO-1").await.expect("answer"),
        "OK Started PO-1 operation 10 Press on press-1"
    );
    assert_eq!(
        scanner.scan("L:L-1").await.expect("answer"),
        "OK Consumed 25 kg of STEEL lot L-1"
    );
    let by_scanner = scanner.scan("L:B-77").await.expect("answer");
    assert_eq!(
        by_scanner,
        "ERR Wrong material: lot B-77 is BOLT; PO-1 operation 10 uses STEEL"
    );
    assert_eq!(
        scanner.scan("garbage!").await.expect("answer"),
        "ERR Unknown code: no known prefix and not a GS1 barcode"
    );

    // The page's API gives the same answer to the same scan, and shows what
    // the scanner did.
    let by_page = station_step(&agent, json!({"step": "scan", "code": "L:B-77"}))
        .await
        .expect("answer");
    assert_eq!(by_page["ok"], false);
    assert_eq!(
        format!("ERR {}", by_page["message"].as_str().expect("message")),
        by_scanner
    );
    let state = &by_page["state"];
    assert_eq!(state["workers"][0]["name"], "Ana Silva");
    assert_eq!(state["run"]["order"], "PO-1");
    assert_eq!(state["run"]["consumed"][0]["lot"], "L-1");

    let events = wait_for_station_events(&rig.hub.db_path(), 6).await;
    assert_eq!(
        kinds(&events),
        [
            "worker_clocked_in",
            "operation_started",
            "material_consumed",
            "scan_rejected",
            "scan_rejected",
            "scan_rejected"
        ]
    );
    assert_eq!(events[3]["data"]["code"], "L:B-77");
    assert_eq!(events[3]["data"]["reason"], events[5]["data"]["reason"]);
    assert_eq!(events[4]["data"]["code"], "garbage!");
}
