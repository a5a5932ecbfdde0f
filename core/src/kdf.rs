//! The chain ratchet: three KDF families, each a pure function of the chain key.
//!
//! | family | message key | next chain key | origin |
//! |---|---|---|---|
//! | `hmac-labels` | HMAC-SHA256(ck, label_m) | HMAC-SHA256(ck, label_c) | Accord ("MessageKey"/"ChainKey"), the p2p sketch ("message"/"chain") |
//! | `hmac-bytes` | HKDF-SHA256(no salt, ikm = HMAC-SHA256(ck, 0x01), info "WhisperGroup", 48 bytes) = IV ‖ key | HMAC-SHA256(ck, 0x02) | libsignal `sender_keys.rs` |
//! | `hkdf-salted` | HKDF-SHA256(salt = ck, ikm = 0x01, info "chatalot-sender-key-chain", 32 bytes) | same with ikm 0x02 | Chatalot |

use core::fmt;

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::consts::{CBC_IV_BYTES, CHAIN_KEY_BYTES};

/// A 32-byte chain key. Zeroized on drop; `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct ChainKey([u8; CHAIN_KEY_BYTES]);

impl ChainKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; CHAIN_KEY_BYTES]) -> Self {
        ChainKey(bytes)
    }

    /// The raw key bytes (for distributions and known-answer vectors).
    pub fn as_bytes(&self) -> &[u8; CHAIN_KEY_BYTES] {
        &self.0
    }
}

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainKey(<redacted>)")
    }
}

/// The key material for one message. Zeroized on drop; `Debug` never prints it.
///
/// For `hmac-bytes` (Signal) it carries the 16-byte CBC IV derived with the key; for the other families the
/// nonce travels on the wire and `iv` is `None`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct MessageKey {
    key: [u8; 32],
    iv: Option<[u8; CBC_IV_BYTES]>,
}

impl MessageKey {
    /// The 32-byte cipher key.
    pub fn cipher_key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The derived IV (Signal suite only).
    pub fn derived_iv(&self) -> Option<&[u8; CBC_IV_BYTES]> {
        self.iv.as_ref()
    }

    /// The whole key material as the known-answer vectors write it: the 32-byte key, or for `hmac-bytes`
    /// the 48-byte HKDF output IV ‖ key.
    pub fn material(&self) -> Vec<u8> {
        match &self.iv {
            Some(iv) => [iv.as_slice(), self.key.as_slice()].concat(),
            None => self.key.to_vec(),
        }
    }

    /// Rebuilds a key from [`MessageKey::material`] (32 bytes, or 48 for `hmac-bytes`).
    pub fn from_material(material: &[u8]) -> Option<Self> {
        match material.len() {
            32 => Some(MessageKey {
                key: material.try_into().ok()?,
                iv: None,
            }),
            48 => Some(MessageKey {
                iv: Some(material[..CBC_IV_BYTES].try_into().ok()?),
                key: material[CBC_IV_BYTES..].try_into().ok()?,
            }),
            _ => None,
        }
    }
}

impl fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MessageKey(<redacted>)")
    }
}

/// A chain-ratchet KDF family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kdf {
    /// HMAC-SHA256 keyed by the chain key over a text label for each output.
    HmacLabels {
        /// Label of the message key.
        message: &'static str,
        /// Label of the next chain key.
        chain: &'static str,
    },
    /// libsignal: HMAC-SHA256 over the bytes 0x01 / 0x02, then HKDF "WhisperGroup" to IV ‖ key.
    HmacBytes,
    /// Chatalot: HKDF-SHA256 salted with the chain key over ikm 0x01 / 0x02.
    HkdfSalted,
}

/// The HKDF info string of `hmac-bytes` (libsignal).
pub const SIGNAL_MESSAGE_KEY_INFO: &[u8] = b"WhisperGroup";
/// The HKDF info string of `hkdf-salted` (Chatalot).
pub const CHATALOT_CHAIN_INFO: &[u8] = b"chatalot-sender-key-chain";

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // Invariant: HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hkdf_sha256<const N: usize>(salt: Option<&[u8]>, ikm: &[u8], info: &[u8]) -> [u8; N] {
    let mut okm = [0u8; N];
    // Invariant: N ≤ 48 is far below HKDF-SHA256's 255 × 32 byte limit.
    Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, &mut okm)
        .expect("HKDF output length is within bounds");
    okm
}

impl Kdf {
    /// The family's stable name, as written in the known-answer vectors.
    pub fn name(&self) -> &'static str {
        match self {
            Kdf::HmacLabels { .. } => "hmac-labels",
            Kdf::HmacBytes => "hmac-bytes",
            Kdf::HkdfSalted => "hkdf-salted",
        }
    }

    /// The message key of the chain position `ck`.
    pub fn message_key(&self, ck: &ChainKey) -> MessageKey {
        match self {
            Kdf::HmacLabels { message, .. } => MessageKey {
                key: hmac_sha256(&ck.0, message.as_bytes()),
                iv: None,
            },
            Kdf::HmacBytes => {
                let mut seed = hmac_sha256(&ck.0, &[0x01]);
                let okm: [u8; 48] = hkdf_sha256(None, &seed, SIGNAL_MESSAGE_KEY_INFO);
                seed.zeroize();
                MessageKey::from_material(&okm).expect("48 bytes is IV ‖ key")
            }
            Kdf::HkdfSalted => MessageKey {
                key: hkdf_sha256(Some(&ck.0), &[0x01], CHATALOT_CHAIN_INFO),
                iv: None,
            },
        }
    }

    /// The chain key that follows `ck`.
    pub fn next_chain_key(&self, ck: &ChainKey) -> ChainKey {
        ChainKey(match self {
            Kdf::HmacLabels { chain, .. } => hmac_sha256(&ck.0, chain.as_bytes()),
            Kdf::HmacBytes => hmac_sha256(&ck.0, &[0x02]),
            Kdf::HkdfSalted => hkdf_sha256(Some(&ck.0), &[0x02], CHATALOT_CHAIN_INFO),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Independent check of HMAC-SHA256 against RFC 4231 test case 2 ("Jefe").
    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    // Independent check of HKDF-SHA256 against RFC 5869 test case 1.
    #[test]
    fn hkdf_matches_rfc5869_case_1() {
        let ikm = [0x0b; 22];
        let salt = hex::decode("000102030405060708090a0b0c").unwrap();
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap();
        let okm: [u8; 42] = hkdf_sha256(Some(&salt), &ikm, &info);
        assert_eq!(
            hex::encode(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    #[test]
    fn families_differ_and_message_differs_from_chain() {
        let ck = ChainKey::from_bytes([7; 32]);
        let kdfs = [
            Kdf::HmacLabels {
                message: "message",
                chain: "chain",
            },
            Kdf::HmacBytes,
            Kdf::HkdfSalted,
        ];
        for kdf in kdfs {
            assert_ne!(
                kdf.message_key(&ck).cipher_key(),
                kdf.next_chain_key(&ck).as_bytes(),
                "{kdf:?}"
            );
        }
        assert_eq!(Kdf::HmacBytes.message_key(&ck).material().len(), 48);
        assert_eq!(Kdf::HkdfSalted.message_key(&ck).material().len(), 32);
    }

    #[test]
    fn debug_never_prints_key_bytes() {
        let ck = ChainKey::from_bytes([0xab; 32]);
        let mk = Kdf::HmacBytes.message_key(&ck);
        assert!(!format!("{ck:?}{mk:?}").contains("ab"));
    }
}
