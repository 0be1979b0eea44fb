//! Pure: the planning board's Gantt from a stored plan, as one SVG drawn
//! with attributes (the CSP forbids inline styles and scripts). One row per
//! machine, grouped by equipment type; bars per operation coloured by
//! state, setup bands, calendar gaps and machine-down windows shaded, a
//! now-line, and the selected order's chain highlighted with its
//! precedence arrows. Each bar is a link (`?order=…&span=…`), so choosing
//! an order is a plain page load.
//!
//! Coordinates are whole units of the SVG's own space (`LABEL_W` for the
//! machine names, then `PLOT_W` for the time window); times are epoch
//! minutes (UTC), shown at the site's offset. `layout` computes, `svg`
//! writes: both walk the plan once, without an allocation per bar.

use super::super::render::urlencode;
use crate::planning::report::OrderState;
use crate::planning::stored::StoredPlan;
use mes_scheduler::Calendar;
use std::collections::HashMap;
use std::fmt::Write;

/// Width of the machine-name column.
pub const LABEL_W: i64 = 170;
/// Width of the time window.
pub const PLOT_W: i64 = 1400;
/// Height of the time axis above the rows.
pub const AXIS_H: i64 = 30;
/// Height of a machine row.
pub const ROW_H: i64 = 26;
/// Height of an equipment-type heading row.
pub const GROUP_H: i64 = 22;
/// Space above and below a bar inside its row.
const BAR_PAD: i64 = 4;
/// Width of one character of a bar's label, roughly (font size 11).
const CHAR_W: i64 = 7;

/// How much time the board shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// One day, ticks every two hours.
    Day,
    /// Three days (the default), ticks every six hours.
    ThreeDays,
    /// A week, a tick a day.
    Week,
    /// Two weeks, a tick a day.
    TwoWeeks,
}

impl Span {
    /// Every span, shortest first.
    pub const ALL: [Span; 4] = [Span::Day, Span::ThreeDays, Span::Week, Span::TwoWeeks];

    /// The span of the query value (`1d`, `3d`, `7d`, `14d`); anything
    /// else is the default, three days.
    pub fn parse(value: Option<&str>) -> Span {
        match value {
            Some("1d") => Span::Day,
            Some("7d") => Span::Week,
            Some("14d") => Span::TwoWeeks,
            _ => Span::ThreeDays,
        }
    }

    /// Its query value.
    pub fn code(self) -> &'static str {
        match self {
            Span::Day => "1d",
            Span::ThreeDays => "3d",
            Span::Week => "7d",
            Span::TwoWeeks => "14d",
        }
    }

    /// Its length in minutes.
    pub fn minutes(self) -> i64 {
        match self {
            Span::Day => 1440,
            Span::ThreeDays => 3 * 1440,
            Span::Week => 7 * 1440,
            Span::TwoWeeks => 14 * 1440,
        }
    }

    /// Minutes between ticks, and whether ticks show hours (else days).
    fn tick(self) -> (i64, bool) {
        match self {
            Span::Day => (120, true),
            Span::ThreeDays => (360, true),
            Span::Week | Span::TwoWeeks => (1440, false),
        }
    }
}

/// The time the board shows, `[from, to)` in epoch minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First minute shown.
    pub from: i64,
    /// First minute no longer shown.
    pub to: i64,
}

impl Window {
    /// The window of `span` around a plan made for `plan_now`: it opens an
    /// eighth of the span before (so what just finished and what runs show
    /// with the now-line), at a whole hour of the site's clock.
    pub fn around(plan_now: i64, span: Span, offset_minutes: i64) -> Window {
        let local = plan_now - span.minutes() / 8 + offset_minutes;
        let from = local.div_euclid(60) * 60 - offset_minutes;
        Window {
            from,
            to: from + span.minutes(),
        }
    }

    /// The x of `minute`, clamped to the window's edges.
    pub fn x(&self, minute: i64) -> i64 {
        let m = minute.clamp(self.from, self.to);
        LABEL_W + (m - self.from) * PLOT_W / (self.to - self.from).max(1)
    }

    /// Whether `[start, end)` shows in the window.
    pub fn shows(&self, start: i64, end: i64) -> bool {
        start < self.to && end > self.from
    }
}

/// What the page knows of a machine from master data.
#[derive(Debug, Clone)]
pub struct Equip {
    /// Its name.
    pub name: String,
    /// Its group's heading (the equipment type).
    pub group: String,
}

/// A row of the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Its top.
    pub y: i64,
    /// Its text: the type's heading, or `code · name`.
    pub label: String,
    /// The machine (index in the plan's machines); none for a heading.
    pub machine: Option<usize>,
    /// The machine's code (empty for a heading): where a dragged bar lands.
    pub code: String,
}

/// The rows, and the top of each machine's row by machine index. Groups
/// are sorted by heading (machines unknown to master data last, under
/// `other`), machines by code within their group.
pub fn rows(machines: &[&str], equipment: &HashMap<String, Equip>, other: &str) -> (Vec<Row>, Vec<i64>) {
    let mut order: Vec<(bool, &str, &str, usize)> = machines
        .iter()
        .enumerate()
        .map(|(i, code)| match equipment.get(*code) {
            Some(e) => (false, e.group.as_str(), *code, i),
            None => (true, other, *code, i),
        })
        .collect();
    order.sort();
    let mut rows = Vec::with_capacity(order.len() * 2);
    let mut tops = vec![0; machines.len()];
    let mut y = AXIS_H;
    let mut group: Option<(bool, &str)> = None;
    for (unknown, heading, code, i) in order {
        if group != Some((unknown, heading)) {
            rows.push(Row {
                y,
                label: heading.to_string(),
                machine: None,
                code: String::new(),
            });
            y += GROUP_H;
            group = Some((unknown, heading));
        }
        let label = match equipment.get(code) {
            Some(e) if e.name != code => format!("{code} · {}", e.name),
            _ => code.to_string(),
        };
        rows.push(Row {
            y,
            label,
            machine: Some(i),
            code: code.to_string(),
        });
        tops[i] = y;
        y += ROW_H;
    }
    (rows, tops)
}

/// What a bar's colour says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarState {
    /// The floor reported it finished.
    Done,
    /// It runs on the floor (pinned where it runs).
    Running,
    /// Planned, its order on time (or without a due date).
    Planned,
    /// Planned, its order estimated to complete after its due time.
    Late,
}

impl BarState {
    /// Its class name (also the legend's).
    pub fn class(self) -> &'static str {
        match self {
            BarState::Done => "done",
            BarState::Running => "running",
            BarState::Planned => "planned",
            BarState::Late => "late",
        }
    }

    fn fill(self) -> &'static str {
        match self {
            BarState::Done => "#94a3b8",
            BarState::Running => "#16a34a",
            BarState::Planned => "#2563eb",
            BarState::Late => "#dc2626",
        }
    }
}

/// The state of a planned operation: running when it runs on the floor
/// (what the planner must not move comes first), else late when its order
/// is late in the plan, else planned.
pub fn classify(in_progress: bool, order: Option<OrderState>) -> BarState {
    if in_progress {
        BarState::Running
    } else if order == Some(OrderState::Late) {
        BarState::Late
    } else {
        BarState::Planned
    }
}

/// When `setup` working minutes from `start` are done on `calendar` (a
/// setup waits through breaks like the run does).
pub fn setup_end(calendar: &Calendar, start: i64, setup: i64) -> i64 {
    if setup <= 0 {
        return start;
    }
    let intervals = calendar.intervals();
    let mut left = setup;
    let mut at = start;
    for iv in &intervals[intervals.partition_point(|iv| iv.end <= start)..] {
        let from = at.max(iv.start);
        if iv.end - from >= left {
            return from + left;
        }
        left -= iv.end - from;
        at = iv.end;
    }
    start + setup
}

/// Calls `out` with each non-working stretch of `calendar` inside `[from, to)`.
pub fn gaps(calendar: &Calendar, from: i64, to: i64, mut out: impl FnMut(i64, i64)) {
    if from >= to {
        return;
    }
    let intervals = calendar.intervals();
    let mut at = from;
    for iv in &intervals[intervals.partition_point(|iv| iv.end <= from)..] {
        if iv.start >= to {
            break;
        }
        if iv.start > at {
            out(at, iv.start);
        }
        at = at.max(iv.end);
        if at >= to {
            return;
        }
    }
    if at < to {
        out(at, to);
    }
}

/// One bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar<'a> {
    /// Left edge.
    pub x: i64,
    /// Width (at least 1).
    pub w: i64,
    /// Its row's top.
    pub y: i64,
    /// Width of the setup band at its start.
    pub setup_w: i64,
    /// Its colour.
    pub state: BarState,
    /// The order.
    pub order: &'a str,
    /// The operation key `order/operation`.
    pub op: &'a str,
    /// Start and end, epoch minutes.
    pub span: (i64, i64),
    /// Whether it belongs to the selected order.
    pub selected: bool,
    /// Its machine's code.
    pub machine: &'a str,
    /// Whether the viewer may drag it (planned, not running, may edit).
    pub movable: bool,
    /// Whether it waits for material on order (issue 17, item 4).
    pub waiting: bool,
    /// Whether the planner fixed it (moved or pinned).
    pub fixed: bool,
    /// Whether it moved since the revision the board compares with.
    pub moved: bool,
}

/// A shaded stretch of a machine row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shade {
    /// Left edge.
    pub x: i64,
    /// Width.
    pub w: i64,
    /// Its row's top.
    pub y: i64,
    /// Down (else outside working time).
    pub down: bool,
}

/// A tick of the time axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// Its x.
    pub x: i64,
    /// `06:00`, or `05-04` at midnight and on day ticks (site time).
    pub label: String,
    /// At the site's midnight.
    pub midnight: bool,
}

/// Everything drawn.
#[derive(Debug, Clone)]
pub struct Board<'a> {
    /// Rows top to bottom.
    pub rows: Vec<Row>,
    /// Total height.
    pub height: i64,
    /// Calendar gaps and down windows.
    pub shades: Vec<Shade>,
    /// The time axis.
    pub ticks: Vec<Tick>,
    /// The bars.
    pub bars: Vec<Bar<'a>>,
    /// Precedence arrows of the selected order `(x1, y1, x2, y2)`.
    pub arrows: Vec<(i64, i64, i64, i64)>,
    /// The now-line's x, when now is in the window.
    pub now_x: Option<i64>,
}

/// What the board is drawn from.
pub struct Input<'a> {
    /// The plan with its model.
    pub stored: &'a StoredPlan,
    /// Master data per machine code.
    pub equipment: &'a HashMap<String, Equip>,
    /// The heading of machines unknown to master data.
    pub other_group: &'a str,
    /// Each order's state in the plan's report.
    pub order_states: &'a HashMap<&'a str, OrderState>,
    /// The time shown.
    pub window: Window,
    /// The site's UTC offset in minutes.
    pub offset_minutes: i64,
    /// The hub's now, epoch minutes.
    pub now: i64,
    /// The order whose chain is highlighted.
    pub selected: Option<&'a str>,
    /// Whether the viewer may steer the plan (bars get drag handles).
    pub editable: bool,
    /// Operation keys that moved since the revision compared with.
    pub moved: &'a std::collections::HashSet<String>,
}

fn local_date(minute: i64) -> (u8, u8) {
    let t = time::OffsetDateTime::from_unix_timestamp(minute.saturating_mul(60))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    (u8::from(t.month()), t.day())
}

/// The axis ticks of `window` for `span` at the site's offset.
pub fn ticks(window: Window, span: Span, offset_minutes: i64) -> Vec<Tick> {
    let (step, hours) = span.tick();
    let first = (window.from + offset_minutes + step - 1).div_euclid(step) * step;
    let mut out = Vec::new();
    let mut local = first;
    while local - offset_minutes < window.to {
        let midnight = local.rem_euclid(1440) == 0;
        let label = if hours && !midnight {
            format!("{:02}:00", local.rem_euclid(1440) / 60)
        } else {
            let (month, day) = local_date(local);
            format!("{month:02}-{day:02}")
        };
        out.push(Tick {
            x: window.x(local - offset_minutes),
            label,
            midnight,
        });
        local += step;
    }
    out
}

fn bar_y(top: i64) -> i64 {
    top + BAR_PAD
}

/// Lays the board out.
pub fn layout<'a>(input: &Input<'a>, span: Span) -> Board<'a> {
    let stored = input.stored;
    let w = input.window;
    let codes: Vec<&str> = stored.machines.iter().map(|m| m.name.as_str()).collect();
    let (rows, tops) = rows(&codes, input.equipment, input.other_group);
    let height = rows.last().map_or(AXIS_H, |r| {
        r.y + if r.machine.is_some() { ROW_H } else { GROUP_H }
    });
    let by_code: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();

    let mut shades = Vec::new();
    // Before the plan's now the stored calendars say nothing: not shaded.
    let known_from = w.from.max(stored.now);
    for (i, machine) in stored.machines.iter().enumerate() {
        gaps(&machine.calendar, known_from, w.to, |a, b| {
            shades.push(Shade {
                x: w.x(a),
                w: (w.x(b) - w.x(a)).max(1),
                y: tops[i],
                down: false,
            })
        });
    }
    for d in stored.down.iter().filter(|d| w.shows(d.from, d.to)) {
        if let Some(&i) = by_code.get(d.equipment.as_str()) {
            shades.push(Shade {
                x: w.x(d.from),
                w: (w.x(d.to) - w.x(d.from)).max(1),
                y: tops[i],
                down: true,
            });
        }
    }

    let waiting: std::collections::HashSet<&str> =
        stored.material_waits.iter().map(|w| w.op.as_str()).collect();
    let mut bars = Vec::with_capacity(stored.plan.ops.len());
    let mut place = |machine: usize, start: i64, end: i64, setup_to: i64, state, order, op: &'a str| {
        let x = w.x(start);
        let planned = matches!(state, BarState::Planned | BarState::Late);
        bars.push(Bar {
            x,
            w: (w.x(end) - x).max(1),
            y: bar_y(tops[machine]),
            setup_w: w.x(setup_to) - x,
            state,
            order,
            op,
            span: (start, end),
            selected: input.selected == Some(order),
            machine: codes.get(machine).copied().unwrap_or(""),
            movable: input.editable && planned,
            waiting: planned && waiting.contains(op),
            fixed: planned && stored.steering.fixed.contains_key(op),
            moved: planned && input.moved.contains(op),
        });
    };
    for (key, progress) in &stored.facts.operations {
        let (Some(started), Some(finished), Some(equipment)) = (
            progress.started_at,
            progress.finished_at,
            progress.equipment.as_ref(),
        ) else {
            continue;
        };
        let (start, end) = (started.div_euclid(60_000), finished.div_euclid(60_000));
        let Some(&machine) = by_code.get(equipment.as_str()) else {
            continue;
        };
        if w.shows(start, end.max(start + 1)) {
            let order = key.rsplit_once('/').map_or(key.as_str(), |(o, _)| o);
            place(machine, start, end, start, BarState::Done, order, key.as_str());
        }
    }
    for s in &stored.plan.ops {
        let (Some(op), Some(machine)) = (
            stored.operations.get(s.op.index()),
            stored.machines.get(s.machine.index()),
        ) else {
            continue;
        };
        if !w.shows(s.start, s.end) {
            continue;
        }
        let order = stored
            .orders
            .get(op.order.index())
            .map_or("", |o| o.name.as_str());
        let state = classify(op.pin.is_some(), input.order_states.get(order).copied());
        let setup_to = setup_end(&machine.calendar, s.start, s.setup);
        place(
            s.machine.index(),
            s.start,
            s.end,
            setup_to,
            state,
            order,
            op.name.as_str(),
        );
    }

    let mut arrows = Vec::new();
    if let Some(selected) = input.selected {
        let mid = |s: &mes_scheduler::ScheduledOp| tops[s.machine.index()] + ROW_H / 2;
        for &(before, after) in &stored.precedences {
            let of_selected = stored
                .operations
                .get(before.index())
                .and_then(|op| stored.orders.get(op.order.index()))
                .is_some_and(|o| o.name == selected);
            if !of_selected {
                continue;
            }
            let (Some(a), Some(b)) = (stored.plan.get(before), stored.plan.get(after)) else {
                continue;
            };
            if a.machine.index() < tops.len() && b.machine.index() < tops.len() {
                arrows.push((w.x(a.end), mid(a), w.x(b.start), mid(b)));
            }
        }
    }

    Board {
        height,
        rows,
        shades,
        ticks: ticks(w, span, input.offset_minutes),
        bars,
        arrows,
        now_x: (input.now >= w.from && input.now < w.to).then(|| w.x(input.now)),
    }
}

/// Writes `text` escaped for XML text and attribute values.
fn esc(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `HH:MM` (with `MM-DD ` before it) of an epoch minute at the site's offset.
fn stamp(out: &mut String, minute: i64, offset_minutes: i64) {
    let local = minute + offset_minutes;
    let (month, day) = local_date(local);
    let m = local.rem_euclid(1440);
    let _ = write!(out, "{month:02}-{day:02} {:02}:{:02}", m / 60, m % 60);
}

/// Texts the SVG carries.
pub struct SvgTexts<'a> {
    /// The image's accessible name.
    pub title: &'a str,
    /// The now-line's tooltip.
    pub now: &'a str,
    /// The query kept on each bar's link after `order=` (`span=3d`).
    pub span: Span,
    /// The site's UTC offset, for tooltips.
    pub offset_minutes: i64,
    /// The time shown (for the script that maps a drag to minutes).
    pub window: Window,
}

/// The board as one SVG element.
pub fn svg(board: &Board<'_>, texts: &SvgTexts<'_>) -> String {
    let width = LABEL_W + PLOT_W + 10;
    let mut out = String::with_capacity(4096 + board.bars.len() * 360 + board.shades.len() * 90);
    let _ = write!(
        out,
        r##"<svg class="gantt" id="gantt" viewBox="0 0 {width} {h}" width="100%" role="img" font-family="sans-serif" font-size="11" data-from="{from}" data-to="{to}" data-plot-x="{LABEL_W}" data-plot-w="{PLOT_W}" aria-label=""##,
        h = board.height + 4,
        from = texts.window.from,
        to = texts.window.to,
    );
    esc(&mut out, texts.title);
    out.push_str(
        r##""><defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#0f172a"/></marker></defs>"##,
    );
    for (n, row) in board.rows.iter().enumerate() {
        match row.machine {
            None => {
                let _ = write!(
                    out,
                    r##"<rect x="0" y="{}" width="{width}" height="{GROUP_H}" fill="#e2e8f0"/><text x="6" y="{}" font-weight="bold" fill="#0f172a">"##,
                    row.y,
                    row.y + 15
                );
                esc(&mut out, &row.label);
                out.push_str("</text>");
            }
            Some(machine) => {
                let fill = if n % 2 == 0 { "#ffffff" } else { "#f8fafc" };
                let _ = write!(out, r##"<g class="row" data-machine="{machine}" data-code=""##);
                esc(&mut out, &row.code);
                let _ = write!(
                    out,
                    r##""><rect x="0" y="{}" width="{width}" height="{ROW_H}" fill="{fill}"/><text x="10" y="{}" fill="#0f172a">"##,
                    row.y,
                    row.y + 17
                );
                esc(&mut out, &row.label);
                out.push_str("</text></g>");
            }
        }
    }
    for s in &board.shades {
        let (class, fill) = if s.down {
            ("down", "#fca5a5")
        } else {
            ("off", "#cbd5e1")
        };
        let _ = write!(
            out,
            r##"<rect class="{class}" x="{}" y="{}" width="{}" height="{ROW_H}" fill="{fill}" fill-opacity="0.6"/>"##,
            s.x, s.y, s.w
        );
    }
    for t in &board.ticks {
        let (stroke, dash) = if t.midnight {
            ("#64748b", "")
        } else {
            ("#cbd5e1", r#" stroke-dasharray="2 3""#)
        };
        let _ = write!(
            out,
            r##"<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="{stroke}"{dash}/><text x="{tx}" y="18" fill="#334155">{label}</text>"##,
            x = t.x,
            top = AXIS_H - 6,
            bottom = board.height,
            tx = t.x + 3,
            label = t.label,
        );
    }
    let any_selected = board.bars.iter().any(|b| b.selected);
    for b in &board.bars {
        out.push_str(r#"<a href="?order="#);
        out.push_str(&urlencode(b.order));
        let _ = write!(
            out,
            "&amp;span={}\" class=\"bar {}",
            texts.span.code(),
            b.state.class()
        );
        for (on, class) in [
            (b.selected, " selected"),
            (b.movable, " movable"),
            (b.waiting, " waiting"),
            (b.fixed, " fixed"),
            (b.moved, " moved"),
        ] {
            if on {
                out.push_str(class);
            }
        }
        out.push_str("\" data-order=\"");
        esc(&mut out, b.order);
        out.push('"');
        if b.movable {
            out.push_str(" data-op=\"");
            esc(&mut out, b.op);
            out.push_str("\" data-machine=\"");
            esc(&mut out, b.machine);
            let _ = write!(out, "\" data-start=\"{}\"", b.span.0);
        }
        if any_selected && !b.selected {
            out.push_str(r#" opacity="0.35""#);
        }
        out.push_str("><title>");
        esc(&mut out, b.op);
        out.push_str(": ");
        stamp(&mut out, b.span.0, texts.offset_minutes);
        out.push_str(" – ");
        stamp(&mut out, b.span.1, texts.offset_minutes);
        let h = ROW_H - 2 * BAR_PAD;
        let _ = write!(
            out,
            r##"</title><rect x="{}" y="{}" width="{}" height="{h}" rx="2" fill="{}""##,
            b.x,
            b.y,
            b.w,
            b.state.fill()
        );
        if b.selected {
            out.push_str(r##" stroke="#facc15" stroke-width="3""##);
        } else if b.moved {
            out.push_str(r##" stroke="#a855f7" stroke-width="3""##);
        } else if b.waiting {
            out.push_str(r##" stroke="#f59e0b" stroke-width="2.5" stroke-dasharray="4 2""##);
        } else {
            out.push_str(r##" stroke="#ffffff" stroke-width="0.5""##);
        }
        out.push_str("/>");
        if b.setup_w > 0 {
            let _ = write!(
                out,
                r##"<rect class="setup" x="{}" y="{}" width="{}" height="{h}" fill="#0f172a" fill-opacity="0.35"/>"##,
                b.x, b.y, b.setup_w
            );
        }
        if b.fixed {
            let _ = write!(
                out,
                r##"<circle class="pin" cx="{}" cy="{}" r="3" fill="#0f172a"/>"##,
                b.x + b.w - 4,
                b.y + 4
            );
        }
        if b.w >= CHAR_W * b.order.chars().count() as i64 + 6 {
            let _ = write!(out, r##"<text x="{}" y="{}" fill="#ffffff">"##, b.x + 3, b.y + 13);
            esc(&mut out, b.order);
            out.push_str("</text>");
        }
        out.push_str("</a>");
    }
    for &(x1, y1, x2, y2) in &board.arrows {
        let _ = write!(
            out,
            r##"<line class="arrow" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#0f172a" stroke-width="1.5" marker-end="url(#arrow)"/>"##
        );
    }
    if let Some(x) = board.now_x {
        let _ = write!(
            out,
            r##"<line class="now" x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#f59e0b" stroke-width="2"><title>"##,
            AXIS_H - 8,
            board.height
        );
        esc(&mut out, texts.now);
        out.push_str("</title></line>");
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mes_scheduler::Interval;

    fn calendar(intervals: &[(i64, i64)]) -> Calendar {
        Calendar::from_intervals(intervals.iter().map(|&(a, b)| Interval::new(a, b))).expect("valid")
    }

    #[test]
    fn time_maps_linearly_onto_the_plot_and_clamps_at_its_edges() {
        let w = Window {
            from: 1000,
            to: 1000 + 1400,
        };
        assert_eq!(w.x(1000), LABEL_W);
        assert_eq!(w.x(1700), LABEL_W + 700);
        assert_eq!(w.x(2400), LABEL_W + PLOT_W);
        assert_eq!(w.x(0), LABEL_W);
        assert_eq!(w.x(99_999), LABEL_W + PLOT_W);
        assert!(w.shows(900, 1001));
        assert!(!w.shows(900, 1000));
        assert!(!w.shows(2400, 2500));
    }

    #[test]
    fn the_window_opens_an_eighth_before_the_plan_at_a_whole_local_hour() {
        // 10:30 UTC, site at UTC+1 (11:30): 3 days, 9 h earlier is 02:30
        // local, floored to 02:00 local = 01:00 UTC.
        let now = 10 * 60 + 30;
        let w = Window::around(now, Span::ThreeDays, 60);
        assert_eq!(w.from, 60);
        assert_eq!(w.to - w.from, 3 * 1440);
        assert_eq!(Span::parse(Some("14d")), Span::TwoWeeks);
        assert_eq!(Span::parse(Some("nonsense")), Span::ThreeDays);
        assert_eq!(Span::parse(None).code(), "3d");
    }

    #[test]
    fn ticks_fall_on_whole_site_hours_and_days() {
        let w = Window {
            from: 60,
            to: 60 + 1440,
        };
        // UTC+1: the window opens at 02:00 local; two-hour ticks from 02:00.
        let t = ticks(w, Span::Day, 60);
        assert_eq!(t[0].label, "02:00");
        assert_eq!(t[0].x, LABEL_W);
        let midnight = t.iter().find(|t| t.midnight).expect("a midnight tick");
        assert_eq!(midnight.label, "01-02");
        assert_eq!(t.len(), 12);
        let days = ticks(
            Window {
                from: 0,
                to: 7 * 1440,
            },
            Span::Week,
            0,
        );
        assert_eq!(days.len(), 7);
        assert!(days.iter().all(|t| t.midnight));
        assert_eq!(days[1].label, "01-02");
    }

    #[test]
    fn machines_are_grouped_by_type_unknown_ones_last() {
        let eq = |name: &str, group: &str| Equip {
            name: name.into(),
            group: group.into(),
        };
        let equipment: HashMap<String, Equip> = [
            ("M2".to_string(), eq("Mill", "mill")),
            ("M1".to_string(), eq("Saw", "saw")),
            ("M4".to_string(), eq("M4", "mill")),
        ]
        .into_iter()
        .collect();
        let (rows, tops) = rows(&["M1", "M2", "X9", "M4"], &equipment, "other");
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            ["mill", "M2 · Mill", "M4", "saw", "M1 · Saw", "other", "X9"]
        );
        assert_eq!(rows[1].machine, Some(1));
        assert_eq!(tops[1], AXIS_H + GROUP_H);
        assert_eq!(tops[3], AXIS_H + GROUP_H + ROW_H);
        assert_eq!(tops[0], AXIS_H + 2 * GROUP_H + 2 * ROW_H);
        assert_eq!(tops[2], AXIS_H + 3 * GROUP_H + 3 * ROW_H);
    }

    #[test]
    fn running_beats_late_and_late_beats_planned() {
        assert_eq!(classify(true, Some(OrderState::Late)), BarState::Running);
        assert_eq!(classify(false, Some(OrderState::Late)), BarState::Late);
        assert_eq!(classify(false, Some(OrderState::AtRisk)), BarState::Planned);
        assert_eq!(classify(false, Some(OrderState::NoDueDate)), BarState::Planned);
        assert_eq!(classify(false, None), BarState::Planned);
    }

    #[test]
    fn calendar_gaps_are_clipped_to_the_view() {
        let cal = calendar(&[(100, 200), (300, 400)]);
        let mut seen = Vec::new();
        gaps(&cal, 150, 350, |a, b| seen.push((a, b)));
        assert_eq!(seen, [(200, 300)]);
        seen.clear();
        gaps(&cal, 0, 500, |a, b| seen.push((a, b)));
        assert_eq!(seen, [(0, 100), (200, 300), (400, 500)]);
        seen.clear();
        gaps(&cal, 210, 290, |a, b| seen.push((a, b)));
        assert_eq!(seen, [(210, 290)]);
        seen.clear();
        gaps(&Calendar::always(), 0, 500, |a, b| seen.push((a, b)));
        assert!(seen.is_empty());
    }

    #[test]
    fn a_setup_waits_through_breaks() {
        let cal = calendar(&[(100, 200), (300, 400)]);
        assert_eq!(setup_end(&cal, 120, 30), 150);
        assert_eq!(setup_end(&cal, 190, 30), 320);
        assert_eq!(setup_end(&cal, 120, 0), 120);
        assert_eq!(setup_end(&Calendar::always(), 5, 10), 15);
    }

    #[test]
    fn text_in_the_svg_is_escaped() {
        let mut out = String::new();
        esc(&mut out, r#"<a href="x">&'"#);
        assert_eq!(out, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    /// Machine M1 (working 0–600, 700 on) and M2 (always, down 300–400);
    /// order A: op 10 on M1 0–100 (setup 20), op 20 on M2 150–250; order B
    /// late: op 10 on M1 100–200; A/5 finished on M2 at 10–60.
    fn small_plan() -> StoredPlan {
        use crate::planning::build::DownWindow;
        use crate::planning::facts::{FloorFacts, OperationProgress};
        use crate::planning::stored::PlanMeta;
        use mes_protocols::Code;
        use mes_scheduler::{Alternative, Machine, ModelBuilder, Operation, Order, Plan, ScheduledOp};
        let mut b = ModelBuilder::new();
        let m1 = b.add_machine(Machine::new("M1", calendar(&[(0, 600), (700, 100_000)])));
        let m2 = b.add_machine(Machine::new("M2", Calendar::always()));
        let a = b.add_order(Order::new("A"));
        let o_b = b.add_order(Order::new("B").due(50));
        let a10 = b.add_operation(Operation::new("A/10", a, 20, 80, vec![Alternative::nominal(m1)]));
        let a20 = b.add_operation(Operation::new("A/20", a, 0, 100, vec![Alternative::nominal(m2)]));
        let b10 = b.add_operation(Operation::new(
            "B/10",
            o_b,
            0,
            100,
            vec![Alternative::nominal(m1)],
        ));
        b.add_precedence(a10, a20);
        let model = b.build().expect("a valid model");
        let at = |op, machine, start, end, setup| ScheduledOp {
            op,
            machine,
            start,
            end,
            setup,
        };
        let plan = Plan {
            ops: vec![
                at(a10, m1, 0, 100, 20),
                at(a20, m2, 150, 250, 0),
                at(b10, m1, 100, 200, 0),
            ],
        };
        let mut facts = FloorFacts::default();
        facts.operations.insert(
            "A/5".into(),
            OperationProgress {
                started_at: Some(10 * 60_000),
                equipment: Some(Code::parse("M2").expect("code")),
                finished_at: Some(60 * 60_000),
            },
        );
        StoredPlan::new(
            &model,
            plan,
            PlanMeta {
                facts,
                down: vec![DownWindow {
                    equipment: Code::parse("M2").expect("code"),
                    from: 300,
                    to: 400,
                }],
                ..PlanMeta::default()
            },
        )
    }

    #[test]
    fn the_layout_places_bars_shades_and_the_chosen_chain() {
        let stored = small_plan();
        let equipment = HashMap::new();
        let states: HashMap<&str, OrderState> = [("A", OrderState::NoDueDate), ("B", OrderState::Late)]
            .into_iter()
            .collect();
        let window = Window { from: 0, to: 1400 };
        let moved = std::collections::HashSet::new();
        let board = layout(
            &Input {
                stored: &stored,
                equipment: &equipment,
                other_group: "other",
                order_states: &states,
                window,
                offset_minutes: 0,
                now: 120,
                selected: Some("A"),
                editable: false,
                moved: &moved,
            },
            Span::Day,
        );
        let (_, tops) = rows(&["M1", "M2"], &equipment, "other");
        let bar = |op: &str| board.bars.iter().find(|b| b.op == op).expect("a bar");
        let done = bar("A/5");
        assert_eq!((done.state, done.x, done.w), (BarState::Done, LABEL_W + 10, 50));
        assert_eq!(done.y, tops[1] + BAR_PAD);
        let a10 = bar("A/10");
        assert_eq!(
            (a10.state, a10.x, a10.w, a10.setup_w),
            (BarState::Planned, LABEL_W, 100, 20)
        );
        assert!(a10.selected && bar("A/20").selected && !bar("B/10").selected);
        assert_eq!(bar("B/10").state, BarState::Late);
        // A/10 ends on M1 at 100, A/20 starts on M2 at 150.
        assert_eq!(
            board.arrows,
            [(
                LABEL_W + 100,
                tops[0] + ROW_H / 2,
                LABEL_W + 150,
                tops[1] + ROW_H / 2
            )]
        );
        let shades: Vec<(i64, i64, i64, bool)> =
            board.shades.iter().map(|s| (s.x, s.w, s.y, s.down)).collect();
        assert_eq!(
            shades,
            [
                (LABEL_W + 600, 100, tops[0], false),
                (LABEL_W + 300, 100, tops[1], true)
            ]
        );
        assert_eq!(board.now_x, Some(LABEL_W + 120));
        let svg = svg(
            &board,
            &SvgTexts {
                title: "Plan <x>",
                now: "Now",
                span: Span::Day,
                offset_minutes: 0,
                window,
            },
        );
        assert!(
            svg.contains(r#"<a href="?order=A&amp;span=1d" class="bar planned selected" data-order="A">"#)
        );
        assert!(svg.contains(r#"class="bar late" data-order="B" opacity="0.35""#));
        assert!(svg.contains("aria-label=\"Plan &lt;x&gt;\""));
        assert_eq!(svg.matches("marker-end").count(), 1);
    }
}
