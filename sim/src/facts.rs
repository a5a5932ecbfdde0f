//! What happened in a run, as the engine saw it happen: the facts an oracle judges a run by.
//!
//! The checkers judge the invariants; the swarm tester ([`crate::sweep::allowed`]) and the simulation fuzz target
//! also need to know which of an implementation's documented weaknesses the run could trigger — did a member
//! leave, did the server add one, was a signing key stolen, did a receiver retire a key while an envelope under it
//! was still on its way. The engine records each such fact as it happens, in event order, so the oracle reads what
//! happened instead of predicting it from the configuration with a second model of the engine.
//!
//! Facts are part of the [`Report`](crate::report::Report) but not of the trace or its hash, nor (yet) of the
//! JSON report.

use serde::Serialize;

use crate::attacks::AttackKind;
use crate::config::{Attacker, CompromiseScope};
use crate::time::Micros;

/// One thing that happened, of the kinds an oracle reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "fact")]
pub enum Fact {
    /// A member present in the group left or was removed (departures of someone already gone do nothing and are
    /// not facts).
    Departed {
        /// Who.
        member: usize,
    },
    /// A member joined: by a scripted join, or because the server added a member it controls.
    Joined {
        /// Who.
        member: usize,
        /// The server added it (an `add-member` attack).
        by_server: bool,
    },
    /// The adversary obtained something of a present member: its whole state, or a signing key it then forged with
    /// (a signing-key compromise that found no key, or no insider to forge with, did nothing and is not a fact).
    Compromised {
        /// Whose.
        member: usize,
        /// What it obtained.
        scope: CompromiseScope,
    },
    /// An attack ran: its inputs were crafted and sent (whatever the receivers then made of them).
    AttackRan {
        /// Which attack.
        kind: AttackKind,
        /// Who ran it.
        by: Attacker,
        /// In whose name, or against whom.
        target: usize,
    },
    /// A scripted attack could not run.
    AttackSkipped {
        /// Which attack.
        kind: AttackKind,
        /// Who was to run it.
        by: Attacker,
        /// Its target.
        target: usize,
        /// Why not.
        why: String,
    },
    /// A receiver stopped holding one of a sender's keys (the implementation no longer lists it among the keys it
    /// retains for that sender) when it processed a distribution from that sender, while envelopes under that key
    /// were still on their way to it or its sender still wrote under it. Recorded only for implementations that say
    /// which keys they retain ([`Implementation::retained_keys`](crate::implementation::Implementation)).
    StateRetired {
        /// The receiver.
        receiver: usize,
        /// The sender whose key it dropped.
        sender: usize,
        /// The key it dropped, in the implementation's display form.
        key_id: String,
        /// How many of the sender's envelopes under that key it had not decrypted yet (those the network dropped
        /// included).
        in_flight: u64,
        /// How many keys of the sender the receiver held after dropping it.
        retained: usize,
    },
    /// A stale-distribution attack re-delivered one of `target`'s keys that `newer_keys` keys of the target had
    /// followed: a receiver that remembers fewer keys than that (the ones it holds and the ids of those it retired)
    /// cannot tell the key is old, installs it again, and accepts its replayed messages.
    StaleKeyRedelivered {
        /// Whose key.
        target: usize,
        /// How many keys the target made after it.
        newer_keys: usize,
    },
    /// At the end of the run, a receiver had not decrypted a message whose key it had dropped (a
    /// [`Fact::StateRetired`] before): the message was lost to the retirement. One per `delivery` violation it
    /// explains.
    LostToRetiredKey {
        /// The receiver.
        receiver: usize,
        /// The message.
        message: usize,
        /// Its sender.
        sender: usize,
        /// How many of the sender's keys the receiver held right after dropping that one.
        retained: usize,
    },
}

/// The facts of one run, in the order they happened, with when.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facts(Vec<(Micros, Fact)>);

impl Facts {
    /// Records a fact at virtual time `at`.
    pub fn record(&mut self, at: Micros, fact: Fact) {
        self.0.push((at, fact));
    }

    /// Every fact, in the order it happened.
    pub fn iter(&self) -> impl Iterator<Item = &Fact> {
        self.0.iter().map(|(_, fact)| fact)
    }

    /// Whether some fact satisfies `test`.
    pub fn any(&self, test: impl Fn(&Fact) -> bool) -> bool {
        self.iter().any(test)
    }

    /// Whether a fact satisfying `then` happened after one satisfying `first` (strictly later in the log).
    pub fn after(&self, first: impl Fn(&Fact) -> bool, then: impl Fn(&Fact) -> bool) -> bool {
        self.iter()
            .position(first)
            .is_some_and(|i| self.iter().skip(i + 1).any(then))
    }
}
