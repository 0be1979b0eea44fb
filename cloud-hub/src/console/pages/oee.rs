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
    ranges: Vec<(&'static str, &'static str, bool)>,
    buckets: Vec<(&'static str, &'static str, bool)>,
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

fn menus(
    viewer: &Viewer,
    range: &str,
    bucket: &str,
) -> (
    Vec<(&'static str, &'static str, bool)>,
    Vec<(&'static str, &'static str, bool)>,
) {
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
    let (ranges, buckets) = menus(&viewer, &range, &bucket_name);
    let template = OeePage {
        chrome: Chrome::new(&viewer, "oee", t.fill("oee.site_title", &[("site", &site)])),
        action: "/console/oee".into(),
        sites: sites.iter().map(|s| (s.clone(), *s == site)).collect(),
        ranges,
        buckets,
        period: format!("{} – {}", date_time(answer.from, 0), date_time(answer.to, 0)),
        tiles: oee_view::tiles(t, &answer.totals),
        waterfall: oee_view::waterfall(t, &answer.waterfall),
        trend: oee_view::trend(t, &answer.trend),
        pareto: oee_view::pareto(t, &answer.pareto),
        machines: answer
            .equipment
            .iter()
            .map(|m| machine_row(&viewer, m.equipment.clone(), m.name.clone(), &m.totals))
            .collect(),
        warnings: answer.warnings.clone(),
        changeover_planned: answer.changeover_planned,
    };
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
    let (ranges, buckets) = menus(&viewer, &range, &bucket_name);
    let template = OeePage {
        chrome: Chrome::new(
            &viewer,
            "oee",
            t.fill(
                "oee.equipment_title",
                &[("equipment", &code), ("name", &answer.name)],
            ),
        ),
        action: format!("/console/oee/equipment/{code}"),
        sites: Vec::new(),
        ranges,
        buckets,
        period: format!("{} – {}", date_time(answer.from, 0), date_time(answer.to, 0)),
        tiles: oee_view::tiles(t, &answer.totals),
        waterfall: oee_view::waterfall(t, &answer.waterfall),
        trend: oee_view::trend(t, &answer.trend),
        pareto: oee_view::pareto(t, &answer.pareto),
        machines: Vec::new(),
        warnings: answer.warnings.clone(),
        changeover_planned: answer.changeover_planned,
    };
    Ok(page(&template, viewer.lang))
}
