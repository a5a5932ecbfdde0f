//! The message ciphers: AES-256-GCM and ChaCha20-Poly1305 with 96-bit nonces, and AES-256-CBC with PKCS7
//! for the Signal suite (where, as in libsignal, the signature is the only integrity check).

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use chacha20poly1305::ChaCha20Poly1305;

use crate::consts::{AEAD_NONCE_BYTES, CBC_IV_BYTES};
use crate::kdf::MessageKey;

/// A message cipher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cipher {
    /// AES-256-GCM, 96-bit random nonce on the wire.
    Aes256Gcm,
    /// ChaCha20-Poly1305, 96-bit random nonce on the wire.
    ChaCha20Poly1305,
    /// AES-256-CBC with PKCS7 padding; the IV is derived with the key (Signal).
    Aes256Cbc,
}

/// The nonce or IV one message uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nonce {
    /// A 96-bit AEAD nonce, carried on the wire.
    Aead([u8; AEAD_NONCE_BYTES]),
    /// A 128-bit CBC IV, derived from the chain (not on the wire).
    Cbc([u8; CBC_IV_BYTES]),
}

impl Nonce {
    /// The nonce bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Nonce::Aead(n) => n,
            Nonce::Cbc(iv) => iv,
        }
    }
}

/// Why [`Cipher::open`] failed; deliberately carries no detail (no padding oracle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFailed;

impl Cipher {
    /// Whether the cipher detects a wrong key or altered ciphertext itself (an AEAD). AES-CBC does not: under a
    /// wrong key it yields garbage that passes the padding check about once in 256 tries, and Signal relies on
    /// the message signature and the authenticated pairwise channel instead.
    pub fn is_authenticated(&self) -> bool {
        match self {
            Cipher::Aes256Gcm | Cipher::ChaCha20Poly1305 => true,
            Cipher::Aes256Cbc => false,
        }
    }

    /// The cipher's stable name, as written in the known-answer vectors.
    pub fn name(&self) -> &'static str {
        match self {
            Cipher::Aes256Gcm => "aes-256-gcm",
            Cipher::ChaCha20Poly1305 => "chacha20-poly1305",
            Cipher::Aes256Cbc => "aes-256-cbc",
        }
    }

    /// Encrypts `plaintext`. For AEADs the result includes the 16-byte tag. `aad` is ignored by CBC, which
    /// has none; the suites that use CBC pass it empty.
    pub fn seal(&self, key: &MessageKey, nonce: &Nonce, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let payload = Payload { msg: plaintext, aad };
        match (self, nonce) {
            (Cipher::Aes256Gcm, Nonce::Aead(n)) => Aes256Gcm::new(key.cipher_key().into())
                .encrypt(n.into(), payload)
                .expect("AES-GCM encrypts any message below 64 GiB"),
            (Cipher::ChaCha20Poly1305, Nonce::Aead(n)) => ChaCha20Poly1305::new(key.cipher_key().into())
                .encrypt(n.into(), payload)
                .expect("ChaCha20-Poly1305 encrypts any message below 256 GiB"),
            (Cipher::Aes256Cbc, Nonce::Cbc(iv)) => {
                cbc::Encryptor::<aes::Aes256>::new(key.cipher_key().into(), iv.into())
                    .encrypt_padded_vec::<Pkcs7>(plaintext)
            }
            _ => unreachable!("suites pair AEADs with 96-bit nonces and CBC with derived IVs"),
        }
    }

    /// Decrypts and checks `ciphertext`; fails on a bad tag, bad padding, or a nonce of the wrong kind.
    pub fn open(
        &self,
        key: &MessageKey,
        nonce: &Nonce,
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, OpenFailed> {
        let payload = Payload { msg: ciphertext, aad };
        match (self, nonce) {
            (Cipher::Aes256Gcm, Nonce::Aead(n)) => Aes256Gcm::new(key.cipher_key().into())
                .decrypt(n.into(), payload)
                .map_err(|_| OpenFailed),
            (Cipher::ChaCha20Poly1305, Nonce::Aead(n)) => ChaCha20Poly1305::new(key.cipher_key().into())
                .decrypt(n.into(), payload)
                .map_err(|_| OpenFailed),
            (Cipher::Aes256Cbc, Nonce::Cbc(iv)) => {
                cbc::Decryptor::<aes::Aes256>::new(key.cipher_key().into(), iv.into())
                    .decrypt_padded_vec::<Pkcs7>(ciphertext)
                    .map_err(|_| OpenFailed)
            }
            _ => Err(OpenFailed),
        }
    }
}
