//! GS1 dates: six digits YYMMDD, with the century found from a reference
//! year (GS1 General Specifications section 7.12) because this crate has no
//! clock, and day `00` meaning the last day of the month.

use time::{Date, Month};

/// Resolves YYMMDD digits to a date, `reference_year` being the current year
/// of the caller.
///
/// Century (GS1 General Specifications 7.12): with `d` the two-digit year
/// minus the last two digits of the reference year, `d` in 51..=99 means
/// the previous century, `d` in -99..=-50 the next one, anything else the
/// reference year's century. So 50 years ahead and 49 back stay in the
/// current century.
pub(crate) fn resolve_yymmdd(digits: &str, reference_year: i32) -> Result<Date, &'static str> {
    let number = |range: std::ops::Range<usize>| -> Result<u8, &'static str> {
        digits
            .get(range)
            .and_then(|d| d.parse::<u8>().ok())
            .ok_or("expected six digits YYMMDD")
    };
    if digits.len() != 6 {
        return Err("expected six digits YYMMDD");
    }
    let (yy, mm, dd) = (number(0..2)?, number(2..4)?, number(4..6)?);
    let year = full_year(yy, reference_year)?;
    let month = Month::try_from(mm).map_err(|_| "month must be 01 to 12")?;
    let day = if dd == 0 { month.length(year) } else { dd };
    Date::from_calendar_date(year, month, day).map_err(|_| "no such day in that month")
}

/// The four-digit year of a two-digit year `yy`, by the GS1 century rule.
pub(crate) fn full_year(yy: u8, reference_year: i32) -> Result<i32, &'static str> {
    let reference = i64::from(reference_year);
    let current_yy = reference.rem_euclid(100);
    let diff = i64::from(yy) - current_yy;
    let century = reference - current_yy
        + match diff {
            51..=99 => -100,
            -99..=-50 => 100,
            _ => 0,
        };
    let year = century + i64::from(yy);
    let (min, max) = (i64::from(Date::MIN.year()), i64::from(Date::MAX.year()));
    if !(min..=max).contains(&year) {
        return Err("year out of range");
    }
    i32::try_from(year).map_err(|_| "year out of range")
}
