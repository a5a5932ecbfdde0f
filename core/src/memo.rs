//! A memo of the pure functions a receiver computes: signature verification and chain steps.
//!
//! In a simulated group every member receives every message, so the same pure work is done once per receiver:
//! each of a thousand receivers verifies the same Ed25519 signature under the same public key, and steps the
//! same chain key to the same message key. A [`Memo`] shared by the sessions of one process remembers the
//! results and hands them back. It is a memo, never a skipped check:
//!
//! * a verdict is reused only for the *same* (public key, signed bytes, signature), compared byte for byte —
//!   a receiver holding a different key, or a message differing in one bit, gets its own verification, and a
//!   refused signature is remembered as refused;
//! * a chain step is reused only for the same KDF family and the same chain key, compared byte for byte;
//! * a parsed public key (Ed25519 point decompression and validation: a square root in the field) is
//!   reused only for the same 32 bytes, and an invalid point is remembered as invalid.
//!
//! Each table is direct-mapped: an input goes to one slot, chosen by its first bytes (the signature's, the
//! chain key's), and a colliding input simply replaces the entry. A collision can only cost a recomputation, never a wrong answer, and nothing is
//! ever iterated, so the memo cannot change a run's outcome, its trace or its report — only its speed. The
//! tests in `core/tests/memo.rs` check exactly that, input for input.
//!
//! The step table holds chain keys and message keys. It is harness memory: it is never exported, never part
//! of a session's state, and zeroizes what it evicts (the key types zeroize on drop). A real client must not
//! keep such a table — it would undo forward secrecy — which is why sessions only use one when given one
//! ([`crate::GroupSession::set_memo`]).

use core::cell::RefCell;
use core::fmt;
use std::rc::Rc;

use crate::consts::{
    MEMO_CHAIN_STEP_SLOTS, MEMO_PUBLIC_KEY_SLOTS, MEMO_VERDICT_SLOTS, SIGNATURE_BYTES,
    SIGNING_PUBLIC_KEY_BYTES,
};
use crate::error::Result;
use crate::kdf::{ChainKey, Kdf, MessageKey};
use crate::signing::{self, SigningPublicKey};
use ed25519_dalek::VerifyingKey;

/// A memo shared by the sessions of one run (sessions are single-threaded; every run has its own).
pub type SharedMemo = Rc<RefCell<Memo>>;

/// Work the memo did and saved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemoStats {
    /// Ed25519 verifications actually performed.
    pub verifications_performed: u64,
    /// Verifications answered with an earlier verdict for the same inputs.
    pub verifications_memoised: u64,
    /// Chain steps (message key and next chain key) actually derived.
    pub chain_steps_derived: u64,
    /// Chain steps answered from the memo.
    pub chain_steps_memoised: u64,
    /// Public keys actually parsed.
    pub public_keys_parsed: u64,
    /// Public keys answered from the memo.
    pub public_keys_memoised: u64,
}

/// One remembered verdict: the inputs in full, and the answer.
struct Verdict {
    public_key: [u8; 32],
    signature: [u8; SIGNATURE_BYTES],
    message: Vec<u8>,
    valid: bool,
}

/// One remembered chain step: the family and chain key in full, and both outputs.
struct Step {
    kdf: Kdf,
    chain_key: ChainKey,
    message_key: MessageKey,
    next_chain_key: ChainKey,
}

/// One remembered public key: its bytes and the point they decompress to (`None`: not a valid point).
struct PublicKey {
    bytes: [u8; SIGNING_PUBLIC_KEY_BYTES],
    point: Option<VerifyingKey>,
}

/// The memo tables. See the module documentation.
pub struct Memo {
    verdicts: Box<[Option<Verdict>]>,
    steps: Box<[Option<Step>]>,
    public_keys: Box<[Option<PublicKey>]>,
    stats: MemoStats,
}

impl fmt::Debug for Memo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Memo")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Default for Memo {
    fn default() -> Self {
        Memo::new()
    }
}

/// The slot of an input: its first eight bytes, modulo the table size.
fn slot(first_bytes: &[u8], slots: usize) -> usize {
    let mut word = [0u8; 8];
    let n = first_bytes.len().min(8);
    word[..n].copy_from_slice(&first_bytes[..n]);
    // Invariant: `slots` is a table size far below 2^64, so the remainder fits in usize.
    usize::try_from(u64::from_le_bytes(word) % slots as u64).expect("a slot index fits in usize")
}

impl Memo {
    /// Empty tables of [`MEMO_VERDICT_SLOTS`], [`MEMO_CHAIN_STEP_SLOTS`] and [`MEMO_PUBLIC_KEY_SLOTS`] slots.
    pub fn new() -> Self {
        Memo {
            verdicts: (0..MEMO_VERDICT_SLOTS).map(|_| None).collect(),
            steps: (0..MEMO_CHAIN_STEP_SLOTS).map(|_| None).collect(),
            public_keys: (0..MEMO_PUBLIC_KEY_SLOTS).map(|_| None).collect(),
            stats: MemoStats::default(),
        }
    }

    /// A fresh memo to share between sessions.
    pub fn shared() -> SharedMemo {
        Rc::new(RefCell::new(Memo::new()))
    }

    /// What the memo did and saved so far.
    pub fn stats(&self) -> MemoStats {
        self.stats
    }

    /// Whether `signature` is a valid strict Ed25519 signature of `message` under `key` — the same answer as
    /// [`SigningPublicKey::verifies`], computed once per distinct (key, message, signature).
    pub fn verify(
        &mut self,
        key: &SigningPublicKey,
        message: &[u8],
        signature: &[u8; SIGNATURE_BYTES],
    ) -> bool {
        let public_key = key.to_bytes();
        let at = slot(signature, self.verdicts.len());
        if let Some(held) = &self.verdicts[at]
            && held.public_key == public_key
            && held.signature == *signature
            && held.message == message
        {
            self.stats.verifications_memoised += 1;
            return held.valid;
        }
        let valid = self
            .point(&public_key)
            .is_some_and(|point| signing::verifies_with(&point, message, signature));
        self.stats.verifications_performed += 1;
        self.verdicts[at] = Some(Verdict {
            public_key,
            signature: *signature,
            message: message.to_vec(),
            valid,
        });
        valid
    }

    /// The message key of `chain_key` and the chain key that follows it — the same answers as
    /// [`Kdf::message_key`] and [`Kdf::next_chain_key`], derived once per distinct (family, chain key).
    pub fn chain_step(&mut self, kdf: &Kdf, chain_key: &ChainKey) -> (MessageKey, ChainKey) {
        let at = slot(chain_key.as_bytes(), self.steps.len());
        if let Some(held) = &self.steps[at]
            && held.kdf == *kdf
            && held.chain_key == *chain_key
        {
            self.stats.chain_steps_memoised += 1;
            return (held.message_key.clone(), held.next_chain_key.clone());
        }
        let message_key = kdf.message_key(chain_key);
        let next_chain_key = kdf.next_chain_key(chain_key);
        self.stats.chain_steps_derived += 1;
        self.steps[at] = Some(Step {
            kdf: *kdf,
            chain_key: chain_key.clone(),
            message_key: message_key.clone(),
            next_chain_key: next_chain_key.clone(),
        });
        (message_key, next_chain_key)
    }

    /// The chain key that follows `chain_key`: from the memo if the step is there, otherwise derived without
    /// remembering it (a long jump's intermediate steps would only evict steps other receivers still need).
    pub fn next_chain_key(&mut self, kdf: &Kdf, chain_key: &ChainKey) -> ChainKey {
        let at = slot(chain_key.as_bytes(), self.steps.len());
        if let Some(held) = &self.steps[at]
            && held.kdf == *kdf
            && held.chain_key == *chain_key
        {
            self.stats.chain_steps_memoised += 1;
            return held.next_chain_key.clone();
        }
        kdf.next_chain_key(chain_key)
    }

    /// The public key `bytes` parse to, or `None` if they are not a valid Ed25519 point — the same answer as
    /// [`SigningPublicKey::from_bytes`], computed once per distinct 32 bytes.
    pub fn public_key(&mut self, bytes: &[u8; SIGNING_PUBLIC_KEY_BYTES]) -> Option<SigningPublicKey> {
        self.point(bytes).map(|_| SigningPublicKey::decompressed(*bytes))
    }

    /// The point `bytes` decompress to (a square root in the field), once per distinct 32 bytes.
    fn point(&mut self, bytes: &[u8; SIGNING_PUBLIC_KEY_BYTES]) -> Option<VerifyingKey> {
        let at = slot(bytes, self.public_keys.len());
        if let Some(held) = &self.public_keys[at]
            && held.bytes == *bytes
        {
            self.stats.public_keys_memoised += 1;
            return held.point;
        }
        let point = signing::decompress(bytes);
        self.stats.public_keys_parsed += 1;
        self.public_keys[at] = Some(PublicKey { bytes: *bytes, point });
        point
    }
}

/// Parses a public key through `memo` if there is one, directly otherwise; `what` names the input in the error.
///
/// # Errors
///
/// When `bytes` are not a valid Ed25519 point.
pub fn public_key(
    memo: Option<&SharedMemo>,
    what: &'static str,
    bytes: &[u8; SIGNING_PUBLIC_KEY_BYTES],
) -> Result<SigningPublicKey> {
    match memo {
        Some(memo) => memo
            .borrow_mut()
            .public_key(bytes)
            .ok_or_else(|| SigningPublicKey::invalid(what)),
        None => SigningPublicKey::from_bytes(what, bytes),
    }
}

/// Verifies through `memo` if there is one, directly otherwise.
pub fn verify(
    memo: Option<&SharedMemo>,
    key: &SigningPublicKey,
    message: &[u8],
    signature: &[u8; SIGNATURE_BYTES],
) -> bool {
    match memo {
        Some(memo) => memo.borrow_mut().verify(key, message, signature),
        None => key.verifies(message, signature),
    }
}

/// How a receiver derives chain steps: through a memo, or directly.
#[derive(Clone, Copy)]
pub(crate) struct Steps<'a> {
    pub(crate) kdf: &'a Kdf,
    pub(crate) memo: Option<&'a SharedMemo>,
}

/// The message key of `chain_key` and the chain key after it in the family `kdf`, through `memo` if there is one,
/// directly otherwise.
pub fn chain_step(memo: Option<&SharedMemo>, kdf: &Kdf, chain_key: &ChainKey) -> (MessageKey, ChainKey) {
    match memo {
        Some(memo) => memo.borrow_mut().chain_step(kdf, chain_key),
        None => (kdf.message_key(chain_key), kdf.next_chain_key(chain_key)),
    }
}

impl Steps<'_> {
    /// The message key of `chain_key` and the next chain key.
    pub(crate) fn step(&self, chain_key: &ChainKey) -> (MessageKey, ChainKey) {
        chain_step(self.memo, self.kdf, chain_key)
    }

    /// Only the next chain key (for steps whose message key is not kept).
    pub(crate) fn next(&self, chain_key: &ChainKey) -> ChainKey {
        match self.memo {
            Some(memo) => memo.borrow_mut().next_chain_key(self.kdf, chain_key),
            None => self.kdf.next_chain_key(chain_key),
        }
    }
}
