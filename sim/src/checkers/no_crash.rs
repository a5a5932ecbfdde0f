//! `no-crash`: the implementation never panics or aborts, whatever it is fed; an external adapter never exits,
//! closes its output or stops answering.

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "no-crash",
    description: "the implementation never panics, whatever it is fed",
    class: FailureClass::Crash,
    checker: || Box::<NoCrash>::default(),
};

/// Records every caught panic.
#[derive(Debug)]
pub struct NoCrash(Tally);

impl Default for NoCrash {
    fn default() -> Self {
        NoCrash(Tally::new(Invariant::NoCrash))
    }
}

impl Checker for NoCrash {
    fn observe(&mut self, observation: &Observation<'_>) {
        match observation {
            Observation::Panicked {
                at,
                member,
                operation,
                message,
            } => self
                .0
                .violation(*at, format!("m{member} panicked in {operation}: {message}")),
            Observation::AdapterFailed { at, detail } => {
                self.0.violation(*at, format!("the adapter failed: {detail}"));
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        self.0.report(true, None)
    }
}
