//! `minikeys`: a small, independent Sender Keys design, and how to test it with sksim.
//!
//! This crate is what a user of sksim writes to test their own Rust implementation: it implements
//! [`sksim::Implementation`] (one member's state) and [`sksim::ImplementationFactory`] (how instances are made)
//! for its own design, and its tests (`tests/scenarios.rs`) run sksim's scenario files against it with
//! [`sksim::run_scenario_with`]. Nothing here uses sksim's built-in ratchet: the design is written from scratch on
//! RustCrypto primitives.
//!
//! # The design
//!
//! - A **sender key** is a random 32-byte chain key, an Ed25519 signing key and a random 32-bit key id. Each chain
//!   step derives `message_key = HMAC-SHA256(chain_key, 0x01)` and `next_chain_key = HMAC-SHA256(chain_key, 0x02)`.
//! - A **distribution** (`src/wire.rs` has both layouts) carries the sender's member id, the key id, an iteration, the chain key at that
//!   iteration and the Ed25519 public key. It travels over sksim's authenticated pairwise channels; it is refused
//!   unless it names the member it came from.
//! - An **envelope** carries the key id, the iteration, a random nonce, the ChaCha20-Poly1305 ciphertext under the
//!   message key (the header is its associated data) and an Ed25519 signature over all of that.
//! - A **receiver** verifies the signature before it derives anything, computes the message key together with the
//!   state as it will be after the envelope, decrypts, and only then replaces its state: a rejected envelope leaves the state byte-for-byte unchanged. Message keys are deleted once used;
//!   keys of skipped iterations wait in a bounded cache; duplicates are refused. Per sender it keeps the newest
//!   [`SENDER_STATES_MAX`] keys (so messages still in flight under a rotated-out key decrypt) and remembers the ids
//!   of retired keys, so a stale distribution cannot re-install one.
//!
//! Every limit is a constant below; each has a test at its boundary.

#![forbid(unsafe_code)]

mod ratchet;
mod wire;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::SigningKey;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use sksim::{Accepted, ChainPosition, Implementation, ImplementationFactory, Rejection, WorkBudget};
use sksim::{GroupId, MemberId};
use zeroize::{Zeroize, ZeroizeOnDrop};

use ratchet::{ReceiverState, SenderRecord};

/// At most this many skipped message keys are cached per receiver state; beyond it the lowest iterations are
/// evicted (their messages can no longer be decrypted).
pub const SKIPPED_KEYS_MAX: usize = 2_000;

/// An envelope more than this many iterations ahead of the receiver's chain is refused (`too-far-ahead`) before
/// any key is derived. A receiver therefore takes at most this many chain steps for one envelope.
pub const FORWARD_JUMP_MAX: u32 = 25_000;

/// At most this many sender keys are kept per sender, so that messages still in flight under a rotated-out key
/// decrypt. Installing one more retires the oldest.
pub const SENDER_STATES_MAX: usize = 5;

/// At most this many ids of retired keys are remembered per sender (a distribution of one is refused).
pub const RETIRED_KEY_IDS_MAX: usize = 32;

/// The largest plaintext [`Implementation::encrypt`] accepts, in bytes.
pub const PLAINTEXT_BYTES_MAX: usize = 65_536;

/// The longest member id a distribution carries, in bytes (sksim's own bound on ids).
pub const MEMBER_ID_BYTES_MAX: usize = 128;

/// The stable rejection reasons of minikeys (kebab-case, counted in sksim's reports).
pub mod reason {
    /// A distribution that does not parse.
    pub const MALFORMED_DISTRIBUTION: &str = "malformed-distribution";
    /// An envelope that does not parse.
    pub const MALFORMED_ENVELOPE: &str = "malformed-envelope";
    /// Exported state that does not parse or breaks an invariant.
    pub const MALFORMED_STATE: &str = "malformed-state";
    /// A stolen signing key that is not 32 bytes.
    pub const MALFORMED_SIGNING_KEY: &str = "malformed-signing-key";
    /// A distribution that names another member than the one it came from.
    pub const SENDER_MISMATCH: &str = "sender-mismatch";
    /// A distribution for a held key id with another signing key.
    pub const KEY_CONFLICT: &str = "key-conflict";
    /// A key this member retired (rotated out, or its sender left).
    pub const RETIRED_KEY: &str = "retired-key";
    /// No key of this sender is held (sksim parks the envelope and asks for the key).
    pub const UNKNOWN_SENDER: &str = "unknown-sender";
    /// Keys of this sender are held, but not this one (sksim parks the envelope and asks for the key).
    pub const UNKNOWN_KEY: &str = "unknown-key";
    /// The signature does not verify under the key's public key.
    pub const BAD_SIGNATURE: &str = "bad-signature";
    /// The ciphertext does not open under the message key.
    pub const DECRYPTION_FAILED: &str = "decryption-failed";
    /// The message key of this iteration was used already (or evicted from the cache).
    pub const DUPLICATE: &str = "duplicate";
    /// More than [`crate::FORWARD_JUMP_MAX`] iterations ahead.
    pub const TOO_FAR_AHEAD: &str = "too-far-ahead";
    /// Encrypting before any own sender key exists.
    pub const NO_OWN_SENDER_KEY: &str = "no-own-sender-key";
    /// Every iteration of the own key has been used.
    pub const ITERATION_EXHAUSTED: &str = "iteration-exhausted";
    /// A plaintext over [`crate::PLAINTEXT_BYTES_MAX`].
    pub const PLAINTEXT_TOO_LARGE: &str = "plaintext-too-large";
}

/// A rejection with a stable `reason` and a human-readable `detail`.
pub(crate) fn reject(reason: &str, detail: impl Into<String>) -> Rejection {
    Rejection {
        reason: reason.to_owned(),
        detail: detail.into(),
    }
}

/// 32 secret bytes (a chain, message or signing key; also used for public keys). Zeroized on drop, redacted in
/// `Debug`, written as base64 in exported state.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub(crate) struct Key32(pub(crate) [u8; 32]);

impl std::fmt::Debug for Key32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key32(<redacted>)")
    }
}

impl Key32 {
    /// 32 bytes from `rng`.
    pub(crate) fn random(rng: &mut dyn CryptoRng) -> Self {
        let mut key = Key32([0; 32]);
        rng.fill_bytes(&mut key.0);
        key
    }
}

impl Serialize for Key32 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Key32 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = BASE64.decode(text).map_err(serde::de::Error::custom)?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("a key is 32 bytes"))?;
        Ok(Key32(key))
    }
}

/// The member's own current sender key.
#[derive(Clone, Serialize, Deserialize)]
struct OwnKey {
    key_id: u32,
    /// The chain key of iteration `next`.
    chain_key: Key32,
    /// The next iteration to send; `2^32` once every iteration is used.
    next: u64,
    signing_secret: Key32,
}

/// One member's whole state — exactly what [`Implementation::export`] writes.
#[derive(Clone, Default, Serialize, Deserialize)]
struct State {
    member: String,
    own: Option<OwnKey>,
    /// What this member holds of each other member, by member id.
    senders: BTreeMap<String, SenderRecord>,
}

/// A bug [`MiniKeysFactory`] can plant in every instance: **a deliberate bug, to show sksim catching it**. Never
/// set it outside such a demonstration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliberateBug {
    /// Receivers do not verify signatures: anyone holding a sender's chain (every other member) can write as it.
    SkipSignatureCheck,
    /// A distribution for a key id already held replaces the held state: a stale one rewinds the chain and
    /// re-opens iterations already consumed.
    ReinstallStaleDistribution,
}

/// Makes minikeys instances.
#[derive(Clone, Copy, Debug, Default)]
pub struct MiniKeysFactory {
    /// **A deliberate bug, to show sksim catching it** (`None`: the correct design).
    pub bug: Option<DeliberateBug>,
}

impl ImplementationFactory for MiniKeysFactory {
    fn name(&self) -> String {
        match self.bug {
            None => "minikeys".to_owned(),
            Some(bug) => format!("minikeys (deliberate bug: {bug:?})"),
        }
    }

    fn create(&self, _group: &GroupId, member: &MemberId) -> Box<dyn Implementation> {
        let state = State {
            member: member.as_str().to_owned(),
            ..State::default()
        };
        Box::new(MiniKeys { state, bug: self.bug })
    }

    fn import(&self, bytes: &[u8]) -> Result<Box<dyn Implementation>, Rejection> {
        Ok(Box::new(MiniKeys::import(bytes, self.bug)?))
    }

    fn skipped_keys_max(&self) -> usize {
        SKIPPED_KEYS_MAX
    }
}

/// One member's minikeys state for one group.
pub struct MiniKeys {
    state: State,
    bug: Option<DeliberateBug>,
}

impl MiniKeys {
    /// Rebuilds an instance from [`Implementation::export`] bytes, checking every invariant the code relies on.
    pub fn import(bytes: &[u8], bug: Option<DeliberateBug>) -> Result<Self, Rejection> {
        let state: State =
            serde_json::from_slice(bytes).map_err(|e| reject(reason::MALFORMED_STATE, e.to_string()))?;
        let own_ok = state
            .own
            .as_ref()
            .is_none_or(|own| own.next <= ratchet::ITERATIONS_END);
        if !own_ok || !state.senders.values().all(SenderRecord::is_valid) {
            return Err(reject(
                reason::MALFORMED_STATE,
                "a counter or bound is out of range",
            ));
        }
        Ok(MiniKeys { state, bug })
    }

    /// The own key, or the rejection of an operation that needs one.
    fn own(&self) -> Result<&OwnKey, Rejection> {
        (self.state.own.as_ref()).ok_or_else(|| reject(reason::NO_OWN_SENDER_KEY, "no sender key yet"))
    }
}

/// The iteration `next` names, if it is not past the last one.
fn iteration_of(next: u64) -> Result<u32, Rejection> {
    u32::try_from(next).map_err(|_| reject(reason::ITERATION_EXHAUSTED, "every iteration of the key is used"))
}

impl Implementation for MiniKeys {
    fn create_sender_key(&mut self, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Rejection> {
        self.state.own = Some(OwnKey {
            key_id: rng.next_u32(),
            chain_key: Key32::random(rng),
            next: 0,
            signing_secret: Key32::random(rng),
        });
        self.distribution()
    }

    fn distribution(&self) -> Result<Vec<u8>, Rejection> {
        let own = self.own()?;
        let public_key = SigningKey::from_bytes(&own.signing_secret.0)
            .verifying_key()
            .to_bytes();
        Ok(wire::Distribution {
            sender: self.state.member.clone(),
            key_id: own.key_id,
            iteration: iteration_of(own.next)?,
            chain_key: own.chain_key.0,
            public_key,
        }
        .encode())
    }

    fn process_distribution(
        &mut self,
        from: &MemberId,
        bytes: &[u8],
        _budget: &mut WorkBudget,
    ) -> Result<(), Rejection> {
        let dist = wire::Distribution::parse(bytes)?;
        if dist.sender != from.as_str() {
            return Err(reject(
                reason::SENDER_MISMATCH,
                format!("a key of {:?} sent by {from}", dist.sender),
            ));
        }
        let rewind = self.bug == Some(DeliberateBug::ReinstallStaleDistribution);
        let record = self.state.senders.entry(dist.sender.clone()).or_default();
        record.install(&dist, rewind)
    }

    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection> {
        if plaintext.len() > PLAINTEXT_BYTES_MAX {
            let detail = format!("{} bytes, at most {PLAINTEXT_BYTES_MAX}", plaintext.len());
            return Err(reject(reason::PLAINTEXT_TOO_LARGE, detail));
        }
        let own = self.own()?;
        let iteration = iteration_of(own.next)?;
        let (message_key, next_chain_key) = ratchet::step(&own.chain_key);
        let signing = SigningKey::from_bytes(&own.signing_secret.0);
        let envelope = wire::seal(own.key_id, iteration, &message_key, &signing, rng, plaintext)?;
        // Commit only once the envelope exists; the used message key is dropped (and zeroized) here.
        if let Some(own) = self.state.own.as_mut() {
            own.chain_key = next_chain_key;
            own.next += 1;
        }
        Ok(envelope)
    }

    fn decrypt(
        &mut self,
        from: &MemberId,
        envelope: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<Accepted, Rejection> {
        let parsed = wire::Envelope::parse(envelope)?;
        let record = (self.state.senders.get_mut(from.as_str()))
            .ok_or_else(|| reject(reason::UNKNOWN_SENDER, format!("no key of {from}")))?;
        let state = record.find_mut(from, parsed.key_id)?;
        // 1. Authenticate before anything is derived or changed.
        if self.bug != Some(DeliberateBug::SkipSignatureCheck) && !parsed.verifies(&state.public_key) {
            let detail = format!("key {:08x} iteration {}", parsed.key_id, parsed.iteration);
            return Err(reject(reason::BAD_SIGNATURE, detail));
        }
        // 2. The message key, and the state as it will be after this envelope (duplicates and far jumps are
        //    refused here); the held state is not touched.
        let (message_key, after) = state.accept(parsed.iteration, budget)?;
        // 3. Decrypt; 4. only then replace the state.
        let plaintext = parsed.open(&message_key)?;
        *state = after;
        Ok(Accepted {
            claimed_sender: from.clone(),
            plaintext,
        })
    }

    fn forget_sender(&mut self, member: &MemberId) {
        if let Some(record) = self.state.senders.get_mut(member.as_str()) {
            record.retire_all();
        }
    }

    fn export(&self) -> Vec<u8> {
        serialize(&self.state)
    }

    fn export_sender(&self, sender: &MemberId) -> Vec<u8> {
        serialize(&self.state.senders.get(sender.as_str()))
    }

    fn skipped_keys(&self, sender: &MemberId) -> usize {
        let record = self.state.senders.get(sender.as_str());
        record.map_or(0, |r| r.states.iter().map(|s| s.skipped.len()).max().unwrap_or(0))
    }

    fn last_sent(&self) -> Option<ChainPosition> {
        let own = self.state.own.as_ref()?;
        Some(ChainPosition {
            key_id: format!("{:08x}", own.key_id),
            iteration: u32::try_from(own.next.checked_sub(1)?).ok()?,
        })
    }

    fn signing_key(&self) -> Option<Vec<u8>> {
        Some(self.state.own.as_ref()?.signing_secret.0.to_vec())
    }

    fn forge_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        let newest: &ReceiverState = (self.state.senders.get(sender.as_str()))
            .and_then(|r| r.states.last())
            .ok_or_else(|| reject(reason::UNKNOWN_SENDER, format!("no key of {sender}")))?;
        let signing = match signing_key {
            Some(bytes) => {
                let secret: &[u8; 32] = bytes.try_into().map_err(|_| {
                    reject(
                        reason::MALFORMED_SIGNING_KEY,
                        format!("{} bytes, not 32", bytes.len()),
                    )
                })?;
                SigningKey::from_bytes(secret)
            }
            // No stolen key: the forger's own, which receivers must refuse.
            None => SigningKey::from_bytes(&Key32::random(rng).0),
        };
        let (message_key, _) = ratchet::step(&newest.chain_key);
        let iteration = iteration_of(newest.next)?;
        wire::seal(newest.key_id, iteration, &message_key, &signing, rng, plaintext)
    }
}

/// The canonical JSON of `value` (maps are `BTreeMap`s, so equal states give equal bytes).
fn serialize<T: Serialize>(value: &T) -> Vec<u8> {
    // Invariant: every type here serializes (string keys or integer keys, no non-finite floats).
    serde_json::to_vec(value).expect("minikeys state serializes")
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;

    fn id(name: &str) -> MemberId {
        MemberId::new(name).unwrap()
    }

    fn budget() -> WorkBudget {
        WorkBudget::new(1_000_000)
    }

    /// Alice with a sender key, and Bob holding it.
    fn pair(rng: &mut ChaCha20Rng) -> (Box<dyn Implementation>, Box<dyn Implementation>) {
        let factory = MiniKeysFactory::default();
        let group = GroupId::new("g").unwrap();
        let mut alice = factory.create(&group, &id("alice"));
        let mut bob = factory.create(&group, &id("bob"));
        let dist = alice.create_sender_key(rng).unwrap();
        bob.process_distribution(&id("alice"), &dist, &mut budget())
            .unwrap();
        (alice, bob)
    }

    #[test]
    fn a_message_decrypts_once_and_its_position_is_reported() {
        let rng = &mut ChaCha20Rng::seed_from_u64(1);
        let (mut alice, mut bob) = pair(rng);
        assert_eq!(alice.last_sent(), None);
        let envelope = alice.encrypt(rng, b"hello").unwrap();
        let position = alice.last_sent().unwrap();
        assert_eq!((position.key_id.len(), position.iteration), (8, 0));
        let accepted = bob.decrypt(&id("alice"), &envelope, &mut budget()).unwrap();
        assert_eq!(
            (accepted.claimed_sender, accepted.plaintext),
            (id("alice"), b"hello".to_vec())
        );
        let again = bob.decrypt(&id("alice"), &envelope, &mut budget()).unwrap_err();
        assert_eq!(again.reason, reason::DUPLICATE);
    }

    #[test]
    fn every_rejection_leaves_the_state_byte_for_byte_unchanged() {
        let rng = &mut ChaCha20Rng::seed_from_u64(2);
        let (mut alice, mut bob) = pair(rng);
        let first = alice.encrypt(rng, b"one").unwrap();
        let _skipped = alice.encrypt(rng, b"two").unwrap();
        let third = alice.encrypt(rng, b"three").unwrap();
        bob.decrypt(&id("alice"), &third, &mut budget()).unwrap();
        bob.decrypt(&id("alice"), &first, &mut budget()).unwrap();
        let mut tampered = third.clone();
        tampered[30] ^= 1;
        let mut far = alice.encrypt(rng, b"four").unwrap();
        far[5..9].copy_from_slice(&(4 + FORWARD_JUMP_MAX).to_be_bytes());
        let mut other_key = third.clone();
        other_key[1] ^= 1;
        let cases = [
            (first, reason::DUPLICATE),
            (third, reason::DUPLICATE),
            (tampered, reason::BAD_SIGNATURE),
            (far, reason::BAD_SIGNATURE),
            (other_key, reason::UNKNOWN_KEY),
            (b"the server says hello".to_vec(), reason::MALFORMED_ENVELOPE),
        ];
        for (envelope, expected) in cases {
            let (before, sender_before) = (bob.export(), bob.export_sender(&id("alice")));
            let refused = bob.decrypt(&id("alice"), &envelope, &mut budget()).unwrap_err();
            assert_eq!(refused.reason, expected);
            assert_eq!(bob.export(), before, "{expected}");
            assert_eq!(bob.export_sender(&id("alice")), sender_before, "{expected}");
        }
        assert_eq!(
            bob.skipped_keys(&id("alice")),
            1,
            "iteration 1 is still waiting in the cache"
        );
    }

    #[test]
    fn a_plaintext_of_plaintext_bytes_max_is_sent_one_byte_more_is_refused() {
        let rng = &mut ChaCha20Rng::seed_from_u64(3);
        let (mut alice, mut bob) = pair(rng);
        let largest = alice.encrypt(rng, &vec![7; PLAINTEXT_BYTES_MAX]).unwrap();
        assert_eq!(
            bob.decrypt(&id("alice"), &largest, &mut budget())
                .unwrap()
                .plaintext
                .len(),
            PLAINTEXT_BYTES_MAX
        );
        let before = alice.export();
        let refused = alice.encrypt(rng, &vec![7; PLAINTEXT_BYTES_MAX + 1]).unwrap_err();
        assert_eq!(refused.reason, reason::PLAINTEXT_TOO_LARGE);
        assert_eq!(alice.export(), before);
    }

    #[test]
    fn a_distribution_is_taken_only_from_the_member_it_names() {
        let rng = &mut ChaCha20Rng::seed_from_u64(4);
        let (alice, mut bob) = pair(rng);
        let dist = alice.distribution().unwrap();
        let refused = bob
            .process_distribution(&id("mallory"), &dist, &mut budget())
            .unwrap_err();
        assert_eq!(refused.reason, reason::SENDER_MISMATCH);
        let garbage = bob
            .process_distribution(&id("alice"), b"\x4d\x05ab", &mut budget())
            .unwrap_err();
        assert_eq!(garbage.reason, reason::MALFORMED_DISTRIBUTION);
    }

    #[test]
    fn a_forgotten_sender_stays_forgotten() {
        let rng = &mut ChaCha20Rng::seed_from_u64(5);
        let (mut alice, mut bob) = pair(rng);
        let envelope = alice.encrypt(rng, b"late").unwrap();
        bob.forget_sender(&id("alice"));
        let refused = bob.decrypt(&id("alice"), &envelope, &mut budget()).unwrap_err();
        assert_eq!(refused.reason, reason::RETIRED_KEY);
        let stale = alice.distribution().unwrap();
        let refused = bob
            .process_distribution(&id("alice"), &stale, &mut budget())
            .unwrap_err();
        assert_eq!(refused.reason, reason::RETIRED_KEY);
        assert_eq!(bob.skipped_keys(&id("alice")), 0);
    }

    #[test]
    fn state_round_trips_and_bad_state_is_refused() {
        let rng = &mut ChaCha20Rng::seed_from_u64(6);
        let (mut alice, bob) = pair(rng);
        alice.encrypt(rng, b"x").unwrap();
        let factory = MiniKeysFactory::default();
        for state in [alice.export(), bob.export()] {
            assert_eq!(factory.import(&state).unwrap().export(), state);
            for len in [0, 1, state.len() / 2, state.len() - 1] {
                let refused = factory.import(&state[..len]).err().unwrap();
                assert_eq!(refused.reason, reason::MALFORMED_STATE, "{len} bytes");
            }
        }
        let too_far = br#"{"member":"a","own":{"key_id":1,"chain_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","next":4294967297,"signing_secret":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},"senders":{}}"#;
        assert_eq!(
            factory.import(too_far).err().unwrap().reason,
            reason::MALFORMED_STATE
        );
        let short_key = br#"{"member":"a","own":{"key_id":1,"chain_key":"AAAA","next":0,"signing_secret":"AAAA"},"senders":{}}"#;
        assert_eq!(
            factory.import(short_key).err().unwrap().reason,
            reason::MALFORMED_STATE
        );
    }

    #[test]
    fn forging_changes_nothing_and_only_a_stolen_key_makes_it_verify() {
        let rng = &mut ChaCha20Rng::seed_from_u64(7);
        let factory = MiniKeysFactory::default();
        let (mut alice, mut bob) = pair(rng);
        let mut carol = factory.create(&GroupId::new("g").unwrap(), &id("carol"));
        carol
            .process_distribution(&id("alice"), &alice.distribution().unwrap(), &mut budget())
            .unwrap();
        let before = carol.export();
        let own_key = carol.forge_as(&id("alice"), None, rng, b"forged").unwrap();
        let refused = bob.decrypt(&id("alice"), &own_key, &mut budget()).unwrap_err();
        assert_eq!(refused.reason, reason::BAD_SIGNATURE);
        let stolen = alice.signing_key().unwrap();
        let with_stolen = carol
            .forge_as(&id("alice"), Some(&stolen), rng, b"forged")
            .unwrap();
        assert_eq!(
            carol.export(),
            before,
            "forging leaves the forger's state as it was"
        );
        let accepted = bob.decrypt(&id("alice"), &with_stolen, &mut budget()).unwrap();
        assert_eq!(
            accepted.plaintext, b"forged",
            "a stolen signing key forges: sender keys are not post-compromise secure"
        );
        let short = carol
            .forge_as(&id("alice"), Some(&stolen[..31]), rng, b"x")
            .unwrap_err();
        assert_eq!(short.reason, reason::MALFORMED_SIGNING_KEY);
        // Alice rotates: the stolen key no longer signs for her newest key.
        let rotated = alice.create_sender_key(rng).unwrap();
        carol
            .process_distribution(&id("alice"), &rotated, &mut budget())
            .unwrap();
        bob.process_distribution(&id("alice"), &rotated, &mut budget())
            .unwrap();
        let stale = carol
            .forge_as(&id("alice"), Some(&stolen), rng, b"forged")
            .unwrap();
        assert_eq!(
            bob.decrypt(&id("alice"), &stale, &mut budget())
                .unwrap_err()
                .reason,
            reason::BAD_SIGNATURE
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let run = || {
            let rng = &mut ChaCha20Rng::seed_from_u64(8);
            let (mut alice, bob) = pair(rng);
            (alice.encrypt(rng, b"x").unwrap(), alice.export(), bob.export())
        };
        assert_eq!(run(), run());
    }
}
