//! Pure: what the OEE pages draw from an OEE answer: the four ratios with
//! their formulas as numbers, the time waterfall, the trend and the
//! downtime Pareto as bars in an SVG coordinate space (0..1000 wide; drawn
//! with SVG attributes, never inline styles, which the CSP forbids).

use super::super::i18n::Catalog;
use super::when::ago;
use crate::oee::figures::{Figures, Ratio};
use crate::oee::report::{BucketFigures, ReasonFigures, StepKind, WaterfallStep};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// A ratio as a tile shows it.
pub struct Tile {
    /// Its name.
    pub name: &'static str,
    /// `81.3 %`, or `–` without a value.
    pub value: String,
    /// The formula in words.
    pub formula: &'static str,
    /// The formula with the numbers (`6 h 20 min / 8 h 0 min`).
    pub numbers: String,
    /// Whether it needs attention (performance above 100 %).
    pub flag: bool,
}

/// A horizontal bar in a chart (x and width in 0..1000).
pub struct Bar {
    /// Its label.
    pub label: String,
    /// What it shows as text (`42 min`, `81 %`).
    pub text: String,
    /// Left edge.
    pub x: i64,
    /// Width (at least 1 when its value is not zero).
    pub width: i64,
    /// Its row's top, in the chart's units.
    pub y: i64,
    /// `loss`, `total`, `start`, `exclude`, `add`, `bar`.
    pub class: &'static str,
}

/// One chart.
pub struct Chart {
    /// Its bars.
    pub bars: Vec<Bar>,
    /// Its height in the chart's units.
    pub height: i64,
}

/// Height of one row.
pub const ROW: i64 = 26;

fn percent(ratio: &Ratio) -> String {
    ratio
        .value
        .map(|v| format!("{:.1} %", (v * Decimal::from(100)).to_f64().unwrap_or(0.0)))
        .unwrap_or_else(|| "–".into())
}

fn minutes_text(t: &Catalog, ms: Decimal) -> String {
    ago(t, ms.to_i64().unwrap_or(0))
}

/// The tiles: availability, performance, quality, OEE, MTBF, MTTR.
pub fn tiles(t: &'static Catalog, f: &Figures) -> Vec<Tile> {
    let time = |ratio: &Ratio| {
        format!(
            "{} / {}",
            minutes_text(t, ratio.numerator),
            minutes_text(t, ratio.denominator)
        )
    };
    let mean = |ratio: &Ratio| {
        ratio
            .value
            .map(|v| minutes_text(t, v))
            .unwrap_or_else(|| "–".into())
    };
    vec![
        Tile {
            name: t.m("oee.availability"),
            value: percent(&f.availability),
            formula: t.m("oee.availability_formula"),
            numbers: time(&f.availability),
            flag: false,
        },
        Tile {
            name: t.m("oee.performance"),
            value: percent(&f.performance),
            formula: t.m("oee.performance_formula"),
            numbers: time(&f.performance),
            flag: f.performance_over_100,
        },
        Tile {
            name: t.m("oee.quality"),
            value: percent(&f.quality),
            formula: t.m("oee.quality_formula"),
            numbers: format!("{} / {}", f.quality.numerator, f.quality.denominator),
            flag: false,
        },
        Tile {
            name: t.m("oee.oee"),
            value: percent(&f.oee),
            formula: t.m("oee.oee_formula"),
            numbers: format!(
                "{} × {} × {}",
                percent(&f.availability),
                percent(&f.performance),
                percent(&f.quality)
            ),
            flag: false,
        },
        Tile {
            name: t.m("oee.mtbf"),
            value: mean(&f.mtbf_ms),
            formula: t.m("oee.mtbf_formula"),
            numbers: format!(
                "{} / {}",
                minutes_text(t, f.mtbf_ms.numerator),
                f.mtbf_ms.denominator
            ),
            flag: false,
        },
        Tile {
            name: t.m("oee.mttr"),
            value: mean(&f.mttr_ms),
            formula: t.m("oee.mttr_formula"),
            numbers: format!(
                "{} / {}",
                minutes_text(t, f.mttr_ms.numerator),
                f.mttr_ms.denominator
            ),
            flag: false,
        },
    ]
}

fn scale(value: Decimal, max: Decimal) -> i64 {
    if max <= Decimal::ZERO {
        return 0;
    }
    ((value * Decimal::from(1000)) / max)
        .round()
        .to_i64()
        .unwrap_or(0)
        .clamp(0, 1000)
}

/// The time waterfall: each step a row; a subtotal spans from zero, a loss
/// or exclusion hangs from the level before it.
pub fn waterfall(t: &'static Catalog, steps: &[WaterfallStep]) -> Chart {
    let max = steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Start | StepKind::Total))
        .map(|s| s.ms)
        .chain(steps.iter().scan(Decimal::ZERO, |level, s| {
            *level = match s.kind {
                StepKind::Start | StepKind::Total => s.ms,
                StepKind::Add => *level + s.ms,
                StepKind::Exclude | StepKind::Loss => *level,
            };
            Some(*level)
        }))
        .max()
        .unwrap_or(Decimal::ZERO);
    let mut level = Decimal::ZERO;
    let mut bars = Vec::with_capacity(steps.len());
    for (row, step) in steps.iter().enumerate() {
        let (from, to, class) = match step.kind {
            StepKind::Start | StepKind::Total => {
                level = step.ms;
                (
                    Decimal::ZERO,
                    step.ms,
                    if step.kind == StepKind::Start {
                        "start"
                    } else {
                        "total"
                    },
                )
            }
            StepKind::Add => {
                let from = level;
                level += step.ms;
                (from, level, "add")
            }
            StepKind::Exclude | StepKind::Loss => {
                let from = (level - step.ms).max(Decimal::ZERO);
                let to = level;
                level = from;
                (
                    from,
                    to,
                    if step.kind == StepKind::Loss {
                        "loss"
                    } else {
                        "exclude"
                    },
                )
            }
        };
        let x = scale(from, max);
        let width = (scale(to, max) - x).max(i64::from(!step.ms.is_zero()));
        let label = match &step.reason {
            Some(reason) => format!(
                "{} · {reason}",
                t.m_or(&format!("oee.step.{}", step.step), &step.step)
            ),
            None => t.m_or(&format!("oee.step.{}", step.step), &step.step).to_string(),
        };
        bars.push(Bar {
            label,
            text: minutes_text(t, step.ms.abs()),
            x,
            width,
            y: row as i64 * ROW,
            class,
        });
    }
    Chart {
        height: steps.len() as i64 * ROW,
        bars,
    }
}

/// The OEE per bucket as bars (none where a bucket has no value).
pub fn trend(t: &'static Catalog, buckets: &[BucketFigures]) -> Chart {
    let _ = t;
    let bars = buckets
        .iter()
        .enumerate()
        .map(|(row, b)| {
            let value = b.figures.oee.value.unwrap_or(Decimal::ZERO);
            Bar {
                label: b.bucket.label.clone(),
                text: percent(&b.figures.oee),
                x: 0,
                width: scale(value.min(Decimal::ONE), Decimal::ONE),
                y: row as i64 * ROW,
                class: "bar",
            }
        })
        .collect::<Vec<_>>();
    Chart {
        height: bars.len() as i64 * ROW,
        bars,
    }
}

/// The downtime Pareto: reasons by down time, longest first.
pub fn pareto(t: &'static Catalog, reasons: &[ReasonFigures]) -> Chart {
    let mut sorted: Vec<&ReasonFigures> = reasons.iter().collect();
    sorted.sort_by(|a, b| b.down_ms.cmp(&a.down_ms).then(a.reason.cmp(&b.reason)));
    let max = sorted.first().map_or(0, |r| r.down_ms);
    let bars = sorted
        .iter()
        .enumerate()
        .map(|(row, r)| Bar {
            label: match (&r.reason, &r.text) {
                (Some(code), Some(text)) => format!("{code} {text}"),
                (Some(code), None) => code.clone(),
                (None, _) => t.m("oee.no_reason").to_string(),
            },
            text: format!(
                "{} · {} × · {}",
                minutes_text(t, Decimal::from(r.down_ms)),
                r.stops,
                percent(&r.share)
            ),
            x: 0,
            width: scale(Decimal::from(r.down_ms), Decimal::from(max)).max(i64::from(r.down_ms > 0)),
            y: row as i64 * ROW,
            class: "loss",
        })
        .collect::<Vec<_>>();
    Chart {
        height: bars.len() as i64 * ROW,
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::Lang;

    fn step(name: &str, kind: StepKind, minutes: i64) -> WaterfallStep {
        WaterfallStep {
            step: name.into(),
            kind,
            reason: None,
            ms: Decimal::from(minutes * 60_000),
        }
    }

    #[test]
    fn the_waterfall_hangs_each_loss_from_the_level_before_it() {
        let t = Catalog::of(Lang::En);
        let chart = waterfall(
            t,
            &[
                step("planned_busy", StepKind::Start, 480),
                step("down", StepKind::Loss, 60),
                step("setup", StepKind::Loss, 20),
                step("actual_production", StepKind::Total, 400),
            ],
        );
        let spans: Vec<(i64, i64)> = chart.bars.iter().map(|b| (b.x, b.x + b.width)).collect();
        assert_eq!(spans, vec![(0, 1000), (875, 1000), (833, 875), (0, 833)]);
        assert_eq!(chart.height, 4 * ROW);
        assert_eq!(chart.bars[1].text, "1 h 0 min");
    }

    #[test]
    fn the_pareto_puts_the_longest_stop_reason_first() {
        let t = Catalog::of(Lang::En);
        let reason = |code: Option<&str>, minutes: i64| ReasonFigures {
            reason: code.map(str::to_string),
            text: None,
            stops: 1,
            down_ms: minutes * 60_000,
            share: Ratio::new(Decimal::ONE, Decimal::ONE, 6),
        };
        let chart = pareto(t, &[reason(Some("JAM"), 10), reason(None, 30)]);
        assert_eq!(chart.bars[0].label, t.m("oee.no_reason"));
        assert_eq!((chart.bars[0].width, chart.bars[1].width), (1000, 333));
    }
}
