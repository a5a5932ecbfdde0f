//! `p2p`: a faithful model of the peer-to-peer Sender Keys sketch (`docs/threat-model.md`, "The seed
//! systems") — weaknesses included.
//!
//! Each member holds one `SenderKey { chain_key, signing_key, iteration }` of its own and one of every other
//! member (step 1). The chain is `HMAC(ck, "message")` / `HMAC(ck, "chain")` (step 2, reused from
//! [`senderkeys::Kdf`]); messages are AES-256-GCM with a random 96-bit nonce and an Ed25519 signature over the
//! ciphertext (step 4); the wire formats are step 6's protobufs ([`senderkeys::wire::p2p`]). The engine's
//! pairwise channel stands in for the seed's ECDH encryption of distributions (step 3).
//!
//! The model reproduces what the sketch does, not what it should do. Each weakness below is deliberate; the
//! code cites the step it follows and `sim/tests/model_p2p.rs` shows each one.
//!
//! - **Weakness 5 — state advanced before authentication** (step 5, "Fast-forward" runs before "Verify
//!   signature"). The stored chain of the claimed sender is advanced in place to the message's iteration and
//!   only then is the signature checked, so a forged or tampered message destroys the keys of the genuine
//!   messages it skips. Breaks `failure-atomicity` and `delivery`.
//! - **Weakness 6 — unbounded forward jump** (step 5, `while sender_key.iteration < msg.iteration`). Nothing
//!   bounds the jump, so a message claiming iteration 3 000 000 makes the receiver derive 3 000 000 keys; only
//!   the engine's [`WorkBudget`] stops it. Breaks `bounded-state`.
//! - **Weakness 7 — forwarded keys are believed** (step 3, "Send them everyone else's sender keys"). A
//!   distribution installs a key for whoever its `sender_id` names, whoever sent it, so a malicious member can
//!   install a fake key for another member at a newcomer and impersonate them. Breaks `authenticity`.
//! - **Weakness 8 — the signature covers the ciphertext only** (step 4, `signing_key.sign(&ciphertext)`).
//!   `group_id`, `sender_id`, `iteration` and `nonce` are not signed: a changed iteration still verifies after it
//!   has moved the chain, a changed nonce fails only at the AEAD, after the chain has moved. Breaks
//!   `failure-atomicity` and `delivery`.
//! - **Weakness 12, for every member — the private signing key travels** (step 3, `self.my_sender_key.serialize()`
//!   serializes the whole step 1 `SenderKey`, `signing_key` included). Every member who receives a key can sign
//!   as its owner, so the per-message signature authenticates nothing among members (weakness 4 in effect), and
//!   one member's compromise yields every member's signing key. Breaks `authenticity`.
//! - **Weakness 10 — rotation drops the old key at once** (step 1 holds one key per peer). Messages still in
//!   flight under the old key are lost and, through weakness 5, burn the new chain. Breaks `delivery`.
//! - **Weakness 14 — replay after a stale distribution** (step 3 installs what arrives). A re-delivered or
//!   forwarded distribution rewinds the receiver's chain, after which old messages decrypt again. Breaks
//!   `replay-rejection`.
//! - **No out-of-order delivery, despite the sketch's claim** (step 5, "This burns intermediate keys"). The
//!   design keeps no skipped keys, so a message older than the newest one processed is lost. Breaks `delivery`.
//! - **Forwarded keys may be behind** (step 3). A forwarder hands out its receiver copy, positioned at the last
//!   message it decrypted, so a newcomer may read messages sent before it joined. Breaks `join-secrecy`.
//!
//! Resolved gaps in the sketch:
//! - Step 3 signs the distribution with an identity key the engine does not model; the model signs with the
//!   sender key's own signing key, and the receiver checks that self-signature (it only detects corruption:
//!   anyone can make one).
//! - Step 5's `derive_message_key_at_iteration` is unspecified; the model uses the message key produced by the
//!   last `advance()` of the fast-forward loop, which is the sender's key for an in-order message.
//! - Step 5 returns `String::from_utf8(plaintext)`; the engine's plaintexts are binary, so the model returns the
//!   bytes. Neither step 5 nor the distribution handler consults `group_id`, so neither does the model.

use std::collections::BTreeMap;

use rand_core::CryptoRng;
use senderkeys::SigningKeyPair;
use senderkeys::consts::{AEAD_NONCE_BYTES, CHAIN_KEY_BYTES};
use senderkeys::wire::p2p::{P2pDistribution, P2pGroupMessage, P2pSenderKeyRecord};
use senderkeys::{ChainKey, Kdf, MessageKey};
use senderkeys::{Cipher, Nonce};
use senderkeys::{GroupId, KeyId, MemberId, SharedMemo};
use serde::{Deserialize, Serialize};

use super::{chain_step, verifies};
use crate::implementation::{
    Accepted, ChainPosition, Implementation, ImplementationFactory, Rejection, Transport, WorkBudget,
};

/// Step 2: `hmac_sha256(chain_key, b"message")` and `hmac_sha256(chain_key, b"chain")`.
const KDF: Kdf = Kdf::HmacLabels {
    message: "message",
    chain: "chain",
};

/// Step 4: `aes_gcm_encrypt(&message_key, &nonce, plaintext)`, no associated data.
const CIPHER: Cipher = Cipher::Aes256Gcm;

/// Makes `p2p` instances: the peer-to-peer sketch as written.
#[derive(Clone, Copy, Debug, Default)]
pub struct P2p;

/// A rejection with a stable reason.
fn reject(reason: &str, detail: impl Into<String>) -> Rejection {
    Rejection {
        reason: reason.to_owned(),
        detail: detail.into(),
    }
}

/// Step 1's `SenderKey`; the same shape for the own key and for every peer's key (peers get the private
/// signing key too, step 3).
#[derive(Clone)]
struct SenderKey {
    chain_key: ChainKey,
    signing_key: SigningKeyPair,
    iteration: u32,
}

impl SenderKey {
    /// Step 2, `SenderKey::new`: a random chain key, a fresh signing key, iteration 0.
    fn generate(rng: &mut dyn CryptoRng) -> Self {
        let mut chain_key = [0u8; CHAIN_KEY_BYTES];
        rng.fill_bytes(&mut chain_key);
        SenderKey {
            chain_key: ChainKey::from_bytes(chain_key),
            signing_key: SigningKeyPair::generate(rng),
            iteration: 0,
        }
    }

    /// Step 2, `advance`: the message key of the current chain key, then the next chain key, iteration + 1.
    fn advance(&mut self) -> Result<MessageKey, Rejection> {
        self.advance_with(None)
    }

    /// [`SenderKey::advance`], its chain step through the run's memo when there is one.
    fn advance_with(&mut self, memo: Option<&SharedMemo>) -> Result<MessageKey, Rejection> {
        // The seed's `u32` would overflow after 2^32 messages; the model refuses instead of panicking.
        let next = self
            .iteration
            .checked_add(1)
            .ok_or_else(|| reject("iteration-exhausted", "the u32 iteration counter is exhausted"))?;
        let (message_key, chain_key) = chain_step(memo, &KDF, &self.chain_key);
        self.chain_key = chain_key;
        self.iteration = next;
        Ok(message_key)
    }

    /// Step 3, `self.my_sender_key.serialize()`: the WHOLE key, private signing key included.
    ///
    /// The record's `signing_public_key` field carries the 32-byte Ed25519 SECRET seed, because that is what
    /// the seed serializes: every recipient can sign as the owner (weakness 12 for every member).
    fn record(&self) -> P2pSenderKeyRecord {
        P2pSenderKeyRecord {
            chain_key: *self.chain_key.as_bytes(),
            signing_public_key: self.signing_key.secret_bytes(),
            iteration: self.iteration,
        }
    }

    /// The receiving side of step 3: a peer's key exactly as serialized, signing secret included.
    fn from_record(record: &P2pSenderKeyRecord) -> Self {
        SenderKey {
            chain_key: ChainKey::from_bytes(record.chain_key),
            signing_key: SigningKeyPair::from_secret_bytes(&record.signing_public_key),
            iteration: record.iteration,
        }
    }

    /// Step 3, `SenderKeyDistribution`: this key, at its current iteration, in `owner`'s name.
    ///
    /// The seed signs with the identity key; the model has none and signs with the key's own signing key.
    fn distribution(&self, group_id: &GroupId, owner: &MemberId) -> Vec<u8> {
        let encrypted_sender_key = self.record().encode();
        let signature = self.signing_key.sign(&encrypted_sender_key);
        P2pDistribution {
            group_id: group_id.clone(),
            sender_id: owner.clone(),
            encrypted_sender_key,
            signature,
        }
        .encode()
    }
}

/// Step 1's `GroupChat`: one member's state for one group.
struct Instance {
    group_id: GroupId,
    my_id: MemberId,
    /// `None` until the engine asks for the first key.
    my_sender_key: Option<SenderKey>,
    other_sender_keys: BTreeMap<MemberId, SenderKey>,
    /// The run's memo of pure work, if the engine offered one (harness memory, never exported).
    memo: Option<SharedMemo>,
}

/// Step 5, "Fast-forward": advances the STORED key in place up to `target`, one budget step per advance.
///
/// Returns the message key of the last advance, or `None` if the key was already at or past `target`. No bound
/// (weakness 6); on an exhausted budget the chain stays wherever it got to (weakness 5).
fn fast_forward(
    key: &mut SenderKey,
    target: u32,
    budget: &mut WorkBudget,
    memo: Option<&SharedMemo>,
) -> Result<Option<MessageKey>, Rejection> {
    let mut message_key = None;
    while key.iteration < target {
        budget.step()?;
        // "This burns intermediate keys": nothing is cached (skipped_keys_max = 0).
        message_key = Some(key.advance_with(memo)?);
    }
    Ok(message_key)
}

/// Step 4, `send_message`, with `key` as `sender_id`'s key: the member's own key, or a forger's copy of a key
/// it holds of another member ([`Implementation::forge_as`]).
fn send_message(
    key: &mut SenderKey,
    group_id: &GroupId,
    sender_id: &MemberId,
    rng: &mut dyn CryptoRng,
    plaintext: &[u8],
) -> Result<Vec<u8>, Rejection> {
    // Step 4.1: advance FIRST, so the message key is that of chain position `iteration` while the wire
    // carries the post-increment value: the first message says iteration 1 but uses position 0's key.
    let message_key = key.advance()?;
    // Step 4.2: a random 96-bit nonce, AES-GCM without associated data.
    let mut nonce = [0u8; AEAD_NONCE_BYTES];
    rng.fill_bytes(&mut nonce);
    let ciphertext = CIPHER.seal(&message_key, &Nonce::Aead(nonce), &[], plaintext);
    // Step 4.3: the signature covers the ciphertext ONLY (weakness 8).
    let signature = key.signing_key.sign(&ciphertext);
    Ok(P2pGroupMessage {
        group_id: group_id.clone(),
        sender_id: sender_id.clone(),
        iteration: key.iteration,
        nonce,
        ciphertext,
        signature,
    }
    .encode())
}

impl Instance {
    fn own_key(&self) -> Result<&SenderKey, Rejection> {
        self.my_sender_key
            .as_ref()
            .ok_or_else(|| reject("no-own-sender-key", "no sender key has been created yet"))
    }

    /// Step 3, receiving a distribution: parse the envelope and the serialized `SenderKey` inside.
    fn parse_distribution(bytes: &[u8]) -> Result<(P2pDistribution, P2pSenderKeyRecord), Rejection> {
        let distribution = P2pDistribution::parse(bytes).map_err(|e| reject("malformed", e.to_string()))?;
        let record = P2pSenderKeyRecord::parse(&distribution.encrypted_sender_key)
            .map_err(|e| reject("malformed", e.to_string()))?;
        Ok((distribution, record))
    }
}

impl ImplementationFactory for P2p {
    fn name(&self) -> String {
        "p2p".to_owned()
    }

    fn create(&self, group: &GroupId, member: &MemberId) -> Box<dyn Implementation> {
        Box::new(Instance {
            group_id: group.clone(),
            my_id: member.clone(),
            my_sender_key: None,
            other_sender_keys: BTreeMap::new(),
            memo: None,
        })
    }

    fn import(&self, state: &[u8]) -> Result<Box<dyn Implementation>, Rejection> {
        Ok(Box::new(Instance::import(state)?))
    }

    /// Step 3: members forward the keys they hold of others to newcomers.
    fn transport(&self) -> Transport {
        super::registry::P2P.transport
    }

    /// Step 5 burns intermediate keys: the design caches none.
    fn skipped_keys_max(&self) -> usize {
        0
    }
}

impl Implementation for Instance {
    /// Step 2, `SenderKey::new`; a rotation simply replaces the old key (the sketch never rotates).
    fn create_sender_key(&mut self, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Rejection> {
        let key = SenderKey::generate(rng);
        let distribution = key.distribution(&self.group_id, &self.my_id);
        self.my_sender_key = Some(key);
        Ok(distribution)
    }

    /// Step 3, `send_my_sender_key_to_peer`: the own key at its current iteration.
    fn distribution(&self) -> Result<Vec<u8>, Rejection> {
        Ok(self.own_key()?.distribution(&self.group_id, &self.my_id))
    }

    /// Step 3, receiving: installs or replaces the key for the distribution's `sender_id`.
    ///
    /// `from` is deliberately ignored: a forwarded key is accepted for whoever it names (weakness 7), and a
    /// stale or re-delivered one rewinds the chain (weakness 14). The signature is the key's self-signature,
    /// which anyone can make; it only catches corruption.
    fn process_distribution(
        &mut self,
        _from: &MemberId,
        bytes: &[u8],
        _: &mut WorkBudget,
    ) -> Result<(), Rejection> {
        let (distribution, record) = Self::parse_distribution(bytes)?;
        let key = SenderKey::from_record(&record);
        if !key
            .signing_key
            .public()
            .verifies(&distribution.encrypted_sender_key, &distribution.signature)
        {
            return Err(reject("bad-signature", "distribution signature does not verify"));
        }
        self.other_sender_keys.insert(distribution.sender_id, key);
        Ok(())
    }

    /// Step 4, `send_message` ([`send_message`]).
    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection> {
        let key = self
            .my_sender_key
            .as_mut()
            .ok_or_else(|| reject("no-own-sender-key", "no sender key has been created yet"))?;
        send_message(key, &self.group_id, &self.my_id, rng, plaintext)
    }

    /// Step 5, `receive_message`, in the seed's order: look up, fast-forward, verify, decrypt.
    fn decrypt(
        &mut self,
        _from: &MemberId,
        envelope: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<Accepted, Rejection> {
        let msg = P2pGroupMessage::parse(envelope).map_err(|e| reject("malformed", e.to_string()))?;
        // Step 5.1: the key is found by the `sender_id` the message claims, not by the transport's `from`.
        let key = self
            .other_sender_keys
            .get_mut(&msg.sender_id)
            .ok_or_else(|| reject("unknown-sender", format!("no sender key for {}", msg.sender_id)))?;
        // Step 5.2/5.3: the stored chain moves BEFORE anything is authenticated (weaknesses 5 and 6).
        let message_key = fast_forward(key, msg.iteration, budget, self.memo.as_ref())?.ok_or_else(|| {
            reject(
                "duplicate",
                format!("iteration {} is not ahead of {}", msg.iteration, key.iteration),
            )
        })?;
        // Step 5.4: verify, too late to protect the chain.
        let public = key.signing_key.public().to_bytes();
        if !verifies(self.memo.as_ref(), &public, &msg.ciphertext, &msg.signature) {
            return Err(reject("bad-signature", "message signature does not verify"));
        }
        // Step 5.5: decrypt.
        let plaintext = CIPHER
            .open(&message_key, &Nonce::Aead(msg.nonce), &[], &msg.ciphertext)
            .map_err(|_| reject("decryption-failed", "AES-GCM tag does not verify"))?;
        Ok(Accepted {
            claimed_sender: msg.sender_id,
            plaintext,
        })
    }

    fn forget_sender(&mut self, member: &MemberId) {
        self.other_sender_keys.remove(member);
    }

    fn export(&self) -> Vec<u8> {
        Snapshot::of(self).to_bytes()
    }

    // No `export_sender`: a message is looked up by the `sender_id` it claims, not by who relayed it, so any
    // message may change any sender's key; duplicates compare the whole state.

    fn use_memo(&mut self, memo: &SharedMemo) {
        self.memo = Some(SharedMemo::clone(memo));
    }

    /// The design caches no skipped keys.
    fn skipped_keys(&self, _: &MemberId) -> usize {
        0
    }

    /// Step 3, `forward_sender_key_to_peer` for every other member's key held, sorted by member id.
    fn forwarded_distributions(&self) -> Vec<(MemberId, Vec<u8>)> {
        self.other_sender_keys
            .iter()
            .filter(|(member, _)| **member != self.my_id)
            .map(|(member, key)| (member.clone(), key.distribution(&self.group_id, member)))
            .collect()
    }

    /// The wire carries no key id; the key is named by the fingerprint of its signing public key (hex), as the
    /// reference's `p2p` suite names it. The iteration is the own key's, which step 4.1 increments before
    /// it goes on the wire: the last message said exactly that. `None` before the first message under the key.
    fn last_sent(&self) -> Option<ChainPosition> {
        let key = self.my_sender_key.as_ref()?;
        (key.iteration > 0).then(|| ChainPosition {
            key_id: KeyId::fingerprint_of(&key.signing_key.public().to_bytes()).to_string(),
            iteration: key.iteration,
        })
    }

    /// Step 1's `signing_key` of the own key: the 32-byte Ed25519 secret (the very bytes step 3 hands every
    /// recipient).
    fn signing_key(&self) -> Option<Vec<u8>> {
        Some(self.my_sender_key.as_ref()?.signing_key.secret_bytes().to_vec())
    }

    /// A copy of the key held for `sender` (one per sender, step 1), run through [`send_message`] in
    /// `sender`'s name: the message is at the iteration the holder expects next, signed with `signing_key` if
    /// given — else with the held key's own signing key, which is `sender`'s real private key because step 3
    /// serializes it into every distribution (weakness 12): any member holding a key forges as its owner.
    fn forge_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        let stolen = signing_key
            .map(|bytes| {
                <&[u8; 32]>::try_from(bytes).map_err(|_| {
                    reject(
                        "malformed-signing-key",
                        format!("an Ed25519 signing key is 32 bytes, got {}", bytes.len()),
                    )
                })
            })
            .transpose()?;
        let mut forged = self
            .other_sender_keys
            .get(sender)
            .ok_or_else(|| reject("unknown-sender", format!("no sender key for {sender}")))?
            .clone();
        if let Some(secret) = stolen {
            forged.signing_key = SigningKeyPair::from_secret_bytes(secret);
        }
        send_message(&mut forged, &self.group_id, sender, rng, plaintext)
    }
}

/// One key in an export: hex chain key, hex signing secret, iteration.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySnapshot {
    chain_key: String,
    signing_key: String,
    iteration: u32,
}

/// The whole state in an export (JSON; `BTreeMap` keeps it deterministic).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    group_id: GroupId,
    my_id: MemberId,
    my_sender_key: Option<KeySnapshot>,
    other_sender_keys: BTreeMap<MemberId, KeySnapshot>,
}

/// Decodes 32 hex-encoded bytes of an export.
fn hex32(field: &str, text: &str) -> Result<[u8; 32], Rejection> {
    let bytes = hex::decode(text).map_err(|e| reject("bad-state", format!("{field}: {e}")))?;
    bytes
        .try_into()
        .map_err(|_| reject("bad-state", format!("{field}: not 32 bytes")))
}

impl KeySnapshot {
    fn of(key: &SenderKey) -> Self {
        KeySnapshot {
            chain_key: hex::encode(key.chain_key.as_bytes()),
            signing_key: hex::encode(key.signing_key.secret_bytes()),
            iteration: key.iteration,
        }
    }

    fn restore(&self) -> Result<SenderKey, Rejection> {
        Ok(SenderKey {
            chain_key: ChainKey::from_bytes(hex32("chain_key", &self.chain_key)?),
            signing_key: SigningKeyPair::from_secret_bytes(&hex32("signing_key", &self.signing_key)?),
            iteration: self.iteration,
        })
    }
}

impl Snapshot {
    fn of(instance: &Instance) -> Self {
        Snapshot {
            group_id: instance.group_id.clone(),
            my_id: instance.my_id.clone(),
            my_sender_key: instance.my_sender_key.as_ref().map(KeySnapshot::of),
            other_sender_keys: instance
                .other_sender_keys
                .iter()
                .map(|(member, key)| (member.clone(), KeySnapshot::of(key)))
                .collect(),
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        // Invariant: strings, integers and string-keyed maps always serialize to JSON.
        serde_json::to_vec(self).expect("snapshot serializes")
    }
}

impl Instance {
    /// Rebuilds an instance from [`Implementation::export`] bytes; anything else is `bad-state`.
    fn import(state: &[u8]) -> Result<Self, Rejection> {
        let snapshot: Snapshot = serde_json::from_slice(state)
            .map_err(|e| reject("bad-state", format!("not a p2p export: {e}")))?;
        let my_sender_key = snapshot
            .my_sender_key
            .as_ref()
            .map(KeySnapshot::restore)
            .transpose()?;
        let other_sender_keys = snapshot
            .other_sender_keys
            .iter()
            .map(|(member, key)| Ok((member.clone(), key.restore()?)))
            .collect::<Result<BTreeMap<_, _>, Rejection>>()?;
        Ok(Instance {
            group_id: snapshot.group_id,
            my_id: snapshot.my_id,
            my_sender_key,
            other_sender_keys,
            memo: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;
    use crate::implementations::test_support::{Trio, budget, id};

    /// Alice with a key; Bob (honest) and Carol (the insider) holding Alice's distribution, and the serialized
    /// key inside it.
    fn trio(seed: u64) -> (Trio, P2pSenderKeyRecord) {
        let mut t = Trio::new(&P2p, seed);
        let (_, record) = Instance::parse_distribution(&t.distribute()).expect("genuine distribution");
        (t, record)
    }

    #[test]
    fn forge_with_the_stolen_signing_key_is_alices_next_message() {
        let (mut t, _) = trio(1);
        t.send_to_both(b"m0");
        let stolen = t.alice.signing_key().expect("Alice has a key");
        assert_eq!(stolen.len(), 32);
        let forged = t.forge(Some(&stolen), 7, b"forged").expect("forge");
        // Byte for byte what Alice sends at that position with the same randomness.
        let genuine = t
            .alice
            .encrypt(&mut ChaCha20Rng::seed_from_u64(7), b"forged")
            .expect("encrypt");
        assert_eq!(forged, genuine);
        let parsed = P2pGroupMessage::parse(&forged).expect("a p2p message");
        // Step 4.1: the second message on the chain says iteration 2.
        assert_eq!((parsed.sender_id.clone(), parsed.iteration), (id("alice"), 2));
        let accepted = t.bob_decrypts(&forged).expect("accepted");
        assert_eq!(accepted.claimed_sender, id("alice"));
        assert_eq!(accepted.plaintext, b"forged");
    }

    /// Weakness 12: the distribution hands Carol Alice's private signing key, so she needs nothing stolen.
    #[test]
    fn forge_without_a_stolen_key_uses_the_distributed_private_key() {
        let (mut t, record) = trio(2);
        t.send_to_both(b"m0");
        let stolen = t.alice.signing_key().expect("Alice has a key");
        assert_eq!(record.signing_public_key.as_slice(), stolen.as_slice());
        // A key that is not Alice's is refused (by a copy of Bob: the refusal moves his chain, weakness 5).
        let wrong = t.forge(Some(&[7; 32]), 8, b"wrong").expect("forge");
        let mut bob_copy = P2p.import(&t.bob.export()).expect("import");
        let rejection = bob_copy.decrypt(&id("alice"), &wrong, &mut budget()).unwrap_err();
        assert_eq!(rejection.reason, "bad-signature", "{}", rejection.detail);
        // Without a key, Carol signs with the one the distribution gave her: Alice's.
        let forged = t.forge(None, 7, b"forged").expect("forge");
        assert_eq!(forged, t.forge(Some(&stolen), 7, b"forged").expect("forge"));
        let accepted = t.bob_decrypts(&forged).expect("accepted");
        assert_eq!(accepted.claimed_sender, id("alice"));
        assert_eq!(accepted.plaintext, b"forged");
    }

    #[test]
    fn last_sent_is_the_position_on_the_wire() {
        let (mut t, _) = trio(3);
        assert_eq!(t.alice.last_sent(), None);
        assert_eq!(t.bob.last_sent(), None);
        t.alice.encrypt(&mut t.rng, b"m0").expect("encrypt");
        let second = t.alice.encrypt(&mut t.rng, b"m1").expect("encrypt");
        let parsed = P2pGroupMessage::parse(&second).expect("a p2p message");
        assert_eq!(parsed.iteration, 2);
        let secret = t.alice.signing_key().expect("Alice has a key");
        let public =
            SigningKeyPair::from_secret_bytes(secret.as_slice().try_into().expect("32 bytes")).public();
        assert_eq!(
            t.alice.last_sent(),
            Some(ChainPosition {
                key_id: KeyId::fingerprint_of(&public.to_bytes()).to_string(),
                iteration: parsed.iteration,
            })
        );
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
