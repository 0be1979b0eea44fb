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
    let mismatch = || EncodeError::Mismatch {
        data_type,
        value: value.clone(),
    };
    let out_of_range = || EncodeError::OutOfRange {
        data_type,
        value: value.clone(),
    };
    let bits: u64 = match (data_type, value) {
        (DataType::Bool, _) => return Err(EncodeError::NeedsBits { data_type }),
        (DataType::Bit(bit), RawValue::Bool(b)) => u64::from(*b) << bit.get(),
        (DataType::U16, _) => {
            u64::from(u16::try_from(integer(value).ok_or_else(mismatch)?).map_err(|_| out_of_range())?)
        }
        (DataType::U32, _) => {
            u64::from(u32::try_from(integer(value).ok_or_else(mismatch)?).map_err(|_| out_of_range())?)
        }
        (DataType::U64, _) => {
            u64::try_from(integer(value).ok_or_else(mismatch)?).map_err(|_| out_of_range())?
        }
        (DataType::I16, _) => {
            u64::from(i16::try_from(integer(value).ok_or_else(mismatch)?).map_err(|_| out_of_range())? as u16)
        }
        (DataType::I32, _) => {
            u64::from(i32::try_from(integer(value).ok_or_else(mismatch)?).map_err(|_| out_of_range())? as u32)
        }
        (DataType::I64, _) => {
            i64::try_from(integer(value).ok_or_else(mismatch)?).map_err(|_| out_of_range())? as u64
        }
        (DataType::F32, _) => {
            let x = float(value).ok_or_else(mismatch)?;
            let narrow = x as f32;
            if x.is_finite() && !narrow.is_finite() {
                return Err(out_of_range());
            }
            u64::from(narrow.to_bits())
        }
        (DataType::F64, _) => float(value).ok_or_else(mismatch)?.to_bits(),
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
            return Ok(order.text_words(&bytes));
        }
        (DataType::Bit(_) | DataType::String { .. }, _) => return Err(mismatch()),
    };
    let width = usize::from(data_type.count()) * 2;
    let be = bits.to_be_bytes();
    let bytes = be.get(be.len().saturating_sub(width)..).unwrap_or_default();
    Ok(order.number_words(bytes))
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
