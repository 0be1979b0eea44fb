//! Working-time calendars: weekly shifts, holidays and maintenance windows,
//! in the site's local time. Equipment names the calendar it follows (or
//! follows its site's default); the planner expands a calendar into the
//! scheduler's working intervals (`crate::planning::calendars`).

use super::iso_date;
use super::resources::Equipment;
use crate::masterdata::kind::{MasterKind, Reference, distinct, not_blank};
use mes_protocols::{Code, FieldError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{Date, PrimitiveDateTime};

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// The same day as `time` names it.
    pub fn to_time(self) -> time::Weekday {
        match self {
            Self::Mon => time::Weekday::Monday,
            Self::Tue => time::Weekday::Tuesday,
            Self::Wed => time::Weekday::Wednesday,
            Self::Thu => time::Weekday::Thursday,
            Self::Fri => time::Weekday::Friday,
            Self::Sat => time::Weekday::Saturday,
            Self::Sun => time::Weekday::Sunday,
        }
    }
}

/// A time of day `HH:MM` (00:00 to 24:00), as minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime(u16);

impl ClockTime {
    /// Minutes after midnight (0 to 1440).
    pub fn minutes(self) -> i64 {
        i64::from(self.0)
    }
}

impl TryFrom<String> for ClockTime {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let bad = || format!("{text:?} is not a time of day HH:MM from 00:00 to 24:00");
        let (h, m) = text.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(Self(h * 60 + m))
    }
}

impl From<ClockTime> for String {
    fn from(t: ClockTime) -> Self {
        format!("{:02}:{:02}", t.0 / 60, t.0 % 60)
    }
}

impl JsonSchema for ClockTime {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ClockTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$",
            "description": "A local time of day HH:MM, 00:00 to 24:00."
        })
    }
}

/// The OpenAPI schema of a local date-time `YYYY-MM-DDTHH:MM` (what
/// [`local_minute`] reads).
pub struct LocalMinuteText;

impl JsonSchema for LocalMinuteText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LocalMinute".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]$",
            "description": "A local date and minute YYYY-MM-DDTHH:MM (site time). The pattern \
                names days 01 to 28 so that every string it matches is a date; days 29 to 31 \
                are accepted where the month has them."
        })
    }
}

/// Serde helper for a local date-time `YYYY-MM-DDTHH:MM` (site time).
pub mod local_minute {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::PrimitiveDateTime;

    const FORMAT: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");

    /// Writes `YYYY-MM-DDTHH:MM`.
    pub fn serialize<S: Serializer>(at: &PrimitiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&at.format(FORMAT).map_err(serde::ser::Error::custom)?)
    }

    /// Reads `YYYY-MM-DDTHH:MM`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PrimitiveDateTime, D::Error> {
        let text = String::deserialize(d)?;
        PrimitiveDateTime::parse(&text, FORMAT).map_err(|_| {
            serde::de::Error::custom(format!("{text:?} is not a local date-time YYYY-MM-DDTHH:MM"))
        })
    }
}

/// One weekly shift: working time on the listed days from `start` to `end`
/// (local time). An `end` at or before `start` runs past midnight into the
/// next day (`22:00`–`06:00`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// The days it starts on.
    pub days: Vec<Weekday>,
    /// When it starts.
    pub start: ClockTime,
    /// When it ends.
    pub end: ClockTime,
}

/// A day without work (every shift starting on it is dropped, and the
/// part of a night shift reaching into it is cut at its midnight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// The local day.
    #[serde(with = "iso_date")]
    #[schemars(with = "super::IsoDateText")]
    pub date: Date,
    /// What it is.
    #[serde(default)]
    pub name: String,
}

/// Planned maintenance: machines following this calendar do not work from
/// `from` to `to` (local time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Maintenance {
    /// First minute of the window, `YYYY-MM-DDTHH:MM`.
    #[serde(with = "local_minute")]
    #[schemars(with = "LocalMinuteText")]
    pub from: PrimitiveDateTime,
    /// First minute after the window, `YYYY-MM-DDTHH:MM`.
    #[serde(with = "local_minute")]
    #[schemars(with = "LocalMinuteText")]
    pub to: PrimitiveDateTime,
    /// The machines it stops; empty = every machine following this calendar.
    #[serde(default)]
    pub equipment: Vec<Code>,
    /// What is done.
    #[serde(default)]
    pub note: String,
}

impl Maintenance {
    /// Whether it stops `equipment`.
    pub fn applies_to(&self, equipment: &Code) -> bool {
        self.equipment.is_empty() || self.equipment.contains(equipment)
    }
}

/// A working-time calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// Its code.
    pub code: Code,
    /// Its name.
    pub name: String,
    /// The weekly shifts; at least one.
    pub shifts: Vec<Shift>,
    /// Days without work.
    #[serde(default)]
    pub holidays: Vec<Holiday>,
    /// Planned maintenance windows.
    #[serde(default)]
    pub maintenance: Vec<Maintenance>,
}

impl MasterKind for Calendar {
    const MODULE: crate::store::rights::Module = crate::store::rights::Module::Scheduling;
    const EDIT_MODULE: Option<crate::store::rights::Module> = Some(crate::store::rights::Module::System);
    const KIND: &'static str = "calendar";
    const PATH: &'static str = "calendars";
    const TITLE: &'static str = "Calendar";

    fn code(&self) -> &Code {
        &self.code
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)?;
        if self.shifts.is_empty() {
            return Err(FieldError::new("shifts", "a calendar needs at least one shift"));
        }
        for (i, shift) in self.shifts.iter().enumerate() {
            if shift.days.is_empty() {
                return Err(FieldError::new(
                    format!("shifts[{i}].days"),
                    "name at least one day",
                ));
            }
            distinct(&format!("shifts[{i}].days"), &shift.days, |d| format!("{d:?}"))?;
        }
        distinct("holidays", &self.holidays, |h| h.date)?;
        for (i, m) in self.maintenance.iter().enumerate() {
            if m.to <= m.from {
                return Err(FieldError::new(
                    format!("maintenance[{i}].to"),
                    "must be after from",
                ));
            }
            distinct(&format!("maintenance[{i}].equipment"), &m.equipment, Clone::clone)?;
        }
        Ok(())
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = Vec::new();
        for (i, m) in self.maintenance.iter().enumerate() {
            for (j, e) in m.equipment.iter().enumerate() {
                refs.push(Reference::new(
                    Equipment::KIND,
                    e,
                    format!("maintenance[{i}].equipment[{j}]"),
                ));
            }
        }
        refs
    }
}

/// Formats a local date-time as the records write it (for messages).
pub fn show_local(at: PrimitiveDateTime) -> String {
    at.format(format_description!("[year]-[month]-[day]T[hour]:[minute]"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: serde_json::Value) -> Result<Calendar, String> {
        serde_json::from_value(json).map_err(|e| e.to_string())
    }

    #[test]
    fn a_two_shift_calendar_reads_and_checks() {
        let cal = parse(serde_json::json!({
            "code": "two-shift", "name": "Two shifts",
            "shifts": [{"days": ["mon", "tue"], "start": "06:00", "end": "14:00"},
                       {"days": ["mon"], "start": "22:00", "end": "06:00"}],
            "holidays": [{"date": "2026-05-01", "name": "Labour day"}],
            "maintenance": [{"from": "2026-05-04T08:00", "to": "2026-05-04T10:00", "equipment": ["M1"]}]
        }))
        .expect("a valid calendar");
        assert_eq!(cal.check(), Ok(()));
        assert_eq!(cal.shifts[1].end.minutes(), 360);
        assert_eq!(cal.references()[0].field, "maintenance[0].equipment[0]");
    }

    #[test]
    fn bad_times_are_named() {
        let err = parse(serde_json::json!({"code": "c", "name": "n",
            "shifts": [{"days": ["mon"], "start": "25:00", "end": "06:00"}]}))
        .expect_err("hour 25");
        assert!(err.contains("25:00"), "{err}");
        let cal = parse(serde_json::json!({"code": "c", "name": "n",
            "shifts": [{"days": ["mon"], "start": "06:00", "end": "24:00"}],
            "maintenance": [{"from": "2026-05-04T10:00", "to": "2026-05-04T08:00"}]}))
        .expect("parses");
        assert_eq!(cal.check().expect_err("reversed").field, "maintenance[0].to");
    }
}
