//! Pure: the ISO 22400-2 formulas over pooled sums. A [`Tally`] holds the
//! sums of one machine in one bucket (times, stops, quantities); tallies
//! pool by adding them field by field, and every ratio is taken from the
//! pooled sums ([`Figures::of`]), never as a mean of ratios. A ratio
//! without a denominator has no value (never NaN, never a panic).

use crate::arith::{self, OutOfRange};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// Places kept in a ratio's value (a fraction: 0.8125 is 81.25 %).
const FRACTION_PLACES: u32 = 6;
/// Places kept in a mean time's value (ms).
const MS_PLACES: u32 = 3;

/// Down time and stops of one reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReasonTally {
    /// Stops counted under it (a stop counts once, under the reason of its
    /// first counted minute).
    pub stops: u64,
    /// Down time with this reason, ms.
    pub down_ms: i64,
}

/// The sums of one machine (or, pooled, of several) over one bucket.
/// Times are ms inside the bucket; see the module rules in `oee/mod.rs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Planned busy time from the calendar (shifts less holidays and
    /// maintenance).
    pub planned_busy_ms: i64,
    /// Running outside the planned busy time (added to the base).
    pub unplanned_running_ms: i64,
    /// Actual production time: every running ms of the base.
    pub running_ms: i64,
    /// Idle in planned busy time.
    pub idle_ms: i64,
    /// Down in planned busy time.
    pub down_ms: i64,
    /// Setup in planned busy time counted as a loss.
    pub setup_loss_ms: i64,
    /// Setup in planned busy time taken out of the base (planned changeover).
    pub planned_changeover_ms: i64,
    /// Planned busy time the machine was `offline`.
    pub offline_ms: i64,
    /// Planned busy time its agent was not running (`agent_down`).
    pub agent_down_ms: i64,
    /// Planned busy time with no state known at all.
    pub no_signal_ms: i64,
    /// Down stops whose first minute in planned busy time (within the
    /// period asked) falls in the bucket.
    pub stops: u64,
    /// Down time and stops per reason (none: no reason given).
    pub reasons: BTreeMap<Option<String>, ReasonTally>,
    /// Produced quantity with a planned run time (good + scrap).
    pub produced: Decimal,
    /// Good quantity with a planned run time.
    pub good: Decimal,
    /// Σ planned run time per item × produced quantity, ms.
    pub planned_run_ms: Decimal,
    /// Produced quantity without a planned run time (left out of
    /// performance and quality).
    pub unrated_produced: Decimal,
    /// Good quantity without a planned run time.
    pub unrated_good: Decimal,
    /// Good parts the machine's counter counted (for comparison).
    pub counted_good: u64,
    /// Scrap parts the machine's counter counted (for comparison).
    pub counted_scrap: u64,
}

impl Tally {
    /// Planned busy time of unknown state: offline, agent down, no signal.
    pub fn unknown_ms(&self) -> i64 {
        self.offline_ms
            .saturating_add(self.agent_down_ms)
            .saturating_add(self.no_signal_ms)
    }

    /// Availability's base: planned busy time plus unplanned running, less
    /// unknown time and planned changeover.
    pub fn base_ms(&self) -> i64 {
        self.planned_busy_ms
            .saturating_add(self.unplanned_running_ms)
            .saturating_sub(self.unknown_ms())
            .saturating_sub(self.planned_changeover_ms)
    }

    /// Adds `other` into this one (pooling).
    pub fn add(&mut self, other: &Tally) -> Result<(), OutOfRange> {
        let times = [
            (&mut self.planned_busy_ms, other.planned_busy_ms),
            (&mut self.unplanned_running_ms, other.unplanned_running_ms),
            (&mut self.running_ms, other.running_ms),
            (&mut self.idle_ms, other.idle_ms),
            (&mut self.down_ms, other.down_ms),
            (&mut self.setup_loss_ms, other.setup_loss_ms),
            (&mut self.planned_changeover_ms, other.planned_changeover_ms),
            (&mut self.offline_ms, other.offline_ms),
            (&mut self.agent_down_ms, other.agent_down_ms),
            (&mut self.no_signal_ms, other.no_signal_ms),
        ];
        for (sum, value) in times {
            *sum = sum.saturating_add(value);
        }
        self.stops = self.stops.saturating_add(other.stops);
        self.counted_good = self.counted_good.saturating_add(other.counted_good);
        self.counted_scrap = self.counted_scrap.saturating_add(other.counted_scrap);
        for (reason, r) in &other.reasons {
            let mine = self.reasons.entry(reason.clone()).or_default();
            mine.stops = mine.stops.saturating_add(r.stops);
            mine.down_ms = mine.down_ms.saturating_add(r.down_ms);
        }
        arith::add_to(&mut self.produced, other.produced)?;
        arith::add_to(&mut self.good, other.good)?;
        arith::add_to(&mut self.planned_run_ms, other.planned_run_ms)?;
        arith::add_to(&mut self.unrated_produced, other.unrated_produced)?;
        arith::add_to(&mut self.unrated_good, other.unrated_good)
    }

    /// The pooled sum of `tallies`.
    pub fn pooled<'a>(tallies: impl IntoIterator<Item = &'a Tally>) -> Result<Tally, OutOfRange> {
        let mut sum = Tally::default();
        for t in tallies {
            sum.add(t)?;
        }
        Ok(sum)
    }
}

/// A ratio with the numerator and denominator it is taken from, so a page
/// can show the formula. Decimals are exact strings without trailing zeros.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Ratio {
    /// The numerator.
    pub numerator: Decimal,
    /// The denominator.
    pub denominator: Decimal,
    /// numerator ÷ denominator, rounded (a fraction: 0.8125 is 81.25 %;
    /// for mean times, ms); none when the denominator is zero.
    pub value: Option<Decimal>,
}

impl Ratio {
    /// `numerator / denominator`, its value rounded half to even to `places`.
    pub fn new(numerator: Decimal, denominator: Decimal, places: u32) -> Ratio {
        let value = if denominator.is_zero() {
            None
        } else {
            numerator
                .checked_div(denominator)
                .map(|v| v.round_dp(places).normalize())
        };
        Ratio {
            numerator: numerator.normalize(),
            denominator: denominator.normalize(),
            value,
        }
    }

    fn fraction(numerator: Decimal, denominator: Decimal) -> Ratio {
        Ratio::new(numerator, denominator, FRACTION_PLACES)
    }
}

/// The figures of one bucket (or a whole period) of one machine or pooled:
/// the time split, the quantities and the ratios from them.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Figures {
    /// Planned busy time (PBT) from the calendar, ms.
    pub planned_busy_ms: i64,
    /// Running outside the calendar's planned busy time, ms: added to the
    /// base (the machine was put to work), shown apart.
    pub unplanned_running_ms: i64,
    /// Planned busy time of unknown state (offline + agent down + no
    /// signal), ms: left out of availability's base.
    pub unknown_ms: i64,
    /// Of the unknown time: the machine was `offline` (its agent could not
    /// read it), ms.
    pub offline_ms: i64,
    /// Of the unknown time: its agent was not running (`agent_down`), ms.
    pub agent_down_ms: i64,
    /// Of the unknown time: no state was ever reported before it, ms.
    pub no_signal_ms: i64,
    /// Setup taken out of the base because the site plans changeovers, ms.
    pub planned_changeover_ms: i64,
    /// Availability's base: planned busy + unplanned running − unknown −
    /// planned changeover, ms.
    pub base_ms: i64,
    /// Down in planned busy time (availability loss), ms.
    pub down_ms: i64,
    /// Setup counted as an availability loss, ms.
    pub setup_ms: i64,
    /// Idle in planned busy time (availability loss: waiting, minor stops), ms.
    pub idle_ms: i64,
    /// Actual production time (APT): running, ms.
    pub actual_production_ms: i64,
    /// Produced quantity (PQ) with a planned run time: good + scrap.
    pub produced: Decimal,
    /// Good quantity (GQ).
    pub good: Decimal,
    /// Scrap: PQ − GQ.
    pub scrap: Decimal,
    /// Σ planned run time per item (PRI) × produced quantity, ms.
    pub planned_run_ms: Decimal,
    /// Produced quantity without a planned run time (no run, or an
    /// operation without run minutes): left out of performance and quality.
    pub unrated_produced: Decimal,
    /// Good quantity without a planned run time.
    pub unrated_good: Decimal,
    /// Good parts the machine's own counter counted (`parts_counted`),
    /// for comparison with what operators reported.
    pub counted_good: u64,
    /// Scrap parts the machine's own counter counted.
    pub counted_scrap: u64,
    /// Down stops with down time in planned busy time, each counted once,
    /// where its first such minute is (a stop begun before the period and
    /// going on in it counts here too).
    pub stops: u64,
    /// Availability = APT / base.
    pub availability: Ratio,
    /// Performance (effectiveness) = Σ PRI × PQ / APT.
    pub performance: Ratio,
    /// Quality = GQ / PQ.
    pub quality: Ratio,
    /// OEE = availability × performance × quality = (Σ PRI × PQ × GQ) /
    /// (base × PQ); a value only when all three have one.
    pub oee: Ratio,
    /// Mean time between failures = APT / stops, ms.
    pub mtbf_ms: Ratio,
    /// Mean time to repair = down time / stops, ms.
    pub mttr_ms: Ratio,
    /// Performance is above 100 %: the planned run time per item is longer
    /// than the machine needs (a wrong ideal cycle time). Never capped.
    pub performance_over_100: bool,
}

impl Figures {
    /// The figures of `t`.
    pub fn of(t: &Tally) -> Result<Figures, OutOfRange> {
        let base = t.base_ms();
        let running = Decimal::from(t.running_ms);
        let availability = Ratio::fraction(running, Decimal::from(base));
        let performance = Ratio::fraction(t.planned_run_ms, running);
        let quality = Ratio::fraction(t.good, t.produced);
        let mut oee = Ratio::fraction(
            arith::mul(t.planned_run_ms, t.good)?,
            arith::mul(Decimal::from(base), t.produced)?,
        );
        if availability.value.is_none() || performance.value.is_none() || quality.value.is_none() {
            oee.value = None;
        }
        let stops = Decimal::from(t.stops);
        Ok(Figures {
            planned_busy_ms: t.planned_busy_ms,
            unplanned_running_ms: t.unplanned_running_ms,
            unknown_ms: t.unknown_ms(),
            offline_ms: t.offline_ms,
            agent_down_ms: t.agent_down_ms,
            no_signal_ms: t.no_signal_ms,
            planned_changeover_ms: t.planned_changeover_ms,
            base_ms: base,
            down_ms: t.down_ms,
            setup_ms: t.setup_loss_ms,
            idle_ms: t.idle_ms,
            actual_production_ms: t.running_ms,
            produced: t.produced.normalize(),
            good: t.good.normalize(),
            scrap: arith::sub(t.produced, t.good)?.normalize(),
            planned_run_ms: t.planned_run_ms.normalize(),
            unrated_produced: t.unrated_produced.normalize(),
            unrated_good: t.unrated_good.normalize(),
            counted_good: t.counted_good,
            counted_scrap: t.counted_scrap,
            stops: t.stops,
            performance_over_100: performance.value.is_some_and(|p| p > Decimal::ONE),
            availability,
            performance,
            quality,
            oee,
            mtbf_ms: Ratio::new(running, stops, MS_PLACES),
            mttr_ms: Ratio::new(Decimal::from(t.down_ms), stops, MS_PLACES),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tally(planned: i64, running: i64, down: i64, produced: i64, good: i64, pri: i64) -> Tally {
        Tally {
            planned_busy_ms: planned,
            running_ms: running,
            down_ms: down,
            idle_ms: planned - running - down,
            stops: u64::from(down > 0),
            produced: Decimal::from(produced),
            good: Decimal::from(good),
            planned_run_ms: Decimal::from(pri * produced),
            ..Tally::default()
        }
    }

    #[test]
    fn an_empty_period_has_figures_without_values() {
        let f = Figures::of(&Tally::default()).expect("in range");
        for ratio in [
            &f.availability,
            &f.performance,
            &f.quality,
            &f.oee,
            &f.mtbf_ms,
            &f.mttr_ms,
        ] {
            assert_eq!(ratio.value, None);
            assert!(ratio.denominator.is_zero());
        }
        assert!(!f.performance_over_100);
    }

    #[test]
    fn a_ratio_keeps_its_numerator_and_denominator() {
        let f = Figures::of(&tally(480, 360, 60, 300, 270, 1)).expect("in range");
        assert_eq!(
            (f.availability.numerator, f.availability.denominator),
            (Decimal::from(360), Decimal::from(480))
        );
        assert_eq!(f.availability.value, Some(Decimal::new(75, 2)));
        assert_eq!(f.quality.value, Some(Decimal::new(9, 1)));
        assert_eq!(f.scrap, Decimal::from(30));
    }

    #[test]
    fn performance_above_one_is_flagged_not_capped() {
        let f = Figures::of(&tally(100, 50, 0, 60, 60, 1)).expect("in range");
        assert_eq!(f.performance.value, Some(Decimal::new(12, 1)));
        assert!(f.performance_over_100);
    }

    fn arb_tally() -> impl Strategy<Value = Tally> {
        (
            0i64..100_000,
            0i64..100_000,
            0i64..50_000,
            0u32..10_000,
            0u32..10_000,
            0i64..600_000,
            0u64..50,
        )
            .prop_map(|(planned, running, down, produced, good, pri, stops)| {
                let good = good.min(produced);
                Tally {
                    planned_busy_ms: planned + running + down,
                    running_ms: running,
                    down_ms: down,
                    idle_ms: planned,
                    stops,
                    produced: Decimal::from(produced),
                    good: Decimal::from(good),
                    planned_run_ms: Decimal::from(pri) * Decimal::from(produced),
                    reasons: BTreeMap::from([(Some("R".to_string()), ReasonTally { stops, down_ms: down })]),
                    ..Tally::default()
                }
            })
    }

    proptest! {
        /// A × P × Q = OEE exactly, as fractions, whenever all have values.
        #[test]
        fn oee_is_the_product_of_its_three_factors(t in arb_tally()) {
            let f = Figures::of(&t).expect("in range");
            if let (Some(_), Some(_), Some(_)) = (f.availability.value, f.performance.value, f.quality.value) {
                let product_num = f.availability.numerator * f.performance.numerator * f.quality.numerator;
                let product_den = f.availability.denominator * f.performance.denominator * f.quality.denominator;
                prop_assert_eq!(f.oee.numerator * product_den, f.oee.denominator * product_num);
                prop_assert!(f.oee.value.is_some());
            } else {
                prop_assert_eq!(f.oee.value, None);
            }
        }

        /// Pooling sums numerators and denominators: the pooled ratio is
        /// Σ numerators / Σ denominators, never a mean of ratios.
        #[test]
        fn pooled_ratios_are_sums_over_sums(tallies in prop::collection::vec(arb_tally(), 0..6)) {
            let pooled = Figures::of(&Tally::pooled(&tallies).expect("in range")).expect("in range");
            let each: Vec<Figures> = tallies.iter().map(|t| Figures::of(t).expect("in range")).collect();
            let sum = |f: fn(&Figures) -> &Ratio| -> (Decimal, Decimal) {
                each.iter().fold((Decimal::ZERO, Decimal::ZERO), |(n, d), x| (n + f(x).numerator, d + f(x).denominator))
            };
            for (get, name) in [
                ((|f: &Figures| &f.availability) as fn(&Figures) -> &Ratio, "availability"),
                (|f: &Figures| &f.performance, "performance"),
                (|f: &Figures| &f.quality, "quality"),
                (|f: &Figures| &f.mtbf_ms, "mtbf"),
                (|f: &Figures| &f.mttr_ms, "mttr"),
            ] {
                let (n, d) = sum(get);
                prop_assert_eq!((get(&pooled).numerator, get(&pooled).denominator), (n, d), "{}", name);
            }
            let reasons: i64 = tallies.iter().map(|t| t.down_ms).sum();
            prop_assert_eq!(pooled.down_ms, reasons);
        }

        /// Figures never panic and never claim a value without a denominator.
        #[test]
        fn figures_never_panic(t in arb_tally()) {
            let f = Figures::of(&t).expect("in range");
            for r in [&f.availability, &f.performance, &f.quality, &f.oee, &f.mtbf_ms, &f.mttr_ms] {
                if r.denominator.is_zero() {
                    prop_assert_eq!(r.value, None);
                }
            }
        }
    }
}
