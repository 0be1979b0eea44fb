//! The OEE answers' shape (serde types the API and the console share) and,
//! pure, the time waterfall and the downtime Pareto drawn from a pooled
//! [`Tally`].

use super::buckets::Bucket;
use super::figures::{Figures, Ratio, Tally};
use crate::arith::{self, OutOfRange};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// One bucket of the trend.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BucketFigures {
    /// The bucket.
    #[serde(flatten)]
    pub bucket: Bucket,
    /// Its figures.
    pub figures: Figures,
}

/// What one step of the waterfall does to the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The start: planned busy time.
    Start,
    /// Time added to the base (running outside the plan).
    Add,
    /// Time taken out of the base, not a loss (unknown, planned changeover).
    Exclude,
    /// A loss.
    Loss,
    /// A subtotal: its `ms` is the time left.
    Total,
}

/// One step of the time waterfall: planned busy time, less what is
/// excluded, less each loss, down to the fully productive time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct WaterfallStep {
    /// `planned_busy`, `unplanned_running`, `offline`, `agent_down`,
    /// `no_signal`, `planned_changeover`, `availability_base`, `down` (one
    /// per reason), `setup`, `idle`, `actual_production`, `speed_loss`,
    /// `net_production`, `quality_loss`, `fully_productive`.
    pub step: String,
    /// What it does.
    pub kind: StepKind,
    /// The down reason (`down` steps; none: no reason given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its time, ms (a subtotal: the time left; a loss may be negative:
    /// a speed loss when performance is above 100 %).
    pub ms: Decimal,
}

/// One reason of the downtime Pareto.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ReasonFigures {
    /// The reason code (the operator's, else the machine's); none: no
    /// reason given.
    pub reason: Option<String>,
    /// The reason's text from master data, if it has one.
    pub text: Option<String>,
    /// Stops (each stop once, under the reason of its first counted minute).
    pub stops: u64,
    /// Down time with this reason, ms.
    pub down_ms: i64,
    /// Its share of all down time.
    pub share: Ratio,
}

/// The OEE of one equipment over a period.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EquipmentOee {
    /// The equipment.
    pub equipment: String,
    /// Its name.
    pub name: String,
    /// Its site.
    pub site: String,
    /// The calendar it follows (its own, else its site's); none: always
    /// planned.
    pub calendar: Option<String>,
    /// Whether the site counts changeovers as planned time.
    pub changeover_planned: bool,
    /// Period start, unix ms.
    pub from: i64,
    /// Period end, unix ms.
    pub to: i64,
    /// `shift`, `day` or `week`.
    pub bucket: String,
    /// The whole period.
    pub totals: Figures,
    /// The period's time waterfall.
    pub waterfall: Vec<WaterfallStep>,
    /// Down time by reason, largest first.
    pub pareto: Vec<ReasonFigures>,
    /// The figures of each bucket, in time order.
    pub trend: Vec<BucketFigures>,
    /// What a reader should know about these figures.
    pub warnings: Vec<String>,
}

/// One machine's totals in a site's answer.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MachineTotals {
    /// The equipment.
    pub equipment: String,
    /// Its name.
    pub name: String,
    /// The calendar it follows; none: always planned.
    pub calendar: Option<String>,
    /// Its figures over the period.
    pub totals: Figures,
}

/// The OEE of a site over a period: its machines pooled, and each one.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SiteOee {
    /// The site.
    pub site: String,
    /// Its default calendar (the trend's shifts); none: always planned.
    pub calendar: Option<String>,
    /// Whether the site counts changeovers as planned time.
    pub changeover_planned: bool,
    /// Period start, unix ms.
    pub from: i64,
    /// Period end, unix ms.
    pub to: i64,
    /// `shift`, `day` or `week`.
    pub bucket: String,
    /// Every machine pooled (sums of numerators and denominators).
    pub totals: Figures,
    /// The pooled time waterfall.
    pub waterfall: Vec<WaterfallStep>,
    /// Down time by reason over every machine, largest first.
    pub pareto: Vec<ReasonFigures>,
    /// The pooled figures of each bucket, in time order.
    pub trend: Vec<BucketFigures>,
    /// Each active machine of the site, by code.
    pub equipment: Vec<MachineTotals>,
    /// What a reader should know about these figures.
    pub warnings: Vec<String>,
}

fn step(step: &str, kind: StepKind, ms: Decimal) -> WaterfallStep {
    WaterfallStep {
        step: step.into(),
        kind,
        reason: None,
        ms: ms.normalize(),
    }
}

/// The time waterfall of `t` (see [`WaterfallStep`]); the down steps in
/// the Pareto's order.
pub fn waterfall(t: &Tally) -> Result<Vec<WaterfallStep>, OutOfRange> {
    use StepKind::{Add, Exclude, Loss, Start, Total};
    let ms = |v: i64| Decimal::from(v);
    let mut out = vec![step("planned_busy", Start, ms(t.planned_busy_ms))];
    if t.unplanned_running_ms > 0 {
        out.push(step("unplanned_running", Add, ms(t.unplanned_running_ms)));
    }
    for (name, value) in [
        ("offline", t.offline_ms),
        ("agent_down", t.agent_down_ms),
        ("no_signal", t.no_signal_ms),
        ("planned_changeover", t.planned_changeover_ms),
    ] {
        if value > 0 {
            out.push(step(name, Exclude, ms(value)));
        }
    }
    out.push(step("availability_base", Total, ms(t.base_ms())));
    for (reason, r) in ordered_reasons(t) {
        out.push(WaterfallStep {
            reason: reason.clone(),
            ..step("down", Loss, ms(r.down_ms))
        });
    }
    out.push(step("setup", Loss, ms(t.setup_loss_ms)));
    out.push(step("idle", Loss, ms(t.idle_ms)));
    let apt = ms(t.running_ms);
    out.push(step("actual_production", Total, apt));
    out.push(step("speed_loss", Loss, arith::sub(apt, t.planned_run_ms)?));
    out.push(step("net_production", Total, t.planned_run_ms));
    let fully = if t.produced.is_zero() {
        Decimal::ZERO
    } else {
        arith::div(arith::mul(t.planned_run_ms, t.good)?, t.produced)?.round_dp(3)
    };
    out.push(step("quality_loss", Loss, arith::sub(t.planned_run_ms, fully)?));
    out.push(step("fully_productive", Total, fully));
    Ok(out)
}

/// The reasons of `t`, most down time first (then most stops, then code).
fn ordered_reasons(t: &Tally) -> Vec<(&Option<String>, &super::figures::ReasonTally)> {
    let mut list: Vec<_> = t.reasons.iter().collect();
    list.sort_by(|(a, x), (b, y)| {
        y.down_ms
            .cmp(&x.down_ms)
            .then(y.stops.cmp(&x.stops))
            .then_with(|| a.cmp(b))
    });
    list
}

/// The downtime Pareto of `t`; `texts` are the reasons' texts by code.
pub fn pareto(t: &Tally, texts: &BTreeMap<String, String>) -> Vec<ReasonFigures> {
    ordered_reasons(t)
        .into_iter()
        .map(|(reason, r)| ReasonFigures {
            reason: reason.clone(),
            text: reason.as_ref().and_then(|code| texts.get(code).cloned()),
            stops: r.stops,
            down_ms: r.down_ms,
            share: Ratio::new(Decimal::from(r.down_ms), Decimal::from(t.down_ms), 6),
        })
        .collect()
}

/// The warnings `f` calls for, about `what` (`equipment press-1`).
pub fn warnings(what: &str, f: &Figures) -> Vec<String> {
    let mut out = Vec::new();
    if f.performance_over_100
        && let Some(p) = f.performance.value
    {
        out.push(format!(
            "{what}: performance is {p} (above 1): the planned run time per item is longer than \
             the machine needs; check the routing's run minutes per unit and the equipment's speed factor"
        ));
    }
    if !f.unrated_produced.is_zero() {
        out.push(format!(
            "{what}: {} produced without a planned run time (counted outside any run, or an \
             operation without run minutes) are left out of performance and quality",
            f.unrated_produced
        ));
    }
    if f.unknown_ms > 0 {
        out.push(format!(
            "{what}: {} min of planned busy time are of unknown state (offline, agent down or no \
             signal) and are left out of availability's base",
            (Decimal::from(f.unknown_ms) / Decimal::from(60_000)).round_dp(1)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oee::figures::ReasonTally;

    #[test]
    fn the_waterfall_adds_up_to_each_subtotal() {
        let t = Tally {
            planned_busy_ms: 480,
            unplanned_running_ms: 20,
            running_ms: 320,
            idle_ms: 30,
            down_ms: 60,
            setup_loss_ms: 40,
            agent_down_ms: 50,
            produced: Decimal::from(10),
            good: Decimal::from(9),
            planned_run_ms: Decimal::from(300),
            reasons: BTreeMap::from([
                (
                    None,
                    ReasonTally {
                        stops: 1,
                        down_ms: 15,
                    },
                ),
                (
                    Some("JAM".into()),
                    ReasonTally {
                        stops: 2,
                        down_ms: 45,
                    },
                ),
            ]),
            ..Tally::default()
        };
        let steps = waterfall(&t).expect("in range");
        let mut level = Decimal::ZERO;
        for s in &steps {
            match s.kind {
                StepKind::Start => level = s.ms,
                StepKind::Add => level += s.ms,
                StepKind::Exclude | StepKind::Loss => level -= s.ms,
                StepKind::Total => assert_eq!(level, s.ms, "{}", s.step),
            }
        }
        assert_eq!(level, Decimal::from(270), "300 × 9/10");
        assert_eq!(steps[4].reason.as_deref(), Some("JAM"), "largest loss first");
        let p = pareto(&t, &BTreeMap::from([("JAM".to_string(), "Jam".to_string())]));
        assert_eq!(p[0].text.as_deref(), Some("Jam"));
        assert_eq!(p[0].share.value, Some(Decimal::new(75, 2)));
    }
}
