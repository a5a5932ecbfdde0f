//! The symmetric ratchet and the receiver side: one state per sender key, and the keys held of one sender.
//!
//! Receiving is split in two so that a refused envelope cannot change anything: [`ReceiverState::lookup`] only
//! reads (it checks the bounds and derives on a copy), and [`ReceiverState::commit`] applies what it found once
//! the envelope has been authenticated and decrypted.

use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sksim::MemberId;
use sksim::{Rejection, WorkBudget};

use crate::wire::Distribution;
use crate::{
    FORWARD_JUMP_MAX, Key32, RETIRED_KEY_IDS_MAX, SENDER_STATES_MAX, SKIPPED_KEYS_MAX, reason, reject,
};

/// One past the last iteration a `u32` names: the `next` of a chain whose every iteration is used.
pub(crate) const ITERATIONS_END: u64 = 1 << 32;

/// `HMAC-SHA256(chain_key, label)`.
fn hmac(chain_key: &Key32, label: u8) -> Key32 {
    // Invariant: HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(&chain_key.0).expect("HMAC takes any key length");
    mac.update(&[label]);
    Key32(mac.finalize().into_bytes().into())
}

/// The message key of this chain key's iteration (label `0x01`).
pub(crate) fn message_key(chain_key: &Key32) -> Key32 {
    hmac(chain_key, 0x01)
}

/// The chain key of the next iteration (label `0x02`).
pub(crate) fn next_chain_key(chain_key: &Key32) -> Key32 {
    hmac(chain_key, 0x02)
}

/// One chain step: (message key, next chain key).
pub(crate) fn step(chain_key: &Key32) -> (Key32, Key32) {
    (message_key(chain_key), next_chain_key(chain_key))
}

/// What a receiver holds of one sender key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ReceiverState {
    pub(crate) key_id: u32,
    /// The Ed25519 public key (checked to be a valid point when the distribution was parsed).
    pub(crate) public_key: Key32,
    /// The chain key of iteration `next`.
    pub(crate) chain_key: Key32,
    /// The next iteration the chain derives; at most [`ITERATIONS_END`].
    pub(crate) next: u64,
    /// Message keys of skipped iterations, all below `next`; at most [`SKIPPED_KEYS_MAX`].
    pub(crate) skipped: BTreeMap<u32, Key32>,
}

/// The key of one envelope, and what accepting it changes. Dropping it changes nothing.
pub(crate) enum Lookup {
    /// The key was waiting in the skipped-key cache.
    Cached { iteration: u32, message_key: Key32 },
    /// The key is at or ahead of the chain.
    Advance {
        iteration: u32,
        message_key: Key32,
        /// The chain key of `iteration + 1`.
        chain_key: Key32,
        /// The skipped keys that will be cached, by increasing iteration.
        skipped: Vec<(u32, Key32)>,
    },
}

impl Lookup {
    pub(crate) fn message_key(&self) -> &Key32 {
        match self {
            Lookup::Cached { message_key, .. } | Lookup::Advance { message_key, .. } => message_key,
        }
    }
}

impl ReceiverState {
    /// Finds or derives the message key of `iteration`, without changing anything. Refuses a used iteration
    /// (`duplicate`) and, before deriving anything, one more than [`FORWARD_JUMP_MAX`] ahead (`too-far-ahead`).
    /// Takes one `budget` step per iteration the chain moves past.
    pub(crate) fn lookup(&self, iteration: u32, budget: &mut WorkBudget) -> Result<Lookup, Rejection> {
        let at = u64::from(iteration);
        if at < self.next {
            return match self.skipped.get(&iteration) {
                Some(key) => Ok(Lookup::Cached {
                    iteration,
                    message_key: key.clone(),
                }),
                None => Err(reject(
                    reason::DUPLICATE,
                    format!("key {:08x} iteration {iteration} was used", self.key_id),
                )),
            };
        }
        let jump = at - self.next;
        if jump > u64::from(FORWARD_JUMP_MAX) {
            let detail = format!("{jump} iterations ahead, at most {FORWARD_JUMP_MAX}");
            return Err(reject(reason::TOO_FAR_AHEAD, detail));
        }
        // Only the last SKIPPED_KEYS_MAX skipped keys would survive in the cache: derive message keys for those.
        let keep_from = at.saturating_sub(SKIPPED_KEYS_MAX as u64);
        let mut chain_key = self.chain_key.clone();
        let mut skipped = Vec::new();
        for skipped_at in self.next..at {
            budget.step()?;
            if skipped_at >= keep_from {
                // Invariant: skipped_at < at <= u32::MAX.
                let skipped_at = u32::try_from(skipped_at).expect("below a u32 iteration");
                skipped.push((skipped_at, message_key(&chain_key)));
            }
            chain_key = next_chain_key(&chain_key);
        }
        let (message_key, chain_key) = step(&chain_key);
        Ok(Lookup::Advance {
            iteration,
            message_key,
            chain_key,
            skipped,
        })
    }

    /// Applies an accepted lookup: the used key is deleted, the chain moves past it, the cache keeps at most
    /// [`SKIPPED_KEYS_MAX`] keys (the lowest iterations go first).
    pub(crate) fn commit(&mut self, lookup: Lookup) {
        match lookup {
            Lookup::Cached { iteration, .. } => {
                self.skipped.remove(&iteration);
            }
            Lookup::Advance {
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
    }
}

/// Everything one receiver holds of one sender.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SenderRecord {
    /// Oldest first, distinct key ids, at most [`SENDER_STATES_MAX`].
    pub(crate) states: Vec<ReceiverState>,
    /// Ids of retired keys, oldest first, none of them in `states`, at most [`RETIRED_KEY_IDS_MAX`].
    pub(crate) retired: Vec<u32>,
}

impl SenderRecord {
    /// Whether imported state keeps the invariants above.
    pub(crate) fn is_valid(&self) -> bool {
        self.states.len() <= SENDER_STATES_MAX
            && self.retired.len() <= RETIRED_KEY_IDS_MAX
            && self.states.iter().all(|s| {
                s.next <= ITERATIONS_END
                    && s.skipped.len() <= SKIPPED_KEYS_MAX
                    && s.skipped.keys().all(|&i| u64::from(i) < s.next)
            })
    }

    /// Installs a distributed key. A retired key is refused; a held one is never re-installed (a stale
    /// distribution must not rewind the chain) and must carry the same public key. Unless `rewind` — a
    /// deliberate bug — replaces the held state with the distributed one.
    pub(crate) fn install(&mut self, dist: &Distribution, rewind: bool) -> Result<(), Rejection> {
        let fresh = ReceiverState {
            key_id: dist.key_id,
            public_key: Key32(dist.public_key),
            chain_key: Key32(dist.chain_key),
            next: u64::from(dist.iteration),
            skipped: BTreeMap::new(),
        };
        if self.retired.contains(&dist.key_id) {
            let detail = format!("key {:08x} of {} was retired", dist.key_id, dist.sender);
            return Err(reject(reason::RETIRED_KEY, detail));
        }
        if let Some(held) = self.states.iter_mut().find(|s| s.key_id == dist.key_id) {
            if held.public_key != fresh.public_key {
                let detail = format!(
                    "key {:08x} of {} with another public key",
                    dist.key_id, dist.sender
                );
                return Err(reject(reason::KEY_CONFLICT, detail));
            }
            if rewind {
                *held = fresh;
            }
            return Ok(());
        }
        self.states.push(fresh);
        while self.states.len() > SENDER_STATES_MAX {
            let oldest = self.states.remove(0);
            self.retire(oldest.key_id);
        }
        Ok(())
    }

    /// The state of `key_id`, or why there is none (`unknown-key` and `unknown-sender` make sksim ask for the key).
    pub(crate) fn find_mut(&mut self, from: &MemberId, key_id: u32) -> Result<&mut ReceiverState, Rejection> {
        if self.retired.contains(&key_id) {
            return Err(reject(
                reason::RETIRED_KEY,
                format!("key {key_id:08x} of {from} was retired"),
            ));
        }
        if self.states.is_empty() {
            return Err(reject(reason::UNKNOWN_SENDER, format!("no key of {from}")));
        }
        let detail = format!("key {key_id:08x} of {from} is not held");
        (self.states.iter_mut().find(|s| s.key_id == key_id))
            .ok_or_else(|| reject(reason::UNKNOWN_KEY, detail))
    }

    /// Deletes every key of this sender; only their ids are remembered, so no old distribution re-installs one.
    pub(crate) fn retire_all(&mut self) {
        for state in std::mem::take(&mut self.states) {
            self.retire(state.key_id);
        }
    }

    fn retire(&mut self, key_id: u32) {
        self.retired.push(key_id);
        if self.retired.len() > RETIRED_KEY_IDS_MAX {
            self.retired.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_at(next: u64) -> ReceiverState {
        ReceiverState {
            key_id: 7,
            public_key: Key32([9; 32]),
            chain_key: Key32([1; 32]),
            next,
            skipped: BTreeMap::new(),
        }
    }

    fn budget() -> WorkBudget {
        WorkBudget::new(10_000_000)
    }

    #[test]
    fn the_chain_step_is_two_distinct_hmacs() {
        let (mk, ck) = step(&Key32([1; 32]));
        assert_ne!(mk, ck);
        assert_eq!(mk, message_key(&Key32([1; 32])));
        assert_eq!(ck, next_chain_key(&Key32([1; 32])));
    }

    #[test]
    fn a_jump_of_exactly_forward_jump_max_is_taken_one_more_is_refused_without_work() {
        let state = state_at(10);
        let mut at_bound = budget();
        let lookup = state
            .lookup(10 + FORWARD_JUMP_MAX, &mut at_bound)
            .expect("at the bound");
        assert_eq!(at_bound.steps(), u64::from(FORWARD_JUMP_MAX));
        let Lookup::Advance { skipped, .. } = lookup else {
            panic!("a jump advances")
        };
        assert_eq!(
            skipped.len(),
            SKIPPED_KEYS_MAX,
            "only the keys the cache keeps are derived"
        );

        let mut beyond = budget();
        let refused = state
            .lookup(11 + FORWARD_JUMP_MAX, &mut beyond)
            .err()
            .expect("beyond the bound");
        assert_eq!(refused.reason, reason::TOO_FAR_AHEAD);
        assert_eq!(beyond.steps(), 0, "refused before any work");
    }

    #[test]
    fn the_cache_holds_exactly_skipped_keys_max_and_evicts_the_lowest() {
        let mut state = state_at(0);
        let max = u32::try_from(SKIPPED_KEYS_MAX).unwrap();
        let lookup = state.lookup(max, &mut budget()).unwrap();
        state.commit(lookup);
        assert_eq!(state.skipped.len(), SKIPPED_KEYS_MAX);
        assert_eq!(state.skipped.first_key_value().map(|(i, _)| *i), Some(0));

        let lookup = state.lookup(max + 2, &mut budget()).unwrap(); // skips max + 1 once more
        state.commit(lookup);
        assert_eq!(state.skipped.len(), SKIPPED_KEYS_MAX);
        assert_eq!(state.skipped.first_key_value().map(|(i, _)| *i), Some(1));
        let evicted = state.lookup(0, &mut budget()).err().unwrap();
        assert_eq!(evicted.reason, reason::DUPLICATE);
        assert!(
            state.lookup(1, &mut budget()).is_ok(),
            "the oldest kept key is still there"
        );
    }

    #[test]
    fn a_cached_key_is_used_once() {
        let mut state = state_at(0);
        let lookup = state.lookup(3, &mut budget()).unwrap();
        state.commit(lookup);
        let cached = state.lookup(1, &mut budget()).unwrap();
        state.commit(cached);
        assert_eq!(
            state.lookup(1, &mut budget()).err().unwrap().reason,
            reason::DUPLICATE
        );
        assert_eq!(
            state.lookup(3, &mut budget()).err().unwrap().reason,
            reason::DUPLICATE
        );
        assert_eq!(state.skipped.keys().copied().collect::<Vec<_>>(), [0, 2]);
    }

    #[test]
    fn the_last_iteration_is_usable_once() {
        let mut state = state_at(u64::from(u32::MAX));
        let lookup = state.lookup(u32::MAX, &mut budget()).unwrap();
        state.commit(lookup);
        assert_eq!(state.next, ITERATIONS_END);
        assert_eq!(
            state.lookup(u32::MAX, &mut budget()).err().unwrap().reason,
            reason::DUPLICATE
        );
    }

    fn dist(key_id: u32, iteration: u32, public_key: u8) -> Distribution {
        Distribution {
            sender: "m1".to_owned(),
            key_id,
            iteration,
            chain_key: [key_id.to_le_bytes()[0]; 32],
            public_key: [public_key; 32],
        }
    }

    #[test]
    fn sender_states_max_keys_are_kept_and_the_oldest_is_retired_for_good() {
        let mut record = SenderRecord::default();
        let max = u32::try_from(SENDER_STATES_MAX).unwrap();
        for key_id in 0..max {
            record.install(&dist(key_id, 0, 1), false).unwrap();
        }
        assert_eq!(record.states.len(), SENDER_STATES_MAX);
        assert!(record.retired.is_empty());
        record.install(&dist(max, 0, 1), false).unwrap();
        assert_eq!(record.states.len(), SENDER_STATES_MAX);
        assert_eq!(record.retired, [0]);
        let again = record.install(&dist(0, 0, 1), false).unwrap_err();
        assert_eq!(again.reason, reason::RETIRED_KEY);
        let from = MemberId::new("m1").unwrap();
        assert_eq!(
            record.find_mut(&from, 0).err().unwrap().reason,
            reason::RETIRED_KEY
        );
        assert_eq!(
            record.find_mut(&from, 99).err().unwrap().reason,
            reason::UNKNOWN_KEY
        );
    }

    #[test]
    fn retired_key_ids_max_ids_are_remembered() {
        let mut record = SenderRecord::default();
        let max = u32::try_from(RETIRED_KEY_IDS_MAX).unwrap();
        for key_id in 0..max {
            record.retire(key_id);
        }
        assert_eq!(record.retired.len(), RETIRED_KEY_IDS_MAX);
        assert!(record.retired.contains(&0));
        record.retire(max);
        assert_eq!(record.retired.len(), RETIRED_KEY_IDS_MAX);
        assert!(!record.retired.contains(&0), "the oldest id is forgotten");
    }

    #[test]
    fn a_held_key_is_never_rewound_unless_the_bug_is_planted() {
        let mut record = SenderRecord::default();
        record.install(&dist(5, 0, 1), false).unwrap();
        let lookup = record.states[0].lookup(3, &mut budget()).unwrap();
        record.states[0].commit(lookup);
        let before = record.clone();
        record.install(&dist(5, 0, 1), false).unwrap();
        assert_eq!(record, before, "a stale distribution changes nothing");
        let conflict = record.install(&dist(5, 0, 2), false).unwrap_err();
        assert_eq!(conflict.reason, reason::KEY_CONFLICT);
        assert_eq!(record, before);
        record.install(&dist(5, 0, 1), true).unwrap();
        assert_eq!(record.states[0].next, 0, "the deliberate bug rewinds the chain");
    }
}
