//! The absolute deadband: the rule that keeps a noisy process value from
//! producing an event on every poll.

use serde::Deserialize;

/// An absolute deadband in engineering units: a new value is reported only
/// when it differs from the *last reported* value by strictly more than this
/// amount (the same rule as OPC UA's absolute deadband filter). Comparing with
/// the last reported value rather than the last read one means that a slow
/// drift is still reported once it has accumulated past the deadband.
///
/// A deadband of 0 reports every change and nothing else. In config: a
/// non-negative finite number, `deadband = 0.5`.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd, Deserialize)]
#[serde(try_from = "f64")]
pub struct Deadband(f64);

impl Deadband {
    /// Report every change.
    pub const NONE: Deadband = Deadband(0.0);

    /// A deadband of `width`, if it is finite and not negative.
    pub fn new(width: f64) -> Result<Self, DeadbandError> {
        if width.is_finite() && width >= 0.0 {
            Ok(Self(width))
        } else {
            Err(DeadbandError { width })
        }
    }

    /// The width, in engineering units.
    pub fn get(self) -> f64 {
        self.0
    }

    /// Whether `new` should be reported, given the last reported value.
    ///
    /// - Nothing reported yet (`None`): report.
    /// - Both finite: report when `|new - previous| > deadband`.
    /// - Otherwise (NaN or an infinity on either side, which the agent
    ///   normally filters out as a bad reading): report unless both are NaN
    ///   or both are the same infinity, so a change between a number and a
    ///   non-finite value is never hidden.
    pub fn should_report(self, previous: Option<f64>, new: f64) -> bool {
        let Some(previous) = previous else {
            return true;
        };
        if previous.is_finite() && new.is_finite() {
            (new - previous).abs() > self.0
        } else if previous.is_nan() && new.is_nan() {
            false
        } else {
            previous != new
        }
    }
}

impl TryFrom<f64> for Deadband {
    type Error = DeadbandError;
    fn try_from(width: f64) -> Result<Self, DeadbandError> {
        Self::new(width)
    }
}

/// A deadband that is negative, NaN or infinite.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("deadband {width} is invalid: it must be a finite number of at least 0")]
pub struct DeadbandError {
    /// The width given.
    pub width: f64,
}
