//! `join-secrecy`: a member decrypts nothing that was sent before it joined.
//!
//! Once a newcomer has processed the distributions it was given, the engine clones its state and tries the clone
//! on every envelope sent before it joined.

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "join-secrecy",
    description: "a member decrypts nothing sent before it joined",
    class: FailureClass::Safety,
    checker: || Box::<JoinSecrecy>::default(),
};

/// The `join-secrecy` checker.
#[derive(Debug)]
pub struct JoinSecrecy {
    tally: Tally,
    applies: bool,
}

impl Default for JoinSecrecy {
    fn default() -> Self {
        JoinSecrecy {
            tally: Tally::new(Invariant::JoinSecrecy),
            applies: false,
        }
    }
}

impl Checker for JoinSecrecy {
    fn observe(&mut self, observation: &Observation<'_>) {
        match observation {
            Observation::Joined { .. } => self.applies = true,
            Observation::DecryptedBeforeJoin {
                at,
                newcomer,
                message,
                sender,
            } => {
                let reason = format!(
                    "newcomer m{newcomer} decrypted message {message} that m{sender} sent before it joined"
                );
                self.tally.violation(*at, reason);
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        let note = (!self.applies).then(|| "no member joined".to_owned());
        self.tally.report(self.applies, note)
    }
}
