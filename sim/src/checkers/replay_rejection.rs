//! `replay-rejection`: no honest member accepts the same message twice.
//!
//! Messages are identified by their ground truth (sender, message), which is the same thing as (sender, key id,
//! iteration) for every implementation that encrypts each message under its own iteration.

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "replay-rejection",
    description: "no member accepts the same (sender, key id, iteration) twice",
    class: FailureClass::Safety,
    checker: || Box::<ReplayRejection>::default(),
};

/// Flags a genuine message accepted a second time by the same member.
#[derive(Debug)]
pub struct ReplayRejection(Tally);

impl Default for ReplayRejection {
    fn default() -> Self {
        ReplayRejection(Tally::new(Invariant::ReplayRejection))
    }
}

impl Checker for ReplayRejection {
    fn observe(&mut self, observation: &Observation<'_>) {
        if let Observation::Accepted {
            at,
            receiver,
            genuine: Some(message),
            first: false,
            ..
        } = observation
        {
            self.0.violation(
                *at,
                format!("m{receiver} accepted message {message} a second time"),
            );
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        self.0.report(true, None)
    }
}
