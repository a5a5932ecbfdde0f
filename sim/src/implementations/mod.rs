//! The built-in implementations under test.
//!
//! The models (`accord`, `chatalot`, `p2p`) compute their pure work — Ed25519 verification, chain steps —
//! through [`verifies`] and [`chain_step`], which use the run's memo when the engine offered one
//! ([`crate::Implementation::use_memo`]) and compute directly otherwise: the same answers either way (the scenario
//! tests compare every report and trace with and without it), once per distinct input with it.

pub mod accord;
pub mod chatalot;
pub mod p2p;
pub mod reference;
#[cfg(test)]
pub(crate) mod test_support;

use senderkeys::SharedMemo;
use senderkeys::consts::{SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES};
use senderkeys::kdf::{ChainKey, Kdf, MessageKey};
use senderkeys::signing::SigningPublicKey;

/// Whether `signature` is a strict Ed25519 signature of `message` under the public key encoded as `key`; `false`
/// when `key` is not a valid point.
pub(crate) fn verifies(
    memo: Option<&SharedMemo>,
    key: &[u8; SIGNING_PUBLIC_KEY_BYTES],
    message: &[u8],
    signature: &[u8; SIGNATURE_BYTES],
) -> bool {
    match memo {
        Some(memo) => {
            let mut memo = memo.borrow_mut();
            memo.public_key(key)
                .is_some_and(|key| memo.verify(&key, message, signature))
        }
        None => SigningPublicKey::from_bytes("signing public key", key)
            .is_ok_and(|key| key.verifies(message, signature)),
    }
}

/// The message key of `chain_key` and the chain key after it, in the KDF family `kdf`.
pub(crate) fn chain_step(
    memo: Option<&SharedMemo>,
    kdf: &Kdf,
    chain_key: &ChainKey,
) -> (MessageKey, ChainKey) {
    match memo {
        Some(memo) => memo.borrow_mut().chain_step(kdf, chain_key),
        None => (kdf.message_key(chain_key), kdf.next_chain_key(chain_key)),
    }
}
