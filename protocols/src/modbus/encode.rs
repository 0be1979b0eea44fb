//! The inverse of decoding: a [`RawValue`] as the registers or bits a device
//! would hold. The machine simulator serves these, and the round-trip tests
//! check that decoding gives the value back.

use super::types::{DataType, WordOrder};
use super::value::RawValue;

/// The `data_type.count()` registers holding `value` in `order`.
///
/// Integer types take [`RawValue::Unsigned`] or [`RawValue::Signed`] within
/// their range. Float types take any of those or [`RawValue::Float`]; `f32`
/// rounds to the nearest `f32`, refusing finite values beyond its range
/// (NaN and infinities pass through). `bit N` takes a [`RawValue::Bool`] and
/// yields a register with only that bit possibly set; strings take
/// [`RawValue::Text`] of at most two bytes per register, padded with NUL.
pub fn encode_registers(
    data_type: DataType,
    order: WordOrder,
    value: &RawValue,
) -> Result<Vec<u16>, EncodeError> {
    match (data_type, value) {
        (DataType::Bool, _) => Err(EncodeError::NeedsBits { data_type }),
        (DataType::String { registers }, RawValue::Text(text)) => {
            let capacity = usize::from(registers.get()) * 2;
            if text.len() > capacity {
                return Err(EncodeError::TooLong {
                    data_type,
                    bytes: text.len(),
                    capacity,
                });
            }
            let mut bytes = text.as_bytes().to_vec();
            bytes.resize(capacity, 0);
            Ok(order.text_words(&bytes))
        }
        _ => {
            let width = usize::from(data_type.count()) * 2;
            let be = number_bits(data_type, value)?.to_be_bytes();
            let bytes = be.get(be.len().saturating_sub(width)..).unwrap_or_default();
            Ok(order.number_words(bytes))
        }
    }
}

/// The bits of a number type's value, right-aligned in a `u64`.
fn number_bits(data_type: DataType, value: &RawValue) -> Result<u64, EncodeError> {
    let mismatch = || EncodeError::Mismatch {
        data_type,
        value: value.clone(),
    };
    let int = || integer(value).ok_or_else(mismatch);
    let bits = match data_type {
        DataType::Bit(bit) => match value {
            RawValue::Bool(b) => Some(u64::from(*b) << bit.get()),
            _ => return Err(mismatch()),
        },
        DataType::U16 => u16::try_from(int()?).ok().map(u64::from),
        DataType::U32 => u32::try_from(int()?).ok().map(u64::from),
        DataType::U64 => u64::try_from(int()?).ok(),
        // Two's complement: the cast keeps the bit pattern.
        DataType::I16 => i16::try_from(int()?).ok().map(|v| u64::from(v as u16)),
        DataType::I32 => i32::try_from(int()?).ok().map(|v| u64::from(v as u32)),
        DataType::I64 => i64::try_from(int()?).ok().map(|v| v as u64),
        DataType::F32 => {
            let wide = float(value).ok_or_else(mismatch)?;
            let narrow = wide as f32;
            // Only a finite value that overflows f32 is out of range.
            (narrow.is_finite() || !wide.is_finite()).then(|| u64::from(narrow.to_bits()))
        }
        DataType::F64 => Some(float(value).ok_or_else(mismatch)?.to_bits()),
        DataType::Bool | DataType::String { .. } => return Err(mismatch()),
    };
    bits.ok_or_else(|| EncodeError::OutOfRange {
        data_type,
        value: value.clone(),
    })
}

/// The single bit holding a `bool` value, for coils and discrete inputs.
pub fn encode_bits(data_type: DataType, value: &RawValue) -> Result<Vec<bool>, EncodeError> {
    match (data_type, value) {
        (DataType::Bool, RawValue::Bool(b)) => Ok(vec![*b]),
        (DataType::Bool, _) => Err(EncodeError::Mismatch {
            data_type,
            value: value.clone(),
        }),
        _ => Err(EncodeError::NeedsRegisters { data_type }),
    }
}

/// An integer value widened so that every source fits.
fn integer(value: &RawValue) -> Option<i128> {
    match value {
        RawValue::Unsigned(u) => Some(i128::from(*u)),
        RawValue::Signed(i) => Some(i128::from(*i)),
        _ => None,
    }
}

fn float(value: &RawValue) -> Option<f64> {
    match value {
        RawValue::Float(x) => Some(*x),
        RawValue::Unsigned(u) => Some(*u as f64),
        RawValue::Signed(i) => Some(*i as f64),
        _ => None,
    }
}

/// Why a value cannot be encoded as a data type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    /// The value is of a kind the data type does not hold.
    #[error("{value} cannot be encoded as {data_type}")]
    Mismatch {
        /// The target data type.
        data_type: DataType,
        /// The value given.
        value: RawValue,
    },
    /// The value is outside the range of the data type.
    #[error("{value} is out of range for {data_type}")]
    OutOfRange {
        /// The target data type.
        data_type: DataType,
        /// The value given.
        value: RawValue,
    },
    /// The text does not fit the registers of the string type.
    #[error("text of {bytes} bytes does not fit {data_type} (at most {capacity} bytes)")]
    TooLong {
        /// The target data type.
        data_type: DataType,
        /// UTF-8 length of the text.
        bytes: usize,
        /// Two bytes per register.
        capacity: usize,
    },
    /// `bool` is held in coils or discrete inputs, not registers.
    #[error("{data_type} is held in coils or discrete inputs, not in registers")]
    NeedsBits {
        /// The target data type.
        data_type: DataType,
    },
    /// Register types are not held in coils or discrete inputs.
    #[error("{data_type} is held in registers, not in coils or discrete inputs")]
    NeedsRegisters {
        /// The target data type.
        data_type: DataType,
    },
}
