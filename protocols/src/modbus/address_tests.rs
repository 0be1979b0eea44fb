//! Classic address notation, points, register counts and exception names.

use super::*;

use WordOrder::{Abcd, Cdab};

fn bit(n: u8) -> DataType {
    DataType::Bit(BitIndex::new(n).expect("test bit index is 0..=15"))
}

fn string(registers: u16) -> DataType {
    DataType::String {
        registers: StringRegisters::new(registers).expect("test length is 1..=125"),
    }
}

#[test]
fn classic_addresses_convert_to_zero_based() {
    let at = |text| parse_classic_address(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(
        at("40001"),
        AreaAddress {
            area: Area::HoldingRegister,
            address: 0
        }
    );
    assert_eq!(
        at("40210"),
        AreaAddress {
            area: Area::HoldingRegister,
            address: 209
        }
    );
    assert_eq!(
        at("30010"),
        AreaAddress {
            area: Area::InputRegister,
            address: 9
        }
    );
    assert_eq!(
        at("00001"),
        AreaAddress {
            area: Area::Coil,
            address: 0
        }
    );
    assert_eq!(
        at("10001"),
        AreaAddress {
            area: Area::DiscreteInput,
            address: 0
        }
    );
    assert_eq!(
        at("49999"),
        AreaAddress {
            area: Area::HoldingRegister,
            address: 9998
        }
    );
    assert_eq!(
        at("400001"),
        AreaAddress {
            area: Area::HoldingRegister,
            address: 0
        }
    );
    assert_eq!(
        at("465536"),
        AreaAddress {
            area: Area::HoldingRegister,
            address: 65535
        }
    );
    assert_eq!(
        at(" 40002 "),
        AreaAddress {
            area: Area::HoldingRegister,
            address: 1
        }
    );
}

#[test]
fn bad_classic_addresses_say_why() {
    let problem = |text| parse_classic_address(text).expect_err(text).reason;
    assert_eq!(problem("40000"), AddressProblem::Range { number: 0, max: 9999 });
    assert_eq!(
        problem("465537"),
        AddressProblem::Range {
            number: 65537,
            max: 65536
        }
    );
    assert_eq!(problem("20001"), AddressProblem::Prefix);
    assert_eq!(problem("4001"), AddressProblem::Length { len: 4 });
    assert_eq!(problem("4000a"), AddressProblem::NotDigits);
    assert_eq!(problem(""), AddressProblem::NotDigits);
    assert_eq!(problem("-40001"), AddressProblem::NotDigits);
    let err = parse_classic_address("40000").expect_err("40000 is 0 in 1-based numbering");
    assert_eq!(
        err.to_string(),
        "classic Modbus address \"40000\" is invalid: the number after the first digit is 0, but classic \
         addresses count from 1 to 9999 (40001 is protocol address 0)"
    );
}

#[test]
fn addresses_print_in_both_notations() {
    let at = |area, address| AreaAddress { area, address };
    assert_eq!(
        at(Area::HoldingRegister, 209).to_string(),
        "holding register 209 (40210)"
    );
    assert_eq!(at(Area::Coil, 0).classic(), "00001");
    assert_eq!(at(Area::InputRegister, 9998).classic(), "39999");
    assert_eq!(at(Area::HoldingRegister, 9999).classic(), "410000");
    assert_eq!(at(Area::HoldingRegister, 65535).classic(), "465536");
    for text in ["40001", "00017", "12345", "39999", "410000", "465536"] {
        let parsed = parse_classic_address(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.classic(), text);
    }
}

#[test]
fn points_check_area_and_address_space() {
    let hr = Area::HoldingRegister;
    assert!(Point::new(hr, 65535, DataType::U16, Abcd).is_ok());
    assert!(Point::new(hr, 65532, DataType::F64, Abcd).is_ok());
    let err = Point::new(hr, 65533, DataType::F64, Abcd).expect_err("runs past 65535");
    assert_eq!(
        err.to_string(),
        "data type f64 at holding register 65533 (465534) runs past the last address 65535"
    );
    let err = Point::new(hr, 0, DataType::Bool, Abcd).expect_err("bool in registers");
    assert!(
        err.to_string()
            .starts_with("data type bool cannot be read from the holding register area")
    );
    assert!(Point::new(Area::Coil, 0, DataType::U16, Abcd).is_err());
    let point = Point::new(Area::InputRegister, 10, DataType::F32, Cdab).expect("valid point");
    assert_eq!(
        point.span(),
        Span {
            area: Area::InputRegister,
            start: 10,
            count: 2
        }
    );
    assert_eq!(
        point.decode_registers(&[0xE979, 0x42F6]),
        Ok(RawValue::Float(f64::from(123.456_f32)))
    );
}

#[test]
fn register_counts_per_type() {
    let counts = [
        (DataType::Bool, 1),
        (bit(3), 1),
        (DataType::U16, 1),
        (DataType::I16, 1),
        (DataType::U32, 2),
        (DataType::I32, 2),
        (DataType::F32, 2),
        (DataType::U64, 4),
        (DataType::I64, 4),
        (DataType::F64, 4),
        (string(10), 10),
    ];
    for (data_type, count) in counts {
        assert_eq!(data_type.count(), count, "{data_type}");
    }
}

#[test]
fn exception_codes_have_their_specification_names() {
    let names = [
        (0x01, "0x01 Illegal Function"),
        (0x02, "0x02 Illegal Data Address"),
        (0x03, "0x03 Illegal Data Value"),
        (0x04, "0x04 Server Device Failure"),
        (0x05, "0x05 Acknowledge"),
        (0x06, "0x06 Server Device Busy"),
        (0x08, "0x08 Memory Parity Error"),
        (0x0A, "0x0A Gateway Path Unavailable"),
        (0x0B, "0x0B Gateway Target Device Failed to Respond"),
        (0x07, "0x07 Unknown Exception"),
        (0xFF, "0xFF Unknown Exception"),
    ];
    for (code, name) in names {
        assert_eq!(exception_name(code), name);
        assert_eq!(ExceptionCode::from_code(code).code(), code);
    }
    assert!(ExceptionCode::from(0x06).is_transient());
    assert!(!ExceptionCode::IllegalDataAddress.is_transient());
}

proptest::proptest! {
    #[test]
    fn classic_notation_round_trips(
        area in proptest::sample::select(Area::ALL.to_vec()),
        address in proptest::prelude::any::<u16>(),
    ) {
        let at = AreaAddress { area, address };
        proptest::prop_assert_eq!(parse_classic_address(&at.classic()), Ok(at));
    }

    #[test]
    fn classic_parsing_never_panics(text in "\\PC{0,8}") {
        let _ = parse_classic_address(&text);
    }
}

#[test]
fn modicon_numbers_convert_in_their_area() {
    use super::modicon_address;
    assert_eq!(modicon_address(Area::HoldingRegister, 40003), Ok(2));
    assert_eq!(modicon_address(Area::HoldingRegister, 400001), Ok(0));
    assert_eq!(modicon_address(Area::InputRegister, 30010), Ok(9));
    assert_eq!(modicon_address(Area::DiscreteInput, 10001), Ok(0));
    assert_eq!(
        modicon_address(Area::Coil, 17),
        Ok(16),
        "00017 written as a number"
    );
    assert_eq!(modicon_address(Area::Coil, 65536), Ok(65535));
    let err = modicon_address(Area::HoldingRegister, 30005).expect_err("an input register number");
    assert_eq!(
        err.reason,
        AddressProblem::OtherArea {
            named: Area::InputRegister,
            area: Area::HoldingRegister
        }
    );
    assert!(err.to_string().contains("names the input register area"), "{err}");
    assert!(
        modicon_address(Area::HoldingRegister, 40000).is_err(),
        "counts from 40001"
    );
    assert!(
        modicon_address(Area::HoldingRegister, 7).is_err(),
        "not a 4xxxx number"
    );
}
