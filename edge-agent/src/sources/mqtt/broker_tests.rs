//! Tests against a real Mosquitto broker (filled in next).
