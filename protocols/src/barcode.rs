//! Placeholder: filled in by the barcode codec work.
