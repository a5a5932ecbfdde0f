//! `accord`: a faithful model of Accord's Sender Keys design ("Sender Keys E2EE for Accord Channels"; see
//! `docs/threat-model.md`, "The seed systems"), as an implementation under test.
//!
//! The model follows the design's code listing (§7.1 `sender-keys.ts`), its state layout (§7.3 `peerKeys`),
//! its receive path (§8 `decryptChannelContent`) and its wire format (Appendix A). It reuses the `senderkeys`
//! primitives — [`Kdf::HmacLabels`] with Accord's labels, [`Cipher::Aes256Gcm`], Ed25519 [`SigningKeyPair`],
//! [`KeyId::fingerprint_of`] and the [`AccordEnvelope`] / [`AccordDistribution`] codecs — and reproduces the
//! design's behaviour, weaknesses included. Nothing here is hardened beyond what the design says.
//!
//! # Behaviours reproduced
//! - **Own key** (§2.2, §7.1 `generateSenderKey`): 32 random bytes of chain key, a fresh Ed25519 key,
//!   iteration 0; the key id is the fingerprint, SHA-256 of the signing public key cut to 8 bytes (§7.1
//!   `senderKeyFingerprint`). A new key names the key it replaces in `rep` (§5.1 `replacesKeyId`).
//! - **Chain ratchet** (§7.1 `deriveMessageKey` / `advanceChainKey`): HMAC-SHA256 keyed by the chain key over
//!   `"MessageKey"` and `"ChainKey"`. §2.1 draws the labels as `"msg"` / `"chain"`; §3.1, §3.2 and the code
//!   listing use `"MessageKey"` / `"ChainKey"`. The listing wins.
//! - **Encrypt** (§3.1, §7.1 `senderKeyEncrypt`): message key from the current chain key, advance, random
//!   12-byte iv, AES-256-GCM without associated data, Ed25519 signature over `iv ‖ ct` only. §3.1 step 5 says
//!   `ciphertext ‖ iv`; the listing and Appendix A sign `iv ‖ ct`. The listing wins. The iteration and the key
//!   id are *not* signed.
//! - **Decrypt** (§7.1 `senderKeyDecrypt`, §8 `decryptChannelContent`): the receiver state is looked up by
//!   the server-supplied sender alone — one state per sender (§7.3 `peerKeys: channel → user → state`); the
//!   envelope's key id is never used. Then, in the listing's order: verify the signature against the held
//!   key; an iteration below the current one needs a cached key; otherwise a jump of more than
//!   [`MAX_SKIP`] (2000) is refused, the chain advances caching every skipped key; the cache is pruned to
//!   [`MAX_SKIP`] keys, lowest iteration first; AES-GCM decrypts. §3.2 orders the steps differently (derive,
//!   then verify); the listing's order is followed. The updated state is a copy that is stored only when
//!   decryption succeeds (§8 "Persist updated state" after `decryptChannelMessage` returns).
//! - **Distribution** (§2.3, §5.1, Appendix A): travels over the pairwise Double Ratchet DM, so the
//!   distribution must name the pairwise sender (`nd`) and this channel (`ch`). It is stored as *the* state of
//!   that sender, replacing any previous one (§7.3 step 2 "Store the peer's SK" into `peerKeys`), even when it
//!   carries the key id already held. `rep` is not acted upon: the design gives it no receiver behaviour; nor
//!   is `skid` checked against the fingerprint of `spk` (the design never says to, and it is never used).
//! - **Revocation** (§2.5): a removed member's state is deleted.
//!
//! # Invariants
//! - Expected to **break** `delivery`: after a rotation, the new distribution replaces the only state held for
//!   the sender, so messages still in flight under the old key fail the signature check (threat model
//!   weakness 10).
//! - Expected to **break** `replay-rejection`: a stale distribution re-processed resets the chain to the
//!   distribution's iteration and re-opens every iteration consumed since, so a replayed envelope decrypts
//!   again (weakness 14 through a stale distribution).
//! - Expected to **keep** `authenticity` (every envelope is verified against the sender's key before use),
//!   `failure-atomicity` (state is committed only after decryption succeeds) and `bounded-state` (at most
//!   [`MAX_SKIP`] chain steps per message and at most [`MAX_SKIP`] cached keys in total).
//!
//! # Modelling notes
//! - The listing throws `"No cached key for iteration N"` for an iteration below the current one whose key is
//!   not cached (consumed or pruned); the model reports it as `duplicate`, the harness's name for it.
//! - Ed25519 verification uses the crate's strict check; a signing public key that is not a valid point is
//!   stored as received and makes every verification fail (`bad-signature`), as a verifier returning `false`.
//! - JavaScript numbers are unbounded in practice; the wire codec carries `u32` iterations, so the own chain
//!   stops at `u32::MAX` (`iteration-exhausted`) and plaintexts above the codec's limit are refused.

use std::collections::BTreeMap;

use rand_core::CryptoRng;
use senderkeys::SigningKeyPair;
use senderkeys::consts::{
    AEAD_NONCE_BYTES, CHAIN_KEY_BYTES, FINGERPRINT_BYTES, PLAINTEXT_BYTES_MAX, SIGNATURE_BYTES,
    SIGNING_PUBLIC_KEY_BYTES,
};
use senderkeys::wire::accord::{AccordDistribution, AccordEnvelope};
use senderkeys::{ApiMisuse, GroupId, KeyId, MemberId, PeerMisbehaved, SharedMemo};
use senderkeys::{ChainKey, Kdf, MessageKey};
use senderkeys::{Cipher, Nonce};
use serde::{Deserialize, Serialize};

use super::{chain_step, verifies};
use crate::implementation::{
    Accepted, ChainPosition, Implementation, ImplementationFactory, Rejection, Transport, WorkBudget,
};

/// §7.1 `MAX_SKIP`: the largest forward jump one message may cause, and (§3.3, §7.1 "Prune old skipped
/// keys") the largest number of cached skipped keys per sender.
pub const MAX_SKIP: u32 = 2_000;

/// [`MAX_SKIP`] as a cache size.
const SKIPPED_KEYS_MAX: usize = MAX_SKIP as usize;

/// §7.1 `deriveMessageKey` / `advanceChainKey`: HMAC-SHA256 over `"MessageKey"` / `"ChainKey"` (the listing's
/// labels; §2.1's diagram says `"msg"` / `"chain"`).
const KDF: Kdf = Kdf::HmacLabels {
    message: "MessageKey",
    chain: "ChainKey",
};

/// §7.1 `gcm(messageKey, iv)`: AES-256-GCM with a random 96-bit nonce.
const CIPHER: Cipher = Cipher::Aes256Gcm;

/// What codec errors name when a stored signing key is parsed.
const DISTRIBUTION: &str = "accord distribution";

/// Makes `accord` instances: one member's Accord client state for one channel.
#[derive(Clone, Copy, Debug, Default)]
pub struct Accord;

/// §7.1 `SenderKeyPrivate`: the member's own sender key.
struct OwnKey {
    /// `chainKey`: the chain key of `iteration`.
    chain_key: ChainKey,
    /// `signingKey` / `signingPubKey`.
    signing: SigningKeyPair,
    /// `iteration`: the next iteration to encrypt with.
    iteration: u32,
    /// §5.1 `replacesKeyId`: the key this one replaced, if any.
    replaces: Option<[u8; FINGERPRINT_BYTES]>,
}

/// §7.1 `SenderKeyState`: what a receiver holds of one sender (the only state for that sender).
#[derive(Clone)]
struct PeerState {
    /// `key.senderKeyId`, as the distribution stated it (never used for lookup).
    key_id: [u8; FINGERPRINT_BYTES],
    /// `key.signingPubKey`, as received.
    signing_public_key: [u8; SIGNING_PUBLIC_KEY_BYTES],
    /// `currentChainKey`: the chain key of `iteration`.
    chain_key: ChainKey,
    /// `currentIteration`: the next iteration expected (may reach 2^32 after the last `u32` iteration).
    iteration: u64,
    /// `skippedMessageKeys`: iteration → message key.
    skipped: BTreeMap<u32, MessageKey>,
}

/// One member's state: §7.3 `SenderKeyStore` restricted to one channel.
struct Instance {
    /// The channel (`channelId`).
    group: GroupId,
    /// This member (`nodeId`).
    member: MemberId,
    /// §7.3 `myKeys.get(channelId)`.
    own: Option<OwnKey>,
    /// §7.3 `peerKeys.get(channelId)`: user → state, one state per sender.
    peers: BTreeMap<MemberId, PeerState>,
    /// The run's memo of pure work, if the engine offered one (harness memory, never exported).
    memo: Option<SharedMemo>,
}

/// §7.1 `senderKeyFingerprint`: the first 8 bytes of SHA-256 of the signing public key.
fn fingerprint(signing_public_key: &[u8; SIGNING_PUBLIC_KEY_BYTES]) -> [u8; FINGERPRINT_BYTES] {
    match KeyId::fingerprint_of(signing_public_key) {
        KeyId::Fingerprint(fp) => fp,
        // `fingerprint_of` only ever returns a fingerprint.
        KeyId::Chain(_) => [0; FINGERPRINT_BYTES],
    }
}

impl OwnKey {
    /// §2.2 / §7.1 `generateSenderKey`: `randomBytes(32)`, a fresh Ed25519 key, iteration 0.
    fn generate(rng: &mut dyn CryptoRng, replaces: Option<[u8; FINGERPRINT_BYTES]>) -> Self {
        let mut chain_key = [0u8; CHAIN_KEY_BYTES];
        rng.fill_bytes(&mut chain_key);
        let signing = SigningKeyPair::generate(rng);
        OwnKey {
            chain_key: ChainKey::from_bytes(chain_key),
            signing,
            iteration: 0,
            replaces,
        }
    }

    /// §7.1 `senderKeyFingerprint(sk.signingPubKey)`.
    fn key_id(&self) -> [u8; FINGERPRINT_BYTES] {
        fingerprint(&self.signing.public().to_bytes())
    }

    /// §5.1 / Appendix A: the distribution of this key at its current iteration.
    fn distribution(&self, group: &GroupId, member: &MemberId) -> AccordDistribution {
        AccordDistribution {
            channel: group.clone(),
            node: member.clone(),
            key_id: self.key_id(),
            chain_key: *self.chain_key.as_bytes(),
            signing_public_key: self.signing.public().to_bytes(),
            iteration: self.iteration,
            replaces: self.replaces,
        }
    }

    /// §3.1 / §7.1 `senderKeyEncrypt`: returns the envelope and advances the chain.
    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<AccordEnvelope, Rejection> {
        self.encrypt_under(self.key_id(), rng, plaintext)
    }

    /// [`OwnKey::encrypt`] with the envelope's `sk` given: the own key's fingerprint for the member itself, the
    /// held receiver state's key id for a forger ([`Implementation::forge_as`]), whose signing key may be
    /// another one. The key id is not signed, so it is simply written as given.
    fn encrypt_under(
        &mut self,
        key_id: [u8; FINGERPRINT_BYTES],
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<AccordEnvelope, Rejection> {
        if plaintext.len() > PLAINTEXT_BYTES_MAX {
            return Err(ApiMisuse::PlaintextTooLarge {
                actual: plaintext.len(),
                limit: PLAINTEXT_BYTES_MAX,
            }
            .into());
        }
        // The wire carries u32 iterations: the last one cannot be followed (see the module notes).
        let next_iteration = self
            .iteration
            .checked_add(1)
            .ok_or(ApiMisuse::IterationExhausted {
                key_id: KeyId::Fingerprint(key_id),
            })?;
        // §3.1 step 2: messageKey = HMAC-SHA256(chainKey, "MessageKey").
        let message_key = KDF.message_key(&self.chain_key);
        // §3.1 step 4: iv = randomBytes(12); ciphertext = AES-256-GCM(messageKey, iv, plaintext).
        let mut iv = [0u8; AEAD_NONCE_BYTES];
        rng.fill_bytes(&mut iv);
        let ciphertext = CIPHER.seal(&message_key, &Nonce::Aead(iv), &[], plaintext);
        let mut envelope = AccordEnvelope {
            key_id,
            iteration: self.iteration,
            iv,
            ciphertext,
            signature: [0; SIGNATURE_BYTES],
        };
        // §7.1: sign iv ‖ ct (not §3.1 step 5's ct ‖ iv); the iteration and key id are not covered.
        envelope.signature = self.signing.sign(&envelope.signed_bytes());
        // §3.1 step 3 / §7.1 `updatedKey`: chainKey = HMAC-SHA256(chainKey, "ChainKey"); iteration++.
        self.chain_key = KDF.next_chain_key(&self.chain_key);
        self.iteration = next_iteration;
        Ok(envelope)
    }
}

impl PeerState {
    /// §7.3 step 2 "Store the peer's SK": a fresh receiver state at the distribution's iteration, with an
    /// empty cache.
    fn from_distribution(distribution: &AccordDistribution) -> Self {
        PeerState {
            key_id: distribution.key_id,
            signing_public_key: distribution.signing_public_key,
            chain_key: ChainKey::from_bytes(distribution.chain_key),
            iteration: u64::from(distribution.iteration),
            skipped: BTreeMap::new(),
        }
    }

    /// The held key's id, for rejection details.
    fn key(&self) -> KeyId {
        KeyId::Fingerprint(self.key_id)
    }

    /// §7.1 `senderKeyDecrypt`: the plaintext and the updated state, or why not. `self` is never modified:
    /// the caller stores the updated state only on success (§8).
    fn decrypt(
        &self,
        sender: &MemberId,
        envelope: &AccordEnvelope,
        budget: &mut WorkBudget,
        memo: Option<&SharedMemo>,
    ) -> Result<(Vec<u8>, PeerState), Rejection> {
        // §7.1 "Verify signature": over iv ‖ ct, against the held key, before anything else.
        self.verify(sender, envelope, memo)?;
        // §7.1: `newState = { ...state, skippedMessageKeys: new Map(...) }`, a copy.
        let mut next = self.clone();
        let message_key = match u32::try_from(self.iteration) {
            Ok(current) if envelope.iteration >= current => {
                next.advance(sender, current, envelope.iteration, budget, memo)?
            }
            // §3.3 step 3 / §7.1 "Out-of-order: use cached key".
            _ => next.take_cached(sender, envelope.iteration)?,
        };
        // §3.3 / §7.1 "Prune old skipped keys": at most MAX_SKIP in total, lowest iteration first.
        while next.skipped.len() > SKIPPED_KEYS_MAX {
            next.skipped.pop_first();
        }
        // §3.2 step 6 / §7.1 `gcm(messageKey, iv).decrypt(ciphertext)`.
        let plaintext = CIPHER
            .open(&message_key, &Nonce::Aead(envelope.iv), &[], &envelope.ciphertext)
            .map_err(|_| PeerMisbehaved::DecryptionFailed {
                sender: sender.clone(),
                key_id: self.key(),
                iteration: envelope.iteration,
            })?;
        Ok((plaintext, next))
    }

    /// §3.2 step 5 / §7.1 `ed25519.verify(signature, iv ‖ ct, state.key.signingPubKey)`. The envelope's key id
    /// is not consulted: an envelope under another key of the same sender simply fails here.
    fn verify(
        &self,
        sender: &MemberId,
        envelope: &AccordEnvelope,
        memo: Option<&SharedMemo>,
    ) -> Result<(), Rejection> {
        let valid = verifies(
            memo,
            &self.signing_public_key,
            &envelope.signed_bytes(),
            &envelope.signature,
        );
        if valid {
            return Ok(());
        }
        Err(PeerMisbehaved::BadSignature {
            sender: sender.clone(),
            key_id: self.key(),
        }
        .into())
    }

    /// §7.1 out-of-order branch: take the cached key, or fail as the listing's "No cached key" (`duplicate`:
    /// the iteration was consumed or its key pruned).
    fn take_cached(&mut self, sender: &MemberId, iteration: u32) -> Result<MessageKey, Rejection> {
        self.skipped.remove(&iteration).ok_or_else(|| Rejection {
            reason: "duplicate".to_owned(),
            detail: format!(
                "no cached key for iteration {iteration} of sender key {} of {sender} (Accord: \"No cached \
                 key for iteration {iteration}\"); it was already consumed or pruned",
                self.key()
            ),
        })
    }

    /// §3.2 step 3, §3.3 step 1 / §7.1 "Advance chain, caching skipped keys": refuse a jump of more than
    /// [`MAX_SKIP`], cache the key of every skipped iteration from `current` (the state's iteration) on, and
    /// return the key of `target` (`target >= current`).
    fn advance(
        &mut self,
        sender: &MemberId,
        current: u32,
        target: u32,
        budget: &mut WorkBudget,
        memo: Option<&SharedMemo>,
    ) -> Result<MessageKey, Rejection> {
        let jump = target.saturating_sub(current);
        // §7.1 "Too many skipped messages": the bound is per jump, measured from the current iteration.
        if jump > MAX_SKIP {
            return Err(PeerMisbehaved::TooFarAhead {
                sender: sender.clone(),
                key_id: self.key(),
                iteration: target,
                next: u64::from(current),
                jump: u64::from(jump),
                jump_max: MAX_SKIP,
            }
            .into());
        }
        let mut chain_key = self.chain_key.clone();
        for skipped in current..target {
            budget.step()?;
            let (message_key, next) = chain_step(memo, &KDF, &chain_key);
            self.skipped.insert(skipped, message_key);
            chain_key = next;
        }
        // §3.2 step 4: the message key of `target`; the chain moves one past it.
        let (message_key, next) = chain_step(memo, &KDF, &chain_key);
        self.chain_key = next;
        self.iteration = u64::from(target) + 1;
        Ok(message_key)
    }
}

impl Instance {
    /// The own key, or the rejection for encrypting or distributing before one exists.
    fn own_key(&self) -> Result<&OwnKey, Rejection> {
        self.own.as_ref().ok_or_else(|| ApiMisuse::NoOwnSenderKey.into())
    }

    /// §5.1 / §2.3: a distribution arrives over the pairwise Double Ratchet DM from `from`, so it must be
    /// `from`'s own key (`nd`) for this channel (`ch`).
    fn check_distribution(
        &self,
        from: &MemberId,
        distribution: &AccordDistribution,
    ) -> Result<(), Rejection> {
        if distribution.node != *from {
            return Err(PeerMisbehaved::SenderMismatch {
                what: DISTRIBUTION,
                from: from.clone(),
                claimed: distribution.node.to_string(),
            }
            .into());
        }
        if distribution.channel != self.group {
            return Err(PeerMisbehaved::WrongGroup {
                what: DISTRIBUTION,
                expected: self.group.to_string(),
                found: distribution.channel.to_string(),
            }
            .into());
        }
        Ok(())
    }
}

impl ImplementationFactory for Accord {
    fn name(&self) -> String {
        "accord".to_owned()
    }

    fn create(&self, group: &GroupId, member: &MemberId) -> Box<dyn Implementation> {
        Box::new(Instance {
            group: group.clone(),
            member: member.clone(),
            own: None,
            peers: BTreeMap::new(),
            memo: None,
        })
    }

    fn import(&self, state: &[u8]) -> Result<Box<dyn Implementation>, Rejection> {
        Ok(Box::new(Snapshot::decode(state)?))
    }

    /// §2.3: sender keys travel only over pairwise Double Ratchet DMs.
    fn transport(&self) -> Transport {
        super::registry::ACCORD.transport
    }

    /// §3.3 / §7.1: the skipped-key cache is pruned to `MAX_SKIP` keys.
    fn skipped_keys_max(&self) -> usize {
        SKIPPED_KEYS_MAX
    }
}

impl Implementation for Instance {
    /// §2.2 / §2.4: a fresh key (first, or rotation) replaces the own key; its distribution names the key it
    /// replaces (§5.1 `replacesKeyId`).
    fn create_sender_key(&mut self, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Rejection> {
        let replaces = self.own.as_ref().map(OwnKey::key_id);
        self.own = Some(OwnKey::generate(rng, replaces));
        self.distribution()
    }

    /// §5.2: the current own key at its current iteration.
    fn distribution(&self) -> Result<Vec<u8>, Rejection> {
        Ok(self.own_key()?.distribution(&self.group, &self.member).encode())
    }

    /// §5.1, §7.3 step 2, §8: install the distribution as the one state of `from`, replacing any previous
    /// state — messages in flight under the old key are then lost (threat model weakness 10).
    fn process_distribution(
        &mut self,
        from: &MemberId,
        bytes: &[u8],
        _: &mut WorkBudget,
    ) -> Result<(), Rejection> {
        let distribution = AccordDistribution::parse(bytes)?;
        self.check_distribution(from, &distribution)?;
        // §7.3 `peerKeys: channel → user → SenderKeyState` holds one state per user, and the design gives no
        // check against the held key: a distribution carrying the key id already held replaces it too,
        // resetting the chain to the distribution's iteration. A stale distribution thus re-opens iterations
        // already consumed, and replayed envelopes decrypt again (`replay-rejection`).
        self.peers
            .insert(from.clone(), PeerState::from_distribution(&distribution));
        Ok(())
    }

    /// §3.1 / §7.1 `senderKeyEncrypt` and §7.3 step 3 "update stored SK".
    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection> {
        let own = self.own.as_mut().ok_or(ApiMisuse::NoOwnSenderKey)?;
        Ok(own.encrypt(rng, plaintext)?.encode())
    }

    /// §8 `decryptChannelContent`: parse, look the state up by the server-supplied sender, decrypt, and
    /// persist the updated state only once decryption succeeded.
    fn decrypt(
        &mut self,
        from: &MemberId,
        envelope: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<Accepted, Rejection> {
        // §8: `JSON.parse(message.content) as SenderKeyEnvelope`.
        let envelope = AccordEnvelope::parse(envelope)?;
        // §8: `peerKeys.get(channelId)?.get(message.senderId)`; "Missing sender key" when absent.
        let state = self
            .peers
            .get(from)
            .ok_or_else(|| PeerMisbehaved::UnknownSender { sender: from.clone() })?;
        let (plaintext, updated) = state.decrypt(from, &envelope, budget, self.memo.as_ref())?;
        // §8 "Persist updated state": only reached when decryption succeeded.
        self.peers.insert(from.clone(), updated);
        Ok(Accepted {
            claimed_sender: from.clone(),
            plaintext,
        })
    }

    /// §2.5 / §7.3 step 5: a removed member's sender key is deleted.
    fn forget_sender(&mut self, member: &MemberId) {
        self.peers.remove(member);
    }

    fn export(&self) -> Vec<u8> {
        Snapshot::encode(self)
    }

    /// The one state held for `sender`, as JSON (`null` when none): all a message from `sender` may change.
    fn export_sender(&self, sender: &MemberId) -> Vec<u8> {
        let state = self.peers.get(sender).map(PeerSnapshot::from_state);
        // Invariant: strings, integers and string-keyed maps always serialize to JSON.
        serde_json::to_vec(&state).expect("the snapshot serializes")
    }

    fn use_memo(&mut self, memo: &SharedMemo) {
        self.memo = Some(SharedMemo::clone(memo));
    }

    fn skipped_keys(&self, sender: &MemberId) -> usize {
        self.peers.get(sender).map_or(0, |state| state.skipped.len())
    }

    /// The own key's fingerprint (hex, as `sk` on the wire) and the iteration of the last envelope, one below
    /// the own key's next; `None` before the first message under the current key.
    fn last_sent(&self) -> Option<ChainPosition> {
        let own = self.own.as_ref()?;
        Some(ChainPosition {
            key_id: KeyId::Fingerprint(own.key_id()).to_string(),
            iteration: own.iteration.checked_sub(1)?,
        })
    }

    /// §7.1 `SenderKeyPrivate.signingKey`: the own key's 32-byte Ed25519 secret.
    fn signing_key(&self) -> Option<Vec<u8>> {
        Some(self.own.as_ref()?.signing.secret_bytes().to_vec())
    }

    /// The one state held for `sender` (§7.3, so the newest) as an own key — its chain key and next
    /// iteration, signed with `signing_key` or, since an Accord member holds only the sender's public key,
    /// with a fresh key of the forger's own that the sender's receivers refuse — through
    /// [`OwnKey::encrypt_under`], writing the held key id as `sk`.
    fn forge_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        let stolen = signing_key.map(signing_key_pair).transpose()?;
        let state = self
            .peers
            .get(sender)
            .ok_or_else(|| PeerMisbehaved::UnknownSender {
                sender: sender.clone(),
            })?;
        let iteration = u32::try_from(state.iteration)
            .map_err(|_| ApiMisuse::IterationExhausted { key_id: state.key() })?;
        let mut forged = OwnKey {
            chain_key: state.chain_key.clone(),
            signing: stolen.unwrap_or_else(|| SigningKeyPair::generate(rng)),
            iteration,
            replaces: None,
        };
        Ok(forged.encrypt_under(state.key_id, rng, plaintext)?.encode())
    }
}

/// A signing key in the form [`Implementation::signing_key`] returns it: the 32-byte Ed25519 secret.
fn signing_key_pair(bytes: &[u8]) -> Result<SigningKeyPair, Rejection> {
    let secret = <&[u8; 32]>::try_from(bytes).map_err(|_| Rejection {
        reason: "malformed-signing-key".to_owned(),
        detail: format!("an Ed25519 signing key is 32 bytes, got {}", bytes.len()),
    })?;
    Ok(SigningKeyPair::from_secret_bytes(secret))
}

/// The exported state (§7.3 "Sender Key state must persist across sessions"): JSON, maps ordered, bytes in
/// lowercase hex, so the same state always exports to the same bytes.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    group: GroupId,
    member: MemberId,
    own: Option<OwnSnapshot>,
    peers: BTreeMap<MemberId, PeerSnapshot>,
}

/// [`OwnKey`] in a [`Snapshot`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnSnapshot {
    chain_key: String,
    signing_key: String,
    iteration: u32,
    replaces: Option<String>,
}

/// [`PeerState`] in a [`Snapshot`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeerSnapshot {
    key_id: String,
    signing_public_key: String,
    chain_key: String,
    iteration: u64,
    skipped: BTreeMap<u32, String>,
}

/// A rejection of a corrupt exported state.
fn bad_state(detail: impl Into<String>) -> Rejection {
    ApiMisuse::BadState {
        detail: detail.into(),
    }
    .into()
}

/// Decodes `N` bytes of hex, or rejects the state naming `field`.
fn hex_array<const N: usize>(field: &str, text: &str) -> Result<[u8; N], Rejection> {
    let bytes = hex::decode(text).map_err(|e| bad_state(format!("field `{field}`: {e}")))?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| bad_state(format!("field `{field}` must be {N} bytes, got {}", bytes.len())))
}

impl Snapshot {
    /// The state as deterministic JSON bytes.
    fn encode(instance: &Instance) -> Vec<u8> {
        let snapshot = Snapshot {
            group: instance.group.clone(),
            member: instance.member.clone(),
            own: instance.own.as_ref().map(OwnSnapshot::from_own),
            peers: instance
                .peers
                .iter()
                .map(|(member, state)| (member.clone(), PeerSnapshot::from_state(state)))
                .collect(),
        };
        // Invariant: strings, integers and string-keyed maps always serialize to JSON.
        serde_json::to_vec(&snapshot).expect("the snapshot serializes")
    }

    /// Rebuilds an instance, rejecting any corrupt field with `bad-state`; never panics.
    fn decode(bytes: &[u8]) -> Result<Instance, Rejection> {
        let snapshot: Snapshot = serde_json::from_slice(bytes).map_err(|e| bad_state(e.to_string()))?;
        let own = snapshot.own.as_ref().map(OwnSnapshot::to_own).transpose()?;
        let peers = snapshot
            .peers
            .iter()
            .map(|(member, state)| Ok((member.clone(), state.to_state()?)))
            .collect::<Result<_, Rejection>>()?;
        Ok(Instance {
            group: snapshot.group,
            member: snapshot.member,
            own,
            peers,
            memo: None,
        })
    }
}

impl OwnSnapshot {
    fn from_own(own: &OwnKey) -> Self {
        OwnSnapshot {
            chain_key: hex::encode(own.chain_key.as_bytes()),
            signing_key: hex::encode(own.signing.secret_bytes()),
            iteration: own.iteration,
            replaces: own.replaces.map(hex::encode),
        }
    }

    fn to_own(&self) -> Result<OwnKey, Rejection> {
        let replaces = self.replaces.as_deref().map(|r| hex_array("replaces", r));
        Ok(OwnKey {
            chain_key: ChainKey::from_bytes(hex_array("chain_key", &self.chain_key)?),
            signing: SigningKeyPair::from_secret_bytes(&hex_array("signing_key", &self.signing_key)?),
            iteration: self.iteration,
            replaces: replaces.transpose()?,
        })
    }
}

impl PeerSnapshot {
    fn from_state(state: &PeerState) -> Self {
        PeerSnapshot {
            key_id: hex::encode(state.key_id),
            signing_public_key: hex::encode(state.signing_public_key),
            chain_key: hex::encode(state.chain_key.as_bytes()),
            iteration: state.iteration,
            skipped: (state.skipped.iter())
                .map(|(iteration, key)| (*iteration, hex::encode(key.material())))
                .collect(),
        }
    }

    fn to_state(&self) -> Result<PeerState, Rejection> {
        if self.iteration > u64::from(u32::MAX) + 1 {
            return Err(bad_state(format!("iteration {} is beyond 2^32", self.iteration)));
        }
        if self.skipped.len() > SKIPPED_KEYS_MAX {
            return Err(bad_state(format!(
                "{} skipped keys, more than {MAX_SKIP}",
                self.skipped.len()
            )));
        }
        let skipped = (self.skipped.iter())
            .map(|(iteration, key)| {
                let key = MessageKey::from_material(&hex_array::<32>("skipped", key)?)
                    .ok_or_else(|| bad_state("skipped key is not 32 bytes"))?;
                Ok((*iteration, key))
            })
            .collect::<Result<_, Rejection>>()?;
        Ok(PeerState {
            key_id: hex_array("key_id", &self.key_id)?,
            signing_public_key: hex_array("signing_public_key", &self.signing_public_key)?,
            chain_key: ChainKey::from_bytes(hex_array("chain_key", &self.chain_key)?),
            iteration: self.iteration,
            skipped,
        })
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;
    use crate::implementations::test_support::{Trio, budget, id};

    /// Alice with a key; Bob (honest) and Carol (the insider) holding Alice's distribution, parsed.
    fn trio(seed: u64) -> (Trio, AccordDistribution) {
        let mut t = Trio::new(&Accord, seed);
        let distribution = AccordDistribution::parse(&t.distribute()).expect("genuine distribution");
        (t, distribution)
    }

    #[test]
    fn forge_with_the_stolen_signing_key_is_alices_next_message() {
        let (mut t, distribution) = trio(1);
        t.send_to_both(b"m0");
        let stolen = t.alice.signing_key().expect("Alice has a key");
        assert_eq!(stolen.len(), 32);
        let pair = SigningKeyPair::from_secret_bytes(stolen.as_slice().try_into().expect("32 bytes"));
        assert_eq!(fingerprint(&pair.public().to_bytes()), distribution.key_id);
        let forged = t.forge(Some(&stolen), 7, b"forged").expect("forge");
        // Byte for byte what Alice sends at that position with the same randomness.
        let genuine = t
            .alice
            .encrypt(&mut ChaCha20Rng::seed_from_u64(7), b"forged")
            .expect("encrypt");
        assert_eq!(forged, genuine);
        let parsed = AccordEnvelope::parse(&forged).expect("an Accord envelope");
        assert_eq!((parsed.key_id, parsed.iteration), (distribution.key_id, 1));
        let accepted = t
            .bob
            .decrypt(&id("alice"), &forged, &mut budget())
            .expect("accepted");
        assert_eq!(accepted.claimed_sender, id("alice"));
        assert_eq!(accepted.plaintext, b"forged");
    }

    #[test]
    fn forge_without_alices_signing_key_is_refused() {
        let (mut t, distribution) = trio(2);
        t.send_to_both(b"m0");
        let before = t.bob.export();
        // No key: Carol holds only Alice's public key, so she signs with a fresh key of her own.
        let own_key = t.forge(None, 7, b"forged").expect("forge");
        // A wrong key given.
        let wrong_key = t.forge(Some(&[7; 32]), 8, b"forged").expect("forge");
        for forged in [own_key, wrong_key] {
            let parsed = AccordEnvelope::parse(&forged).expect("an Accord envelope");
            assert_eq!((parsed.key_id, parsed.iteration), (distribution.key_id, 1));
            let rejection = t.bob.decrypt(&id("alice"), &forged, &mut budget()).unwrap_err();
            assert_eq!(rejection.reason, "bad-signature", "{}", rejection.detail);
            assert_eq!(t.bob.export(), before);
        }
    }

    #[test]
    fn last_sent_is_the_position_on_the_wire() {
        let (mut t, distribution) = trio(3);
        assert_eq!(t.alice.last_sent(), None);
        assert_eq!(t.bob.last_sent(), None);
        t.alice.encrypt(&mut t.rng, b"m0").expect("encrypt");
        let second = t.alice.encrypt(&mut t.rng, b"m1").expect("encrypt");
        let parsed = AccordEnvelope::parse(&second).expect("an Accord envelope");
        assert_eq!(parsed.iteration, 1);
        assert_eq!(
            t.alice.last_sent(),
            Some(ChainPosition {
                key_id: hex::encode(parsed.key_id),
                iteration: parsed.iteration,
            })
        );
        assert_eq!(parsed.key_id, distribution.key_id);
        // A rotation starts a key nothing was sent under yet.
        t.alice.create_sender_key(&mut t.rng).expect("rotation");
        assert_eq!(t.alice.last_sent(), None);
    }

    #[test]
    fn forge_refuses_unknown_senders_and_malformed_keys() {
        let (t, _) = trio(4);
        let stolen = t.alice.signing_key().expect("Alice has a key");
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let unknown = t
            .carol
            .forge_as(&id("dave"), Some(&stolen), &mut rng, b"x")
            .unwrap_err();
        assert_eq!(unknown.reason, "unknown-sender", "{}", unknown.detail);
        // Alice holds no receiver state for herself.
        let own = t.alice.forge_as(&id("alice"), None, &mut rng, b"x").unwrap_err();
        assert_eq!(own.reason, "unknown-sender", "{}", own.detail);
        for bad in [&stolen[..31], &[0; 33][..], &[][..]] {
            let malformed = t
                .carol
                .forge_as(&id("alice"), Some(bad), &mut rng, b"x")
                .unwrap_err();
            assert_eq!(malformed.reason, "malformed-signing-key", "{}", malformed.detail);
        }
        assert_eq!(t.bob.signing_key(), None);
    }
}
