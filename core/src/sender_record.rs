//! Everything a receiver holds of one sender: its retained receiver states and the ids of its retired keys.

use std::collections::VecDeque;

use crate::consts::{FORWARD_JUMP_MAX, RETIRED_KEY_IDS_MAX, SENDER_STATES_MAX};
use crate::error::{PeerMisbehaved, Result};
use crate::ids::{KeyId, MemberId};
use crate::kdf::Kdf;
use crate::receiver::ReceiverState;
use crate::sender_key::SenderKeyDistribution;

/// One sender's keys, as one receiver holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SenderRecord {
    /// Invariant: at most [`SENDER_STATES_MAX`], newest first, distinct key ids.
    pub(crate) states: VecDeque<ReceiverState>,
    /// Invariant: at most [`RETIRED_KEY_IDS_MAX`], oldest first, none of them in `states`.
    pub(crate) retired: VecDeque<KeyId>,
}

impl SenderRecord {
    /// The retained states, newest first.
    pub(crate) fn states(&self) -> impl Iterator<Item = &ReceiverState> {
        self.states.iter()
    }

    /// Installs a distributed key, or checks a re-sent one against the held state.
    ///
    /// A retired key id is refused (re-installing it would re-open consumed iterations). A held key id is not
    /// re-installed — a stale or repeated distribution never rewinds a chain — but it must carry the same
    /// signing key and, when it is at or ahead of the receiver's position, the chain key the receiver derives
    /// there; otherwise it is a conflict. A new key becomes the newest state; beyond [`SENDER_STATES_MAX`] the
    /// oldest is retired.
    pub(crate) fn install(
        &mut self,
        kdf: &Kdf,
        from: &MemberId,
        dist: SenderKeyDistribution,
    ) -> Result<KeyId> {
        let key_id = dist.key_id;
        if self.retired.contains(&key_id) {
            return Err(PeerMisbehaved::RetiredKey {
                sender: from.clone(),
                key_id,
            }
            .into());
        }
        if let Some(held) = self.states.iter().find(|s| s.key_id == key_id) {
            let same_key = held.signing_key == dist.signing_key && held.agrees_with(kdf, &dist);
            return if same_key {
                Ok(key_id)
            } else {
                Err(PeerMisbehaved::KeyConflict {
                    sender: from.clone(),
                    key_id,
                }
                .into())
            };
        }
        // One state more, and no spare capacity: a receiver holds a record per sender, so a deque's default
        // growth (four states at once) would multiply the memory of a large group by three or four.
        self.states.reserve_exact(1);
        self.states.push_front(ReceiverState::new(
            key_id,
            dist.signing_key,
            dist.chain_key,
            dist.iteration,
        ));
        while self.states.len() > SENDER_STATES_MAX {
            if let Some(evicted) = self.states.pop_back() {
                self.retire(evicted.key_id);
            }
        }
        self.assert_invariants();
        Ok(key_id)
    }

    /// The field invariants, checked in every build after each change (at most 5 × 32 id comparisons, next to
    /// the signature check that precedes every install). A failure names the broken part.
    fn assert_invariants(&self) {
        assert!(
            self.states.len() <= SENDER_STATES_MAX,
            "sender record invariant: {} states retained, bound {SENDER_STATES_MAX}",
            self.states.len()
        );
        assert!(
            self.retired.len() <= RETIRED_KEY_IDS_MAX,
            "sender record invariant: {} retired ids, bound {RETIRED_KEY_IDS_MAX}",
            self.retired.len()
        );
        for (i, state) in self.states.iter().enumerate() {
            assert!(
                self.states
                    .iter()
                    .skip(i + 1)
                    .all(|other| other.key_id != state.key_id),
                "sender record invariant: key id {} retained twice",
                state.key_id
            );
            assert!(
                !self.retired.contains(&state.key_id),
                "sender record invariant: key id {} both retained and retired",
                state.key_id
            );
        }
    }

    /// Retires every held key (the sender left or was removed).
    pub(crate) fn retire_all(&mut self) {
        while let Some(state) = self.states.pop_front() {
            self.retire(state.key_id);
        }
        self.assert_invariants();
    }

    fn retire(&mut self, key_id: KeyId) {
        self.retired.push_back(key_id);
        while self.retired.len() > RETIRED_KEY_IDS_MAX {
            self.retired.pop_front();
        }
    }
}

impl ReceiverState {
    /// Whether a distribution of this key agrees with the chain: its chain key must be the one this state derives
    /// at its iteration. A distribution behind the receiver's position (the chain cannot be walked back) or more
    /// than [`FORWARD_JUMP_MAX`] ahead (too costly to check) is taken as agreeing, and changes nothing either way.
    fn agrees_with(&self, kdf: &Kdf, dist: &SenderKeyDistribution) -> bool {
        let target = u64::from(dist.iteration);
        if target < self.next || target - self.next > u64::from(FORWARD_JUMP_MAX) {
            return true;
        }
        let mut chain_key = self.chain_key.clone();
        for _ in self.next..target {
            chain_key = kdf.next_chain_key(&chain_key);
        }
        chain_key == dist.chain_key
    }
}
