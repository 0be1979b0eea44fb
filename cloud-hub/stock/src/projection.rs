//! Shop-floor events → ledger rows, and rebuilding a ledger from the event
//! log.
//!
//! Rules:
//! - `material_consumed` → one [`MovementKind::Issue`] row (line 0 of the
//!   event): minus the quantity converted to the base unit, at the location
//!   the resolver gives for the station and material, for the run's order.
//! - `output_reported` → one [`MovementKind::OutputReceipt`] row (line 0)
//!   of the good quantity into the reported lot, when `good` is positive.
//!   Scrap output is not posted: it never became stock (costing reads it
//!   from the event). Line 1 is kept free for it should that change.
//! - Every other kind → no rows.
//!
//! Row ids are the event id plus the line, and rows are dated by the event's
//! `occurred_at`, so projecting an event twice is a no-op and the ledger is
//! the same whatever order events arrive in. An event that cannot be
//! projected (unknown material or unit, no location) changes nothing and is
//! reported; once master data is fixed, projecting it again (or rebuilding)
//! posts it in its right place in time.

use crate::ledger::{Applied, Ledger, LedgerError};
use crate::movement::{Movement, MovementId, MovementKind, StockKey};
use crate::units::{UnitCatalog, UnitError};
use mes_protocols::event::{MaterialConsumed, OutputReported};
use mes_protocols::{Code, Event, EventBody, EventId, Quantity};
use rust_decimal::Decimal;

/// Where a station's material movements are booked: the stock location for
/// `material` at `station` (typically the station's line-side store, else
/// the site's default production location). Any
/// `Fn(&Code, &Code) -> Option<Code>` (station, material) is one.
pub trait LocationResolver {
    /// The location for `material` moved at `station`, or `None` if unknown.
    fn location(&self, station: &Code, material: &Code) -> Option<Code>;
}

impl<F: Fn(&Code, &Code) -> Option<Code>> LocationResolver for F {
    fn location(&self, station: &Code, material: &Code) -> Option<Code> {
        self(station, material)
    }
}

/// Why an event could not be projected. Each variant names the event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    /// Its quantity could not be converted to the base unit.
    #[error("event {event}: {source}")]
    Unit {
        /// The event.
        event: EventId,
        /// What was wrong with the unit or material.
        source: UnitError,
    },
    /// No location is known for the station and material.
    #[error("event {event}: no stock location for material {material} at station {station}")]
    NoLocation {
        /// The event.
        event: EventId,
        /// The station it happened at.
        station: Code,
        /// The material moved.
        material: Code,
    },
    /// The ledger refused the row.
    #[error("event {event}: {source}")]
    Ledger {
        /// The event.
        event: EventId,
        /// Why the ledger refused it (boxed: it carries the row's ids).
        source: Box<LedgerError>,
    },
}

/// Turns events into rows with the site's units and locations.
pub struct Projector<'a, L> {
    units: &'a UnitCatalog,
    locations: &'a L,
}

impl<'a, L: LocationResolver> Projector<'a, L> {
    /// A projector using `units` for conversions and `locations` for where
    /// stations book material.
    pub fn new(units: &'a UnitCatalog, locations: &'a L) -> Self {
        Self { units, locations }
    }

    /// The rows `event` posts (see the module rules); empty for kinds that
    /// do not move stock.
    pub fn movements(&self, event: &Event) -> Result<Vec<Movement>, ProjectionError> {
        match &event.body {
            EventBody::MaterialConsumed(body) => self.issue(event, body).map(|m| vec![m]),
            EventBody::OutputReported(body) => self
                .output(event, body)
                .map(Option::into_iter)
                .map(Vec::from_iter),
            _ => Ok(Vec::new()),
        }
    }

    /// Projects `event` into `ledger`. Returns how many rows were new (0 for
    /// a replayed event). All rows of the event are checked before any is
    /// applied, so a refused event leaves the ledger unchanged.
    pub fn apply(&self, ledger: &mut Ledger, event: &Event) -> Result<usize, ProjectionError> {
        let refused = |source: LedgerError| ProjectionError::Ledger {
            event: event.header.id,
            source: Box::new(source),
        };
        let rows = self.movements(event)?;
        for row in &rows {
            ledger.check(row).map_err(refused)?;
        }
        let mut added = 0;
        for row in rows {
            if ledger.apply(row).map_err(refused)? == Applied::Added {
                added += 1;
            }
        }
        Ok(added)
    }

    /// Rebuilds a ledger from the event log: `base` (the site's document
    /// rows and reservations, or an empty ledger) plus every event, in any
    /// order, duplicates allowed. Gives the same ledger as applying the same
    /// events incrementally in any arrival order. Events that cannot be
    /// projected are skipped and returned with their errors.
    pub fn rebuild<'e>(
        &self,
        base: Ledger,
        events: impl IntoIterator<Item = &'e Event>,
    ) -> (Ledger, Vec<ProjectionError>) {
        let mut ledger = base;
        let mut errors = Vec::new();
        for event in events {
            if let Err(e) = self.apply(&mut ledger, event) {
                errors.push(e);
            }
        }
        (ledger, errors)
    }

    fn issue(&self, event: &Event, body: &MaterialConsumed) -> Result<Movement, ProjectionError> {
        let base = self.to_base(event, &body.material, &body.quantity)?;
        let key = self.key(event, &body.run.station, &body.material, body.lot.clone())?;
        let id = MovementId::event(event.header.id, 0);
        Ok(
            Movement::delta(id, MovementKind::Issue, key, -base, event.header.occurred_at)
                .for_order(body.run.order.clone()),
        )
    }

    fn output(&self, event: &Event, body: &OutputReported) -> Result<Option<Movement>, ProjectionError> {
        if body.good <= Decimal::ZERO {
            return Ok(None);
        }
        let good = Quantity::new(body.good, body.unit.clone());
        let base = self.to_base(event, &body.material, &good)?;
        let key = self.key(event, &body.run.station, &body.material, body.lot.clone())?;
        let id = MovementId::event(event.header.id, 0);
        Ok(Some(
            Movement::delta(
                id,
                MovementKind::OutputReceipt,
                key,
                base,
                event.header.occurred_at,
            )
            .for_order(body.run.order.clone()),
        ))
    }

    fn to_base(
        &self,
        event: &Event,
        material: &Code,
        quantity: &Quantity,
    ) -> Result<Decimal, ProjectionError> {
        self.units
            .to_base(material, quantity)
            .map_err(|source| ProjectionError::Unit {
                event: event.header.id,
                source,
            })
    }

    fn key(
        &self,
        event: &Event,
        station: &Code,
        material: &Code,
        lot: Option<Code>,
    ) -> Result<StockKey, ProjectionError> {
        let location =
            self.locations
                .location(station, material)
                .ok_or_else(|| ProjectionError::NoLocation {
                    event: event.header.id,
                    station: station.clone(),
                    material: material.clone(),
                })?;
        Ok(StockKey::new(material.clone(), lot, location))
    }
}
