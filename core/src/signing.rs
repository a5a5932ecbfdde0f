//! Ed25519 signing keys of sender keys (ed25519-dalek). Verification is strict: non-canonical and
//! small-order encodings are rejected.

use core::fmt;

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rand_core::CryptoRng;

use crate::consts::{SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES};
use crate::error::{Error, Result};

/// A sender key's private signing key. Zeroized on drop; `Debug` prints only the public half.
#[derive(Clone)]
pub struct SigningKeyPair(SigningKey);

/// A sender key's public signing key, known to be a valid Ed25519 point.
///
/// It holds the 32-byte encoding, checked when the key is made, rather than the decompressed point (192
/// bytes): every member holds one per other sender, so at thousands of members the point would dominate a
/// simulation's memory. Verifying decompresses it again — [`crate::memo::Memo`] remembers decompressed points
/// for the simulator.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SigningPublicKey([u8; SIGNING_PUBLIC_KEY_BYTES]);

impl SigningKeyPair {
    /// Draws a fresh key from the caller's RNG.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut secret);
        let key = SigningKeyPair(SigningKey::from_bytes(&secret));
        zeroize::Zeroize::zeroize(&mut secret);
        key
    }

    /// Rebuilds a key from its 32 secret bytes (state import).
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Self {
        SigningKeyPair(SigningKey::from_bytes(secret))
    }

    /// The 32 secret bytes (state export).
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> SigningPublicKey {
        SigningPublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_BYTES] {
        use ed25519_dalek::Signer as _;
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKeyPair(public {:?}, secret <redacted>)", self.public())
    }
}

impl SigningPublicKey {
    /// Parses a public key; fails if the bytes are not a valid Ed25519 point.
    pub fn from_bytes(what: &'static str, bytes: &[u8; SIGNING_PUBLIC_KEY_BYTES]) -> Result<Self> {
        decompress(bytes)
            .map(|_| SigningPublicKey(*bytes))
            .ok_or_else(|| SigningPublicKey::invalid(what))
    }

    /// The error of bytes that are not a valid point, in `what`.
    pub(crate) fn invalid(what: &'static str) -> Error {
        Error::malformed(what, "signing public key is not a valid Ed25519 point")
    }

    /// The 32 public bytes.
    pub fn to_bytes(&self) -> [u8; SIGNING_PUBLIC_KEY_BYTES] {
        self.0
    }

    /// A key whose bytes the caller has just decompressed successfully (the memo's path to
    /// [`SigningPublicKey::from_bytes`]).
    pub(crate) fn decompressed(bytes: [u8; SIGNING_PUBLIC_KEY_BYTES]) -> Self {
        SigningPublicKey(bytes)
    }

    /// Whether `signature` is a valid strict Ed25519 signature of `message` under this key.
    pub fn verifies(&self, message: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> bool {
        // The bytes were checked when the key was made, so this decompression succeeds; were it ever to fail,
        // the answer is the safe one.
        decompress(&self.0).is_some_and(|point| verifies_with(&point, message, signature))
    }
}

/// The decompressed point of a public key's encoding, or `None` if it is not a valid Ed25519 point.
pub(crate) fn decompress(bytes: &[u8; SIGNING_PUBLIC_KEY_BYTES]) -> Option<VerifyingKey> {
    VerifyingKey::from_bytes(bytes).ok()
}

/// Strict verification under an already decompressed point.
pub(crate) fn verifies_with(point: &VerifyingKey, message: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> bool {
    point
        .verify_strict(message, &Signature::from_bytes(signature))
        .is_ok()
}

impl fmt::Debug for SigningPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningPublicKey({})", hex::encode(self.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every member holds one public key per other sender, so its size is a simulation's memory per member pair:
    /// the encoding, not the 192-byte decompressed point.
    #[test]
    fn a_public_key_is_its_encoding() {
        assert_eq!(core::mem::size_of::<SigningPublicKey>(), SIGNING_PUBLIC_KEY_BYTES);
    }

    #[test]
    fn a_held_key_verifies_as_the_point_would() {
        let pair = SigningKeyPair::from_secret_bytes(&[7; 32]);
        let public = pair.public();
        let signature = pair.sign(b"hello");
        assert!(public.verifies(b"hello", &signature));
        assert!(!public.verifies(b"hellp", &signature));
        let mut forged = signature;
        forged[0] ^= 1;
        assert!(!public.verifies(b"hello", &forged));
        let again = SigningPublicKey::from_bytes("test", &public.to_bytes()).expect("a valid key parses");
        assert_eq!(again, public);
    }

    #[test]
    fn bytes_off_the_curve_make_no_key() {
        // y = 2 is not the y-coordinate of any point on edwards25519.
        let mut bytes = [0u8; SIGNING_PUBLIC_KEY_BYTES];
        bytes[0] = 2;
        let err = SigningPublicKey::from_bytes("test key", &bytes).expect_err("not a point");
        assert!(err.to_string().contains("test key"), "{err}");
    }
}
