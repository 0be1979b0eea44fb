//! Equipment, workers, stations and reason codes.

use super::places::Location;
use crate::masterdata::kind::{MasterKind, Reference, SITE, distinct, not_blank, not_negative, positive};
use mes_protocols::limits::{FACTOR, RATE};
use mes_protocols::{Code, FieldError};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A type of equipment (`cnc_lathe`); routings name types, the scheduler
/// picks a machine of the type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EquipmentType {
    /// Its code.
    pub code: Code,
    /// Its name.
    pub name: String,
}

impl MasterKind for EquipmentType {
    const KIND: &'static str = "equipment_type";
    const PATH: &'static str = "equipment-types";
    const TITLE: &'static str = "Equipment type";

    fn code(&self) -> &Code {
        &self.code
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)
    }
}

/// A machine or work centre at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Equipment {
    /// Its code (as the agent's `[[equipment]]` tables name it).
    pub code: Code,
    /// Its name.
    pub name: String,
    /// Its type.
    pub equipment_type: Code,
    /// The site it stands at.
    pub site: Code,
    /// Machine cost per running hour, in the tenant's currency.
    #[serde(default)]
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub hourly_rate: Decimal,
    /// Speed relative to the routing's run times (2 = twice as fast); above zero.
    #[serde(default = "one")]
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub speed_factor: Decimal,
    /// The working-time calendar it follows; none = the site's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Code>,
}

fn one() -> Decimal {
    Decimal::ONE
}

impl MasterKind for Equipment {
    const MODULE: crate::store::rights::Module = crate::store::rights::Module::Equipment;
    const KIND: &'static str = "equipment";
    const PATH: &'static str = "equipment";
    const TITLE: &'static str = "Equipment";
    const FILTERS: &'static [&'static str] = &["equipment_type"];

    fn code(&self) -> &Code {
        &self.code
    }

    fn site(&self) -> Option<&Code> {
        Some(&self.site)
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)?;
        not_negative("hourly_rate", self.hourly_rate, RATE)?;
        positive("speed_factor", self.speed_factor, FACTOR)
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![
            Reference::new(EquipmentType::KIND, &self.equipment_type, "equipment_type"),
            Reference::new(SITE, &self.site, "site"),
        ];
        if let Some(calendar) = &self.calendar {
            refs.push(Reference::new(super::Calendar::KIND, calendar, "calendar"));
        }
        refs
    }
}

/// A type of worker (`machinist`, `assembler`) with its labour rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerType {
    /// Its code.
    pub code: Code,
    /// Its name.
    pub name: String,
    /// Labour cost per hour, in the tenant's currency.
    #[serde(default)]
    #[serde(deserialize_with = "mes_protocols::decimal::text::deserialize")]
    pub hourly_rate: Decimal,
}

impl MasterKind for WorkerType {
    const KIND: &'static str = "worker_type";
    const PATH: &'static str = "worker-types";
    const TITLE: &'static str = "Worker type";

    fn code(&self) -> &Code {
        &self.code
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)?;
        not_negative("hourly_rate", self.hourly_rate, RATE)
    }
}

/// A person who clocks in at stations with a badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Worker {
    /// Their code (personnel number).
    pub code: Code,
    /// Their name.
    pub name: String,
    /// The code on their badge (without the factory's badge prefix).
    pub badge: Code,
    /// Their type.
    pub worker_type: Code,
    /// The site they work at.
    pub site: Code,
}

impl MasterKind for Worker {
    const KIND: &'static str = "worker";
    const PATH: &'static str = "workers";
    const TITLE: &'static str = "Worker";
    const FILTERS: &'static [&'static str] = &["worker_type", "badge"];

    fn code(&self) -> &Code {
        &self.code
    }

    fn site(&self) -> Option<&Code> {
        Some(&self.site)
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)
    }

    fn references(&self) -> Vec<Reference> {
        vec![
            Reference::new(WorkerType::KIND, &self.worker_type, "worker_type"),
            Reference::new(SITE, &self.site, "site"),
        ]
    }
}

/// An operator station: a touch screen or tablet at one or more machines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Station {
    /// Its code (as the agent's `[[station]]` tables name it).
    pub code: Code,
    /// Its name.
    pub name: String,
    /// The site it is at.
    pub site: Code,
    /// The equipment operated from it.
    #[serde(default)]
    pub equipment: Vec<Code>,
    /// The stock location its material movements are booked at (its
    /// line-side store); none = the site's production location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Code>,
}

impl MasterKind for Station {
    const KIND: &'static str = "station";
    const PATH: &'static str = "stations";
    const TITLE: &'static str = "Station";

    fn code(&self) -> &Code {
        &self.code
    }

    fn site(&self) -> Option<&Code> {
        Some(&self.site)
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)?;
        distinct("equipment", &self.equipment, Clone::clone)
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![Reference::new(SITE, &self.site, "site")];
        refs.extend(
            self.equipment
                .iter()
                .enumerate()
                .map(|(i, e)| Reference::new(Equipment::KIND, e, format!("equipment[{i}]"))),
        );
        if let Some(location) = &self.location {
            refs.push(Reference::new(Location::KIND, location, "location"));
        }
        refs
    }
}

/// What a reason code explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// Why an equipment stopped.
    Downtime,
    /// Why parts were scrapped.
    Scrap,
    /// Why an operation was paused.
    Pause,
}

/// A reason code operators choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Its code.
    pub code: Code,
    /// What it explains.
    pub kind: ReasonKind,
    /// The text operators see.
    pub text: String,
}

impl MasterKind for Reason {
    const KIND: &'static str = "reason";
    const PATH: &'static str = "reasons";
    const TITLE: &'static str = "Reason code";
    const FILTERS: &'static [&'static str] = &["kind"];

    fn code(&self) -> &Code {
        &self.code
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("text", &self.text)
    }
}
