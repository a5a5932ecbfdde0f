//! `zoo`: one complete, correct Sender Keys implementation (the zoo base) and a zoo of planted bugs in it.
//!
//! The base speaks the `hardened` wire format byte for byte — the same header, AES-256-GCM with the header as
//! associated data, Ed25519 over every byte before the signature, the same chain KDF as [`SuiteId::Hardened`] —
//! so sksim's codecs and structure-aware attacks understand its envelopes; it has its own decoder
//! ([`wire`]), lenient as real decoders are and validating every length afterwards. A receiver keeps per sender up
//! to `SENDER_STATES_MAX` states (one per key id, newest first), a skipped-key cache bounded per jump by
//! `FORWARD_JUMP_MAX` and in total by `SKIPPED_KEYS_MAX` (oldest evicted), rejects duplicates, never lets a
//! distribution rewind a key it holds, and decrypts in the order parse → verify → look up and derive (pure, on a
//! copy) → AEAD → commit, so a rejected input leaves `export()` byte-identical. A sender refuses past iteration
//! 2^32−1 (`iteration-exhausted`) and distributes its current chain key.
//!
//! With a [`Bug`], exactly one classic flaw is planted where real code gets it wrong: a `match` or `if` on
//! `self.bug` at that line (see [`Bug`] for the list). `sksim zoo` ([`hunt`]) measures how many seeds of the
//! default sweep the adversary needs to find each one; `docs/zoo.md` has the table.

mod bug;
pub mod hunt;
mod own;
mod receiver;
mod snapshot;
#[cfg(test)]
mod tests;
mod wire;

use std::collections::BTreeMap;

pub use bug::Bug;
use rand_core::CryptoRng;
use senderkeys::{
    ApiMisuse, Cipher, GroupId, Kdf, KeyId, MemberId, PeerMisbehaved, SharedMemo, SigningKeyPair, SuiteId,
};

use self::own::OwnKey;
use self::receiver::{Derive, ReceiverState, SenderRecord, key_name};
use super::{chain_step, verifies};
use crate::implementation::{
    Accepted, ChainPosition, Implementation, ImplementationFactory, Rejection, Transport, UNSUPPORTED,
    WorkBudget,
};

/// The chain KDF of [`SuiteId::Hardened`].
fn kdf() -> Kdf {
    SuiteId::Hardened.suite().kdf
}

/// The cipher of [`SuiteId::Hardened`] (AES-256-GCM).
fn cipher() -> Cipher {
    SuiteId::Hardened.suite().cipher
}

/// The farthest ahead [`Instance::forge_ahead`] forges (chain steps taken on the forger's side).
pub const FORGE_AHEAD_MAX: u32 = 1 << 20;

/// Makes zoo instances: the base without a bug, or the base with one planted flaw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Zoo {
    /// The planted flaw, if any.
    pub bug: Option<Bug>,
}

/// One member's zoo state for one group.
pub struct Instance {
    bug: Option<Bug>,
    group: GroupId,
    member: MemberId,
    own: Option<OwnKey>,
    peers: BTreeMap<MemberId, SenderRecord>,
    /// The run's memo of pure work, if the engine offered one (never exported).
    memo: Option<SharedMemo>,
}

impl Zoo {
    /// A fresh instance, with its concrete type (for the inherent methods the trait does not have yet).
    pub fn instance(&self, group: &GroupId, member: &MemberId) -> Instance {
        Instance {
            bug: self.bug,
            group: group.clone(),
            member: member.clone(),
            own: None,
            peers: BTreeMap::new(),
            memo: None,
        }
    }
}

impl ImplementationFactory for Zoo {
    fn name(&self) -> String {
        match self.bug {
            None => "zoo".to_owned(),
            Some(bug) => format!("zoo/{bug}"),
        }
    }

    fn create(&self, group: &GroupId, member: &MemberId) -> Box<dyn Implementation> {
        Box::new(self.instance(group, member))
    }

    fn import(&self, state: &[u8]) -> Result<Box<dyn Implementation>, Rejection> {
        Ok(Box::new(snapshot::decode(state, self.bug)?))
    }

    fn transport(&self) -> Transport {
        super::registry::ZOO.transport
    }
}

/// A signing key in the form [`Implementation::signing_key`] gives it.
fn signing_key_pair(bytes: &[u8]) -> Result<SigningKeyPair, Rejection> {
    let secret = <&[u8; 32]>::try_from(bytes).map_err(|_| Rejection {
        reason: "malformed-signing-key".to_owned(),
        detail: format!("an Ed25519 signing key is 32 bytes, got {}", bytes.len()),
    })?;
    Ok(SigningKeyPair::from_secret_bytes(secret))
}

impl Instance {
    /// Creates a fresh own key whose chain starts at `iteration` and returns its distribution.
    fn new_own_key_at(&mut self, rng: &mut dyn CryptoRng, iteration: u32) -> Result<Vec<u8>, Rejection> {
        let mut own = OwnKey::generate(rng, iteration, self.bug);
        if self.bug == Some(Bug::ConstantKeyId) {
            // The flaw: the key id is a function of who sends, not of the key, so every rotation reuses it.
            own.key_id = self.member.as_str().bytes().fold(0x811c_9dc5, |h: u32, b| {
                (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
            });
        }
        let distribution = own.distribution();
        self.own = Some(own);
        distribution
    }

    /// [`Implementation::forge_ahead_as`]: `ahead` iterations past the newest state's next (1: its next): the newest state
    /// held for `sender`, stepped on `ahead − 1` times, encrypting as an own key signed with `signing_key` or a fresh
    /// key of the forger's own. Changes nothing.
    fn forge_along(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
        ahead: u32,
    ) -> Result<Vec<u8>, Rejection> {
        let stolen = signing_key.map(signing_key_pair).transpose()?;
        let state = self
            .peers
            .get(sender)
            .and_then(|record| record.states.first())
            .ok_or_else(|| PeerMisbehaved::UnknownSender {
                sender: sender.clone(),
            })?;
        if ahead == 0 || ahead > FORGE_AHEAD_MAX {
            return Err(Rejection {
                reason: UNSUPPORTED.to_owned(),
                detail: format!("forging {ahead} ahead: from 1 to {FORGE_AHEAD_MAX}"),
            });
        }
        let mut chain_key = state.chain_key.clone();
        for _ in 1..ahead {
            chain_key = chain_step(self.memo.as_ref(), &kdf(), &chain_key).1;
        }
        let mut forged = OwnKey {
            key_id: state.key_id,
            chain_key,
            signing: stolen.unwrap_or_else(|| SigningKeyPair::generate(rng)),
            next: state.next + u64::from(ahead) - 1,
            last: None,
            first: None,
        };
        forged.encrypt(rng, plaintext, self.bug)
    }

    /// The record and index of the state an envelope from `from` under `key_id` is decrypted with.
    fn find(&self, from: &MemberId, key_id: u32) -> Result<(MemberId, usize), Rejection> {
        if self.bug == Some(Bug::KeyIdGlobal) {
            // The flaw: key ids are taken as global, so any sender's state under this id will do.
            let found = self
                .peers
                .iter()
                .find_map(|(owner, r)| Some((owner.clone(), r.position(key_id)?)));
            return found.ok_or_else(|| unknown_key(from, key_id));
        }
        let record = self
            .peers
            .get(from)
            .ok_or_else(|| PeerMisbehaved::UnknownSender { sender: from.clone() })?;
        let index = record.position(key_id).ok_or_else(|| unknown_key(from, key_id))?;
        Ok((from.clone(), index))
    }

    fn state(&self, owner: &MemberId, index: usize) -> Option<&ReceiverState> {
        self.peers.get(owner)?.states.get(index)
    }

    /// Replaces a state with its updated copy.
    fn commit(&mut self, owner: &MemberId, index: usize, updated: ReceiverState) {
        if self.bug == Some(Bug::DuplicateCheckCurrentOnly) && index > 0 {
            // The flaw: older keys are kept as read-only archives for late messages; what they open is never
            // recorded, so a duplicate under one opens again.
            return;
        }
        if let Some(slot) = self.peers.get_mut(owner).and_then(|r| r.states.get_mut(index)) {
            *slot = updated;
        }
    }

    fn verify(
        &self,
        from: &MemberId,
        state: &ReceiverState,
        message: &wire::Message<'_>,
    ) -> Result<(), Rejection> {
        let signed = message.signed_bytes(self.bug);
        let newest = self.peers.get(from).and_then(|r| r.states.first());
        let key = match (self.bug, newest) {
            // The flaw: "the sender's key" is taken to be its newest one, whichever key the envelope names.
            (Some(Bug::VerifiesWithNewestKey), Some(newest)) => &newest.signing_public_key,
            _ => &state.signing_public_key,
        };
        if verifies(self.memo.as_ref(), key, &signed, &message.signature) {
            return Ok(());
        }
        let key_id = KeyId::Chain(state.key_id);
        Err(PeerMisbehaved::BadSignature {
            sender: from.clone(),
            key_id,
        }
        .into())
    }

    /// Parse → verify → look up and derive (on a copy) → AEAD → commit.
    fn open(&mut self, from: &MemberId, bytes: &[u8], budget: &mut WorkBudget) -> Result<Vec<u8>, Rejection> {
        let message = wire::parse_message(bytes, self.bug)?;
        let (owner, index) = self.find(from, message.key_id)?;
        let state = self
            .state(&owner, index)
            .cloned()
            .ok_or_else(|| unknown_key(from, message.key_id))?;
        // AdvanceBeforeVerify's flaw is the missing check here: it verifies only after committing, below.
        let verify_first = self.bug != Some(Bug::AdvanceBeforeVerify);
        if verify_first {
            self.verify(from, &state, &message)?;
        }
        let kdf = kdf();
        let ctx = Derive {
            kdf: &kdf,
            memo: self.memo.as_ref(),
            bug: self.bug,
        };
        let (message_key, updated) = state.derive(from, message.iteration, &ctx, budget)?;
        // The flaws of AdvanceBeforeVerify and UnsignedIteration: the advance is committed before every check
        // passed (UnsignedIteration: "the signature vouched for the header", which no longer holds the iteration).
        let committed_early = matches!(self.bug, Some(Bug::AdvanceBeforeVerify | Bug::UnsignedIteration));
        if committed_early {
            self.commit(&owner, index, updated.clone());
        }
        if !verify_first {
            self.verify(from, &state, &message)?;
        }
        let nonce = message.aead_nonce(self.bug)?;
        let aad = message.associated_data(self.bug);
        let plaintext = cipher()
            .open(&message_key, &nonce, &aad, message.ciphertext)
            .map_err(|_| {
                let (sender, key_id, iteration) =
                    (from.clone(), KeyId::Chain(state.key_id), message.iteration);
                Rejection::from(PeerMisbehaved::DecryptionFailed {
                    sender,
                    key_id,
                    iteration,
                })
            })?;
        if !committed_early {
            self.commit(&owner, index, updated);
        }
        Ok(plaintext)
    }
}

fn unknown_key(sender: &MemberId, key_id: u32) -> Rejection {
    PeerMisbehaved::UnknownKey {
        sender: sender.clone(),
        key_id: KeyId::Chain(key_id),
    }
    .into()
}

impl Implementation for Instance {
    fn create_sender_key(&mut self, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Rejection> {
        self.new_own_key_at(rng, 0)
    }

    fn create_sender_key_at(
        &mut self,
        rng: &mut dyn CryptoRng,
        iteration: u32,
    ) -> Result<Vec<u8>, Rejection> {
        self.new_own_key_at(rng, iteration)
    }

    fn distribution(&self) -> Result<Vec<u8>, Rejection> {
        self.own.as_ref().ok_or(ApiMisuse::NoOwnSenderKey)?.distribution()
    }

    fn process_distribution(
        &mut self,
        from: &MemberId,
        bytes: &[u8],
        _: &mut WorkBudget,
    ) -> Result<(), Rejection> {
        let distribution = wire::parse_distribution(bytes, self.bug)?;
        senderkeys::memo::public_key(
            self.memo.as_ref(),
            "zoo distribution",
            &distribution.signing_public_key,
        )?;
        let mut record = self.peers.get(from).cloned().unwrap_or_default();
        record.install(from, &distribution, self.bug)?;
        self.peers.insert(from.clone(), record);
        Ok(())
    }

    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection> {
        let bug = self.bug;
        self.own
            .as_mut()
            .ok_or(ApiMisuse::NoOwnSenderKey)?
            .encrypt(rng, plaintext, bug)
    }

    fn decrypt(
        &mut self,
        from: &MemberId,
        envelope: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<Accepted, Rejection> {
        let plaintext = match self.open(from, envelope, budget) {
            Ok(plaintext) => plaintext,
            // The flaw: what does not decrypt is taken for a plaintext message (a "legacy fallback").
            Err(rejection) if self.bug == Some(Bug::PlaintextOnFailure) && !rejection.is_missing_key() => {
                envelope.to_vec()
            }
            Err(rejection) => return Err(rejection),
        };
        Ok(Accepted {
            claimed_sender: from.clone(),
            plaintext,
        })
    }

    fn forget_sender(&mut self, member: &MemberId) {
        if let Some(record) = self.peers.get_mut(member) {
            record.retire_all();
        }
    }

    fn export(&self) -> Vec<u8> {
        snapshot::encode(self)
    }

    fn export_sender(&self, sender: &MemberId) -> Vec<u8> {
        snapshot::encode_record(self.peers.get(sender), self.bug)
    }

    fn skipped_keys(&self, sender: &MemberId) -> usize {
        let states = self.peers.get(sender).map_or(&[][..], |r| &r.states[..]);
        states.iter().map(|s| s.skipped.len()).max().unwrap_or(0)
    }

    fn use_memo(&mut self, memo: &SharedMemo) {
        self.memo = Some(SharedMemo::clone(memo));
    }

    fn retained_keys(&self, sender: &MemberId) -> Option<Vec<String>> {
        let states = self.peers.get(sender).map_or(&[][..], |r| &r.states[..]);
        Some(states.iter().map(|s| key_name(s.key_id)).collect())
    }

    fn last_sent(&self) -> Option<ChainPosition> {
        let own = self.own.as_ref()?;
        Some(ChainPosition {
            key_id: key_name(own.key_id),
            iteration: own.last?,
        })
    }

    fn signing_key(&self) -> Option<Vec<u8>> {
        Some(self.own.as_ref()?.signing.secret_bytes().to_vec())
    }

    fn forge_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        self.forge_along(sender, signing_key, rng, plaintext, 1)
    }

    fn forge_ahead_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        ahead: u32,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        self.forge_along(sender, signing_key, rng, plaintext, ahead)
    }
}
