//! The symmetric ratchet and the receiver side: one state per sender key, and the keys held of one sender.
//!
//! A refused envelope cannot change anything: [`ReceiverState::accept`] never writes to the state it is asked
//! about — it returns the message key together with the state as it will be after the envelope, and the caller
//! installs that state only once the envelope has been authenticated and decrypted.

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

/// The message key of an iteration the chain has moved past, kept until its envelope arrives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Skipped {
    pub(crate) iteration: u32,
    pub(crate) key: Key32,
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
    /// Keys of skipped iterations, sorted by strictly increasing iteration, all below `next`; at most
    /// [`SKIPPED_KEYS_MAX`]. Keys are only ever added above every held one, so the lowest — the first — go first.
    pub(crate) skipped: Vec<Skipped>,
}

impl ReceiverState {
    /// The message key of `iteration`, and this state as it will be once that envelope is accepted. `self` is not
    /// touched: the caller replaces it with the returned state only after the envelope has opened, so a refusal at
    /// any point changes nothing.
    ///
    /// An iteration below the chain is served from the cache, or is a `duplicate` (used, or evicted). One ahead is
    /// refused (`too-far-ahead`) before any work when more than [`FORWARD_JUMP_MAX`] ahead, and is otherwise
    /// derived at one `budget` step per iteration the chain moves past.
    pub(crate) fn accept(&self, iteration: u32, budget: &mut WorkBudget) -> Result<(Key32, Self), Rejection> {
        match u64::from(iteration).checked_sub(self.next) {
            None => self.take_skipped(iteration),
            Some(ahead) if ahead > u64::from(FORWARD_JUMP_MAX) => Err(reject(
                reason::TOO_FAR_AHEAD,
                format!("{ahead} iterations ahead, at most {FORWARD_JUMP_MAX}"),
            )),
            Some(ahead) => self.move_chain(iteration, ahead, budget),
        }
    }

    /// The cached key of `iteration` (below the chain), and the state without it.
    fn take_skipped(&self, iteration: u32) -> Result<(Key32, Self), Rejection> {
        let Ok(slot) = self.skipped.binary_search_by_key(&iteration, |s| s.iteration) else {
            let detail = format!("key {:08x} iteration {iteration} was used", self.key_id);
            return Err(reject(reason::DUPLICATE, detail));
        };
        let mut after = self.clone();
        let used = after.skipped.remove(slot);
        Ok((used.key, after))
    }

    /// Moves a copy of the chain `ahead` iterations to `iteration`, caching the keys it passes.
    ///
    /// The cache keeps the [`SKIPPED_KEYS_MAX`] highest skipped iterations, so of the `ahead` passed ones only the
    /// last `SKIPPED_KEYS_MAX` can survive: the chain is first fast-forwarded over the others without deriving
    /// their message keys, then walked over the kept ones deriving both.
    fn move_chain(
        &self,
        iteration: u32,
        ahead: u64,
        budget: &mut WorkBudget,
    ) -> Result<(Key32, Self), Rejection> {
        let cacheable = ahead.min(SKIPPED_KEYS_MAX as u64);
        let mut chain_key = self.chain_key.clone();
        for _ in cacheable..ahead {
            budget.step()?;
            chain_key = next_chain_key(&chain_key);
        }
        let target = u64::from(iteration);
        let mut passed = Vec::new();
        for at in target - cacheable..target {
            budget.step()?;
            let (key, next) = step(&chain_key);
            // Invariant: at < target <= u32::MAX.
            let iteration = u32::try_from(at).expect("below a u32 iteration");
            passed.push(Skipped { iteration, key });
            chain_key = next;
        }
        let (message_key, chain_key) = step(&chain_key);
        // Every held key is below `self.next`, every passed one at or above it: old ones first keeps the order.
        let overflow = (self.skipped.len() + passed.len()).saturating_sub(SKIPPED_KEYS_MAX);
        let mut skipped = self.skipped.get(overflow..).unwrap_or_default().to_vec();
        skipped.append(&mut passed);
        let after = ReceiverState {
            key_id: self.key_id,
            public_key: self.public_key.clone(),
            chain_key,
            next: target + 1,
            skipped,
        };
        Ok((message_key, after))
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
                    && s.skipped.windows(2).all(|w| w[0].iteration < w[1].iteration)
                    && s.skipped.last().is_none_or(|k| u64::from(k.iteration) < s.next)
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
            skipped: Vec::new(),
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
            skipped: Vec::new(),
        }
    }

    fn budget() -> WorkBudget {
        WorkBudget::new(10_000_000)
    }

    /// Accepts `iteration`: the state moves on, the key is returned.
    fn take(state: &mut ReceiverState, iteration: u32) -> Key32 {
        let (key, after) = state.accept(iteration, &mut budget()).expect("accepted");
        *state = after;
        key
    }

    fn refusal(state: &ReceiverState, iteration: u32) -> String {
        state
            .accept(iteration, &mut budget())
            .expect_err("refused")
            .reason
    }

    fn cached(state: &ReceiverState) -> Vec<u32> {
        state.skipped.iter().map(|k| k.iteration).collect()
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
        let (_, after) = state
            .accept(10 + FORWARD_JUMP_MAX, &mut at_bound)
            .expect("at the bound");
        assert_eq!(at_bound.steps(), u64::from(FORWARD_JUMP_MAX));
        assert_eq!(
            after.skipped.len(),
            SKIPPED_KEYS_MAX,
            "only the keys the cache keeps are derived"
        );

        let mut beyond = budget();
        let refused = state
            .accept(11 + FORWARD_JUMP_MAX, &mut beyond)
            .expect_err("beyond the bound");
        assert_eq!(refused.reason, reason::TOO_FAR_AHEAD);
        assert_eq!(beyond.steps(), 0, "refused before any work");
    }

    #[test]
    fn the_cache_holds_exactly_skipped_keys_max_and_evicts_the_lowest() {
        let mut state = state_at(0);
        let max = u32::try_from(SKIPPED_KEYS_MAX).unwrap();
        take(&mut state, max);
        assert_eq!(state.skipped.len(), SKIPPED_KEYS_MAX);
        assert_eq!(cached(&state).first(), Some(&0));

        take(&mut state, max + 2); // skips max + 1 once more
        assert_eq!(state.skipped.len(), SKIPPED_KEYS_MAX);
        assert_eq!(cached(&state).first(), Some(&1));
        assert_eq!(refusal(&state, 0), reason::DUPLICATE);
        assert!(
            state.accept(1, &mut budget()).is_ok(),
            "the oldest kept key is still there"
        );
    }

    #[test]
    fn a_cached_key_is_used_once() {
        let mut state = state_at(0);
        take(&mut state, 3);
        take(&mut state, 1);
        assert_eq!(refusal(&state, 1), reason::DUPLICATE);
        assert_eq!(refusal(&state, 3), reason::DUPLICATE);
        assert_eq!(cached(&state), [0, 2]);
    }

    #[test]
    fn the_last_iteration_is_usable_once() {
        let mut state = state_at(u64::from(u32::MAX));
        take(&mut state, u32::MAX);
        assert_eq!(state.next, ITERATIONS_END);
        assert_eq!(refusal(&state, u32::MAX), reason::DUPLICATE);
    }

    /// Against the plainest model — the key of iteration `i` is the message key of the chain stepped `i` times
    /// from the start; the open iterations are a set of numbers: every iteration a jump passes joins it, the
    /// lowest leave beyond `SKIPPED_KEYS_MAX`, an accepted one leaves — a scrambled order of arrivals, with
    /// repeats and jumps past the cache, gives the same keys and the same refusals.
    #[test]
    fn every_key_matches_the_chain_walked_from_the_start() {
        let start = Key32([3; 32]);
        let mut chain = vec![start.clone()];
        for _ in 0..3_000 {
            let next = next_chain_key(chain.last().expect("non-empty"));
            chain.push(next);
        }
        let mut state = ReceiverState {
            chain_key: start,
            ..state_at(0)
        };
        let (mut open, mut next, mut evicted) = (std::collections::BTreeSet::new(), 0u32, 0);
        // A deterministic scramble of 0..3000, with repeats.
        for iteration in (0..4_000u32).map(|n| n.wrapping_mul(2_654_435_761) % 3_000) {
            let expected = if iteration < next {
                open.remove(&iteration)
            } else {
                open.extend(next..iteration);
                while open.len() > SKIPPED_KEYS_MAX {
                    open.pop_first();
                    evicted += 1;
                }
                next = iteration + 1;
                true
            };
            let before = state.clone();
            match state.accept(iteration, &mut budget()) {
                Ok((key, after)) => {
                    assert!(expected, "{iteration} accepted");
                    assert_eq!(key, message_key(&chain[iteration as usize]), "{iteration}");
                    assert_eq!(state, before, "accepting only reads");
                    state = after;
                }
                Err(refused) => {
                    assert!(!expected, "{iteration} refused");
                    assert_eq!(refused.reason, reason::DUPLICATE);
                }
            }
            assert_eq!(cached(&state), open.iter().copied().collect::<Vec<_>>());
        }
        assert!(evicted > 0, "the arrivals overflow the cache");
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
        take(&mut record.states[0], 3);
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
