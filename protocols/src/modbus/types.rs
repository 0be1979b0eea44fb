//! The configuration vocabulary of a Modbus value: which table it lives in
//! ([`Area`]), how its registers are to be read ([`DataType`]) and in which
//! byte and word order the device stores it ([`WordOrder`]). These types are
//! embedded in the agent's config, so they deserialize with clear errors and
//! cannot hold an out-of-range value once built.

use serde::Deserialize;
use std::fmt;

/// Most registers one "read holding/input registers" request may ask for
/// (Modbus Application Protocol Specification v1.1b3, §6.3 and §6.4: 0x7D).
pub const MAX_READ_REGISTERS: u16 = 125;

/// Most bits one "read coils/discrete inputs" request may ask for
/// (Modbus Application Protocol Specification v1.1b3, §6.1 and §6.2: 0x7D0).
pub const MAX_READ_BITS: u16 = 2000;

/// One of the four Modbus data tables. Addresses inside an area are 0-based
/// protocol addresses (`u16`, 0..=65535): what goes on the wire, not the
/// 1-based "40001" notation of PLC manuals (see
/// [`parse_classic_address`](super::parse_classic_address) for that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Read-write single bits (function code 0x01 to read); classic prefix 0.
    Coil,
    /// Read-only single bits (function code 0x02); classic prefix 1.
    DiscreteInput,
    /// Read-write 16-bit registers (function code 0x03); classic prefix 4.
    HoldingRegister,
    /// Read-only 16-bit registers (function code 0x04); classic prefix 3.
    InputRegister,
}

impl Area {
    /// All four areas, in the order the planner emits blocks.
    pub const ALL: [Area; 4] = [
        Area::Coil,
        Area::DiscreteInput,
        Area::HoldingRegister,
        Area::InputRegister,
    ];

    /// Whether this area holds single bits (coils, discrete inputs) rather
    /// than 16-bit registers.
    pub fn is_bits(self) -> bool {
        matches!(self, Area::Coil | Area::DiscreteInput)
    }

    /// The function code that reads this area.
    pub fn read_function_code(self) -> u8 {
        match self {
            Area::Coil => 0x01,
            Area::DiscreteInput => 0x02,
            Area::HoldingRegister => 0x03,
            Area::InputRegister => 0x04,
        }
    }

    /// The protocol maximum of addresses one read request of this area may
    /// cover: [`MAX_READ_BITS`] or [`MAX_READ_REGISTERS`].
    pub fn max_read_count(self) -> u16 {
        if self.is_bits() {
            MAX_READ_BITS
        } else {
            MAX_READ_REGISTERS
        }
    }

    /// The leading digit of this area in the classic 1-based notation.
    pub fn classic_prefix(self) -> u8 {
        match self {
            Area::Coil => 0,
            Area::DiscreteInput => 1,
            Area::InputRegister => 3,
            Area::HoldingRegister => 4,
        }
    }

    /// What one address of this area is called ("register" or "bit"), for
    /// messages.
    pub fn unit(self) -> &'static str {
        if self.is_bits() { "bit" } else { "register" }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Area::Coil => "coil",
            Area::DiscreteInput => "discrete input",
            Area::HoldingRegister => "holding register",
            Area::InputRegister => "input register",
        })
    }
}

/// How the 16-bit registers of a value map to its bytes. Letters name the
/// bytes of a 32-bit value, most significant first (`A` = bits 31..24); the
/// order of letters is the order in which they arrive on the wire, each
/// register sending its high byte first.
///
/// The four orders are the combinations of two independent swaps:
///
/// | order  | word swap | byte swap | f32 `0x42F6E979` (123.456) as registers |
/// |--------|-----------|-----------|------------------------------------------|
/// | `abcd` | no        | no        | `[0x42F6, 0xE979]` (big-endian, the Modbus default) |
/// | `cdab` | yes       | no        | `[0xE979, 0x42F6]` (common for floats on many PLCs) |
/// | `badc` | no        | yes       | `[0xF642, 0x79E9]` |
/// | `dcba` | yes       | yes       | `[0x79E9, 0xF642]` (little-endian) |
///
/// **Word swap** reverses the order of *all* registers of the value (least
/// significant register first); **byte swap** exchanges the two bytes inside
/// each register. For 64-bit values, with bytes `A..H` most significant first,
/// that gives `abcd` = `AB CD EF GH`, `cdab` = `GH EF CD AB`, `badc` =
/// `BA DC FE HG`, `dcba` = `HG FE DC BA`. This is the usual generalisation:
/// pymodbus' `word_order="little"` reverses the whole register list and Modbus
/// Poll's "little-endian byte swap" double is `GH EF CD AB`. Devices that swap
/// only within each pair of registers (`CD AB GH EF`) are not covered.
///
/// For one-register values (`u16`, `i16`, `bit N`) the word swap has nothing
/// to do and the byte swap still applies. For strings, which are byte
/// sequences rather than numbers, only the byte swap applies: `abcd`/`cdab`
/// put each register's high byte first, `badc`/`dcba` its low byte first;
/// registers are always read in address order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordOrder {
    /// Big-endian: most significant register first, high byte first.
    #[default]
    #[serde(alias = "ABCD")]
    Abcd,
    /// Word-swapped: least significant register first, high byte first.
    #[serde(alias = "CDAB")]
    Cdab,
    /// Byte-swapped: most significant register first, low byte first.
    #[serde(alias = "BADC")]
    Badc,
    /// Little-endian: least significant register first, low byte first.
    #[serde(alias = "DCBA")]
    Dcba,
}

impl WordOrder {
    /// All four orders.
    pub const ALL: [WordOrder; 4] = [WordOrder::Abcd, WordOrder::Cdab, WordOrder::Badc, WordOrder::Dcba];

    /// Whether the registers of a multi-register number come least
    /// significant first.
    pub fn swaps_words(self) -> bool {
        matches!(self, WordOrder::Cdab | WordOrder::Dcba)
    }

    /// Whether each register carries its less significant byte first.
    pub fn swaps_bytes(self) -> bool {
        matches!(self, WordOrder::Badc | WordOrder::Dcba)
    }

    /// The bytes of a number, most significant first, from its registers as
    /// received. Yields `2 * words.len()` bytes.
    pub(crate) fn number_bytes(self, words: &[u16]) -> Vec<u8> {
        let mut ordered = words.to_vec();
        if self.swaps_words() {
            ordered.reverse();
        }
        self.text_bytes(&ordered)
    }

    /// The registers to send for a number whose bytes are given most
    /// significant first; the inverse of [`number_bytes`](Self::number_bytes).
    pub(crate) fn number_words(self, bytes: &[u8]) -> Vec<u16> {
        let mut words = self.text_words(bytes);
        if self.swaps_words() {
            words.reverse();
        }
        words
    }

    /// The bytes of a string, in reading order, from its registers.
    pub(crate) fn text_bytes(self, words: &[u16]) -> Vec<u8> {
        let swap = self.swaps_bytes();
        words
            .iter()
            .flat_map(|w| {
                let [hi, lo] = w.to_be_bytes();
                if swap { [lo, hi] } else { [hi, lo] }
            })
            .collect()
    }

    /// The registers carrying a string's bytes; a trailing odd byte is
    /// padded with NUL. The inverse of [`text_bytes`](Self::text_bytes).
    pub(crate) fn text_words(self, bytes: &[u8]) -> Vec<u16> {
        let swap = self.swaps_bytes();
        bytes
            .chunks(2)
            .map(|pair| {
                let first = pair.first().copied().unwrap_or(0);
                let second = pair.get(1).copied().unwrap_or(0);
                if swap {
                    u16::from_be_bytes([second, first])
                } else {
                    u16::from_be_bytes([first, second])
                }
            })
            .collect()
    }
}

impl fmt::Display for WordOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WordOrder::Abcd => "ABCD",
            WordOrder::Cdab => "CDAB",
            WordOrder::Badc => "BADC",
            WordOrder::Dcba => "DCBA",
        })
    }
}

/// How to interpret the addresses of one value. In config: `"bool"`, `"u16"`,
/// `"i16"`, `"u32"`, `"i32"`, `"u64"`, `"i64"`, `"f32"`, `"f64"`,
/// `{ bit = 3 }` or `{ string = { registers = 8 } }` (read by hand, with
/// errors in words: `data_type_de.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// One coil or discrete input.
    Bool,
    /// One bit of a register; bit 0 is the least significant bit of the
    /// register read as a `u16` in the tag's [`WordOrder`] (for `abcd` and
    /// `cdab` that is the register exactly as received).
    Bit(BitIndex),
    /// Unsigned 16-bit integer, one register.
    U16,
    /// Two's-complement 16-bit integer, one register.
    I16,
    /// Unsigned 32-bit integer, two registers.
    U32,
    /// Two's-complement 32-bit integer, two registers.
    I32,
    /// Unsigned 64-bit integer, four registers.
    U64,
    /// Two's-complement 64-bit integer, four registers.
    I64,
    /// IEEE 754 single precision, two registers.
    F32,
    /// IEEE 754 double precision, four registers.
    F64,
    /// UTF-8 text (ASCII is a subset) in a fixed number of registers, two
    /// bytes per register; see [`decode_registers`](super::decode_registers)
    /// for padding and invalid bytes.
    String {
        /// How many registers the text occupies.
        registers: StringRegisters,
    },
}

impl DataType {
    /// How many consecutive addresses one value occupies: registers, or bits
    /// for [`DataType::Bool`].
    pub fn count(self) -> u16 {
        match self {
            DataType::Bool | DataType::Bit(_) | DataType::U16 | DataType::I16 => 1,
            DataType::U32 | DataType::I32 | DataType::F32 => 2,
            DataType::U64 | DataType::I64 | DataType::F64 => 4,
            DataType::String { registers } => registers.get(),
        }
    }

    /// Whether values of this type are read from bit areas (coils,
    /// discrete inputs) rather than from registers.
    pub fn reads_bits(self) -> bool {
        matches!(self, DataType::Bool)
    }

    /// Whether this type can be read from `area`.
    pub fn fits_area(self, area: Area) -> bool {
        self.reads_bits() == area.is_bits()
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Bool => f.write_str("bool"),
            DataType::Bit(bit) => write!(f, "bit {}", bit.get()),
            DataType::U16 => f.write_str("u16"),
            DataType::I16 => f.write_str("i16"),
            DataType::U32 => f.write_str("u32"),
            DataType::I32 => f.write_str("i32"),
            DataType::U64 => f.write_str("u64"),
            DataType::I64 => f.write_str("i64"),
            DataType::F32 => f.write_str("f32"),
            DataType::F64 => f.write_str("f64"),
            DataType::String { registers } => write!(f, "string of {} registers", registers.get()),
        }
    }
}

/// A bit position inside a 16-bit register, 0 (least significant) to 15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "u8")]
pub struct BitIndex(u8);

impl BitIndex {
    /// The bit position `bit`, if it is at most 15.
    pub fn new(bit: u8) -> Result<Self, TypeError> {
        if bit <= 15 {
            Ok(Self(bit))
        } else {
            Err(TypeError::BitOutOfRange { bit })
        }
    }

    /// The bit position, 0..=15.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for BitIndex {
    type Error = TypeError;
    fn try_from(bit: u8) -> Result<Self, TypeError> {
        Self::new(bit)
    }
}

/// The length of a string value in registers: 1 to [`MAX_READ_REGISTERS`],
/// so that one read request can always fetch it whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "u16")]
pub struct StringRegisters(u16);

impl StringRegisters {
    /// A string length of `registers`, if it is 1..=125.
    pub fn new(registers: u16) -> Result<Self, TypeError> {
        if (1..=MAX_READ_REGISTERS).contains(&registers) {
            Ok(Self(registers))
        } else {
            Err(TypeError::StringLength { registers })
        }
    }

    /// The length in registers.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl TryFrom<u16> for StringRegisters {
    type Error = TypeError;
    fn try_from(registers: u16) -> Result<Self, TypeError> {
        Self::new(registers)
    }
}

/// A data type parameter out of its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeError {
    /// A register has bits 0 to 15 only.
    #[error("bit {bit} does not exist: a register has bits 0 to 15")]
    BitOutOfRange {
        /// The bit asked for.
        bit: u8,
    },
    /// A string must span 1 to 125 registers.
    #[error("a string of {registers} registers is not allowed: it must have 1 to {MAX_READ_REGISTERS}")]
    StringLength {
        /// The length asked for.
        registers: u16,
    },
}
