//! The zoo's planted bugs: one classic Sender Keys flaw each, with its kebab-case name, a one-line description
//! and the invariant expected to catch it.

use core::fmt;

use crate::checkers::Invariant;

/// One planted flaw. Each is a `match` or `if` on the instance's bug at the one line where real code gets it
/// wrong; [`Bug::ALL`] lists them in the order `sksim zoo` hunts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bug {
    /// The distribution decoder `copy_from_slice`s a chain key of whatever length the bytes give.
    ChainKeyLengthPanic,
    /// The message decoder converts the nonce to `[u8; 12]` with an unchecked conversion while parsing.
    NonceLengthPanic,
    /// The signature omits the length bytes; the nonce is converted unchecked after verification.
    UnsignedSplitPanic,
    /// The per-jump bound is kept, the bound on the skipped-key cache's total is not.
    UnboundedSkippedTotal,
    /// The chain advance and skipped keys are committed before the signature is checked.
    AdvanceBeforeVerify,
    /// Signature and associated data omit the iteration; the receiver commits the claimed iteration before AEAD.
    UnsignedIteration,
    /// The sender's counter wraps to 0 after 2^32−1 instead of refusing.
    IterationWraps,
    /// A distribution for a key already held replaces that state.
    DistributionRewinds,
    /// A new key from a sender discards that sender's older states.
    RotationDiscardsOld,
    /// A skipped key is not removed from the cache after use.
    SkippedKeyKept,
    /// When decryption fails, the envelope's bytes are shown as the message.
    PlaintextOnFailure,
    /// Receiver states are looked up by key id alone, not by (sender, key id).
    KeyIdGlobal,
    /// No forward-jump bound.
    NoJumpBound,
    /// Older states are read-only archives: duplicates are caught only under the newest key.
    DuplicateCheckCurrentOnly,
    /// The saved state keeps each chain as first given, not as ratcheted.
    KeepsInitialChain,
    /// `distribution()` re-shares the own key from its first iteration.
    NewcomerGetsInitialChain,
    /// The key id is derived from the member's id, so every key of a member has the same id.
    ConstantKeyId,
    /// A distribution is installed at iteration 0, whatever iteration it names.
    DistributionIterationIgnored,
    /// The signature is checked against the sender's newest key, not the key the envelope names.
    VerifiesWithNewestKey,
    /// The skipped-key loop files each key under the next iteration's number.
    SkippedOffByOne,
}

impl Bug {
    /// Every bug, in the order `sksim zoo` hunts them.
    pub const ALL: [Bug; 20] = [
        Bug::ChainKeyLengthPanic,
        Bug::NonceLengthPanic,
        Bug::UnsignedSplitPanic,
        Bug::UnboundedSkippedTotal,
        Bug::AdvanceBeforeVerify,
        Bug::UnsignedIteration,
        Bug::IterationWraps,
        Bug::DistributionRewinds,
        Bug::RotationDiscardsOld,
        Bug::SkippedKeyKept,
        Bug::PlaintextOnFailure,
        Bug::KeyIdGlobal,
        Bug::NoJumpBound,
        Bug::DuplicateCheckCurrentOnly,
        Bug::KeepsInitialChain,
        Bug::NewcomerGetsInitialChain,
        Bug::ConstantKeyId,
        Bug::DistributionIterationIgnored,
        Bug::VerifiesWithNewestKey,
        Bug::SkippedOffByOne,
    ];

    /// The kebab-case name (`--impl zoo/<name>`, `sksim zoo --bug <name>`).
    pub const fn name(self) -> &'static str {
        self.about().0
    }

    /// What the flaw is, in one line.
    pub const fn description(self) -> &'static str {
        self.about().1
    }

    /// The invariant expected to catch it.
    pub const fn caught_by(self) -> Invariant {
        self.about().2
    }

    /// The bug named `name` exactly, if any.
    pub fn named(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|bug| bug.name() == name)
    }

    const fn about(self) -> (&'static str, &'static str, Invariant) {
        ABOUT[self as usize]
    }
}

/// Each bug's name, description and expected invariant, in the order of the enum.
const ABOUT: [(&str, &str, Invariant); 20] = [
    // ChainKeyLengthPanic
    (
        "chain-key-length-panic",
        "the distribution decoder copy_from_slices a chain key of the wrong length",
        Invariant::NoCrash,
    ),
    // NonceLengthPanic
    (
        "nonce-length-panic",
        "the message decoder converts the nonce to [u8; 12] unchecked while parsing, before verification",
        Invariant::NoCrash,
    ),
    // UnsignedSplitPanic
    (
        "unsigned-split-panic",
        "signs header‖nonce‖ct without the length bytes; converts the nonce unchecked after verification",
        Invariant::NoCrash,
    ),
    // UnboundedSkippedTotal
    (
        "unbounded-skipped-total",
        "bounds each forward jump but not the skipped-key cache's total",
        Invariant::BoundedState,
    ),
    // AdvanceBeforeVerify
    (
        "advance-before-verify",
        "commits the chain advance and skipped keys before the signature check",
        Invariant::FailureAtomicity,
    ),
    // UnsignedIteration
    (
        "unsigned-iteration",
        "signature and AAD omit the iteration; the receiver commits the claimed iteration before AEAD",
        Invariant::FailureAtomicity,
    ),
    // IterationWraps
    (
        "iteration-wraps",
        "the sender's counter wraps to 0 after 2^32-1 instead of refusing",
        Invariant::Delivery,
    ),
    // DistributionRewinds
    (
        "distribution-rewinds",
        "a distribution for a key already held replaces that state (rewinds its chain)",
        Invariant::ReplayRejection,
    ),
    // RotationDiscardsOld
    (
        "rotation-discards-old",
        "a new key from a sender discards that sender's older states",
        Invariant::Delivery,
    ),
    // SkippedKeyKept
    (
        "skipped-key-kept",
        "a skipped message key is not removed from the cache after use",
        Invariant::ReplayRejection,
    ),
    // PlaintextOnFailure
    (
        "plaintext-on-failure",
        "when decryption fails, the envelope's bytes are shown as the message",
        Invariant::Authenticity,
    ),
    // KeyIdGlobal
    (
        "key-id-global",
        "receiver states are looked up by key id alone, not by (sender, key id)",
        Invariant::Authenticity,
    ),
    // NoJumpBound
    (
        "no-jump-bound",
        "no bound on the forward jump one message may cause",
        Invariant::BoundedState,
    ),
    // DuplicateCheckCurrentOnly
    (
        "duplicate-check-current-only",
        "older keys are read-only archives: duplicates are detected only under the newest key",
        Invariant::ReplayRejection,
    ),
    // KeepsInitialChain
    (
        "keeps-initial-chain",
        "the saved state keeps each chain key as first given, so a stolen state reads the past",
        Invariant::ForwardSecrecy,
    ),
    // NewcomerGetsInitialChain
    (
        "newcomer-gets-initial-chain",
        "distribution() for a newcomer re-shares the own key from its first iteration",
        Invariant::JoinSecrecy,
    ),
    // ConstantKeyId
    (
        "constant-key-id",
        "the key id is derived from the member's id, so a rotation reuses it and receivers refuse the new key",
        Invariant::Delivery,
    ),
    // DistributionIterationIgnored
    (
        "distribution-iteration-ignored",
        "a distribution is installed at iteration 0, whatever iteration it names",
        Invariant::Delivery,
    ),
    // VerifiesWithNewestKey
    (
        "verifies-with-newest-key",
        "the signature is checked against the sender's newest key, not the key the envelope names",
        Invariant::Delivery,
    ),
    // SkippedOffByOne
    (
        "skipped-off-by-one",
        "the skipped-key loop files each message key under the next iteration's number",
        Invariant::Delivery,
    ),
];

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
