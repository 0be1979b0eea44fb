//! Bills of materials: one row per component line of a BOM version. The
//! version's dates are repeated on each of its rows and must agree.

use std::collections::HashMap;

use mes_protocols::code::Code;
use rust_decimal::Decimal;
use time::Date;

use super::Record;
use super::cells::{self, Checker, RowReader};

/// One component line of one version of a parent's BOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BomRow {
    /// The material made (semi-finished or finished).
    pub parent: Code,
    /// The BOM version (e.g. `1`, `2026-A`).
    pub version: Code,
    /// First day the version applies.
    pub valid_from: Date,
    /// Last day the version applies (inclusive); `None` for open-ended.
    /// Never before `valid_from`.
    pub valid_to: Option<Date>,
    /// The material consumed; never the parent itself.
    pub component: Code,
    /// Quantity of `component`, in `unit`, per one base unit of the parent;
    /// above zero.
    pub quantity: Decimal,
    /// The unit `quantity` is in (the component's base or an alternative
    /// unit; checked against the material when persisted).
    pub unit: Code,
    /// When this version takes over, keep consuming the previous version's
    /// component stock until it runs out.
    pub use_up_old_stock: bool,
}

const PARENT: &str = "parent";
const VALID_FROM: &str = "valid_from";
const VALID_TO: &str = "valid_to";
const COMPONENT: &str = "component";

impl Record for BomRow {
    const COLUMNS: &'static [&'static str] = &[
        PARENT,
        "version",
        VALID_FROM,
        VALID_TO,
        COMPONENT,
        "quantity",
        "unit",
        "use_up_old_stock",
    ];

    fn read(r: &mut RowReader<'_>) -> Option<Self> {
        let parent = r.required(PARENT, cells::code);
        r.check_known(PARENT, parent.as_ref());
        let version = r.required("version", cells::code);
        let valid_from = r.required(VALID_FROM, cells::date);
        let valid_to = r.optional(VALID_TO, cells::date);
        let component = r.required(COMPONENT, cells::code);
        r.check_known(COMPONENT, component.as_ref());
        let quantity = r.required("quantity", cells::positive);
        let unit = r.required("unit", cells::code);
        r.check_unit_of("unit", component.as_ref(), unit.as_ref());
        let use_up_old_stock = r
            .optional("use_up_old_stock", cells::yes_no)
            .map(Option::unwrap_or_default);
        let (parent, valid_from, valid_to, component) = (parent?, valid_from?, valid_to?, component?);
        if valid_to.is_some_and(|to| to < valid_from) {
            r.fail(
                VALID_TO,
                format!("is before valid_from {}", cells::format_date(valid_from)),
            );
            return None;
        }
        if component == parent {
            r.fail(COMPONENT, "is the parent itself");
            return None;
        }
        Some(Self {
            parent,
            version: version?,
            valid_from,
            valid_to,
            component,
            quantity: quantity?,
            unit: unit?,
            use_up_old_stock: use_up_old_stock?,
        })
    }

    fn check_all(rows: &[(usize, Self)], check: &mut Checker<'_>) {
        let mut versions: HashMap<(&Code, &Code), (usize, &Self)> = HashMap::new();
        let mut lines: HashMap<(&Code, &Code, &Code), usize> = HashMap::new();
        for (row, b) in rows {
            if let Some(first) = lines.insert((&b.parent, &b.version, &b.component), *row) {
                lines.insert((&b.parent, &b.version, &b.component), first);
                let why = format!(
                    "is listed twice in version {} of {} (first in row {first})",
                    b.version, b.parent
                );
                check.fail(*row, COMPONENT, b.component.as_str(), why);
            }
            let (first_row, first) = *versions.entry((&b.parent, &b.version)).or_insert((*row, b));
            let differs = |what: &str| {
                format!("differs from row {first_row}; all rows of a BOM version share its {what}")
            };
            if first.valid_from != b.valid_from {
                check.fail(
                    *row,
                    VALID_FROM,
                    &cells::format_date(b.valid_from),
                    differs("dates"),
                );
            }
            if first.valid_to != b.valid_to {
                check.fail(
                    *row,
                    VALID_TO,
                    &b.valid_to.map(cells::format_date).unwrap_or_default(),
                    differs("dates"),
                );
            }
        }
        check_overlaps(versions, check);
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.parent.to_string(),
            self.version.to_string(),
            cells::format_date(self.valid_from),
            self.valid_to.map(cells::format_date).unwrap_or_default(),
            self.component.to_string(),
            self.quantity.to_string(),
            self.unit.to_string(),
            cells::format_yes_no(self.use_up_old_stock).to_string(),
        ]
    }
}

/// Two versions of one parent whose validity overlaps would leave it
/// ambiguous which one production uses on a day; the later-starting one is
/// reported on its first row.
fn check_overlaps(versions: HashMap<(&Code, &Code), (usize, &BomRow)>, check: &mut Checker<'_>) {
    let mut by_parent: HashMap<&Code, Vec<(usize, &BomRow)>> = HashMap::new();
    for ((parent, _), first) in versions {
        by_parent.entry(parent).or_default().push(first);
    }
    for mut list in by_parent.into_values() {
        list.sort_by_key(|(row, b)| (b.valid_from, *row));
        for pair in list.windows(2) {
            let [(prev_row, prev), (row, next)] = pair else {
                continue;
            };
            if prev.valid_to.is_none_or(|to| to >= next.valid_from) {
                let why = format!(
                    "version {} overlaps version {} of {} (row {prev_row}); end that one on the day before",
                    next.version, prev.version, next.parent
                );
                check.fail(*row, VALID_FROM, &cells::format_date(next.valid_from), why);
            }
        }
    }
}
