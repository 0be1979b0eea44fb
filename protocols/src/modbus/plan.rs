//! The request planner: fewest read requests that fetch every tag of one
//! device (one unit id), within the protocol's and the integrator's limits.
//! Polling a device costs one round trip per request, so merging neighbours
//! is what makes a 100-tag device pollable every second over RTU.

use super::types::{Area, MAX_READ_BITS, MAX_READ_REGISTERS};
use serde::Deserialize;

/// Default for [`PlanLimits::max_register_gap`].
pub const DEFAULT_MAX_REGISTER_GAP: u16 = 8;

/// Default for [`PlanLimits::max_bit_gap`].
pub const DEFAULT_MAX_BIT_GAP: u16 = 32;

/// The addresses one tag occupies: `count` registers or bits from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The data table.
    pub area: Area,
    /// The 0-based address of the first register or bit.
    pub start: u16,
    /// How many registers or bits; at least 1.
    pub count: u16,
}

impl Span {
    /// One past the last address (up to 65536).
    pub fn end(&self) -> u32 {
        u32::from(self.start) + u32::from(self.count)
    }
}

/// How the planner may merge tags: the largest request per area kind and the
/// largest run of unused addresses it will read to join two tags into one
/// request. In config every field is optional:
///
/// ```toml
/// max_registers = 125     # 1..=125 per read holding/input registers request
/// max_bits = 2000         # 1..=2000 per read coils/discrete inputs request
/// max_register_gap = 8    # unused registers bridged between two tags
/// max_bit_gap = 32        # unused bits bridged between two tags
/// ```
///
/// Lower `max_registers`/`max_bits` for devices that cannot serve full-size
/// requests, and set a gap to 0 for devices that answer "Illegal Data
/// Address" when a request touches an unmapped address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "PlanLimitsConfig")]
pub struct PlanLimits {
    max_registers: u16,
    max_bits: u16,
    max_register_gap: u16,
    max_bit_gap: u16,
}

impl PlanLimits {
    /// Limits, if the request sizes are between 1 and the protocol maxima
    /// ([`MAX_READ_REGISTERS`], [`MAX_READ_BITS`]).
    pub fn new(
        max_registers: u16,
        max_bits: u16,
        max_register_gap: u16,
        max_bit_gap: u16,
    ) -> Result<Self, LimitsError> {
        check("max_registers", max_registers, MAX_READ_REGISTERS)?;
        check("max_bits", max_bits, MAX_READ_BITS)?;
        Ok(Self {
            max_registers,
            max_bits,
            max_register_gap,
            max_bit_gap,
        })
    }

    /// Most registers per read holding/input registers request.
    pub fn max_registers(&self) -> u16 {
        self.max_registers
    }

    /// Most bits per read coils/discrete inputs request.
    pub fn max_bits(&self) -> u16 {
        self.max_bits
    }

    /// Most unused registers read to join two tags.
    pub fn max_register_gap(&self) -> u16 {
        self.max_register_gap
    }

    /// Most unused bits read to join two tags.
    pub fn max_bit_gap(&self) -> u16 {
        self.max_bit_gap
    }

    /// The request size limit for `area`.
    pub fn max_count(&self, area: Area) -> u16 {
        if area.is_bits() {
            self.max_bits
        } else {
            self.max_registers
        }
    }

    /// The gap limit for `area`.
    pub fn max_gap(&self, area: Area) -> u16 {
        if area.is_bits() {
            self.max_bit_gap
        } else {
            self.max_register_gap
        }
    }
}

impl Default for PlanLimits {
    /// The protocol maxima and the default gaps.
    fn default() -> Self {
        Self {
            max_registers: MAX_READ_REGISTERS,
            max_bits: MAX_READ_BITS,
            max_register_gap: DEFAULT_MAX_REGISTER_GAP,
            max_bit_gap: DEFAULT_MAX_BIT_GAP,
        }
    }
}

fn check(name: &'static str, value: u16, max: u16) -> Result<(), LimitsError> {
    if value == 0 || value > max {
        Err(LimitsError { name, value, max })
    } else {
        Ok(())
    }
}

/// The config form of [`PlanLimits`], checked on conversion.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanLimitsConfig {
    #[serde(default = "default_max_registers")]
    max_registers: u16,
    #[serde(default = "default_max_bits")]
    max_bits: u16,
    #[serde(default = "default_register_gap")]
    max_register_gap: u16,
    #[serde(default = "default_bit_gap")]
    max_bit_gap: u16,
}

fn default_max_registers() -> u16 {
    MAX_READ_REGISTERS
}
fn default_max_bits() -> u16 {
    MAX_READ_BITS
}
fn default_register_gap() -> u16 {
    DEFAULT_MAX_REGISTER_GAP
}
fn default_bit_gap() -> u16 {
    DEFAULT_MAX_BIT_GAP
}

impl TryFrom<PlanLimitsConfig> for PlanLimits {
    type Error = LimitsError;
    fn try_from(c: PlanLimitsConfig) -> Result<Self, LimitsError> {
        PlanLimits::new(c.max_registers, c.max_bits, c.max_register_gap, c.max_bit_gap)
    }
}

/// A request size limit of 0 or above the protocol maximum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} = {value} is not allowed: it must be 1 to {max}, the Modbus protocol maximum")]
pub struct LimitsError {
    /// The setting, as named in config.
    pub name: &'static str,
    /// The value given.
    pub value: u16,
    /// The protocol maximum.
    pub max: u16,
}

/// One read request: `count` registers or bits of `area` from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReadBlock {
    /// The data table, which also gives the function code.
    pub area: Area,
    /// The 0-based address of the first register or bit requested.
    pub start: u16,
    /// How many registers or bits to request.
    pub count: u16,
}

impl ReadBlock {
    /// One past the last address requested.
    pub fn end(&self) -> u32 {
        u32::from(self.start) + u32::from(self.count)
    }
}

/// Where one tag's data sits in the reply to one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Placement {
    /// Index into [`ReadPlan::blocks`].
    pub block: usize,
    /// Position of the tag's first register or bit in the block's reply.
    pub offset: u16,
    /// How many registers or bits the tag occupies.
    pub count: u16,
}

impl Placement {
    /// The tag's registers or bits out of the block's reply, or `None` if
    /// the reply is shorter than the plan asked for.
    pub fn slice<'a, T>(&self, reply: &'a [T]) -> Option<&'a [T]> {
        let start = usize::from(self.offset);
        reply.get(start..start + usize::from(self.count))
    }
}

/// The read requests for one device and where each tag's data is in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPlan {
    /// The requests, ordered by area (coils, discrete inputs, holding
    /// registers, input registers) and then by start address.
    pub blocks: Vec<ReadBlock>,
    /// One placement per tag, in the order the tags were given.
    pub placements: Vec<Placement>,
}

/// Plans the reads for `tags` of one device.
///
/// Guarantees: each tag is placed in exactly one block of its own area that
/// contains all of its addresses; no block exceeds the limit of its area or
/// address 65535; within a block, no run of addresses covered by none of its
/// tags is longer than the gap limit; blocks never mix areas. Tags are taken
/// in address order and each joins the current block when that keeps the
/// block within both limits, so two consecutive blocks of an area could never
/// have been one. Blocks overlap only when overlapping tags force it.
pub fn plan_reads(tags: &[Span], limits: &PlanLimits) -> Result<ReadPlan, PlanError> {
    for (index, tag) in tags.iter().enumerate() {
        check_tag(index, tag, limits)?;
    }
    let mut order: Vec<usize> = (0..tags.len()).collect();
    order.sort_by_key(|&i| tags.get(i).map(|t| (t.area, t.start)));

    let mut blocks: Vec<ReadBlock> = Vec::new();
    let mut placements = vec![
        Placement {
            block: 0,
            offset: 0,
            count: 0
        };
        tags.len()
    ];
    for i in order {
        let Some(tag) = tags.get(i) else { continue };
        let (block, start) = match blocks.last_mut() {
            Some(last) if joins(last, tag, limits) => {
                last.count = narrow(last.end().max(tag.end()) - u32::from(last.start));
                let start = last.start;
                (blocks.len() - 1, start)
            }
            _ => {
                blocks.push(ReadBlock {
                    area: tag.area,
                    start: tag.start,
                    count: tag.count,
                });
                (blocks.len() - 1, tag.start)
            }
        };
        if let Some(placement) = placements.get_mut(i) {
            // Tags are visited in address order, so a block never starts after its tags.
            *placement = Placement {
                block,
                offset: tag.start.saturating_sub(start),
                count: tag.count,
            };
        }
    }
    Ok(ReadPlan { blocks, placements })
}

/// Whether `tag`, which starts at or after `block`, can join it.
fn joins(block: &ReadBlock, tag: &Span, limits: &PlanLimits) -> bool {
    let gap = u32::from(tag.start).saturating_sub(block.end());
    let merged = block.end().max(tag.end()) - u32::from(block.start);
    block.area == tag.area
        && gap <= u32::from(limits.max_gap(tag.area))
        && merged <= u32::from(limits.max_count(tag.area))
}

/// A block length already checked to be at most a request limit.
fn narrow(count: u32) -> u16 {
    u16::try_from(count).unwrap_or(u16::MAX)
}

fn check_tag(index: usize, tag: &Span, limits: &PlanLimits) -> Result<(), PlanError> {
    let max = limits.max_count(tag.area);
    if tag.count == 0 {
        Err(PlanError::Empty { index, tag: *tag })
    } else if tag.end() > 65536 {
        Err(PlanError::PastEnd { index, tag: *tag })
    } else if tag.count > max {
        Err(PlanError::TooLong {
            index,
            tag: *tag,
            max,
        })
    } else {
        Ok(())
    }
}

/// A tag the planner cannot place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A tag of no addresses.
    #[error("tag #{index} at {} {} occupies no addresses", tag.area, tag.start)]
    Empty {
        /// Position of the tag in the input.
        index: usize,
        /// The tag.
        tag: Span,
    },
    /// A tag running past address 65535.
    #[error("tag #{index}: {} {}s from {} {} run past the last address 65535",
        tag.count, tag.area.unit(), tag.area, tag.start)]
    PastEnd {
        /// Position of the tag in the input.
        index: usize,
        /// The tag.
        tag: Span,
    },
    /// A tag larger than one request may be.
    #[error("tag #{index}: {} {}s from {} {} exceed the limit of {max} per request",
        tag.count, tag.area.unit(), tag.area, tag.start)]
    TooLong {
        /// Position of the tag in the input.
        index: usize,
        /// The tag.
        tag: Span,
        /// The configured request limit for its area.
        max: u16,
    },
}
