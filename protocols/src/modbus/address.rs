//! Where a value lives: the classic 1-based "40001" notation found in PLC
//! manuals, converted once into 0-based protocol addresses, and [`Point`], a
//! checked (area, address, data type, order) quadruple that the decoder and
//! the planner can trust.

use super::decode::{DecodeError, decode_bits, decode_registers};
use super::plan::Span;
use super::types::{Area, DataType, WordOrder};
use super::value::RawValue;
use std::fmt;

/// A 0-based protocol address in one area, as sent on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaAddress {
    /// The data table.
    pub area: Area,
    /// The 0-based protocol address (classic `40001` is holding register 0).
    pub address: u16,
}

impl AreaAddress {
    /// The classic 1-based notation of this address: five digits (`40001`)
    /// while the 1-based number fits in four digits, six (`410000`) beyond.
    pub fn classic(self) -> String {
        let number = u32::from(self.address) + 1;
        let prefix = self.area.classic_prefix();
        if number <= 9999 {
            format!("{prefix}{number:04}")
        } else {
            format!("{prefix}{number:05}")
        }
    }
}

impl fmt::Display for AreaAddress {
    /// `holding register 209 (40210)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.area, self.address, self.classic())
    }
}

/// Converts the classic 1-based notation of PLC manuals to an area and a
/// 0-based protocol address.
///
/// The first digit names the area (`0` coil, `1` discrete input, `3` input
/// register, `4` holding register) and the rest is a 1-based number:
/// five digits in all reach numbers 1..=9999 (`40001`..`49999`), six digits
/// reach 1..=65536 (`400001`..`465536`). So `"40001"` is holding register 0
/// and `"30010"` is input register 9. Surrounding whitespace is ignored.
pub fn parse_classic_address(text: &str) -> Result<AreaAddress, AddressError> {
    let error = |reason| AddressError {
        text: text.to_string(),
        reason,
    };
    let digits = text.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(AddressProblem::NotDigits));
    }
    let (max, len) = match digits.len() {
        5 => (9999, 5),
        6 => (65536, 6),
        len => return Err(error(AddressProblem::Length { len })),
    };
    let area = match digits.as_bytes().first() {
        Some(b'0') => Area::Coil,
        Some(b'1') => Area::DiscreteInput,
        Some(b'3') => Area::InputRegister,
        Some(b'4') => Area::HoldingRegister,
        _ => return Err(error(AddressProblem::Prefix)),
    };
    let number: u32 = digits
        .get(1..len)
        .and_then(|rest| rest.parse().ok())
        .ok_or_else(|| error(AddressProblem::NotDigits))?;
    if number == 0 || number > max {
        return Err(error(AddressProblem::Range { number, max }));
    }
    let address = u16::try_from(number - 1).map_err(|_| error(AddressProblem::Range { number, max }))?;
    Ok(AreaAddress { area, address })
}

/// The 0-based protocol address of `number` written in the classic
/// (Modicon) numbering of a PLC manual, for a value of `area`: `40003` in
/// the holding register area is address 2, `300010` in the input register
/// area address 9. Coil numbers lose their leading zeros when written as a
/// number (`00017` is `17`), so in the coil area any 1..=65536 is coil
/// `number - 1`. A number whose first digit names another area is refused
/// with [`AddressProblem::OtherArea`].
pub fn modicon_address(area: Area, number: u32) -> Result<u16, AddressError> {
    let digits = number.to_string();
    let prefix = char::from(b'0' + area.classic_prefix());
    let text = if matches!(digits.len(), 5 | 6) && digits.starts_with(prefix) {
        digits
    } else if area == Area::Coil {
        format!("{number:06}")
    } else {
        let named = parse_classic_address(&digits)?.area;
        return Err(AddressError {
            text: digits,
            reason: AddressProblem::OtherArea { named, area },
        });
    };
    let at = parse_classic_address(&text)?;
    if at.area != area {
        return Err(AddressError {
            text,
            reason: AddressProblem::OtherArea { named: at.area, area },
        });
    }
    Ok(at.address)
}

/// A classic address that could not be converted, with the text given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("classic Modbus address {text:?} is invalid: {reason}")]
pub struct AddressError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: AddressProblem,
}

/// What is wrong with a classic address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressProblem {
    /// Only ASCII digits are allowed.
    #[error("only digits are allowed (like 40001)")]
    NotDigits,
    /// Classic addresses have five or six digits.
    #[error("it has {len} digits; use five (40001..49999) or six (400001..465536)")]
    Length {
        /// Number of characters given.
        len: usize,
    },
    /// The first digit is not 0, 1, 3 or 4.
    #[error(
        "the first digit must be 0 (coil), 1 (discrete input), 3 (input register) or 4 (holding register)"
    )]
    Prefix,
    /// The number's first digit names another area than the value's.
    #[error("its first digit names the {named} area, but the value is in the {area} area")]
    OtherArea {
        /// The area the number's first digit names.
        named: Area,
        /// The area the value was configured in.
        area: Area,
    },
    /// The 1-based number is 0 or too large for the notation.
    #[error(
        "the number after the first digit is {number}, but classic addresses count from 1 to {max} \
         (40001 is protocol address 0)"
    )]
    Range {
        /// The 1-based number found after the area digit.
        number: u32,
        /// The largest number this length of notation can hold.
        max: u32,
    },
}

/// A value to read: its area, 0-based start address, data type and order,
/// checked to belong together and to fit in the 65536-address space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Point {
    area: Area,
    address: u16,
    data_type: DataType,
    order: WordOrder,
}

impl Point {
    /// A point, if `data_type` can be read from `area` (`bool` from coils and
    /// discrete inputs, everything else from registers) and all its
    /// addresses are at most 65535.
    pub fn new(area: Area, address: u16, data_type: DataType, order: WordOrder) -> Result<Self, PointError> {
        if !data_type.fits_area(area) {
            return Err(PointError::WrongArea { data_type, area });
        }
        let end = u32::from(address) + u32::from(data_type.count());
        if end > 65536 {
            return Err(PointError::PastEnd {
                data_type,
                at: AreaAddress { area, address },
            });
        }
        Ok(Self {
            area,
            address,
            data_type,
            order,
        })
    }

    /// The data table.
    pub fn area(&self) -> Area {
        self.area
    }

    /// The 0-based address of the first register or bit.
    pub fn address(&self) -> u16 {
        self.address
    }

    /// How the addresses are interpreted.
    pub fn data_type(&self) -> DataType {
        self.data_type
    }

    /// The byte and word order of multi-byte values.
    pub fn order(&self) -> WordOrder {
        self.order
    }

    /// The area and address, for messages.
    pub fn at(&self) -> AreaAddress {
        AreaAddress {
            area: self.area,
            address: self.address,
        }
    }

    /// Decodes this point's value from its registers (see [`decode_registers`]).
    pub fn decode_registers(&self, words: &[u16]) -> Result<RawValue, DecodeError> {
        decode_registers(self.data_type, self.order, words)
    }

    /// Decodes this point's value from its bit (see [`decode_bits`]).
    pub fn decode_bits(&self, bits: &[bool]) -> Result<RawValue, DecodeError> {
        decode_bits(self.data_type, bits)
    }

    /// The addresses this point occupies, as the planner takes them.
    pub fn span(&self) -> Span {
        Span {
            area: self.area,
            start: self.address,
            count: self.data_type.count(),
        }
    }
}

/// A point whose parts do not go together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    /// `bool` needs a bit area; every other type needs a register area.
    #[error(
        "data type {data_type} cannot be read from the {area} area: bool needs coils or discrete inputs, \
         every other type holding or input registers (use `bit N` for one bit of a register)"
    )]
    WrongArea {
        /// The data type asked for.
        data_type: DataType,
        /// The area asked for.
        area: Area,
    },
    /// The value would run past address 65535.
    #[error("data type {data_type} at {at} runs past the last address 65535")]
    PastEnd {
        /// The data type asked for.
        data_type: DataType,
        /// Where it starts.
        at: AreaAddress,
    },
}
