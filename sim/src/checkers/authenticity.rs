//! `authenticity`: no honest member accepts, as coming from sender S, a message that S did not send.

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "authenticity",
    description: "no member accepts, as from S, a message S did not send",
    class: FailureClass::Safety,
    checker: || Box::<Authenticity>::default(),
};

/// Checks every accepted message against the ground truth.
#[derive(Debug)]
pub struct Authenticity(Tally);

impl Default for Authenticity {
    fn default() -> Self {
        Authenticity(Tally::new(Invariant::Authenticity))
    }
}

impl Checker for Authenticity {
    fn observe(&mut self, observation: &Observation<'_>) {
        if let Observation::Accepted {
            at,
            receiver,
            claimed,
            genuine: None,
            plaintext,
            ..
        } = observation
        {
            let shown = claimed.map_or_else(|| "an unknown sender".to_owned(), |c| format!("m{c}"));
            let reason = format!(
                "m{receiver} accepted {} bytes as a message from {shown} that {shown} never sent",
                plaintext.len()
            );
            self.0.violation(*at, reason);
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        self.0.report(true, None)
    }
}
