//! `failure-atomicity`: after any rejected input the member's state is unchanged (and the next genuine message
//! still decrypts, which `delivery` judges).
//!
//! The engine compares the exported state before and after every input it knows must be rejected: for a copy of
//! a message the member already accepted (network duplicates and replays), what the member holds of that
//! message's sender (`Implementation::export_sender`, the whole state unless the implementation keeps its state
//! per sender); for every attack input, the whole state.

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "failure-atomicity",
    description: "a rejected input leaves the state unchanged; the next genuine message still decrypts",
    class: FailureClass::Safety,
    checker: || Box::<FailureAtomicity>::default(),
};

/// The `failure-atomicity` checker.
#[derive(Debug)]
pub struct FailureAtomicity {
    tally: Tally,
    applies: bool,
}

impl Default for FailureAtomicity {
    fn default() -> Self {
        FailureAtomicity {
            tally: Tally::new(Invariant::FailureAtomicity),
            applies: false,
        }
    }
}

impl Checker for FailureAtomicity {
    fn observe(&mut self, observation: &Observation<'_>) {
        if let Observation::RejectionChecked {
            at,
            member,
            changed,
            reason,
        } = observation
        {
            self.applies = true;
            if *changed {
                let reason =
                    format!("m{member} was given an input it must reject ({reason}) and its state changed");
                self.tally.violation(*at, reason);
            }
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        let note = (!self.applies).then(|| "no input that must be rejected reached a member".to_owned());
        self.tally.report(self.applies, note)
    }
}
