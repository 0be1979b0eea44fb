//! Reference vectors: every data type in every byte/word order, written out
//! by hand from the conventions documented on [`WordOrder`], checked in both
//! directions; plus strings, special floats and the error messages.

use super::*;

use WordOrder::{Abcd, Badc, Cdab, Dcba};

fn bit(n: u8) -> DataType {
    DataType::Bit(BitIndex::new(n).expect("test bit index is 0..=15"))
}

fn string(registers: u16) -> DataType {
    DataType::String {
        registers: StringRegisters::new(registers).expect("test length is 1..=125"),
    }
}

fn decoded(data_type: DataType, order: WordOrder, words: &[u16]) -> RawValue {
    decode_registers(data_type, order, words)
        .unwrap_or_else(|e| panic!("{data_type} {order} {words:04X?} should decode: {e}"))
}

/// One value and its registers in the orders ABCD, CDAB, BADC, DCBA.
struct Vector {
    data_type: DataType,
    value: RawValue,
    words: [&'static [u16]; 4],
}

fn vectors() -> Vec<Vector> {
    use RawValue::{Float, Signed, Unsigned};
    let v = |data_type, value, words| Vector {
        data_type,
        value,
        words,
    };
    vec![
        v(
            DataType::U16,
            Unsigned(0x1234),
            [&[0x1234], &[0x1234], &[0x3412], &[0x3412]],
        ),
        v(
            DataType::U16,
            Unsigned(65535),
            [&[0xFFFF], &[0xFFFF], &[0xFFFF], &[0xFFFF]],
        ),
        v(
            DataType::I16,
            Signed(-2),
            [&[0xFFFE], &[0xFFFE], &[0xFEFF], &[0xFEFF]],
        ),
        v(
            DataType::I16,
            Signed(-32768),
            [&[0x8000], &[0x8000], &[0x0080], &[0x0080]],
        ),
        v(
            DataType::I16,
            Signed(300),
            [&[0x012C], &[0x012C], &[0x2C01], &[0x2C01]],
        ),
        v(
            DataType::U32,
            Unsigned(0x1234_5678),
            [
                &[0x1234, 0x5678],
                &[0x5678, 0x1234],
                &[0x3412, 0x7856],
                &[0x7856, 0x3412],
            ],
        ),
        v(
            DataType::I32,
            Signed(-2),
            [
                &[0xFFFF, 0xFFFE],
                &[0xFFFE, 0xFFFF],
                &[0xFFFF, 0xFEFF],
                &[0xFEFF, 0xFFFF],
            ],
        ),
        v(
            DataType::I32,
            Signed(-123_456_789),
            [
                &[0xF8A4, 0x32EB],
                &[0x32EB, 0xF8A4],
                &[0xA4F8, 0xEB32],
                &[0xEB32, 0xA4F8],
            ],
        ),
        v(
            DataType::U64,
            Unsigned(0x0102_0304_0506_0708),
            [
                &[0x0102, 0x0304, 0x0506, 0x0708],
                &[0x0708, 0x0506, 0x0304, 0x0102],
                &[0x0201, 0x0403, 0x0605, 0x0807],
                &[0x0807, 0x0605, 0x0403, 0x0201],
            ],
        ),
        v(
            DataType::I64,
            Signed(-2),
            [
                &[0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE],
                &[0xFFFE, 0xFFFF, 0xFFFF, 0xFFFF],
                &[0xFFFF, 0xFFFF, 0xFFFF, 0xFEFF],
                &[0xFEFF, 0xFFFF, 0xFFFF, 0xFFFF],
            ],
        ),
        v(
            DataType::I64,
            Signed(i64::MIN),
            [
                &[0x8000, 0, 0, 0],
                &[0, 0, 0, 0x8000],
                &[0x0080, 0, 0, 0],
                &[0, 0, 0, 0x0080],
            ],
        ),
        // 123.456f32 = 0x42F6E979, the example of the issue.
        v(
            DataType::F32,
            Float(f64::from(123.456_f32)),
            [
                &[0x42F6, 0xE979],
                &[0xE979, 0x42F6],
                &[0xF642, 0x79E9],
                &[0x79E9, 0xF642],
            ],
        ),
        v(
            DataType::F32,
            Float(-1.5),
            [
                &[0xBFC0, 0x0000],
                &[0x0000, 0xBFC0],
                &[0xC0BF, 0x0000],
                &[0x0000, 0xC0BF],
            ],
        ),
        v(
            DataType::F32,
            Float(f64::INFINITY),
            [&[0x7F80, 0], &[0, 0x7F80], &[0x807F, 0], &[0, 0x807F]],
        ),
        v(
            DataType::F32,
            Float(f64::NEG_INFINITY),
            [&[0xFF80, 0], &[0, 0xFF80], &[0x80FF, 0], &[0, 0x80FF]],
        ),
        // 123.456f64 = 0x405EDD2F1A9FBE77.
        v(
            DataType::F64,
            Float(123.456),
            [
                &[0x405E, 0xDD2F, 0x1A9F, 0xBE77],
                &[0xBE77, 0x1A9F, 0xDD2F, 0x405E],
                &[0x5E40, 0x2FDD, 0x9F1A, 0x77BE],
                &[0x77BE, 0x9F1A, 0x2FDD, 0x5E40],
            ],
        ),
        // -0.1 = 0xBFB999999999999A.
        v(
            DataType::F64,
            Float(-0.1),
            [
                &[0xBFB9, 0x9999, 0x9999, 0x999A],
                &[0x999A, 0x9999, 0x9999, 0xBFB9],
                &[0xB9BF, 0x9999, 0x9999, 0x9A99],
                &[0x9A99, 0x9999, 0x9999, 0xB9BF],
            ],
        ),
        v(
            DataType::F64,
            Float(f64::INFINITY),
            [
                &[0x7FF0, 0, 0, 0],
                &[0, 0, 0, 0x7FF0],
                &[0xF07F, 0, 0, 0],
                &[0, 0, 0, 0xF07F],
            ],
        ),
        v(
            bit(0),
            RawValue::Bool(true),
            [&[0x0001], &[0x0001], &[0x0100], &[0x0100]],
        ),
        v(
            bit(15),
            RawValue::Bool(true),
            [&[0x8000], &[0x8000], &[0x0080], &[0x0080]],
        ),
        v(
            bit(8),
            RawValue::Bool(false),
            [&[0x0000], &[0x0000], &[0x0000], &[0x0000]],
        ),
        // Strings: only the byte swap applies, registers stay in address order.
        v(
            string(2),
            RawValue::Text("ABCD".into()),
            [
                &[0x4142, 0x4344],
                &[0x4142, 0x4344],
                &[0x4241, 0x4443],
                &[0x4241, 0x4443],
            ],
        ),
        v(
            string(3),
            RawValue::Text("ABC".into()),
            [
                &[0x4142, 0x4300, 0],
                &[0x4142, 0x4300, 0],
                &[0x4241, 0x0043, 0],
                &[0x4241, 0x0043, 0],
            ],
        ),
        v(
            string(1),
            RawValue::Text("é".into()),
            [&[0xC3A9], &[0xC3A9], &[0xA9C3], &[0xA9C3]],
        ),
    ]
}

#[test]
fn every_type_decodes_in_every_order_from_reference_words() {
    for vector in vectors() {
        for (order, words) in WordOrder::ALL.into_iter().zip(vector.words) {
            let value = decoded(vector.data_type, order, words);
            assert_eq!(
                value, vector.value,
                "{} in {order} from {words:04X?}",
                vector.data_type
            );
        }
    }
}

#[test]
fn every_type_encodes_in_every_order_to_reference_words() {
    for vector in vectors() {
        for (order, words) in WordOrder::ALL.into_iter().zip(vector.words) {
            let encoded = encode_registers(vector.data_type, order, &vector.value)
                .unwrap_or_else(|e| panic!("{} {order} should encode: {e}", vector.data_type));
            assert_eq!(
                encoded, words,
                "{} = {} in {order}",
                vector.data_type, vector.value
            );
        }
    }
}

#[test]
fn bits_other_than_the_asked_one_are_ignored() {
    assert_eq!(decoded(bit(1), Abcd, &[0xFFFD]), RawValue::Bool(false));
    assert_eq!(decoded(bit(1), Abcd, &[0x0002]), RawValue::Bool(true));
    // Byte-swapped devices keep bit 0 in the low byte of their value, which
    // arrives first on the wire.
    assert_eq!(decoded(bit(8), Abcd, &[0x0100]), RawValue::Bool(true));
    assert_eq!(decoded(bit(8), Badc, &[0x0100]), RawValue::Bool(false));
    assert_eq!(decoded(bit(0), Dcba, &[0x0100]), RawValue::Bool(true));
}

#[test]
fn nan_decodes_but_is_not_finite() {
    for (data_type, order, words) in [
        (DataType::F32, Abcd, &[0x7FC0, 0x0000][..]),
        (DataType::F32, Cdab, &[0x0000, 0x7FC0][..]),
        (DataType::F32, Abcd, &[0xFFFF, 0xFFFF][..]),
        (DataType::F64, Abcd, &[0x7FF8, 0, 0, 0][..]),
        (DataType::F64, Dcba, &[0, 0, 0, 0xF87F][..]),
    ] {
        let value = decoded(data_type, order, words);
        assert!(
            matches!(value, RawValue::Float(x) if x.is_nan()),
            "{data_type} {order}: {value:?}"
        );
        assert!(!value.is_finite());
        assert!(matches!(
            value.to_process_value(Scaling::IDENTITY),
            Err(ValueError::NotFinite { .. })
        ));
    }
    let inf = decoded(DataType::F32, Abcd, &[0x7F80, 0]);
    assert!(!inf.is_finite());
    assert!(decoded(DataType::F32, Abcd, &[0x42F6, 0xE979]).is_finite());
}

#[test]
fn string_padding_is_trimmed() {
    let s = |words: &[u16]| decoded(string(words.len() as u16), Abcd, words);
    assert_eq!(s(&[0x4142, 0x0000]), RawValue::Text("AB".into()));
    assert_eq!(s(&[0x4142, 0x2020]), RawValue::Text("AB".into()));
    assert_eq!(s(&[0x4142, 0x2000, 0x0000]), RawValue::Text("AB".into()));
    assert_eq!(s(&[0x4120, 0x4220]), RawValue::Text("A B".into()));
    assert_eq!(
        s(&[0x2041]),
        RawValue::Text(" A".into()),
        "leading spaces are kept"
    );
    assert_eq!(s(&[0x0000, 0x0000]), RawValue::Text(String::new()));
    assert_eq!(s(&[0x2020]), RawValue::Text(String::new()));
    assert_eq!(
        s(&[0x4100, 0x5A5A]),
        RawValue::Text("A".into()),
        "bytes after the first NUL are ignored"
    );
}

#[test]
fn invalid_utf8_names_the_bytes() {
    let err = decode_registers(string(2), Abcd, &[0x41FF, 0x4200]).expect_err("0xFF is never UTF-8");
    assert_eq!(
        err,
        DecodeError::InvalidUtf8 {
            data_type: string(2),
            at: 1,
            bytes: vec![0x41, 0xFF, 0x42, 0x00]
        }
    );
    assert_eq!(
        err.to_string(),
        "string of 2 registers is not valid UTF-8 at byte 1: bytes [41 FF 42 00]"
    );
}

#[test]
fn wrong_lengths_and_wrong_sources_are_errors_naming_the_type() {
    let err = decode_registers(DataType::F32, Abcd, &[1, 2, 3]).expect_err("three words for f32");
    assert_eq!(err.to_string(), "f32 needs 2 registers, got 3");
    let err = decode_registers(DataType::U64, Abcd, &[]).expect_err("no words");
    assert_eq!(err.to_string(), "u64 needs 4 registers, got 0");
    assert!(matches!(
        decode_registers(DataType::Bool, Abcd, &[1]),
        Err(DecodeError::NeedsBits { .. })
    ));
    assert!(matches!(
        decode_bits(DataType::U16, &[true]),
        Err(DecodeError::NeedsRegisters { .. })
    ));
    let err = decode_bits(DataType::Bool, &[true, false]).expect_err("two bits");
    assert_eq!(err.to_string(), "bool needs 1 bits, got 2");
    assert_eq!(decode_bits(DataType::Bool, &[true]), Ok(RawValue::Bool(true)));
    assert_eq!(
        encode_bits(DataType::Bool, &RawValue::Bool(false)),
        Ok(vec![false])
    );
}

#[test]
fn encoding_refuses_values_the_type_cannot_hold() {
    let err = encode_registers(DataType::U16, Abcd, &RawValue::Signed(-1)).expect_err("negative u16");
    assert_eq!(err.to_string(), "-1 is out of range for u16");
    let err = encode_registers(DataType::I16, Abcd, &RawValue::Unsigned(40_000)).expect_err("too big");
    assert_eq!(err.to_string(), "40000 is out of range for i16");
    let err = encode_registers(DataType::U32, Abcd, &RawValue::Float(1.0)).expect_err("float as int");
    assert_eq!(err.to_string(), "1 cannot be encoded as u32");
    let err = encode_registers(DataType::F32, Abcd, &RawValue::Float(1e300)).expect_err("beyond f32");
    assert!(matches!(err, EncodeError::OutOfRange { .. }));
    let err = encode_registers(string(2), Abcd, &RawValue::Text("ABCDE".into())).expect_err("5 bytes");
    assert_eq!(
        err.to_string(),
        "text of 5 bytes does not fit string of 2 registers (at most 4 bytes)"
    );
    assert!(matches!(
        encode_bits(DataType::U16, &RawValue::Bool(true)),
        Err(EncodeError::NeedsRegisters { .. })
    ));
}
