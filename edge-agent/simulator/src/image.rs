//! The register image of one machine: the values of its four Modbus areas at
//! one tick, with the map of which addresses exist. The Modbus server
//! answers every read from an image, so a read is an O(1) range check and
//! one copy, whatever the size of the layout.

use mes_protocols::modbus::{Area, ExceptionCode, MAX_READ_BITS, MAX_READ_REGISTERS};
use std::sync::Arc;

/// Which addresses of one area exist. Shared by every image of a machine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AreaShape {
    /// Address of the first entry of `run_end`.
    base: u16,
    /// For each address from `base`: one past the end of the run of mapped
    /// addresses containing it, or 0 when it is not mapped.
    run_end: Vec<u32>,
}

impl AreaShape {
    /// The shape covering the given `(start, count)` spans (which may touch
    /// or overlap).
    pub fn from_spans(spans: &[(u16, u16)]) -> Self {
        let Some(base) = spans.iter().map(|s| s.0).min() else {
            return Self::default();
        };
        let end = spans
            .iter()
            .map(|&(s, c)| u32::from(s) + u32::from(c))
            .max()
            .unwrap_or(0);
        let len = (end - u32::from(base)) as usize;
        let mut mapped = vec![false; len];
        for &(start, count) in spans {
            let from = usize::from(start - base);
            for slot in mapped.iter_mut().skip(from).take(usize::from(count)) {
                *slot = true;
            }
        }
        let mut run_end = vec![0u32; len];
        let mut current_end = 0u32;
        for i in (0..len).rev() {
            if mapped[i] {
                if current_end == 0 {
                    current_end = u32::from(base) + i as u32 + 1;
                }
                run_end[i] = current_end;
            } else {
                current_end = 0;
            }
        }
        Self { base, run_end }
    }

    /// Index into the area's values of a read of `count` from `start`, if
    /// every address of it is mapped.
    fn index_of(&self, start: u16, count: u16) -> Option<usize> {
        let index = usize::from(start.checked_sub(self.base)?);
        let end = *self.run_end.get(index)?;
        (end != 0 && end >= u32::from(start) + u32::from(count)).then_some(index)
    }

    /// Number of addresses from the base (mapped or not).
    pub fn len(&self) -> usize {
        self.run_end.len()
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.run_end.is_empty()
    }

    /// The lowest mapped address.
    pub fn base(&self) -> u16 {
        self.base
    }
}

/// The shapes of a machine's four areas.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageShape {
    areas: [AreaShape; 4],
}

impl ImageShape {
    /// A shape from one [`AreaShape`] per area, in [`Area::ALL`] order.
    pub fn new(areas: [AreaShape; 4]) -> Self {
        Self { areas }
    }

    /// The shape of one area.
    pub fn area(&self, area: Area) -> &AreaShape {
        &self.areas[area_index(area)]
    }
}

/// A machine's registers and bits at one moment. Bits are stored as 0 or 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterImage {
    shape: Arc<ImageShape>,
    values: [Vec<u16>; 4],
}

impl RegisterImage {
    /// An all-zero image of `shape`.
    pub fn zeroed(shape: Arc<ImageShape>) -> Self {
        let values = Area::ALL.map(|area| vec![0; shape.area(area).len()]);
        Self { shape, values }
    }

    /// Writes `words` (or bits as 0/1) from `address`. Addresses outside the
    /// shape are ignored: the layout only writes where it mapped.
    pub fn write(&mut self, area: Area, address: u16, words: impl IntoIterator<Item = u16>) {
        let base = self.shape.area(area).base();
        let Some(from) = address.checked_sub(base) else {
            return;
        };
        let values = &mut self.values[area_index(area)];
        for (slot, word) in values.iter_mut().skip(usize::from(from)).zip(words) {
            *slot = word;
        }
    }

    /// The registers (or bits as 0/1) of a read of `count` from `start`:
    /// exception 0x03 for a count of 0 or beyond the protocol maximum, 0x02
    /// when any address in the range is not mapped.
    pub fn read(&self, area: Area, start: u16, count: u16) -> Result<&[u16], ExceptionCode> {
        let max = if area.is_bits() {
            MAX_READ_BITS
        } else {
            MAX_READ_REGISTERS
        };
        if count == 0 || count > max {
            return Err(ExceptionCode::IllegalDataValue);
        }
        let index = self
            .shape
            .area(area)
            .index_of(start, count)
            .ok_or(ExceptionCode::IllegalDataAddress)?;
        self.values[area_index(area)]
            .get(index..index + usize::from(count))
            .ok_or(ExceptionCode::IllegalDataAddress)
    }
}

fn area_index(area: Area) -> usize {
    match area {
        Area::Coil => 0,
        Area::DiscreteInput => 1,
        Area::HoldingRegister => 2,
        Area::InputRegister => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> RegisterImage {
        let holding = AreaShape::from_spans(&[(10, 2), (12, 2), (20, 1)]);
        let shape = ImageShape::new([
            AreaShape::default(),
            AreaShape::default(),
            holding,
            AreaShape::default(),
        ]);
        let mut image = RegisterImage::zeroed(Arc::new(shape));
        image.write(Area::HoldingRegister, 10, [1, 2, 3, 4]);
        image.write(Area::HoldingRegister, 20, [9]);
        image
    }

    #[test]
    fn reads_inside_one_run_of_mapped_addresses() {
        let image = image();
        assert_eq!(image.read(Area::HoldingRegister, 10, 4), Ok(&[1, 2, 3, 4][..]));
        assert_eq!(image.read(Area::HoldingRegister, 11, 2), Ok(&[2, 3][..]));
        assert_eq!(image.read(Area::HoldingRegister, 20, 1), Ok(&[9][..]));
    }

    #[test]
    fn reads_touching_unmapped_addresses_are_illegal_data_address() {
        let image = image();
        for (start, count) in [(9, 1), (9, 2), (13, 2), (14, 1), (10, 11), (21, 1), (65535, 1)] {
            assert_eq!(
                image.read(Area::HoldingRegister, start, count),
                Err(ExceptionCode::IllegalDataAddress),
                "{start} x {count}"
            );
        }
        assert_eq!(
            image.read(Area::Coil, 0, 1),
            Err(ExceptionCode::IllegalDataAddress)
        );
    }

    #[test]
    fn bad_counts_are_illegal_data_value() {
        let image = image();
        assert_eq!(
            image.read(Area::HoldingRegister, 10, 0),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            image.read(Area::HoldingRegister, 10, 126),
            Err(ExceptionCode::IllegalDataValue)
        );
    }
}
