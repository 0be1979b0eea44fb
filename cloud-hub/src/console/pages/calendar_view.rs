//! A calendar as a planner reads it, above its JSON on the record page: the
//! working week (each day's shifts), the holidays and the maintenance
//! windows, in the site's local time as the calendar states them.

use crate::console::i18n::Catalog;
use crate::masterdata::records::calendar::{Calendar, Weekday};

/// A calendar laid out for the page.
pub struct CalendarView {
    /// Each day of the week (its name) with its shifts, `HH:MM–HH:MM`.
    pub week: Vec<(&'static str, Vec<String>)>,
    /// Holidays: date and name, in date order.
    pub holidays: Vec<(String, String)>,
    /// Maintenance: from, to, the equipment (empty: all) and the note.
    pub maintenance: Vec<(String, String, String, String)>,
}

const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "day.mon"),
    (Weekday::Tue, "day.tue"),
    (Weekday::Wed, "day.wed"),
    (Weekday::Thu, "day.thu"),
    (Weekday::Fri, "day.fri"),
    (Weekday::Sat, "day.sat"),
    (Weekday::Sun, "day.sun"),
];

fn local(at: time::PrimitiveDateTime) -> String {
    format!("{} {:02}:{:02}", at.date(), at.hour(), at.minute())
}

impl CalendarView {
    /// The view of `calendar` with day names from `t`.
    pub fn of(calendar: &Calendar, t: &'static Catalog) -> Self {
        let week = DAYS
            .iter()
            .map(|(day, key)| {
                let mut shifts: Vec<_> = calendar.shifts.iter().filter(|s| s.days.contains(day)).collect();
                shifts.sort_by_key(|s| s.start);
                let ranges = shifts
                    .iter()
                    .map(|s| format!("{}–{}", String::from(s.start), String::from(s.end)))
                    .collect();
                (t.m(key), ranges)
            })
            .collect();
        let mut holidays: Vec<_> = calendar
            .holidays
            .iter()
            .map(|h| (h.date.to_string(), h.name.clone()))
            .collect();
        holidays.sort();
        let mut windows: Vec<_> = calendar.maintenance.iter().collect();
        windows.sort_by_key(|m| m.from);
        let maintenance = windows
            .into_iter()
            .map(|m| {
                let equipment = m
                    .equipment
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                (local(m.from), local(m.to), equipment, m.note.clone())
            })
            .collect();
        Self {
            week,
            holidays,
            maintenance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::Lang;

    #[test]
    fn the_week_lists_each_days_shifts_in_time_order_and_days_off() {
        let calendar: Calendar = serde_json::from_value(serde_json::json!({
            "code": "TWO-SHIFT", "name": "Two shifts",
            "shifts": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "14:00", "end": "22:00"},
                {"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "start": "06:00", "end": "14:00"}],
            "holidays": [{"date": "2026-12-25", "name": "Christmas"}, {"date": "2026-10-01", "name": "National Day"}],
            "maintenance": [{"from": "2026-12-07T06:00", "to": "2026-12-07T10:00", "equipment": ["press-1"], "note": "oil"}]
        }))
        .expect("a valid calendar");
        let view = CalendarView::of(&calendar, Catalog::of(Lang::En));
        assert_eq!(
            view.week[0],
            ("Monday", vec!["06:00–14:00".to_string(), "14:00–22:00".into()])
        );
        assert_eq!(view.week[5], ("Saturday", vec!["06:00–14:00".to_string()]));
        assert_eq!(view.week[6], ("Sunday", Vec::<String>::new()));
        assert_eq!(view.holidays[0], ("2026-10-01".into(), "National Day".into()));
        assert_eq!(
            view.maintenance,
            vec![(
                "2026-12-07 06:00".into(),
                "2026-12-07 10:00".into(),
                "press-1".into(),
                "oil".into()
            )]
        );
        let zh = CalendarView::of(&calendar, Catalog::of(Lang::Zh));
        assert_eq!(zh.week[0].0, "星期一");
    }
}
