//! Actual cost of every production order, with sub-assemblies flowing
//! into the orders that consume them.
//!
//! An order's cost is: materials (its issues at their valuation, returns
//! netted) + labour (each worker's time on its runs × the worker type's
//! hourly rate) + machine (equipment time on its runs × the equipment's
//! hourly rate) + overhead (the site's rule: a rate per machine hour, or a
//! percentage of labour + machine). Each element is rounded to cents once
//! (`costing::money`). The total is spread over the order's good output
//! receipts by cumulative quantity (receipt i gets
//! `money(total × cum_i / good) − money(total × cum_{i−1} / good)`), so the
//! receipts add up to the total exactly; scrap carries no value of its
//! own, the good units absorb it.
//!
//! Output values change the pools, which change the issues of the orders
//! downstream, so the engine iterates: value all rows (unknown outputs at
//! standard cost), cost the orders, value the outputs from those costs, and
//! repeat until no output value changes. Each pass settles one more level
//! of a multi-level product; a cycle in the material flow that does not
//! settle stops after [`MAX_PASSES`] and is reported as not converged.

use super::money::{self, money};
use super::settings::Overhead;
use super::time::{self, Run, RunTime, TimedFact};
use super::valuation::{Flow, SitedMovement, Valuation, ValuedRow, value_rows};
use crate::arith::{self, OutOfRange};
use crate::stock::MovementId;
use mes_protocols::Code;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most valuation passes before giving up on a cyclic material flow.
pub const MAX_PASSES: usize = 25;

/// What the engine knows of an order from master data.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderInfo {
    /// The material made.
    pub material: Code,
    /// Quantity ordered, base units.
    pub quantity: Decimal,
    /// The site it was released to.
    pub site: Option<String>,
}

/// Hourly rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rates {
    /// Each worker's hourly rate (their worker type's).
    pub workers: BTreeMap<Code, Decimal>,
    /// Each equipment's hourly rate.
    pub equipment: BTreeMap<Code, Decimal>,
}

/// Everything the costing reads.
#[derive(Debug, Clone, Default)]
pub struct CostingInput {
    /// Every ledger row with its site.
    pub movements: Vec<SitedMovement>,
    /// Each material's standard cost per base unit.
    pub standard: BTreeMap<Code, Decimal>,
    /// Production orders from master data.
    pub orders: BTreeMap<Code, OrderInfo>,
    /// Floor facts, sorted by (at, row).
    pub facts: Vec<TimedFact>,
    /// Hourly rates.
    pub rates: Rates,
    /// Overhead rule per site.
    pub overhead: BTreeMap<String, Overhead>,
    /// The costing instant (open runs and clock-ins end here), unix ms.
    pub as_of: i64,
}

/// One input material (and lot) of an order.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct InputCost {
    /// The material.
    pub material: String,
    /// The lot, if any.
    pub lot: Option<String>,
    /// Quantity consumed (net of returns), base units.
    pub quantity: Decimal,
    /// Its value at the valuation of each issue.
    pub value: Decimal,
}

/// Time and conversion cost of one operation of an order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct OperationCost {
    /// The operation.
    pub operation: String,
    /// Runs.
    pub runs: usize,
    /// Active minutes of its runs (less pauses).
    pub active_minutes: Decimal,
    /// Worker minutes (each worker's share).
    pub labour_minutes: Decimal,
    /// Machine minutes.
    pub machine_minutes: Decimal,
    /// Labour cost (cents).
    pub labour: Decimal,
    /// Machine cost (cents).
    pub machine: Decimal,
    /// Good quantity reported.
    pub good: Decimal,
    /// Scrap reported.
    pub scrap: Decimal,
}

/// An order's actual cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct OrderCost {
    /// The order.
    pub order: String,
    /// The material made (from master data).
    pub material: Option<String>,
    /// The site.
    pub site: Option<String>,
    /// Good output received into stock, base units.
    pub good: Decimal,
    /// Scrap reported on its runs.
    pub scrap: Decimal,
    /// Materials issued, at their valuation.
    pub materials: Decimal,
    /// Labour.
    pub labour: Decimal,
    /// Machine time.
    pub machine: Decimal,
    /// Overhead.
    pub overhead: Decimal,
    /// materials + labour + machine + overhead.
    pub total: Decimal,
    /// total / good, 4 decimals (none before any good output).
    pub unit_cost: Option<Decimal>,
    /// Materials by material and lot.
    pub inputs: Vec<InputCost>,
    /// Time and conversion by operation.
    pub operations: Vec<OperationCost>,
}

/// An order's headline figures (what its cost report records and the
/// production order report shows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CostFigures {
    /// Materials issued, at their valuation.
    pub materials: Decimal,
    /// Labour.
    pub labour: Decimal,
    /// Machine.
    pub machine: Decimal,
    /// Overhead.
    pub overhead: Decimal,
    /// materials + labour + machine + overhead.
    pub total: Decimal,
    /// total / good output, 4 decimals (none before any good output).
    pub unit_cost: Option<Decimal>,
}

impl OrderCost {
    /// Its headline figures.
    pub fn figures(&self) -> CostFigures {
        CostFigures {
            materials: self.materials,
            labour: self.labour,
            machine: self.machine,
            overhead: self.overhead,
            total: self.total,
            unit_cost: self.unit_cost,
        }
    }
}

/// The costing of a tenant: every row valued, every order costed.
#[derive(Debug, Clone, Default)]
pub struct Costing {
    /// Every row with its value.
    pub valuation: Valuation,
    /// Every order with issues, output or runs.
    pub orders: BTreeMap<Code, OrderCost>,
    /// Valuation passes made.
    pub passes: usize,
    /// Whether output values settled.
    pub converged: bool,
}

/// Conversion of one order, exact (not yet rounded).
#[derive(Debug, Clone, Default)]
struct Conversion {
    labour: Decimal,
    machine: Decimal,
    machine_ms: Decimal,
    scrap: Decimal,
    operations: BTreeMap<String, (OperationCost, Decimal, Decimal)>,
}

fn conversion(
    runs: &BTreeMap<String, Run>,
    times: &BTreeMap<String, RunTime>,
    rates: &Rates,
) -> Result<BTreeMap<Code, Conversion>, OutOfRange> {
    let mut out: BTreeMap<Code, Conversion> = BTreeMap::new();
    for (id, run) in runs {
        let Some(order) = &run.order else { continue };
        let t = times.get(id).cloned().unwrap_or_default();
        let labour = arith::sum(
            t.labour_ms
                .iter()
                .map(|(w, ms)| money::time_cost(*ms, rates.workers.get(w).copied().unwrap_or_default())),
        )?;
        let machine = run.equipment.as_ref().map_or(Decimal::ZERO, |e| {
            money::time_cost(t.machine_ms, rates.equipment.get(e).copied().unwrap_or_default())
        });
        let c = out.entry(order.clone()).or_default();
        arith::add_to(&mut c.labour, labour)?;
        arith::add_to(&mut c.machine, machine)?;
        arith::add_to(&mut c.machine_ms, t.machine_ms)?;
        arith::add_to(&mut c.scrap, run.scrap)?;
        let operation = run
            .operation
            .as_ref()
            .map_or_else(String::new, ToString::to_string);
        let (op, op_labour, op_machine) = c.operations.entry(operation.clone()).or_default();
        op.operation = operation;
        op.runs += usize::from(run.operation.is_some());
        arith::add_to(&mut op.active_minutes, t.active_ms)?;
        arith::add_to(&mut op.labour_minutes, arith::sum(t.labour_ms.values().copied())?)?;
        arith::add_to(&mut op.machine_minutes, t.machine_ms)?;
        arith::add_to(&mut op.good, run.good)?;
        arith::add_to(&mut op.scrap, run.scrap)?;
        arith::add_to(op_labour, labour)?;
        arith::add_to(op_machine, machine)?;
    }
    Ok(out)
}

fn overhead(
    rule: Option<&Overhead>,
    labour: Decimal,
    machine: Decimal,
    machine_ms: Decimal,
) -> Result<Decimal, OutOfRange> {
    Ok(match rule {
        None => Decimal::ZERO,
        Some(Overhead::PerMachineHour(rate)) => money(money::time_cost(machine_ms, *rate)),
        Some(Overhead::PercentOfConversion(pct)) => money(
            arith::add(labour, machine)
                .and_then(|v| arith::mul(v, *pct))
                .and_then(|v| arith::div(v, Decimal::ONE_HUNDRED))?,
        ),
    })
}

/// (material, lot) of an order's input.
type InputKey = (String, Option<String>);

fn order_costs(
    valuation: &Valuation,
    conversions: &BTreeMap<Code, Conversion>,
    input: &CostingInput,
) -> Result<BTreeMap<Code, OrderCost>, OutOfRange> {
    let mut costs: BTreeMap<Code, OrderCost> = BTreeMap::new();
    let mut inputs: BTreeMap<Code, BTreeMap<InputKey, (Decimal, Decimal)>> = BTreeMap::new();
    for row in &valuation.rows {
        let Some(order) = &row.order else { continue };
        let cost = costs.entry(order.clone()).or_default();
        cost.site.get_or_insert_with(|| row.site.clone());
        match row.flow {
            Flow::Issue => {
                let lot = row.key.lot.as_ref().map(ToString::to_string);
                let line = inputs
                    .entry(order.clone())
                    .or_default()
                    .entry((row.key.material.to_string(), lot))
                    .or_default();
                line.0 = arith::sub(line.0, row.quantity)?;
                line.1 = arith::sub(line.1, row.value)?;
            }
            Flow::Output if row.quantity > Decimal::ZERO => arith::add_to(&mut cost.good, row.quantity)?,
            _ => {}
        }
    }
    for order in conversions.keys() {
        costs.entry(order.clone()).or_default();
    }
    for (code, cost) in &mut costs {
        let info = input.orders.get(code);
        cost.order = code.to_string();
        cost.material = info.map(|i| i.material.to_string());
        if let Some(site) = info.and_then(|i| i.site.clone()) {
            cost.site = Some(site);
        }
        cost.inputs = inputs
            .remove(code)
            .unwrap_or_default()
            .into_iter()
            .map(|((material, lot), (quantity, value))| InputCost {
                material,
                lot,
                quantity,
                value,
            })
            .collect();
        cost.materials = arith::sum(cost.inputs.iter().map(|i| i.value))?;
        let conv = conversions.get(code).cloned().unwrap_or_default();
        cost.labour = money(conv.labour);
        cost.machine = money(conv.machine);
        let rule = cost.site.as_ref().and_then(|s| input.overhead.get(s));
        cost.overhead = overhead(rule, cost.labour, cost.machine, conv.machine_ms)?;
        cost.scrap = conv.scrap;
        cost.total = arith::sum([cost.materials, cost.labour, cost.machine, cost.overhead])?;
        cost.unit_cost = if cost.good > Decimal::ZERO {
            Some(money::unit_cost(arith::div(cost.total, cost.good)?))
        } else {
            None
        };
        cost.operations = conv
            .operations
            .into_values()
            .map(|(mut op, labour, machine)| {
                op.active_minutes = money::minutes(op.active_minutes);
                op.labour_minutes = money::minutes(op.labour_minutes);
                op.machine_minutes = money::minutes(op.machine_minutes);
                op.labour = money(labour);
                op.machine = money(machine);
                op
            })
            .collect();
    }
    Ok(costs)
}

/// The value of every output receipt from its order's total.
fn allocate(
    rows: &[ValuedRow],
    orders: &BTreeMap<Code, OrderCost>,
) -> Result<BTreeMap<MovementId, Decimal>, OutOfRange> {
    let mut by_order: BTreeMap<&Code, Vec<&ValuedRow>> = BTreeMap::new();
    for row in rows {
        if row.flow == Flow::Output
            && row.quantity > Decimal::ZERO
            && let Some(order) = &row.order
        {
            by_order.entry(order).or_default().push(row);
        }
    }
    let mut out = BTreeMap::new();
    for (order, mut list) in by_order {
        let Some(cost) = orders.get(order) else { continue };
        list.sort_by_key(|r| (r.occurred_at, r.id.clone()));
        let mut cumulative = Decimal::ZERO;
        let mut allocated = Decimal::ZERO;
        for row in list {
            arith::add_to(&mut cumulative, row.quantity)?;
            let upto = money(prorate(cost.total, cumulative, cost.good)?);
            out.insert(row.id.clone(), arith::sub(upto, allocated)?);
            allocated = upto;
        }
    }
    Ok(out)
}

/// `value × part / whole`, dividing first when the product would not fit.
fn prorate(value: Decimal, part: Decimal, whole: Decimal) -> Result<Decimal, OutOfRange> {
    match value.checked_mul(part) {
        Some(product) => arith::div(product, whole),
        None => arith::div(value, whole).and_then(|v| arith::mul(v, part)),
    }
}

/// Costs everything in `input` (see the module doc). Out of range when a
/// value leaves the range of a decimal (data stored before entry was
/// bounded); nothing panics.
pub fn cost(input: &CostingInput) -> Result<Costing, OutOfRange> {
    let runs = time::runs(&input.facts, input.as_of)?;
    let times = time::run_times(&runs, &input.facts, input.as_of)?;
    let conversions = conversion(&runs, &times, &input.rates)?;
    let mut outputs = BTreeMap::new();
    let mut passes = 0;
    loop {
        passes += 1;
        let valuation = value_rows(&input.movements, &input.standard, &outputs)?;
        let orders = order_costs(&valuation, &conversions, input)?;
        let next = allocate(&valuation.rows, &orders)?;
        let converged = next == outputs;
        if converged || passes >= MAX_PASSES {
            return Ok(Costing {
                valuation,
                orders,
                passes,
                converged,
            });
        }
        outputs = next;
    }
}
