//! Turning the registers or bits of one value, as a read returned them, into
//! a [`RawValue`]. Never panics: every malformed input is a [`DecodeError`]
//! that names the data type and what was wrong.

use super::types::{DataType, WordOrder};
use super::value::RawValue;

/// Decodes one value of `data_type` (anything but `bool`) from exactly
/// `data_type.count()` registers, as received, in address order.
///
/// Numbers follow `order` (see [`WordOrder`]). Floats decode to
/// [`RawValue::Float`] even when NaN or infinite; check
/// [`RawValue::is_finite`].
///
/// Strings take two bytes per register, in the byte order `order` gives
/// (high byte first for `abcd`/`cdab`). The text ends at the first NUL byte
/// (devices often leave old bytes after the terminator), and trailing spaces
/// are then removed; leading spaces are kept. The bytes must be valid UTF-8:
/// anything else is [`DecodeError::InvalidUtf8`] naming the bytes, rather
/// than a silent replacement character, so a wrong order or address shows up
/// as a counted bad reading instead of garbled text in reports.
pub fn decode_registers(
    data_type: DataType,
    order: WordOrder,
    words: &[u16],
) -> Result<RawValue, DecodeError> {
    if data_type.reads_bits() {
        return Err(DecodeError::NeedsBits { data_type });
    }
    let expected = data_type.count();
    if words.len() != usize::from(expected) {
        return Err(DecodeError::WrongLength {
            data_type,
            expected,
            got: words.len(),
            unit: "registers",
        });
    }
    let value = match data_type {
        DataType::Bool => return Err(DecodeError::NeedsBits { data_type }),
        DataType::Bit(bit) => RawValue::Bool((number(order, words) >> bit.get()) & 1 == 1),
        DataType::U16 | DataType::U32 | DataType::U64 => RawValue::Unsigned(number(order, words)),
        DataType::I16 => RawValue::Signed(i64::from(number(order, words) as u16 as i16)),
        DataType::I32 => RawValue::Signed(i64::from(number(order, words) as u32 as i32)),
        DataType::I64 => RawValue::Signed(number(order, words) as i64),
        DataType::F32 => RawValue::Float(f64::from(f32::from_bits(number(order, words) as u32))),
        DataType::F64 => RawValue::Float(f64::from_bits(number(order, words))),
        DataType::String { .. } => RawValue::Text(text(data_type, order, words)?),
    };
    Ok(value)
}

/// Decodes one `bool` from exactly one coil or discrete input.
pub fn decode_bits(data_type: DataType, bits: &[bool]) -> Result<RawValue, DecodeError> {
    if !data_type.reads_bits() {
        return Err(DecodeError::NeedsRegisters { data_type });
    }
    match bits {
        [bit] => Ok(RawValue::Bool(*bit)),
        _ => Err(DecodeError::WrongLength {
            data_type,
            expected: 1,
            got: bits.len(),
            unit: "bits",
        }),
    }
}

/// The unsigned number held by 1 to 4 registers.
fn number(order: WordOrder, words: &[u16]) -> u64 {
    order
        .number_bytes(words)
        .iter()
        .fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

fn text(data_type: DataType, order: WordOrder, words: &[u16]) -> Result<String, DecodeError> {
    let bytes = order.text_bytes(words);
    let until_nul = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let kept = bytes.get(..until_nul).unwrap_or_default();
    match std::str::from_utf8(kept) {
        Ok(s) => Ok(s.trim_end_matches(' ').to_string()),
        Err(e) => Err(DecodeError::InvalidUtf8 {
            data_type,
            at: e.valid_up_to(),
            bytes,
        }),
    }
}

/// Why registers or bits could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The read returned a different number of registers or bits than the
    /// data type occupies.
    #[error("{data_type} needs {expected} {unit}, got {got}")]
    WrongLength {
        /// The data type decoded.
        data_type: DataType,
        /// How many it needs.
        expected: u16,
        /// How many were given.
        got: usize,
        /// `"registers"` or `"bits"`.
        unit: &'static str,
    },
    /// A `bool` was to be decoded from registers.
    #[error(
        "{data_type} is read from coils or discrete inputs, not from registers (use `bit N` for a register bit)"
    )]
    NeedsBits {
        /// The data type decoded.
        data_type: DataType,
    },
    /// A register type was to be decoded from coils or discrete inputs.
    #[error("{data_type} is read from holding or input registers, not from coils or discrete inputs")]
    NeedsRegisters {
        /// The data type decoded.
        data_type: DataType,
    },
    /// The bytes of a string are not UTF-8.
    #[error("{data_type} is not valid UTF-8 at byte {at}: bytes [{}]", hex(bytes))]
    InvalidUtf8 {
        /// The data type decoded.
        data_type: DataType,
        /// Offset of the first invalid byte.
        at: usize,
        /// All bytes of the string, in reading order.
        bytes: Vec<u8>,
    },
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}
