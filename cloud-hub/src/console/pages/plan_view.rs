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
//! (`plan_svg.rs`) writes: both walk the plan once, without an allocation
//! per bar.

use crate::planning::report::OrderState;
use crate::planning::stored::StoredPlan;
use mes_scheduler::Calendar;
use std::collections::HashMap;

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
pub(super) const BAR_PAD: i64 = 4;
/// Width of one character of a bar's label, roughly (font size 11).
pub(super) const CHAR_W: i64 = 7;

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

    pub(super) fn fill(self) -> &'static str {
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

pub(super) fn local_date(minute: i64) -> (u8, u8) {
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

#[cfg(test)]
#[path = "plan_view_tests.rs"]
mod tests;
