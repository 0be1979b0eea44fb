//! Malformed payloads never panic, whatever the bytes; valid ones survive
//! a round trip; the tracker takes any sequence of messages.

use super::*;
use proptest::prelude::*;

fn metric() -> impl Strategy<Value = Metric> {
    (
        proptest::option::of("[a-z/]{1,8}"),
        proptest::option::of(0u64..8),
        proptest::option::of(0u32..40),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(RawValue::None),
            any::<u32>().prop_map(RawValue::Int),
            any::<u64>().prop_map(RawValue::Long),
            any::<bool>().prop_map(RawValue::Bool),
            (-1e9f64..1e9).prop_map(RawValue::Double),
            "[a-z]{0,6}".prop_map(RawValue::Text),
        ],
    )
        .prop_map(|(name, alias, datatype, is_historical, is_null, value)| Metric {
            name,
            alias,
            timestamp: None,
            datatype,
            is_historical,
            is_null,
            value,
        })
}

fn payload() -> impl Strategy<Value = Payload> {
    (
        proptest::option::of(any::<u64>()),
        proptest::option::of(0u64..300),
        proptest::collection::vec(metric(), 0..6),
    )
        .prop_map(|(timestamp, seq, metrics)| Payload {
            timestamp,
            seq,
            metrics,
        })
}

fn kind() -> impl Strategy<Value = (MessageType, bool)> {
    prop_oneof![
        Just((MessageType::NBirth, false)),
        Just((MessageType::NDeath, false)),
        Just((MessageType::NData, false)),
        Just((MessageType::DBirth, true)),
        Just((MessageType::DDeath, true)),
        Just((MessageType::DData, true)),
        Just((MessageType::NCmd, false)),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn corrupted_payloads_never_panic(p in payload(), at in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
        let mut bytes = encode(&p);
        if !bytes.is_empty() {
            let i = at % bytes.len();
            bytes[i] = byte;
            bytes.truncate(cut % (bytes.len() + 1));
        }
        if let Ok(decoded) = decode(&bytes) {
            for m in &decoded.metrics {
                let _ = m.read(DataType::from_code(m.datatype.unwrap_or(0)));
            }
        }
    }

    #[test]
    fn payloads_round_trip(p in payload()) {
        let mut expected = p.clone();
        for m in &mut expected.metrics {
            if let RawValue::Other(_) = m.value { m.value = RawValue::None; }
        }
        prop_assert_eq!(decode(&encode(&p)), Ok(expected));
    }

    #[test]
    fn the_tracker_takes_any_message_sequence(
        messages in proptest::collection::vec((kind(), 0usize..2, payload(), 0i64..20_000), 0..40)
    ) {
        let mut tracker = Tracker::new(1_000);
        for ((kind, is_device), device, payload, now) in messages {
            let devices = ["a", "b"];
            let topic = Topic::edge("g", kind, "n", is_device.then_some(devices[device]));
            let out = tracker.handle(&topic, &payload, now);
            if let Some((group, node)) = &out.rebirth {
                prop_assert_eq!((group.as_str(), node.as_str()), ("g", "n"));
            }
        }
        let _ = tracker.connection_lost();
    }
}
