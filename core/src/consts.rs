//! Every limit of the crate, in one place.
//!
//! The ratchet limits are libsignal's (`rust/protocol/src/consts.rs`); each has a test at its boundary
//! (`core/tests/limits.rs`).

/// At most this many skipped message keys are cached per receiver state, in total (not per jump).
/// When the cache is full the key with the lowest iteration is evicted first.
pub const SKIPPED_KEYS_MAX: usize = 2_000;

/// At most this many chain steps are taken to reach one message: a message whose iteration is more than
/// this far ahead of the receiver's next expected iteration is rejected as too far ahead.
pub const FORWARD_JUMP_MAX: u32 = 25_000;

/// At most this many receiver states are retained per sender, newest first, so that messages still in
/// flight under a rotated-out key decrypt. Adding one more evicts the oldest.
pub const SENDER_STATES_MAX: usize = 5;

/// At most this many key ids of rotated-out (evicted or forgotten) sender keys are remembered per sender,
/// so that a stale distribution cannot re-install a retired key and re-open its consumed iterations. Beyond
/// it the oldest is forgotten.
pub const RETIRED_KEY_IDS_MAX: usize = 32;

/// Largest plaintext the crate encrypts, in bytes.
pub const PLAINTEXT_BYTES_MAX: usize = 65_536;

/// Largest ciphertext (including tag or padding) any parser accepts, in bytes.
pub const CIPHERTEXT_BYTES_MAX: usize = PLAINTEXT_BYTES_MAX + 32;

/// Largest encoded envelope or distribution any parser accepts, in bytes. Base64 and JSON arrays of
/// numbers inflate the ciphertext, so this leaves room for Chatalot's `[12,34,...]` encoding (≤ 4 bytes
/// per byte) plus the header.
pub const WIRE_BYTES_MAX: usize = 4 * CIPHERTEXT_BYTES_MAX + 1_024;

/// Longest member id or group id, in bytes (UTF-8). Ids must also be non-empty.
pub const ID_BYTES_MAX: usize = 128;

/// Length of a chain key, in bytes.
pub const CHAIN_KEY_BYTES: usize = 32;

/// Length of an Ed25519 public key, in bytes.
pub const SIGNING_PUBLIC_KEY_BYTES: usize = 32;

/// Length of an Ed25519 signature, in bytes.
pub const SIGNATURE_BYTES: usize = 64;

/// Length of an AES-GCM or ChaCha20-Poly1305 nonce, in bytes (96 bits).
pub const AEAD_NONCE_BYTES: usize = 12;

/// Length of an AES-GCM or ChaCha20-Poly1305 tag, in bytes.
pub const AEAD_TAG_BYTES: usize = 16;

/// Length of the AES-CBC initialisation vector of the Signal suite, in bytes.
pub const CBC_IV_BYTES: usize = 16;

/// Length of an AES block, in bytes (the Signal suite's ciphertext is a non-zero multiple of it).
pub const AES_BLOCK_BYTES: usize = 16;

/// Length of an Accord sender-key fingerprint (`sk` / `skid`): the first 8 bytes of SHA-256 of the
/// signing public key, written as 16 lowercase hex characters.
pub const FINGERPRINT_BYTES: usize = 8;

/// Length of a Signal distribution id (a UUID), in bytes.
pub const DISTRIBUTION_ID_BYTES: usize = 16;

/// Slots of the verdict table of [`crate::memo::Memo`] (one remembered signature verification per slot).
/// Enough for every message in flight in a large simulated group; a collision costs a recomputation only.
pub const MEMO_VERDICT_SLOTS: usize = 4_096;

/// Slots of the chain-step table of [`crate::memo::Memo`] (one remembered chain step per slot).
pub const MEMO_CHAIN_STEP_SLOTS: usize = 8_192;

/// Slots of the public-key table of [`crate::memo::Memo`] (one parsed signing public key per slot).
pub const MEMO_PUBLIC_KEY_SLOTS: usize = 4_096;
