//! What a file's rows refer to outside the file: materials, units of
//! measure, equipment types, worker types, manufacturers, customers. The caller loads what it holds
//! (the hub: its active records) and passes it in, so references are
//! checked in the same pass as the cells and one answer lists every bad
//! row; this module itself still does no I/O.

use std::collections::{HashMap, HashSet};

use mes_protocols::code::Code;

/// The records rows may refer to. Only [`Lookup::material`] is required;
/// the other kinds are accepted unchecked unless an implementation says
/// otherwise.
pub trait Lookup {
    /// Whether `code` is a material rows may use.
    fn material(&self, code: &Code) -> bool;

    /// The units `material` is counted in (its base unit and alternative
    /// units), or `None` when unknown here; then whether a quantity's unit
    /// belongs to the material is not checked.
    fn material_units(&self, material: &Code) -> Option<&[Code]> {
        let _ = material;
        None
    }

    /// Whether `code` is a unit of measure.
    fn unit(&self, code: &Code) -> bool {
        let _ = code;
        true
    }

    /// Whether `code` is an equipment type.
    fn equipment_type(&self, code: &Code) -> bool {
        let _ = code;
        true
    }

    /// Whether `code` is a worker type.
    fn worker_type(&self, code: &Code) -> bool {
        let _ = code;
        true
    }

    /// Whether `code` is a manufacturer.
    fn manufacturer(&self, code: &Code) -> bool {
        let _ = code;
        true
    }

    /// Whether `code` is a customer.
    fn customer(&self, code: &Code) -> bool {
        let _ = code;
        true
    }
}

/// Checks material references with a predicate and accepts everything
/// else: what the `import_*` functions taking `known` do.
pub(crate) struct KnownMaterials<'a>(pub &'a dyn Fn(&Code) -> bool);

impl Lookup for KnownMaterials<'_> {
    fn material(&self, code: &Code) -> bool {
        (self.0)(code)
    }
}

/// Another lookup with the materials of the file imported alongside on
/// top: those are known too, and their units are the ones the file gives
/// (the file's rows replace the caller's records of the same code).
pub(crate) struct WithFileMaterials<'a> {
    /// What the caller holds.
    pub inner: &'a dyn Lookup,
    /// Codes of every materials row, including rows with errors (those are
    /// reported on their own sheet; calling them unknown elsewhere would only
    /// bury that).
    pub codes: HashSet<Code>,
    /// Base and alternative units of the materials rows that read well.
    pub units: HashMap<Code, Vec<Code>>,
}

impl Lookup for WithFileMaterials<'_> {
    fn material(&self, code: &Code) -> bool {
        self.codes.contains(code) || self.inner.material(code)
    }

    fn material_units(&self, material: &Code) -> Option<&[Code]> {
        if self.codes.contains(material) {
            // A row of the file with errors has no units to check against.
            return self.units.get(material).map(Vec::as_slice);
        }
        self.inner.material_units(material)
    }

    fn unit(&self, code: &Code) -> bool {
        self.inner.unit(code)
    }

    fn equipment_type(&self, code: &Code) -> bool {
        self.inner.equipment_type(code)
    }

    fn worker_type(&self, code: &Code) -> bool {
        self.inner.worker_type(code)
    }
}
