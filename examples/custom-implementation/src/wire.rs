//! The two wire formats: fixed binary layouts, integers big-endian. Parsers take untrusted bytes: they never
//! panic, and anything that is not exactly one of these layouts is refused.
//!
//! Distribution (`2 + n + 72` bytes):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | version, [`VERSION`] |
//! | 1 | `n`, the sender's member id length, `1..=`[`MEMBER_ID_BYTES_MAX`] |
//! | n | the sender's member id, UTF-8 |
//! | 4 | key id |
//! | 4 | iteration |
//! | 32 | chain key at that iteration |
//! | 32 | Ed25519 public key |
//!
//! Envelope (at least [`ENVELOPE_BYTES_MIN`] bytes):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | version, [`VERSION`] |
//! | 4 | key id |
//! | 4 | iteration |
//! | 12 | nonce |
//! | 16 + plaintext | ChaCha20-Poly1305 ciphertext and tag; associated data: the 9 header bytes above |
//! | 64 | Ed25519 signature over every byte before it |

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use sksim::Rejection;

use crate::{Key32, MEMBER_ID_BYTES_MAX, PLAINTEXT_BYTES_MAX, reason, reject};

/// The first byte of every minikeys distribution and envelope (`'M'`).
pub(crate) const VERSION: u8 = 0x4d;
/// Version, key id, iteration.
const HEADER_BYTES: usize = 1 + 4 + 4;
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
const SIGNATURE_BYTES: usize = 64;
/// The shortest envelope: an empty plaintext.
pub(crate) const ENVELOPE_BYTES_MIN: usize = HEADER_BYTES + NONCE_BYTES + TAG_BYTES + SIGNATURE_BYTES;
/// The longest envelope: a plaintext of [`PLAINTEXT_BYTES_MAX`].
pub(crate) const ENVELOPE_BYTES_MAX: usize = ENVELOPE_BYTES_MIN + PLAINTEXT_BYTES_MAX;

/// Reads fixed-size fields off the front of untrusted bytes; every read is checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    fn u32(&mut self) -> Option<u32> {
        self.array::<4>().map(u32::from_be_bytes)
    }
}

/// A sender key handed to another member.
pub(crate) struct Distribution {
    pub(crate) sender: String,
    pub(crate) key_id: u32,
    pub(crate) iteration: u32,
    pub(crate) chain_key: [u8; 32],
    /// A valid Ed25519 point (checked by [`Distribution::parse`]).
    pub(crate) public_key: [u8; 32],
}

impl Drop for Distribution {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.chain_key);
    }
}

impl Distribution {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.sender.len() + 72);
        out.push(VERSION);
        // Invariant: member ids are at most MEMBER_ID_BYTES_MAX (128) bytes, so the length fits a byte.
        out.push(u8::try_from(self.sender.len()).expect("a member id fits the length byte"));
        out.extend_from_slice(self.sender.as_bytes());
        out.extend_from_slice(&self.key_id.to_be_bytes());
        out.extend_from_slice(&self.iteration.to_be_bytes());
        out.extend_from_slice(&self.chain_key);
        out.extend_from_slice(&self.public_key);
        out
    }

    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, Rejection> {
        let bad = |detail: &str| reject(reason::MALFORMED_DISTRIBUTION, detail);
        let mut r = Reader(bytes);
        if r.u8() != Some(VERSION) {
            return Err(bad("not a minikeys distribution (version byte)"));
        }
        let n = usize::from(r.u8().ok_or_else(|| bad("truncated before the id length"))?);
        if n == 0 || n > MEMBER_ID_BYTES_MAX {
            return Err(bad("member id length out of range"));
        }
        let id = r.bytes(n).ok_or_else(|| bad("truncated in the member id"))?;
        let sender = std::str::from_utf8(id).map_err(|_| bad("member id is not UTF-8"))?;
        let (key_id, iteration) = (r.u32(), r.u32());
        let (chain_key, public_key) = (r.array::<32>(), r.array::<32>());
        let (Some(key_id), Some(iteration), Some(chain_key), Some(public_key)) =
            (key_id, iteration, chain_key, public_key)
        else {
            return Err(bad("truncated"));
        };
        if !r.0.is_empty() {
            return Err(bad("trailing bytes"));
        }
        VerifyingKey::from_bytes(&public_key).map_err(|_| bad("public key is not an Ed25519 point"))?;
        Ok(Distribution {
            sender: sender.to_owned(),
            key_id,
            iteration,
            chain_key,
            public_key,
        })
    }
}

/// A parsed envelope, borrowing the bytes it came from.
pub(crate) struct Envelope<'a> {
    pub(crate) key_id: u32,
    pub(crate) iteration: u32,
    header: &'a [u8],
    nonce: [u8; NONCE_BYTES],
    ciphertext: &'a [u8],
    signed: &'a [u8],
    signature: [u8; SIGNATURE_BYTES],
}

impl<'a> Envelope<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, Rejection> {
        let bad = |detail: String| reject(reason::MALFORMED_ENVELOPE, detail);
        if !(ENVELOPE_BYTES_MIN..=ENVELOPE_BYTES_MAX).contains(&bytes.len()) {
            let (min, max) = (ENVELOPE_BYTES_MIN, ENVELOPE_BYTES_MAX);
            return Err(bad(format!("{} bytes, not within {min}..={max}", bytes.len())));
        }
        let (signed, signature) = (bytes.split_last_chunk::<SIGNATURE_BYTES>())
            .ok_or_else(|| bad("no room for the signature".to_owned()))?;
        let mut r = Reader(signed);
        let header = r
            .bytes(HEADER_BYTES)
            .ok_or_else(|| bad("truncated header".to_owned()))?;
        let mut h = Reader(header);
        if h.u8() != Some(VERSION) {
            return Err(bad("not a minikeys envelope (version byte)".to_owned()));
        }
        let (Some(key_id), Some(iteration), Some(nonce)) = (h.u32(), h.u32(), r.array::<NONCE_BYTES>())
        else {
            return Err(bad("truncated header".to_owned()));
        };
        Ok(Envelope {
            key_id,
            iteration,
            header,
            nonce,
            ciphertext: r.0,
            signed,
            signature: *signature,
        })
    }

    /// Whether the signature verifies (strictly) under `public_key`.
    pub(crate) fn verifies(&self, public_key: &Key32) -> bool {
        VerifyingKey::from_bytes(&public_key.0).is_ok_and(|key| {
            key.verify_strict(self.signed, &Signature::from_bytes(&self.signature))
                .is_ok()
        })
    }

    /// The plaintext, if the ciphertext opens under `message_key` with the header as associated data.
    pub(crate) fn open(&self, message_key: &Key32) -> Result<Vec<u8>, Rejection> {
        let payload = Payload {
            msg: self.ciphertext,
            aad: self.header,
        };
        ChaCha20Poly1305::new((&message_key.0).into())
            .decrypt((&self.nonce).into(), payload)
            .map_err(|_| reject(reason::DECRYPTION_FAILED, format!("iteration {}", self.iteration)))
    }
}

/// An envelope: `plaintext` encrypted under `message_key` with a nonce from `rng`, signed with `signing`.
pub(crate) fn seal(
    key_id: u32,
    iteration: u32,
    message_key: &Key32,
    signing: &SigningKey,
    rng: &mut dyn CryptoRng,
    plaintext: &[u8],
) -> Result<Vec<u8>, Rejection> {
    let mut out = Vec::with_capacity(ENVELOPE_BYTES_MIN + plaintext.len());
    out.push(VERSION);
    out.extend_from_slice(&key_id.to_be_bytes());
    out.extend_from_slice(&iteration.to_be_bytes());
    let mut nonce = [0u8; NONCE_BYTES];
    rng.fill_bytes(&mut nonce);
    let payload = Payload {
        msg: plaintext,
        aad: &out,
    };
    let ciphertext = ChaCha20Poly1305::new((&message_key.0).into())
        .encrypt((&nonce).into(), payload)
        .map_err(|_| reject(reason::PLAINTEXT_TOO_LARGE, "the cipher refused the plaintext"))?;
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    let signature = signing.sign(&out).to_bytes();
    out.extend_from_slice(&signature);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::{Rng, SeedableRng};

    use super::*;

    fn distribution() -> Distribution {
        Distribution {
            sender: "m1".to_owned(),
            key_id: 0xdead_beef,
            iteration: 42,
            chain_key: [3; 32],
            public_key: SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes(),
        }
    }

    fn envelope(plaintext: &[u8]) -> Vec<u8> {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let signing = SigningKey::from_bytes(&[4; 32]);
        seal(9, 10, &Key32([5; 32]), &signing, &mut rng, plaintext).unwrap()
    }

    #[test]
    fn a_distribution_round_trips() {
        let bytes = distribution().encode();
        let parsed = Distribution::parse(&bytes).unwrap();
        assert_eq!(parsed.encode(), bytes);
        assert_eq!(
            (parsed.sender.as_str(), parsed.key_id, parsed.iteration),
            ("m1", 0xdead_beef, 42)
        );
    }

    #[test]
    fn every_truncation_and_extension_of_a_distribution_is_refused() {
        let bytes = distribution().encode();
        for len in 0..bytes.len() {
            let refused = Distribution::parse(&bytes[..len]).err().unwrap();
            assert_eq!(refused.reason, reason::MALFORMED_DISTRIBUTION, "{len} bytes");
        }
        let longer = [bytes.as_slice(), &[0]].concat();
        assert_eq!(
            Distribution::parse(&longer).err().unwrap().detail,
            "trailing bytes"
        );
    }

    #[test]
    fn bad_distribution_fields_are_refused() {
        let good = distribution().encode();
        let with = |at: usize, value: u8| {
            let mut bytes = good.clone();
            bytes[at] = value;
            Distribution::parse(&bytes).err().unwrap().detail
        };
        assert!(with(0, 1).contains("version"));
        assert!(with(1, 0).contains("length out of range"));
        assert!(with(1, 200).contains("length out of range"));
        assert_eq!(
            with(1, 1),
            "trailing bytes",
            "a shorter id length shifts every field"
        );
        assert!(with(2, 0xff).contains("UTF-8"));
        // y = 2 is on no point of edwards25519.
        let mut y_is_2 = [0; 32];
        y_is_2[0] = 2;
        let mut off_curve = good.clone();
        let n = off_curve.len();
        off_curve[n - 32..].copy_from_slice(&y_is_2);
        let refused = Distribution::parse(&off_curve).err().unwrap();
        assert!(refused.detail.contains("Ed25519"), "{refused:?}");
    }

    #[test]
    fn member_ids_up_to_member_id_bytes_max_travel() {
        let mut dist = distribution();
        dist.sender = "a".repeat(MEMBER_ID_BYTES_MAX);
        assert_eq!(
            Distribution::parse(&dist.encode()).unwrap().sender.len(),
            MEMBER_ID_BYTES_MAX
        );
        let mut bytes = dist.encode();
        bytes[1] = u8::try_from(MEMBER_ID_BYTES_MAX + 1).unwrap();
        bytes.insert(2, b'a');
        assert_eq!(
            Distribution::parse(&bytes).err().unwrap().reason,
            reason::MALFORMED_DISTRIBUTION
        );
    }

    #[test]
    fn an_envelope_parses_verifies_and_opens() {
        let bytes = envelope(b"hello");
        let parsed = Envelope::parse(&bytes).unwrap();
        assert_eq!((parsed.key_id, parsed.iteration), (9, 10));
        let public = Key32(SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes());
        assert!(parsed.verifies(&public));
        assert!(!parsed.verifies(&Key32(
            SigningKey::from_bytes(&[6; 32]).verifying_key().to_bytes()
        )));
        assert!(
            !parsed.verifies(&Key32([2; 32])),
            "an invalid public key verifies nothing"
        );
        assert_eq!(parsed.open(&Key32([5; 32])).unwrap(), b"hello");
        let wrong = parsed.open(&Key32([6; 32])).err().unwrap();
        assert_eq!(wrong.reason, reason::DECRYPTION_FAILED);
    }

    #[test]
    fn truncated_and_oversized_envelopes_are_refused() {
        let bytes = envelope(b"");
        assert_eq!(bytes.len(), ENVELOPE_BYTES_MIN);
        assert!(Envelope::parse(&bytes).is_ok());
        for len in 0..bytes.len() {
            let refused = Envelope::parse(&bytes[..len]).err().unwrap();
            assert_eq!(refused.reason, reason::MALFORMED_ENVELOPE, "{len} bytes");
        }
        let largest = envelope(&vec![0; PLAINTEXT_BYTES_MAX]);
        assert_eq!(largest.len(), ENVELOPE_BYTES_MAX);
        assert!(Envelope::parse(&largest).is_ok());
        let larger = [largest.as_slice(), &[0]].concat();
        assert_eq!(
            Envelope::parse(&larger).err().unwrap().reason,
            reason::MALFORMED_ENVELOPE
        );
        let mut other_version = bytes;
        other_version[0] = 1;
        assert!(
            Envelope::parse(&other_version)
                .err()
                .unwrap()
                .detail
                .contains("version")
        );
    }

    #[test]
    fn every_single_bit_flip_fails_the_signature_or_the_parse() {
        let bytes = envelope(b"hi");
        let public = Key32(SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes());
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            if let Ok(parsed) = Envelope::parse(&flipped) {
                assert!(!parsed.verifies(&public), "bit {bit}");
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_parser() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for len in 0..400 {
            let mut bytes = vec![0u8; len];
            rng.fill_bytes(&mut bytes);
            if let Some(first) = bytes.first_mut() {
                *first = VERSION;
            }
            let _ = Distribution::parse(&bytes);
            let _ = Envelope::parse(&bytes);
        }
    }
}
