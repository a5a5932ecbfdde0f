//! The receiver side of one sender key: chain position and the skipped-key cache.
//!
//! Decryption is split in two so that a rejected message cannot change anything: `ReceiverState::lookup`
//! is pure (it checks the bounds and derives the key into a `KeyLookup`), and only after the signature and
//! the ciphertext have checked out does `ReceiverState::commit` apply it.

use std::collections::BTreeMap;

use crate::consts::{FORWARD_JUMP_MAX, SKIPPED_KEYS_MAX};
use crate::error::{PeerMisbehaved, Result};
use crate::ids::{KeyId, MemberId};
use crate::kdf::{ChainKey, MessageKey};
use crate::memo::Steps;
use crate::signing::SigningPublicKey;

/// One past the last iteration a `u32` can name: the `next` of a fully consumed chain.
pub(crate) const ITERATIONS_END: u64 = 1 << 32;

/// What a receiver knows of one sender key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiverState {
    pub(crate) key_id: KeyId,
    /// `None` only for unsigned suites.
    pub(crate) signing_key: Option<SigningPublicKey>,
    /// The chain key of iteration `next`.
    pub(crate) chain_key: ChainKey,
    /// Invariant: `next <= ITERATIONS_END`; the next iteration the chain will derive.
    pub(crate) next: u64,
    /// Invariant: at most [`SKIPPED_KEYS_MAX`] entries, every iteration below `next`.
    pub(crate) skipped: BTreeMap<u32, MessageKey>,
}

/// The key for one message, and what accepting the message would change. Applying it is
/// [`ReceiverState::commit`]'s job; dropping it changes nothing.
#[derive(Debug)]
pub(crate) enum KeyLookup {
    /// The key was in the skipped-key cache.
    Cached { iteration: u32, message_key: MessageKey },
    /// The key is at or ahead of the chain: accepting moves the chain past it.
    Advance {
        iteration: u32,
        message_key: MessageKey,
        /// The chain key of `iteration + 1`.
        chain_key: ChainKey,
        /// Keys of the skipped iterations that will survive in the cache, in increasing order.
        skipped: Vec<(u32, MessageKey)>,
    },
}

impl KeyLookup {
    /// The message key.
    pub(crate) fn message_key(&self) -> &MessageKey {
        match self {
            KeyLookup::Cached { message_key, .. } | KeyLookup::Advance { message_key, .. } => message_key,
        }
    }
}

impl ReceiverState {
    /// A receiver state positioned at `iteration` with chain key `chain_key`.
    pub(crate) fn new(
        key_id: KeyId,
        signing_key: Option<SigningPublicKey>,
        chain_key: ChainKey,
        iteration: u32,
    ) -> Self {
        ReceiverState {
            key_id,
            signing_key,
            chain_key,
            next: u64::from(iteration),
            skipped: BTreeMap::new(),
        }
    }

    /// The sender key this state belongs to.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The sender key's public signing key (`None` for unsigned suites).
    pub fn signing_key(&self) -> Option<&SigningPublicKey> {
        self.signing_key.as_ref()
    }

    /// The next iteration the chain will derive (2^32 once every iteration is consumed).
    pub fn next_iteration(&self) -> u64 {
        self.next
    }

    /// How many skipped message keys are cached.
    pub fn skipped_len(&self) -> usize {
        self.skipped.len()
    }

    /// Finds or derives the key of `iteration` without changing anything.
    pub(crate) fn lookup(&self, steps: Steps<'_>, sender: &MemberId, iteration: u32) -> Result<KeyLookup> {
        if u64::from(iteration) < self.next {
            return match self.skipped.get(&iteration) {
                Some(key) => Ok(KeyLookup::Cached {
                    iteration,
                    message_key: key.clone(),
                }),
                None => Err(PeerMisbehaved::Duplicate {
                    sender: sender.clone(),
                    key_id: self.key_id,
                    iteration,
                }
                .into()),
            };
        }
        let jump = u64::from(iteration) - self.next;
        if jump > u64::from(FORWARD_JUMP_MAX) {
            return Err(PeerMisbehaved::TooFarAhead {
                sender: sender.clone(),
                key_id: self.key_id,
                iteration,
                next: self.next,
                jump,
                jump_max: FORWARD_JUMP_MAX,
            }
            .into());
        }
        Ok(self.derive_forward(steps, iteration))
    }

    /// Walks the chain from `next` to `iteration`. Only the message keys that will survive in the cache (the
    /// last [`SKIPPED_KEYS_MAX`] skipped ones) are derived: the others would be evicted at once.
    fn derive_forward(&self, steps: Steps<'_>, iteration: u32) -> KeyLookup {
        let keep_from = u64::from(iteration).saturating_sub(SKIPPED_KEYS_MAX as u64);
        let mut chain_key = self.chain_key.clone();
        let mut skipped = Vec::new();
        for skipped_iteration in self.next..u64::from(iteration) {
            if skipped_iteration >= keep_from {
                // Invariant: skipped_iteration < iteration ≤ u32::MAX.
                let at = u32::try_from(skipped_iteration).expect("below a u32 iteration");
                let (message_key, next) = steps.step(&chain_key);
                skipped.push((at, message_key));
                chain_key = next;
            } else {
                chain_key = steps.next(&chain_key);
            }
        }
        let (message_key, chain_key) = steps.step(&chain_key);
        KeyLookup::Advance {
            iteration,
            message_key,
            chain_key,
            skipped,
        }
    }

    /// Applies an accepted lookup: consumes the cached key, or moves the chain and fills the cache,
    /// evicting the oldest keys beyond [`SKIPPED_KEYS_MAX`].
    pub(crate) fn commit(&mut self, lookup: KeyLookup) {
        match lookup {
            KeyLookup::Cached { iteration, .. } => {
                self.skipped.remove(&iteration);
            }
            KeyLookup::Advance {
                iteration,
                chain_key,
                skipped,
                ..
            } => {
                self.skipped.extend(skipped);
                while self.skipped.len() > SKIPPED_KEYS_MAX {
                    self.skipped.pop_first();
                }
                self.chain_key = chain_key;
                self.next = u64::from(iteration) + 1;
            }
        }
        // Invariants, checked in every build (two comparisons next to an AEAD open).
        assert!(
            self.skipped.len() <= SKIPPED_KEYS_MAX,
            "receiver invariant: {} skipped keys cached, bound {SKIPPED_KEYS_MAX}",
            self.skipped.len()
        );
        assert!(
            self.next <= ITERATIONS_END,
            "receiver invariant: next iteration {} past the u32 range",
            self.next
        );
    }
}
