//! `no-crash`: the implementation never panics or aborts, whatever it is fed; an external adapter never exits,
//! closes its output or stops answering.

use super::{Checker, InvariantReport, Observation, Tally};

/// Records every caught panic.
#[derive(Debug)]
pub struct NoCrash(Tally);

impl Default for NoCrash {
    fn default() -> Self {
        NoCrash(Tally::new("no-crash"))
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
