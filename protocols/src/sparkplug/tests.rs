use super::*;

const T0: i64 = 1_000_000;

fn birth_metric(name: &str, alias: u64, datatype: DataType, value: MetricValue) -> Metric {
    Metric {
        alias: Some(alias),
        ..Metric::named(name, datatype, Some(&value))
    }
}

fn data_metric(alias: u64, datatype: DataType, value: MetricValue) -> Metric {
    Metric {
        alias: Some(alias),
        value: value.to_raw(datatype),
        ..Metric::default()
    }
}

fn payload(seq: Option<u64>, metrics: Vec<Metric>) -> Payload {
    // Through the wire, so every test also checks encode/decode.
    decode(&encode(&Payload {
        timestamp: Some(5_000),
        seq,
        metrics,
    }))
    .expect("our own encoding decodes")
}

fn topic(kind: MessageType, device: Option<&str>) -> Topic {
    Topic::edge("plant", kind, "gw1", device)
}

fn nbirth(seq: u64, bd_seq: u64) -> Payload {
    payload(
        Some(seq),
        vec![
            birth_metric(BD_SEQ, 0, DataType::UInt64, MetricValue::UInt(bd_seq)),
            birth_metric(REBIRTH, 1, DataType::Boolean, MetricValue::Bool(false)),
        ],
    )
}

fn dbirth(seq: u64) -> Payload {
    payload(
        Some(seq),
        vec![
            birth_metric("state", 10, DataType::String, MetricValue::Text("idle".into())),
            birth_metric("good", 11, DataType::UInt32, MetricValue::UInt(7)),
            birth_metric("temp", 12, DataType::Float, MetricValue::Float(20.5)),
            birth_metric("offset", 13, DataType::Int16, MetricValue::Int(-3)),
        ],
    )
}

fn born_tracker() -> Tracker {
    let mut t = Tracker::new(5_000);
    let out = t.handle(&topic(MessageType::NBirth, None), &nbirth(0, 3), T0);
    assert!(out.anomalies.is_empty(), "{out:?}");
    let out = t.handle(&topic(MessageType::DBirth, Some("press")), &dbirth(1), T0);
    assert!(out.anomalies.is_empty(), "{out:?}");
    t
}

fn values(out: &Outcome) -> Vec<(String, MetricValue)> {
    out.changes
        .iter()
        .filter_map(|c| match c {
            Change::Values {
                values,
                historical: false,
                ..
            } => Some(values.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn press() -> Source {
    Source {
        group: "plant".into(),
        node: "gw1".into(),
        device: Some("press".into()),
    }
}

#[test]
fn a_device_birth_gives_its_values_by_name_with_signed_integers_read_by_type() {
    let mut t = Tracker::new(5_000);
    t.handle(&topic(MessageType::NBirth, None), &nbirth(0, 3), T0);
    let out = t.handle(&topic(MessageType::DBirth, Some("press")), &dbirth(1), T0);
    assert_eq!(out.changes[0], Change::Born(press()));
    assert_eq!(
        values(&out),
        [
            ("state".to_string(), MetricValue::Text("idle".into())),
            ("good".to_string(), MetricValue::UInt(7)),
            ("temp".to_string(), MetricValue::Float(20.5)),
            ("offset".to_string(), MetricValue::Int(-3)),
        ]
    );
    assert_eq!(out.rebirth, None);
}

#[test]
fn data_by_alias_resolves_through_the_birth() {
    let mut t = born_tracker();
    let out = t.handle(
        &topic(MessageType::DData, Some("press")),
        &payload(
            Some(2),
            vec![
                data_metric(11, DataType::UInt32, MetricValue::UInt(8)),
                data_metric(10, DataType::String, MetricValue::Text("running".into())),
            ],
        ),
        T0,
    );
    assert_eq!(
        values(&out),
        [
            ("good".to_string(), MetricValue::UInt(8)),
            ("state".to_string(), MetricValue::Text("running".into())),
        ]
    );
    assert!(out.anomalies.is_empty());
}

#[test]
fn a_seq_gap_is_read_and_asks_for_one_rebirth_until_the_interval_passes() {
    let mut t = born_tracker();
    let gap = payload(
        Some(5),
        vec![data_metric(11, DataType::UInt32, MetricValue::UInt(9))],
    );
    let out = t.handle(&topic(MessageType::DData, Some("press")), &gap, T0);
    assert_eq!(
        out.anomalies,
        [Anomaly::SeqGap {
            node: "gw1".into(),
            expected: 2,
            got: Some(5)
        }]
    );
    assert_eq!(out.rebirth, Some(("plant".into(), "gw1".into())));
    assert_eq!(values(&out), [("good".to_string(), MetricValue::UInt(9))]);
    let again = payload(Some(9), vec![]);
    let out = t.handle(&topic(MessageType::NData, None), &again, T0 + 100);
    assert_eq!(out.anomalies.len(), 1, "the second gap is counted");
    assert_eq!(out.rebirth, None, "but no second request within the interval");
    let out = t.handle(
        &topic(MessageType::NData, None),
        &payload(Some(20), vec![]),
        T0 + 5_000,
    );
    assert!(out.rebirth.is_some(), "asked again once the interval passed");
    // The rebirth restores everything and checks seq from the birth on.
    let out = t.handle(&topic(MessageType::NBirth, None), &nbirth(0, 3), T0 + 6_000);
    assert!(out.anomalies.is_empty());
    let out = t.handle(&topic(MessageType::DData, Some("press")), &gap, T0 + 6_000);
    assert!(matches!(
        out.anomalies[..],
        [Anomaly::SeqGap { .. }, Anomaly::NotBorn(_)]
    ));
}

#[test]
fn seq_wraps_after_255() {
    let mut t = Tracker::new(5_000);
    t.handle(&topic(MessageType::NBirth, None), &nbirth(254, 1), T0);
    for seq in [255, 0, 1] {
        let out = t.handle(&topic(MessageType::NData, None), &payload(Some(seq), vec![]), T0);
        assert!(out.anomalies.is_empty(), "seq {seq}: {out:?}");
    }
}

#[test]
fn unknown_alias_and_unborn_sources_ask_for_a_rebirth() {
    let mut t = born_tracker();
    let out = t.handle(
        &topic(MessageType::DData, Some("press")),
        &payload(
            Some(2),
            vec![data_metric(99, DataType::UInt32, MetricValue::UInt(1))],
        ),
        T0,
    );
    assert_eq!(
        out.anomalies,
        [Anomaly::UnknownAlias {
            source: press(),
            alias: 99
        }]
    );
    assert!(out.rebirth.is_some());

    let mut fresh = Tracker::new(5_000);
    let out = fresh.handle(&topic(MessageType::NData, None), &payload(Some(7), vec![]), T0);
    assert!(matches!(out.anomalies[..], [Anomaly::NotBorn(_)]));
    assert_eq!(out.rebirth, Some(("plant".into(), "gw1".into())));
    assert!(out.changes.is_empty(), "nothing read before a birth");
}

#[test]
fn node_death_takes_its_devices_and_a_stale_will_is_ignored() {
    let mut t = born_tracker();
    let stale = payload(
        None,
        vec![birth_metric(BD_SEQ, 0, DataType::UInt64, MetricValue::UInt(2))],
    );
    let out = t.handle(&topic(MessageType::NDeath, None), &stale, T0);
    assert!(out.changes.is_empty(), "bdSeq 2 is an older session's will");
    let death = payload(
        None,
        vec![birth_metric(BD_SEQ, 0, DataType::UInt64, MetricValue::UInt(3))],
    );
    let out = t.handle(&topic(MessageType::NDeath, None), &death, T0);
    let node = Source {
        device: None,
        ..press()
    };
    assert_eq!(out.changes, [Change::Died(press()), Change::Died(node)]);
    let out = t.handle(
        &topic(MessageType::DDeath, Some("press")),
        &payload(Some(2), vec![]),
        T0,
    );
    assert!(
        matches!(out.anomalies[..], [Anomaly::NotBorn(_)]),
        "dead until reborn"
    );
}

#[test]
fn device_death_and_connection_loss_report_offline() {
    let mut t = born_tracker();
    let out = t.handle(
        &topic(MessageType::DDeath, Some("press")),
        &payload(Some(2), vec![]),
        T0,
    );
    assert_eq!(out.changes, [Change::Died(press())]);
    let mut t = born_tracker();
    let changes = t.connection_lost();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0], Change::Died(press()));
}

#[test]
fn historical_metrics_keep_their_own_timestamps() {
    let mut t = born_tracker();
    let mut old = data_metric(11, DataType::UInt32, MetricValue::UInt(3));
    old.is_historical = true;
    old.timestamp = Some(1_234);
    let now = data_metric(11, DataType::UInt32, MetricValue::UInt(9));
    let out = t.handle(
        &topic(MessageType::DData, Some("press")),
        &payload(Some(2), vec![old, now]),
        T0,
    );
    assert_eq!(
        out.changes,
        [
            Change::Values {
                source: press(),
                timestamp: Some(1_234),
                historical: true,
                values: vec![("good".into(), MetricValue::UInt(3))]
            },
            Change::Values {
                source: press(),
                timestamp: Some(5_000),
                historical: false,
                values: vec![("good".into(), MetricValue::UInt(9))]
            }
        ]
    );
}

#[test]
fn values_that_do_not_fit_their_type_are_bad_metrics() {
    let mut t = born_tracker();
    let out = t.handle(
        &topic(MessageType::DData, Some("press")),
        &payload(
            Some(2),
            vec![
                data_metric(10, DataType::String, MetricValue::Text("setup".into())),
                Metric {
                    alias: Some(11),
                    value: RawValue::Text("x".into()),
                    ..Metric::default()
                },
            ],
        ),
        T0,
    );
    assert_eq!(out.anomalies.len(), 1, "{out:?}");
    assert!(
        matches!(&out.anomalies[0], Anomaly::BadMetric { reason, .. } if reason.contains("UInt32 metric carries string_value")),
        "{out:?}"
    );
    assert_eq!(
        values(&out),
        [("state".to_string(), MetricValue::Text("setup".into()))]
    );
}

#[test]
fn narrow_integers_read_in_both_encodings() {
    assert_eq!(
        read_value(DataType::Int8, &RawValue::Int(0xFFFF_FFFF)),
        Ok(MetricValue::Int(-1))
    );
    assert_eq!(
        read_value(DataType::Int8, &RawValue::Int(0xFF)),
        Ok(MetricValue::Int(-1))
    );
    assert!(read_value(DataType::Int8, &RawValue::Int(0x1FF)).is_err());
    assert_eq!(
        read_value(DataType::UInt16, &RawValue::Int(65_535)),
        Ok(MetricValue::UInt(65_535))
    );
    assert!(read_value(DataType::UInt16, &RawValue::Int(65_536)).is_err());
    assert_eq!(
        read_value(DataType::Int64, &RawValue::Long(u64::MAX)),
        Ok(MetricValue::Int(-1))
    );
    assert!(matches!(
        read_value(DataType::from_code(16), &RawValue::Other("a data set")),
        Err(ValueError::Unsupported(_))
    ));
    assert_eq!(DataType::from_code(16).to_string(), "DataSet");
}

#[test]
fn garbage_is_a_decode_error() {
    assert!(decode(&[0xff, 0xff, 0xff]).is_err());
    assert!(decode(b"{\"json\": true}").is_err());
    assert_eq!(
        decode(&[]),
        Ok(Payload::default()),
        "the empty message is a payload"
    );
}

#[test]
fn a_rebirth_of_a_live_node_is_no_new_birth_but_after_a_death_it_is() {
    let mut t = born_tracker();
    let out = t.handle(&topic(MessageType::NBirth, None), &nbirth(0, 3), T0);
    assert!(
        !out.changes.iter().any(|c| matches!(c, Change::Born(_))),
        "{out:?}"
    );
    let out = t.handle(&topic(MessageType::DBirth, Some("press")), &dbirth(1), T0);
    assert!(
        !out.changes.iter().any(|c| matches!(c, Change::Born(_))),
        "{out:?}"
    );
    assert!(!values(&out).is_empty(), "its values are still read");
    let death = payload(
        None,
        vec![birth_metric(BD_SEQ, 0, DataType::UInt64, MetricValue::UInt(3))],
    );
    let out = t.handle(&topic(MessageType::NDeath, None), &death, T0);
    assert_eq!(out.changes.len(), 2, "the device and the node die: {out:?}");
    let out = t.handle(&topic(MessageType::NBirth, None), &nbirth(0, 4), T0);
    assert!(matches!(out.changes[0], Change::Born(_)));
    let out = t.handle(&topic(MessageType::DBirth, Some("press")), &dbirth(1), T0);
    assert_eq!(out.changes[0], Change::Born(press()));
}
