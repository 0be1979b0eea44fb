//! Sparkplug B payloads: protobuf bytes to a typed [`Payload`] and back,
//! and the reading of a metric's value by its [`DataType`].
//!
//! Decoding never panics: malformed bytes are a [`DecodeError`] (prost
//! bounds nesting at 100 levels, so a deep DataSet or Template cannot
//! exhaust the stack), and a value that does not fit its declared type is
//! a [`ValueError`] for that metric alone.

use super::proto;
use prost::Message;
use std::fmt;

/// A decoded Sparkplug B payload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payload {
    /// When the message was sent, Unix milliseconds (the sender's clock).
    pub timestamp: Option<u64>,
    /// The message sequence number (0..=255, wrapping; absent in NDEATH).
    pub seq: Option<u64>,
    /// The metrics, in message order.
    pub metrics: Vec<Metric>,
}

/// One metric of a payload, as sent: births carry names (and aliases),
/// data messages may carry only the alias.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metric {
    /// The metric's name (always in births).
    pub name: Option<String>,
    /// The alias its birth bound to the name.
    pub alias: Option<u64>,
    /// When the value was acquired, Unix milliseconds.
    pub timestamp: Option<u64>,
    /// The Sparkplug data type code (in births; optional in data).
    pub datatype: Option<u32>,
    /// Historical data: it has its own timestamp and is not the current value.
    pub is_historical: bool,
    /// The value is explicitly null.
    pub is_null: bool,
    /// The value as carried on the wire.
    pub value: RawValue,
}

/// A metric value as the protobuf carries it, before its data type says
/// what it means (an Int8 of -1 travels as the `u32` 0xFFFF_FFFF).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum RawValue {
    /// No value field.
    #[default]
    None,
    /// `int_value`: 8-, 16- and 32-bit integers.
    Int(u32),
    /// `long_value`: 64-bit integers and DateTime.
    Long(u64),
    /// `float_value`.
    Float(f32),
    /// `double_value`.
    Double(f64),
    /// `boolean_value`.
    Bool(bool),
    /// `string_value`: String, Text, UUID.
    Text(String),
    /// Bytes, File, DataSet, Template or an extension: no tag value.
    Other(&'static str),
}

/// The Sparkplug B data types (the `DataType` enum of the proto).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the names are the specification's
pub enum DataType {
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float,
    Double,
    Boolean,
    String,
    DateTime,
    Text,
    Uuid,
    /// DataSet, Bytes, File, Template, property sets and arrays: kept by
    /// their code, read as no tag value.
    Unsupported(u32),
}

impl DataType {
    /// The type of a data type code; codes past the specification's are
    /// `Unsupported` too.
    pub fn from_code(code: u32) -> DataType {
        use DataType::*;
        match code {
            1 => Int8,
            2 => Int16,
            3 => Int32,
            4 => Int64,
            5 => UInt8,
            6 => UInt16,
            7 => UInt32,
            8 => UInt64,
            9 => Float,
            10 => Double,
            11 => Boolean,
            12 => String,
            13 => DateTime,
            14 => Text,
            15 => Uuid,
            other => Unsupported(other),
        }
    }

    /// The data type code.
    pub fn code(self) -> u32 {
        use DataType::*;
        match self {
            Int8 => 1,
            Int16 => 2,
            Int32 => 3,
            Int64 => 4,
            UInt8 => 5,
            UInt16 => 6,
            UInt32 => 7,
            UInt64 => 8,
            Float => 9,
            Double => 10,
            Boolean => 11,
            String => 12,
            DateTime => 13,
            Text => 14,
            Uuid => 15,
            Unsupported(code) => code,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Unsupported(code) => match proto::DataType::try_from(*code as i32) {
                Ok(known) => write!(f, "{}", known.as_str_name()),
                Err(_) => write!(f, "data type {code}"),
            },
            other => write!(f, "{other:?}"),
        }
    }
}

/// A metric's value read by its data type.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricValue {
    /// Boolean.
    Bool(bool),
    /// Signed integers (Int8..Int64) and DateTime (Unix milliseconds).
    Int(i64),
    /// Unsigned integers (UInt8..UInt64).
    UInt(u64),
    /// Float and Double.
    Float(f64),
    /// String, Text and UUID.
    Text(String),
}

/// Why a payload is not a Sparkplug B payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Sparkplug B payload: {0}")]
pub struct DecodeError(String);

/// Why a metric's value cannot be read as its data type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// A type without a tag value (DataSet, Template, arrays, ...).
    #[error("{0} values are not read")]
    Unsupported(DataType),
    /// The value field does not match the data type, or is out of its range.
    #[error("a {datatype} metric carries {found}")]
    Mismatch {
        /// The declared type.
        datatype: DataType,
        /// What the value field held.
        found: String,
    },
    /// Neither a value nor `is_null`.
    #[error("a {0} metric without a value")]
    Missing(DataType),
}

/// Decodes a payload.
pub fn decode(bytes: &[u8]) -> Result<Payload, DecodeError> {
    let raw = proto::Payload::decode(bytes).map_err(|e| DecodeError(e.to_string()))?;
    Ok(Payload {
        timestamp: raw.timestamp,
        seq: raw.seq,
        metrics: raw.metrics.into_iter().map(Metric::from_proto).collect(),
    })
}

/// Encodes a payload (for the agent's own edge node and for tests).
pub fn encode(payload: &Payload) -> Vec<u8> {
    proto::Payload {
        timestamp: payload.timestamp,
        seq: payload.seq,
        metrics: payload.metrics.iter().map(Metric::to_proto).collect(),
        uuid: None,
        body: None,
    }
    .encode_to_vec()
}

impl Metric {
    /// A metric with a name (as in a birth), its type and value.
    pub fn named(name: &str, datatype: DataType, value: Option<&MetricValue>) -> Metric {
        Metric {
            name: Some(name.to_string()),
            datatype: Some(datatype.code()),
            is_null: value.is_none(),
            value: value.map(|v| v.to_raw(datatype)).unwrap_or_default(),
            ..Metric::default()
        }
    }

    /// The value read by `datatype` (the metric's own type, or the one its
    /// birth declared); `None` when it is null.
    pub fn read(&self, datatype: DataType) -> Result<Option<MetricValue>, ValueError> {
        if self.is_null {
            return Ok(None);
        }
        read_value(datatype, &self.value).map(Some)
    }

    fn from_proto(m: proto::payload::Metric) -> Metric {
        use proto::payload::metric::Value;
        let value = match m.value {
            None => RawValue::None,
            Some(Value::IntValue(v)) => RawValue::Int(v),
            Some(Value::LongValue(v)) => RawValue::Long(v),
            Some(Value::FloatValue(v)) => RawValue::Float(v),
            Some(Value::DoubleValue(v)) => RawValue::Double(v),
            Some(Value::BooleanValue(v)) => RawValue::Bool(v),
            Some(Value::StringValue(v)) => RawValue::Text(v),
            Some(Value::BytesValue(_)) => RawValue::Other("bytes"),
            Some(Value::DatasetValue(_)) => RawValue::Other("a data set"),
            Some(Value::TemplateValue(_)) => RawValue::Other("a template"),
            Some(Value::ExtensionValue(_)) => RawValue::Other("an extension"),
        };
        Metric {
            name: m.name,
            alias: m.alias,
            timestamp: m.timestamp,
            datatype: m.datatype,
            is_historical: m.is_historical.unwrap_or(false),
            is_null: m.is_null.unwrap_or(false),
            value,
        }
    }

    fn to_proto(&self) -> proto::payload::Metric {
        use proto::payload::metric::Value;
        let value = match &self.value {
            RawValue::None | RawValue::Other(_) => None,
            RawValue::Int(v) => Some(Value::IntValue(*v)),
            RawValue::Long(v) => Some(Value::LongValue(*v)),
            RawValue::Float(v) => Some(Value::FloatValue(*v)),
            RawValue::Double(v) => Some(Value::DoubleValue(*v)),
            RawValue::Bool(v) => Some(Value::BooleanValue(*v)),
            RawValue::Text(v) => Some(Value::StringValue(v.clone())),
        };
        proto::payload::Metric {
            name: self.name.clone(),
            alias: self.alias,
            timestamp: self.timestamp,
            datatype: self.datatype,
            is_historical: self.is_historical.then_some(true),
            is_transient: None,
            is_null: self.is_null.then_some(true),
            metadata: None,
            properties: None,
            value,
        }
    }
}

impl MetricValue {
    /// The wire form of this value as `datatype` (the caller picks a type
    /// that holds it; out-of-range integers are truncated as the
    /// specification's two's-complement encoding does).
    pub fn to_raw(&self, datatype: DataType) -> RawValue {
        let int = |i: i64| match datatype {
            DataType::Int64 | DataType::UInt64 | DataType::DateTime => RawValue::Long(i as u64),
            _ => RawValue::Int(i as u32),
        };
        match self {
            MetricValue::Bool(b) => RawValue::Bool(*b),
            MetricValue::Int(i) => int(*i),
            MetricValue::UInt(u) => int(*u as i64),
            MetricValue::Float(f) if datatype == DataType::Float => RawValue::Float(*f as f32),
            MetricValue::Float(f) => RawValue::Double(*f),
            MetricValue::Text(t) => RawValue::Text(t.clone()),
        }
    }
}

/// Reads a wire value as `datatype`. Integers narrower than 32 bits travel
/// in `int_value`; the signed ones as two's complement of their width.
pub fn read_value(datatype: DataType, raw: &RawValue) -> Result<MetricValue, ValueError> {
    use DataType as T;
    let mismatch = || ValueError::Mismatch {
        datatype,
        found: describe(raw),
    };
    let fits = |v: u32, bits: u32| bits >= 32 || v >> bits == 0 || v >> (bits - 1) == u32::MAX >> (bits - 1);
    Ok(match (datatype, raw) {
        (T::Unsupported(_), _) => return Err(ValueError::Unsupported(datatype)),
        (_, RawValue::None) => return Err(ValueError::Missing(datatype)),
        (T::Int8, RawValue::Int(v)) if fits(*v, 8) => MetricValue::Int(i64::from(*v as u8 as i8)),
        (T::Int16, RawValue::Int(v)) if fits(*v, 16) => MetricValue::Int(i64::from(*v as u16 as i16)),
        (T::Int32, RawValue::Int(v)) => MetricValue::Int(i64::from(*v as i32)),
        // Some senders put narrow integers in long_value.
        (T::Int8 | T::Int16 | T::Int32 | T::Int64, RawValue::Long(v)) => MetricValue::Int(*v as i64),
        (T::UInt8, RawValue::Int(v)) if *v <= 0xFF => MetricValue::UInt(u64::from(*v)),
        (T::UInt16, RawValue::Int(v)) if *v <= 0xFFFF => MetricValue::UInt(u64::from(*v)),
        (T::UInt32, RawValue::Int(v)) => MetricValue::UInt(u64::from(*v)),
        (T::UInt8 | T::UInt16 | T::UInt32 | T::UInt64, RawValue::Long(v)) => MetricValue::UInt(*v),
        (T::DateTime, RawValue::Long(v)) => MetricValue::Int(i64::try_from(*v).map_err(|_| mismatch())?),
        (T::Float, RawValue::Float(v)) => MetricValue::Float(f64::from(*v)),
        (T::Double, RawValue::Double(v)) => MetricValue::Float(*v),
        (T::Float, RawValue::Double(v)) => MetricValue::Float(*v),
        (T::Double, RawValue::Float(v)) => MetricValue::Float(f64::from(*v)),
        (T::Boolean, RawValue::Bool(b)) => MetricValue::Bool(*b),
        (T::String | T::Text | T::Uuid, RawValue::Text(t)) => MetricValue::Text(t.clone()),
        _ => return Err(mismatch()),
    })
}

fn describe(raw: &RawValue) -> String {
    match raw {
        RawValue::None => "no value".into(),
        RawValue::Int(v) => format!("int_value {v}"),
        RawValue::Long(v) => format!("long_value {v}"),
        RawValue::Float(v) => format!("float_value {v}"),
        RawValue::Double(v) => format!("double_value {v}"),
        RawValue::Bool(v) => format!("boolean_value {v}"),
        RawValue::Text(_) => "string_value".into(),
        RawValue::Other(what) => (*what).into(),
    }
}
