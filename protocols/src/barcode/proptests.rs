//! Property tests of the barcode parser (filled in next).
