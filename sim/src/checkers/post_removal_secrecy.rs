//! `post-removal-secrecy`: a removed member decrypts no message that its sender encrypted after the sender
//! processed the removal.
//!
//! The engine hands every departed member's frozen state to the adversary, which tries it on every envelope sent
//! after the departure. A member that was offline or cut off learns of the departure when it returns; what it
//! wrote before then is not covered (the engine counts it as `departed_reads_before_sender_knew`) and never
//! reaches this checker.

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "post-removal-secrecy",
    description: "a removed member decrypts nothing sent after its sender processed the removal",
    class: FailureClass::Safety,
    checker: || Box::<PostRemovalSecrecy>::default(),
};

/// Counts messages the adversary read with a departed member's state.
#[derive(Debug)]
pub struct PostRemovalSecrecy {
    tally: Tally,
    departures: u64,
}

impl Default for PostRemovalSecrecy {
    fn default() -> Self {
        PostRemovalSecrecy {
            tally: Tally::new(Invariant::PostRemovalSecrecy),
            departures: 0,
        }
    }
}

impl Checker for PostRemovalSecrecy {
    fn observe(&mut self, observation: &Observation<'_>) {
        match observation {
            Observation::Departed { .. } => self.departures += 1,
            Observation::DecryptedAfterDeparture {
                at,
                departed,
                message,
                sender,
            } => {
                let reason = format!(
                    "departed m{departed} decrypted message {message} that m{sender} wrote after processing the departure"
                );
                self.tally.violation(*at, reason);
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        let note = (self.departures == 0).then(|| "no member was removed or left".to_owned());
        self.tally.report(self.departures > 0, note)
    }
}
