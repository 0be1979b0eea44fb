//! Valuation and actual costing end to end on each backend: receipts at
//! two prices, a two-level product made from shop-floor events (clock,
//! runs with a pause, equipment states, consumption, output with scrap),
//! one consumption arriving after the output, every figure by hand.

use crate::fixtures::provision;
use crate::floor::{Floor, code, dec};
use cloud_hub::costing::report::order_report;
use cloud_hub::costing::{Costing, OrderCost, cost_tenant};
use cloud_hub::masterdata::service;
use cloud_hub::reports::{Direction, LotTrace, lot_trace};
use cloud_hub::store::Store;
use mes_protocols::event::{
    EquipmentState, EquipmentStateChanged, MaterialConsumed, OperationPaused, OperationRun, OperationStarted,
    OutputReported, WorkerClock,
};
use mes_protocols::{EventBody, EventDraft, ExecutionId, Incarnation, Quantity, Source, Timestamp};
use rust_decimal::Decimal;
use serde_json::json;

const MIN: i64 = 60_000;

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since.as_millis()).expect("milliseconds since 1970 fit an i64")
}

pub async fn create<T: cloud_hub::masterdata::MasterKind>(
    store: &Store,
    tenant: &str,
    value: serde_json::Value,
) {
    let record: T = serde_json::from_value(value).expect("fixture records are valid JSON");
    service::create(store, tenant, record)
        .await
        .expect("fixture records are accepted");
}

/// The two-level shop of the worked example.
pub struct Shop {
    /// The agent's side: batches, documents, projection.
    pub floor: Floor,
    /// Minute 0.
    pub t0: i64,
    run_a: ExecutionId,
    run_b: ExecutionId,
}

/// Tenant `name`, site plant-1 (overhead 10 % of conversion), and:
/// STEEL (kg, lots, standard 1.20) → MO-A makes 20 SUB (pcs, lots) on
/// PRESS-1 (60/h) at ST1; SUB → MO-B makes 5 FG (pcs, lots) on ASSY-1
/// (24/h) at ST2; workers W1, W2 of type OP (30/h); stock at LINE.
pub async fn shop(store: &Store, name: &str) -> Shop {
    use cloud_hub::masterdata::records::*;
    let agent = provision(store, name).await;
    let tenant = agent.auth.tenant_id.clone();
    let t = tenant.as_str();
    create::<Unit>(store, t, json!({"code": "pcs", "name": "pieces"})).await;
    create::<Unit>(store, t, json!({"code": "kg", "name": "kilogram", "decimals": 3})).await;
    for (m, unit, kind, std) in [
        ("STEEL", "kg", "raw", "1.2"),
        ("SUB", "pcs", "semi_finished", "5"),
        ("FG", "pcs", "finished", "20"),
    ] {
        create::<Material>(
            store,
            t,
            json!({"code": m, "name": m, "kind": kind, "base_unit": unit, "lot_tracked": true,
                   "standard_cost": std}),
        )
        .await;
    }
    create::<EquipmentType>(store, t, json!({"code": "PRESS", "name": "Press"})).await;
    create::<EquipmentType>(store, t, json!({"code": "ASSY", "name": "Assembly"})).await;
    create::<WorkerType>(
        store,
        t,
        json!({"code": "OP", "name": "Operator", "hourly_rate": "30"}),
    )
    .await;
    create::<Equipment>(
        store,
        t,
        json!({"code": "PRESS-1", "name": "Press 1", "equipment_type": "PRESS", "site": "plant-1",
               "hourly_rate": "60"}),
    )
    .await;
    create::<Equipment>(
        store,
        t,
        json!({"code": "ASSY-1", "name": "Bench 1", "equipment_type": "ASSY", "site": "plant-1",
               "hourly_rate": "24"}),
    )
    .await;
    for (w, badge) in [("W1", "B1"), ("W2", "B2")] {
        create::<Worker>(
            store,
            t,
            json!({"code": w, "name": w, "badge": badge, "worker_type": "OP", "site": "plant-1"}),
        )
        .await;
    }
    create::<Routing>(
        store,
        t,
        json!({"material": "SUB", "versions": [{"version": "1", "operations": [
            {"operation": 10, "name": "Press", "equipment_type": "PRESS", "setup_minutes": "10",
             "run_minutes_per_unit": "1", "worker_type": "OP",
             "inputs": [{"material": "STEEL", "quantity_per_unit": "2", "unit": "kg"}]}]}]}),
    )
    .await;
    create::<Routing>(
        store,
        t,
        json!({"material": "FG", "versions": [{"version": "1", "operations": [
            {"operation": 10, "name": "Assemble", "equipment_type": "ASSY", "setup_minutes": "0",
             "run_minutes_per_unit": "2", "worker_type": "OP",
             "inputs": [{"material": "SUB", "quantity_per_unit": "2", "unit": "pcs"}]}]}]}),
    )
    .await;
    create::<Warehouse>(store, t, json!({"code": "W1", "name": "Main", "site": "plant-1"})).await;
    create::<Location>(
        store,
        t,
        json!({"code": "LINE", "warehouse": "W1", "site": "plant-1"}),
    )
    .await;
    for (s, e) in [("ST1", "PRESS-1"), ("ST2", "ASSY-1")] {
        create::<Station>(
            store,
            t,
            json!({"code": s, "name": s, "site": "plant-1", "equipment": [e], "location": "LINE"}),
        )
        .await;
    }
    create::<SiteSettings>(
        store,
        t,
        json!({"code": "plant-1", "production_location": "LINE"}),
    )
    .await;
    create::<cloud_hub::costing::CostingSettings>(
        store,
        t,
        json!({"code": "plant-1", "overhead": {"percent_of_conversion": "10"}}),
    )
    .await;
    for (order, material, quantity) in [("MO-A", "SUB", "20"), ("MO-B", "FG", "5")] {
        create::<ProductionOrder>(
            store,
            t,
            json!({"code": order, "material": material, "quantity": quantity}),
        )
        .await;
        cloud_hub::production::lifecycle::release(
            store,
            t,
            order,
            Some(code("plant-1")),
            time::macros::date!(2026 - 11 - 25),
        )
        .await
        .expect("the order releases");
    }
    Shop {
        floor: Floor {
            agent,
            tenant,
            incarnation: Incarnation::new_v7(),
            next_seq: 1,
            execution: ExecutionId::new_v7(),
        },
        t0: now_ms() + MIN,
        run_a: ExecutionId::new_v7(),
        run_b: ExecutionId::new_v7(),
    }
}

impl Shop {
    /// The instant `minute` minutes after `t0`.
    pub fn at(&self, minute: i64) -> Timestamp {
        Timestamp::from_unix_millis(self.t0 + minute * MIN)
    }

    fn run(&self, b: bool) -> OperationRun {
        OperationRun {
            execution: if b { self.run_b } else { self.run_a },
            order: code(if b { "MO-B" } else { "MO-A" }),
            operation: code("10"),
            station: code(if b { "ST2" } else { "ST1" }),
        }
    }

    fn draft(&self, minute: i64, station: &str, body: EventBody) -> EventDraft {
        EventDraft::new(self.at(minute), Source::Station(code(station)), body)
    }

    fn clock(&self, minute: i64, worker: &str, station: &str, clocked_in: bool) -> EventDraft {
        let c = WorkerClock {
            worker: code(worker),
            station: code(station),
        };
        let body = if clocked_in {
            EventBody::WorkerClockedIn(c)
        } else {
            EventBody::WorkerClockedOut(c)
        };
        self.draft(minute, station, body)
    }

    fn started(&self, minute: i64, b: bool, equipment: &str, worker: &str) -> EventDraft {
        let station = if b { "ST2" } else { "ST1" };
        let body = EventBody::OperationStarted(OperationStarted {
            run: self.run(b),
            equipment: code(equipment),
            workers: vec![code(worker)],
        });
        self.draft(minute, station, body)
    }

    fn consumed(
        &self,
        minute: i64,
        b: bool,
        material: &str,
        lot: &str,
        quantity: &str,
        unit: &str,
    ) -> EventDraft {
        let body = EventBody::MaterialConsumed(MaterialConsumed {
            run: self.run(b),
            material: code(material),
            lot: Some(code(lot)),
            quantity: Quantity::new(dec(quantity), code(unit)),
        });
        self.draft(minute, if b { "ST2" } else { "ST1" }, body)
    }

    fn output(&self, minute: i64, b: bool, good: &str, scrap: &str, lot: &str) -> EventDraft {
        let body = EventBody::OutputReported(OutputReported {
            run: self.run(b),
            material: code(if b { "FG" } else { "SUB" }),
            good: dec(good),
            scrap: dec(scrap),
            unit: code("pcs"),
            scrap_reason: None,
            lot: Some(code(lot)),
        });
        self.draft(minute, if b { "ST2" } else { "ST1" }, body)
    }

    fn state(&self, minute: i64, equipment: &str, state: EquipmentState) -> EventDraft {
        EventDraft::new(
            self.at(minute),
            Source::Device(code(equipment)),
            EventBody::EquipmentStateChanged(EquipmentStateChanged {
                equipment: code(equipment),
                state,
                reason: None,
            }),
        )
    }

    /// Everything on the floor except the late consumption.
    pub fn punctual_events(&self) -> Vec<EventDraft> {
        let st = |b: bool| if b { "ST2" } else { "ST1" };
        vec![
            self.clock(5, "W1", "ST1", true),
            self.state(10, "PRESS-1", EquipmentState::Running),
            self.started(10, false, "PRESS-1", "W1"),
            self.consumed(11, false, "STEEL", "S1", "25", "kg"),
            self.consumed(13, false, "STEEL", "S2", "20", "kg"),
            self.state(35, "PRESS-1", EquipmentState::Idle),
            self.output(40, false, "18", "2", "SUB-L1"),
            self.draft(40, st(false), EventBody::OperationFinished(self.run(false))),
            self.clock(45, "W2", "ST2", true),
            self.started(50, true, "ASSY-1", "W2"),
            self.consumed(51, true, "SUB", "SUB-L1", "10", "pcs"),
            self.draft(
                55,
                st(true),
                EventBody::OperationPaused(OperationPaused {
                    run: self.run(true),
                    reason: None,
                }),
            ),
            self.draft(60, st(true), EventBody::OperationResumed(self.run(true))),
            self.output(70, true, "4", "1", "FG-L1"),
            self.draft(70, st(true), EventBody::OperationFinished(self.run(true))),
            self.clock(80, "W2", "ST2", false),
            self.clock(100, "W1", "ST1", false),
        ]
    }

    /// The consumption of minute 14 that reaches the hub last.
    pub fn late_event(&self) -> EventDraft {
        self.consumed(14, false, "STEEL", "S2", "5", "kg")
    }

    /// The receipts: 100 kg S1 at 1.00 (minute 0), 100 kg S2 at 1.30
    /// (minute 12).
    pub async fn receive(&self, store: &Store) {
        for (doc, lot, price, minute) in [("R1", "S1", "1.00", 0), ("R2", "S2", "1.30", 12)] {
            self.floor
                .post(
                    store,
                    json!({"type": "receipt", "document": doc, "location": "LINE", "material": "STEEL",
                           "lot": lot, "quantity": "100", "unit": "kg", "unit_price": price,
                           "occurred_at": self.at(minute)}),
                )
                .await;
        }
    }

    /// Costs the tenant as of minute 200.
    pub async fn cost(&self, store: &Store) -> Costing {
        let costing = cost_tenant(store, &self.floor.tenant, self.t0 + 200 * MIN)
            .await
            .expect("costing works");
        assert!(costing.converged, "the two-level flow settles");
        costing
    }
}

/// A trace as one line: `material/lot quantity [order quantity [...]]`.
fn render(lots: &[LotTrace]) -> String {
    lots.iter()
        .map(|l| {
            let steps: Vec<String> = l
                .orders
                .iter()
                .map(|s| format!("{} {} [{}]", s.order, s.quantity, render(&s.lots)))
                .collect();
            format!(
                "{}/{} {} [{}]",
                l.material,
                l.lot.as_deref().unwrap_or("-"),
                l.quantity.normalize(),
                steps.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn order<'a>(costing: &'a Costing, code_: &str) -> &'a OrderCost {
    &costing.orders[&code(code_)]
}

fn pool(costing: &Costing, material: &str) -> (Decimal, Decimal) {
    let p = costing.valuation.pools[&(code(material), "plant-1".to_string())];
    (p.quantity, p.value)
}

/// (materials, labour, machine, overhead, total, good, unit cost).
fn elements(o: &OrderCost) -> [Decimal; 6] {
    [o.materials, o.labour, o.machine, o.overhead, o.total, o.good]
}

/// The worked example of issue 6, every figure by hand.
///
/// STEEL pool (plant-1), moving average, values rounded to cents:
/// | min | row | value | pool kg | pool value |
/// |---|---|---|---|---|
/// | 0 | R1 100 kg S1 @ 1.00 | +100.00 | 100 | 100.00 |
/// | 11 | MO-A issue 25 kg S1: 100 × 25/100 | −25.00 | 75 | 75.00 |
/// | 12 | R2 100 kg S2 @ 1.30 | +130.00 | 175 | 205.00 |
/// | 13 | MO-A issue 20 kg S2: 205 × 20/175 = 23.428… | −23.43 | 155 | 181.57 |
/// | 14 | LATE MO-A issue 5 kg S2: 181.57 × 5/155 = 5.857… | −5.86 | 150 | 175.71 |
///
/// MO-A (20 SUB): run 10–40 = 30 min; W1 clocked 5–100 → 30 min × 30/h =
/// 15.00 labour; PRESS-1 running 10–35 within the run → 25 min × 60/h =
/// 25.00 machine; overhead 10 % × 40.00 = 4.00. Output 18 good + 2 scrap.
/// - before the late event: materials 25.00 + 23.43 = 48.43; total 92.43;
///   unit 92.43 / 18 = 5.135.
/// - after: materials 48.43 + 5.86 = 54.29; total 98.29; unit 5.46055… → 5.4606.
///
/// MO-B (5 FG): run 50–70 less pause 55–60 = 15 min; W2 clocked 45–80 →
/// 15 min × 30/h = 7.50; ASSY-1 reports no state (no signal) → the run's
/// 15 min × 24/h = 6.00; overhead 10 % × 13.50 = 1.35. It consumes 10 of
/// the 18 SUB (pool = MO-A's output value). Output 4 good + 1 scrap.
/// - before: 92.43 × 10/18 = 51.35; total 51.35 + 14.85 = 66.20; unit 16.55.
/// - after: 98.29 × 10/18 = 54.6055… → 54.61; total 69.46; unit 17.365.
///
/// Stock values after: STEEL 150 kg 175.71; SUB 8 pcs 98.29 − 54.61 =
/// 43.68; FG 4 pcs 69.46 (before: 155 kg 181.57; 8 pcs 41.08; 66.20).
/// Nothing created or lost: purchases 230.00 + conversion 44.00 + 14.85 =
/// 288.85 = 175.71 + 43.68 + 69.46 (before: 181.57 + 41.08 + 66.20).
pub async fn costing_worked_example(db: &crate::harness::TestDb) {
    let store = &db.store;
    let mut shop = shop(store, "costing").await;
    shop.receive(store).await;
    let punctual = shop.punctual_events();
    shop.floor.send(store, &punctual).await;
    shop.floor.project(store, 100).await;

    let before = shop.cost(store).await;
    assert_eq!(pool(&before, "STEEL"), (dec("155"), dec("181.57")));
    assert_eq!(pool(&before, "SUB"), (dec("8"), dec("41.08")));
    assert_eq!(pool(&before, "FG"), (dec("4"), dec("66.20")));
    let a = order(&before, "MO-A");
    assert_eq!(
        elements(a),
        [
            dec("48.43"),
            dec("15.00"),
            dec("25.00"),
            dec("4.00"),
            dec("92.43"),
            dec("18")
        ]
    );
    assert_eq!(a.unit_cost, Some(dec("5.135")));
    assert_eq!(a.scrap, dec("2"));
    let b = order(&before, "MO-B");
    assert_eq!(
        elements(b),
        [
            dec("51.35"),
            dec("7.50"),
            dec("6.00"),
            dec("1.35"),
            dec("66.20"),
            dec("4")
        ]
    );
    assert_eq!(b.unit_cost, Some(dec("16.55")));
    // Reports record what they showed: unchanged figures keep their date.
    let t = shop.floor.tenant.clone();
    let first = order_report(store, &t, "MO-B", 1_000).await.expect("report");
    let again = order_report(store, &t, "MO-B", 2_000).await.expect("report");
    assert_eq!((first.first_costed_at, first.figures_changed_at), (1_000, 1_000));
    assert_eq!((again.figures_changed_at, again.previous.clone()), (1_000, None));

    let late = [shop.late_event()];
    shop.floor.send(store, &late).await;
    shop.floor.project(store, 100).await;
    let after = shop.cost(store).await;
    assert_eq!(pool(&after, "STEEL"), (dec("150"), dec("175.71")));
    assert_eq!(pool(&after, "SUB"), (dec("8"), dec("43.68")));
    assert_eq!(pool(&after, "FG"), (dec("4"), dec("69.46")));
    let a = order(&after, "MO-A");
    assert_eq!(
        elements(a),
        [
            dec("54.29"),
            dec("15.00"),
            dec("25.00"),
            dec("4.00"),
            dec("98.29"),
            dec("18")
        ]
    );
    assert_eq!(a.unit_cost, Some(dec("5.4606")));
    let steel: Vec<(Option<String>, Decimal, Decimal)> = a
        .inputs
        .iter()
        .map(|i| (i.lot.clone(), i.quantity, i.value))
        .collect();
    assert_eq!(
        steel,
        vec![
            (Some("S1".into()), dec("25"), dec("25.00")),
            (Some("S2".into()), dec("25"), dec("29.29")),
        ]
    );
    let ops: Vec<(Decimal, Decimal, Decimal)> = a
        .operations
        .iter()
        .map(|o| (o.active_minutes, o.labour_minutes, o.machine_minutes))
        .collect();
    assert_eq!(ops, vec![(dec("30"), dec("30"), dec("25"))]);
    let b = order(&after, "MO-B");
    assert_eq!(
        elements(b),
        [
            dec("54.61"),
            dec("7.50"),
            dec("6.00"),
            dec("1.35"),
            dec("69.46"),
            dec("4")
        ]
    );
    assert_eq!(b.unit_cost, Some(dec("17.365")));
    // The late event re-costed MO-B through MO-A's output: its report says
    // since when, and what it said before.
    let later = order_report(store, &t, "MO-B", 3_000).await.expect("report");
    assert_eq!((later.first_costed_at, later.figures_changed_at), (1_000, 3_000));
    let before = later.previous.expect("the earlier figures are kept");
    assert_eq!((before.materials, before.total), (dec("51.35"), dec("66.20")));
    assert_eq!(later.cost.total, dec("69.46"));
    assert_eq!(b.scrap, dec("1"));
    // Traceability across both levels, backward and forward.
    let t = shop.floor.tenant.as_str();
    let back = lot_trace(store, t, "FG-L1", Direction::Backward)
        .await
        .expect("trace reads");
    assert_eq!(
        render(&back),
        "FG/FG-L1 4 [MO-B 4 [SUB/SUB-L1 10 [MO-A 18 [STEEL/S1 25 [], STEEL/S2 25 []]]]]"
    );
    let fwd = lot_trace(store, t, "S1", Direction::Forward)
        .await
        .expect("trace reads");
    assert_eq!(
        render(&fwd),
        "STEEL/S1 25 [MO-A 25 [SUB/SUB-L1 18 [MO-B 10 [FG/FG-L1 4 []]]]]"
    );
    let fwd = lot_trace(store, t, "S2", Direction::Forward)
        .await
        .expect("trace reads");
    assert_eq!(
        render(&fwd),
        "STEEL/S2 25 [MO-A 25 [SUB/SUB-L1 18 [MO-B 10 [FG/FG-L1 4 []]]]]"
    );
    // Value conservation.
    let on_hand: Decimal = after.valuation.pools.values().map(|p| p.value).sum();
    assert_eq!(
        on_hand,
        dec("230.00") + a.labour + a.machine + a.overhead + b.labour + b.machine + b.overhead
    );
}

/// Value conservation on random floors: receipts of STEEL lots at random
/// prices and times, random consumptions of STEEL by MO-A and of SUB by
/// MO-B (stock may go negative: settlements), random outputs (MO-B's may
/// never come: work in progress), scrap and adjustment documents, events
/// sent in random batches and orders (late ones), plus the fixed runs of
/// the worked example (conversion 44.00 and 14.85). For every scenario,
/// with purchases counted from the documents as posted:
/// purchases + adjustments + conversion of orders with output
/// = on hand + scrap + settlements + materials of orders without output.
pub async fn costing_conserves_value_on_random_floors(db: &crate::harness::TestDb) {
    use cloud_hub::costing::valuation::Flow;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    let store = &db.store;
    for seed in [3_u64, 42, 2024, 777] {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut shop = shop(store, &format!("conserve-{seed}")).await;
        create::<cloud_hub::masterdata::records::Reason>(
            store,
            &shop.floor.tenant,
            json!({"code": "DAMAGED", "kind": "scrap", "text": "damaged"}),
        )
        .await;
        let mut purchases = Decimal::ZERO;
        for i in 0..rng.random_range(1..5) {
            let qty = rng.random_range(1..60);
            let cents = rng.random_range(50..250);
            let price = Decimal::new(cents, 2);
            purchases += cloud_hub::costing::money(Decimal::from(qty) * price);
            shop.floor
                .post(
                    store,
                    json!({"type": "receipt", "document": format!("R{i}"), "location": "LINE",
                           "material": "STEEL", "lot": format!("S{}", i % 2 + 1), "quantity": qty.to_string(),
                           "unit": "kg", "unit_price": price.to_string(),
                           "occurred_at": shop.at(rng.random_range(0..90))}),
                )
                .await;
        }
        for i in 0..rng.random_range(0..3) {
            let qty = rng.random_range(1..10);
            let doc = if rng.random_bool(0.5) {
                json!({"type": "scrap", "document": format!("X{i}"), "location": "LINE", "material": "STEEL",
                       "lot": "S1", "quantity": qty.to_string(), "unit": "kg", "reason": "DAMAGED",
                       "occurred_at": shop.at(rng.random_range(0..90))})
            } else {
                let signed = if rng.random_bool(0.5) { qty } else { -qty };
                json!({"type": "adjustment", "document": format!("A{i}"), "location": "LINE",
                       "material": "STEEL", "lot": "S2", "quantity": signed.to_string(), "unit": "kg",
                       "note": "recount", "occurred_at": shop.at(rng.random_range(0..90))})
            };
            shop.floor.post(store, doc).await;
        }
        let mut drafts: Vec<EventDraft> = shop
            .punctual_events()
            .into_iter()
            .filter(|d| {
                !matches!(
                    d.body,
                    EventBody::MaterialConsumed(_) | EventBody::OutputReported(_)
                )
            })
            .collect();
        for _ in 0..rng.random_range(1..6) {
            let qty = rng.random_range(1..30).to_string();
            let lot = if rng.random_bool(0.5) { "S1" } else { "S2" };
            drafts.push(shop.consumed(rng.random_range(10..40), false, "STEEL", lot, &qty, "kg"));
        }
        for _ in 0..rng.random_range(0..3) {
            let good = rng.random_range(1..10).to_string();
            drafts.push(shop.output(rng.random_range(10..41), false, &good, "1", "SUB-L1"));
        }
        for _ in 0..rng.random_range(0..3) {
            let qty = rng.random_range(1..6).to_string();
            drafts.push(shop.consumed(rng.random_range(50..70), true, "SUB", "SUB-L1", &qty, "pcs"));
        }
        if rng.random_bool(0.5) {
            drafts.push(shop.output(rng.random_range(50..71), true, "2", "0", "FG-L1"));
        }
        // Random arrival: shuffled, in random batches, projected between.
        for i in (1..drafts.len()).rev() {
            drafts.swap(i, rng.random_range(0..=i));
        }
        for chunk in drafts.chunks(rng.random_range(1..8)) {
            shop.floor.send(store, chunk).await;
            shop.floor.project(store, rng.random_range(1..20)).await;
        }
        let costing = shop.cost(store).await;
        let rows = &costing.valuation.rows;
        let sum = |flow: Flow| -> Decimal { rows.iter().filter(|r| r.flow == flow).map(|r| r.value).sum() };
        let settlements: Decimal = rows.iter().map(|r| r.settlement).sum();
        let on_hand: Decimal = costing.valuation.pools.values().map(|p| p.value).sum();
        let (mut conversion, mut wip) = (Decimal::ZERO, Decimal::ZERO);
        for o in costing.orders.values() {
            if o.good > Decimal::ZERO {
                conversion += o.labour + o.machine + o.overhead;
            } else {
                wip += o.materials;
            }
        }
        assert_eq!(
            sum(Flow::Purchase),
            purchases,
            "seed {seed}: receipts valued as posted"
        );
        assert_eq!(
            purchases + sum(Flow::Adjustment) + conversion,
            on_hand - sum(Flow::Scrap) + settlements + wip,
            "seed {seed}: value in = on hand + scrap + settlements + work in progress"
        );
    }
}
