//! The planning board's layout and SVG (`plan_view.rs`, `plan_svg.rs`).

use super::*;
use crate::console::pages::plan_svg::{SvgTexts, esc, svg};
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
    let shades: Vec<(i64, i64, i64, bool)> = board.shades.iter().map(|s| (s.x, s.w, s.y, s.down)).collect();
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
    assert!(svg.contains(r#"<a href="?order=A&amp;span=1d" class="bar planned selected" data-order="A">"#));
    assert!(svg.contains(r#"class="bar late" data-order="B" opacity="0.35""#));
    assert!(svg.contains("aria-label=\"Plan &lt;x&gt;\""));
    assert_eq!(svg.matches("marker-end").count(), 1);
}
