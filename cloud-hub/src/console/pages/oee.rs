//! OEE and downtime (ISO 22400-2) for a site and for one machine: the
//! ratios with their formulas and numbers, the time waterfall, the trend
//! per shift, day or week, the downtime Pareto, MTBF and MTTR, and (for a
//! site) every machine. The figures are the OEE module's (`crate::oee`),
//! the same as `GET /api/v1/oee/…`.

use super::super::chrome::Chrome;
use super::super::render::{PageError, page};
use super::super::viewer::Viewer;
use super::oee_view::{self, Chart, Tile};
use super::when::date_time;
use crate::api::HubState;
use crate::error::HubError;
use crate::oee::figures::Figures;
use crate::oee::{BucketKind, Period, equipment_oee, site_oee};
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

/// The page's choices.
#[derive(Debug, Default, Deserialize)]
pub struct OeeQuery {
    site: Option<String>,
    /// `24h` (default), `7d` or `30d` back from now.
    range: Option<String>,
    /// `shift`, `day` (default) or `week`.
    bucket: Option<String>,
}

/// A machine's row of the site page.
pub struct MachineRow {
    code: String,
    name: String,
    availability: String,
    performance: String,
    quality: String,
    oee: String,
    down: String,
    stops: u64,
    flag: bool,
}

#[derive(Template)]
#[template(path = "oee.html")]
struct OeePage {
    chrome: Chrome,
    action: String,
    sites: Vec<(String, bool)>,
    ranges: Menu,
    buckets: Menu,
    period: String,
    tiles: Vec<Tile>,
    waterfall: Chart,
    trend: Chart,
    pareto: Chart,
    machines: Vec<MachineRow>,
    warnings: Vec<String>,
    changeover_planned: bool,
}

const RANGES: &[(&str, i64, &str)] = &[
    ("24h", 86_400_000, "oee.range_24h"),
    ("7d", 7 * 86_400_000, "oee.range_7d"),
    ("30d", 30 * 86_400_000, "oee.range_30d"),
];

fn percent(ratio: &crate::oee::figures::Ratio) -> String {
    ratio
        .value
        .map(|v| format!("{:.1} %", (v * Decimal::from(100)).to_f64().unwrap_or(0.0)))
        .unwrap_or_else(|| "–".into())
}

fn choices(
    viewer: &Viewer,
    query: &OeeQuery,
    now: i64,
) -> Result<(Period, BucketKind, String, String), PageError> {
    let range = query.range.clone().unwrap_or_else(|| "24h".into());
    let span = RANGES
        .iter()
        .find(|(name, _, _)| *name == range)
        .map_or(RANGES[0].1, |(_, ms, _)| *ms);
    let bucket_name = query.bucket.clone().unwrap_or_else(|| "day".into());
    let bucket = BucketKind::parse(&bucket_name).unwrap_or(BucketKind::Day);
    let period = Period::new(Some(now - span), Some(now), now).map_err(|e| viewer.failed(e))?;
    Ok((period, bucket, range, bucket.as_str().to_string()))
}

/// A menu's choices: (value, text, chosen).
type Menu = Vec<(&'static str, &'static str, bool)>;

fn menus(viewer: &Viewer, range: &str, bucket: &str) -> (Menu, Menu) {
    let t = viewer.texts();
    let ranges = RANGES
        .iter()
        .map(|(name, _, key)| (*name, t.m(key), *name == range))
        .collect();
    let buckets = [
        ("shift", "oee.bucket_shift"),
        ("day", "oee.bucket_day"),
        ("week", "oee.bucket_week"),
    ]
    .iter()
    .map(|(name, key)| (*name, t.m(key), *name == bucket))
    .collect();
    (ranges, buckets)
}

fn found_or(viewer: &Viewer) -> impl Fn(HubError) -> PageError + '_ {
    move |e| match e {
        HubError::NotFound { .. } => viewer.not_found(),
        other => viewer.failed(other),
    }
}

/// What an OEE answer (a site's or a machine's) shows.
struct Shown<'a> {
    totals: &'a Figures,
    waterfall: &'a [crate::oee::report::WaterfallStep],
    trend: &'a [crate::oee::report::BucketFigures],
    pareto: &'a [crate::oee::report::ReasonFigures],
    warnings: &'a [String],
    changeover_planned: bool,
    from: i64,
    to: i64,
}

/// Where a page's form goes and what it offers.
struct Frame {
    title: String,
    action: String,
    sites: Vec<(String, bool)>,
}

fn oee_page(
    viewer: &Viewer,
    frame: Frame,
    (range, bucket): (&str, &str),
    shown: Shown<'_>,
    machines: Vec<MachineRow>,
) -> OeePage {
    let t = viewer.texts();
    let (ranges, buckets) = menus(viewer, range, bucket);
    OeePage {
        chrome: Chrome::new(viewer, "oee", frame.title),
        action: frame.action,
        sites: frame.sites,
        ranges,
        buckets,
        period: format!("{} – {}", date_time(shown.from, 0), date_time(shown.to, 0)),
        tiles: oee_view::tiles(t, shown.totals),
        waterfall: oee_view::waterfall(t, shown.waterfall),
        trend: oee_view::trend(t, shown.trend),
        pareto: oee_view::pareto(t, shown.pareto),
        machines,
        warnings: shown.warnings.to_vec(),
        changeover_planned: shown.changeover_planned,
    }
}

fn machine_row(viewer: &Viewer, code: String, name: String, f: &Figures) -> MachineRow {
    MachineRow {
        code,
        name,
        availability: percent(&f.availability),
        performance: percent(&f.performance),
        quality: percent(&f.quality),
        oee: percent(&f.oee),
        down: super::when::ago(viewer.texts(), f.down_ms),
        stops: f.stops,
        flag: f.performance_over_100,
    }
}

/// `GET /console/oee`: a site's OEE.
pub async fn site(
    State(state): State<HubState>,
    viewer: Viewer,
    Query(query): Query<OeeQuery>,
) -> Result<Response, PageError> {
    let scope = viewer.require(Module::Equipment, Action::View)?;
    let sites = super::orders::visible_sites(&state, &viewer, &scope).await?;
    let site = match query.site.clone().filter(|s| !s.is_empty()) {
        Some(site) if sites.contains(&site) => site,
        Some(_) => return Err(viewer.not_found()),
        None => sites.first().cloned().ok_or_else(|| viewer.not_found())?,
    };
    let now = (state.clock)();
    let (period, bucket, range, bucket_name) = choices(&viewer, &query, now)?;
    let answer = site_oee(&state.store, viewer.principal.tenant, &site, period, bucket, now)
        .await
        .map_err(found_or(&viewer))?;
    let t = viewer.texts();
    let machines = answer
        .equipment
        .iter()
        .map(|m| machine_row(&viewer, m.equipment.clone(), m.name.clone(), &m.totals))
        .collect();
    let frame = Frame {
        title: t.fill("oee.site_title", &[("site", &site)]),
        action: "/console/oee".into(),
        sites: sites.iter().map(|s| (s.clone(), *s == site)).collect(),
    };
    let shown = Shown {
        totals: &answer.totals,
        waterfall: &answer.waterfall,
        trend: &answer.trend,
        pareto: &answer.pareto,
        warnings: &answer.warnings,
        changeover_planned: answer.changeover_planned,
        from: answer.from,
        to: answer.to,
    };
    let template = oee_page(&viewer, frame, (&range, &bucket_name), shown, machines);
    Ok(page(&template, viewer.lang))
}

/// `GET /console/oee/equipment/{code}`: one machine's OEE.
pub async fn equipment(
    State(state): State<HubState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(query): Query<OeeQuery>,
) -> Result<Response, PageError> {
    let scope = viewer.require(Module::Equipment, Action::View)?;
    let now = (state.clock)();
    let (period, bucket, range, bucket_name) = choices(&viewer, &query, now)?;
    let answer = equipment_oee(&state.store, viewer.principal.tenant, &code, period, bucket, now)
        .await
        .map_err(found_or(&viewer))?;
    // Beyond the viewer's sites the machine does not exist for them.
    if !scope.covers(&answer.site) {
        return Err(viewer.not_found());
    }
    let t = viewer.texts();
    let frame = Frame {
        title: t.fill(
            "oee.equipment_title",
            &[("equipment", &code), ("name", &answer.name)],
        ),
        action: format!("/console/oee/equipment/{code}"),
        sites: Vec::new(),
    };
    let shown = Shown {
        totals: &answer.totals,
        waterfall: &answer.waterfall,
        trend: &answer.trend,
        pareto: &answer.pareto,
        warnings: &answer.warnings,
        changeover_planned: answer.changeover_planned,
        from: answer.from,
        to: answer.to,
    };
    let template = oee_page(&viewer, frame, (&range, &bucket_name), shown, Vec::new());
    Ok(page(&template, viewer.lang))
}
