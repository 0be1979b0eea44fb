//! `TagValue`: a decoded tag value, whatever the protocol.

use std::fmt;

/// A tag value as a source decoded it.
#[derive(Debug, Clone, PartialEq)]
pub enum TagValue {
    /// A coil, discrete input, register bit or JSON boolean.
    Bool(bool),
    /// An integer (counters stay exact).
    Int(i64),
    /// A float (process values, after scale and offset).
    Float(f64),
    /// Text (string registers, plain payloads).
    Text(String),
}

impl TagValue {
    /// The value as a number, when it is one (booleans are 0 and 1).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            TagValue::Bool(b) => Some(f64::from(u8::from(*b))),
            TagValue::Int(i) => Some(*i as f64),
            TagValue::Float(f) => Some(*f),
            TagValue::Text(t) => t.trim().parse().ok(),
        }
    }

    /// The value as an exact integer, when it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            TagValue::Bool(b) => Some(i64::from(*b)),
            TagValue::Int(i) => Some(*i),
            TagValue::Float(f) if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.0e15 => Some(*f as i64),
            TagValue::Float(_) => None,
            TagValue::Text(t) => t.trim().parse().ok(),
        }
    }

    /// The value as a truth value: booleans, non-zero numbers, and the texts
    /// `true`/`on`/`1` (case-insensitive).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            TagValue::Bool(b) => Some(*b),
            TagValue::Int(i) => Some(*i != 0),
            TagValue::Float(f) => Some(*f != 0.0),
            TagValue::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
                "true" | "on" | "1" | "yes" => Some(true),
                "false" | "off" | "0" | "no" => Some(false),
                _ => None,
            },
        }
    }
}

impl fmt::Display for TagValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagValue::Bool(b) => write!(f, "{b}"),
            TagValue::Int(i) => write!(f, "{i}"),
            TagValue::Float(x) => write!(f, "{x}"),
            TagValue::Text(t) => write!(f, "{t:?}"),
        }
    }
}
