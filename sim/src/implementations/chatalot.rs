//! `chatalot`: a faithful model of Chatalot's group encryption, as its "Group Encryption" document describes it,
//! weaknesses included.
//!
//! The primitives and wire formats are the `senderkeys` crate's: [`Kdf::HkdfSalted`] for the chain,
//! [`Cipher::ChaCha20Poly1305`] for messages, and the JSON codecs [`ChatalotMessage`] and
//! [`ChatalotDistribution`]. What this module adds is the document's state machine, in the document's order.
//! Each behaviour cites the document section it follows.
//!
//! Reproduced weaknesses (numbers from the list of known weaknesses in `docs/threat-model.md`):
//! 1. Distributions stored in plaintext on the server ("Key Distribution": uploaded via
//!    `POST /channels/{id}/sender-keys`, stored and broadcast): the factory declares
//!    [`Transport::ServerPlaintext`], so the engine lets the server read every chain key. Breaks
//!    `server-blindness`.
//! 2. A newcomer gets the stored record at iteration 0 ("Key Distribution": "they can fetch all current
//!    distributions"; the server stores what was uploaded, at iteration 0): [`Implementation::distribution`]
//!    returns the own key as uploaded, so a newcomer reads the back-history. Breaks `join-secrecy`.
//! 3. Plaintext fallback ("Fallback Behavior"): bytes that do not parse, or that fail to decrypt for any reason,
//!    are shown as a message from whoever the server names as the sender. Breaks `authenticity`.
//! 4. No per-message signature ("Sending a Message" and "Sender Key Wire Format" carry none): anyone holding a
//!    chain key (every member, and the server by weakness 1) can encrypt a message that decrypts as genuine.
//!    Breaks `authenticity`.
//! 5. State advanced before the message is authenticated ("Receiving a Message": advance, then decrypt): a
//!    forged message moves the chain, caches or destroys keys of genuine messages, and is then shown as
//!    plaintext. Breaks `failure-atomicity` and `delivery`.
//! 6. No bound on forward jumps ("Out-of-Order Messages" bounds only the cache): a forged iteration makes the
//!    receiver derive as many keys as the iteration asks; only the engine's [`WorkBudget`] stops it. Breaks
//!    `bounded-state`.
//! 10. Rotation discards every receiver state at once ("When a Member Leaves or Is Removed"): messages still in
//!     flight under the old keys can no longer be decrypted. Breaks `delivery`.
//!
//! Modelling decisions where the document is silent or ambiguous:
//! - A message names no sender, only a chain id; the receiver state is looked up by chain id among every
//!   sender's states ("Receiving a Message", step 1), and the message is shown as from the sender the server
//!   names. The state found may belong to another member.
//! - "A maximum of 2000 skipped keys are cached per sender" is read literally: at most 2000 in total over that
//!   sender's states, evicting the lowest iteration (ties: the sender's other states first, by chain id).
//! - A distribution is installed under the `sender_id` it names, whoever delivered it, and replaces whatever
//!   state was held under its chain id: the document describes no check ("Key Distribution").
//! - With no receiver state for the chain id the model returns the `unknown-key` rejection instead of falling
//!   back, so the engine can do the fetch the document does ("Fetch if missing").
//! - Receiver states record the order they were installed in, which the document does not keep; no honest
//!   operation reads it. It only lets the adversary's [`Implementation::forge_as`] pick a sender's newest state.

use std::collections::BTreeMap;

use rand_core::CryptoRng;
use senderkeys::consts::{AEAD_NONCE_BYTES, CHAIN_KEY_BYTES, PLAINTEXT_BYTES_MAX, SKIPPED_KEYS_MAX};
use senderkeys::wire::chatalot::{ChatalotDistribution, ChatalotMessage};
use senderkeys::{ApiMisuse, GroupId, KeyId, MemberId, PeerMisbehaved, SharedMemo};
use senderkeys::{ChainKey, Kdf, MessageKey};
use senderkeys::{Cipher, Nonce};
use serde::{Deserialize, Serialize};

use super::chain_step;
use crate::implementation::{
    Accepted, ChainPosition, Implementation, ImplementationFactory, Rejection, Transport, WorkBudget,
};

/// "Sending a Message": HKDF-SHA256 salted with the chain key, ikm 0x01 / 0x02.
const KDF: Kdf = Kdf::HkdfSalted;
/// "Sending a Message": ChaCha20-Poly1305.
const CIPHER: Cipher = Cipher::ChaCha20Poly1305;
/// The document binds no header field to the ciphertext: no associated data.
const NO_AAD: &[u8] = &[];
/// The format tag of exported states.
const STATE_FORMAT: &str = "chatalot/1";
/// One past the last iteration a `u32` can carry.
const ITERATIONS_END: u64 = 1 << 32;

/// Makes `chatalot` instances.
#[derive(Clone, Copy, Debug, Default)]
pub struct Chatalot;

impl ImplementationFactory for Chatalot {
    fn name(&self) -> String {
        "chatalot".to_owned()
    }

    fn create(&self, group: &GroupId, member: &MemberId) -> Box<dyn Implementation> {
        Box::new(Instance {
            group: group.clone(),
            member: member.clone(),
            own: None,
            receivers: BTreeMap::new(),
            memo: None,
        })
    }

    fn import(&self, state: &[u8]) -> Result<Box<dyn Implementation>, Rejection> {
        Ok(Box::new(Instance::import(state)?))
    }

    /// "Key Distribution": distributions are uploaded to the server, stored, broadcast, and fetched as stored.
    fn transport(&self) -> Transport {
        super::registry::CHATALOT.transport
    }

    /// "Out-of-Order Messages": "A maximum of 2000 skipped keys are cached per sender".
    fn skipped_keys_max(&self) -> usize {
        SKIPPED_KEYS_MAX
    }
}

/// The member's own sender key.
struct OwnKey {
    /// "Key Generation": a random 32-bit chain id.
    chain_id: u32,
    /// The chain key at iteration 0, as uploaded: the server keeps serving this record ("Key Distribution").
    initial: ChainKey,
    /// The chain key of iteration `next`.
    chain_key: ChainKey,
    /// The iteration the next message uses (up to 2^32, when the chain is used up).
    next: u64,
}

/// What a member holds of one sender key of another member.
struct Receiver {
    /// The `sender_id` of the distribution record it came from.
    sender: MemberId,
    /// The chain key of iteration `next`.
    chain_key: ChainKey,
    /// The next iteration the chain would derive.
    next: u64,
    /// "Out-of-Order Messages": message keys of skipped iterations.
    skipped: BTreeMap<u32, MessageKey>,
    /// When the state was installed, as a count (higher is newer). The document keeps no such order and no
    /// honest operation reads it: it only lets [`Implementation::forge_as`] pick a sender's newest state.
    installed: u64,
}

/// One member's Chatalot state for one channel.
struct Instance {
    group: GroupId,
    member: MemberId,
    own: Option<OwnKey>,
    /// Receiver states by chain id: "Receiving a Message" looks them up by `chain_id` alone.
    receivers: BTreeMap<u32, Receiver>,
    /// The run's memo of pure work, if the engine offered one (harness memory, never exported).
    memo: Option<SharedMemo>,
}

impl OwnKey {
    /// "Key Generation": a random 256-bit chain key, a random 32-bit chain id, iteration 0.
    fn generate(rng: &mut dyn CryptoRng) -> Self {
        let mut bytes = [0u8; CHAIN_KEY_BYTES];
        rng.fill_bytes(&mut bytes);
        let chain_key = ChainKey::from_bytes(bytes);
        bytes.fill(0);
        OwnKey {
            chain_id: rng.next_u32(),
            initial: chain_key.clone(),
            chain_key,
            next: 0,
        }
    }

    /// "Sending a Message": advance the chain, encrypt with a random nonce and no associated data, package.
    /// Nothing is signed (weakness 4).
    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection> {
        if plaintext.len() > PLAINTEXT_BYTES_MAX {
            return Err(ApiMisuse::PlaintextTooLarge {
                actual: plaintext.len(),
                limit: PLAINTEXT_BYTES_MAX,
            }
            .into());
        }
        let iteration = u32::try_from(self.next).map_err(|_| ApiMisuse::IterationExhausted {
            key_id: KeyId::Chain(self.chain_id),
        })?;
        let message_key = KDF.message_key(&self.chain_key);
        self.chain_key = KDF.next_chain_key(&self.chain_key);
        self.next += 1;
        let mut nonce = [0u8; AEAD_NONCE_BYTES];
        rng.fill_bytes(&mut nonce);
        let ciphertext = CIPHER.seal(&message_key, &Nonce::Aead(nonce), NO_AAD, plaintext);
        Ok(ChatalotMessage {
            chain_id: self.chain_id,
            iteration,
            ciphertext,
            nonce,
        }
        .encode())
    }

    /// "Key Distribution": the record as uploaded — iteration 0 and the initial chain key.
    fn uploaded_record(&self, member: &MemberId) -> Vec<u8> {
        ChatalotDistribution {
            chain_id: self.chain_id,
            iteration: 0,
            chain_key: *self.initial.as_bytes(),
            sender_id: member.clone(),
        }
        .encode()
    }
}

impl Implementation for Instance {
    fn create_sender_key(&mut self, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Rejection> {
        let own = OwnKey::generate(rng);
        let record = own.uploaded_record(&self.member);
        self.own = Some(own);
        Ok(record)
    }

    /// Weakness 2 ("Key Distribution"): newcomers fetch the stored record, which is at iteration 0.
    fn distribution(&self) -> Result<Vec<u8>, Rejection> {
        let own = self.own.as_ref().ok_or(ApiMisuse::NoOwnSenderKey)?;
        Ok(own.uploaded_record(&self.member))
    }

    /// "Key Distribution": the client "initializes a receiver key state from the distribution". The document
    /// has no conflict check: a record replaces any state held under its chain id, whoever it was for.
    fn process_distribution(
        &mut self,
        _from: &MemberId,
        bytes: &[u8],
        _budget: &mut WorkBudget,
    ) -> Result<(), Rejection> {
        let record = ChatalotDistribution::parse(bytes).map_err(|e| Rejection {
            reason: "malformed".to_owned(),
            detail: e.to_string(),
        })?;
        let installed = (self.receivers.values())
            .map(|r| r.installed.saturating_add(1))
            .max()
            .unwrap_or(0);
        let receiver = Receiver {
            sender: record.sender_id.clone(),
            chain_key: ChainKey::from_bytes(record.chain_key),
            next: u64::from(record.iteration),
            skipped: BTreeMap::new(),
            installed,
        };
        self.receivers.insert(record.chain_id, receiver);
        Ok(())
    }

    /// "Sending a Message" ([`OwnKey::encrypt`]).
    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection> {
        let own = self.own.as_mut().ok_or(ApiMisuse::NoOwnSenderKey)?;
        own.encrypt(rng, plaintext)
    }

    /// "Receiving a Message", with "Fallback Behavior" for everything that does not decrypt.
    fn decrypt(
        &mut self,
        from: &MemberId,
        envelope: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<Accepted, Rejection> {
        // "Fallback Behavior": bytes that "cannot be parsed as a Sender Key wire message" are shown as text.
        let Ok(message) = ChatalotMessage::parse(envelope) else {
            return Ok(fallback(from, envelope));
        };
        // "Fetch if missing": the document fetches the distribution before falling back; in the simulator the
        // engine does the fetch, so a missing state is reported as `unknown-key` rather than shown as text.
        if !self.receivers.contains_key(&message.chain_id) {
            return Err(PeerMisbehaved::UnknownKey {
                sender: from.clone(),
                key_id: KeyId::Chain(message.chain_id),
            }
            .into());
        }
        // Weakness 5: the chain moves (and keys are consumed) before the tag is checked.
        let key = self.take_message_key(message.chain_id, message.iteration, budget)?;
        let nonce = Nonce::Aead(message.nonce);
        let opened = key.and_then(|k| CIPHER.open(&k, &nonce, NO_AAD, &message.ciphertext).ok());
        Ok(match opened {
            Some(plaintext) => Accepted {
                claimed_sender: from.clone(),
                plaintext,
            },
            // "Fallback Behavior": "Decryption fails for any reason" (weakness 3).
            None => fallback(from, envelope),
        })
    }

    /// "When a Member Leaves or Is Removed": "All remaining members delete all receiver key states for that
    /// channel" — whoever left (weakness 10). The own key is replaced when the engine rotates it (on-removal).
    fn forget_sender(&mut self, _member: &MemberId) {
        self.receivers.clear();
    }

    fn export(&self) -> Vec<u8> {
        // Serializing plain structs with integer and string map keys cannot fail; an empty export would
        // simply not import.
        serde_json::to_vec(&self.snapshot()).unwrap_or_default()
    }

    // No `export_sender`: a message finds its receiver state by the chain id it carries, whoever relayed it, so
    // any message may change any sender's state; duplicates compare the whole state.

    fn use_memo(&mut self, memo: &SharedMemo) {
        self.memo = Some(SharedMemo::clone(memo));
    }

    /// The skipped keys cached for `sender`, over all of its states (the document's bound is per sender).
    fn skipped_keys(&self, sender: &MemberId) -> usize {
        sender_cache_len(&self.receivers, sender)
    }

    /// The own chain id (`#id`) and the iteration of the last message, one below the own key's next; `None`
    /// before the first message under the current key.
    fn last_sent(&self) -> Option<ChainPosition> {
        let own = self.own.as_ref()?;
        Some(ChainPosition {
            key_id: KeyId::Chain(own.chain_id).to_string(),
            iteration: u32::try_from(own.next.checked_sub(1)?).ok()?,
        })
    }

    /// Weakness 4: the newest state held for `sender` as an own key — its chain id, chain key and next
    /// iteration — through [`OwnKey::encrypt`]. Nothing is signed, so no key is needed and none is accepted:
    /// [`Implementation::signing_key`] is always `None` here, and any key given is refused as malformed.
    fn forge_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        if let Some(key) = signing_key {
            return Err(Rejection {
                reason: "malformed-signing-key".to_owned(),
                detail: format!(
                    "Chatalot signs nothing and takes no signing key, got {} bytes",
                    key.len()
                ),
            });
        }
        let (&chain_id, state) = self
            .receivers
            .iter()
            .filter(|(_, r)| &r.sender == sender)
            .max_by_key(|(_, r)| r.installed)
            .ok_or_else(|| PeerMisbehaved::UnknownSender {
                sender: sender.clone(),
            })?;
        let mut forged = OwnKey {
            chain_id,
            initial: state.chain_key.clone(),
            chain_key: state.chain_key.clone(),
            next: state.next,
        };
        forged.encrypt(rng, plaintext)
    }
}

/// "Fallback Behavior": the raw bytes are shown as a message (decoded as UTF-8 for display; the model returns
/// the bytes themselves) from the member the server names as the sender.
fn fallback(from: &MemberId, envelope: &[u8]) -> Accepted {
    Accepted {
        claimed_sender: from.clone(),
        plaintext: envelope.to_vec(),
    }
}

impl Instance {
    /// The message key for `iteration` of chain `chain_id`, consumed: from the cache if the iteration is behind
    /// (`None` if it is not cached), else by advancing the chain to it ("Advance to the correct iteration").
    /// The state is changed before the caller checks the tag, as in the document (weakness 5).
    fn take_message_key(
        &mut self,
        chain_id: u32,
        iteration: u32,
        budget: &mut WorkBudget,
    ) -> Result<Option<MessageKey>, Rejection> {
        let Some(mut state) = self.receivers.remove(&chain_id) else {
            return Ok(None);
        };
        let key = if u64::from(iteration) < state.next {
            Ok(state.skipped.remove(&iteration))
        } else {
            advance(
                &mut state,
                &mut self.receivers,
                iteration,
                budget,
                self.memo.as_ref(),
            )
            .map(Some)
        };
        // Whatever happened, even an exhausted budget, the state stays as far as it got.
        self.receivers.insert(chain_id, state);
        key
    }
}

/// Advances `state` through `iteration`, caching the keys of the iterations in between, and returns the message
/// key of `iteration`. One budget step per chain step: the document bounds no jump (weakness 6).
fn advance(
    state: &mut Receiver,
    others: &mut BTreeMap<u32, Receiver>,
    iteration: u32,
    budget: &mut WorkBudget,
    memo: Option<&SharedMemo>,
) -> Result<MessageKey, Rejection> {
    let mut others_len = sender_cache_len(others, &state.sender);
    while let Ok(skipped) = u32::try_from(state.next)
        && skipped < iteration
    {
        budget.step()?;
        let (message_key, chain_key) = chain_step(memo, &KDF, &state.chain_key);
        state.skipped.insert(skipped, message_key);
        state.chain_key = chain_key;
        state.next += 1;
        while state.skipped.len() + others_len > SKIPPED_KEYS_MAX {
            evict_lowest(state, others, &mut others_len);
        }
    }
    budget.step()?;
    let (key, chain_key) = chain_step(memo, &KDF, &state.chain_key);
    state.chain_key = chain_key;
    state.next += 1;
    Ok(key)
}

/// "A maximum of 2000 skipped keys are cached per sender": drops the cached key with the lowest iteration among
/// all of the sender's states. `state` is the one being advanced (taken out of `others`); on a tie the sender's
/// other states lose their key first, the lowest chain id first.
fn evict_lowest(state: &mut Receiver, others: &mut BTreeMap<u32, Receiver>, others_len: &mut usize) {
    let lowest_other = others
        .iter_mut()
        .filter(|(_, other)| other.sender == state.sender)
        .filter_map(|(_, other)| other.skipped.keys().next().copied().map(|it| (it, other)))
        .min_by_key(|(it, _)| *it);
    let own_lowest = state.skipped.keys().next().copied();
    match (lowest_other, own_lowest) {
        (Some((it, other)), Some(own)) if it <= own => {
            other.skipped.remove(&it);
            *others_len = others_len.saturating_sub(1);
        }
        (_, Some(own)) => {
            state.skipped.remove(&own);
        }
        (Some((it, other)), None) => {
            other.skipped.remove(&it);
            *others_len = others_len.saturating_sub(1);
        }
        (None, None) => *others_len = 0,
    }
}

/// The skipped keys cached over every state of `sender` in `receivers`.
fn sender_cache_len(receivers: &BTreeMap<u32, Receiver>, sender: &MemberId) -> usize {
    receivers
        .values()
        .filter(|r| &r.sender == sender)
        .map(|r| r.skipped.len())
        .sum()
}

/// The exported state: deterministic JSON (ordered maps, hex keys).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    format: String,
    group: GroupId,
    member: MemberId,
    own: Option<OwnSnapshot>,
    receivers: BTreeMap<u32, ReceiverSnapshot>,
}

/// [`OwnKey`] as exported.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnSnapshot {
    chain_id: u32,
    initial: String,
    chain_key: String,
    next: u64,
}

/// [`Receiver`] as exported.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiverSnapshot {
    sender: MemberId,
    chain_key: String,
    next: u64,
    skipped: BTreeMap<u32, String>,
    #[serde(default)]
    installed: u64,
}

impl Instance {
    /// The state as exported: every key in hex, maps in key order.
    fn snapshot(&self) -> Snapshot {
        let own = self.own.as_ref().map(|own| OwnSnapshot {
            chain_id: own.chain_id,
            initial: hex::encode(own.initial.as_bytes()),
            chain_key: hex::encode(own.chain_key.as_bytes()),
            next: own.next,
        });
        let receivers = self
            .receivers
            .iter()
            .map(|(&chain_id, r)| {
                let skipped = r
                    .skipped
                    .iter()
                    .map(|(&it, key)| (it, hex::encode(key.material())))
                    .collect();
                let snapshot = ReceiverSnapshot {
                    sender: r.sender.clone(),
                    chain_key: hex::encode(r.chain_key.as_bytes()),
                    next: r.next,
                    skipped,
                    installed: r.installed,
                };
                (chain_id, snapshot)
            })
            .collect();
        Snapshot {
            format: STATE_FORMAT.to_owned(),
            group: self.group.clone(),
            member: self.member.clone(),
            own,
            receivers,
        }
    }

    /// Rebuilds an instance from [`Implementation::export`] bytes; anything inconsistent is `bad-state`.
    fn import(bytes: &[u8]) -> Result<Self, Rejection> {
        let snapshot: Snapshot =
            serde_json::from_slice(bytes).map_err(|e| bad_state(format!("not a chatalot state: {e}")))?;
        if snapshot.format != STATE_FORMAT {
            return Err(bad_state(format!("unknown format {:?}", snapshot.format)));
        }
        let own = snapshot.own.map(own_from_snapshot).transpose()?;
        let mut receivers = BTreeMap::new();
        for (chain_id, r) in snapshot.receivers {
            receivers.insert(chain_id, receiver_from_snapshot(r)?);
        }
        let mut per_sender: BTreeMap<&MemberId, usize> = BTreeMap::new();
        for r in receivers.values() {
            *per_sender.entry(&r.sender).or_default() += r.skipped.len();
        }
        if let Some((sender, _)) = per_sender.iter().find(|(_, len)| **len > SKIPPED_KEYS_MAX) {
            return Err(bad_state(format!(
                "more than {SKIPPED_KEYS_MAX} skipped keys for {sender}"
            )));
        }
        Ok(Instance {
            group: snapshot.group,
            member: snapshot.member,
            own,
            receivers,
            memo: None,
        })
    }
}

/// Checks and rebuilds the own key.
fn own_from_snapshot(own: OwnSnapshot) -> Result<OwnKey, Rejection> {
    if own.next > ITERATIONS_END {
        return Err(bad_state(format!("own iteration {} is out of range", own.next)));
    }
    Ok(OwnKey {
        chain_id: own.chain_id,
        initial: chain_key_from_hex(&own.initial)?,
        chain_key: chain_key_from_hex(&own.chain_key)?,
        next: own.next,
    })
}

/// Checks and rebuilds one receiver state: its iteration in range, every cached key behind it and 32 bytes.
fn receiver_from_snapshot(r: ReceiverSnapshot) -> Result<Receiver, Rejection> {
    if r.next > ITERATIONS_END {
        return Err(bad_state(format!(
            "receiver iteration {} is out of range",
            r.next
        )));
    }
    let mut skipped = BTreeMap::new();
    for (it, key) in r.skipped {
        if u64::from(it) >= r.next {
            return Err(bad_state(format!(
                "skipped iteration {it} is not behind {}",
                r.next
            )));
        }
        let material = hex::decode(&key).map_err(|e| bad_state(format!("skipped key: {e}")))?;
        let key = MessageKey::from_material(&material)
            .filter(|_| material.len() == 32)
            .ok_or_else(|| bad_state("a skipped key is not 32 bytes".to_owned()))?;
        skipped.insert(it, key);
    }
    Ok(Receiver {
        sender: r.sender,
        chain_key: chain_key_from_hex(&r.chain_key)?,
        next: r.next,
        skipped,
        installed: r.installed,
    })
}

/// A 32-byte chain key from hex.
fn chain_key_from_hex(text: &str) -> Result<ChainKey, Rejection> {
    let bytes = hex::decode(text).map_err(|e| bad_state(format!("chain key: {e}")))?;
    let bytes: [u8; CHAIN_KEY_BYTES] = bytes
        .try_into()
        .map_err(|_| bad_state("a chain key is not 32 bytes".to_owned()))?;
    Ok(ChainKey::from_bytes(bytes))
}

/// The `bad-state` rejection.
fn bad_state(detail: String) -> Rejection {
    ApiMisuse::BadState { detail }.into()
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;
    use crate::implementations::test_support::{Trio, budget, id};

    /// Alice creates a key, which Bob and Carol both install; returns its distribution.
    fn rotate(t: &mut Trio) -> ChatalotDistribution {
        ChatalotDistribution::parse(&t.distribute()).expect("genuine distribution")
    }

    /// Alice with a key; Bob (honest) and Carol (the insider) holding Alice's distribution, parsed.
    fn trio(seed: u64) -> (Trio, ChatalotDistribution) {
        let mut t = Trio::new(&Chatalot, seed);
        let distribution = rotate(&mut t);
        (t, distribution)
    }

    /// Chatalot signs nothing: there is no key to steal, and Carol needs none (weakness 4).
    #[test]
    fn forge_without_any_key_is_alices_next_message() {
        let (mut t, distribution) = trio(1);
        t.send_to_both(b"m0");
        assert_eq!(t.alice.signing_key(), None);
        let forged = t.forge(None, 7, b"forged").expect("forge");
        // Byte for byte what Alice sends at that position with the same randomness.
        let genuine = t
            .alice
            .encrypt(&mut ChaCha20Rng::seed_from_u64(7), b"forged")
            .expect("encrypt");
        assert_eq!(forged, genuine);
        let parsed = ChatalotMessage::parse(&forged).expect("a Chatalot message");
        assert_eq!((parsed.chain_id, parsed.iteration), (distribution.chain_id, 1));
        // Decrypted, not the plaintext fallback (which would show the envelope's bytes).
        let accepted = t
            .bob
            .decrypt(&id("alice"), &forged, &mut budget())
            .expect("accepted");
        assert_eq!(accepted.claimed_sender, id("alice"));
        assert_eq!(accepted.plaintext, b"forged");
    }

    /// After a rotation both of Alice's chains are held; the forge uses the newest, also from an imported clone.
    #[test]
    fn forge_uses_the_newest_state_of_the_sender() {
        let (mut t, first) = trio(2);
        t.send_to_both(b"m0");
        let second = rotate(&mut t).chain_id;
        assert_ne!(first.chain_id, second);
        t.send_to_both(b"m1");
        t.send_to_both(b"m2");
        let clone = Chatalot.import(&t.carol.export()).expect("import");
        for forger in [&t.carol, &clone] {
            let forged = forger
                .forge_as(&id("alice"), None, &mut ChaCha20Rng::seed_from_u64(7), b"forged")
                .expect("forge");
            let parsed = ChatalotMessage::parse(&forged).expect("a Chatalot message");
            assert_eq!((parsed.chain_id, parsed.iteration), (second, 2));
        }
        // Re-installing the first record makes it the newest (the order is that of installation).
        t.carol
            .process_distribution(&id("alice"), &first.encode(), &mut budget())
            .expect("record");
        let forged = t.forge(None, 7, b"forged").expect("forge");
        let parsed = ChatalotMessage::parse(&forged).expect("a Chatalot message");
        assert_eq!((parsed.chain_id, parsed.iteration), (first.chain_id, 0));
    }

    #[test]
    fn last_sent_is_the_position_on_the_wire() {
        let (mut t, distribution) = trio(3);
        assert_eq!(t.alice.last_sent(), None);
        assert_eq!(t.bob.last_sent(), None);
        t.alice.encrypt(&mut t.rng, b"m0").expect("encrypt");
        let second = t.alice.encrypt(&mut t.rng, b"m1").expect("encrypt");
        let parsed = ChatalotMessage::parse(&second).expect("a Chatalot message");
        assert_eq!(parsed.iteration, 1);
        assert_eq!(parsed.chain_id, distribution.chain_id);
        assert_eq!(
            t.alice.last_sent(),
            Some(ChainPosition {
                key_id: KeyId::Chain(parsed.chain_id).to_string(),
                iteration: parsed.iteration,
            })
        );
    }

    #[test]
    fn forge_refuses_unknown_senders_and_any_key() {
        let (t, _) = trio(4);
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let unknown = t.carol.forge_as(&id("dave"), None, &mut rng, b"x").unwrap_err();
        assert_eq!(unknown.reason, "unknown-sender", "{}", unknown.detail);
        let own = t.alice.forge_as(&id("alice"), None, &mut rng, b"x").unwrap_err();
        assert_eq!(own.reason, "unknown-sender", "{}", own.detail);
        // Nothing is signed: no key has a form Chatalot accepts.
        for bad in [&[0; 31][..], &[0; 32][..]] {
            let malformed = t
                .carol
                .forge_as(&id("alice"), Some(bad), &mut rng, b"x")
                .unwrap_err();
            assert_eq!(malformed.reason, "malformed-signing-key", "{}", malformed.detail);
        }
    }
}
