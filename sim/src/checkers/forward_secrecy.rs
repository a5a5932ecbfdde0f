//! `forward-secrecy`: a compromise at time t decrypts no message the victim had already consumed before t.
//!
//! The engine tries a full snapshot on every envelope sent before the compromise. Messages the victim had not
//! consumed yet — keys waiting in its skipped-key cache, envelopes still in flight — are allowed exposure, counted
//! in the report's `exposures`, not violations.

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};
use crate::config::CompromiseScope;

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "forward-secrecy",
    description: "a compromise decrypts nothing the victim had already consumed (its skipped-key cache aside)",
    class: FailureClass::Safety,
    checker: || Box::<ForwardSecrecy>::default(),
};

/// The `forward-secrecy` checker.
#[derive(Debug)]
pub struct ForwardSecrecy {
    tally: Tally,
    applies: bool,
}

impl Default for ForwardSecrecy {
    fn default() -> Self {
        ForwardSecrecy {
            tally: Tally::new(Invariant::ForwardSecrecy),
            applies: false,
        }
    }
}

impl Checker for ForwardSecrecy {
    fn observe(&mut self, observation: &Observation<'_>) {
        match observation {
            Observation::Compromised {
                scope: CompromiseScope::Full,
                ..
            } => self.applies = true,
            Observation::DecryptedBeforeCompromise {
                at,
                victim,
                message,
                sender,
            } => {
                let reason = format!(
                    "a snapshot of m{victim} decrypted message {message} from m{sender}, which m{victim} had already consumed"
                );
                self.tally.violation(*at, reason);
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        let note = (!self.applies).then(|| "no member's full state was compromised".to_owned());
        self.tally.report(self.applies, note)
    }
}
