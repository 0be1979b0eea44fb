//! Pure: writes the planning board laid out by `plan_view.rs` as one SVG
//! element, with attributes only (the CSP forbids inline styles and
//! scripts): the axis, the rows, the shaded gaps and down windows, the
//! bars as links with their tooltips, the now-line and the chosen order's
//! precedence arrows.

use super::super::render::urlencode;
use super::plan_view::{
    AXIS_H, BAR_PAD, Board, CHAR_W, GROUP_H, LABEL_W, PLOT_W, ROW_H, Span, Window, local_date,
};
use std::fmt::Write;

/// Writes `text` escaped for XML text and attribute values.
pub(super) fn esc(out: &mut String, text: &str) {
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
