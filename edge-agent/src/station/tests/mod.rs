//! The station rules against a fixed set of master data: the full flow, each
//! rejection, and the state that must survive a restart.

mod approval;
mod flow;
mod plan_order;
mod rejections;

use super::rules::{Accepted, Ctx, Rejection, decide};
use super::state::Floor;
use super::step::Step;
use crate::downlink::MasterData;
use mes_protocols::barcode::{ScanConfig, ScanParser};
use mes_protocols::downlink::*;
use mes_protocols::{Code, EventBody, Timestamp};
use rust_decimal::Decimal;
use std::collections::HashMap;
use time::macros::date;

pub(super) fn code(raw: &str) -> Code {
    Code::parse(raw).expect("test codes are valid")
}

pub(super) fn dec(raw: &str) -> Decimal {
    raw.parse().expect("test decimals are valid")
}

/// Two stations (a press and a lathe), two workers, steel in kg or sheets,
/// paint, lots (good, expired, blocked), order PO-1 (press then lathe),
/// reasons of each kind.
pub(super) fn master_data() -> MasterData {
    let op = |operation: &str, equipment_type: &str, worker_type: Option<&str>, input: (&str, &str, &str)| {
        OrderOperation {
            operation: code(operation),
            name: format!("op {operation}"),
            equipment_type: code(equipment_type),
            worker_type: worker_type.map(code),
            setup_minutes: dec("10"),
            run_minutes_per_unit: dec("0.5"),
            inputs: vec![OperationInput {
                material: code(input.0),
                quantity_per_unit: dec(input.1),
                unit: code(input.2),
            }],
            output: None,
        }
    };
    let station = |c: &str, eq: &str| {
        Record::Station(StationRecord {
            code: code(c),
            name: format!("Station {c}"),
            equipment: vec![code(eq)],
            location: None,
        })
    };
    let equipment = |c: &str, t: &str| {
        Record::Equipment(EquipmentRecord {
            code: code(c),
            name: c.to_uppercase(),
            equipment_type: code(t),
        })
    };
    let worker = |c: &str, name: &str, badge: &str, t: &str| {
        Record::Worker(WorkerRecord {
            code: code(c),
            name: name.into(),
            badge: code(badge),
            worker_type: code(t),
        })
    };
    let lot = |m: &str, l: &str, expires_on, blocked| {
        Record::Lot(LotRecord {
            material: code(m),
            lot: code(l),
            expires_on,
            blocked,
            manufacturer: None,
        })
    };
    let reason = |c: &str, kind, text: &str| {
        Record::Reason(ReasonRecord {
            code: code(c),
            reason_kind: kind,
            text: text.into(),
        })
    };
    let material = |c: &str, unit: &str, alt: Option<(&str, &str)>| {
        Record::Material(MaterialRecord {
            code: code(c),
            name: c.to_lowercase(),
            base_unit: code(unit),
            alt_units: alt
                .map(|(u, f)| AltUnit {
                    unit: code(u),
                    factor: dec(f),
                })
                .into_iter()
                .collect(),
            lot_tracked: true,
        })
    };
    MasterData::from_records([
        station("st-1", "press-1"),
        station("st-2", "lathe-1"),
        equipment("press-1", "PRESS"),
        equipment("lathe-1", "LATHE"),
        worker("W1", "Ana", "0001", "OPERATOR"),
        worker("W2", "Bo", "0002", "WELDER"),
        material("STEEL", "kg", Some(("sheet", "2.5"))),
        material("PAINT", "l", None),
        material("BRACKET", "pcs", None),
        lot("STEEL", "L-1", Some(date!(2030 - 12 - 31)), false),
        lot("STEEL", "L-2", None, false),
        lot("STEEL", "L-OLD", Some(date!(2020 - 01 - 01)), false),
        lot("STEEL", "L-BLK", None, true),
        lot("PAINT", "P-1", None, false),
        Record::Order(OrderRecord {
            code: code("PO-1"),
            material: code("BRACKET"),
            quantity: dec("100"),
            unit: code("pcs"),
            due: None,
            status: OrderStatus::Released,
            customer: None,
            operations: vec![
                op("10", "PRESS", Some("OPERATOR"), ("STEEL", "0.25", "kg")),
                op("20", "LATHE", None, ("PAINT", "0.01", "l")),
            ],
        }),
        reason("JAM", ReasonKind::Downtime, "Material jam"),
        reason("BURR", ReasonKind::Scrap, "Burr"),
        reason("BREAK", ReasonKind::Pause, "Break"),
    ])
}

/// A floor and master data that steps are played against.
pub(super) struct Bench {
    pub data: MasterData,
    pub floor: Floor,
    pub now: Timestamp,
    pub parser: ScanParser,
    pub down: HashMap<Code, Timestamp>,
}

impl Bench {
    pub fn new() -> Self {
        let scan = ScanConfig {
            badge_prefix: Some("B-".into()),
            order_prefix: Some("PO:".into()),
            lot_prefix: Some("L:".into()),
            ..ScanConfig::default()
        };
        Self {
            data: master_data(),
            floor: Floor::default(),
            // 2026-06-01T08:00:00Z
            now: Timestamp::from_unix_millis(1_780_300_800_000),
            parser: ScanParser::new(&scan).expect("valid scan config"),
            down: HashMap::new(),
        }
    }

    /// Plays `step` at `station`; an accepted step changes the floor.
    pub fn play(&mut self, station: &str, step: Step) -> Result<Accepted, Rejection> {
        let station = code(station);
        let ctx = Ctx {
            data: &self.data,
            floor: &self.floor,
            station: &station,
            now: self.now,
            parser: &self.parser,
            down_since: &self.down,
        };
        let result = decide(&ctx, &step);
        if let Ok(accepted) = &result {
            self.floor = accepted.floor.clone();
        }
        result
    }

    /// Plays a plain scan that must be accepted; returns its events.
    pub fn ok(&mut self, station: &str, step: Step) -> Vec<EventBody> {
        match self.play(station, step.clone()) {
            Ok(accepted) => accepted.events,
            Err(r) => panic!("{step:?} at {station} rejected: {r}"),
        }
    }

    /// Plays a step that must be rejected; returns the reason, and checks
    /// the floor did not change.
    pub fn no(&mut self, station: &str, step: Step) -> String {
        let before = self.floor.clone();
        match self.play(station, step.clone()) {
            Ok(accepted) => panic!("{step:?} at {station} accepted: {}", accepted.message),
            Err(r) => {
                assert_eq!(self.floor, before, "a rejected step changes nothing");
                r.0
            }
        }
    }
}

pub(super) fn scan(text: &str) -> Step {
    Step::scan(text)
}

pub(super) fn lot_scan(text: &str, quantity: Option<&str>, unit: Option<&str>) -> Step {
    Step::Scan {
        code: text.into(),
        quantity: quantity.map(dec),
        unit: unit.map(code),
        operation: None,
    }
}
