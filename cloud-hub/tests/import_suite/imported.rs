//! Clean files: imported fully in one go, replacing records of the same
//! codes; exports import back to the same records; tenants stay apart.

use crate::harness::TestDb;
use crate::hub::Hub;
use crate::world::{BOMS, MATERIALS, ROUTINGS, bad_rows, cells, records, rows_of, seed, workbook, world};
use axum::http::Method;
use serde_json::{Value, json};

fn counts(materials: (u64, u64), boms: (u64, u64), routings: (u64, u64)) -> Value {
    let c = |(created, updated): (u64, u64)| json!({"created": created, "updated": updated});
    json!({"materials": c(materials), "boms": c(boms), "routings": c(routings)})
}

/// Reads record `path` of the tenant.
async fn read(hub: &Hub, path: &str, token: &str) -> Value {
    hub.get(path, token).await.expect(200).body
}

/// Materials, BOMs and routings from CSV: 201 with what was created, the
/// records as the rows say (BOM versions grouped, routing operations in
/// number order with their inputs); a second import of the same file
/// replaces (200, updated) and restores an archived record.
pub async fn clean_csv_files_import_fully_and_replace_on_reimport(db: &TestDb) {
    let w = world(db).await;
    let token = w.t.token.as_str();
    let reply = w.files.csv("materials", token, MATERIALS).await.expect(201);
    assert_eq!(reply.body, counts((4, 0), (0, 0), (0, 0)));
    let reply = w.files.csv("boms", token, BOMS).await.expect(201);
    assert_eq!(reply.body, counts((0, 0), (2, 0), (0, 0)));
    let reply = w.files.csv("routings", token, ROUTINGS).await.expect(201);
    assert_eq!(reply.body, counts((0, 0), (0, 0), (2, 0)));

    let screw = read(&w.hub, "/api/v1/materials/SCREW", token).await;
    assert_eq!(screw["name"], "Screw, 4x20");
    assert_eq!(
        screw["alt_units"],
        json!([{"unit": "box", "factor": "250"}, {"unit": "pallet", "factor": "50000"}])
    );
    assert_eq!(screw["standard_cost"], "0.0125");
    let pump = read(&w.hub, "/api/v1/boms/PUMP", token).await;
    assert_eq!(pump["versions"][0]["valid_to"], "2026-06-30");
    assert_eq!(
        pump["versions"][1],
        json!({"version": "2", "valid_from": "2026-07-01", "lines": [
            {"component": "SHAFT", "quantity": "1", "unit": "pcs", "use_up_old_stock": false},
            {"component": "SCREW", "quantity": "0.032", "unit": "box", "use_up_old_stock": true}]})
    );
    let routing = read(&w.hub, "/api/v1/routings/PUMP", token).await;
    let ops = &routing["versions"][0]["operations"];
    assert_eq!(ops[0]["operation"], 10);
    assert_eq!(
        ops[0]["inputs"],
        json!([{"material": "SHAFT", "quantity_per_unit": "1", "unit": "pcs"},
               {"material": "BOLT", "quantity_per_unit": "8", "unit": "pcs"}])
    );
    assert_eq!(
        (&ops[1]["operation"], &ops[1]["inputs"]),
        (&json!(20), &json!([]))
    );

    w.hub
        .req(Method::DELETE, "/api/v1/materials/BOLT")
        .token(token)
        .send()
        .await
        .expect(200);
    let renamed = MATERIALS.replace("Bolt M8", "Bolt M8x40");
    let reply = w.files.csv("materials", token, &renamed).await.expect(200);
    assert_eq!(reply.body, counts((0, 4), (0, 0), (0, 0)));
    let bolt = read(&w.hub, "/api/v1/materials/BOLT", token).await;
    assert_eq!(
        (&bolt["name"], &bolt["archived"]),
        (&json!("Bolt M8x40"), &json!(false))
    );
    let reply = w.files.csv("boms", token, BOMS).await.expect(200);
    assert_eq!(reply.body, counts((0, 0), (0, 2), (0, 0)));
}

/// One workbook with all three sheets, the BOMs and routings using the
/// workbook's own materials: 201, everything stored in one go.
pub async fn clean_workbook_imports_fully_with_its_own_materials(db: &TestDb) {
    let w = world(db).await;
    let token = w.t.token.as_str();
    let (materials, boms, routings) = (rows_of(MATERIALS), rows_of(BOMS), rows_of(ROUTINGS));
    let bytes = workbook(&[
        ("Materials", cells(&materials)),
        ("BOMs", cells(&boms)),
        ("Routings", cells(&routings)),
    ]);
    let reply = w
        .files
        .xlsx("/api/v1/import/workbook", token, bytes)
        .await
        .expect(201);
    assert_eq!(reply.body, counts((4, 0), (2, 0), (2, 0)));
    // The same records as the CSV files give.
    let from_workbook = records(&w.hub, token).await;
    let other = w.hub.tenant("csv").await;
    seed(&w.hub, &other).await;
    for (kind, csv) in [("materials", MATERIALS), ("boms", BOMS), ("routings", ROUTINGS)] {
        w.files.csv(kind, &other.token, csv).await.expect(201);
    }
    assert_eq!(from_workbook, records(&w.hub, &other.token).await);
}

/// Export, then import the exports: nothing changes (records equal,
/// including what the file cannot carry, like an operation's name), and a
/// second export is byte for byte the first. The exports also import into
/// a fresh tenant as the same records (but for those names).
pub async fn export_then_import_round_trips(db: &TestDb) {
    let w = world(db).await;
    let token = w.t.token.as_str();
    for (kind, csv) in [("materials", MATERIALS), ("boms", BOMS), ("routings", ROUTINGS)] {
        w.files.csv(kind, token, csv).await.expect(201);
    }
    let mut routing = read(&w.hub, "/api/v1/routings/PUMP", token).await;
    routing["versions"][0]["operations"][0]["name"] = json!("Assemble");
    routing["versions"][0]["operations"][0]["splittable"] = json!(false);
    w.hub
        .req(Method::PUT, "/api/v1/routings/PUMP")
        .token(token)
        .json(&routing)
        .send()
        .await
        .expect(200);
    // A name a spreadsheet would run as a formula (CSV injection).
    let mut screw = read(&w.hub, "/api/v1/materials/SCREW", token).await;
    let formula = r#"=HYPERLINK("http://evil.example","click")"#;
    screw["name"] = json!(formula);
    for field in ["archived", "version", "updated_at"] {
        screw.as_object_mut().map(|o| o.remove(field));
    }
    w.hub
        .req(Method::PUT, "/api/v1/materials/SCREW")
        .token(token)
        .json(&screw)
        .send()
        .await
        .expect(200);
    let before = records(&w.hub, token).await;

    let mut exports = Vec::new();
    for kind in ["materials", "boms", "routings"] {
        exports.push((kind, w.files.export(kind, token).await));
    }
    assert!(
        exports[0].1.starts_with("code,name,kind,base_unit"),
        "{}",
        exports[0].1
    );
    assert_eq!(
        exports[0].1.lines().count(),
        6,
        "header, STEEL and the four imported"
    );
    assert!(
        exports[0].1.contains(r#","'=HYPERLINK(""http"#),
        "the formula is written as text: {}",
        exports[0].1
    );
    for (kind, csv) in &exports {
        w.files.csv(kind, token, csv).await.expect(200);
    }
    assert_eq!(
        records(&w.hub, token).await,
        before,
        "export → import changes nothing"
    );
    for (kind, csv) in &exports {
        assert_eq!(
            &w.files.export(kind, token).await,
            csv,
            "{kind} exports the same again"
        );
    }

    let fresh = w.hub.tenant("fresh").await;
    seed(&w.hub, &fresh).await;
    for (kind, csv) in &exports {
        w.files.csv(kind, &fresh.token, csv).await.expect(201);
    }
    let mut expected = before.clone();
    let op = &mut expected["routings"][0]["versions"][0]["operations"][0];
    assert_eq!(op["name"], "Assemble", "routings list in code order: PUMP first");
    op["name"] = json!("");
    op["splittable"] = json!(true);
    assert_eq!(records(&w.hub, &fresh.token).await, expected);
}

/// Imports use only the caller's records: a BOM naming a material only
/// another tenant has is refused as unknown; importing a code another
/// tenant also has changes only the caller's record; exports show only
/// the caller's records.
pub async fn imports_never_reach_another_tenant(db: &TestDb) {
    let w = world(db).await;
    let bravo = w.hub.tenant("bravo").await;
    seed(&w.hub, &bravo).await;
    let bravo_materials = format!("{MATERIALS}ONLY-BRAVO,Bravo's own,raw,pcs,,no,1\n");
    w.files
        .csv("materials", &bravo.token, &bravo_materials)
        .await
        .expect(201);
    w.files.csv("boms", &bravo.token, BOMS).await.expect(201);
    let bravo_before = records(&w.hub, &bravo.token).await;

    let reply = w
        .files
        .csv("materials", &w.t.token, &MATERIALS.replace("Pump", "Alpha pump"))
        .await;
    reply.expect(201);
    let boms = "parent,version,valid_from,valid_to,component,quantity,unit,use_up_old_stock
PUMP,1,2026-01-01,,ONLY-BRAVO,1,pcs,no
";
    let reply = w.files.csv("boms", &w.t.token, boms).await;
    assert_eq!(
        bad_rows(&reply),
        vec![(None, 2, "component".to_string(), "E".to_string())],
        "{}",
        reply.text
    );
    assert_eq!(
        records(&w.hub, &bravo.token).await,
        bravo_before,
        "bravo's records unchanged"
    );
    for kind in ["materials", "boms", "routings"] {
        let csv = w.files.export(kind, &w.t.token).await;
        assert!(
            !csv.contains("ONLY-BRAVO") && !csv.contains("SCREW,0.032"),
            "alpha's {kind} export shows bravo's records: {csv}"
        );
    }
    assert!(
        w.files
            .export("materials", &w.t.token)
            .await
            .contains("Alpha pump")
    );
    assert!(w.files.export("materials", &bravo.token).await.contains(",Pump,"));
}
