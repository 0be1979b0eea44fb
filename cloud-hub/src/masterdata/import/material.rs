//! Materials: one row per material, alternative units packed in one cell.

use std::collections::HashMap;

use mes_protocols::code::Code;
use rust_decimal::Decimal;

use super::Record;
use super::cells::{self, Checker, RefKind, RowReader};

/// What a material is in the flow of production.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MaterialKind {
    /// Bought in, consumed by production (`raw`).
    Raw,
    /// Made here and consumed again by production (`semi-finished`).
    SemiFinished,
    /// Made here and sold (`finished`).
    Finished,
}

impl MaterialKind {
    /// The spelling the CSV uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::SemiFinished => "semi-finished",
            Self::Finished => "finished",
        }
    }

    /// Reads `raw`, `semi-finished`, `finished`; any case, and `_` or a space
    /// in place of the hyphen.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.to_ascii_lowercase().replace(['_', ' '], "-").as_str() {
            "raw" => Ok(Self::Raw),
            "semi-finished" | "semifinished" => Ok(Self::SemiFinished),
            "finished" => Ok(Self::Finished),
            _ => Err("is not a material kind (raw, semi-finished, finished)".into()),
        }
    }
}

/// One alternative unit: `factor` base units make one `unit`
/// (`box:12` = a box holds 12 base units).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AltUnit {
    /// The alternative unit's code.
    pub unit: Code,
    /// How many base units one `unit` holds; above zero.
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub factor: Decimal,
}

/// One material: as imported, and as the hub keeps it (the `material`
/// master-data record).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Material")]
pub struct MaterialRow {
    /// The material's code, unique in the file.
    pub code: Code,
    /// Human-readable name; not empty.
    pub name: String,
    /// Raw, semi-finished or finished.
    pub kind: MaterialKind,
    /// The unit stock and BOM quantities are kept in.
    pub base_unit: Code,
    /// Other units the material is counted in, each distinct and different
    /// from `base_unit`, in file order.
    #[serde(default)]
    pub alt_units: Vec<AltUnit>,
    /// Whether every movement must name a lot.
    pub lot_tracked: bool,
    /// Standard cost per base unit, in the tenant's currency; zero or more,
    /// at most 4 decimal places.
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub standard_cost: Decimal,
}

const CODE: &str = "code";

/// Parses the `alt_units` cell: `unit:factor` pairs separated by `;`
/// (`box:12;pallet:480`), spaces around parts allowed, empty for none. A
/// unit code therefore cannot contain `:` or `;`.
pub fn parse_alt_units(raw: &str) -> Result<Vec<AltUnit>, String> {
    let mut units: Vec<AltUnit> = Vec::new();
    for part in raw.split(';') {
        let Some((unit, factor)) = part.split_once(':') else {
            return Err(format!(
                "part {:?} is not unit:factor (e.g. box:12;pallet:480)",
                part.trim()
            ));
        };
        let unit = Code::parse(unit.trim()).map_err(|why| format!("unit {:?} {why}", unit.trim()))?;
        let factor = cells::positive(factor.trim()).map_err(|why| format!("factor of {unit} {why}"))?;
        if units.iter().any(|u| u.unit == unit) {
            return Err(format!("unit {unit} is listed twice"));
        }
        units.push(AltUnit { unit, factor });
    }
    Ok(units)
}

/// Writes alternative units the way [`parse_alt_units`] reads them.
pub fn format_alt_units(units: &[AltUnit]) -> String {
    units
        .iter()
        .map(|u| format!("{}:{}", u.unit, u.factor))
        .collect::<Vec<_>>()
        .join(";")
}

/// Every alternative unit must be a unit of measure; one error lists all
/// that are not.
fn check_alt_units(r: &mut RowReader<'_>, alt_units: &[AltUnit]) {
    let missing: Vec<&str> = alt_units
        .iter()
        .filter(|u| !r.is_unit(&u.unit))
        .map(|u| u.unit.as_str())
        .collect();
    if !missing.is_empty() {
        let what = if missing.len() == 1 { "unit" } else { "units" };
        r.fail(
            "alt_units",
            format!(
                "names {what} {} that the hub does not have (or are archived)",
                missing.join(", ")
            ),
        );
    }
}

impl Record for MaterialRow {
    const COLUMNS: &'static [&'static str] = &[
        CODE,
        "name",
        "kind",
        "base_unit",
        "alt_units",
        "lot_tracked",
        "standard_cost",
    ];

    fn read(r: &mut RowReader<'_>) -> Option<Self> {
        let code = r.required(CODE, cells::code);
        let name = r.required("name", cells::text);
        let kind = r.required("kind", MaterialKind::parse);
        let base_unit = r.required("base_unit", cells::code);
        r.check_ref("base_unit", RefKind::Unit, base_unit.as_ref());
        let alt_units = r
            .optional("alt_units", parse_alt_units)
            .map(Option::unwrap_or_default);
        let lot_tracked = r.required("lot_tracked", cells::yes_no);
        let standard_cost = r.required("standard_cost", cells::money);
        let (base_unit, alt_units) = (base_unit?, alt_units?);
        check_alt_units(r, &alt_units);
        if alt_units.iter().any(|u| u.unit == base_unit) {
            r.fail("alt_units", format!("repeats the base unit {base_unit}"));
            return None;
        }
        Some(Self {
            code: code?,
            name: name?,
            kind: kind?,
            base_unit,
            alt_units,
            lot_tracked: lot_tracked?,
            standard_cost: standard_cost?,
        })
    }

    fn check_all(rows: &[(usize, Self)], check: &mut Checker<'_>) {
        let mut first: HashMap<&Code, usize> = HashMap::new();
        for (row, m) in rows {
            if let Some(prev) = first.insert(&m.code, *row) {
                check.fail(
                    *row,
                    CODE,
                    m.code.as_str(),
                    format!("duplicates the material of row {prev}"),
                );
                first.insert(&m.code, prev);
            }
        }
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.code.to_string(),
            self.name.clone(),
            self.kind.as_str().to_string(),
            self.base_unit.to_string(),
            format_alt_units(&self.alt_units),
            cells::format_yes_no(self.lot_tracked).to_string(),
            self.standard_cost.to_string(),
        ]
    }
}
