//! `server-blindness`: a curious or malicious server decrypts no message and learns no chain key.
//!
//! The server's state is fed every distribution it can read — those a design stores or relays in plaintext; a
//! pairwise channel shows it only ciphertext — and tries every envelope it relays. A chain key it learns shows as
//! a message it decrypts.

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "server-blindness",
    description: "a curious or malicious server decrypts nothing and learns no chain key",
    class: FailureClass::Safety,
    checker: || Box::<ServerBlindness>::default(),
};

/// The `server-blindness` checker.
#[derive(Debug)]
pub struct ServerBlindness {
    tally: Tally,
    applies: bool,
}

impl Default for ServerBlindness {
    fn default() -> Self {
        ServerBlindness {
            tally: Tally::new(Invariant::ServerBlindness),
            applies: false,
        }
    }
}

impl Checker for ServerBlindness {
    fn observe(&mut self, observation: &Observation<'_>) {
        match observation {
            Observation::ServerReads { .. } => self.applies = true,
            Observation::ServerDecrypted { at, message, sender } => {
                self.tally.violation(
                    *at,
                    format!("the server decrypted message {message} from m{sender}"),
                );
            }
            _ => {}
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        let note = (!self.applies).then(|| "the server is honest (reads nothing)".to_owned());
        self.tally.report(self.applies, note)
    }
}
