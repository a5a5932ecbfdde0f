//! The peer-to-peer sketch's protobuf messages: `GroupMessage`, `SenderKeyDistribution` and
//! `SenderKeyRequest` (the sketch's step 6), plus [`P2pSenderKeyRecord`], the plaintext carried inside a
//! distribution.
//!
//! The messages are proto3: every field is a plain scalar, so a field left at its default (`0`, empty) is
//! absent on the wire and reads back as the default. The parser then rejects what the default cannot be:
//! empty ids, nonces and signatures of the wrong length, an AEAD ciphertext shorter than its tag, an empty
//! encrypted sender key. Ids that are not valid UTF-8 are already refused by the protobuf decoder; ids
//! that break [`MemberId`]/[`GroupId`] rules are reported as [`PeerMisbehaved::Malformed`] naming the field, because
//! the bad data came from the peer.
//!
//! Quirks of the seed that this codec carries faithfully rather than fixes:
//! - `GroupMessage` names no sender key: a receiver has to find the key by trying the sender's keys.
//! - The seed signs only `ciphertext`; `group_id`, `sender_id`, `iteration` and `nonce` are not covered by
//!   the signature (the nonce is covered only indirectly, through the AEAD tag).
//! - The seed's `send_message` advances the chain (incrementing the iteration) *before* it builds the
//!   message, so the first message of a chain carries iteration 1. The codec just carries the number.
//! - The sketch encrypts "the serialized sender key" into `encrypted_sender_key` but never says how it is
//!   serialized. [`P2pSenderKeyRecord`] is this project's choice: a proto3 message with
//!   `bytes chain_key = 1; bytes signing_public_key = 2; uint32 iteration = 3;`.
//!
//! Protobuf is not canonical (unknown fields are skipped, a repeated field's last value wins), so only
//! `parse(encode(x)) == x` holds here, not `encode(parse(b)) == b` for every accepted `b`.

use core::fmt;

use prost::Message as _;

use crate::consts::{
    AEAD_NONCE_BYTES, CHAIN_KEY_BYTES, SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES, WIRE_BYTES_MAX,
};
use crate::error::{Error, PeerMisbehaved, Result};
use crate::ids::{GroupId, MemberId};
use crate::wire::{check_aead_ciphertext, check_wire_size, fixed};

const WHAT_MESSAGE: &str = "p2p group message";
const WHAT_DISTRIBUTION: &str = "p2p distribution";
const WHAT_REQUEST: &str = "p2p sender key request";
const WHAT_RECORD: &str = "p2p sender key record";

/// The sketch's `GroupMessage`, as it travels.
#[derive(Clone, PartialEq, prost::Message)]
struct RawGroupMessage {
    #[prost(string, tag = "1")]
    group_id: String,
    #[prost(string, tag = "2")]
    sender_id: String,
    #[prost(uint32, tag = "3")]
    iteration: u32,
    #[prost(bytes = "vec", tag = "4")]
    nonce: Vec<u8>,
    #[prost(bytes = "vec", tag = "5")]
    ciphertext: Vec<u8>,
    #[prost(bytes = "vec", tag = "6")]
    signature: Vec<u8>,
}

/// The sketch's `SenderKeyDistribution`, as it travels.
#[derive(Clone, PartialEq, prost::Message)]
struct RawDistribution {
    #[prost(string, tag = "1")]
    group_id: String,
    #[prost(string, tag = "2")]
    sender_id: String,
    #[prost(bytes = "vec", tag = "3")]
    encrypted_sender_key: Vec<u8>,
    #[prost(bytes = "vec", tag = "4")]
    signature: Vec<u8>,
}

/// The sketch's `SenderKeyRequest`, as it travels.
#[derive(Clone, PartialEq, prost::Message)]
struct RawRequest {
    #[prost(string, tag = "1")]
    group_id: String,
    #[prost(string, tag = "2")]
    requested_sender_id: String,
}

/// This project's serialization of the sketch's `SenderKey` (see the module documentation).
#[derive(Clone, PartialEq, prost::Message)]
#[prost(skip_debug)]
struct RawRecord {
    #[prost(bytes = "vec", tag = "1")]
    chain_key: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    signing_public_key: Vec<u8>,
    #[prost(uint32, tag = "3")]
    iteration: u32,
}

impl fmt::Debug for RawRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawRecord(<redacted>)")
    }
}

/// Refuses oversized input, then decodes the protobuf, naming the message on failure.
fn decode<M: prost::Message + Default>(what: &'static str, bytes: &[u8]) -> Result<M> {
    check_wire_size(what, bytes)?;
    M::decode(bytes).map_err(|e| Error::malformed(what, format!("invalid protobuf: {e}")))
}

/// Validates a group id read from the wire.
fn group_id(what: &'static str, field: &'static str, id: String) -> Result<GroupId> {
    GroupId::new(id).map_err(|e| Error::malformed(what, format!("field `{field}`: {e}")))
}

/// Validates a member id read from the wire.
fn member_id(what: &'static str, field: &'static str, id: String) -> Result<MemberId> {
    MemberId::new(id).map_err(|e| Error::malformed(what, format!("field `{field}`: {e}")))
}

/// A group chat message (the sketch's `GroupMessage`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P2pGroupMessage {
    /// The group the message is for (field 1).
    pub group_id: GroupId,
    /// The sender, as the sender names itself (field 2).
    pub sender_id: MemberId,
    /// The chain iteration whose message key encrypted the message (field 3).
    pub iteration: u32,
    /// The AES-GCM nonce (field 4).
    pub nonce: [u8; AEAD_NONCE_BYTES],
    /// The AES-GCM ciphertext, tag included (field 5).
    pub ciphertext: Vec<u8>,
    /// The sender key's Ed25519 signature over `ciphertext` only (field 6).
    pub signature: [u8; SIGNATURE_BYTES],
}

impl P2pGroupMessage {
    /// Serializes the message as the sketch's protobuf.
    pub fn encode(&self) -> Vec<u8> {
        self.encode_with(&self.nonce, &self.ciphertext)
    }

    /// Serializes the message with other nonce and ciphertext bytes, of any length — which the typed message
    /// cannot hold. For crafting malformed inputs (re-split attacks, tests); the result only parses if the
    /// lengths happen to be valid.
    pub fn encode_with(&self, nonce: &[u8], ciphertext: &[u8]) -> Vec<u8> {
        RawGroupMessage {
            group_id: self.group_id.as_str().to_owned(),
            sender_id: self.sender_id.as_str().to_owned(),
            iteration: self.iteration,
            nonce: nonce.to_vec(),
            ciphertext: ciphertext.to_vec(),
            signature: self.signature.to_vec(),
        }
        .encode_to_vec()
    }

    /// Parses and validates a message.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let raw: RawGroupMessage = decode(WHAT_MESSAGE, bytes)?;
        check_aead_ciphertext(WHAT_MESSAGE, &raw.ciphertext)?;
        Ok(P2pGroupMessage {
            group_id: group_id(WHAT_MESSAGE, "group_id", raw.group_id)?,
            sender_id: member_id(WHAT_MESSAGE, "sender_id", raw.sender_id)?,
            iteration: raw.iteration,
            nonce: fixed(WHAT_MESSAGE, "nonce", &raw.nonce)?,
            signature: fixed(WHAT_MESSAGE, "signature", &raw.signature)?,
            ciphertext: raw.ciphertext,
        })
    }
}

/// A sender key distribution (the sketch's `SenderKeyDistribution`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P2pDistribution {
    /// The group the sender key is for (field 1).
    pub group_id: GroupId,
    /// The sender whose key this is (field 2).
    pub sender_id: MemberId,
    /// A [`P2pSenderKeyRecord`] encrypted to the recipient under a pairwise ECDH key (field 3); non-empty.
    pub encrypted_sender_key: Vec<u8>,
    /// The sender's identity-key signature over `encrypted_sender_key` (field 4).
    pub signature: [u8; SIGNATURE_BYTES],
}

impl P2pDistribution {
    /// Serializes the distribution as the sketch's protobuf.
    pub fn encode(&self) -> Vec<u8> {
        RawDistribution {
            group_id: self.group_id.as_str().to_owned(),
            sender_id: self.sender_id.as_str().to_owned(),
            encrypted_sender_key: self.encrypted_sender_key.clone(),
            signature: self.signature.to_vec(),
        }
        .encode_to_vec()
    }

    /// Parses and validates a distribution.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let raw: RawDistribution = decode(WHAT_DISTRIBUTION, bytes)?;
        let key_len = raw.encrypted_sender_key.len();
        if key_len == 0 {
            return Err(PeerMisbehaved::BadLength {
                what: WHAT_DISTRIBUTION,
                field: "encrypted_sender_key",
                expected: 1,
                actual: 0,
            }
            .into());
        }
        if key_len > WIRE_BYTES_MAX {
            return Err(PeerMisbehaved::TooLarge {
                what: WHAT_DISTRIBUTION,
                actual: key_len,
                limit: WIRE_BYTES_MAX,
            }
            .into());
        }
        Ok(P2pDistribution {
            group_id: group_id(WHAT_DISTRIBUTION, "group_id", raw.group_id)?,
            sender_id: member_id(WHAT_DISTRIBUTION, "sender_id", raw.sender_id)?,
            signature: fixed(WHAT_DISTRIBUTION, "signature", &raw.signature)?,
            encrypted_sender_key: raw.encrypted_sender_key,
        })
    }
}

/// A request for a member's sender key (the sketch's `SenderKeyRequest`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P2pSenderKeyRequest {
    /// The group (field 1).
    pub group_id: GroupId,
    /// The member whose sender key is requested (field 2).
    pub requested_sender_id: MemberId,
}

impl P2pSenderKeyRequest {
    /// Serializes the request as the sketch's protobuf.
    pub fn encode(&self) -> Vec<u8> {
        RawRequest {
            group_id: self.group_id.as_str().to_owned(),
            requested_sender_id: self.requested_sender_id.as_str().to_owned(),
        }
        .encode_to_vec()
    }

    /// Parses and validates a request.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let raw: RawRequest = decode(WHAT_REQUEST, bytes)?;
        Ok(P2pSenderKeyRequest {
            group_id: group_id(WHAT_REQUEST, "group_id", raw.group_id)?,
            requested_sender_id: member_id(WHAT_REQUEST, "requested_sender_id", raw.requested_sender_id)?,
        })
    }
}

/// The plaintext inside [`P2pDistribution::encrypted_sender_key`]: the sketch's `SenderKey`.
///
/// The sketch serializes its `SenderKey` without saying how. This protobuf and its field numbers
/// (`bytes chain_key = 1; bytes signing_public_key = 2; uint32 iteration = 3;`) are this project's choice.
/// `Debug` never prints the chain key.
#[derive(Clone, PartialEq, Eq)]
pub struct P2pSenderKeyRecord {
    /// The chain key at `iteration` (field 1).
    pub chain_key: [u8; CHAIN_KEY_BYTES],
    /// The sender key's Ed25519 public key (field 2).
    pub signing_public_key: [u8; SIGNING_PUBLIC_KEY_BYTES],
    /// The iteration the chain key is at (field 3).
    pub iteration: u32,
}

/// The chain key is a secret: it is wiped when the value is dropped (copies made by encoding are the caller's).
impl Drop for P2pSenderKeyRecord {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.chain_key);
    }
}

impl P2pSenderKeyRecord {
    /// Serializes the record as protobuf.
    pub fn encode(&self) -> Vec<u8> {
        RawRecord {
            chain_key: self.chain_key.to_vec(),
            signing_public_key: self.signing_public_key.to_vec(),
            iteration: self.iteration,
        }
        .encode_to_vec()
    }

    /// Parses and validates a record.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let raw: RawRecord = decode(WHAT_RECORD, bytes)?;
        Ok(P2pSenderKeyRecord {
            chain_key: fixed(WHAT_RECORD, "chain_key", &raw.chain_key)?,
            signing_public_key: fixed(WHAT_RECORD, "signing_public_key", &raw.signing_public_key)?,
            iteration: raw.iteration,
        })
    }
}

impl fmt::Debug for P2pSenderKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("P2pSenderKeyRecord")
            .field("chain_key", &format_args!("<redacted>"))
            .field(
                "signing_public_key",
                &format_args!("{}", hex::encode(self.signing_public_key)),
            )
            .field("iteration", &self.iteration)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::Index;
    use proptest::test_runner::{Config, RngSeed};

    use super::*;
    use crate::consts::AEAD_TAG_BYTES;

    fn config(seed: u64) -> Config {
        Config {
            cases: 256,
            rng_seed: RngSeed::Fixed(seed),
            failure_persistence: None,
            ..Config::default()
        }
    }

    fn example_message() -> P2pGroupMessage {
        P2pGroupMessage {
            group_id: GroupId::new("g1").unwrap(),
            sender_id: MemberId::new("alice").unwrap(),
            iteration: 7,
            nonce: [0x11; AEAD_NONCE_BYTES],
            ciphertext: vec![0xcc; AEAD_TAG_BYTES],
            signature: [0x55; SIGNATURE_BYTES],
        }
    }

    fn example_distribution() -> P2pDistribution {
        P2pDistribution {
            group_id: GroupId::new("g1").unwrap(),
            sender_id: MemberId::new("bob").unwrap(),
            encrypted_sender_key: vec![0xee; 3],
            signature: [0x66; SIGNATURE_BYTES],
        }
    }

    fn raw_message() -> RawGroupMessage {
        RawGroupMessage::decode(example_message().encode().as_slice()).unwrap()
    }

    #[test]
    fn group_message_exact_bytes() {
        let expected = format!(
            "0a0267311205616c6963651807220c{}2a10{}3240{}",
            "11".repeat(12),
            "cc".repeat(16),
            "55".repeat(64)
        );
        let bytes = example_message().encode();
        assert_eq!(hex::encode(&bytes), expected);
        assert_eq!(P2pGroupMessage::parse(&bytes).unwrap(), example_message());
    }

    #[test]
    fn distribution_exact_bytes() {
        let expected = format!("0a0267311203626f621a03eeeeee2240{}", "66".repeat(64));
        let bytes = example_distribution().encode();
        assert_eq!(hex::encode(&bytes), expected);
        assert_eq!(P2pDistribution::parse(&bytes).unwrap(), example_distribution());
    }

    #[test]
    fn request_exact_bytes() {
        let request = P2pSenderKeyRequest {
            group_id: GroupId::new("g1").unwrap(),
            requested_sender_id: MemberId::new("carol").unwrap(),
        };
        let bytes = request.encode();
        assert_eq!(hex::encode(&bytes), "0a02673112056361726f6c");
        assert_eq!(P2pSenderKeyRequest::parse(&bytes).unwrap(), request);
    }

    #[test]
    fn record_exact_bytes_and_redacted_debug() {
        let record = P2pSenderKeyRecord {
            chain_key: [0xab; CHAIN_KEY_BYTES],
            signing_public_key: [0x01; 32],
            iteration: 300,
        };
        let expected = format!("0a20{}1220{}18ac02", "ab".repeat(32), "01".repeat(32));
        let bytes = record.encode();
        assert_eq!(hex::encode(&bytes), expected);
        assert_eq!(P2pSenderKeyRecord::parse(&bytes).unwrap(), record);
        let debug = format!("{record:?}");
        assert!(debug.contains("<redacted>") && !debug.contains("abab"), "{debug}");
    }

    #[test]
    fn record_iteration_zero_is_omitted_and_reads_back() {
        let record = P2pSenderKeyRecord {
            chain_key: [2; 32],
            signing_public_key: [3; 32],
            iteration: 0,
        };
        let bytes = record.encode();
        assert_eq!(bytes.len(), 2 * (2 + 32));
        assert_eq!(P2pSenderKeyRecord::parse(&bytes).unwrap(), record);
    }

    #[test]
    fn rejects_eleven_byte_nonce() {
        let raw = RawGroupMessage {
            nonce: vec![0; 11],
            ..raw_message()
        };
        let err = P2pGroupMessage::parse(&raw.encode_to_vec()).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "nonce",
                expected: AEAD_NONCE_BYTES,
                actual: 11
            })
        );
    }

    #[test]
    fn rejects_sixty_three_byte_signature() {
        let raw = RawGroupMessage {
            signature: vec![0; 63],
            ..raw_message()
        };
        let err = P2pGroupMessage::parse(&raw.encode_to_vec()).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "signature",
                expected: SIGNATURE_BYTES,
                actual: 63
            })
        );
        let raw = RawDistribution {
            signature: vec![0; 63],
            ..Default::default()
        };
        let dist = RawDistribution {
            group_id: "g".into(),
            sender_id: "s".into(),
            encrypted_sender_key: vec![1],
            ..raw
        };
        let err = P2pDistribution::parse(&dist.encode_to_vec()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                    field: "signature",
                    actual: 63,
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_short_ciphertext() {
        let raw = RawGroupMessage {
            ciphertext: vec![0; AEAD_TAG_BYTES - 1],
            ..raw_message()
        };
        let err = P2pGroupMessage::parse(&raw.encode_to_vec()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                    field: "ciphertext",
                    ..
                })
            ),
            "{err:?}"
        );
    }

    fn assert_malformed_field(err: &Error, what: &str, field: &str) {
        match err {
            Error::PeerMisbehaved(PeerMisbehaved::Malformed { what: w, detail }) => {
                assert_eq!(*w, what);
                assert!(detail.contains(&format!("`{field}`")), "{detail}");
            }
            other => panic!("expected Malformed naming {field}, got {other:?}"),
        }
    }

    #[test]
    fn rejects_empty_ids() {
        let raw = RawGroupMessage {
            group_id: String::new(),
            ..raw_message()
        };
        let err = P2pGroupMessage::parse(&raw.encode_to_vec()).unwrap_err();
        assert_malformed_field(&err, WHAT_MESSAGE, "group_id");
        let raw = RawGroupMessage {
            sender_id: String::new(),
            ..raw_message()
        };
        let err = P2pGroupMessage::parse(&raw.encode_to_vec()).unwrap_err();
        assert_malformed_field(&err, WHAT_MESSAGE, "sender_id");
        let request = RawRequest {
            group_id: "g".into(),
            requested_sender_id: String::new(),
        };
        let err = P2pSenderKeyRequest::parse(&request.encode_to_vec()).unwrap_err();
        assert_malformed_field(&err, WHAT_REQUEST, "requested_sender_id");
    }

    #[test]
    fn rejects_bad_utf8_and_control_characters_in_ids() {
        // Field 1 (string) holding 0xff: not UTF-8, refused by the protobuf decoder.
        let err = P2pSenderKeyRequest::parse(&[0x0a, 0x01, 0xff, 0x12, 0x01, b'a']).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::Malformed {
                    what: WHAT_REQUEST,
                    ..
                })
            ),
            "{err:?}"
        );
        let request = RawRequest {
            group_id: "a\nb".into(),
            requested_sender_id: "c".into(),
        };
        let err = P2pSenderKeyRequest::parse(&request.encode_to_vec()).unwrap_err();
        assert_malformed_field(&err, WHAT_REQUEST, "group_id");
    }

    #[test]
    fn rejects_empty_encrypted_sender_key() {
        let raw = RawDistribution {
            group_id: "g1".into(),
            sender_id: "bob".into(),
            encrypted_sender_key: Vec::new(),
            signature: vec![0; SIGNATURE_BYTES],
        };
        let err = P2pDistribution::parse(&raw.encode_to_vec()).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: WHAT_DISTRIBUTION,
                field: "encrypted_sender_key",
                expected: 1,
                actual: 0
            })
        );
    }

    #[test]
    fn rejects_wrong_record_key_lengths() {
        let raw = RawRecord {
            chain_key: vec![0; 31],
            signing_public_key: vec![0; 32],
            iteration: 1,
        };
        let err = P2pSenderKeyRecord::parse(&raw.encode_to_vec()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                    field: "chain_key",
                    actual: 31,
                    ..
                })
            ),
            "{err:?}"
        );
        let raw = RawRecord {
            chain_key: vec![0; 32],
            signing_public_key: vec![0; 33],
            iteration: 1,
        };
        let err = P2pSenderKeyRecord::parse(&raw.encode_to_vec()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                    field: "signing_public_key",
                    actual: 33,
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_oversized_input_before_parsing() {
        let big = vec![0u8; WIRE_BYTES_MAX + 1];
        let too_large = |e: Error, what: &'static str| {
            assert_eq!(
                e,
                Error::PeerMisbehaved(PeerMisbehaved::TooLarge {
                    what,
                    actual: WIRE_BYTES_MAX + 1,
                    limit: WIRE_BYTES_MAX
                })
            )
        };
        too_large(P2pGroupMessage::parse(&big).unwrap_err(), WHAT_MESSAGE);
        too_large(P2pDistribution::parse(&big).unwrap_err(), WHAT_DISTRIBUTION);
        too_large(P2pSenderKeyRequest::parse(&big).unwrap_err(), WHAT_REQUEST);
        too_large(P2pSenderKeyRecord::parse(&big).unwrap_err(), WHAT_RECORD);
    }

    fn group_ids() -> impl Strategy<Value = GroupId> {
        "\\PC{1,32}".prop_filter_map("valid group id", |s| GroupId::new(s).ok())
    }

    fn member_ids() -> impl Strategy<Value = MemberId> {
        "\\PC{1,32}".prop_filter_map("valid member id", |s| MemberId::new(s).ok())
    }

    fn messages() -> impl Strategy<Value = P2pGroupMessage> {
        let ct = prop::collection::vec(any::<u8>(), AEAD_TAG_BYTES..200);
        (
            group_ids(),
            member_ids(),
            any::<u32>(),
            any::<[u8; 12]>(),
            ct,
            prop::array::uniform(any::<u8>()),
        )
            .prop_map(|(group_id, sender_id, iteration, nonce, ciphertext, signature)| {
                P2pGroupMessage {
                    group_id,
                    sender_id,
                    iteration,
                    nonce,
                    ciphertext,
                    signature,
                }
            })
    }

    fn distributions() -> impl Strategy<Value = P2pDistribution> {
        let key = prop::collection::vec(any::<u8>(), 1..200);
        (group_ids(), member_ids(), key, prop::array::uniform(any::<u8>())).prop_map(
            |(group_id, sender_id, encrypted_sender_key, signature)| P2pDistribution {
                group_id,
                sender_id,
                encrypted_sender_key,
                signature,
            },
        )
    }

    fn requests() -> impl Strategy<Value = P2pSenderKeyRequest> {
        (group_ids(), member_ids()).prop_map(|(group_id, requested_sender_id)| P2pSenderKeyRequest {
            group_id,
            requested_sender_id,
        })
    }

    fn records() -> impl Strategy<Value = P2pSenderKeyRecord> {
        (any::<[u8; 32]>(), any::<[u8; 32]>(), any::<u32>()).prop_map(
            |(chain_key, signing_public_key, iteration)| P2pSenderKeyRecord {
                chain_key,
                signing_public_key,
                iteration,
            },
        )
    }

    /// Every encoding this module produces, for the mutation tests.
    fn encodings() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            messages().prop_map(|m| m.encode()),
            distributions().prop_map(|d| d.encode()),
            requests().prop_map(|r| r.encode()),
            records().prop_map(|r| r.encode()),
        ]
    }

    /// Runs every parser; only the absence of a panic matters.
    fn parse_all(bytes: &[u8]) {
        let _ = P2pGroupMessage::parse(bytes);
        let _ = P2pDistribution::parse(bytes);
        let _ = P2pSenderKeyRequest::parse(bytes);
        let _ = P2pSenderKeyRecord::parse(bytes);
    }

    proptest! {
        #![proptest_config(config(0x5032_5001))]

        #[test]
        fn message_round_trips(m in messages()) {
            prop_assert_eq!(P2pGroupMessage::parse(&m.encode())?, m);
        }

        #[test]
        fn distribution_round_trips(d in distributions()) {
            prop_assert_eq!(P2pDistribution::parse(&d.encode())?, d);
        }

        #[test]
        fn request_round_trips(r in requests()) {
            prop_assert_eq!(P2pSenderKeyRequest::parse(&r.encode())?, r);
        }

        #[test]
        fn record_round_trips(r in records()) {
            prop_assert_eq!(P2pSenderKeyRecord::parse(&r.encode())?, r);
        }

        #[test]
        fn parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            parse_all(&bytes);
        }

        #[test]
        fn parsers_never_panic_on_flips_and_truncations(
            b in encodings(),
            at in any::<Index>(),
            flip in 1u8..,
        ) {
            let mut flipped = b.clone();
            let i = at.index(flipped.len());
            if let Some(byte) = flipped.get_mut(i) {
                *byte ^= flip;
            }
            parse_all(&flipped);
            parse_all(b.get(..i).unwrap_or_default());
        }
    }
}
