//! Layout tests: the default table, encodings through the shared codec,
//! counter rollover at the configured width, and rejected layouts.

use super::*;
use crate::config::{LayoutConfig, PointConfig};
use mes_protocols::modbus::{ExceptionCode, decode_registers};

fn status() -> MachineStatus {
    MachineStatus {
        state: MachineState::Running,
        fault_code: 0,
        good_total: 0,
        scrap_total: 0,
        temperature: 123.456,
        spindle_speed: 12000.0,
        sim_ms: 0,
    }
}

fn holding(address: u16, data_type: Option<DataType>) -> Option<PointConfig> {
    Some(PointConfig {
        area: Area::HoldingRegister,
        address,
        data_type,
        order: None,
    })
}

#[test]
fn default_layout_is_holding_registers_0_to_99_and_three_coils() {
    let layout = Layout::default_layout();
    let image = layout.render("press-1", &status(), 0);
    assert_eq!(
        image.read(Area::HoldingRegister, 0, 100).map(<[u16]>::len),
        Ok(100)
    );
    assert_eq!(
        image.read(Area::HoldingRegister, 0, 101),
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(
        image.read(Area::HoldingRegister, 100, 1),
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(image.read(Area::Coil, 0, 3), Ok(&[1, 0, 0][..]));
    assert_eq!(
        image.read(Area::Coil, 3, 1),
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(
        image.read(Area::InputRegister, 0, 1),
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(
        image.read(Area::DiscreteInput, 0, 1),
        Err(ExceptionCode::IllegalDataAddress)
    );
}

#[test]
fn temperature_is_a_cdab_float_in_registers_4_and_5() {
    let image = Layout::default_layout().render("press-1", &status(), 0);
    // 123.456f32 is 0x42F6E979; CDAB sends the low word first.
    let words = image.read(Area::HoldingRegister, 4, 2).expect("mapped");
    assert_eq!(words, &[0xE979, 0x42F6]);
    let value = decode_registers(DataType::F32, WordOrder::Cdab, words).expect("decodes");
    assert_eq!(value, RawValue::Float(f64::from(123.456f32)));
}

#[test]
fn state_fault_and_name_registers() {
    let mut s = status();
    s.state = MachineState::Down;
    s.fault_code = 205;
    let image = Layout::default_layout().render("press-1", &s, 0);
    assert_eq!(image.read(Area::HoldingRegister, 0, 2), Ok(&[3, 205][..]));
    assert_eq!(image.read(Area::Coil, 0, 3), Ok(&[0, 0, 1][..]));
    let name = image.read(Area::HoldingRegister, 8, 8).expect("mapped");
    let text = decode_registers(
        DataType::String {
            registers: StringRegisters::new(8).expect("valid"),
        },
        WordOrder::Abcd,
        name,
    );
    assert_eq!(text, Ok(RawValue::Text("press-1".into())));
}

#[test]
fn u16_counters_roll_over_from_65535_to_0() {
    let layout = Layout::default_layout();
    let mut s = status();
    s.good_total = 65_535;
    s.scrap_total = 65_536 + 5;
    let image = layout.render("m", &s, 0);
    assert_eq!(image.read(Area::HoldingRegister, 2, 2), Ok(&[65_535, 5][..]));
    s.good_total = 65_536;
    let image = layout.render("m", &s, 0);
    assert_eq!(image.read(Area::HoldingRegister, 2, 1), Ok(&[0][..]));
}

#[test]
fn u32_counters_keep_counting_past_65535_and_wrap_at_2_pow_32() {
    let config = LayoutConfig {
        good_count: holding(20, Some(DataType::U32)),
        aux: Some(BlockConfig {
            area: Area::InputRegister,
            address: 0,
            count: 4,
        }),
        ..LayoutConfig::default()
    };
    let layout = Layout::resolve(&config, &LayoutConfig::default()).expect("valid");
    let mut s = status();
    s.good_total = 65_536;
    let image = layout.render("m", &s, 0);
    assert_eq!(image.read(Area::HoldingRegister, 20, 2), Ok(&[1, 0][..]));
    s.good_total = (1 << 32) + 3;
    let image = layout.render("m", &s, 0);
    assert_eq!(image.read(Area::HoldingRegister, 20, 2), Ok(&[0, 3][..]));
    assert_eq!(wrap(u64::MAX, DataType::U64), u64::MAX);
}

#[test]
fn machine_entries_override_common_layout_signal_by_signal() {
    let common = LayoutConfig {
        omit: Some(vec![Signal::Aux, Signal::Name]),
        temperature: holding(40, None),
        ..LayoutConfig::default()
    };
    let machine = LayoutConfig {
        spindle_speed: Some(PointConfig {
            area: Area::InputRegister,
            address: 0,
            data_type: Some(DataType::U16),
            order: None,
        }),
        ..LayoutConfig::default()
    };
    let layout = Layout::resolve(&machine, &common).expect("valid");
    assert_eq!(layout.point(Signal::Name), None);
    assert_eq!(layout.aux(), None);
    let temperature = layout.point(Signal::Temperature).expect("served");
    assert_eq!(
        (temperature.address(), temperature.order()),
        (40, WordOrder::Cdab)
    );
    let image = layout.render("m", &status(), 0);
    assert_eq!(image.read(Area::InputRegister, 0, 1), Ok(&[12000][..]));
    assert_eq!(
        image.read(Area::HoldingRegister, 8, 1),
        Err(ExceptionCode::IllegalDataAddress)
    );
}

#[test]
fn overlapping_signals_are_refused_naming_both() {
    let config = LayoutConfig {
        temperature: holding(3, None),
        ..LayoutConfig::default()
    };
    let err = Layout::resolve(&config, &LayoutConfig::default()).expect_err("overlap");
    assert_eq!(
        err,
        LayoutError::Overlap {
            first: Signal::ScrapCount,
            second: Signal::Temperature,
            area: Area::HoldingRegister,
            address: 3
        }
    );
}

#[test]
fn types_that_cannot_carry_the_signal_are_refused() {
    let config = LayoutConfig {
        good_count: holding(2, Some(DataType::F32)),
        ..LayoutConfig::default()
    };
    let err = Layout::resolve(&config, &LayoutConfig::default()).expect_err("float counter");
    assert!(err.to_string().contains("good_count"), "{err}");
    let config = LayoutConfig {
        run: holding(200, Some(DataType::Bool)),
        ..LayoutConfig::default()
    };
    let err = Layout::resolve(&config, &LayoutConfig::default()).expect_err("bool in a register");
    assert!(err.to_string().contains("run"), "{err}");
}

#[test]
fn table_lists_every_signal() {
    let table = Layout::default_layout().table();
    for name in ["run", "temperature", "CDAB", "4-5", "16-99", "u16 x 84"] {
        assert!(table.contains(name), "{name} missing in\n{table}");
    }
}
