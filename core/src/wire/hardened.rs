//! The `hardened` wire format: this project's own compact binary message and distribution.
//!
//! Every integer is big-endian. Both start with the same 11-byte header:
//!
//! | bytes | field | value |
//! |---|---|---|
//! | 1 | version | [`HARDENED_VERSION`] |
//! | 1 | kind | [`KIND_MESSAGE`] or [`KIND_DISTRIBUTION`] |
//! | 1 | suite | [`SUITE_HARDENED_V1`] |
//! | 4 | key_id | the sender key's random 32-bit id |
//! | 4 | iteration | the chain iteration |
//!
//! A message continues with `nonce_len: u8` (always [`AEAD_NONCE_BYTES`]) ‖ nonce ‖ `ct_len: u32` ‖
//! ciphertext (AES-256-GCM, tag included) ‖ 64-byte Ed25519 signature over everything before it
//! ([`HardenedMessage::encode_unsigned`]). The header alone ([`HardenedMessage::header`]) is the AEAD
//! associated data. A distribution continues with the 32-byte chain key and the 32-byte Ed25519 signing
//! public key, 75 bytes in all; it carries no signature of its own, being meant to travel inside an
//! authenticated pairwise channel.
//!
//! The format is canonical: `encode(parse(b)) == b` for every `b` that parses. Each byte has exactly one
//! accepted meaning: the version, kind, suite and nonce length are fixed values, the lengths are checked
//! against the bytes actually present and trailing bytes are refused. Nor can a valid message be altered
//! undetected: the signature and the AEAD associated data both cover the whole header, and nonce and
//! ciphertext are each length-delimited, so no field can be changed, and no byte moved between nonce and
//! ciphertext, without breaking the signature.

use core::fmt;

use crate::consts::{AEAD_NONCE_BYTES, CHAIN_KEY_BYTES, SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES};
use crate::error::{Error, PeerMisbehaved, Result};
use crate::wire::{check_aead_ciphertext, check_wire_size, fixed};

/// The format version this crate writes and reads.
pub const HARDENED_VERSION: u8 = 1;

/// The kind byte of a message.
pub const KIND_MESSAGE: u8 = 0x01;

/// The kind byte of a distribution.
pub const KIND_DISTRIBUTION: u8 = 0x02;

/// The suite byte of AES-256-GCM with the `hmac-labels` chain. The byte exists so that a future cipher suite
/// is a new value, not a new format.
pub const SUITE_HARDENED_V1: u8 = 0x01;

/// Length of the header: version(1) kind(1) suite(1) key_id(4) iteration(4).
pub const HEADER_BYTES: usize = 11;

/// Length of a distribution: the header, the chain key and the signing public key.
const DISTRIBUTION_BYTES: usize = HEADER_BYTES + CHAIN_KEY_BYTES + SIGNING_PUBLIC_KEY_BYTES;

const WHAT_MESSAGE: &str = "hardened message";
const WHAT_DISTRIBUTION: &str = "hardened distribution";

/// Reads fields off the front of untrusted bytes; every read names its field and never panics.
struct Reader<'a> {
    what: &'static str,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(what: &'static str, bytes: &'a [u8]) -> Self {
        Reader { what, rest: bytes }
    }

    /// The next `n` bytes, or [`PeerMisbehaved::BadLength`] naming `field` if fewer remain.
    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8]> {
        let Some((head, tail)) = self.rest.split_at_checked(n) else {
            return Err(PeerMisbehaved::BadLength {
                what: self.what,
                field,
                expected: n,
                actual: self.rest.len(),
            }
            .into());
        };
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let bytes = self.take(field, N)?;
        fixed(self.what, field, bytes)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8> {
        let [byte] = self.array(field)?;
        Ok(byte)
    }

    fn u32(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Succeeds only if every byte was read; `last` names the field the trailing bytes follow.
    fn finish(self, last: &'static str) -> Result<()> {
        match self.rest.len() {
            0 => Ok(()),
            n => Err(Error::malformed(
                self.what,
                format!("{n} trailing byte(s) after `{last}`"),
            )),
        }
    }
}

/// The error for a kind byte other than the expected one.
fn wrong_kind(what: &'static str, found: u8) -> Error {
    let detail = match found {
        KIND_MESSAGE => "this is a hardened message, not a distribution".to_owned(),
        KIND_DISTRIBUTION => "this is a hardened distribution, not a message".to_owned(),
        other => format!("unknown kind 0x{other:02x}"),
    };
    Error::malformed(what, detail)
}

/// Reads and checks the header; returns `(key_id, iteration)`.
fn read_header(reader: &mut Reader<'_>, kind: u8) -> Result<(u32, u32)> {
    let what = reader.what;
    let version = reader.u8("version")?;
    if version != HARDENED_VERSION {
        let supported = u32::from(HARDENED_VERSION);
        return Err(PeerMisbehaved::UnsupportedVersion {
            what,
            version: u32::from(version),
            supported,
        }
        .into());
    }
    let found = reader.u8("kind")?;
    if found != kind {
        return Err(wrong_kind(what, found));
    }
    let suite = reader.u8("suite")?;
    if suite != SUITE_HARDENED_V1 {
        return Err(Error::malformed(what, format!("unknown suite 0x{suite:02x}")));
    }
    Ok((reader.u32("key_id")?, reader.u32("iteration")?))
}

/// Writes the header.
fn write_header(kind: u8, key_id: u32, iteration: u32) -> [u8; HEADER_BYTES] {
    let [k0, k1, k2, k3] = key_id.to_be_bytes();
    let [i0, i1, i2, i3] = iteration.to_be_bytes();
    [
        HARDENED_VERSION,
        kind,
        SUITE_HARDENED_V1,
        k0,
        k1,
        k2,
        k3,
        i0,
        i1,
        i2,
        i3,
    ]
}

/// A message of the `hardened` format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HardenedMessage {
    /// The sender key's 32-bit id.
    pub key_id: u32,
    /// The chain iteration whose message key encrypted the message.
    pub iteration: u32,
    /// The AES-256-GCM nonce.
    pub nonce: [u8; AEAD_NONCE_BYTES],
    /// The AES-256-GCM ciphertext, tag included.
    pub ciphertext: Vec<u8>,
    /// The Ed25519 signature over [`HardenedMessage::encode_unsigned`].
    pub signature: [u8; SIGNATURE_BYTES],
}

impl HardenedMessage {
    /// The header of a message: the AEAD associated data, and the start of the signed bytes.
    pub fn header(key_id: u32, iteration: u32) -> [u8; HEADER_BYTES] {
        write_header(KIND_MESSAGE, key_id, iteration)
    }

    /// Everything before the signature: exactly the bytes the signature covers.
    ///
    /// A ciphertext longer than `u32::MAX` bytes (far beyond anything a parser accepts) is written with a
    /// saturated length, which no parser accepts.
    pub fn encode_unsigned(&self) -> Vec<u8> {
        let ct_len = u32::try_from(self.ciphertext.len()).unwrap_or(u32::MAX);
        let nonce_len = u8::try_from(AEAD_NONCE_BYTES).unwrap_or(u8::MAX);
        let mut out = Vec::with_capacity(HEADER_BYTES + 1 + AEAD_NONCE_BYTES + 4 + self.ciphertext.len());
        out.extend_from_slice(&Self::header(self.key_id, self.iteration));
        out.push(nonce_len);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&ct_len.to_be_bytes());
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// The whole message: [`HardenedMessage::encode_unsigned`] followed by the signature.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.encode_unsigned();
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses and validates a message; every length must match the bytes present exactly.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_wire_size(WHAT_MESSAGE, bytes)?;
        let mut reader = Reader::new(WHAT_MESSAGE, bytes);
        let (key_id, iteration) = read_header(&mut reader, KIND_MESSAGE)?;
        let nonce_len = usize::from(reader.u8("nonce_len")?);
        if nonce_len != AEAD_NONCE_BYTES {
            let (expected, actual) = (AEAD_NONCE_BYTES, nonce_len);
            return Err(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "nonce",
                expected,
                actual,
            }
            .into());
        }
        let nonce = reader.array("nonce")?;
        // Only slices the input: a huge declared length fails here, before anything is allocated.
        let ct_len = usize::try_from(reader.u32("ct_len")?).unwrap_or(usize::MAX);
        let ciphertext = reader.take("ciphertext", ct_len)?;
        check_aead_ciphertext(WHAT_MESSAGE, ciphertext)?;
        let signature = reader.array("signature")?;
        reader.finish("signature")?;
        Ok(HardenedMessage {
            key_id,
            iteration,
            nonce,
            ciphertext: ciphertext.to_vec(),
            signature,
        })
    }
}

/// A distribution of the `hardened` format: a sender key as the receiver needs it. `Debug` never prints the
/// chain key.
#[derive(Clone, PartialEq, Eq)]
pub struct HardenedDistribution {
    /// The sender key's 32-bit id.
    pub key_id: u32,
    /// The iteration `chain_key` is at.
    pub iteration: u32,
    /// The chain key at `iteration`.
    pub chain_key: [u8; CHAIN_KEY_BYTES],
    /// The sender key's Ed25519 public key.
    pub signing_public_key: [u8; SIGNING_PUBLIC_KEY_BYTES],
}

/// The chain key is a secret: it is wiped when the value is dropped (copies made by encoding are the caller's).
impl Drop for HardenedDistribution {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.chain_key);
    }
}

impl HardenedDistribution {
    /// The 75-byte encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(DISTRIBUTION_BYTES);
        out.extend_from_slice(&write_header(KIND_DISTRIBUTION, self.key_id, self.iteration));
        out.extend_from_slice(&self.chain_key);
        out.extend_from_slice(&self.signing_public_key);
        out
    }

    /// Parses and validates a distribution: exactly 75 bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_wire_size(WHAT_DISTRIBUTION, bytes)?;
        let mut reader = Reader::new(WHAT_DISTRIBUTION, bytes);
        let (key_id, iteration) = read_header(&mut reader, KIND_DISTRIBUTION)?;
        let chain_key = reader.array("chain_key")?;
        let signing_public_key = reader.array("signing_public_key")?;
        reader.finish("signing_public_key")?;
        Ok(HardenedDistribution {
            key_id,
            iteration,
            chain_key,
            signing_public_key,
        })
    }
}

impl fmt::Debug for HardenedDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HardenedDistribution")
            .field("key_id", &self.key_id)
            .field("iteration", &self.iteration)
            .field("chain_key", &format_args!("<redacted>"))
            .field(
                "signing_public_key",
                &format_args!("{}", hex::encode(self.signing_public_key)),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::Index;
    use proptest::test_runner::{Config, RngSeed};

    use super::*;
    use crate::consts::{AEAD_TAG_BYTES, WIRE_BYTES_MAX};

    fn config(seed: u64) -> Config {
        Config {
            cases: 256,
            rng_seed: RngSeed::Fixed(seed),
            failure_persistence: None,
            ..Config::default()
        }
    }

    fn example_message() -> HardenedMessage {
        HardenedMessage {
            key_id: 0x0102_0304,
            iteration: 7,
            nonce: [0x11; AEAD_NONCE_BYTES],
            ciphertext: vec![0xcc; AEAD_TAG_BYTES],
            signature: [0x55; SIGNATURE_BYTES],
        }
    }

    fn example_distribution() -> HardenedDistribution {
        HardenedDistribution {
            key_id: 0x0102_0304,
            iteration: 7,
            chain_key: [0xab; CHAIN_KEY_BYTES],
            signing_public_key: [0x02; SIGNING_PUBLIC_KEY_BYTES],
        }
    }

    /// Offset of `ct_len` in a message.
    const CT_LEN_AT: usize = HEADER_BYTES + 1 + AEAD_NONCE_BYTES;

    fn with_ct_len(ct_len: u32) -> Vec<u8> {
        let mut bytes = example_message().encode();
        bytes.splice(CT_LEN_AT..CT_LEN_AT + 4, ct_len.to_be_bytes());
        bytes
    }

    fn assert_malformed(err: &Error, what: &str, detail: &str) {
        assert_eq!(err.reason(), "malformed", "{err:?}");
        assert!(
            matches!(err, Error::PeerMisbehaved(PeerMisbehaved::Malformed { what: w, detail: d }) if *w == what && d == detail),
            "{err:?}"
        );
    }

    #[test]
    fn message_exact_bytes() {
        let header = "01010101020304".to_owned() + "00000007";
        let unsigned = format!("{header}0c{}00000010{}", "11".repeat(12), "cc".repeat(16));
        let message = example_message();
        assert_eq!(hex::encode(HardenedMessage::header(0x0102_0304, 7)), header);
        assert_eq!(hex::encode(message.encode_unsigned()), unsigned);
        let bytes = message.encode();
        assert_eq!(hex::encode(&bytes), format!("{unsigned}{}", "55".repeat(64)));
        assert_eq!(HardenedMessage::parse(&bytes).unwrap(), message);
    }

    #[test]
    fn distribution_exact_bytes_and_redacted_debug() {
        let expected = format!("0102010102030400000007{}{}", "ab".repeat(32), "02".repeat(32));
        let bytes = example_distribution().encode();
        assert_eq!(bytes.len(), DISTRIBUTION_BYTES);
        assert_eq!(DISTRIBUTION_BYTES, 75);
        assert_eq!(hex::encode(&bytes), expected);
        assert_eq!(
            HardenedDistribution::parse(&bytes).unwrap(),
            example_distribution()
        );
        let debug = format!("{:?}", example_distribution());
        assert!(debug.contains("<redacted>") && !debug.contains("abab"), "{debug}");
    }

    #[test]
    fn rejects_wrong_version() {
        for version in [0u8, 2, 0xff] {
            let mut bytes = example_message().encode();
            bytes[0] = version;
            let expected = Error::PeerMisbehaved(PeerMisbehaved::UnsupportedVersion {
                what: WHAT_MESSAGE,
                version: u32::from(version),
                supported: 1,
            });
            assert_eq!(HardenedMessage::parse(&bytes).unwrap_err(), expected);
            let mut bytes = example_distribution().encode();
            bytes[0] = version;
            let err = HardenedDistribution::parse(&bytes).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::PeerMisbehaved(PeerMisbehaved::UnsupportedVersion {
                        what: WHAT_DISTRIBUTION,
                        ..
                    })
                ),
                "{err:?}"
            );
        }
    }

    #[test]
    fn rejects_wrong_kind() {
        let err = HardenedMessage::parse(&example_distribution().encode()).unwrap_err();
        assert_malformed(
            &err,
            WHAT_MESSAGE,
            "this is a hardened distribution, not a message",
        );
        let err = HardenedDistribution::parse(&example_message().encode()).unwrap_err();
        assert_malformed(
            &err,
            WHAT_DISTRIBUTION,
            "this is a hardened message, not a distribution",
        );
        let mut bytes = example_message().encode();
        bytes[1] = 0x07;
        assert_malformed(
            &HardenedMessage::parse(&bytes).unwrap_err(),
            WHAT_MESSAGE,
            "unknown kind 0x07",
        );
    }

    #[test]
    fn rejects_unknown_suite() {
        let mut bytes = example_message().encode();
        bytes[2] = 0x02;
        assert_malformed(
            &HardenedMessage::parse(&bytes).unwrap_err(),
            WHAT_MESSAGE,
            "unknown suite 0x02",
        );
        let mut bytes = example_distribution().encode();
        bytes[2] = 0x00;
        let err = HardenedDistribution::parse(&bytes).unwrap_err();
        assert_malformed(&err, WHAT_DISTRIBUTION, "unknown suite 0x00");
    }

    #[test]
    fn rejects_nonce_len_eleven() {
        let mut bytes = example_message().encode();
        bytes[HEADER_BYTES] = 11;
        let err = HardenedMessage::parse(&bytes).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "nonce",
                expected: 12,
                actual: 11
            })
        );
    }

    #[test]
    fn rejects_ct_len_beyond_the_input_before_allocating() {
        let remaining = AEAD_TAG_BYTES + SIGNATURE_BYTES;
        let err = HardenedMessage::parse(&with_ct_len(u32::MAX)).unwrap_err();
        let expected = usize::try_from(u32::MAX).unwrap();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "ciphertext",
                expected,
                actual: remaining
            })
        );
        let ct_len = u32::try_from(remaining + 1).unwrap();
        let err = HardenedMessage::parse(&with_ct_len(ct_len)).unwrap_err();
        let expected = remaining + 1;
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "ciphertext",
                expected,
                actual: remaining
            })
        );
        // A length that swallows part of the signature leaves the signature short.
        let err = HardenedMessage::parse(&with_ct_len(17)).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "signature",
                expected: 64,
                actual: 63
            })
        );
    }

    #[test]
    fn rejects_ciphertext_shorter_than_the_tag() {
        let mut bytes = with_ct_len(15);
        bytes.remove(CT_LEN_AT + 4);
        let err = HardenedMessage::parse(&bytes).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: WHAT_MESSAGE,
                field: "ciphertext",
                expected: 16,
                actual: 15
            })
        );
    }

    #[test]
    fn rejects_trailing_bytes() {
        let mut bytes = example_message().encode();
        bytes.push(0);
        let err = HardenedMessage::parse(&bytes).unwrap_err();
        assert_malformed(&err, WHAT_MESSAGE, "1 trailing byte(s) after `signature`");
        let mut bytes = example_distribution().encode();
        bytes.push(0);
        let err = HardenedDistribution::parse(&bytes).unwrap_err();
        assert_malformed(
            &err,
            WHAT_DISTRIBUTION,
            "1 trailing byte(s) after `signing_public_key`",
        );
    }

    #[test]
    fn rejects_74_byte_distribution() {
        let bytes = example_distribution().encode();
        let err = HardenedDistribution::parse(&bytes[..DISTRIBUTION_BYTES - 1]).unwrap_err();
        let expected = Error::PeerMisbehaved(PeerMisbehaved::BadLength {
            what: WHAT_DISTRIBUTION,
            field: "signing_public_key",
            expected: SIGNING_PUBLIC_KEY_BYTES,
            actual: SIGNING_PUBLIC_KEY_BYTES - 1,
        });
        assert_eq!(err, expected);
    }

    #[test]
    fn every_truncation_names_the_cut_field() {
        let bytes = example_message().encode();
        for cut in 0..bytes.len() {
            let err = HardenedMessage::parse(&bytes[..cut]).unwrap_err();
            assert_eq!(err.reason(), "bad-length", "cut at {cut}: {err:?}");
        }
        let bytes = example_distribution().encode();
        for cut in 0..bytes.len() {
            let err = HardenedDistribution::parse(&bytes[..cut]).unwrap_err();
            assert_eq!(err.reason(), "bad-length", "cut at {cut}: {err:?}");
        }
    }

    #[test]
    fn rejects_oversized_input_before_parsing() {
        let big = vec![HARDENED_VERSION; WIRE_BYTES_MAX + 1];
        let too_large = |what| {
            Error::PeerMisbehaved(PeerMisbehaved::TooLarge {
                what,
                actual: WIRE_BYTES_MAX + 1,
                limit: WIRE_BYTES_MAX,
            })
        };
        assert_eq!(HardenedMessage::parse(&big).unwrap_err(), too_large(WHAT_MESSAGE));
        assert_eq!(
            HardenedDistribution::parse(&big).unwrap_err(),
            too_large(WHAT_DISTRIBUTION)
        );
    }

    fn messages() -> impl Strategy<Value = HardenedMessage> {
        let ct = prop::collection::vec(any::<u8>(), AEAD_TAG_BYTES..200);
        (
            any::<u32>(),
            any::<u32>(),
            any::<[u8; 12]>(),
            ct,
            prop::array::uniform(any::<u8>()),
        )
            .prop_map(
                |(key_id, iteration, nonce, ciphertext, signature)| HardenedMessage {
                    key_id,
                    iteration,
                    nonce,
                    ciphertext,
                    signature,
                },
            )
    }

    fn distributions() -> impl Strategy<Value = HardenedDistribution> {
        (any::<u32>(), any::<u32>(), any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(
            |(key_id, iteration, chain_key, signing_public_key)| HardenedDistribution {
                key_id,
                iteration,
                chain_key,
                signing_public_key,
            },
        )
    }

    fn encodings() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            messages().prop_map(|m| m.encode()),
            distributions().prop_map(|d| d.encode())
        ]
    }

    /// Parses with both parsers; whatever parses must re-encode to exactly the same bytes.
    fn assert_canonical(bytes: &[u8]) -> std::result::Result<(), TestCaseError> {
        if let Ok(message) = HardenedMessage::parse(bytes) {
            prop_assert_eq!(message.encode(), bytes);
        }
        if let Ok(distribution) = HardenedDistribution::parse(bytes) {
            prop_assert_eq!(distribution.encode(), bytes);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(config(0x4841_5244))]

        #[test]
        fn message_round_trips(m in messages()) {
            let bytes = m.encode();
            let header = HardenedMessage::header(m.key_id, m.iteration);
            prop_assert_eq!(bytes.get(..HEADER_BYTES), Some(header.as_slice()));
            let parsed = HardenedMessage::parse(&bytes)?;
            prop_assert_eq!(parsed.encode(), bytes);
            prop_assert_eq!(parsed, m);
        }

        #[test]
        fn distribution_round_trips(d in distributions()) {
            let bytes = d.encode();
            let parsed = HardenedDistribution::parse(&bytes)?;
            prop_assert_eq!(parsed.encode(), bytes);
            prop_assert_eq!(parsed, d);
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_are_canonical(
            bytes in prop::collection::vec(any::<u8>(), 0..512),
        ) {
            assert_canonical(&bytes)?;
        }

        #[test]
        fn plausible_prefixes_are_canonical(
            kind in prop_oneof![Just(KIND_MESSAGE), Just(KIND_DISTRIBUTION)],
            tail in prop::collection::vec(any::<u8>(), 0..160),
        ) {
            let bytes = [[HARDENED_VERSION, kind, SUITE_HARDENED_V1].as_slice(), &tail].concat();
            assert_canonical(&bytes)?;
        }

        #[test]
        fn mutations_never_panic_and_are_canonical(b in encodings(), at in any::<Index>(), flip in 1u8..) {
            let mut flipped = b.clone();
            let i = at.index(flipped.len());
            if let Some(byte) = flipped.get_mut(i) {
                *byte ^= flip;
            }
            assert_canonical(&flipped)?;
            assert_canonical(b.get(..i).unwrap_or_default())?;
            let mut inserted = b.clone();
            inserted.insert(i, flip);
            assert_canonical(&inserted)?;
        }
    }
}
