//! The Modbus codec: everything about Modbus that is not I/O.
//!
//! The edge agent polls devices with tokio-modbus and the machine simulator
//! serves registers; both use this module to agree on what the registers
//! mean. It does no I/O and never panics on device data.
//!
//! - **Where**: an [`Area`] and a 0-based protocol address (`u16`). The
//!   1-based "40001" notation of PLC manuals converts once, through
//!   [`parse_classic_address`]. A [`Point`] is a checked area, address,
//!   [`DataType`] and [`WordOrder`].
//! - **What**: [`decode_registers`] / [`decode_bits`] turn the registers or
//!   bits of one value into a [`RawValue`]; [`encode_registers`] /
//!   [`encode_bits`] do the reverse. [`RawValue::to_process_value`] applies a
//!   [`Scaling`] (`raw * scale + offset`, as `f64`), and
//!   [`RawValue::to_counter`] keeps counters exact. NaN and infinities decode
//!   but are refused there ([`ValueError::NotFinite`]), so the agent can count
//!   a bad reading. [`Deadband`] decides whether a new value is worth an
//!   event.
//! - **How to read**: [`plan_reads`] merges the [`Span`]s of a device's tags
//!   into [`ReadBlock`]s within [`PlanLimits`] (never two blocks that could
//!   have been one), and tells where each tag's data sits in them
//!   ([`Placement`]).
//! - **When it fails**: [`ExceptionCode`] names exception responses
//!   ("0x02 Illegal Data Address").
//!
//! A typical poll: build one `Point` per configured tag, plan once with their
//! spans, then on every cycle read each block and decode each tag from
//! `placement.slice(&reply)`.

mod address;
mod data_type_de;
mod deadband;
mod decode;
mod encode;
mod exception;
mod plan;
mod types;
mod value;

#[cfg(test)]
mod address_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod value_tests;

pub use address::{
    AddressError, AddressProblem, AreaAddress, Point, PointError, modicon_address, parse_classic_address,
};
pub use deadband::{Deadband, DeadbandError};
pub use decode::{DecodeError, decode_bits, decode_registers};
pub use encode::{EncodeError, encode_bits, encode_registers};
pub use exception::{ExceptionCode, exception_name};
pub use plan::{
    DEFAULT_MAX_BIT_GAP, DEFAULT_MAX_REGISTER_GAP, LimitsError, Placement, PlanError, PlanLimits, ReadBlock,
    ReadPlan, Span, plan_reads,
};
pub use types::{
    Area, BitIndex, DataType, MAX_READ_BITS, MAX_READ_REGISTERS, StringRegisters, TypeError, WordOrder,
};
pub use value::{RawValue, Scaling, ValueError};
