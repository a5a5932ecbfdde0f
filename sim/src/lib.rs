//! `sksim`: a deterministic simulation and fuzz harness for Sender Keys group encryption.
//!
//! Today the crate holds the cross-suite [`demo`]; the discrete-event engine, the implementations under
//! test, the adversary and the invariant checkers arrive with the simulator work.

pub mod demo;
