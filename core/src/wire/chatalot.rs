//! Chatalot's JSON wire formats: the sender-key message and the sender-key distribution.
//!
//! Source: Chatalot's "Group Encryption" document, section "Sender Key Wire Format" (with the examples in
//! "Key Distribution" and "Sending a Message").
//!
//! Message, sent to the channel:
//! `{"v":1,"sk":true,"message":{"chain_id":N,"iteration":N,"ciphertext":[..],"nonce":[..]}}`.
//! Distribution, stored on the server:
//! `{"chain_id":N,"iteration":N,"chain_key":[..],"sender_id":[..]}`.
//!
//! Quirks and decisions:
//! - Every byte string is a JSON array of integers in `0..=255`, not base64.
//! - `v:1` alone does not identify a sender-key message: a Double Ratchet DM message also has `v:1`, but no
//!   `sk`. A version-1 message without `sk` is rejected with a detail saying so; `sk` must be `true`.
//! - A message whose `v` is not 1 is reported as an unsupported version whatever its other fields.
//! - `chain_id` and `iteration` must be integers in `0..=u32::MAX`; `nonce` exactly 12 bytes; `chain_key`
//!   exactly 32 bytes; `sender_id` the UTF-8 bytes of a valid member id ([`PeerMisbehaved::Malformed`](crate::error::PeerMisbehaved::Malformed) if not).
//! - The distribution carries no version and no signing key: Chatalot messages are not signed.
//! - The upload body `{"chain_id":N,"distribution":{..}}` repeats the chain id outside the distribution;
//!   that wrapper is the server API's, not a wire format, and is not handled here.
//! - A JSON array where an object is expected is rejected.

use core::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Number;

use super::json::{check_version, object, parse_object, present, to_json, u32_field};
use super::{check_aead_ciphertext, check_wire_size, fixed};
use crate::consts::{AEAD_NONCE_BYTES, CHAIN_KEY_BYTES};
use crate::error::{Error, Result};
use crate::ids::MemberId;

/// The message version this crate speaks.
pub const CHATALOT_VERSION: u32 = 1;

const MESSAGE: &str = "chatalot message";
const DISTRIBUTION: &str = "chatalot distribution";

/// A Chatalot sender-key message: one message encrypted with ChaCha20-Poly1305 under a sender's chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatalotMessage {
    /// `chain_id`: the sender's random 32-bit chain id, naming its sender key.
    pub chain_id: u32,
    /// `iteration`: the chain iteration whose message key encrypted this message.
    pub iteration: u32,
    /// `ciphertext`: the ChaCha20-Poly1305 output, tag included.
    pub ciphertext: Vec<u8>,
    /// `nonce`: the ChaCha20-Poly1305 nonce.
    pub nonce: [u8; AEAD_NONCE_BYTES],
}

/// The JSON shape of a message, fields in wire order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    v: Number,
    sk: bool,
    #[serde(deserialize_with = "object")]
    message: RawBody,
}

/// The JSON shape of a message's `message` object, fields in wire order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBody {
    chain_id: Number,
    iteration: Number,
    ciphertext: Vec<u8>,
    nonce: Vec<u8>,
}

/// Reads only `v` and `sk`, to report another version or a DM message as such whatever their other fields.
#[derive(Deserialize)]
struct MessageProbe {
    #[serde(default, deserialize_with = "present")]
    v: Option<Number>,
    #[serde(default, deserialize_with = "present")]
    sk: Option<bool>,
}

impl ChatalotMessage {
    /// Encodes as compact JSON:
    /// `{"v":1,"sk":true,"message":{"chain_id":..,"iteration":..,"ciphertext":[..],"nonce":[..]}}`.
    pub fn encode(&self) -> Vec<u8> {
        to_json(&RawMessage {
            v: Number::from(CHATALOT_VERSION),
            sk: true,
            message: RawBody {
                chain_id: Number::from(self.chain_id),
                iteration: Number::from(self.iteration),
                ciphertext: self.ciphertext.clone(),
                nonce: self.nonce.to_vec(),
            },
        })
    }

    /// Parses a message, rejecting any other version, a DM message (no `sk`), `sk:false`, missing,
    /// duplicate or unknown fields, and any field of the wrong type, range or length.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_wire_size(MESSAGE, bytes)?;
        let probe: MessageProbe = parse_object(MESSAGE, bytes)?;
        if let Some(v) = &probe.v {
            check_version(MESSAGE, v, CHATALOT_VERSION)?;
            check_sender_key_flag(probe.sk)?;
        }
        Self::from_raw(parse_object(MESSAGE, bytes)?)
    }

    /// Checks and converts each field, in wire order.
    fn from_raw(raw: RawMessage) -> Result<Self> {
        check_version(MESSAGE, &raw.v, CHATALOT_VERSION)?;
        check_sender_key_flag(Some(raw.sk))?;
        let body = raw.message;
        let chain_id = u32_field(MESSAGE, "chain_id", &body.chain_id)?;
        let iteration = u32_field(MESSAGE, "iteration", &body.iteration)?;
        check_aead_ciphertext(MESSAGE, &body.ciphertext)?;
        let nonce = fixed(MESSAGE, "nonce", &body.nonce)?;
        Ok(Self {
            chain_id,
            iteration,
            ciphertext: body.ciphertext,
            nonce,
        })
    }
}

/// `sk` must be present and `true`; a version-1 message without it is a Double Ratchet DM message.
fn check_sender_key_flag(sk: Option<bool>) -> Result<()> {
    match sk {
        Some(true) => Ok(()),
        Some(false) => Err(Error::malformed(MESSAGE, "field `sk` must be true, got false")),
        None => Err(Error::malformed(
            MESSAGE,
            "missing field `sk`: a version-1 message without `sk` is a Double Ratchet DM message, \
             not a sender-key message",
        )),
    }
}

/// A Chatalot sender-key distribution: a sender's chain id, chain key and iteration.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatalotDistribution {
    /// `chain_id`: the random 32-bit chain id the sender's messages carry.
    pub chain_id: u32,
    /// `iteration`: the iteration of `chain_key`.
    pub iteration: u32,
    /// `chain_key`: the chain key at `iteration`. Secret; never printed.
    pub chain_key: [u8; CHAIN_KEY_BYTES],
    /// `sender_id`: the sender's user id (on the wire, its UTF-8 bytes).
    pub sender_id: MemberId,
}

/// The chain key is a secret: it is wiped when the value is dropped (copies made by encoding are the caller's).
impl Drop for ChatalotDistribution {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.chain_key);
    }
}

impl fmt::Debug for ChatalotDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatalotDistribution")
            .field("chain_id", &self.chain_id)
            .field("iteration", &self.iteration)
            .field("chain_key", &format_args!("<redacted>"))
            .field("sender_id", &self.sender_id)
            .finish()
    }
}

/// The JSON shape of a distribution, fields in wire order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDistribution {
    chain_id: Number,
    iteration: Number,
    chain_key: Vec<u8>,
    sender_id: Vec<u8>,
}

impl ChatalotDistribution {
    /// Encodes as compact JSON: `{"chain_id":..,"iteration":..,"chain_key":[..],"sender_id":[..]}`.
    pub fn encode(&self) -> Vec<u8> {
        to_json(&RawDistribution {
            chain_id: Number::from(self.chain_id),
            iteration: Number::from(self.iteration),
            chain_key: self.chain_key.to_vec(),
            sender_id: self.sender_id.as_str().as_bytes().to_vec(),
        })
    }

    /// Parses a distribution, rejecting missing, duplicate or unknown fields, any field of the wrong type,
    /// range or length, and a `sender_id` that is not a valid member id ([`PeerMisbehaved::Malformed`](crate::error::PeerMisbehaved::Malformed)).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_wire_size(DISTRIBUTION, bytes)?;
        let raw: RawDistribution = parse_object(DISTRIBUTION, bytes)?;
        Ok(Self {
            chain_id: u32_field(DISTRIBUTION, "chain_id", &raw.chain_id)?,
            iteration: u32_field(DISTRIBUTION, "iteration", &raw.iteration)?,
            chain_key: fixed(DISTRIBUTION, "chain_key", &raw.chain_key)?,
            sender_id: MemberId::from_bytes(&raw.sender_id)
                .map_err(|e| Error::malformed(DISTRIBUTION, format!("field `sender_id`: {e}")))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::Index;
    use proptest::test_runner::{Config as ProptestConfig, RngSeed};
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::consts::{AEAD_TAG_BYTES, CIPHERTEXT_BYTES_MAX, WIRE_BYTES_MAX};
    use crate::error::PeerMisbehaved;

    fn example_message() -> ChatalotMessage {
        ChatalotMessage {
            chain_id: 1_234_567_890,
            iteration: 7,
            ciphertext: (0..16).collect(),
            nonce: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        }
    }

    const EXAMPLE_MESSAGE: &str = concat!(
        r#"{"v":1,"sk":true,"message":{"chain_id":1234567890,"iteration":7,"#,
        r#""ciphertext":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15],"nonce":[1,2,3,4,5,6,7,8,9,10,11,12]}}"#,
    );

    fn example_distribution() -> ChatalotDistribution {
        ChatalotDistribution {
            chain_id: 1_234_567_890,
            iteration: 0,
            chain_key: [7; CHAIN_KEY_BYTES],
            sender_id: MemberId::new("alice").unwrap(),
        }
    }

    const EXAMPLE_DISTRIBUTION: &str = concat!(
        r#"{"chain_id":1234567890,"iteration":0,"#,
        r#""chain_key":[7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7],"#,
        r#""sender_id":[97,108,105,99,101]}"#,
    );

    fn edit(json: &str, change: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
        let mut value: Value = serde_json::from_str(json).unwrap();
        change(value.as_object_mut().unwrap());
        serde_json::to_vec(&value).unwrap()
    }

    /// The example message's JSON with one top-level field set to `value` (added if absent).
    fn message_with(field: &str, value: Value) -> Vec<u8> {
        edit(EXAMPLE_MESSAGE, |m| {
            m.insert(field.to_owned(), value);
        })
    }

    /// The example message's JSON with one field of the inner `message` object set to `value`.
    fn body_with(field: &str, value: Value) -> Vec<u8> {
        edit(EXAMPLE_MESSAGE, |m| {
            if let Some(Value::Object(body)) = m.get_mut("message") {
                body.insert(field.to_owned(), value);
            }
        })
    }

    /// The example distribution's JSON with one field set to `value` (added if absent).
    fn distribution_with(field: &str, value: Value) -> Vec<u8> {
        edit(EXAMPLE_DISTRIBUTION, |m| {
            m.insert(field.to_owned(), value);
        })
    }

    fn detail(error: Error) -> String {
        match error {
            Error::PeerMisbehaved(PeerMisbehaved::Malformed { detail, .. }) => detail,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn known_message() {
        let message = example_message();
        assert_eq!(String::from_utf8(message.encode()).unwrap(), EXAMPLE_MESSAGE);
        assert_eq!(ChatalotMessage::parse(EXAMPLE_MESSAGE.as_bytes()), Ok(message));
    }

    #[test]
    fn known_distribution() {
        let distribution = example_distribution();
        assert_eq!(
            String::from_utf8(distribution.encode()).unwrap(),
            EXAMPLE_DISTRIBUTION
        );
        assert_eq!(
            ChatalotDistribution::parse(EXAMPLE_DISTRIBUTION.as_bytes()),
            Ok(distribution)
        );
    }

    #[test]
    fn distribution_debug_redacts_the_chain_key() {
        let shown = format!("{:?}", example_distribution());
        assert!(shown.contains("chain_key: <redacted>"), "{shown}");
        assert!(!shown.contains("[7, 7"), "{shown}");
    }

    #[test]
    fn rejects_wrong_version() {
        let error = ChatalotMessage::parse(&message_with("v", json!(2))).unwrap_err();
        assert_eq!(
            error,
            Error::PeerMisbehaved(PeerMisbehaved::UnsupportedVersion {
                what: MESSAGE,
                version: 2,
                supported: 1
            })
        );
        let error = ChatalotMessage::parse(br#"{"v":3,"other":"shape"}"#).unwrap_err();
        assert_eq!(
            error,
            Error::PeerMisbehaved(PeerMisbehaved::UnsupportedVersion {
                what: MESSAGE,
                version: 3,
                supported: 1
            })
        );
    }

    #[test]
    fn rejects_sk_false() {
        let error = ChatalotMessage::parse(&message_with("sk", json!(false))).unwrap_err();
        assert_eq!(detail(error), "field `sk` must be true, got false");
    }

    #[test]
    fn rejects_missing_sk_as_a_dm_message() {
        let bytes = edit(EXAMPLE_MESSAGE, |m| {
            m.remove("sk");
        });
        assert!(detail(ChatalotMessage::parse(&bytes).unwrap_err()).contains("Double Ratchet DM message"));
        // A DM message has its own fields; it is still named as a DM message.
        let error = ChatalotMessage::parse(br#"{"v":1,"header":{"dh":[1,2]},"ciphertext":[3]}"#).unwrap_err();
        assert!(detail(error).contains("Double Ratchet DM message"));
    }

    #[test]
    fn rejects_sk_of_wrong_type() {
        for sk in [json!(null), json!(1), json!("true")] {
            let error = ChatalotMessage::parse(&message_with("sk", sk)).unwrap_err();
            assert!(detail(error).contains("expected a boolean"));
        }
    }

    #[test]
    fn rejects_iteration_out_of_range() {
        let error = ChatalotMessage::parse(&body_with("iteration", json!(4_294_967_296_u64))).unwrap_err();
        assert!(
            detail(error).contains("field `iteration` is not an integer in 0..=4294967295, got 4294967296")
        );
        let error = ChatalotDistribution::parse(&distribution_with("chain_id", json!(-1))).unwrap_err();
        assert!(detail(error).contains("field `chain_id` is not an integer in 0..=4294967295, got -1"));
    }

    #[test]
    fn rejects_negative_iteration() {
        let error = ChatalotMessage::parse(&body_with("iteration", json!(-7))).unwrap_err();
        assert!(detail(error).contains("field `iteration` is not an integer in 0..=4294967295, got -7"));
    }

    #[test]
    fn rejects_float_iteration() {
        let error = ChatalotMessage::parse(&body_with("iteration", json!(7.5))).unwrap_err();
        assert!(detail(error).contains("field `iteration` is not an integer"));
        let error = ChatalotDistribution::parse(&distribution_with("iteration", json!(0.0))).unwrap_err();
        assert!(detail(error).contains("field `iteration` is not an integer"));
    }

    #[test]
    fn rejects_unknown_field() {
        let error = ChatalotMessage::parse(&message_with("extra", json!(1))).unwrap_err();
        assert!(detail(error).contains("unknown field `extra`"));
        let error = ChatalotMessage::parse(&body_with("extra", json!(1))).unwrap_err();
        assert!(detail(error).contains("unknown field `extra`"));
        let error = ChatalotDistribution::parse(&distribution_with("extra", json!(1))).unwrap_err();
        assert!(detail(error).contains("unknown field `extra`"));
    }

    #[test]
    fn rejects_duplicate_field() {
        let text = EXAMPLE_MESSAGE.replace(r#""iteration":7,"#, r#""iteration":7,"iteration":8,"#);
        let error = ChatalotMessage::parse(text.as_bytes()).unwrap_err();
        assert!(detail(error).contains("duplicate field `iteration`"));
        let text = EXAMPLE_MESSAGE.replace(r#""sk":true,"#, r#""sk":true,"sk":true,"#);
        let error = ChatalotMessage::parse(text.as_bytes()).unwrap_err();
        assert!(detail(error).contains("duplicate field `sk`"));
        let text = EXAMPLE_DISTRIBUTION.replace(r#""iteration":0,"#, r#""iteration":0,"iteration":0,"#);
        let error = ChatalotDistribution::parse(text.as_bytes()).unwrap_err();
        assert!(detail(error).contains("duplicate field `iteration`"));
    }

    #[test]
    fn rejects_missing_field() {
        for field in ["chain_id", "iteration", "ciphertext", "nonce"] {
            let bytes = edit(EXAMPLE_MESSAGE, |m| {
                if let Some(Value::Object(body)) = m.get_mut("message") {
                    body.remove(field);
                }
            });
            let detail = detail(ChatalotMessage::parse(&bytes).unwrap_err());
            assert!(detail.contains(&format!("missing field `{field}`")), "{detail}");
        }
        for field in ["chain_id", "iteration", "chain_key", "sender_id"] {
            let bytes = edit(EXAMPLE_DISTRIBUTION, |m| {
                m.remove(field);
            });
            let detail = detail(ChatalotDistribution::parse(&bytes).unwrap_err());
            assert!(detail.contains(&format!("missing field `{field}`")), "{detail}");
        }
    }

    #[test]
    fn rejects_arrays_in_place_of_objects() {
        let error = ChatalotMessage::parse(&message_with("message", json!([1, 7, vec![0; 16], vec![0; 12]])))
            .unwrap_err();
        assert!(detail(error).contains("expected a JSON object"));
        let error = ChatalotDistribution::parse(b"[1,0,[],[97]]").unwrap_err();
        assert!(detail(error).contains("expected a JSON object"));
    }

    #[test]
    fn rejects_short_ciphertext() {
        let error = ChatalotMessage::parse(&body_with("ciphertext", json!(vec![0; 15]))).unwrap_err();
        let expected = Error::PeerMisbehaved(PeerMisbehaved::BadLength {
            what: MESSAGE,
            field: "ciphertext",
            expected: AEAD_TAG_BYTES,
            actual: 15,
        });
        assert_eq!(error, expected);
    }

    #[test]
    fn ciphertext_size_limit() {
        let largest = ChatalotMessage {
            ciphertext: vec![0xff; CIPHERTEXT_BYTES_MAX],
            ..example_message()
        };
        let encoded = largest.encode();
        assert!(encoded.len() <= WIRE_BYTES_MAX);
        assert_eq!(ChatalotMessage::parse(&encoded), Ok(largest));
        let error = ChatalotMessage::parse(&body_with(
            "ciphertext",
            json!(vec![0xff; CIPHERTEXT_BYTES_MAX + 1]),
        ));
        let limit = CIPHERTEXT_BYTES_MAX;
        assert_eq!(
            error,
            Err(Error::PeerMisbehaved(PeerMisbehaved::TooLarge {
                what: MESSAGE,
                actual: limit + 1,
                limit
            }))
        );
    }

    #[test]
    fn rejects_nonce_of_wrong_length() {
        let error = ChatalotMessage::parse(&body_with("nonce", json!(vec![0; 11]))).unwrap_err();
        assert_eq!(
            error,
            Error::PeerMisbehaved(PeerMisbehaved::BadLength {
                what: MESSAGE,
                field: "nonce",
                expected: AEAD_NONCE_BYTES,
                actual: 11
            })
        );
    }

    #[test]
    fn rejects_nonce_element_256() {
        let error =
            ChatalotMessage::parse(&body_with("nonce", json!([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 256])));
        assert!(detail(error.unwrap_err()).contains("invalid value: integer `256`, expected u8"));
        let error = ChatalotMessage::parse(&body_with("ciphertext", json!(vec![-1; 16]))).unwrap_err();
        assert!(detail(error).contains("expected u8"));
    }

    #[test]
    fn rejects_31_byte_chain_key() {
        let error =
            ChatalotDistribution::parse(&distribution_with("chain_key", json!(vec![7; 31]))).unwrap_err();
        let expected = Error::PeerMisbehaved(PeerMisbehaved::BadLength {
            what: DISTRIBUTION,
            field: "chain_key",
            expected: CHAIN_KEY_BYTES,
            actual: 31,
        });
        assert_eq!(error, expected);
    }

    #[test]
    fn rejects_invalid_utf8_sender_id() {
        let error =
            ChatalotDistribution::parse(&distribution_with("sender_id", json!([0xff, 0xfe]))).unwrap_err();
        assert!(
            matches!(&error, Error::PeerMisbehaved(PeerMisbehaved::Malformed { what: DISTRIBUTION, detail })
                if detail.contains("`sender_id`") && detail.contains("is not valid UTF-8")),
            "{error:?}"
        );
    }

    #[test]
    fn rejects_invalid_sender_id() {
        let error = ChatalotDistribution::parse(&distribution_with("sender_id", json!([]))).unwrap_err();
        assert!(
            matches!(&error, Error::PeerMisbehaved(PeerMisbehaved::Malformed { what: DISTRIBUTION, detail }) if detail.contains("`sender_id`")),
            "{error:?}"
        );
        let error =
            ChatalotDistribution::parse(&distribution_with("sender_id", json!([97, 10]))).unwrap_err();
        assert!(
            matches!(&error, Error::PeerMisbehaved(PeerMisbehaved::Malformed { what: DISTRIBUTION, detail }) if detail.contains("`sender_id`")),
            "{error:?}"
        );
    }

    #[test]
    fn rejects_oversized_input() {
        let bytes = vec![b' '; WIRE_BYTES_MAX + 1];
        let too_large = |what| {
            Error::PeerMisbehaved(PeerMisbehaved::TooLarge {
                what,
                actual: WIRE_BYTES_MAX + 1,
                limit: WIRE_BYTES_MAX,
            })
        };
        assert_eq!(ChatalotMessage::parse(&bytes), Err(too_large(MESSAGE)));
        assert_eq!(ChatalotDistribution::parse(&bytes), Err(too_large(DISTRIBUTION)));
    }

    #[test]
    fn accepts_input_of_exactly_the_size_limit() {
        let mut bytes = EXAMPLE_DISTRIBUTION.as_bytes().to_vec();
        bytes.resize(WIRE_BYTES_MAX, b'\n');
        assert_eq!(ChatalotDistribution::parse(&bytes), Ok(example_distribution()));
    }

    fn message() -> impl Strategy<Value = ChatalotMessage> {
        let ciphertext = prop::collection::vec(any::<u8>(), AEAD_TAG_BYTES..300);
        (
            any::<u32>(),
            any::<u32>(),
            ciphertext,
            any::<[u8; AEAD_NONCE_BYTES]>(),
        )
            .prop_map(|(chain_id, iteration, ciphertext, nonce)| ChatalotMessage {
                chain_id,
                iteration,
                ciphertext,
                nonce,
            })
    }

    fn distribution() -> impl Strategy<Value = ChatalotDistribution> {
        let sender_id = prop_oneof!["[a-z0-9-]{1,36}", "\\PC{1,32}"]
            .prop_filter_map("valid member id", |id| MemberId::new(id).ok());
        (
            any::<u32>(),
            any::<u32>(),
            any::<[u8; CHAIN_KEY_BYTES]>(),
            sender_id,
        )
            .prop_map(
                |(chain_id, iteration, chain_key, sender_id)| ChatalotDistribution {
                    chain_id,
                    iteration,
                    chain_key,
                    sender_id,
                },
            )
    }

    /// A valid encoding with one byte flipped or the tail cut off.
    fn mutated(encoded: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
        (encoded, any::<Index>(), 1..=u8::MAX, any::<bool>()).prop_map(|(mut bytes, at, mask, truncate)| {
            if truncate {
                bytes.truncate(at.index(bytes.len() + 1));
            } else {
                let at = at.index(bytes.len());
                bytes[at] ^= mask;
            }
            bytes
        })
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 512,
            rng_seed: RngSeed::Fixed(0xc4a7_a107),
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn message_round_trips(message in message()) {
            let encoded = message.encode();
            let parsed = ChatalotMessage::parse(&encoded).unwrap();
            prop_assert_eq!(&parsed, &message);
            prop_assert_eq!(parsed.encode(), encoded);
        }

        #[test]
        fn distribution_round_trips(distribution in distribution()) {
            let encoded = distribution.encode();
            let parsed = ChatalotDistribution::parse(&encoded).unwrap();
            prop_assert_eq!(&parsed, &distribution);
            prop_assert_eq!(parsed.encode(), encoded);
        }

        #[test]
        fn parsers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = ChatalotMessage::parse(&bytes);
            let _ = ChatalotDistribution::parse(&bytes);
        }

        #[test]
        fn message_parse_never_panics_on_mutations(bytes in mutated(message().prop_map(|m| m.encode()))) {
            if let Ok(message) = ChatalotMessage::parse(&bytes) {
                prop_assert_eq!(ChatalotMessage::parse(&message.encode()), Ok(message));
            }
        }

        #[test]
        fn distribution_parse_never_panics_on_mutations(
            bytes in mutated(distribution().prop_map(|d| d.encode()))
        ) {
            if let Ok(distribution) = ChatalotDistribution::parse(&bytes) {
                prop_assert_eq!(ChatalotDistribution::parse(&distribution.encode()), Ok(distribution));
            }
        }
    }
}
