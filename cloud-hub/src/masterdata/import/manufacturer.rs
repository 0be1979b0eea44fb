//! Manufacturers: one row per maker (`code`, `name`, `brand`).

use std::collections::HashMap;

use mes_protocols::code::Code;

use super::Record;
use super::cells::{self, Checker, RowReader};

/// One manufacturer as a file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManufacturerRow {
    /// Its code, unique in the file.
    pub code: Code,
    /// Its name; not empty.
    pub name: String,
    /// The brand its goods carry; empty = none.
    pub brand: Option<String>,
}

const CODE: &str = "code";

impl Record for ManufacturerRow {
    const COLUMNS: &'static [&'static str] = &[CODE, "name", "brand"];

    fn read(r: &mut RowReader<'_>) -> Option<Self> {
        let code = r.required(CODE, cells::code);
        let name = r.required("name", cells::text);
        let brand = r.optional("brand", cells::text);
        Some(Self {
            code: code?,
            name: name?,
            brand: brand?,
        })
    }

    fn check_all(rows: &[(usize, Self)], check: &mut Checker<'_>) {
        let mut first: HashMap<&Code, usize> = HashMap::new();
        for (row, m) in rows {
            if let Some(prev) = first.get(&m.code) {
                check.fail(
                    *row,
                    CODE,
                    m.code.as_str(),
                    format!("duplicates the manufacturer of row {prev}"),
                );
            } else {
                first.insert(&m.code, *row);
            }
        }
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.code.to_string(),
            self.name.clone(),
            self.brand.clone().unwrap_or_default(),
        ]
    }
}
