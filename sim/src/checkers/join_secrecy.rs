//! `join-secrecy`: a member decrypts nothing that was sent before it joined.
//!
//! Once a newcomer has processed the distributions it was given, the engine clones its state and tries the clone
//! on every envelope sent before it joined.

use super::{Checker, InvariantReport, Observation, Tally};

/// The `join-secrecy` checker.
#[derive(Debug)]
pub struct JoinSecrecy {
    tally: Tally,
    applies: bool,
}

impl Default for JoinSecrecy {
    fn default() -> Self {
        JoinSecrecy {
            tally: Tally::new("join-secrecy"),
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
