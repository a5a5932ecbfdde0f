//! The reference state machine: one member's view of one group.
//!
//! It holds the member's own sender key and, per sender, a [`SenderRecord`]: up to
//! [`SENDER_STATES_MAX`](crate::consts::SENDER_STATES_MAX) receiver states (newest first), so that messages
//! still in flight under a rotated-out key decrypt, and the ids of its retired keys. Every check — parse, lengths,
//! group and sender, signature, bounds, decryption — happens before any state changes: a rejected message or
//! distribution leaves the session byte-identical (compare [`GroupSession::export`] before and after).

use std::collections::{BTreeMap, VecDeque};

use rand_core::CryptoRng;

use crate::distribution::{self, Origin};
use crate::error::{ApiMisuse, PeerMisbehaved, Result};
use crate::ids::{GroupId, KeyId, MemberId};
use crate::memo::{self, SharedMemo, Steps};
use crate::message::{self, EncryptedMessage, Incoming};
use crate::receiver::ReceiverState;
use crate::sender_key::OwnSenderKey;
use crate::sender_record::SenderRecord;
use crate::suite::SuiteId;

/// One member's Sender Keys state for one group.
#[derive(Clone, Debug)]
pub struct GroupSession {
    pub(crate) suite: SuiteId,
    pub(crate) group: GroupId,
    pub(crate) me: MemberId,
    pub(crate) own: Option<OwnSenderKey>,
    /// The key `own` replaced, announced in Accord's `rep`.
    pub(crate) replaced: Option<KeyId>,
    /// What this member holds of each other sender.
    pub(crate) senders: BTreeMap<MemberId, SenderRecord>,
    /// The memo of pure work this session may use (harness memory, never exported; see [`crate::memo`]).
    pub(crate) memo: Option<SharedMemo>,
}

/// A decrypted message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decrypted {
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The sender key that decrypted it.
    pub key_id: KeyId,
    /// Its iteration.
    pub iteration: u32,
}

impl GroupSession {
    /// An empty session of member `me` in `group`, speaking `suite`. It has no own sender key yet.
    pub fn new(suite: SuiteId, group: GroupId, me: MemberId) -> Self {
        GroupSession {
            suite,
            group,
            me,
            own: None,
            replaced: None,
            senders: BTreeMap::new(),
            memo: None,
        }
    }

    /// Lets this session look up and remember signature verdicts and chain steps in `memo` (or stop, with
    /// `None`). Only the speed changes: every answer is the one the session would compute itself. Meant for
    /// harnesses that run many sessions in one process; a real client must not keep old chain keys around.
    pub fn set_memo(&mut self, memo: Option<SharedMemo>) {
        self.memo = memo;
    }

    /// The memo this session uses, if any.
    pub fn memo(&self) -> Option<&SharedMemo> {
        self.memo.as_ref()
    }

    /// The suite.
    pub fn suite(&self) -> SuiteId {
        self.suite
    }

    /// The group.
    pub fn group(&self) -> &GroupId {
        &self.group
    }

    /// The member whose session this is.
    pub fn me(&self) -> &MemberId {
        &self.me
    }

    /// The own sender key, if one was created.
    pub fn own_sender_key(&self) -> Option<&OwnSenderKey> {
        self.own.as_ref()
    }

    /// Creates a fresh own sender key (the first one, or a rotation replacing the current one) and returns its
    /// distribution, to be sent to every other member over the pairwise channel.
    pub fn create_sender_key<R: CryptoRng + ?Sized>(&mut self, rng: &mut R) -> Result<Vec<u8>> {
        self.create_sender_key_at(rng, 0)
    }

    /// [`GroupSession::create_sender_key`] with the chain starting at `iteration` (a harness reaches the end of
    /// the counter this way; `testing::create_sender_key_at`).
    pub(crate) fn create_sender_key_at<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        iteration: u32,
    ) -> Result<Vec<u8>> {
        let mut fresh = OwnSenderKey::generate(self.suite, rng);
        fresh.next = u64::from(iteration);
        let replaced = self.own.as_ref().map(OwnSenderKey::key_id);
        let bytes = distribution::encode(self.suite, self.origin(), &fresh, replaced)?;
        self.own = Some(fresh);
        self.replaced = replaced;
        Ok(bytes)
    }

    /// The distribution of the own sender key at its current iteration (for a newcomer, or a member who asked).
    pub fn distribution(&self) -> Result<Vec<u8>> {
        let own = self.own.as_ref().ok_or(ApiMisuse::NoOwnSenderKey)?;
        distribution::encode(self.suite, self.origin(), own, self.replaced)
    }

    fn origin(&self) -> Origin<'_> {
        Origin {
            group: &self.group,
            member: &self.me,
        }
    }

    /// Encrypts `plaintext` with the own sender key; returns the wire bytes.
    pub fn encrypt<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, plaintext: &[u8]) -> Result<Vec<u8>> {
        Ok(self.encrypt_detailed(rng, plaintext)?.wire)
    }

    /// Encrypts and returns every intermediate value (for known-answer vectors and tests).
    pub fn encrypt_detailed<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        plaintext: &[u8],
    ) -> Result<EncryptedMessage> {
        let own = self.own.as_mut().ok_or(ApiMisuse::NoOwnSenderKey)?;
        message::seal(self.suite, &self.group, &self.me, own, rng, plaintext)
    }

    /// Installs a sender key that arrived from `from` over the pairwise channel.
    ///
    /// A key id already held for `from` is not re-installed (a stale or repeated distribution never rewinds a
    /// chain and re-opens consumed iterations); one that disagrees with the held key is a conflict; a retired one
    /// is refused. A new key becomes the newest state; beyond
    /// [`SENDER_STATES_MAX`](crate::consts::SENDER_STATES_MAX) the oldest is retired.
    /// See `SenderRecord::install`.
    pub fn process_distribution(&mut self, from: &MemberId, wire: &[u8]) -> Result<KeyId> {
        let origin = Origin {
            group: &self.group,
            member: from,
        };
        let dist = distribution::parse(self.suite, origin, wire, self.memo.as_ref())?;
        let kdf = self.suite.suite().kdf;
        // `install` changes nothing unless it succeeds, so a rejected distribution leaves the session as it was.
        match self.senders.get_mut(from) {
            Some(record) => record.install(&kdf, from, dist),
            None => {
                let mut record = SenderRecord::default();
                let key_id = record.install(&kdf, from, dist)?;
                self.senders.insert(from.clone(), record);
                Ok(key_id)
            }
        }
    }

    /// Decrypts a message that arrived from `from`.
    pub fn decrypt(&mut self, from: &MemberId, wire: &[u8]) -> Result<Decrypted> {
        let incoming = message::parse(self.suite, &self.group, from, wire)?;
        let kdf = self.suite.suite().kdf;
        let cipher = self.suite.suite().cipher;
        let record = self.senders.get_mut(from).filter(|r| !r.states.is_empty());
        let states = &mut record
            .ok_or_else(|| PeerMisbehaved::UnknownSender { sender: from.clone() })?
            .states;
        let memo = self.memo.as_ref();
        let index = find_state(states, from, &incoming, memo)?;
        let state = &mut states[index];
        let lookup = state.lookup(Steps { kdf: &kdf, memo }, from, incoming.iteration)?;
        let failed = || PeerMisbehaved::DecryptionFailed {
            sender: from.clone(),
            key_id: state.key_id,
            iteration: incoming.iteration,
        };
        let nonce = incoming.nonce(lookup.message_key()).ok_or_else(failed)?;
        let plaintext = cipher
            .open(lookup.message_key(), &nonce, &incoming.aad, &incoming.ciphertext)
            .map_err(|_| failed())?;
        let key_id = state.key_id;
        state.commit(lookup);
        Ok(Decrypted {
            plaintext,
            key_id,
            iteration: incoming.iteration,
        })
    }

    /// Retires every sender key of `sender` (e.g. when it leaves the group): its messages no longer decrypt and
    /// its old distributions cannot re-install those keys.
    pub fn forget_sender(&mut self, sender: &MemberId) {
        if let Some(record) = self.senders.get_mut(sender) {
            record.retire_all();
        }
    }

    /// The retained receiver states of `sender`, newest first.
    pub fn receiver_states(&self, sender: &MemberId) -> impl Iterator<Item = &ReceiverState> {
        self.senders
            .get(sender)
            .into_iter()
            .flat_map(SenderRecord::states)
    }

    /// Every sender with at least one retained state, in order.
    pub fn senders(&self) -> impl Iterator<Item = &MemberId> {
        self.senders
            .iter()
            .filter(|(_, r)| !r.states.is_empty())
            .map(|(m, _)| m)
    }
}

/// Finds the receiver state a message belongs to and checks its signature.
///
/// With a key id on the wire, that key's state must exist and its signing key must verify the message.
/// Without one (the peer-to-peer sketch), the newest retained state whose signing key verifies the message is
/// chosen.
fn find_state(
    states: &VecDeque<ReceiverState>,
    from: &MemberId,
    incoming: &Incoming,
    memo: Option<&SharedMemo>,
) -> Result<usize> {
    match incoming.key_id {
        Some(key_id) => {
            let index =
                states
                    .iter()
                    .position(|s| s.key_id == key_id)
                    .ok_or_else(|| PeerMisbehaved::UnknownKey {
                        sender: from.clone(),
                        key_id,
                    })?;
            if !signature_ok(&states[index], incoming, memo) {
                return Err(PeerMisbehaved::BadSignature {
                    sender: from.clone(),
                    key_id,
                }
                .into());
            }
            Ok(index)
        }
        None => states
            .iter()
            .position(|s| s.signing_key.is_some() && signature_ok(s, incoming, memo))
            .ok_or_else(|| PeerMisbehaved::NoVerifyingKey { sender: from.clone() }.into()),
    }
}

/// Whether the message's signature verifies under the state's key. Unsigned suites have neither.
fn signature_ok(state: &ReceiverState, incoming: &Incoming, memo: Option<&SharedMemo>) -> bool {
    match (&state.signing_key, &incoming.signature) {
        (Some(key), Some(signature)) => memo::verify(memo, key, &incoming.signed_bytes, signature),
        (None, None) => true,
        _ => false,
    }
}
