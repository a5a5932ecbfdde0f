//! `delivery`: after the quiet phase, every honest member has decrypted every message sent while it was a member,
//! unless the network lost every copy for good.

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "delivery",
    description: "after faults stop, every member decrypts every message sent while it was a member",
    class: FailureClass::Liveness,
    checker: || Box::<Delivery>::default(),
};

/// Collects the messages the engine found undelivered at the end.
#[derive(Debug)]
pub struct Delivery(Tally);

impl Default for Delivery {
    fn default() -> Self {
        Delivery(Tally::new(Invariant::Delivery))
    }
}

impl Checker for Delivery {
    fn observe(&mut self, observation: &Observation<'_>) {
        if let Observation::Undelivered {
            at,
            receiver,
            message,
            sender,
            last_reason,
        } = observation
        {
            let reason =
                format!("m{receiver} never decrypted message {message} from m{sender} ({last_reason})");
            self.0.violation(*at, reason);
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        self.0.report(true, None)
    }
}
