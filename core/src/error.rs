//! The crate's one error type, in two groups.
//!
//! [`Error`] is either [`Error::PeerMisbehaved`] — the bytes another member (or whoever controls the network)
//! sent are wrong: a malformed, forged, replayed, misdirected or unwelcome message or distribution; every one of
//! them leaves the receiving state unchanged — or [`Error::ApiMisuse`] — the caller asked for something this
//! state cannot do (encrypt before creating a key, an invalid id, a plaintext too large, a chain used up, an
//! export that does not import). Every reason is a flat, named variant of one of the two, so matching on the
//! group answers "whose fault was it?" and matching on the variant answers "what exactly?". Each message says
//! what was wrong and, where the caller can act, what to do; [`Error`]'s `Display` is its reason's, word for word.

use crate::ids::{KeyId, MemberId};

/// Everything that can go wrong in `senderkeys`: whose fault it was, and what exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The peer (or the network) sent bad data; the state that refused it is unchanged.
    #[error(transparent)]
    PeerMisbehaved(#[from] PeerMisbehaved),
    /// The caller misused the API.
    #[error(transparent)]
    ApiMisuse(#[from] ApiMisuse),
}

/// The peer sent bad data: the reasons a message or distribution is refused. A refusal changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerMisbehaved {
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
}

/// The caller misused the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiMisuse {
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
    /// Shorthand for [`PeerMisbehaved::Malformed`].
    pub(crate) fn malformed(what: &'static str, detail: impl Into<String>) -> Self {
        PeerMisbehaved::Malformed {
            what,
            detail: detail.into(),
        }
        .into()
    }

    /// The peer's misbehaviour, if that is what this is.
    pub fn peer_misbehaved(&self) -> Option<&PeerMisbehaved> {
        match self {
            Error::PeerMisbehaved(reason) => Some(reason),
            Error::ApiMisuse(_) => None,
        }
    }

    /// The caller's misuse, if that is what this is.
    pub fn api_misuse(&self) -> Option<&ApiMisuse> {
        match self {
            Error::ApiMisuse(reason) => Some(reason),
            Error::PeerMisbehaved(_) => None,
        }
    }

    /// A short stable name for the reason, for reports and metrics (e.g. `"duplicate"`): the variant's, whichever
    /// group it is in.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::PeerMisbehaved(reason) => reason.reason(),
            Error::ApiMisuse(reason) => reason.reason(),
        }
    }
}

impl PeerMisbehaved {
    /// A short stable name for the reason (e.g. `"duplicate"`).
    pub fn reason(&self) -> &'static str {
        match self {
            PeerMisbehaved::Malformed { .. } => "malformed",
            PeerMisbehaved::BadLength { .. } => "bad-length",
            PeerMisbehaved::UnsupportedVersion { .. } => "unsupported-version",
            PeerMisbehaved::TooLarge { .. } => "too-large",
            PeerMisbehaved::BadSignature { .. } => "bad-signature",
            PeerMisbehaved::NoVerifyingKey { .. } => "no-verifying-key",
            PeerMisbehaved::DecryptionFailed { .. } => "decryption-failed",
            PeerMisbehaved::Duplicate { .. } => "duplicate",
            PeerMisbehaved::TooFarAhead { .. } => "too-far-ahead",
            PeerMisbehaved::UnknownKey { .. } => "unknown-key",
            PeerMisbehaved::UnknownSender { .. } => "unknown-sender",
            PeerMisbehaved::WrongGroup { .. } => "wrong-group",
            PeerMisbehaved::SenderMismatch { .. } => "sender-mismatch",
            PeerMisbehaved::KeyConflict { .. } => "key-conflict",
            PeerMisbehaved::RetiredKey { .. } => "retired-key",
        }
    }
}

impl ApiMisuse {
    /// A short stable name for the reason (e.g. `"no-own-sender-key"`).
    pub fn reason(&self) -> &'static str {
        match self {
            ApiMisuse::NoOwnSenderKey => "no-own-sender-key",
            ApiMisuse::IterationExhausted { .. } => "iteration-exhausted",
            ApiMisuse::PlaintextTooLarge { .. } => "plaintext-too-large",
            ApiMisuse::InvalidId { .. } => "invalid-id",
            ApiMisuse::BadState { .. } => "bad-state",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reason of the peer's group, one value each.
    fn peer_reasons() -> Vec<PeerMisbehaved> {
        let mut reasons = vec![
            PeerMisbehaved::Malformed {
                what: "m",
                detail: "d".into(),
            },
            PeerMisbehaved::BadLength {
                what: "m",
                field: "f",
                expected: 1,
                actual: 2,
            },
            PeerMisbehaved::UnsupportedVersion {
                what: "m",
                version: 2,
                supported: 1,
            },
            PeerMisbehaved::TooLarge {
                what: "m",
                actual: 2,
                limit: 1,
            },
        ];
        reasons.extend(sender_reasons());
        reasons
    }

    /// The peer's reasons that name a sender.
    fn sender_reasons() -> Vec<PeerMisbehaved> {
        let (sender, key_id) = (MemberId::new("alice").expect("valid"), KeyId::Chain(7));
        vec![
            PeerMisbehaved::BadSignature {
                sender: sender.clone(),
                key_id,
            },
            PeerMisbehaved::NoVerifyingKey {
                sender: sender.clone(),
            },
            PeerMisbehaved::DecryptionFailed {
                sender: sender.clone(),
                key_id,
                iteration: 3,
            },
            PeerMisbehaved::Duplicate {
                sender: sender.clone(),
                key_id,
                iteration: 3,
            },
            PeerMisbehaved::TooFarAhead {
                sender: sender.clone(),
                key_id,
                iteration: 9,
                next: 1,
                jump: 8,
                jump_max: 4,
            },
            PeerMisbehaved::UnknownKey {
                sender: sender.clone(),
                key_id,
            },
            PeerMisbehaved::UnknownSender {
                sender: sender.clone(),
            },
            PeerMisbehaved::WrongGroup {
                what: "m",
                expected: "g".into(),
                found: "h".into(),
            },
            PeerMisbehaved::SenderMismatch {
                what: "m",
                from: sender.clone(),
                claimed: "bob".into(),
            },
            PeerMisbehaved::KeyConflict {
                sender: sender.clone(),
                key_id,
            },
            PeerMisbehaved::RetiredKey { sender, key_id },
        ]
    }

    /// Every reason of the caller's group, one value each.
    fn api_reasons() -> Vec<ApiMisuse> {
        vec![
            ApiMisuse::NoOwnSenderKey,
            ApiMisuse::IterationExhausted {
                key_id: KeyId::Chain(7),
            },
            ApiMisuse::PlaintextTooLarge { actual: 2, limit: 1 },
            ApiMisuse::InvalidId {
                what: "member",
                id: String::new(),
                reason: "must not be empty",
            },
            ApiMisuse::BadState { detail: "d".into() },
        ]
    }

    /// Every reason of both groups.
    fn every_reason() -> Vec<Error> {
        let peer = peer_reasons().into_iter().map(Error::from);
        peer.chain(api_reasons().into_iter().map(Error::from)).collect()
    }

    #[test]
    fn the_groups_add_nothing_to_the_message_or_the_reason() {
        for error in every_reason() {
            let (text, reason) = match &error {
                Error::PeerMisbehaved(inner) => (inner.to_string(), inner.reason()),
                Error::ApiMisuse(inner) => (inner.to_string(), inner.reason()),
            };
            assert_eq!(error.to_string(), text);
            assert_eq!(error.reason(), reason);
            assert!(std::error::Error::source(&error).is_none(), "{error}");
        }
    }

    #[test]
    fn every_error_is_in_exactly_one_group_and_reasons_are_distinct() {
        let errors = every_reason();
        let peer = errors.iter().filter(|e| e.peer_misbehaved().is_some()).count();
        let api = errors.iter().filter(|e| e.api_misuse().is_some()).count();
        assert_eq!((peer, api), (15, 5));
        let reasons: std::collections::BTreeSet<_> = errors.iter().map(Error::reason).collect();
        assert_eq!(reasons.len(), errors.len());
    }
}
