//! Accord's JSON wire formats: the sender-key envelope and the sender-key distribution message.
//!
//! Source: the Accord design "Sender Keys E2EE for Accord Channels", Appendix A (wire format) and the
//! `sender-keys.ts` listing of section 7.1 (what is signed, how the key id is computed).
//!
//! Envelope, stored in `messages.content`:
//! `{"v":1,"sk":"<16 hex>","i":N,"iv":"<base64>","ct":"<base64>","sig":"<base64>"}`.
//! Distribution, sent inside a Double Ratchet DM:
//! `{"type":"skdm","ch":"..","nd":"..","skid":"<hex>","ck":"<base64>","spk":"<base64>","iter":N,"rep":null}`.
//!
//! Quirks and decisions:
//! - The appendix's example key id, `"a1b2c3d4e5f6g7h8"`, is not hex. We follow `senderKeyFingerprint` in
//!   the listing: 16 lowercase hex characters of the first 8 bytes of SHA-256 of the signing public key.
//!   Uppercase hex and any other length are rejected.
//! - The listing's `SenderKeyEnvelope` uses long field names (`senderKeyId`, `ciphertext`, ...); the wire
//!   uses the appendix's compact names, which is what this module reads and writes.
//! - The signature covers `iv ‖ ct` (the listing and the appendix); section 3.1 says `ciphertext ‖ iv`.
//!   See [`AccordEnvelope::signed_bytes`].
//! - `i` and `iter` are JavaScript numbers; only integers in `0..=u32::MAX` are accepted.
//! - Base64 is standard with padding; `ch` and `nd` are shown as UUIDs but any valid id is accepted.
//! - `rep` (the key id this key replaces) must be present; it is `null` when there is none.
//! - An envelope whose `v` is not 1 is reported as an unsupported version whatever its other fields.
//! - A JSON array where an object is expected is rejected (serde would otherwise read it positionally).

use core::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Number;

use super::json::{check_version, parse_object, present, to_json, u32_field};
use super::{base64_field, base64_text, check_aead_ciphertext, check_wire_size, fixed};
use crate::consts::{
    AEAD_NONCE_BYTES, CHAIN_KEY_BYTES, FINGERPRINT_BYTES, SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES,
};
use crate::error::{Error, Result};
use crate::ids::{GroupId, MemberId};

/// The envelope version this crate speaks.
pub const ACCORD_VERSION: u32 = 1;

/// The `type` of a distribution message.
const DISTRIBUTION_TYPE: &str = "skdm";

const ENVELOPE: &str = "accord envelope";
const DISTRIBUTION: &str = "accord distribution";

/// An Accord sender-key envelope: one message encrypted under a sender's chain and signed by its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccordEnvelope {
    /// `sk`: the sender key's fingerprint, the first 8 bytes of SHA-256 of its signing public key.
    pub key_id: [u8; FINGERPRINT_BYTES],
    /// `i`: the chain iteration whose message key encrypted this message.
    pub iteration: u32,
    /// `iv`: the AES-GCM nonce.
    pub iv: [u8; AEAD_NONCE_BYTES],
    /// `ct`: the AES-GCM ciphertext, tag included.
    pub ciphertext: Vec<u8>,
    /// `sig`: the Ed25519 signature over [`AccordEnvelope::signed_bytes`].
    pub signature: [u8; SIGNATURE_BYTES],
}

/// The JSON shape of an envelope, fields in wire order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    v: Number,
    sk: String,
    i: Number,
    iv: String,
    ct: String,
    sig: String,
}

/// Reads only `v`, so that a future version is reported as such whatever shape its other fields have.
#[derive(Deserialize)]
struct EnvelopeProbe {
    #[serde(default, deserialize_with = "present")]
    v: Option<Number>,
}

impl AccordEnvelope {
    /// Encodes as compact JSON with the keys in the order `v, sk, i, iv, ct, sig`.
    pub fn encode(&self) -> Vec<u8> {
        to_json(&RawEnvelope {
            v: Number::from(ACCORD_VERSION),
            sk: hex::encode(self.key_id),
            i: Number::from(self.iteration),
            iv: base64_text(&self.iv),
            ct: base64_text(&self.ciphertext),
            sig: base64_text(&self.signature),
        })
    }

    /// Parses an envelope, rejecting any other version, missing, duplicate or unknown fields, and any
    /// field of the wrong type, encoding or length.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_wire_size(ENVELOPE, bytes)?;
        let probe: EnvelopeProbe = parse_object(ENVELOPE, bytes)?;
        if let Some(v) = &probe.v {
            check_version(ENVELOPE, v, ACCORD_VERSION)?;
        }
        Self::from_raw(parse_object(ENVELOPE, bytes)?)
    }

    /// The bytes the signature covers: `iv ‖ ct`.
    ///
    /// This is what Accord's code (`senderKeyEncrypt` / `senderKeyDecrypt` in section 7.1) signs and
    /// verifies, and what Appendix A states. Section 3.1 of the same document says `ciphertext ‖ iv`;
    /// the code listing wins.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut signed = Vec::with_capacity(self.iv.len() + self.ciphertext.len());
        signed.extend_from_slice(&self.iv);
        signed.extend_from_slice(&self.ciphertext);
        signed
    }

    /// Checks and converts each field, in wire order.
    fn from_raw(raw: RawEnvelope) -> Result<Self> {
        check_version(ENVELOPE, &raw.v, ACCORD_VERSION)?;
        let key_id = fingerprint(ENVELOPE, "sk", &raw.sk)?;
        let iteration = u32_field(ENVELOPE, "i", &raw.i)?;
        let iv = fixed_base64(ENVELOPE, "iv", &raw.iv)?;
        let ciphertext = base64_field(ENVELOPE, "ct", &raw.ct)?;
        check_aead_ciphertext(ENVELOPE, &ciphertext)?;
        let signature = fixed_base64(ENVELOPE, "sig", &raw.sig)?;
        Ok(Self {
            key_id,
            iteration,
            iv,
            ciphertext,
            signature,
        })
    }
}

/// An Accord sender-key distribution message (`"type":"skdm"`): a sender's chain key and signing public key,
/// sent to each member over a Double Ratchet DM.
#[derive(Clone, PartialEq, Eq)]
pub struct AccordDistribution {
    /// `ch`: the channel the sender key is for.
    pub channel: GroupId,
    /// `nd`: the sending node.
    pub node: MemberId,
    /// `skid`: the sender key's fingerprint (see [`AccordEnvelope::key_id`]).
    pub key_id: [u8; FINGERPRINT_BYTES],
    /// `ck`: the chain key at iteration [`AccordDistribution::iteration`]. Secret; never printed.
    pub chain_key: [u8; CHAIN_KEY_BYTES],
    /// `spk`: the Ed25519 public key that verifies the sender's envelopes.
    pub signing_public_key: [u8; SIGNING_PUBLIC_KEY_BYTES],
    /// `iter`: the iteration of `chain_key`.
    pub iteration: u32,
    /// `rep`: the fingerprint of the sender key this one replaces, if any (written as `null` when none).
    pub replaces: Option<[u8; FINGERPRINT_BYTES]>,
}

/// The chain key is a secret: it is wiped when the value is dropped (copies made by encoding are the caller's).
impl Drop for AccordDistribution {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.chain_key);
    }
}

impl fmt::Debug for AccordDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccordDistribution")
            .field("channel", &self.channel)
            .field("node", &self.node)
            .field("key_id", &format_args!("{}", hex::encode(self.key_id)))
            .field("chain_key", &format_args!("<redacted>"))
            .field(
                "signing_public_key",
                &format_args!("{}", hex::encode(self.signing_public_key)),
            )
            .field("iteration", &self.iteration)
            .field("replaces", &self.replaces.map(hex::encode))
            .finish()
    }
}

/// The JSON shape of a distribution, fields in wire order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDistribution {
    #[serde(rename = "type")]
    kind: String,
    ch: String,
    nd: String,
    skid: String,
    ck: String,
    spk: String,
    iter: Number,
    // `deserialize_with` makes the field required: `null` is accepted, absence is not.
    #[serde(deserialize_with = "Option::deserialize")]
    rep: Option<String>,
}

/// Reads only `type`, so that another message type is reported as such whatever its other fields are.
#[derive(Deserialize)]
struct DistributionProbe {
    #[serde(rename = "type", default, deserialize_with = "present")]
    kind: Option<String>,
}

impl AccordDistribution {
    /// Encodes as compact JSON with the keys in the order `type, ch, nd, skid, ck, spk, iter, rep`.
    pub fn encode(&self) -> Vec<u8> {
        to_json(&RawDistribution {
            kind: DISTRIBUTION_TYPE.to_owned(),
            ch: self.channel.as_str().to_owned(),
            nd: self.node.as_str().to_owned(),
            skid: hex::encode(self.key_id),
            ck: base64_text(&self.chain_key),
            spk: base64_text(&self.signing_public_key),
            iter: Number::from(self.iteration),
            rep: self.replaces.map(hex::encode),
        })
    }

    /// Parses a distribution, rejecting any `type` but `"skdm"`, missing, duplicate or unknown fields,
    /// invalid ids, and any field of the wrong type, encoding or length.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_wire_size(DISTRIBUTION, bytes)?;
        let probe: DistributionProbe = parse_object(DISTRIBUTION, bytes)?;
        if let Some(kind) = &probe.kind {
            check_type(kind)?;
        }
        Self::from_raw(parse_object(DISTRIBUTION, bytes)?)
    }

    /// Checks and converts each field, in wire order.
    fn from_raw(raw: RawDistribution) -> Result<Self> {
        check_type(&raw.kind)?;
        let channel = GroupId::new(raw.ch).map_err(|e| id_error("ch", &e))?;
        let node = MemberId::new(raw.nd).map_err(|e| id_error("nd", &e))?;
        let key_id = fingerprint(DISTRIBUTION, "skid", &raw.skid)?;
        let chain_key = fixed_base64(DISTRIBUTION, "ck", &raw.ck)?;
        let signing_public_key = fixed_base64(DISTRIBUTION, "spk", &raw.spk)?;
        let iteration = u32_field(DISTRIBUTION, "iter", &raw.iter)?;
        let replaces = raw
            .rep
            .map(|rep| fingerprint(DISTRIBUTION, "rep", &rep))
            .transpose()?;
        Ok(Self {
            channel,
            node,
            key_id,
            chain_key,
            signing_public_key,
            iteration,
            replaces,
        })
    }
}

/// Rejects any distribution `type` but `"skdm"`, naming the value found.
fn check_type(kind: &str) -> Result<()> {
    if kind == DISTRIBUTION_TYPE {
        return Ok(());
    }
    Err(Error::malformed(
        DISTRIBUTION,
        format!(
            "field `type` must be {DISTRIBUTION_TYPE:?}, got {:?}",
            shown(kind)
        ),
    ))
}

/// An invalid `ch` or `nd` is the peer's fault: report it as malformed, naming the field.
fn id_error(field: &str, error: &Error) -> Error {
    Error::malformed(DISTRIBUTION, format!("field `{field}`: {error}"))
}

/// Decodes a key fingerprint written as exactly 16 lowercase hex characters.
fn fingerprint(what: &'static str, field: &str, text: &str) -> Result<[u8; FINGERPRINT_BYTES]> {
    let is_lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    let mut out = [0u8; FINGERPRINT_BYTES];
    let well_formed = text.len() == 2 * FINGERPRINT_BYTES && text.bytes().all(is_lower_hex);
    if well_formed && hex::decode_to_slice(text, &mut out).is_ok() {
        return Ok(out);
    }
    Err(Error::malformed(
        what,
        format!(
            "field `{field}` must be {} lowercase hex characters, got {:?}",
            2 * FINGERPRINT_BYTES,
            shown(text)
        ),
    ))
}

/// Decodes a base64 field that must hold exactly `N` bytes.
fn fixed_base64<const N: usize>(what: &'static str, field: &'static str, text: &str) -> Result<[u8; N]> {
    fixed(what, field, &base64_field(what, field, text)?)
}

// ----- JSON helpers, shared with `chatalot` -----

/// At most this many characters of an offending value are quoted in an error message.
const SHOWN_CHARS_MAX: usize = 40;

/// The start of an untrusted string, for quoting in an error message.
fn shown(text: &str) -> String {
    text.chars().take(SHOWN_CHARS_MAX).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::Index;
    use proptest::test_runner::{Config as ProptestConfig, RngSeed};
    use serde_json::{Value, json};

    use super::*;
    use crate::consts::{AEAD_TAG_BYTES, CIPHERTEXT_BYTES_MAX, WIRE_BYTES_MAX};
    use crate::error::PeerMisbehaved;

    fn example_envelope() -> AccordEnvelope {
        AccordEnvelope {
            key_id: [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
            iteration: 42,
            iv: *b"accord-iv-12",
            ciphertext: b"ciphertext+16-byte-tag".to_vec(),
            signature: [0x5a; SIGNATURE_BYTES],
        }
    }

    const EXAMPLE_ENVELOPE: &str = concat!(
        r#"{"v":1,"sk":"0123456789abcdef","i":42,"iv":"YWNjb3JkLWl2LTEy","#,
        r#""ct":"Y2lwaGVydGV4dCsxNi1ieXRlLXRhZw==","#,
        r#""sig":"WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa"#,
        r#"WlpaWlpaWlpaWlpaWlpaWlpaWg=="}"#,
    );

    fn example_distribution() -> AccordDistribution {
        AccordDistribution {
            channel: GroupId::new("general").unwrap(),
            node: MemberId::new("node-1").unwrap(),
            key_id: [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
            chain_key: [0x01; CHAIN_KEY_BYTES],
            signing_public_key: core::array::from_fn(|i| u8::try_from(i).unwrap()),
            iteration: 0,
            replaces: None,
        }
    }

    const EXAMPLE_DISTRIBUTION: &str = concat!(
        r#"{"type":"skdm","ch":"general","nd":"node-1","skid":"0123456789abcdef","#,
        r#""ck":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=","#,
        r#""spk":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","iter":0,"rep":null}"#,
    );

    /// The example envelope's JSON with one field set to `value` (added if absent).
    fn envelope_with(field: &str, value: Value) -> Vec<u8> {
        edit(EXAMPLE_ENVELOPE, |m| {
            m.insert(field.to_owned(), value);
        })
    }

    /// The example distribution's JSON with one field set to `value` (added if absent).
    fn distribution_with(field: &str, value: Value) -> Vec<u8> {
        edit(EXAMPLE_DISTRIBUTION, |m| {
            m.insert(field.to_owned(), value);
        })
    }

    fn edit(json: &str, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Vec<u8> {
        let mut value: Value = serde_json::from_str(json).unwrap();
        change(value.as_object_mut().unwrap());
        serde_json::to_vec(&value).unwrap()
    }

    fn detail(error: Error) -> String {
        match error {
            Error::PeerMisbehaved(PeerMisbehaved::Malformed { detail, .. }) => detail,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    fn bad_length(what: &'static str, field: &'static str, expected: usize, actual: usize) -> Error {
        Error::PeerMisbehaved(PeerMisbehaved::BadLength {
            what,
            field,
            expected,
            actual,
        })
    }

    #[test]
    fn known_envelope() {
        let envelope = example_envelope();
        assert_eq!(String::from_utf8(envelope.encode()).unwrap(), EXAMPLE_ENVELOPE);
        assert_eq!(AccordEnvelope::parse(EXAMPLE_ENVELOPE.as_bytes()), Ok(envelope));
    }

    #[test]
    fn known_distribution() {
        let distribution = example_distribution();
        assert_eq!(
            String::from_utf8(distribution.encode()).unwrap(),
            EXAMPLE_DISTRIBUTION
        );
        assert_eq!(
            AccordDistribution::parse(EXAMPLE_DISTRIBUTION.as_bytes()),
            Ok(distribution)
        );
    }

    #[test]
    fn distribution_with_replaces() {
        let mut distribution = example_distribution();
        distribution.replaces = Some([0xfe; FINGERPRINT_BYTES]);
        let encoded = String::from_utf8(distribution.encode()).unwrap();
        assert!(
            encoded.ends_with(r#""iter":0,"rep":"fefefefefefefefe"}"#),
            "{encoded}"
        );
        assert_eq!(AccordDistribution::parse(encoded.as_bytes()), Ok(distribution));
    }

    #[test]
    fn signed_bytes_are_iv_then_ciphertext() {
        let envelope = example_envelope();
        assert_eq!(
            envelope.signed_bytes(),
            b"accord-iv-12ciphertext+16-byte-tag".to_vec()
        );
    }

    #[test]
    fn distribution_debug_redacts_the_chain_key() {
        let shown = format!("{:?}", example_distribution());
        assert!(shown.contains("chain_key: <redacted>"), "{shown}");
        assert!(!shown.contains("[1, 1,"), "{shown}");
        assert!(shown.contains("key_id: 0123456789abcdef"), "{shown}");
    }

    #[test]
    fn rejects_wrong_version() {
        let error = AccordEnvelope::parse(&envelope_with("v", json!(2))).unwrap_err();
        assert_eq!(
            error,
            Error::PeerMisbehaved(PeerMisbehaved::UnsupportedVersion {
                what: ENVELOPE,
                version: 2,
                supported: 1
            })
        );
        let error = AccordEnvelope::parse(&envelope_with("v", json!(0))).unwrap_err();
        assert_eq!(
            error,
            Error::PeerMisbehaved(PeerMisbehaved::UnsupportedVersion {
                what: ENVELOPE,
                version: 0,
                supported: 1
            })
        );
    }

    #[test]
    fn future_version_with_another_shape_is_unsupported_version() {
        let error = AccordEnvelope::parse(br#"{"v":2,"new":"shape"}"#).unwrap_err();
        assert_eq!(
            error,
            Error::PeerMisbehaved(PeerMisbehaved::UnsupportedVersion {
                what: ENVELOPE,
                version: 2,
                supported: 1
            })
        );
    }

    #[test]
    fn rejects_version_that_is_not_an_integer() {
        let error = AccordEnvelope::parse(&envelope_with("v", json!(1.0))).unwrap_err();
        assert!(detail(error).contains("field `v` is not an integer"));
        let error = AccordEnvelope::parse(&envelope_with("v", json!("1"))).unwrap_err();
        assert!(detail(error).contains("invalid type: string"));
    }

    #[test]
    fn rejects_missing_version() {
        let bytes = edit(EXAMPLE_ENVELOPE, |m| {
            m.remove("v");
        });
        assert!(detail(AccordEnvelope::parse(&bytes).unwrap_err()).contains("missing field `v`"));
    }

    #[test]
    fn rejects_short_iv() {
        let error = AccordEnvelope::parse(&envelope_with("iv", json!(base64_text(&[0; 11])))).unwrap_err();
        assert_eq!(error, bad_length(ENVELOPE, "iv", AEAD_NONCE_BYTES, 11));
    }

    #[test]
    fn rejects_63_byte_signature() {
        let error = AccordEnvelope::parse(&envelope_with("sig", json!(base64_text(&[0; 63])))).unwrap_err();
        assert_eq!(error, bad_length(ENVELOPE, "sig", SIGNATURE_BYTES, 63));
    }

    #[test]
    fn rejects_bad_base64() {
        let error = AccordEnvelope::parse(&envelope_with("iv", json!("not base64!"))).unwrap_err();
        assert!(detail(error).contains("field `iv` is not valid base64"));
    }

    #[test]
    fn rejects_non_hex_key_id() {
        // The example from the appendix itself.
        let error = AccordEnvelope::parse(&envelope_with("sk", json!("a1b2c3d4e5f6g7h8"))).unwrap_err();
        let detail = detail(error);
        assert!(
            detail.contains("field `sk` must be 16 lowercase hex characters"),
            "{detail}"
        );
        assert!(detail.contains("a1b2c3d4e5f6g7h8"), "{detail}");
    }

    #[test]
    fn rejects_uppercase_hex_key_id() {
        let error = AccordEnvelope::parse(&envelope_with("sk", json!("0123456789ABCDEF"))).unwrap_err();
        assert!(detail(error).contains("field `sk` must be 16 lowercase hex characters"));
    }

    #[test]
    fn rejects_key_id_of_wrong_length() {
        for sk in ["0123456789abcde", "0123456789abcdef0", ""] {
            let error = AccordEnvelope::parse(&envelope_with("sk", json!(sk))).unwrap_err();
            assert!(detail(error).contains("field `sk`"));
        }
        let error = AccordDistribution::parse(&distribution_with("skid", json!("0123"))).unwrap_err();
        assert!(detail(error).contains("field `skid`"));
    }

    #[test]
    fn rejects_iteration_out_of_range() {
        let error = AccordEnvelope::parse(&envelope_with("i", json!(4_294_967_296_u64))).unwrap_err();
        let detail = detail(error);
        assert!(
            detail.contains("field `i` is not an integer in 0..=4294967295, got 4294967296"),
            "{detail}"
        );
    }

    #[test]
    fn accepts_largest_iteration() {
        let bytes = envelope_with("i", json!(u32::MAX));
        assert_eq!(AccordEnvelope::parse(&bytes).unwrap().iteration, u32::MAX);
    }

    #[test]
    fn rejects_negative_iteration() {
        let error = AccordEnvelope::parse(&envelope_with("i", json!(-1))).unwrap_err();
        assert!(detail(error).contains("field `i` is not an integer in 0..=4294967295, got -1"));
    }

    #[test]
    fn rejects_float_iteration() {
        for i in [json!(1.5), json!(42.0), json!(1e300)] {
            let error = AccordEnvelope::parse(&envelope_with("i", i)).unwrap_err();
            assert!(detail(error).contains("field `i` is not an integer"));
        }
        let error = AccordEnvelope::parse(EXAMPLE_ENVELOPE.replace(":42,", ":1e2,").as_bytes()).unwrap_err();
        assert!(detail(error).contains("field `i` is not an integer"));
    }

    #[test]
    fn rejects_huge_integer_iteration() {
        let text = EXAMPLE_ENVELOPE.replace(":42,", ":123456789012345678901234567890,");
        assert!(detail(AccordEnvelope::parse(text.as_bytes()).unwrap_err()).contains("field `i`"));
    }

    #[test]
    fn rejects_unknown_field() {
        let error = AccordEnvelope::parse(&envelope_with("x", json!(1))).unwrap_err();
        assert!(detail(error).contains("unknown field `x`"));
        let error = AccordDistribution::parse(&distribution_with("x", json!(1))).unwrap_err();
        assert!(detail(error).contains("unknown field `x`"));
    }

    #[test]
    fn rejects_duplicate_field() {
        let text = EXAMPLE_ENVELOPE.replace(r#""i":42,"#, r#""i":42,"i":43,"#);
        assert!(detail(AccordEnvelope::parse(text.as_bytes()).unwrap_err()).contains("duplicate field `i`"));
        let text = EXAMPLE_ENVELOPE.replace(r#"{"v":1,"#, r#"{"v":1,"v":1,"#);
        assert!(detail(AccordEnvelope::parse(text.as_bytes()).unwrap_err()).contains("duplicate field `v`"));
        let text = EXAMPLE_DISTRIBUTION.replace(r#""rep":null"#, r#""rep":null,"rep":null"#);
        let error = AccordDistribution::parse(text.as_bytes()).unwrap_err();
        assert!(detail(error).contains("duplicate field `rep`"));
    }

    #[test]
    fn rejects_missing_field() {
        for field in ["sk", "i", "iv", "ct", "sig"] {
            let bytes = edit(EXAMPLE_ENVELOPE, |m| {
                m.remove(field);
            });
            let detail = detail(AccordEnvelope::parse(&bytes).unwrap_err());
            assert!(detail.contains(&format!("missing field `{field}`")), "{detail}");
        }
        let bytes = edit(EXAMPLE_DISTRIBUTION, |m| {
            m.remove("rep");
        });
        assert!(detail(AccordDistribution::parse(&bytes).unwrap_err()).contains("missing field `rep`"));
    }

    #[test]
    fn rejects_wrong_json_types() {
        let error = AccordEnvelope::parse(&envelope_with("sk", json!(7))).unwrap_err();
        assert!(detail(error).contains("invalid type"));
        let error = AccordEnvelope::parse(&envelope_with("i", json!("42"))).unwrap_err();
        assert!(detail(error).contains("invalid type"));
        let error = AccordEnvelope::parse(b"[1,\"0123456789abcdef\",42,\"\",\"\",\"\"]").unwrap_err();
        assert!(detail(error).contains("expected a JSON object"));
        assert!(matches!(
            AccordEnvelope::parse(b"null"),
            Err(Error::PeerMisbehaved(PeerMisbehaved::Malformed { .. }))
        ));
        assert!(matches!(
            AccordEnvelope::parse(b""),
            Err(Error::PeerMisbehaved(PeerMisbehaved::Malformed { .. }))
        ));
    }

    #[test]
    fn rejects_short_ciphertext() {
        let ct = base64_text(&[0; AEAD_TAG_BYTES - 1]);
        let error = AccordEnvelope::parse(&envelope_with("ct", json!(ct))).unwrap_err();
        assert_eq!(
            error,
            bad_length(ENVELOPE, "ciphertext", AEAD_TAG_BYTES, AEAD_TAG_BYTES - 1)
        );
    }

    #[test]
    fn ciphertext_size_limit() {
        let largest = AccordEnvelope {
            ciphertext: vec![0xff; CIPHERTEXT_BYTES_MAX],
            ..example_envelope()
        };
        assert_eq!(AccordEnvelope::parse(&largest.encode()), Ok(largest));
        let ct = base64_text(&vec![0xff; CIPHERTEXT_BYTES_MAX + 1]);
        let error = AccordEnvelope::parse(&envelope_with("ct", json!(ct))).unwrap_err();
        let limit = CIPHERTEXT_BYTES_MAX;
        assert_eq!(
            error,
            Error::PeerMisbehaved(PeerMisbehaved::TooLarge {
                what: ENVELOPE,
                actual: limit + 1,
                limit
            })
        );
    }

    #[test]
    fn rejects_wrong_type() {
        let error = AccordDistribution::parse(&distribution_with("type", json!("skdm2"))).unwrap_err();
        assert_eq!(detail(error), r#"field `type` must be "skdm", got "skdm2""#);
        // Another message type is named as such even though its other fields differ.
        let error = AccordDistribution::parse(br#"{"type":"hello","x":1}"#).unwrap_err();
        assert_eq!(detail(error), r#"field `type` must be "skdm", got "hello""#);
    }

    #[test]
    fn rejects_31_byte_chain_key() {
        let ck = base64_text(&[1; CHAIN_KEY_BYTES - 1]);
        let error = AccordDistribution::parse(&distribution_with("ck", json!(ck))).unwrap_err();
        assert_eq!(
            error,
            bad_length(DISTRIBUTION, "ck", CHAIN_KEY_BYTES, CHAIN_KEY_BYTES - 1)
        );
    }

    #[test]
    fn rejects_33_byte_signing_public_key() {
        let spk = base64_text(&[1; SIGNING_PUBLIC_KEY_BYTES + 1]);
        let error = AccordDistribution::parse(&distribution_with("spk", json!(spk))).unwrap_err();
        let expected = bad_length(
            DISTRIBUTION,
            "spk",
            SIGNING_PUBLIC_KEY_BYTES,
            SIGNING_PUBLIC_KEY_BYTES + 1,
        );
        assert_eq!(error, expected);
    }

    #[test]
    fn rejects_distribution_iteration_out_of_range() {
        let error = AccordDistribution::parse(&distribution_with("iter", json!(-3))).unwrap_err();
        assert!(detail(error).contains("field `iter` is not an integer in 0..=4294967295, got -3"));
    }

    #[test]
    fn rejects_bad_replaces() {
        let error =
            AccordDistribution::parse(&distribution_with("rep", json!("FEFEFEFEFEFEFEFE"))).unwrap_err();
        assert!(detail(error).contains("field `rep` must be 16 lowercase hex characters"));
        let error = AccordDistribution::parse(&distribution_with("rep", json!(false))).unwrap_err();
        assert!(detail(error).contains("invalid type: boolean"));
    }

    #[test]
    fn rejects_invalid_ids() {
        let error = AccordDistribution::parse(&distribution_with("ch", json!(""))).unwrap_err();
        assert!(detail(error).contains("field `ch`: invalid group id"));
        let error = AccordDistribution::parse(&distribution_with("nd", json!("a\u{7}b"))).unwrap_err();
        assert!(detail(error).contains("field `nd`: invalid member id"));
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
        assert_eq!(AccordEnvelope::parse(&bytes), Err(too_large(ENVELOPE)));
        assert_eq!(AccordDistribution::parse(&bytes), Err(too_large(DISTRIBUTION)));
    }

    #[test]
    fn accepts_input_of_exactly_the_size_limit() {
        let mut bytes = EXAMPLE_ENVELOPE.as_bytes().to_vec();
        bytes.resize(WIRE_BYTES_MAX, b' ');
        assert_eq!(AccordEnvelope::parse(&bytes), Ok(example_envelope()));
    }

    fn id() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z0-9-]{1,36}", "\\PC{1,32}"]
    }

    fn envelope() -> impl Strategy<Value = AccordEnvelope> {
        (
            any::<[u8; FINGERPRINT_BYTES]>(),
            any::<u32>(),
            any::<[u8; AEAD_NONCE_BYTES]>(),
            prop::collection::vec(any::<u8>(), AEAD_TAG_BYTES..300),
            any::<[u8; SIGNATURE_BYTES]>(),
        )
            .prop_map(|(key_id, iteration, iv, ciphertext, signature)| AccordEnvelope {
                key_id,
                iteration,
                iv,
                ciphertext,
                signature,
            })
    }

    fn distribution() -> impl Strategy<Value = AccordDistribution> {
        let ids = (id(), id()).prop_filter_map("valid ids", |(ch, nd)| {
            Some((GroupId::new(ch).ok()?, MemberId::new(nd).ok()?))
        });
        let keys = (
            any::<[u8; FINGERPRINT_BYTES]>(),
            any::<[u8; CHAIN_KEY_BYTES]>(),
            any::<[u8; SIGNING_PUBLIC_KEY_BYTES]>(),
        );
        let rest = (any::<u32>(), any::<Option<[u8; FINGERPRINT_BYTES]>>());
        (ids, keys, rest).prop_map(
            |((channel, node), (key_id, chain_key, signing_public_key), (iteration, replaces))| {
                AccordDistribution {
                    channel,
                    node,
                    key_id,
                    chain_key,
                    signing_public_key,
                    iteration,
                    replaces,
                }
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
            rng_seed: RngSeed::Fixed(0xacc0_4d01),
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn envelope_round_trips(envelope in envelope()) {
            let encoded = envelope.encode();
            let parsed = AccordEnvelope::parse(&encoded).unwrap();
            prop_assert_eq!(&parsed, &envelope);
            prop_assert_eq!(parsed.encode(), encoded);
        }

        #[test]
        fn distribution_round_trips(distribution in distribution()) {
            let encoded = distribution.encode();
            let parsed = AccordDistribution::parse(&encoded).unwrap();
            prop_assert_eq!(&parsed, &distribution);
            prop_assert_eq!(parsed.encode(), encoded);
        }

        #[test]
        fn parsers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = AccordEnvelope::parse(&bytes);
            let _ = AccordDistribution::parse(&bytes);
        }

        #[test]
        fn envelope_parse_never_panics_on_mutations(bytes in mutated(envelope().prop_map(|e| e.encode()))) {
            if let Ok(envelope) = AccordEnvelope::parse(&bytes) {
                prop_assert_eq!(AccordEnvelope::parse(&envelope.encode()), Ok(envelope));
            }
        }

        #[test]
        fn distribution_parse_never_panics_on_mutations(
            bytes in mutated(distribution().prop_map(|d| d.encode()))
        ) {
            if let Ok(distribution) = AccordDistribution::parse(&bytes) {
                prop_assert_eq!(AccordDistribution::parse(&distribution.encode()), Ok(distribution));
            }
        }
    }
}
