//! Routings: one row per operation, repeated once per extra input material.
//! The operation's own fields are repeated on each of its rows and must
//! agree.

use std::collections::HashMap;

use mes_protocols::code::Code;
use rust_decimal::Decimal;

use super::Record;
use super::cells::{self, Checker, RefKind, RowReader};

/// A material an operation consumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingInput {
    /// The material consumed.
    pub material: Code,
    /// Quantity in `unit` per one unit of the routing's material; above zero.
    pub quantity: Decimal,
    /// The unit `quantity` is in.
    pub unit: Code,
}

/// One operation of one routing version, with at most one input material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRow {
    /// The material (semi-finished or finished) the routing makes.
    pub material: Code,
    /// The routing version.
    pub version: Code,
    /// Operation number giving the order (10, 20, …); above zero.
    pub operation: u32,
    /// The type of equipment that runs the operation.
    pub equipment_type: Code,
    /// Setup time per run in minutes; zero or more.
    pub setup_minutes: Decimal,
    /// Run time per unit of the routing's material in minutes; zero or more.
    pub run_minutes_per_unit: Decimal,
    /// The type of worker the operation needs.
    pub worker_type: Code,
    /// A material the operation consumes, if any.
    pub input: Option<RoutingInput>,
    /// The material the operation outputs, when it is an intermediate
    /// (semi-finished) one; `None` means the operation only transforms, and
    /// the routing's material is the output of its last operation.
    pub output: Option<Code>,
}

const MATERIAL: &str = "material";
const OPERATION: &str = "operation";
const INPUT: &str = "input_material";
const INPUT_QTY: &str = "input_quantity";
const INPUT_UNIT: &str = "input_unit";
const OUTPUT: &str = "output_material";

fn operation_number(raw: &str) -> Result<u32, String> {
    match raw.parse::<u32>() {
        Ok(0) => Err("must be greater than zero".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("is not a whole operation number (10, 20, …)".into()),
    }
}

impl Record for RoutingRow {
    const COLUMNS: &'static [&'static str] = &[
        MATERIAL,
        "version",
        OPERATION,
        "equipment_type",
        "setup_minutes",
        "run_minutes_per_unit",
        "worker_type",
        INPUT,
        INPUT_QTY,
        INPUT_UNIT,
        OUTPUT,
    ];

    fn read(r: &mut RowReader<'_>) -> Option<Self> {
        let material = r.required(MATERIAL, cells::code);
        r.check_known(MATERIAL, material.as_ref());
        let version = r.required("version", cells::code);
        let operation = r.required(OPERATION, operation_number);
        let equipment_type = r.required("equipment_type", cells::code);
        r.check_ref("equipment_type", RefKind::EquipmentType, equipment_type.as_ref());
        let setup_minutes = r.required("setup_minutes", cells::non_negative);
        let run_minutes_per_unit = r.required("run_minutes_per_unit", cells::non_negative);
        let worker_type = r.required("worker_type", cells::code);
        r.check_ref("worker_type", RefKind::WorkerType, worker_type.as_ref());
        let input = read_input(r);
        let output = r.optional(OUTPUT, cells::code);
        r.check_known(OUTPUT, output.as_ref().and_then(Option::as_ref));
        Some(Self {
            material: material?,
            version: version?,
            operation: operation?,
            equipment_type: equipment_type?,
            setup_minutes: setup_minutes?,
            run_minutes_per_unit: run_minutes_per_unit?,
            worker_type: worker_type?,
            input: input?,
            output: output?,
        })
    }

    fn check_all(rows: &[(usize, Self)], check: &mut Checker<'_>) {
        let mut ops: HashMap<(&Code, &Code, u32), (usize, &Self)> = HashMap::new();
        let mut inputs: HashMap<(&Code, &Code, u32, Option<&Code>), usize> = HashMap::new();
        for (row, op) in rows {
            let key = (&op.material, &op.version, op.operation);
            let input_key = (key.0, key.1, key.2, op.input.as_ref().map(|i| &i.material));
            if let Some(first) = inputs.insert(input_key, *row) {
                inputs.insert(input_key, first);
                let why = match &op.input {
                    Some(_) => format!("is listed twice for this operation (first in row {first})"),
                    None => {
                        format!("repeats the operation of row {first}; repeat a row only to add an input")
                    }
                };
                check.fail(
                    *row,
                    INPUT,
                    op.input.as_ref().map_or("", |i| i.material.as_str()),
                    why,
                );
            }
            let (first_row, first) = *ops.entry(key).or_insert((*row, op));
            check_same_operation(*row, op, first_row, first, check);
        }
    }

    fn cells(&self) -> Vec<String> {
        let input = self.input.as_ref();
        vec![
            self.material.to_string(),
            self.version.to_string(),
            self.operation.to_string(),
            self.equipment_type.to_string(),
            self.setup_minutes.to_string(),
            self.run_minutes_per_unit.to_string(),
            self.worker_type.to_string(),
            input.map(|i| i.material.to_string()).unwrap_or_default(),
            input.map(|i| i.quantity.to_string()).unwrap_or_default(),
            input.map(|i| i.unit.to_string()).unwrap_or_default(),
            self.output.as_ref().map(ToString::to_string).unwrap_or_default(),
        ]
    }
}

/// The three input cells are all filled or all empty.
fn read_input(r: &mut RowReader<'_>) -> Option<Option<RoutingInput>> {
    let material = r.optional(INPUT, cells::code);
    r.check_known(INPUT, material.as_ref().and_then(Option::as_ref));
    let quantity = r.optional(INPUT_QTY, cells::positive);
    let unit = r.optional(INPUT_UNIT, cells::code);
    let material_code = material.as_ref().and_then(Option::as_ref);
    r.check_unit_of(INPUT_UNIT, material_code, unit.as_ref().and_then(Option::as_ref));
    match (material?, quantity?, unit?) {
        (Some(material), Some(quantity), Some(unit)) => Some(Some(RoutingInput {
            material,
            quantity,
            unit,
        })),
        (None, None, None) => Some(None),
        (m, q, u) => {
            for (col, given) in [
                (INPUT, m.is_some()),
                (INPUT_QTY, q.is_some()),
                (INPUT_UNIT, u.is_some()),
            ] {
                if !given {
                    r.fail(
                        col,
                        "is required when any of input_material, input_quantity, input_unit is given",
                    );
                }
            }
            None
        }
    }
}

/// Rows repeating an operation (to list more inputs) must agree on its fields.
fn check_same_operation(
    row: usize,
    op: &RoutingRow,
    first_row: usize,
    first: &RoutingRow,
    check: &mut Checker<'_>,
) {
    let text = |c: Option<&Code>| c.map(ToString::to_string).unwrap_or_default();
    let fields = [
        (
            "equipment_type",
            first.equipment_type == op.equipment_type,
            op.equipment_type.to_string(),
        ),
        (
            "setup_minutes",
            first.setup_minutes == op.setup_minutes,
            op.setup_minutes.to_string(),
        ),
        (
            "run_minutes_per_unit",
            first.run_minutes_per_unit == op.run_minutes_per_unit,
            op.run_minutes_per_unit.to_string(),
        ),
        (
            "worker_type",
            first.worker_type == op.worker_type,
            op.worker_type.to_string(),
        ),
        (OUTPUT, first.output == op.output, text(op.output.as_ref())),
    ];
    for (col, same, value) in fields {
        if !same {
            check.fail(
                row,
                col,
                &value,
                format!("differs from row {first_row} of the same operation"),
            );
        }
    }
}
