//! What a zoo member holds of other members' keys: per sender up to [`SENDER_STATES_MAX`] receiver states (one per
//! key id, newest first) and the ids of keys it retired. Looking up and deriving is pure, on a copy; the caller
//! commits the copy only once every check passed.

use std::collections::BTreeMap;

use senderkeys::consts::{
    FORWARD_JUMP_MAX, RETIRED_KEY_IDS_MAX, SENDER_STATES_MAX, SIGNING_PUBLIC_KEY_BYTES, SKIPPED_KEYS_MAX,
};
use senderkeys::{ChainKey, Kdf, KeyId, MemberId, MessageKey, PeerMisbehaved, SharedMemo};

use super::Bug;
use super::wire::Distribution;
use crate::implementation::{Rejection, WorkBudget};
use crate::implementations::chain_step;

/// One receiver state: one key of one sender.
#[derive(Clone)]
pub(super) struct ReceiverState {
    pub(super) key_id: u32,
    pub(super) signing_public_key: [u8; SIGNING_PUBLIC_KEY_BYTES],
    /// The chain key of iteration `next`.
    pub(super) chain_key: ChainKey,
    /// The next iteration expected (2^32 once the chain is used up).
    pub(super) next: u64,
    /// Message keys of skipped iterations, by iteration.
    pub(super) skipped: BTreeMap<u32, MessageKey>,
    /// The chain as first given, `(iteration, chain key)`: kept only under [`Bug::KeepsInitialChain`].
    pub(super) first: Option<(u32, ChainKey)>,
}

/// Everything held of one sender.
#[derive(Clone, Default)]
pub(super) struct SenderRecord {
    /// Newest first, at most [`SENDER_STATES_MAX`].
    pub(super) states: Vec<ReceiverState>,
    /// Key ids rotated out, oldest first, at most [`RETIRED_KEY_IDS_MAX`]: a distribution naming one is refused.
    pub(super) retired: Vec<u32>,
}

/// The display form of a chain key id (as `last_sent` and `retained_keys` write it).
pub(super) fn key_name(key_id: u32) -> String {
    KeyId::Chain(key_id).to_string()
}

impl ReceiverState {
    /// A fresh state from a distribution.
    pub(super) fn from_distribution(d: &Distribution, bug: Option<Bug>) -> Self {
        let chain_key = ChainKey::from_bytes(d.chain_key);
        ReceiverState {
            key_id: d.key_id,
            signing_public_key: d.signing_public_key,
            first: (bug == Some(Bug::KeepsInitialChain)).then(|| (d.iteration, chain_key.clone())),
            chain_key,
            next: match bug {
                // The flaw: the distribution's iteration field is ignored; its chain key is taken as iteration 0's.
                Some(Bug::DistributionIterationIgnored) => 0,
                _ => u64::from(d.iteration),
            },
            skipped: BTreeMap::new(),
        }
    }

    /// The message key of `iteration` and the state after taking it — computed on a copy, `self` untouched.
    pub(super) fn derive(
        &self,
        sender: &MemberId,
        iteration: u32,
        ctx: &Derive<'_>,
        budget: &mut WorkBudget,
    ) -> Result<(MessageKey, ReceiverState), Rejection> {
        let mut next = self.clone();
        if u64::from(iteration) < self.next {
            let key = match ctx.bug {
                // The flaw: the key is read from the cache but left in it, so the iteration opens again.
                Some(Bug::SkippedKeyKept) => next.skipped.get(&iteration).cloned(),
                _ => next.skipped.remove(&iteration),
            };
            let key = key.ok_or_else(|| PeerMisbehaved::Duplicate {
                sender: sender.clone(),
                key_id: KeyId::Chain(self.key_id),
                iteration,
            })?;
            return Ok((key, next));
        }
        let jump = u64::from(iteration) - self.next;
        if jump > u64::from(FORWARD_JUMP_MAX) && ctx.bug != Some(Bug::NoJumpBound) {
            return Err(PeerMisbehaved::TooFarAhead {
                sender: sender.clone(),
                key_id: KeyId::Chain(self.key_id),
                iteration,
                next: self.next,
                jump,
                jump_max: FORWARD_JUMP_MAX,
            }
            .into());
        }
        let mut chain_key = self.chain_key.clone();
        for skipped in self.next..u64::from(iteration) {
            budget.step()?;
            let (message_key, following) = chain_step(ctx.memo, ctx.kdf, &chain_key);
            // SkippedOffByOne's flaw: the key is filed under the iteration after its own.
            let filed = match ctx.bug {
                Some(Bug::SkippedOffByOne) => skipped + 1,
                _ => skipped,
            };
            next.skipped
                .insert(u32::try_from(filed).unwrap_or(u32::MAX), message_key);
            chain_key = following;
        }
        budget.step()?;
        let (message_key, following) = chain_step(ctx.memo, ctx.kdf, &chain_key);
        next.chain_key = following;
        next.next = u64::from(iteration) + 1;
        // The cache's total bound, oldest evicted first — the check UnboundedSkippedTotal leaves out.
        while next.skipped.len() > SKIPPED_KEYS_MAX && ctx.bug != Some(Bug::UnboundedSkippedTotal) {
            next.skipped.pop_first();
        }
        Ok((message_key, next))
    }
}

/// What deriving needs besides the state.
pub(super) struct Derive<'a> {
    pub(super) kdf: &'a Kdf,
    pub(super) memo: Option<&'a SharedMemo>,
    pub(super) bug: Option<Bug>,
}

impl SenderRecord {
    /// Installs a distribution of `sender`'s key: a new key becomes the newest state (the oldest beyond
    /// [`SENDER_STATES_MAX`] retired); a key already held is left as it is, never rewound; a retired key is refused.
    pub(super) fn install(
        &mut self,
        sender: &MemberId,
        d: &Distribution,
        bug: Option<Bug>,
    ) -> Result<(), Rejection> {
        let key_id = KeyId::Chain(d.key_id);
        if let Some(index) = self.states.iter().position(|s| s.key_id == d.key_id) {
            if self.states[index].signing_public_key != d.signing_public_key {
                let sender = sender.clone();
                return Err(PeerMisbehaved::KeyConflict { sender, key_id }.into());
            }
            if bug == Some(Bug::DistributionRewinds) {
                // The flaw: the held state is replaced by the distribution's, rewinding the chain.
                self.states[index] = ReceiverState::from_distribution(d, bug);
            }
            return Ok(());
        }
        if self.retired.contains(&d.key_id) {
            return Err(PeerMisbehaved::RetiredKey {
                sender: sender.clone(),
                key_id,
            }
            .into());
        }
        if bug == Some(Bug::RotationDiscardsOld) {
            // The flaw: a new key is taken to mean the old ones are useless, with messages under them in flight.
            let discarded: Vec<u32> = self.states.drain(..).map(|s| s.key_id).collect();
            self.retire(discarded);
        }
        self.states.insert(0, ReceiverState::from_distribution(d, bug));
        if self.states.len() > SENDER_STATES_MAX {
            let dropped: Vec<u32> = self.states.drain(SENDER_STATES_MAX..).map(|s| s.key_id).collect();
            self.retire(dropped);
        }
        Ok(())
    }

    /// Retires every state (the sender left or was removed).
    pub(super) fn retire_all(&mut self) {
        let all: Vec<u32> = self.states.drain(..).map(|s| s.key_id).collect();
        self.retire(all);
    }

    fn retire(&mut self, key_ids: Vec<u32>) {
        self.retired.extend(key_ids);
        let excess = self.retired.len().saturating_sub(RETIRED_KEY_IDS_MAX);
        self.retired.drain(..excess);
    }

    /// The index of the state of `key_id`, if held.
    pub(super) fn position(&self, key_id: u32) -> Option<usize> {
        self.states.iter().position(|s| s.key_id == key_id)
    }
}
