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
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SigningPublicKey(VerifyingKey);

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
        SigningPublicKey(self.0.verifying_key())
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
        VerifyingKey::from_bytes(bytes)
            .map(SigningPublicKey)
            .map_err(|_| SigningPublicKey::invalid(what))
    }

    /// The error of bytes that are not a valid point, in `what`.
    pub(crate) fn invalid(what: &'static str) -> Error {
        Error::malformed(what, "signing public key is not a valid Ed25519 point")
    }

    /// The 32 public bytes.
    pub fn to_bytes(&self) -> [u8; SIGNING_PUBLIC_KEY_BYTES] {
        self.0.to_bytes()
    }

    /// Whether `signature` is a valid strict Ed25519 signature of `message` under this key.
    pub fn verifies(&self, message: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> bool {
        self.0
            .verify_strict(message, &Signature::from_bytes(signature))
            .is_ok()
    }
}

impl fmt::Debug for SigningPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningPublicKey({})", hex::encode(self.to_bytes()))
    }
}
