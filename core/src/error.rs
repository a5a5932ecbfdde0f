//! The crate's one error type.
//!
//! Reasons are flat and named. The first group is "the peer sent bad data" (every one of them leaves the
//! receiving state unchanged); the second is "the caller misused the API". Each variant's message says what
//! was wrong and, where the caller can act, what to do.

use crate::ids::{KeyId, MemberId};

/// Everything that can go wrong in `senderkeys`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ----- the peer sent bad data -----
    /// The bytes do not parse as the named wire message.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// Which message or field was being parsed, e.g. "accord envelope".
        what: &'static str,
        /// What exactly was wrong, with the offending value or position where known.
        detail: String,
    },
    /// A field has the wrong length.
    #[error("{what}: field `{field}` must be {expected} bytes, got {actual}")]
    BadLength {
        /// Which message was being parsed.
        what: &'static str,
        /// The field with the wrong length.
        field: &'static str,
        /// The required length (or the bound, for ranges).
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// The message or distribution declares a version this crate does not speak.
    #[error("{what}: unsupported version {version} (this implementation speaks version {supported})")]
    UnsupportedVersion {
        /// Which message was being parsed.
        what: &'static str,
        /// The version found.
        version: u32,
        /// The version this crate speaks.
        supported: u32,
    },
    /// The message is larger than any message this crate produces or accepts.
    #[error("{what} is {actual} bytes, more than the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size in bytes.
        actual: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The signature does not verify under the sender key's signing key.
    #[error("signature does not verify under sender key {key_id} of {sender}")]
    BadSignature {
        /// The claimed sender.
        sender: MemberId,
        /// The sender key the message names.
        key_id: KeyId,
    },
    /// No retained signing key of the sender verifies the message (formats that carry no key id).
    #[error("no retained sender key of {sender} verifies this message")]
    NoVerifyingKey {
        /// The claimed sender.
        sender: MemberId,
    },
    /// The AEAD tag (or, for the Signal suite, the CBC padding) does not check out.
    #[error("decryption failed for iteration {iteration} of sender key {key_id} of {sender}")]
    DecryptionFailed {
        /// The claimed sender.
        sender: MemberId,
        /// The sender key used.
        key_id: KeyId,
        /// The iteration the message claims.
        iteration: u32,
    },
    /// The iteration was already decrypted, or its cached key was evicted.
    #[error("duplicate: iteration {iteration} of sender key {key_id} of {sender} was already consumed")]
    Duplicate {
        /// The claimed sender.
        sender: MemberId,
        /// The sender key.
        key_id: KeyId,
        /// The repeated iteration.
        iteration: u32,
    },
    /// The message is further ahead than [`crate::consts::FORWARD_JUMP_MAX`] chain steps.
    #[error(
        "iteration {iteration} of sender key {key_id} of {sender} is {jump} steps ahead of the next \
         expected iteration {next}; at most {jump_max} are allowed"
    )]
    TooFarAhead {
        /// The claimed sender.
        sender: MemberId,
        /// The sender key.
        key_id: KeyId,
        /// The iteration the message claims.
        iteration: u32,
        /// The receiver's next expected iteration.
        next: u64,
        /// The number of chain steps the message would need.
        jump: u64,
        /// The bound.
        jump_max: u32,
    },
    /// No sender key of this sender with this id has been received: ask the sender for its distribution.
    #[error("no sender key {key_id} of {sender} is known; request the sender's distribution")]
    UnknownKey {
        /// The claimed sender.
        sender: MemberId,
        /// The sender key the message names.
        key_id: KeyId,
    },
    /// No sender key of this sender has been received at all.
    #[error("no sender key of {sender} is known; request the sender's distribution")]
    UnknownSender {
        /// The claimed sender.
        sender: MemberId,
    },
    /// The message is for another group than the one this state belongs to.
    #[error("{what} is for group {found:?}, this state belongs to group {expected:?}")]
    WrongGroup {
        /// Which message.
        what: &'static str,
        /// The group of this state.
        expected: String,
        /// The group the message names.
        found: String,
    },
    /// The message or distribution names another sender than the one it came from.
    #[error("{what} claims to be from {claimed} but arrived from {from}")]
    SenderMismatch {
        /// Which message.
        what: &'static str,
        /// Who sent it, according to the channel it arrived on.
        from: MemberId,
        /// Who it says it is from.
        claimed: String,
    },
    /// A distribution reuses a key id that is already known with different key material.
    #[error(
        "distribution for sender key {key_id} of {sender} conflicts with the key already held under that id"
    )]
    KeyConflict {
        /// The sender.
        sender: MemberId,
        /// The reused key id.
        key_id: KeyId,
    },
    /// A distribution names a sender key that was retired (rotated out); re-installing it would re-open
    /// iterations already consumed.
    #[error(
        "sender key {key_id} of {sender} was retired and cannot be re-installed; the sender must create a new key"
    )]
    RetiredKey {
        /// The sender.
        sender: MemberId,
        /// The retired key id.
        key_id: KeyId,
    },

    // ----- the caller misused the API -----
    /// `encrypt` was called before a sender key was created.
    #[error("no own sender key: call `create_sender_key` before encrypting")]
    NoOwnSenderKey,
    /// The own chain has used every iteration a `u32` can carry.
    #[error("sender key {key_id} has used all 2^32 iterations; rotate (create a new sender key)")]
    IterationExhausted {
        /// The exhausted key.
        key_id: KeyId,
    },
    /// The plaintext is larger than [`crate::consts::PLAINTEXT_BYTES_MAX`].
    #[error("plaintext is {actual} bytes; at most {limit} are allowed")]
    PlaintextTooLarge {
        /// Its size.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// A member or group id is empty, too long, or not valid for the wire format.
    #[error("invalid {what} id {id:?}: {reason}")]
    InvalidId {
        /// "member" or "group".
        what: &'static str,
        /// The offending id (lossily shown).
        id: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// An exported state does not import: it is corrupt or from another version.
    #[error("state does not import: {detail}")]
    BadState {
        /// What was wrong.
        detail: String,
    },
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::Malformed`].
    pub(crate) fn malformed(what: &'static str, detail: impl Into<String>) -> Self {
        Error::Malformed {
            what,
            detail: detail.into(),
        }
    }

    /// True for reasons that mean "the peer sent bad data" (as opposed to API misuse).
    pub fn is_peer_misbehaviour(&self) -> bool {
        !matches!(
            self,
            Error::NoOwnSenderKey
                | Error::IterationExhausted { .. }
                | Error::PlaintextTooLarge { .. }
                | Error::InvalidId { .. }
                | Error::BadState { .. }
        )
    }

    /// A short stable name for the reason, for reports and metrics (e.g. `"duplicate"`).
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Malformed { .. } => "malformed",
            Error::BadLength { .. } => "bad-length",
            Error::UnsupportedVersion { .. } => "unsupported-version",
            Error::TooLarge { .. } => "too-large",
            Error::BadSignature { .. } => "bad-signature",
            Error::NoVerifyingKey { .. } => "no-verifying-key",
            Error::DecryptionFailed { .. } => "decryption-failed",
            Error::Duplicate { .. } => "duplicate",
            Error::TooFarAhead { .. } => "too-far-ahead",
            Error::UnknownKey { .. } => "unknown-key",
            Error::UnknownSender { .. } => "unknown-sender",
            Error::WrongGroup { .. } => "wrong-group",
            Error::SenderMismatch { .. } => "sender-mismatch",
            Error::KeyConflict { .. } => "key-conflict",
            Error::RetiredKey { .. } => "retired-key",
            Error::NoOwnSenderKey => "no-own-sender-key",
            Error::IterationExhausted { .. } => "iteration-exhausted",
            Error::PlaintextTooLarge { .. } => "plaintext-too-large",
            Error::InvalidId { .. } => "invalid-id",
            Error::BadState { .. } => "bad-state",
        }
    }
}
