//! A machine's register layout: where each signal lives, in which data type
//! and word order, checked once (types fit the signal, nothing overlaps,
//! everything fits the address space), and how a [`MachineStatus`] becomes
//! a [`RegisterImage`] through the shared Modbus encoder, so the registers
//! are exactly what the agent's decoder expects.
//!
//! The default layout (every signal can be moved, retyped or omitted):
//!
//! | signal          | area             | address | type            | order | meaning |
//! |-----------------|------------------|---------|-----------------|-------|---------|
//! | `run`           | coil             | 0       | bool            |       | running |
//! | `setup`         | coil             | 1       | bool            |       | in setup |
//! | `fault`         | coil             | 2       | bool            |       | down |
//! | `state`         | holding register | 0       | u16             | ABCD  | 0 idle, 1 running, 2 setup, 3 down |
//! | `fault_code`    | holding register | 1       | u16             | ABCD  | 0 unless down |
//! | `good_count`    | holding register | 2       | u16             | ABCD  | wraps 65535 → 0 |
//! | `scrap_count`   | holding register | 3       | u16             | ABCD  | wraps 65535 → 0 |
//! | `temperature`   | holding register | 4-5     | f32             | CDAB  | °C |
//! | `spindle_speed` | holding register | 6-7     | f32             | CDAB  | rpm |
//! | `name`          | holding register | 8-15    | string (8 regs) | ABCD  | machine name, NUL-padded |
//! | `aux`           | holding register | 16-99   | u16 × 84        | ABCD  | changing filler values |
//!
//! Anything else (input registers, discrete inputs, coils 3+, holding
//! registers 100+) answers exception 0x02 Illegal Data Address.

use crate::config::{BlockConfig, LayoutConfig, PointConfig, Signal};
use crate::image::{AreaShape, ImageShape, RegisterImage};
use crate::machine::{MachineState, MachineStatus};
use mes_protocols::modbus::{
    Area, BitIndex, DataType, Point, RawValue, StringRegisters, WordOrder, encode_bits, encode_registers,
};
use std::fmt::{self, Write as _};
use std::sync::Arc;

/// The single-value signals in table order (everything but `aux`).
const POINT_SIGNALS: [Signal; 10] = [
    Signal::Run,
    Signal::Setup,
    Signal::Fault,
    Signal::State,
    Signal::FaultCode,
    Signal::GoodCount,
    Signal::ScrapCount,
    Signal::Temperature,
    Signal::SpindleSpeed,
    Signal::Name,
];

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Run => "run",
            Signal::Setup => "setup",
            Signal::Fault => "fault",
            Signal::State => "state",
            Signal::FaultCode => "fault_code",
            Signal::GoodCount => "good_count",
            Signal::ScrapCount => "scrap_count",
            Signal::Temperature => "temperature",
            Signal::SpindleSpeed => "spindle_speed",
            Signal::Name => "name",
            Signal::Aux => "aux",
        })
    }
}

/// What kind of value a signal carries, which decides the types it may have.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flag,
    Code,
    Counter,
    Measure,
    Text,
}

fn kind(signal: Signal) -> Kind {
    match signal {
        Signal::Run | Signal::Setup | Signal::Fault => Kind::Flag,
        Signal::State | Signal::FaultCode | Signal::Aux => Kind::Code,
        Signal::GoodCount | Signal::ScrapCount => Kind::Counter,
        Signal::Temperature | Signal::SpindleSpeed => Kind::Measure,
        Signal::Name => Kind::Text,
    }
}

/// The default place of a signal.
fn default_point(signal: Signal) -> Option<PointConfig> {
    let (area, address) = match signal {
        Signal::Run => (Area::Coil, 0),
        Signal::Setup => (Area::Coil, 1),
        Signal::Fault => (Area::Coil, 2),
        Signal::State => (Area::HoldingRegister, 0),
        Signal::FaultCode => (Area::HoldingRegister, 1),
        Signal::GoodCount => (Area::HoldingRegister, 2),
        Signal::ScrapCount => (Area::HoldingRegister, 3),
        Signal::Temperature => (Area::HoldingRegister, 4),
        Signal::SpindleSpeed => (Area::HoldingRegister, 6),
        Signal::Name => (Area::HoldingRegister, 8),
        Signal::Aux => return None,
    };
    Some(PointConfig {
        area,
        address,
        data_type: None,
        order: None,
    })
}

/// The default filler block: holding registers 16-99.
const DEFAULT_AUX: BlockConfig = BlockConfig {
    area: Area::HoldingRegister,
    address: 16,
    count: 84,
};

/// The type a signal gets when its point does not name one.
fn default_type(signal: Signal, area: Area) -> DataType {
    match kind(signal) {
        Kind::Flag if area.is_bits() => DataType::Bool,
        Kind::Flag => DataType::Bit(BitIndex::new(0).expect("0 is a valid bit index")),
        Kind::Code | Kind::Counter => DataType::U16,
        Kind::Measure => DataType::F32,
        Kind::Text => DataType::String {
            registers: StringRegisters::new(8).expect("8 is a valid string length"),
        },
    }
}

fn default_order(signal: Signal) -> WordOrder {
    match kind(signal) {
        Kind::Measure => WordOrder::Cdab,
        _ => WordOrder::Abcd,
    }
}

/// Whether `data_type` can carry a signal of `kind`.
fn type_fits(kind: Kind, data_type: DataType) -> bool {
    use DataType::*;
    match kind {
        Kind::Flag => matches!(data_type, Bool | Bit(_)),
        Kind::Code => matches!(data_type, U16 | I16 | U32 | I32 | U64 | I64),
        Kind::Counter => matches!(data_type, U16 | U32 | U64),
        Kind::Measure => matches!(data_type, F32 | F64 | U16 | I16 | U32 | I32),
        Kind::Text => matches!(data_type, String { .. }),
    }
}

/// A signal at its checked place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// The signal.
    pub signal: Signal,
    /// Where and how it is encoded.
    pub point: Point,
}

/// A machine's checked layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    points: Vec<Placed>,
    aux: Option<BlockConfig>,
    shape: Arc<ImageShape>,
}

impl Layout {
    /// The default layout (see the module documentation).
    pub fn default_layout() -> Self {
        Self::resolve(&LayoutConfig::default(), &LayoutConfig::default())
            .expect("the default layout is valid")
    }

    /// The layout of a machine: each signal from `machine`, else from
    /// `common`, else the default; signals omitted in either are left out.
    pub fn resolve(machine: &LayoutConfig, common: &LayoutConfig) -> Result<Self, LayoutError> {
        let omitted = |signal: Signal| {
            [machine, common]
                .iter()
                .any(|c| c.omit.as_deref().unwrap_or_default().contains(&signal))
        };
        let mut points = Vec::new();
        for signal in POINT_SIGNALS {
            if omitted(signal) {
                continue;
            }
            let chosen = point_config(machine, signal)
                .or_else(|| point_config(common, signal))
                .or_else(|| default_point(signal));
            if let Some(config) = chosen {
                points.push(Placed {
                    signal,
                    point: check_point(signal, config)?,
                });
            }
        }
        let aux = if omitted(Signal::Aux) {
            None
        } else {
            Some(machine.aux.or(common.aux).unwrap_or(DEFAULT_AUX))
        };
        if let Some(block) = aux {
            check_block(block)?;
        }
        check_overlaps(&points, aux)?;
        let shape = Arc::new(shape_of(&points, aux));
        Ok(Self { points, aux, shape })
    }

    /// The signals and their places, in table order.
    pub fn points(&self) -> &[Placed] {
        &self.points
    }

    /// Where a signal is served, if it is.
    pub fn point(&self, signal: Signal) -> Option<Point> {
        self.points.iter().find(|p| p.signal == signal).map(|p| p.point)
    }

    /// The filler block, if served.
    pub fn aux(&self) -> Option<BlockConfig> {
        self.aux
    }

    /// The registers and bits of a machine named `name` with `status`;
    /// `tick` drives the filler values.
    pub fn render(&self, name: &str, status: &MachineStatus, tick: u64) -> RegisterImage {
        let mut image = RegisterImage::zeroed(self.shape.clone());
        for placed in &self.points {
            let point = placed.point;
            let value = signal_value(placed.signal, point.data_type(), name, status);
            if point.data_type() == DataType::Bool {
                let bits = encode_bits(DataType::Bool, &value).unwrap_or_default();
                image.write(point.area(), point.address(), bits.into_iter().map(u16::from));
            } else {
                // Types were checked against the signal when the layout was
                // built and values are clamped to the type, so encoding
                // cannot fail; zeros would show a bug rather than hide it.
                let words = encode_registers(point.data_type(), point.order(), &value)
                    .unwrap_or_else(|_| vec![0; usize::from(point.data_type().count())]);
                image.write(point.area(), point.address(), words);
            }
        }
        if let Some(block) = self.aux {
            // Values 0..1000 that change every ten ticks, each register
            // offset from its neighbour.
            let phase = tick / 10;
            let words = (0..block.count).map(|i| (phase.wrapping_add(u64::from(i) * 7) % 1000) as u16);
            image.write(block.area, block.address, words);
        }
        image
    }

    /// The layout as a text table, one signal per line, for the start-up
    /// summary.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "  {:<14} {:<17} {:<14} {:<22} {:<5}",
            "signal", "area", "address", "type", "order"
        );
        for placed in &self.points {
            let p = placed.point;
            let last = u32::from(p.address()) + u32::from(p.data_type().count()) - 1;
            let order = if p.data_type().count() > 1 || !p.area().is_bits() {
                p.order().to_string()
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:<14} {:<17} {:<14} {:<22} {:<5}",
                placed.signal.to_string(),
                p.area().to_string(),
                addresses(p.address(), last),
                p.data_type().to_string(),
                order
            );
        }
        if let Some(block) = self.aux {
            let last = u32::from(block.address) + u32::from(block.count) - 1;
            let _ = writeln!(
                out,
                "  {:<14} {:<17} {:<14} {:<22} {:<5}",
                "aux",
                block.area.to_string(),
                addresses(block.address, last),
                format!("u16 x {}", block.count),
                "ABCD"
            );
        }
        out
    }
}

fn addresses(first: u16, last: u32) -> String {
    if u32::from(first) == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    }
}

fn point_config(config: &LayoutConfig, signal: Signal) -> Option<PointConfig> {
    match signal {
        Signal::Run => config.run,
        Signal::Setup => config.setup,
        Signal::Fault => config.fault,
        Signal::State => config.state,
        Signal::FaultCode => config.fault_code,
        Signal::GoodCount => config.good_count,
        Signal::ScrapCount => config.scrap_count,
        Signal::Temperature => config.temperature,
        Signal::SpindleSpeed => config.spindle_speed,
        Signal::Name => config.name,
        Signal::Aux => None,
    }
}

fn check_point(signal: Signal, config: PointConfig) -> Result<Point, LayoutError> {
    let data_type = config
        .data_type
        .unwrap_or_else(|| default_type(signal, config.area));
    if !type_fits(kind(signal), data_type) {
        return Err(LayoutError::Type { signal, data_type });
    }
    let order = config.order.unwrap_or_else(|| default_order(signal));
    Point::new(config.area, config.address, data_type, order).map_err(|e| LayoutError::Point {
        signal,
        reason: e.to_string(),
    })
}

fn check_block(block: BlockConfig) -> Result<(), LayoutError> {
    if block.area.is_bits() || block.count == 0 || u32::from(block.address) + u32::from(block.count) > 65536 {
        return Err(LayoutError::Aux {
            reason: format!(
                "{} registers from {} {}: the block needs a register area, at least one register and \
                 must end by address 65535",
                block.count, block.area, block.address
            ),
        });
    }
    Ok(())
}

/// The `(signal, area, start, count)` of everything mapped.
fn spans(points: &[Placed], aux: Option<BlockConfig>) -> Vec<(Signal, Area, u16, u16)> {
    let mut spans: Vec<_> = points
        .iter()
        .map(|p| {
            (
                p.signal,
                p.point.area(),
                p.point.address(),
                p.point.data_type().count(),
            )
        })
        .collect();
    if let Some(b) = aux {
        spans.push((Signal::Aux, b.area, b.address, b.count));
    }
    spans
}

fn check_overlaps(points: &[Placed], aux: Option<BlockConfig>) -> Result<(), LayoutError> {
    let mut spans = spans(points, aux);
    spans.sort_by_key(|&(_, area, start, _)| (area, start));
    for pair in spans.windows(2) {
        let [(first, area_a, start_a, count_a), (second, area_b, start_b, _)] = *pair else {
            continue;
        };
        if area_a == area_b && u32::from(start_a) + u32::from(count_a) > u32::from(start_b) {
            return Err(LayoutError::Overlap {
                first,
                second,
                area: area_a,
                address: start_b,
            });
        }
    }
    Ok(())
}

fn shape_of(points: &[Placed], aux: Option<BlockConfig>) -> ImageShape {
    let spans = spans(points, aux);
    ImageShape::new(Area::ALL.map(|area| {
        let of_area: Vec<(u16, u16)> = spans
            .iter()
            .filter(|s| s.1 == area)
            .map(|&(_, _, start, count)| (start, count))
            .collect();
        AreaShape::from_spans(&of_area)
    }))
}

/// The value of a signal, fitted to its data type.
fn signal_value(signal: Signal, data_type: DataType, name: &str, status: &MachineStatus) -> RawValue {
    let flag = |b: bool| RawValue::Bool(b);
    match signal {
        Signal::Run => flag(status.state == MachineState::Running),
        Signal::Setup => flag(status.state == MachineState::Setup),
        Signal::Fault => flag(status.state == MachineState::Down),
        Signal::State => RawValue::Unsigned(u64::from(status.state.code())),
        Signal::FaultCode => RawValue::Unsigned(u64::from(status.fault_code)),
        Signal::GoodCount => RawValue::Unsigned(wrap(status.good_total, data_type)),
        Signal::ScrapCount => RawValue::Unsigned(wrap(status.scrap_total, data_type)),
        Signal::Temperature => measure(status.temperature, data_type),
        Signal::SpindleSpeed => measure(status.spindle_speed, data_type),
        Signal::Name => RawValue::Text(fit_text(name, data_type)),
        Signal::Aux => RawValue::Unsigned(0),
    }
}

/// A counter total as a register of `data_type` holds it: modulo its width,
/// so a `u16` counter goes from 65535 to 0.
pub fn wrap(total: u64, data_type: DataType) -> u64 {
    let bits = u32::from(data_type.count()) * 16;
    if bits >= 64 {
        total
    } else {
        total & ((1u64 << bits) - 1)
    }
}

/// A measured value for a float type, or rounded and saturated for an
/// integer type.
fn measure(value: f64, data_type: DataType) -> RawValue {
    let (min, max): (f64, f64) = match data_type {
        DataType::U16 => (0.0, f64::from(u16::MAX)),
        DataType::I16 => (f64::from(i16::MIN), f64::from(i16::MAX)),
        DataType::U32 => (0.0, f64::from(u32::MAX)),
        DataType::I32 => (f64::from(i32::MIN), f64::from(i32::MAX)),
        _ => return RawValue::Float(value),
    };
    RawValue::Signed(value.round().clamp(min, max) as i64)
}

/// The name cut to the capacity of the string type (names are ASCII).
fn fit_text(name: &str, data_type: DataType) -> String {
    let capacity = usize::from(data_type.count()) * 2;
    name.chars().take(capacity).collect()
}

/// A layout that cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// The data type cannot carry the signal.
    #[error(
        "signal {signal} cannot have type {data_type} (flags: bool or bit N; state, fault_code: integers; \
         counters: u16, u32, u64; measures: f32, f64, u16, i16, u32, i32; name: string)"
    )]
    Type {
        /// The signal.
        signal: Signal,
        /// The type given.
        data_type: DataType,
    },
    /// The point's area and type do not go together, or it runs past 65535.
    #[error("signal {signal}: {reason}")]
    Point {
        /// The signal.
        signal: Signal,
        /// What is wrong.
        reason: String,
    },
    /// The filler block is malformed.
    #[error("aux: {reason}")]
    Aux {
        /// What is wrong.
        reason: String,
    },
    /// Two signals share an address.
    #[error("signals {first} and {second} overlap at {area} {address}")]
    Overlap {
        /// The signal at the lower address.
        first: Signal,
        /// The signal it runs into.
        second: Signal,
        /// The area.
        area: Area,
        /// The first shared address.
        address: u16,
    },
}

#[cfg(test)]
mod tests;
