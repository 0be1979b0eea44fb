//! What a decoded value is ([`RawValue`]) and how it becomes what the agent
//! reports: a process value in engineering units (`raw * scale + offset`) or
//! an exact counter. Non-finite floats decode fine but are refused here, so
//! the agent can count them as bad readings.

use serde::Deserialize;
use std::fmt;

/// A value as the device holds it, before scaling.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// A coil, discrete input or register bit.
    Bool(bool),
    /// `u16`, `u32` or `u64`.
    Unsigned(u64),
    /// `i16`, `i32` or `i64`.
    Signed(i64),
    /// `f32` (widened exactly) or `f64`; may be NaN or infinite.
    Float(f64),
    /// A string, padding removed.
    Text(String),
}

impl RawValue {
    /// False only for a NaN or infinite float: the reading the agent counts
    /// as bad. Every other value is finite.
    pub fn is_finite(&self) -> bool {
        match self {
            RawValue::Float(x) => x.is_finite(),
            _ => true,
        }
    }

    /// The value as a process value: `raw * scale + offset`, computed in
    /// `f64`. Booleans count as 0 and 1; integers beyond 2^53 lose precision.
    ///
    /// Fails for text and when the raw value or the result is NaN or
    /// infinite.
    pub fn to_process_value(&self, scaling: Scaling) -> Result<f64, ValueError> {
        let raw = match self {
            RawValue::Bool(b) => f64::from(u8::from(*b)),
            RawValue::Unsigned(u) => *u as f64,
            RawValue::Signed(i) => *i as f64,
            RawValue::Float(x) if x.is_finite() => *x,
            RawValue::Float(x) => return Err(ValueError::NotFinite { value: *x }),
            RawValue::Text(_) => return Err(ValueError::NotNumeric { value: self.clone() }),
        };
        let scaled = raw * scaling.scale + scaling.offset;
        if scaled.is_finite() {
            Ok(scaled)
        } else {
            Err(ValueError::ScaledNotFinite { value: raw, scaling })
        }
    }

    /// The value as an exact counter: unsigned integers as they are, signed
    /// integers when not negative. Counters are never scaled, so they stay
    /// exact up to `u64::MAX`.
    pub fn to_counter(&self) -> Result<u64, ValueError> {
        match self {
            RawValue::Unsigned(u) => Ok(*u),
            RawValue::Signed(i) => u64::try_from(*i).map_err(|_| ValueError::NegativeCounter { value: *i }),
            _ => Err(ValueError::NotInteger { value: self.clone() }),
        }
    }
}

impl fmt::Display for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawValue::Bool(b) => write!(f, "{b}"),
            RawValue::Unsigned(u) => write!(f, "{u}"),
            RawValue::Signed(i) => write!(f, "{i}"),
            RawValue::Float(x) => write!(f, "{x}"),
            RawValue::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// The linear conversion from raw to engineering units:
/// `engineering = raw * scale + offset`. In config: `{ scale = 0.1,
/// offset = -40.0 }`, both optional (defaults 1 and 0), both finite.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "ScalingConfig")]
pub struct Scaling {
    scale: f64,
    offset: f64,
}

impl Scaling {
    /// No conversion: scale 1, offset 0.
    pub const IDENTITY: Scaling = Scaling {
        scale: 1.0,
        offset: 0.0,
    };

    /// A conversion, if both numbers are finite.
    pub fn new(scale: f64, offset: f64) -> Result<Self, ValueError> {
        if scale.is_finite() && offset.is_finite() {
            Ok(Self { scale, offset })
        } else {
            Err(ValueError::BadScaling { scale, offset })
        }
    }

    /// The factor applied to the raw value.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// What is added after scaling.
    pub fn offset(&self) -> f64 {
        self.offset
    }
}

impl Default for Scaling {
    fn default() -> Self {
        Self::IDENTITY
    }
}

/// The config form of [`Scaling`], checked on conversion.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScalingConfig {
    /// The factor applied to the raw value (default 1).
    #[serde(default = "one")]
    scale: f64,
    /// What is added after scaling (default 0).
    #[serde(default)]
    offset: f64,
}

fn one() -> f64 {
    1.0
}

impl TryFrom<ScalingConfig> for Scaling {
    type Error = ValueError;
    fn try_from(config: ScalingConfig) -> Result<Self, ValueError> {
        Scaling::new(config.scale, config.offset)
    }
}

impl fmt::Display for Scaling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scale {} offset {}", self.scale, self.offset)
    }
}

/// A raw value that cannot become the reported value, or a bad conversion.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// The device sent NaN or an infinity: a bad reading.
    #[error("the device sent the non-finite float {value}")]
    NotFinite {
        /// The NaN or infinity.
        value: f64,
    },
    /// Scaling a finite value overflowed to infinity.
    #[error("raw value {value} with {scaling} is not a finite number")]
    ScaledNotFinite {
        /// The raw value, as a float.
        value: f64,
        /// The conversion applied.
        scaling: Scaling,
    },
    /// Text has no numeric value.
    #[error("raw value {value} is not a number")]
    NotNumeric {
        /// The value given.
        value: RawValue,
    },
    /// Counters come from integer data types only.
    #[error("raw value {value} cannot be a counter: counters need an integer data type")]
    NotInteger {
        /// The value given.
        value: RawValue,
    },
    /// A signed counter was below zero.
    #[error("counter value {value} is negative")]
    NegativeCounter {
        /// The value read.
        value: i64,
    },
    /// Scale or offset is NaN or infinite.
    #[error("scale {scale} and offset {offset} must both be finite numbers")]
    BadScaling {
        /// The scale given.
        scale: f64,
        /// The offset given.
        offset: f64,
    },
}
