//! What sksim knows of each built-in implementation before running it, in one place: its name and one-line
//! description (`sksim list`), the suite it speaks, how its distributions travel, whether it signs every message,
//! the invariants its design violates in any run (`docs/verdicts.md`), and how many keys per sender it retains.
//! The parser, the factories, `sksim list`, the reports and the sweep's oracle read these entries; adding a
//! built-in implementation is one entry here, its file, and its arm in [`crate::scenario::ImplementationSpec`].

use senderkeys::SuiteId;

use crate::checkers::Invariant;
use crate::implementation::Transport;

/// Whether an implementation signs every message (so a stolen signing key forges and an insider's own key does
/// not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signs {
    /// Every message carries the sender key's signature.
    Always,
    /// No message is signed.
    Never,
    /// As the suite it speaks says.
    BySuite,
}

/// One built-in implementation.
#[derive(Debug)]
pub struct BuiltIn {
    /// The name `--impl` and `implementation` take (the reference also takes `reference/<suite>`).
    pub name: &'static str,
    /// What it is, in one line (`sksim list`).
    pub description: &'static str,
    /// The suite its model speaks; `None` for the reference, which speaks any.
    pub suite: Option<SuiteId>,
    /// How its distributions travel.
    pub transport: Transport,
    /// Whether it signs every message.
    pub signs: Signs,
    /// The invariants its design violates whatever the run does (`docs/verdicts.md`'s VIOLATED cells). The
    /// reasons are given where the sweep's oracle reads them ([`crate::sweep::allowed`]).
    pub documented: &'static [Invariant],
    /// How many keys of one sender a receiver retains at most, when the design bounds it: a message under a key
    /// dropped at that bound is lost by design, anywhere else it is a bug.
    pub sender_states_max: Option<usize>,
    /// How many ids of a sender's retired keys a receiver remembers besides the keys it retains, when the design
    /// refuses a distribution naming one: a key older than both bounds together is forgotten, and a stale
    /// distribution of it installs it again (by design); a younger one re-installed is a bug.
    pub retired_keys_max: Option<usize>,
}

/// `reference`: the `senderkeys` state machine.
pub const REFERENCE: BuiltIn = BuiltIn {
    name: "reference",
    description: "the senderkeys state machine (libsignal's limits, every check before any state change); suite \
                  hardened",
    suite: None,
    transport: Transport::Pairwise,
    signs: Signs::BySuite,
    documented: &[],
    sender_states_max: Some(senderkeys::consts::SENDER_STATES_MAX),
    retired_keys_max: Some(senderkeys::consts::RETIRED_KEY_IDS_MAX),
};

/// `accord`: a model of Accord's design.
pub const ACCORD: BuiltIn = BuiltIn {
    name: "accord",
    description: "model of Accord's design: signs iv‖ct only, one state per sender, pairwise distribution",
    suite: Some(SuiteId::Accord),
    transport: Transport::Pairwise,
    // Accord signs nonce ‖ ciphertext (its §7).
    signs: Signs::Always,
    // A distribution replaces the single state per sender, so a stale one rewinds the chain (replay-rejection,
    // weakness 14); one state per sender loses messages in flight across a rotation (delivery, weakness 10).
    documented: &[Invariant::ReplayRejection, Invariant::Delivery],
    sender_states_max: Some(1),
    retired_keys_max: None,
};

/// `chatalot`: a model of Chatalot.
pub const CHATALOT: BuiltIn = BuiltIn {
    name: "chatalot",
    description: "model of Chatalot: keys on the server in plaintext, iteration-0 records for newcomers, plaintext \
                  fallback, unsigned",
    suite: Some(SuiteId::Chatalot),
    transport: Transport::ServerPlaintext,
    // Chatalot's messages are unsigned ("Tradeoffs"; threat model weakness 4).
    signs: Signs::Never,
    // Newcomers get keys at iteration 0 (join-secrecy, weakness 2); plaintext distributions on the server
    // (server-blindness, weakness 1); plaintext fallback and no signatures (authenticity, weaknesses 3 and 4);
    // distributions replace state unchecked (replay-rejection); state advanced before decryption is checked
    // (failure-atomicity, weakness 5); no forward-jump bound (bounded-state, weakness 6); departures wipe receiver
    // states and burnt chains lose messages (delivery, 5 and 10).
    documented: &[
        Invariant::JoinSecrecy,
        Invariant::ServerBlindness,
        Invariant::Authenticity,
        Invariant::ReplayRejection,
        Invariant::FailureAtomicity,
        Invariant::BoundedState,
        Invariant::Delivery,
    ],
    sender_states_max: Some(1),
    retired_keys_max: None,
};

/// `p2p`: a model of the peer-to-peer sketch.
pub const P2P: BuiltIn = BuiltIn {
    name: "p2p",
    description: "model of the peer-to-peer sketch: advances before verifying, no skip bound, forwards keys",
    suite: Some(SuiteId::P2p),
    transport: Transport::Forwarded,
    // The sketch signs the ciphertext (its Step 4).
    signs: Signs::Always,
    // Forwarded keys believed for whoever they name and whole sender keys (signing key included) in distributions
    // (authenticity, weakness 7); distributions replace state (replay-rejection); fast-forward before the
    // signature check (failure-atomicity, weakness 5); no bound on the fast-forward (bounded-state, weakness 6);
    // no skipped-key cache (delivery).
    documented: &[
        Invariant::Authenticity,
        Invariant::ReplayRejection,
        Invariant::FailureAtomicity,
        Invariant::BoundedState,
        Invariant::Delivery,
    ],
    sender_states_max: Some(1),
    retired_keys_max: None,
};

/// `zoo`: the zoo base, a correct implementation in which `zoo/<bug>` plants one flaw each
/// ([`crate::implementations::zoo::Bug`]). Not in [`BUILT_INS`]: `sksim list` shows the zoo in its own section.
pub const ZOO: BuiltIn = BuiltIn {
    name: "zoo",
    description: "the zoo base: a correct Sender Keys implementation speaking hardened, written in sksim; \
                  zoo/<bug> plants one classic flaw",
    suite: Some(SuiteId::Hardened),
    transport: Transport::Pairwise,
    // Every message carries an Ed25519 signature over every byte before it (the hardened format).
    signs: Signs::Always,
    // The base holds every invariant, as the reference does: a planted bug's violation is never documented, so the
    // sweep reports it as unexpected.
    documented: &[],
    sender_states_max: Some(senderkeys::consts::SENDER_STATES_MAX),
    retired_keys_max: Some(senderkeys::consts::RETIRED_KEY_IDS_MAX),
};

/// Every built-in implementation, in the order `sksim list` shows them.
pub const BUILT_INS: [&BuiltIn; 4] = [&REFERENCE, &ACCORD, &CHATALOT, &P2P];

/// The built-in implementation named `name` exactly, if any.
pub fn built_in(name: &str) -> Option<&'static BuiltIn> {
    BUILT_INS.into_iter().find(|b| b.name == name)
}

impl BuiltIn {
    /// Whether it signs every message when speaking `suite`.
    pub fn signs_with(&self, suite: SuiteId) -> bool {
        match self.signs {
            Signs::Always => true,
            Signs::Never => false,
            Signs::BySuite => suite.is_signed(),
        }
    }
}
