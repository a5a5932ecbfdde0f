//! The built-in implementations under test.
//!
//! The models (`accord`, `chatalot`, `p2p`) compute their pure work — Ed25519 verification, chain steps —
//! through `verifies` and `chain_step` (crate-private), which use the run's memo when the engine offered one
//! ([`crate::Implementation::use_memo`]) and compute directly otherwise: the same answers either way (the scenario
//! tests compare every report and trace with and without it), once per distinct input with it.

pub mod accord;
pub mod chatalot;
pub mod p2p;
pub mod reference;
pub mod registry;
#[cfg(test)]
pub(crate) mod test_support;
pub mod zoo;

use senderkeys::SharedMemo;
use senderkeys::consts::{SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES};
pub(crate) use senderkeys::memo::chain_step;

/// Whether `signature` is a strict Ed25519 signature of `message` under the public key encoded as `key`; `false`
/// when `key` is not a valid point.
pub(crate) fn verifies(
    memo: Option<&SharedMemo>,
    key: &[u8; SIGNING_PUBLIC_KEY_BYTES],
    message: &[u8],
    signature: &[u8; SIGNATURE_BYTES],
) -> bool {
    senderkeys::memo::public_key(memo, "signing public key", key)
        .is_ok_and(|key| senderkeys::memo::verify(memo, &key, message, signature))
}
