//! The stock ledger end to end on each backend: documents and shop-floor
//! events through ingest and the projection into balances, positions at
//! any instant, late and replayed events, and rebuilds.

use crate::floor::{Floor, code, dec, factory};
use cloud_hub::inventory::position::{self, MaterialPosition};
use cloud_hub::projection::rebuild;
use cloud_hub::stock::{Ledger, MovementKind, NegativeStockPolicy};
use cloud_hub::store::Store;
use cloud_hub::store::ledger::{BalanceQuery, BalanceRow};
use mes_protocols::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;

/// Every balance of the tenant (zeros included), keyed for comparison.
async fn balances(store: &Store, floor: &Floor) -> BTreeMap<(String, String, String), Decimal> {
    let rows: Vec<BalanceRow> = store
        .balances(
            floor.tenant,
            BalanceQuery {
                include_zero: true,
                limit: 10_000,
                ..BalanceQuery::default()
            },
        )
        .await
        .expect("balances list");
    rows.into_iter()
        .map(|r| {
            let lot = r.lot.map(|l| l.to_string()).unwrap_or_default();
            ((r.material.to_string(), lot, r.location.to_string()), r.quantity)
        })
        .collect()
}

fn on(b: &BTreeMap<(String, String, String), Decimal>, material: &str, lot: &str, location: &str) -> Decimal {
    b.get(&(material.into(), lot.into(), location.into()))
        .copied()
        .unwrap_or_default()
}

async fn position_at(store: &Store, floor: &Floor, material: &str, at: Timestamp) -> MaterialPosition {
    position::position(store, floor.tenant, material, Some(at))
        .await
        .expect("position reads")
}

/// The worked example of issue 5, every figure by hand.
///
/// MO-1 (100 brackets) is released first; its routing needs 0.25 kg STEEL
/// and 2 BOLT per bracket, so it reserves 25 kg STEEL and 200 BOLT.
/// Minutes are after `t0` (a minute after the release):
///
/// | min | what | STEEL L1 STORE | STEEL L1 LINE | BOLT STORE | BOLT LINE | BRACKET LINE |
/// |---|---|---|---|---|---|---|
/// | 0 | receipt R1: 100 kg STEEL lot L1 → STORE | 100 | | | | |
/// | 1 | receipt R2: 5 box BOLT (= 500 pcs) → STORE | | | 500 | | |
/// | 2 | transfer T1: 40 kg STEEL L1 STORE → LINE | 60 | 40 | | | |
/// | 3 | transfer T2: 300 BOLT STORE → LINE | | | 200 | 300 | |
/// | 4 | e1 consumed 10 kg STEEL L1 (MO-1) | | 30 | | | |
/// | 5 | e4 consumed 2 sheet = 5 kg STEEL L1 — sent LATE, after e3 | | 25 | | | |
/// | 6 | e2 consumed 80 BOLT | | | | 220 | |
/// | 7 | e3 output 40 good + 2 scrap brackets (scrap is not stock) | | | | | 40 |
/// | 8 | e5 consumed 10 BOLT — sent after the stocktake below | | | | 210 → absorbed | |
/// | 9 | stocktake S1: BOLT at LINE counted 215 | | | | 215 | |
///
/// End: STEEL on hand 60 + 25 = 85; BOLT 200 + 215 = 415; BRACKET 40.
/// Reserved at min 10: STEEL 25 − issued (10 + 5) = 10; BOLT 200 − (80 + 10)
/// = 110. Available: STEEL 85 − 10 = 75; BOLT 415 − 110 = 305.
/// The count at min 9 is physical truth: e5 (min 8) arriving after it
/// changes the count's derived adjustment, not the balance: before e5 the
/// count adjusted 220 → 215 (−5); once e5 is in, it adjusts 210 → 215 (+5).
/// At min 4.5 (after e1, before e4's instant): STEEL on hand 60 + 30 = 90.
pub async fn worked_example(db: &crate::harness::TestDb) {
    let store = &db.store;
    let mut floor = factory(store, "worked").await;
    let t0 = Timestamp::from_unix_millis(cloud_hub_now() + 60_000);
    let at = |minutes: f64| Timestamp::from_unix_millis(t0.unix_millis() + (minutes * 60_000.0) as i64);
    floor
        .post(store, json!({"type": "receipt", "document": "R1", "location": "STORE", "material": "STEEL",
            "lot": "L1", "quantity": "100", "unit": "kg", "expires_on": "2027-06-30", "occurred_at": at(0.0)}))
        .await;
    floor
        .post(
            store,
            json!({"type": "receipt", "document": "R2", "location": "STORE", "material": "BOLT",
            "quantity": "5", "unit": "box", "occurred_at": at(1.0)}),
        )
        .await;
    floor
        .post(
            store,
            json!({"type": "transfer", "document": "T1", "from": "STORE", "to": "LINE",
            "material": "STEEL", "lot": "L1", "quantity": "40", "unit": "kg", "occurred_at": at(2.0)}),
        )
        .await;
    floor
        .post(
            store,
            json!({"type": "transfer", "document": "T2", "from": "STORE", "to": "LINE",
            "material": "BOLT", "quantity": "300", "unit": "pcs", "occurred_at": at(3.0)}),
        )
        .await;
    let e1 = floor.consumed(at(4.0), "STEEL", Some("L1"), "10", "kg");
    let e2 = floor.consumed(at(6.0), "BOLT", None, "80", "pcs");
    let e3 = floor.output(at(7.0), "40", "2");
    let e4 = floor.consumed(at(5.0), "STEEL", Some("L1"), "2", "sheet");
    let e5 = floor.consumed(at(8.0), "BOLT", None, "10", "pcs");
    let first = floor.send(store, &[e1, e2, e3]).await;
    floor.project(store, 1000).await;
    // The output is booked; now the late consumption arrives.
    floor.send(store, &[e4]).await;
    floor.project(store, 1000).await;
    floor
        .post(
            store,
            json!({"type": "stocktake", "document": "S1", "location": "LINE", "material": "BOLT",
            "quantity": "215", "unit": "pcs", "occurred_at": at(9.0)}),
        )
        .await;
    floor.send(store, &[e5]).await;
    floor.project(store, 1000).await;

    let b = balances(store, &floor).await;
    assert_eq!(on(&b, "STEEL", "L1", "STORE"), dec("60"));
    assert_eq!(on(&b, "STEEL", "L1", "LINE"), dec("25"));
    assert_eq!(on(&b, "BOLT", "", "STORE"), dec("200"));
    assert_eq!(
        on(&b, "BOLT", "", "LINE"),
        dec("215"),
        "the count absorbs the consumption before it"
    );
    assert_eq!(
        on(&b, "BRACKET", "", "LINE"),
        dec("40"),
        "good output only; scrap is not stock"
    );

    let steel = position_at(store, &floor, "STEEL", at(10.0)).await;
    assert_eq!(
        (steel.on_hand, steel.reserved, steel.available),
        (dec("85"), dec("10"), dec("75"))
    );
    let bolt = position_at(store, &floor, "BOLT", at(10.0)).await;
    assert_eq!(
        (bolt.on_hand, bolt.reserved, bolt.available),
        (dec("415"), dec("110"), dec("305"))
    );
    let earlier = position_at(store, &floor, "STEEL", at(4.5)).await;
    assert_eq!(
        earlier.on_hand,
        dec("90"),
        "at 4.5 min the late 5 kg had not happened yet"
    );

    // The stocktake's derived adjustment is +5 (210 → 215), in the statement.
    let statement = position::statement(store, floor.tenant, "BOLT", None)
        .await
        .expect("statement");
    let count = statement
        .iter()
        .find(|l| l.kind == "stocktake")
        .expect("the count is in the statement");
    assert_eq!((count.delta, count.balance), (dec("5"), dec("215")));

    // Replaying a batch changes nothing; a rebuild gives the same state.
    store
        .ingest(floor.agent.auth.clone(), first)
        .await
        .expect("the store works")
        .expect("a replayed batch is accepted as duplicates");
    floor.project(store, 1000).await;
    assert_eq!(
        balances(store, &floor).await,
        b,
        "a replayed batch changes nothing"
    );
    let rebuilt = rebuild(store, floor.tenant, 2).await.expect("rebuild works");
    assert_eq!((rebuilt.events, rebuilt.issues), (5, 0));
    assert_eq!(
        balances(store, &floor).await,
        b,
        "a rebuild gives the same balances"
    );
    let actuals = cloud_hub::production::actuals::actuals(store, floor.tenant, "MO-1")
        .await
        .expect("actuals");
    assert_eq!(actuals.received, dec("40"));
    assert_eq!(actuals.issued.get("STEEL"), Some(&dec("15")));
    assert_eq!(actuals.issued.get("BOLT"), Some(&dec("90")));
    assert_eq!(
        (actuals.operations[0].good, actuals.operations[0].scrap),
        (dec("40"), dec("2"))
    );
}

fn cloud_hub_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() * 1000
}

/// For random floors: documents and events (late ones on purpose) sent in
/// random batches, some replayed, projected in random steps. Each time:
/// every stored balance equals the pure ledger rebuilt from the same
/// documents and events and equals the sum of its statement's movements;
/// a rebuild reproduces it; a replayed batch changes nothing.
pub async fn random_floors_match_the_pure_ledger(db: &crate::harness::TestDb) {
    let store = &db.store;
    for seed in [7_u64, 1234, 99_999] {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut floor = factory(store, &format!("prop-{seed}")).await;
        let t0 = cloud_hub_now() + 60_000;
        let at = |minute: i64| Timestamp::from_unix_millis(t0 + minute * 60_000);
        // Stock to start from, by documents.
        floor
            .post(
                store,
                json!({"type": "receipt", "document": "R1", "location": "LINE", "material": "STEEL",
                "lot": "L1", "quantity": "500", "unit": "kg", "occurred_at": at(0)}),
            )
            .await;
        floor
            .post(
                store,
                json!({"type": "receipt", "document": "R2", "location": "LINE", "material": "BOLT",
                "quantity": "1000", "unit": "pcs", "occurred_at": at(0)}),
            )
            .await;
        let mut drafts = Vec::new();
        let mut documents = 0;
        let mut sent = Vec::new();
        for _ in 0..rng.random_range(3..7) {
            let n = rng.random_range(1..12);
            let batch: Vec<_> = (0..n)
                .map(|_| {
                    let minute = rng.random_range(1..120);
                    match rng.random_range(0..4) {
                        0 => floor.consumed(
                            at(minute),
                            "STEEL",
                            Some("L1"),
                            &rng.random_range(1..20).to_string(),
                            "kg",
                        ),
                        1 => floor.consumed(
                            at(minute),
                            "STEEL",
                            Some("L2"),
                            &rng.random_range(1..4).to_string(),
                            "sheet",
                        ),
                        2 => floor.consumed(
                            at(minute),
                            "BOLT",
                            None,
                            &rng.random_range(1..3).to_string(),
                            "box",
                        ),
                        _ => floor.output(
                            at(minute),
                            &rng.random_range(0..30).to_string(),
                            &rng.random_range(0..3).to_string(),
                        ),
                    }
                })
                .collect();
            drafts.extend(batch.clone());
            sent.push(floor.send(store, &batch).await);
            if rng.random_bool(0.5) {
                floor.project(store, rng.random_range(1..6)).await;
            }
            if rng.random_bool(0.4) {
                documents += 1;
                let doc = format!("S{documents}");
                floor
                    .post(
                        store,
                        json!({"type": "stocktake", "document": doc, "location": "LINE",
                        "material": "BOLT", "quantity": rng.random_range(0..500).to_string(), "unit": "pcs",
                        "occurred_at": at(rng.random_range(1..120))}),
                    )
                    .await;
            }
            if rng.random_bool(0.3) {
                let replay = sent[rng.random_range(0..sent.len())].clone();
                store
                    .ingest(floor.agent.auth.clone(), replay)
                    .await
                    .expect("the store works")
                    .expect("a replay is accepted");
            }
        }
        floor.project(store, 7).await;
        let stored = balances(store, &floor).await;

        // The pure ledger from the same documents and events.
        let mut pure = Ledger::new(NegativeStockPolicy::Allowed);
        for material in ["STEEL", "BOLT", "BRACKET"] {
            for row in store
                .movements_of(floor.tenant, material.into(), None, None)
                .await
                .expect("movements read")
                .into_iter()
                .filter(|m| !matches!(m.kind, MovementKind::Issue | MovementKind::OutputReceipt))
            {
                pure.apply(row).expect("document rows apply");
            }
        }
        let units = {
            let mut c = cloud_hub::stock::UnitCatalog::new();
            c.insert(
                cloud_hub::stock::MaterialUnits::new(code("STEEL"), code("kg"), 3)
                    .expect("units")
                    .with_unit(code("sheet"), dec("2.5"))
                    .expect("units"),
            );
            c.insert(
                cloud_hub::stock::MaterialUnits::new(code("BOLT"), code("pcs"), 0)
                    .expect("units")
                    .with_unit(code("box"), dec("100"))
                    .expect("units"),
            );
            c.insert(cloud_hub::stock::MaterialUnits::new(code("BRACKET"), code("pcs"), 0).expect("units"));
            c
        };
        let locations = |_: &mes_protocols::Code, _: &mes_protocols::Code| Some(code("LINE"));
        let projector = cloud_hub::stock::Projector::new(&units, &locations);
        let events: Vec<mes_protocols::Event> = drafts
            .iter()
            .cloned()
            .map(|d| d.into_event(mes_protocols::Seq(1)))
            .collect();
        let (pure, errors) = projector.rebuild(pure, events.iter());
        assert!(errors.is_empty(), "seed {seed}: {errors:?}");
        let expected: BTreeMap<(String, String, String), Decimal> = pure
            .balances(None)
            .into_iter()
            .map(|(k, q)| {
                (
                    (
                        k.material.to_string(),
                        k.lot.map(|l| l.to_string()).unwrap_or_default(),
                        k.location.to_string(),
                    ),
                    q,
                )
            })
            .collect();
        assert_eq!(
            stored, expected,
            "seed {seed}: stored balances equal the pure ledger's"
        );

        // On hand is the sum of the statement's movements, per key.
        for material in ["STEEL", "BOLT", "BRACKET"] {
            let lines = position::statement(store, floor.tenant, material, None)
                .await
                .expect("statement");
            let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
            for l in &lines {
                *sums
                    .entry((
                        l.lot.as_ref().map(|x| x.to_string()).unwrap_or_default(),
                        l.location.to_string(),
                    ))
                    .or_default() += l.delta;
            }
            for ((lot, location), sum) in sums {
                assert_eq!(
                    on(&stored, material, &lot, &location),
                    sum,
                    "seed {seed}: {material} {lot} {location}"
                );
            }
        }

        let rebuilt = rebuild(store, floor.tenant, rng.random_range(1..50))
            .await
            .expect("rebuild works");
        assert_eq!(rebuilt.issues, 0);
        assert_eq!(
            balances(store, &floor).await,
            stored,
            "seed {seed}: rebuild reproduces the state"
        );
        let replay = sent[0].clone();
        store
            .ingest(floor.agent.auth.clone(), replay)
            .await
            .expect("the store works")
            .expect("a replay is accepted");
        floor.project(store, 100).await;
        assert_eq!(
            balances(store, &floor).await,
            stored,
            "seed {seed}: replaying a batch changes nothing"
        );
    }
}

/// An engineering change that uses up old stock, through a real release:
/// BRACKET's BOM version A takes 2 BOLT, version B (from yesterday) takes 2
/// SCREW instead and uses up BOLT first. 250 BOLT are on hand and MO-1
/// reserves 200 of them, so 50 are available: an order of 100 brackets
/// makes ⌊50 / 2⌋ = 25 with BOLT (50 BOLT) and 75 with SCREW (150 SCREW),
/// per bracket 0.5 BOLT and 1.5 SCREW, and 0.25 kg STEEL in both versions.
pub async fn engineering_change_uses_up_old_stock_at_release(db: &crate::harness::TestDb) {
    let store = &db.store;
    let floor = factory(store, "ecn").await;
    let t = floor.tenant;
    let screw: cloud_hub::masterdata::records::Material = serde_json::from_value(json!({"code": "SCREW",
        "name": "Screw", "kind": "raw", "base_unit": "pcs", "lot_tracked": false, "standard_cost": "0.04"}))
    .expect("valid");
    cloud_hub::masterdata::service::create(store, t, screw)
        .await
        .expect("SCREW created");
    let today = time::OffsetDateTime::now_utc().date();
    let yesterday = today.previous_day().expect("a day before today");
    let bom: cloud_hub::masterdata::records::Bom = serde_json::from_value(json!({"material": "BRACKET", "versions": [
        {"version": "A", "valid_from": "2026-01-01", "valid_to": (yesterday.previous_day().expect("day")).to_string(),
         "lines": [{"component": "STEEL", "quantity": "0.25", "unit": "kg"},
                   {"component": "BOLT", "quantity": "2", "unit": "pcs"}]},
        {"version": "B", "valid_from": yesterday.to_string(), "lines": [
            {"component": "STEEL", "quantity": "0.25", "unit": "kg"},
            {"component": "SCREW", "quantity": "2", "unit": "pcs", "use_up_old_stock": true}]}]}))
    .expect("valid");
    cloud_hub::masterdata::service::create(store, t, bom)
        .await
        .expect("BOM created");
    // 250 BOLT on hand; MO-1 (released by the factory, before the BOM
    // existed, with the routing's inputs) reserves 200 of them: 50 available.
    floor
        .post(
            store,
            json!({"type": "receipt", "document": "R1", "location": "STORE", "material": "BOLT",
            "quantity": "250", "unit": "pcs"}),
        )
        .await;
    let order: cloud_hub::masterdata::records::ProductionOrder =
        serde_json::from_value(json!({"code": "MO-2", "material": "BRACKET", "quantity": "100"}))
            .expect("valid");
    cloud_hub::masterdata::service::create(store, t, order)
        .await
        .expect("MO-2 created");
    let released = cloud_hub::production::lifecycle::release(store, t, "MO-2", Some(code("plant-1")), today)
        .await
        .expect("MO-2 releases");
    assert_eq!(released.record.bom_version, Some(code("B")));
    let inputs: Vec<(String, Decimal)> = released.record.operations[0]
        .inputs
        .iter()
        .map(|i| (i.material.to_string(), i.quantity_per_unit))
        .collect();
    assert_eq!(
        inputs,
        vec![
            ("STEEL".into(), dec("0.25")),
            ("BOLT".into(), dec("0.5")),
            ("SCREW".into(), dec("1.5"))
        ]
    );
    let preview = cloud_hub::production::bom_inputs::preview(store, t, "BRACKET", dec("100"), today)
        .await
        .expect("preview");
    let change = &preview.changeovers[0];
    // Now MO-2 reserves the 50 BOLT too: none is left for another order.
    assert_eq!(
        (change.old_available, change.units_on_old, change.units_on_new),
        (dec("0"), dec("0"), dec("100"))
    );
}
