//! Property tests of the stock ledger (added next).
