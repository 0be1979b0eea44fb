//! Properties of the codec: encode then decode gives the value back for
//! every data type and order, and decoding arbitrary device data never
//! panics.

use super::*;
use proptest::prelude::*;

fn arb_order() -> impl Strategy<Value = WordOrder> {
    prop::sample::select(WordOrder::ALL.to_vec())
}

fn arb_string_type() -> impl Strategy<Value = DataType> {
    (1_u16..=MAX_READ_REGISTERS).prop_filter_map("valid length", |n| {
        StringRegisters::new(n)
            .ok()
            .map(|registers| DataType::String { registers })
    })
}

fn arb_data_type() -> impl Strategy<Value = DataType> {
    prop_oneof![
        Just(DataType::Bool),
        (0_u8..=15).prop_filter_map("valid bit", |b| BitIndex::new(b).ok().map(DataType::Bit)),
        prop::sample::select(vec![
            DataType::U16,
            DataType::I16,
            DataType::U32,
            DataType::I32,
            DataType::U64,
            DataType::I64,
            DataType::F32,
            DataType::F64,
        ]),
        arb_string_type(),
    ]
}

/// Text that survives the padding rules: no NUL, no trailing space.
fn arb_text(max_bytes: usize) -> impl Strategy<Value = String> {
    "[^\u{0}]{0,40}".prop_map(move |s| {
        let mut out = String::new();
        for c in s.chars() {
            if out.len() + c.len_utf8() > max_bytes {
                break;
            }
            out.push(c);
        }
        out.trim_end_matches(' ').to_string()
    })
}

/// A data type with a value it can hold.
fn arb_typed_value() -> impl Strategy<Value = (DataType, RawValue)> {
    use RawValue::{Bool, Float, Signed, Unsigned};
    prop_oneof![
        (0_u8..=15, any::<bool>()).prop_filter_map("valid bit", |(b, v)| BitIndex::new(b)
            .ok()
            .map(|b| (DataType::Bit(b), Bool(v)))),
        any::<u16>().prop_map(|v| (DataType::U16, Unsigned(u64::from(v)))),
        any::<i16>().prop_map(|v| (DataType::I16, Signed(i64::from(v)))),
        any::<u32>().prop_map(|v| (DataType::U32, Unsigned(u64::from(v)))),
        any::<i32>().prop_map(|v| (DataType::I32, Signed(i64::from(v)))),
        any::<u64>().prop_map(|v| (DataType::U64, Unsigned(v))),
        any::<i64>().prop_map(|v| (DataType::I64, Signed(v))),
        any::<u32>().prop_map(|bits| (DataType::F32, Float(f64::from(f32::from_bits(bits))))),
        any::<u64>().prop_map(|bits| (DataType::F64, Float(f64::from_bits(bits)))),
        arb_string_type().prop_flat_map(|t| {
            let max = usize::from(t.count()) * 2;
            arb_text(max).prop_map(move |s| (t, RawValue::Text(s)))
        }),
    ]
}

/// Equality that treats every NaN as equal to every other NaN.
fn same(a: &RawValue, b: &RawValue) -> bool {
    match (a, b) {
        (RawValue::Float(x), RawValue::Float(y)) if x.is_nan() && y.is_nan() => true,
        _ => a == b,
    }
}

proptest! {
    #[test]
    fn encode_then_decode_gives_the_value_back((data_type, value) in arb_typed_value(), order in arb_order()) {
        let words = encode_registers(data_type, order, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(words.len(), usize::from(data_type.count()));
        let back = decode_registers(data_type, order, &words).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(same(&back, &value), "{} in {}: {:?} -> {:04X?} -> {:?}", data_type, order, value, words, back);
    }

    #[test]
    fn decode_then_encode_gives_the_words_back(
        data_type in prop::sample::select(vec![
            DataType::U16, DataType::I16, DataType::U32, DataType::I32,
            DataType::U64, DataType::I64, DataType::F64,
        ]),
        order in arb_order(),
        words in prop::collection::vec(any::<u16>(), 4),
    ) {
        let words = words.get(..usize::from(data_type.count())).unwrap_or_default();
        let value = decode_registers(data_type, order, words).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = encode_registers(data_type, order, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, words);
    }

    #[test]
    fn bools_round_trip_through_bits(value in any::<bool>()) {
        let bits = encode_bits(DataType::Bool, &RawValue::Bool(value)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decode_bits(DataType::Bool, &bits), Ok(RawValue::Bool(value)));
    }

    #[test]
    fn decoding_arbitrary_words_never_panics(
        data_type in arb_data_type(),
        order in arb_order(),
        words in prop::collection::vec(any::<u16>(), 0..130),
        exact in any::<bool>(),
    ) {
        let words = if exact { words.get(..usize::from(data_type.count())).unwrap_or(&words) } else { &words };
        let result = decode_registers(data_type, order, words);
        if data_type != DataType::Bool && words.len() == usize::from(data_type.count()) {
            let is_text = matches!(data_type, DataType::String { .. });
            prop_assert!(result.is_ok() || is_text, "{}: {:?}", data_type, result);
        } else {
            prop_assert!(result.is_err());
        }
    }

    #[test]
    fn decoding_arbitrary_bits_never_panics(
        data_type in arb_data_type(),
        bits in prop::collection::vec(any::<bool>(), 0..4),
    ) {
        let result = decode_bits(data_type, &bits);
        prop_assert_eq!(result.is_ok(), data_type == DataType::Bool && bits.len() == 1);
    }

    #[test]
    fn scaling_and_counters_never_panic((_, value) in arb_typed_value(), scale in any::<f64>(), offset in any::<f64>()) {
        if let Ok(scaling) = Scaling::new(scale, offset)
            && let Ok(x) = value.to_process_value(scaling)
        {
            prop_assert!(x.is_finite());
        }
        let _ = value.to_counter();
    }
}
