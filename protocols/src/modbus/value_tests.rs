//! Scaling, counters, the deadband rule, and the config forms of the types
//! the agent embeds (deserialized from JSON here; TOML goes through the same
//! serde derive).

use super::*;

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

#[test]
fn process_values_are_scaled_and_offset() {
    let scaling = Scaling::new(0.1, -5.0).expect("finite");
    let value = RawValue::Unsigned(250)
        .to_process_value(scaling)
        .expect("numeric");
    assert!((value - 20.0).abs() < 1e-9, "{value}");
    assert_eq!(RawValue::Signed(-3).to_process_value(Scaling::IDENTITY), Ok(-3.0));
    assert_eq!(
        RawValue::Bool(true).to_process_value(Scaling::new(2.0, 1.0).expect("finite")),
        Ok(3.0)
    );
    assert_eq!(RawValue::Float(1.5).to_process_value(Scaling::default()), Ok(1.5));
    let err = RawValue::Text("x".into())
        .to_process_value(Scaling::IDENTITY)
        .expect_err("text");
    assert_eq!(err.to_string(), "raw value \"x\" is not a number");
    let err = RawValue::Float(f64::MAX).to_process_value(Scaling::new(10.0, 0.0).expect("finite"));
    assert!(matches!(err, Err(ValueError::ScaledNotFinite { .. })));
    assert!(Scaling::new(f64::NAN, 0.0).is_err());
    assert!(Scaling::new(1.0, f64::INFINITY).is_err());
}

#[test]
fn counters_stay_exact_integers() {
    assert_eq!(RawValue::Unsigned(u64::MAX).to_counter(), Ok(u64::MAX));
    assert_eq!(RawValue::Unsigned((1 << 53) + 1).to_counter(), Ok((1 << 53) + 1));
    assert_eq!(RawValue::Signed(42).to_counter(), Ok(42));
    let err = RawValue::Signed(-1).to_counter().expect_err("negative");
    assert_eq!(err.to_string(), "counter value -1 is negative");
    assert!(matches!(
        RawValue::Float(1.0).to_counter(),
        Err(ValueError::NotInteger { .. })
    ));
}

#[test]
fn deadband_reports_changes_strictly_beyond_it() {
    let band = Deadband::new(0.5).expect("valid");
    assert!(band.should_report(None, 10.0), "first value is always reported");
    assert!(!band.should_report(Some(10.0), 10.4));
    assert!(
        !band.should_report(Some(10.0), 10.5),
        "exactly the deadband is not beyond it"
    );
    assert!(band.should_report(Some(10.0), 10.6));
    assert!(band.should_report(Some(10.0), 9.4));
    assert!(!Deadband::NONE.should_report(Some(3.0), 3.0));
    assert!(Deadband::NONE.should_report(Some(3.0), 3.000_001));
}

#[test]
fn deadband_never_hides_a_change_to_or_from_non_finite() {
    let band = Deadband::new(1e9).expect("valid");
    assert!(band.should_report(Some(1.0), f64::NAN));
    assert!(band.should_report(Some(f64::NAN), 1.0));
    assert!(!band.should_report(Some(f64::NAN), f64::NAN));
    assert!(band.should_report(Some(1.0), f64::INFINITY));
    assert!(!band.should_report(Some(f64::INFINITY), f64::INFINITY));
    assert!(band.should_report(Some(f64::INFINITY), f64::NEG_INFINITY));
}

#[test]
fn deadband_must_be_finite_and_not_negative() {
    assert!(Deadband::new(-0.1).is_err());
    assert!(Deadband::new(f64::NAN).is_err());
    assert_eq!(
        from_json::<Deadband>("-1.0").expect_err("negative"),
        "deadband -1 is invalid: it must be a finite number of at least 0"
    );
    assert_eq!(
        from_json::<Deadband>("0.25"),
        Ok(Deadband::new(0.25).expect("valid"))
    );
}

#[test]
fn config_names_of_areas_orders_and_types() {
    assert_eq!(
        from_json::<Area>(r#""holding_register""#),
        Ok(Area::HoldingRegister)
    );
    assert_eq!(from_json::<Area>(r#""discrete_input""#), Ok(Area::DiscreteInput));
    assert!(from_json::<Area>(r#""holding""#).is_err());
    assert_eq!(from_json::<WordOrder>(r#""cdab""#), Ok(WordOrder::Cdab));
    assert_eq!(from_json::<WordOrder>(r#""DCBA""#), Ok(WordOrder::Dcba));
    assert_eq!(from_json::<DataType>(r#""f32""#), Ok(DataType::F32));
    assert_eq!(from_json::<DataType>(r#""i64""#), Ok(DataType::I64));
    assert_eq!(
        from_json::<DataType>(r#"{"bit": 3}"#),
        Ok(DataType::Bit(BitIndex::new(3).expect("valid")))
    );
    assert_eq!(
        from_json::<DataType>(r#"{"string": {"registers": 8}}"#),
        Ok(DataType::String {
            registers: StringRegisters::new(8).expect("valid")
        })
    );
}

#[test]
fn config_errors_name_the_value_and_the_limit() {
    let err = from_json::<DataType>(r#"{"bit": 16}"#).expect_err("bit 16");
    assert!(
        err.contains("bit 16 does not exist: a register has bits 0 to 15"),
        "{err}"
    );
    let err = from_json::<DataType>(r#"{"string": {"registers": 126}}"#).expect_err("too long");
    assert!(
        err.contains("a string of 126 registers is not allowed: it must have 1 to 125"),
        "{err}"
    );
    let err = from_json::<DataType>(r#"{"string": {"registers": 4, "length": 8}}"#).expect_err("unknown");
    assert!(err.contains("not `length`"), "{err}");
    let err = from_json::<DataType>(r#""float""#).expect_err("unknown type");
    assert!(err.contains("\"float\" is not a data type"), "{err}");
}

#[test]
fn plan_limits_from_config() {
    assert_eq!(from_json::<PlanLimits>("{}"), Ok(PlanLimits::default()));
    let limits: PlanLimits = from_json(r#"{"max_registers": 64, "max_register_gap": 0}"#).expect("valid");
    assert_eq!((limits.max_registers(), limits.max_register_gap()), (64, 0));
    assert_eq!(
        (limits.max_bits(), limits.max_bit_gap()),
        (MAX_READ_BITS, DEFAULT_MAX_BIT_GAP)
    );
    let err = from_json::<PlanLimits>(r#"{"max_registers": 126}"#).expect_err("over the maximum");
    assert!(
        err.contains("max_registers = 126 is not allowed: it must be 1 to 125, the Modbus protocol maximum"),
        "{err}"
    );
    let err = from_json::<PlanLimits>(r#"{"max_bits": 2001}"#).expect_err("over the maximum");
    assert!(
        err.contains("max_bits = 2001 is not allowed: it must be 1 to 2000"),
        "{err}"
    );
    assert!(from_json::<PlanLimits>(r#"{"max_bits": 0}"#).is_err());
    let err = from_json::<PlanLimits>(r#"{"max_gap": 3}"#).expect_err("unknown field");
    assert!(err.contains("unknown field `max_gap`"), "{err}");
}

#[test]
fn scaling_from_config() {
    assert_eq!(from_json::<Scaling>("{}"), Ok(Scaling::IDENTITY));
    let scaling: Scaling = from_json(r#"{"scale": 0.1}"#).expect("valid");
    assert_eq!((scaling.scale(), scaling.offset()), (0.1, 0.0));
    assert!(from_json::<Scaling>(r#"{"scale": 1, "factor": 2}"#).is_err());
}

/// The shape of a tag in the agent's TOML config, as the agent will embed
/// these types.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TagConfig {
    area: Area,
    address: u16,
    data_type: DataType,
    #[serde(default)]
    order: WordOrder,
    #[serde(default)]
    deadband: Deadband,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceConfig {
    #[serde(default)]
    limits: PlanLimits,
    tag: Vec<TagConfig>,
}

#[test]
fn types_read_naturally_from_toml() {
    let device: DeviceConfig = toml::from_str(
        r#"
        limits = { max_registers = 64 }

        [[tag]]
        area = "holding_register"
        address = 209
        data_type = "f32"
        order = "CDAB"
        deadband = 0.5

        [[tag]]
        area = "input_register"
        address = 0
        data_type = { bit = 3 }

        [[tag]]
        area = "holding_register"
        address = 100
        data_type = { string = { registers = 8 } }
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(device.limits.max_registers(), 64);
    let types: Vec<String> = device.tag.iter().map(|t| t.data_type.to_string()).collect();
    assert_eq!(types, ["f32", "bit 3", "string of 8 registers"]);
    let first = device.tag.first().expect("three tags");
    assert_eq!(
        (first.area, first.address, first.order),
        (Area::HoldingRegister, 209, WordOrder::Cdab)
    );
    assert_eq!(first.deadband.get(), 0.5);

    let err = toml::from_str::<DeviceConfig>("limits = { max_registers = 200 }\ntag = []")
        .expect_err("over the protocol maximum");
    assert!(
        err.to_string()
            .contains("max_registers = 200 is not allowed: it must be 1 to 125"),
        "{err}"
    );
}
