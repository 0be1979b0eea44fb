//! Placeholder: the machine simulator.
