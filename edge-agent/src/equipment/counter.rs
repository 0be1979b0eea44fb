//! Turning a PLC counter's raw readings into part deltas: rollover at the
//! counter's width, and resets (a counter set back to zero at shift change).
//!
//! Rule: when a reading is below the previous one, the counter either rolled
//! over or was reset. If counting forward through the wrap gives a delta of
//! less than half the counter's range, it rolled over; otherwise it was reset
//! and the parts since the reset are the new reading itself.

/// What a new reading means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterStep {
    /// The first reading: a baseline, no parts.
    Baseline,
    /// Parts since the previous reading (0 when unchanged).
    Delta(u64),
    /// The counter wrapped past its maximum.
    Rollover(u64),
    /// The counter was reset; parts counted since.
    Reset(u64),
}

impl CounterStep {
    /// Parts this step adds.
    pub fn parts(self) -> u64 {
        match self {
            CounterStep::Baseline => 0,
            CounterStep::Delta(n) | CounterStep::Rollover(n) | CounterStep::Reset(n) => n,
        }
    }
}

/// The step from `previous` to `current` of a `width`-bit counter.
pub fn step(previous: Option<u64>, current: u64, width: u8) -> CounterStep {
    let Some(previous) = previous else {
        return CounterStep::Baseline;
    };
    if current >= previous {
        return CounterStep::Delta(current - previous);
    }
    let range: u128 = 1u128 << width.min(64);
    let wrapped = range - u128::from(previous) + u128::from(current);
    if wrapped < range / 2 {
        CounterStep::Rollover(wrapped as u64)
    } else {
        CounterStep::Reset(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_forward_rolls_over_and_detects_resets() {
        assert_eq!(step(None, 17, 16), CounterStep::Baseline);
        assert_eq!(step(Some(17), 20, 16), CounterStep::Delta(3));
        assert_eq!(step(Some(65_530), 4, 16), CounterStep::Rollover(10));
        assert_eq!(step(Some(1_000), 5, 16), CounterStep::Reset(5));
        assert_eq!(step(Some(u64::MAX - 1), 1, 64), CounterStep::Rollover(3));
        assert_eq!(step(Some(u32::MAX as u64), 0, 32), CounterStep::Rollover(1));
    }
}
