//! `bounded-state`: the skipped-key cache never exceeds its bound, and no single message makes a receiver do
//! more than the maximum forward jump of chain steps.
//!
//! The engine gives every operation a [`WorkBudget`](crate::implementation::WorkBudget), reads the steps taken
//! and the sender's cache size after every delivery, and reports an [`Observation::Unbounded`] when either
//! exceeds its bound or the budget ran out (the operation was then abandoned).

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "bounded-state",
    description: "skipped-key cache within its bound; no message costs more than the maximum forward jump",
    class: FailureClass::Safety,
    checker: || Box::<BoundedState>::default(),
};

/// Collects work and cache-bound violations.
#[derive(Debug)]
pub struct BoundedState(Tally);

impl Default for BoundedState {
    fn default() -> Self {
        BoundedState(Tally::new(Invariant::BoundedState))
    }
}

impl Checker for BoundedState {
    fn observe(&mut self, observation: &Observation<'_>) {
        if let Observation::Unbounded { at, member, what } = observation {
            self.0.violation(*at, format!("m{member}: {what}"));
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        self.0.report(true, None)
    }
}
