//! libsignal's sender-key wire formats (`rust/protocol/src/proto/wire.proto`, `protocol.rs`).
//!
//! - A message is `[version byte][SenderKeyMessage protobuf][64-byte signature]`; the signature covers
//!   everything before it ([`SignalMessage::encode_unsigned`]).
//! - A distribution is `[version byte][SenderKeyDistributionMessage protobuf]`, unsigned: it travels inside a
//!   pairwise-encrypted session.
//!
//! The protobufs are proto2 with every field `optional`:
//! `SenderKeyMessage { bytes distribution_uuid = 1; uint32 chain_id = 2; uint32 iteration = 3;
//! bytes ciphertext = 4; }` and `SenderKeyDistributionMessage { bytes distribution_uuid = 1;
//! uint32 chain_id = 2; uint32 iteration = 3; bytes chain_key = 4; bytes signing_key = 5; }`. As in
//! libsignal, every field is required in practice: a missing one is [`PeerMisbehaved::Malformed`] naming it.
//!
//! The version byte is `(3 << 4) | 3`. Like libsignal, the parser reads the message version from the high
//! nibble only: any other high nibble is [`PeerMisbehaved::UnsupportedVersion`]; the low nibble (the sender's
//! "current version") is not checked.
//!
//! Differences from libsignal, by design of this project:
//! - libsignal's signing key is a 33-byte Curve25519 key (type byte `0x05` ‖ 32 bytes) and messages are
//!   signed with XEdDSA. This project models it with a 32-byte Ed25519 public key and an Ed25519 signature
//!   of the same 64 bytes.
//! - The ciphertext (AES-256-CBC with PKCS#7 padding) is checked at parse time to be a non-empty multiple of
//!   the AES block and at most [`CIPHERTEXT_BYTES_MAX`](crate::consts::CIPHERTEXT_BYTES_MAX); libsignal
//!   only finds out when decrypting.
//!
//! `encode(parse(b)) == b` holds for every `b` this crate (or libsignal, which also writes the fields in tag
//! order with minimal varints) produced. Protobuf in general is not canonical (unknown fields are skipped),
//! so a message with extra fields parses but its re-encoding differs, and a signature checked over
//! [`SignalMessage::encode_unsigned`] then fails: such messages are rejected, never misread.

use core::fmt;

use crate::consts::{
    AES_BLOCK_BYTES, CHAIN_KEY_BYTES, DISTRIBUTION_ID_BYTES, SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES,
};
use crate::error::{Error, PeerMisbehaved, Result};
use crate::wire::{check_ciphertext_max, check_wire_size, fixed};

/// The sender-key message version this crate speaks (libsignal `SENDERKEY_MESSAGE_CURRENT_VERSION`).
pub const SIGNAL_VERSION: u8 = 3;

/// The version byte written in front of every message and distribution: `(version << 4) | version`.
pub const SIGNAL_VERSION_BYTE: u8 = (SIGNAL_VERSION << 4) | SIGNAL_VERSION;

const WHAT_MESSAGE: &str = "signal message";
const WHAT_DISTRIBUTION: &str = "signal distribution";

/// libsignal's `SenderKeyMessage`, as it travels.
#[derive(Clone, PartialEq, prost::Message)]
struct RawMessage {
    #[prost(bytes = "vec", optional, tag = "1")]
    distribution_uuid: Option<Vec<u8>>,
    #[prost(uint32, optional, tag = "2")]
    chain_id: Option<u32>,
    #[prost(uint32, optional, tag = "3")]
    iteration: Option<u32>,
    #[prost(bytes = "vec", optional, tag = "4")]
    ciphertext: Option<Vec<u8>>,
}

/// libsignal's `SenderKeyDistributionMessage`, as it travels.
#[derive(Clone, PartialEq, prost::Message)]
#[prost(skip_debug)]
struct RawDistribution {
    #[prost(bytes = "vec", optional, tag = "1")]
    distribution_uuid: Option<Vec<u8>>,
    #[prost(uint32, optional, tag = "2")]
    chain_id: Option<u32>,
    #[prost(uint32, optional, tag = "3")]
    iteration: Option<u32>,
    #[prost(bytes = "vec", optional, tag = "4")]
    chain_key: Option<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "5")]
    signing_key: Option<Vec<u8>>,
}

impl fmt::Debug for RawDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawDistribution(<redacted>)")
    }
}

/// A required field, or [`PeerMisbehaved::Malformed`] naming it.
fn required<T>(what: &'static str, field: &'static str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| Error::malformed(what, format!("missing field `{field}`")))
}

/// Splits off and checks the version byte.
fn split_version<'a>(what: &'static str, bytes: &'a [u8]) -> Result<&'a [u8]> {
    let Some((&version, rest)) = bytes.split_first() else {
        return Err(PeerMisbehaved::BadLength {
            what,
            field: "version",
            expected: 1,
            actual: 0,
        }
        .into());
    };
    let major = version >> 4;
    if major != SIGNAL_VERSION {
        return Err(PeerMisbehaved::UnsupportedVersion {
            what,
            version: u32::from(major),
            supported: u32::from(SIGNAL_VERSION),
        }
        .into());
    }
    Ok(rest)
}

/// Decodes the protobuf, naming the message on failure.
fn decode<M: prost::Message + Default>(what: &'static str, bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(|e| Error::malformed(what, format!("invalid protobuf: {e}")))
}

/// Prepends the version byte to a protobuf.
fn with_version(message: &impl prost::Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + message.encoded_len());
    out.push(SIGNAL_VERSION_BYTE);
    message.encode_raw(&mut out);
    out
}

/// Checks an AES-256-CBC ciphertext: a non-empty multiple of the block, at most
/// [`CIPHERTEXT_BYTES_MAX`](crate::consts::CIPHERTEXT_BYTES_MAX).
fn check_cbc_ciphertext(ciphertext: &[u8]) -> Result<()> {
    let len = ciphertext.len();
    if len < AES_BLOCK_BYTES {
        return Err(PeerMisbehaved::BadLength {
            what: WHAT_MESSAGE,
            field: "ciphertext",
            expected: AES_BLOCK_BYTES,
            actual: len,
        }
        .into());
    }
    if !len.is_multiple_of(AES_BLOCK_BYTES) {
        return Err(Error::malformed(
            WHAT_MESSAGE,
            format!("field `ciphertext` is {len} bytes, not a multiple of the AES block ({AES_BLOCK_BYTES})"),
        ));
    }
    check_ciphertext_max(WHAT_MESSAGE, ciphertext)
}

/// A sender-key message (libsignal `SenderKeyMessage`), with its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalMessage {
    /// The distribution (group) id, a UUID (field 1).
    pub distribution_id: [u8; DISTRIBUTION_ID_BYTES],
    /// The random id of the sender's chain (field 2).
    pub chain_id: u32,
    /// The chain iteration whose message key encrypted the message (field 3).
    pub iteration: u32,
    /// The AES-256-CBC ciphertext, PKCS#7-padded (field 4).
    pub ciphertext: Vec<u8>,
    /// The signature over [`SignalMessage::encode_unsigned`].
    pub signature: [u8; SIGNATURE_BYTES],
}

impl SignalMessage {
    /// The version byte followed by the protobuf: exactly the bytes the signature covers.
    pub fn encode_unsigned(&self) -> Vec<u8> {
        with_version(&RawMessage {
            distribution_uuid: Some(self.distribution_id.to_vec()),
            chain_id: Some(self.chain_id),
            iteration: Some(self.iteration),
            ciphertext: Some(self.ciphertext.clone()),
        })
    }

    /// The whole message: [`SignalMessage::encode_unsigned`] followed by the signature.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.encode_unsigned();
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses and validates a message.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_wire_size(WHAT_MESSAGE, bytes)?;
        let rest = split_version(WHAT_MESSAGE, bytes)?;
        let Some((body, signature)) = rest.split_last_chunk::<SIGNATURE_BYTES>() else {
            return Err(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "signature",
                expected: SIGNATURE_BYTES,
                actual: rest.len(),
            }
            .into());
        };
        let raw: RawMessage = decode(WHAT_MESSAGE, body)?;
        let distribution_uuid = required(WHAT_MESSAGE, "distribution_uuid", raw.distribution_uuid)?;
        let ciphertext = required(WHAT_MESSAGE, "ciphertext", raw.ciphertext)?;
        let message = SignalMessage {
            distribution_id: fixed(WHAT_MESSAGE, "distribution_uuid", &distribution_uuid)?,
            chain_id: required(WHAT_MESSAGE, "chain_id", raw.chain_id)?,
            iteration: required(WHAT_MESSAGE, "iteration", raw.iteration)?,
            signature: *signature,
            ciphertext,
        };
        check_cbc_ciphertext(&message.ciphertext)?;
        Ok(message)
    }
}

/// A sender-key distribution (libsignal `SenderKeyDistributionMessage`). `Debug` never prints the chain key.
#[derive(Clone, PartialEq, Eq)]
pub struct SignalDistribution {
    /// The distribution (group) id, a UUID (field 1).
    pub distribution_id: [u8; DISTRIBUTION_ID_BYTES],
    /// The random id of the sender's chain (field 2).
    pub chain_id: u32,
    /// The iteration `chain_key` is at (field 3).
    pub iteration: u32,
    /// The chain key at `iteration` (field 4).
    pub chain_key: [u8; CHAIN_KEY_BYTES],
    /// The chain's signing public key (field 5): 32-byte Ed25519 here, 33-byte Curve25519 in libsignal.
    pub signing_key: [u8; SIGNING_PUBLIC_KEY_BYTES],
}

/// The chain key is a secret: it is wiped when the value is dropped (copies made by encoding are the caller's).
impl Drop for SignalDistribution {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.chain_key);
    }
}

impl SignalDistribution {
    /// The version byte followed by the protobuf.
    pub fn encode(&self) -> Vec<u8> {
        with_version(&RawDistribution {
            distribution_uuid: Some(self.distribution_id.to_vec()),
            chain_id: Some(self.chain_id),
            iteration: Some(self.iteration),
            chain_key: Some(self.chain_key.to_vec()),
            signing_key: Some(self.signing_key.to_vec()),
        })
    }

    /// Parses and validates a distribution.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        const W: &str = WHAT_DISTRIBUTION;
        check_wire_size(W, bytes)?;
        let raw: RawDistribution = decode(W, split_version(W, bytes)?)?;
        let distribution_uuid = required(W, "distribution_uuid", raw.distribution_uuid)?;
        let chain_key = required(W, "chain_key", raw.chain_key)?;
        let signing_key = required(W, "signing_key", raw.signing_key)?;
        Ok(SignalDistribution {
            distribution_id: fixed(W, "distribution_uuid", &distribution_uuid)?,
            chain_id: required(W, "chain_id", raw.chain_id)?,
            iteration: required(W, "iteration", raw.iteration)?,
            chain_key: fixed(W, "chain_key", &chain_key)?,
            signing_key: fixed(W, "signing_key", &signing_key)?,
        })
    }
}

impl fmt::Debug for SignalDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalDistribution")
            .field(
                "distribution_id",
                &format_args!("{}", hex::encode(self.distribution_id)),
            )
            .field("chain_id", &self.chain_id)
            .field("iteration", &self.iteration)
            .field("chain_key", &format_args!("<redacted>"))
            .field("signing_key", &format_args!("{}", hex::encode(self.signing_key)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::Index;
    use proptest::test_runner::{Config, RngSeed};

    use super::*;
    use crate::consts::{CIPHERTEXT_BYTES_MAX, WIRE_BYTES_MAX};

    fn config(seed: u64) -> Config {
        Config {
            cases: 256,
            rng_seed: RngSeed::Fixed(seed),
            failure_persistence: None,
            ..Config::default()
        }
    }

    fn example_message() -> SignalMessage {
        SignalMessage {
            distribution_id: [0xd1; DISTRIBUTION_ID_BYTES],
            chain_id: 42,
            iteration: 300,
            ciphertext: vec![0xcc; AES_BLOCK_BYTES],
            signature: [0x55; SIGNATURE_BYTES],
        }
    }

    fn example_distribution() -> SignalDistribution {
        SignalDistribution {
            distribution_id: [0xd1; DISTRIBUTION_ID_BYTES],
            chain_id: 42,
            iteration: 0,
            chain_key: [0xab; CHAIN_KEY_BYTES],
            signing_key: [0x01; SIGNING_PUBLIC_KEY_BYTES],
        }
    }

    /// The example message with its protobuf replaced, signature kept.
    fn with_body(raw: &RawMessage) -> Vec<u8> {
        let mut bytes = with_version(raw);
        bytes.extend_from_slice(&[0x55; SIGNATURE_BYTES]);
        bytes
    }

    fn raw_message() -> RawMessage {
        RawMessage {
            distribution_uuid: Some(vec![0xd1; DISTRIBUTION_ID_BYTES]),
            chain_id: Some(42),
            iteration: Some(300),
            ciphertext: Some(vec![0xcc; AES_BLOCK_BYTES]),
        }
    }

    #[test]
    fn message_exact_bytes() {
        let unsigned = format!("330a10{}102a18ac022210{}", "d1".repeat(16), "cc".repeat(16));
        let message = example_message();
        assert_eq!(hex::encode(message.encode_unsigned()), unsigned);
        let bytes = message.encode();
        assert_eq!(hex::encode(&bytes), format!("{unsigned}{}", "55".repeat(64)));
        assert_eq!(SignalMessage::parse(&bytes).unwrap(), message);
        assert_eq!(with_body(&raw_message()), bytes);
    }

    #[test]
    fn distribution_exact_bytes_and_redacted_debug() {
        // Proto2 `optional`: iteration 0 is still written (field 3 = 0x18 0x00).
        let expected = format!(
            "330a10{}102a18002220{}2a20{}",
            "d1".repeat(16),
            "ab".repeat(32),
            "01".repeat(32)
        );
        let bytes = example_distribution().encode();
        assert_eq!(hex::encode(&bytes), expected);
        assert_eq!(SignalDistribution::parse(&bytes).unwrap(), example_distribution());
        let debug = format!("{:?}", example_distribution());
        assert!(debug.contains("<redacted>") && !debug.contains("abab"), "{debug}");
    }

    #[test]
    fn rejects_other_versions() {
        for (byte, version) in [(0x23u8, 2u32), (0x43, 4), (0x03, 0), (0xf3, 15)] {
            let mut bytes = example_message().encode();
            bytes[0] = byte;
            let expected = Error::PeerMisbehaved(PeerMisbehaved::UnsupportedVersion {
                what: WHAT_MESSAGE,
                version,
                supported: 3,
            });
            assert_eq!(SignalMessage::parse(&bytes).unwrap_err(), expected);
            let mut bytes = example_distribution().encode();
            bytes[0] = byte;
            let expected = Error::PeerMisbehaved(PeerMisbehaved::UnsupportedVersion {
                what: WHAT_DISTRIBUTION,
                version,
                supported: 3,
            });
            assert_eq!(SignalDistribution::parse(&bytes).unwrap_err(), expected);
        }
    }

    #[test]
    fn low_nibble_is_ignored_like_libsignal() {
        let mut bytes = example_message().encode();
        bytes[0] = 0x34;
        assert_eq!(SignalMessage::parse(&bytes).unwrap(), example_message());
    }

    fn assert_missing(err: &Error, what: &'static str, field: &str) {
        assert_eq!(
            *err,
            Error::PeerMisbehaved(PeerMisbehaved::Malformed {
                what,
                detail: format!("missing field `{field}`")
            })
        );
    }

    #[test]
    fn rejects_missing_fields() {
        let raw = RawMessage {
            chain_id: None,
            ..raw_message()
        };
        assert_missing(
            &SignalMessage::parse(&with_body(&raw)).unwrap_err(),
            WHAT_MESSAGE,
            "chain_id",
        );
        let raw = RawMessage {
            distribution_uuid: None,
            ..raw_message()
        };
        let err = SignalMessage::parse(&with_body(&raw)).unwrap_err();
        assert_missing(&err, WHAT_MESSAGE, "distribution_uuid");
        let raw = RawMessage {
            iteration: None,
            ..raw_message()
        };
        assert_missing(
            &SignalMessage::parse(&with_body(&raw)).unwrap_err(),
            WHAT_MESSAGE,
            "iteration",
        );
        let raw = RawMessage {
            ciphertext: None,
            ..raw_message()
        };
        assert_missing(
            &SignalMessage::parse(&with_body(&raw)).unwrap_err(),
            WHAT_MESSAGE,
            "ciphertext",
        );
        let d = example_distribution();
        let raw = RawDistribution {
            distribution_uuid: Some(d.distribution_id.to_vec()),
            chain_id: None,
            iteration: Some(1),
            chain_key: Some(d.chain_key.to_vec()),
            signing_key: Some(d.signing_key.to_vec()),
        };
        let err = SignalDistribution::parse(&with_version(&raw)).unwrap_err();
        assert_missing(&err, WHAT_DISTRIBUTION, "chain_id");
        let raw = RawDistribution {
            chain_id: Some(1),
            signing_key: None,
            ..raw
        };
        let err = SignalDistribution::parse(&with_version(&raw)).unwrap_err();
        assert_missing(&err, WHAT_DISTRIBUTION, "signing_key");
    }

    #[test]
    fn rejects_ciphertext_not_a_block_multiple() {
        let raw = RawMessage {
            ciphertext: Some(vec![0; 15]),
            ..raw_message()
        };
        let err = SignalMessage::parse(&with_body(&raw)).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "ciphertext",
                expected: 16,
                actual: 15
            })
        );
        let raw = RawMessage {
            ciphertext: Some(vec![0; 17]),
            ..raw_message()
        };
        let err = SignalMessage::parse(&with_body(&raw)).unwrap_err();
        let detail = "field `ciphertext` is 17 bytes, not a multiple of the AES block (16)";
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::Malformed {
                what: WHAT_MESSAGE,
                detail: detail.to_owned()
            })
        );
        let raw = RawMessage {
            ciphertext: Some(Vec::new()),
            ..raw_message()
        };
        let err = SignalMessage::parse(&with_body(&raw)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                    field: "ciphertext",
                    actual: 0,
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_oversized_ciphertext() {
        let raw = RawMessage {
            ciphertext: Some(vec![0; CIPHERTEXT_BYTES_MAX + AES_BLOCK_BYTES]),
            ..raw_message()
        };
        let err = SignalMessage::parse(&with_body(&raw)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::TooLarge {
                    what: WHAT_MESSAGE,
                    limit: CIPHERTEXT_BYTES_MAX,
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_short_inputs() {
        let mut short = vec![SIGNAL_VERSION_BYTE];
        short.extend_from_slice(&[0; SIGNATURE_BYTES - 1]);
        assert_eq!(short.len(), 64);
        let err = SignalMessage::parse(&short).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "signature",
                expected: SIGNATURE_BYTES,
                actual: 63
            })
        );
        let err = SignalMessage::parse(&[]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                    field: "version",
                    actual: 0,
                    ..
                })
            ),
            "{err:?}"
        );
        let err = SignalDistribution::parse(&[]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                    field: "version",
                    actual: 0,
                    ..
                })
            ),
            "{err:?}"
        );
        // Exactly a version byte and a signature: an empty protobuf, whose first missing field is named.
        let mut bare = vec![SIGNAL_VERSION_BYTE];
        bare.extend_from_slice(&[0; SIGNATURE_BYTES]);
        assert_missing(
            &SignalMessage::parse(&bare).unwrap_err(),
            WHAT_MESSAGE,
            "distribution_uuid",
        );
    }

    #[test]
    fn rejects_wrong_key_lengths() {
        let d = example_distribution();
        let raw = RawDistribution {
            distribution_uuid: Some(d.distribution_id.to_vec()),
            chain_id: Some(1),
            iteration: Some(1),
            chain_key: Some(d.chain_key.to_vec()),
            // libsignal's 33-byte Curve25519 key is not this project's 32-byte Ed25519 key.
            signing_key: Some([[0x05].as_slice(), &d.signing_key].concat()),
        };
        let err = SignalDistribution::parse(&with_version(&raw)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                    field: "signing_key",
                    actual: 33,
                    ..
                })
            ),
            "{err:?}"
        );
        let raw = RawMessage {
            distribution_uuid: Some(vec![0; 15]),
            ..raw_message()
        };
        let err = SignalMessage::parse(&with_body(&raw)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                    field: "distribution_uuid",
                    actual: 15,
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_oversized_input_before_parsing() {
        let big = vec![SIGNAL_VERSION_BYTE; WIRE_BYTES_MAX + 1];
        let too_large = |what| {
            Error::PeerMisbehaved(PeerMisbehaved::TooLarge {
                what,
                actual: WIRE_BYTES_MAX + 1,
                limit: WIRE_BYTES_MAX,
            })
        };
        assert_eq!(SignalMessage::parse(&big).unwrap_err(), too_large(WHAT_MESSAGE));
        assert_eq!(
            SignalDistribution::parse(&big).unwrap_err(),
            too_large(WHAT_DISTRIBUTION)
        );
    }

    fn messages() -> impl Strategy<Value = SignalMessage> {
        let ct =
            (1..=8usize).prop_flat_map(|blocks| prop::collection::vec(any::<u8>(), blocks * AES_BLOCK_BYTES));
        (
            any::<[u8; 16]>(),
            any::<u32>(),
            any::<u32>(),
            ct,
            prop::array::uniform(any::<u8>()),
        )
            .prop_map(|(distribution_id, chain_id, iteration, ciphertext, signature)| {
                SignalMessage {
                    distribution_id,
                    chain_id,
                    iteration,
                    ciphertext,
                    signature,
                }
            })
    }

    fn distributions() -> impl Strategy<Value = SignalDistribution> {
        (
            any::<[u8; 16]>(),
            any::<u32>(),
            any::<u32>(),
            any::<[u8; 32]>(),
            any::<[u8; 32]>(),
        )
            .prop_map(|(distribution_id, chain_id, iteration, chain_key, signing_key)| {
                SignalDistribution {
                    distribution_id,
                    chain_id,
                    iteration,
                    chain_key,
                    signing_key,
                }
            })
    }

    fn encodings() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            messages().prop_map(|m| m.encode()),
            distributions().prop_map(|d| d.encode())
        ]
    }

    /// Runs both parsers; only the absence of a panic matters.
    fn parse_all(bytes: &[u8]) {
        let _ = SignalMessage::parse(bytes);
        let _ = SignalDistribution::parse(bytes);
    }

    proptest! {
        #![proptest_config(config(0x5349_4701))]

        #[test]
        fn message_round_trips(m in messages()) {
            let bytes = m.encode();
            let unsigned = m.encode_unsigned();
            prop_assert_eq!(bytes.get(..bytes.len() - SIGNATURE_BYTES), Some(unsigned.as_slice()));
            let parsed = SignalMessage::parse(&bytes)?;
            prop_assert_eq!(parsed.encode(), bytes);
            prop_assert_eq!(parsed, m);
        }

        #[test]
        fn distribution_round_trips(d in distributions()) {
            let bytes = d.encode();
            let parsed = SignalDistribution::parse(&bytes)?;
            prop_assert_eq!(parsed.encode(), bytes);
            prop_assert_eq!(parsed, d);
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
