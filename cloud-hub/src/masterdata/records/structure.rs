//! Bills of materials and routings: versioned, one record per material.

use super::iso_date;
use super::items::{Material, Unit};
use super::resources::{EquipmentType, WorkerType};
use crate::masterdata::kind::{MasterKind, Reference, distinct, not_negative, positive};
use mes_protocols::limits::{MINUTES, QUANTITY};
use mes_protocols::{Code, FieldError};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

/// One component line of a BOM version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BomLine {
    /// The material consumed.
    pub component: Code,
    /// Quantity in `unit` per one base unit of the parent; above zero.
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub quantity: Decimal,
    /// The unit of `quantity` (the component's base unit or one of its
    /// alternative units).
    pub unit: Code,
    /// Engineering change: consume the previous version's stock of the
    /// component this line replaces before switching to this one.
    #[serde(default)]
    pub use_up_old_stock: bool,
    /// The previous version's component this line replaces (for
    /// `use_up_old_stock`); when absent, the one component of the previous
    /// version that this version no longer lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<Code>,
}

/// One version of a BOM, valid over a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BomVersion {
    /// The version's code.
    pub version: Code,
    /// First day it applies.
    #[serde(with = "iso_date")]
    #[schemars(with = "super::IsoDateText")]
    pub valid_from: Date,
    /// Last day it applies (inclusive); none = open-ended.
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<super::IsoDateText>")]
    pub valid_to: Option<Date>,
    /// Its component lines.
    pub lines: Vec<BomLine>,
}

/// The bill of materials of one material, all its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bom {
    /// The material made (the record's code).
    pub material: Code,
    /// Its versions; no two overlap in time.
    pub versions: Vec<BomVersion>,
}

impl Bom {
    /// The version valid on `day`, if any.
    pub fn version_on(&self, day: Date) -> Option<&BomVersion> {
        self.versions
            .iter()
            .find(|v| v.valid_from <= day && v.valid_to.is_none_or(|to| day <= to))
    }
}

impl MasterKind for Bom {
    const KIND: &'static str = "bom";
    const PATH: &'static str = "boms";
    const TITLE: &'static str = "Bill of materials";

    fn code(&self) -> &Code {
        &self.material
    }

    fn check(&self) -> Result<(), FieldError> {
        distinct("versions", &self.versions, |v| v.version.clone())?;
        for (i, v) in self.versions.iter().enumerate() {
            let at = |f: &str| format!("versions[{i}].{f}");
            if v.valid_to.is_some_and(|to| to < v.valid_from) {
                return Err(FieldError::new(at("valid_to"), "is before valid_from"));
            }
            if v.lines.is_empty() {
                return Err(FieldError::new(
                    at("lines"),
                    "a BOM version needs at least one line",
                ));
            }
            distinct(&at("lines"), &v.lines, |l| l.component.clone())?;
            for (j, line) in v.lines.iter().enumerate() {
                if line.component == self.material {
                    return Err(FieldError::new(
                        at(&format!("lines[{j}].component")),
                        "is the material the BOM makes",
                    ));
                }
                positive(&at(&format!("lines[{j}].quantity")), line.quantity, QUANTITY)?;
            }
            for j in 0..v.lines.len() {
                check_line(self, i, j)
                    .map_err(|reason| FieldError::new(at(&format!("lines[{j}].replaces")), reason))?;
            }
            for (k, other) in self.versions[..i].iter().enumerate() {
                let overlaps = v.valid_from <= other.valid_to.unwrap_or(Date::MAX)
                    && other.valid_from <= v.valid_to.unwrap_or(Date::MAX);
                if overlaps {
                    return Err(FieldError::new(
                        at("valid_from"),
                        format!(
                            "version {} overlaps version {} (versions[{k}])",
                            v.version, other.version
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![Reference::new(Material::KIND, &self.material, "material")];
        for (i, v) in self.versions.iter().enumerate() {
            for (j, line) in v.lines.iter().enumerate() {
                let at = format!("versions[{i}].lines[{j}]");
                refs.push(Reference::new(
                    Material::KIND,
                    &line.component,
                    format!("{at}.component"),
                ));
                refs.push(Reference::new(Unit::KIND, &line.unit, format!("{at}.unit")));
            }
        }
        refs
    }
}

/// A material an operation consumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingInput {
    /// The material consumed.
    pub material: Code,
    /// Quantity in `unit` per one unit of the routing's material; above zero.
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub quantity_per_unit: Decimal,
    /// The unit of `quantity_per_unit`.
    pub unit: Code,
}

/// One operation of a routing version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingOperation {
    /// Operation number giving the order (10, 20, …); above zero.
    pub operation: u32,
    /// What is done (`Turn`, `Drill`).
    #[serde(default)]
    pub name: String,
    /// The type of equipment that runs it.
    pub equipment_type: Code,
    /// Setup minutes per run; zero or more.
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub setup_minutes: Decimal,
    /// Run minutes per unit; zero or more.
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub run_minutes_per_unit: Decimal,
    /// The type of worker it needs.
    pub worker_type: Code,
    /// Materials it consumes.
    #[serde(default)]
    pub inputs: Vec<RoutingInput>,
    /// A semi-finished material it outputs; none = the routing's material
    /// comes out of the last operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Code>,
    /// Whether the scheduler may split it across calendar breaks.
    #[serde(default = "yes")]
    pub splittable: bool,
}

fn yes() -> bool {
    true
}

/// One version of a routing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingVersion {
    /// The version's code.
    pub version: Code,
    /// Its operations, in operation-number order.
    pub operations: Vec<RoutingOperation>,
}

/// The routing of one material, all its versions; production orders name a
/// version or take the last one listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// The material made (the record's code).
    pub material: Code,
    /// Its versions.
    pub versions: Vec<RoutingVersion>,
}

impl Routing {
    /// Version `version`, or the last one listed when `None`.
    pub fn version(&self, version: Option<&Code>) -> Option<&RoutingVersion> {
        match version {
            Some(v) => self.versions.iter().find(|r| &r.version == v),
            None => self.versions.last(),
        }
    }
}

impl MasterKind for Routing {
    const KIND: &'static str = "routing";
    const PATH: &'static str = "routings";
    const TITLE: &'static str = "Routing";

    fn code(&self) -> &Code {
        &self.material
    }

    fn check(&self) -> Result<(), FieldError> {
        if self.versions.is_empty() {
            return Err(FieldError::new(
                "versions",
                "a routing needs at least one version",
            ));
        }
        distinct("versions", &self.versions, |v| v.version.clone())?;
        for (i, v) in self.versions.iter().enumerate() {
            let at = |f: &str| format!("versions[{i}].{f}");
            if v.operations.is_empty() {
                return Err(FieldError::new(
                    at("operations"),
                    "a routing version needs an operation",
                ));
            }
            for (j, op) in v.operations.iter().enumerate() {
                let op_at = |f: &str| at(&format!("operations[{j}].{f}"));
                if op.operation == 0 {
                    return Err(FieldError::new(op_at("operation"), "must be above zero"));
                }
                if j > 0 && op.operation <= v.operations[j - 1].operation {
                    return Err(FieldError::new(
                        op_at("operation"),
                        "operations must be listed in increasing operation number",
                    ));
                }
                not_negative(&op_at("setup_minutes"), op.setup_minutes, MINUTES)?;
                not_negative(&op_at("run_minutes_per_unit"), op.run_minutes_per_unit, MINUTES)?;
                distinct(&op_at("inputs"), &op.inputs, |input| input.material.clone())?;
                for (k, input) in op.inputs.iter().enumerate() {
                    positive(
                        &op_at(&format!("inputs[{k}].quantity_per_unit")),
                        input.quantity_per_unit,
                        QUANTITY,
                    )?;
                }
            }
        }
        Ok(())
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![Reference::new(Material::KIND, &self.material, "material")];
        for (i, v) in self.versions.iter().enumerate() {
            for (j, op) in v.operations.iter().enumerate() {
                let at = format!("versions[{i}].operations[{j}]");
                refs.push(Reference::new(
                    EquipmentType::KIND,
                    &op.equipment_type,
                    format!("{at}.equipment_type"),
                ));
                refs.push(Reference::new(
                    WorkerType::KIND,
                    &op.worker_type,
                    format!("{at}.worker_type"),
                ));
                if let Some(output) = &op.output {
                    refs.push(Reference::new(Material::KIND, output, format!("{at}.output")));
                }
                for (k, input) in op.inputs.iter().enumerate() {
                    refs.push(Reference::new(
                        Material::KIND,
                        &input.material,
                        format!("{at}.inputs[{k}].material"),
                    ));
                    refs.push(Reference::new(
                        Unit::KIND,
                        &input.unit,
                        format!("{at}.inputs[{k}].unit"),
                    ));
                }
            }
        }
        refs
    }
}

/// The component line `line` of version `version` replaces: its `replaces`,
/// or the one component of the previous version (by `valid_from`) that
/// this version does not list.
pub fn replaced_component(bom: &Bom, version: usize, line: usize) -> Result<Code, String> {
    let v = &bom.versions[version];
    let l = &v.lines[line];
    let previous =
        previous_version(bom, v).ok_or("the BOM has no earlier version whose stock could be used up")?;
    if let Some(old) = &l.replaces {
        return if previous.lines.iter().any(|p| &p.component == old) {
            Ok(old.clone())
        } else {
            Err(format!("version {} has no component {old}", previous.version))
        };
    }
    let dropped: Vec<&BomLine> = previous
        .lines
        .iter()
        .filter(|p| !v.lines.iter().any(|n| n.component == p.component))
        .collect();
    match dropped.as_slice() {
        [one] => Ok(one.component.clone()),
        [] => Err(format!(
            "version {} lists every component of {}; nothing is replaced",
            v.version, previous.version
        )),
        _ => Err(
            "several components of the previous version are dropped: name the one this line replaces".into(),
        ),
    }
}

/// Checks the engineering-change fields of line `line` of `version`: a
/// named `replaces` must be a component of the previous version; a
/// use-up line that does not name it must leave no doubt (at most one
/// component dropped). A use-up line that replaces nothing (the first
/// version, or every old component kept) is allowed and has no effect.
pub fn check_line(bom: &Bom, version: usize, line: usize) -> Result<(), String> {
    let l = &bom.versions[version].lines[line];
    if l.replaces.is_some() {
        return replaced_component(bom, version, line).map(drop);
    }
    if !l.use_up_old_stock {
        return Ok(());
    }
    match replaced_component(bom, version, line) {
        Err(reason) if reason.starts_with("several") => Err(reason),
        _ => Ok(()),
    }
}

/// The version that applied before `version` (the latest starting earlier).
pub fn previous_version<'a>(bom: &'a Bom, version: &BomVersion) -> Option<&'a BomVersion> {
    bom.versions
        .iter()
        .filter(|o| o.valid_from < version.valid_from)
        .max_by_key(|o| o.valid_from)
}
