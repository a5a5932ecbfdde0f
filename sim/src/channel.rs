//! Pairwise channels: how sender-key distributions travel from one member to another.
//!
//! The simulator plays every member of a group. A member hands its sender key to each other member as a
//! *distribution*, and distributions travel through the same untrusted server as group messages. Real systems
//! carry them over a pairwise session (Signal's 1:1 sessions, an MLS welcome, …); this module is the simulator's
//! stand-in and it performs the sealing for real, so that:
//!
//! * the server relaying the bytes sees only ciphertext (a distribution holds a chain key: anyone who read it
//!   could decrypt the sender's messages), and
//! * the recipient knows who sent them (a distribution from an impostor would let it speak as someone else).
//!
//! # Construction (version 2)
//!
//! Sender Keys assume every pair of members already shares an authenticated, confidential 1:1 session
//! (Signal's pairwise sessions, an MLS welcome, …); how those sessions were established is outside the scheme
//! under test. The channels stand for them: every pair has a 32-byte key from the start of the run, derived
//! from one secret of the run's pairwise setup (drawn from its own seeded stream, held by no member and by no
//! adversary). Every member also has an Ed25519 identity key that signs what it sends. All integers are
//! big-endian; `‖` is concatenation; `group` is the UTF-8 bytes of the [`senderkeys::GroupId`] given to
//! [`Channels::new`]; `from` and `to` are member indexes.
//!
//! ```text
//! key(from → to)  = HMAC-SHA256(setup secret, "sksim/pairwise/v2" ‖ len(group) u32 ‖ group ‖ from u32 ‖ to u32)
//! signed message  = "sksim/pairwise-signature/v1" ‖ len(group) u32 ‖ group ‖ from u32 ‖ inner
//! signature       = Ed25519(signing_secret[from], signed message)  (verified with `verify_strict`)
//! header          = version (1 byte = 0x02) ‖ from u32 ‖ to u32     (9 bytes)
//! nonce           = HMAC-SHA256(key(from → to), "nonce" ‖ signature ‖ inner)[..12]
//! sealed          = header ‖ nonce ‖ ChaCha20-Poly1305(key(from → to), nonce,
//!                                                      aad = header ‖ nonce, signature ‖ inner)
//! ```
//!
//! Opening on the channel `from → to` checks, in order: the length and version byte
//! ([`ChannelError::Malformed`]), that the header names `from → to` ([`ChannelError::WrongChannel`]), the AEAD
//! tag under `key(from → to)` ([`ChannelError::Undecryptable`]), and the signature under `from`'s identity key
//! ([`ChannelError::BadSignature`]).
//!
//! The signature does not cover `to` on purpose: a member signs a distribution once and seals that one
//! signature to every recipient. The recipient is bound by the AEAD key instead, which is different for every
//! ordered pair, so a sealing for one recipient does not open for another, and a member cannot pass its own
//! channel off as someone else's (the key of `2 → 1` is not the key of `0 → 1`).
//!
//! Version 1 derived each pair's key with an X25519 agreement between static identity keys. That is one
//! scalar multiplication per pair of members — 500,000 for a 1,000-member group, about 45 s at the 88 µs each
//! measured on the project's machine (`BENCHMARKS.md`), more than half the 78 s a whole 1,000-member run takes
//! now — spent on a step Sender Keys take as given. Version 2 keeps the real AEAD and the real signatures and
//! starts from established sessions instead.
//!
//! # Determinism and replays
//!
//! Sealing is deterministic: the nonce is a synthetic IV derived from the key and the plaintext, so the same
//! inner bytes sealed with the same signature to the same recipient give the same sealed bytes, and different
//! inner bytes give a different nonce. This keeps simulation traces reproducible from the seed alone, and it
//! is exactly what a replay is: a re-sent sealed distribution is byte-for-byte the original.
//!
//! The channel does **not** reject replays. A replayed sealed distribution opens again and its inner bytes
//! reach the implementation under test; how the implementation handles a re-delivered distribution is what the
//! harness tests, so the channel must not hide it.
//!
//! # Memoisation
//!
//! A member signs a distribution once and seals it to every other member, so every recipient verifies the same
//! signature. Unless built without it (`--no-memo`), [`Channels`] memoises that pure function: the verdict of
//! each verification is kept under SHA-256(signing public key ‖ signed message ‖ signature). A memoised verdict
//! is a memo, never a skipped check: a different key, message or signature is a different memo key and gets
//! its own verification.

use core::fmt;
use std::collections::BTreeMap;

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// The version byte of the sealed format described in the module documentation.
const VERSION: u8 = 2;
/// version ‖ from ‖ to.
const HEADER_BYTES: usize = 1 + 4 + 4;
/// The ChaCha20-Poly1305 nonce.
const NONCE_BYTES: usize = 12;
/// The associated data: header ‖ nonce.
const AAD_BYTES: usize = HEADER_BYTES + NONCE_BYTES;
/// The Poly1305 tag.
const TAG_BYTES: usize = 16;
/// An Ed25519 signature.
const SIGNATURE_BYTES: usize = 64;
/// The shortest sealing: header, nonce, and the tag over a signature with empty inner bytes.
const MIN_SEALED_BYTES: usize = AAD_BYTES + SIGNATURE_BYTES + TAG_BYTES;

/// Label of the directional keys.
const KEY_LABEL: &[u8] = b"sksim/pairwise/v2";
/// HMAC label of the synthetic nonce.
const NONCE_LABEL: &[u8] = b"nonce";
/// Domain-separation prefix of the identity signature.
const SIGNATURE_CONTEXT: &[u8] = b"sksim/pairwise-signature/v1";

/// A 32-byte secret that is zeroized on drop.
type Secret32 = Zeroizing<[u8; 32]>;

/// A member's long-term identity: the Ed25519 key pair that signs what it sends over pairwise channels.
/// The secret is zeroized on drop; `Debug` prints only the public half.
pub struct Identity {
    /// The Ed25519 signing key (zeroizes itself on drop).
    signing: SigningKey,
}

impl Identity {
    /// Draws a fresh identity from the caller's seeded RNG: 32 bytes of Ed25519 secret.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let signing = SigningKey::from_bytes(&seed);
        seed.zeroize();
        Identity { signing }
    }

    /// The public half.
    pub fn public(&self) -> IdentityPublic {
        IdentityPublic {
            signing: self.signing.verifying_key().to_bytes(),
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let public = self.public();
        write!(
            f,
            "Identity(signing {}, secret <redacted>)",
            hex::encode(public.signing)
        )
    }
}

/// The public half of an [`Identity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdentityPublic {
    /// The Ed25519 public key that verifies what the member sends over pairwise channels.
    pub signing: [u8; 32],
}

/// Why a sealed distribution was refused (stable kebab-case names via [`ChannelError::reason`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The bytes are not a sealed distribution of this version: too short, or an unknown version byte.
    #[error("malformed sealed distribution: {why}")]
    Malformed {
        /// What is wrong with the bytes.
        why: &'static str,
    },
    /// The header names other endpoints than the channel the bytes arrived on.
    #[error("sealed distribution names channel {from} → {to}, not the one it arrived on")]
    WrongChannel {
        /// The sender the header names.
        from: u32,
        /// The recipient the header names.
        to: u32,
    },
    /// The AEAD did not open under the channel's key: tampered bytes, or sealed with another key.
    #[error("sealed distribution does not open under the channel key")]
    Undecryptable,
    /// The signature does not verify under the sender's identity key.
    #[error("sealed distribution's signature does not verify under the sender's identity key")]
    BadSignature,
}

impl ChannelError {
    /// The stable kebab-case name of the refusal, as written in traces and reports.
    pub fn reason(&self) -> &'static str {
        match self {
            ChannelError::Malformed { .. } => "channel-malformed",
            ChannelError::WrongChannel { .. } => "channel-wrong-endpoints",
            ChannelError::Undecryptable => "channel-undecryptable",
            ChannelError::BadSignature => "channel-bad-signature",
        }
    }
}

/// Counters of the work [`Channels`] did and saved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChannelStats {
    /// Ed25519 signature verifications actually performed.
    pub verifications_performed: u64,
    /// Signature verifications answered from the memo of earlier verdicts.
    pub verifications_memoised: u64,
}

/// A registered member: its identity and its parsed verifying key.
struct Member {
    /// The member's identity.
    identity: Identity,
    /// The public half of `identity.signing`, computed once.
    verifying: VerifyingKey,
}

/// Every member's identity, the keyed state of the pairwise setup, and the memoised signature verdicts. See the
/// module documentation for the construction.
pub struct Channels {
    /// The group id bytes, bound into every key derivation and signature.
    group: Vec<u8>,
    /// Members by index, in registration order.
    members: Vec<Member>,
    /// HMAC-SHA256 keyed with the setup secret and fed the label and group: cloned and finished per key.
    setup: Hmac<Sha256>,
    /// Verification verdicts keyed by SHA-256(public key ‖ signed message ‖ signature); `None` without the memo.
    verdicts: Option<BTreeMap<[u8; 32], bool>>,
    /// Work counters.
    stats: ChannelStats,
}

impl fmt::Debug for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channels")
            .field("group", &String::from_utf8_lossy(&self.group))
            .field("members", &self.members.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// A member index as the wire writes it.
fn wire_index(index: usize) -> u32 {
    // Invariant: member indexes come from `add_member`, which refuses to number more than u32::MAX members.
    u32::try_from(index).expect("member indexes fit in u32")
}

/// The big-endian u32 at `at`, if the bytes reach that far.
fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let field: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(field))
}

impl Channels {
    /// Empty; `group` is bound into every signature and key derivation, `setup_secret` is the secret every
    /// pair's key derives from, and `memo` says whether signature verdicts are memoised.
    pub fn new(group: &senderkeys::GroupId, setup_secret: &[u8; 32], memo: bool) -> Self {
        let group = group.as_str().as_bytes().to_vec();
        // Invariant: group ids are at most 128 bytes (`senderkeys::consts::ID_BYTES_MAX`).
        let group_len = u32::try_from(group.len()).expect("group ids are short");
        // Invariant: HMAC accepts keys of any length.
        let mut setup = Hmac::<Sha256>::new_from_slice(setup_secret).expect("HMAC takes any key length");
        setup.update(KEY_LABEL);
        setup.update(&group_len.to_be_bytes());
        setup.update(&group);
        Channels {
            group,
            members: Vec::new(),
            setup,
            verdicts: memo.then(BTreeMap::new),
            stats: ChannelStats::default(),
        }
    }

    /// Draws the setup secret from the caller's seeded RNG and builds the channels (see [`Channels::new`]).
    pub fn generate<R: CryptoRng + ?Sized>(group: &senderkeys::GroupId, rng: &mut R, memo: bool) -> Self {
        let mut secret = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(secret.as_mut_slice());
        Channels::new(group, &secret, memo)
    }

    /// Registers the identity of the next member (members are numbered 0, 1, 2, … in registration order);
    /// returns its index.
    ///
    /// # Panics
    ///
    /// If `u32::MAX` members are already registered (the wire carries indexes as u32).
    pub fn add_member(&mut self, identity: Identity) -> usize {
        let index = self.members.len();
        assert!(u32::try_from(index).is_ok(), "the wire numbers members with u32");
        let verifying = identity.signing.verifying_key();
        self.members.push(Member { identity, verifying });
        index
    }

    /// How many members are registered.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether no member is registered.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Statistics: pair secrets derived, signature verifications performed, and verifications answered from
    /// the memo.
    pub fn stats(&self) -> ChannelStats {
        self.stats
    }

    /// The sender's identity signature over `inner` (one per distribution; the same signature is sealed to
    /// every recipient). Deterministic (Ed25519).
    ///
    /// # Panics
    ///
    /// If `from` is not a registered member (indexes are the engine's own).
    pub fn sign(&self, from: usize, inner: &[u8]) -> [u8; 64] {
        let message = self.signed_message(from, inner);
        self.member(from).identity.signing.sign(&message).to_bytes()
    }

    /// The length of a sealing of `inner_len` bytes: header, nonce, signature, the bytes, the tag.
    pub fn sealed_len(inner_len: usize) -> usize {
        MIN_SEALED_BYTES + inner_len
    }

    /// Seals `inner` with its `signature` for `to`, on the channel `from → to`. Deterministic: the same inputs
    /// give the same bytes.
    ///
    /// # Panics
    ///
    /// If `from` or `to` is not a registered member (indexes are the engine's own).
    pub fn seal(&self, from: usize, to: usize, signature: &[u8; 64], inner: &[u8]) -> Vec<u8> {
        let key = self.directional_key(from, to);
        let mut plaintext = Zeroizing::new(Vec::with_capacity(SIGNATURE_BYTES + inner.len()));
        plaintext.extend_from_slice(signature);
        plaintext.extend_from_slice(inner);
        let nonce = synthetic_nonce(&key, &plaintext);

        let mut sealed = Vec::with_capacity(AAD_BYTES + plaintext.len() + TAG_BYTES);
        sealed.push(VERSION);
        sealed.extend_from_slice(&wire_index(from).to_be_bytes());
        sealed.extend_from_slice(&wire_index(to).to_be_bytes());
        sealed.extend_from_slice(&nonce);
        let ciphertext = ChaCha20Poly1305::new((&*key).into())
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: &plaintext,
                    aad: &sealed,
                },
            )
            // Invariant: ChaCha20-Poly1305 only refuses messages above 256 GiB.
            .expect("ChaCha20-Poly1305 encrypts any message below 256 GiB");
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Opens a sealed distribution that arrived on the channel `from → to`: checks the header names these
    /// endpoints, opens the AEAD, verifies the signature under `from`'s identity key; returns the inner bytes.
    ///
    /// `sealed` is attacker-controlled and never makes this panic. Replays are not rejected (see the module
    /// documentation).
    ///
    /// # Panics
    ///
    /// If `from` or `to` is not a registered member (indexes are the engine's own).
    pub fn open(&mut self, from: usize, to: usize, sealed: &[u8]) -> Result<Vec<u8>, ChannelError> {
        if sealed.len() < MIN_SEALED_BYTES {
            return Err(ChannelError::Malformed {
                why: "shorter than header, nonce, signature and tag",
            });
        }
        if sealed.first() != Some(&VERSION) {
            return Err(ChannelError::Malformed {
                why: "unknown version byte",
            });
        }
        let too_short = ChannelError::Malformed {
            why: "shorter than header, nonce, signature and tag",
        };
        let header_from = be_u32(sealed, 1).ok_or_else(|| too_short.clone())?;
        let header_to = be_u32(sealed, 5).ok_or_else(|| too_short.clone())?;
        if (header_from, header_to) != (wire_index(from), wire_index(to)) {
            return Err(ChannelError::WrongChannel {
                from: header_from,
                to: header_to,
            });
        }
        let aad = sealed.get(..AAD_BYTES).ok_or_else(|| too_short.clone())?;
        let nonce: [u8; NONCE_BYTES] = sealed
            .get(HEADER_BYTES..AAD_BYTES)
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| too_short.clone())?;
        let ciphertext = sealed.get(AAD_BYTES..).ok_or(too_short)?;

        let key = self.directional_key(from, to);
        let plaintext = Zeroizing::new(
            ChaCha20Poly1305::new((&*key).into())
                .decrypt((&nonce).into(), Payload { msg: ciphertext, aad })
                .map_err(|_| ChannelError::Undecryptable)?,
        );
        // The length check above guarantees at least a signature; these `get`s only keep the parser panic-free.
        let short_plaintext = ChannelError::Malformed {
            why: "plaintext shorter than a signature",
        };
        let signature: [u8; SIGNATURE_BYTES] = plaintext
            .get(..SIGNATURE_BYTES)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| short_plaintext.clone())?;
        let inner = plaintext.get(SIGNATURE_BYTES..).ok_or(short_plaintext)?;
        if !self.verify(from, inner, &signature) {
            return Err(ChannelError::BadSignature);
        }
        Ok(inner.to_vec())
    }

    /// The registered member `index`.
    fn member(&self, index: usize) -> &Member {
        // Invariant: member indexes are the engine's own, always registered before use.
        self.members
            .get(index)
            .expect("member indexes passed to channels are registered")
    }

    /// The bytes `from` signs for `inner`: context ‖ len(group) u32 ‖ group ‖ from u32 ‖ inner.
    fn signed_message(&self, from: usize, inner: &[u8]) -> Vec<u8> {
        // Invariant: group ids are at most 128 bytes (`senderkeys::consts::ID_BYTES_MAX`).
        let group_len = u32::try_from(self.group.len()).expect("group ids are short");
        let mut message =
            Vec::with_capacity(SIGNATURE_CONTEXT.len() + 4 + self.group.len() + 4 + inner.len());
        message.extend_from_slice(SIGNATURE_CONTEXT);
        message.extend_from_slice(&group_len.to_be_bytes());
        message.extend_from_slice(&self.group);
        message.extend_from_slice(&wire_index(from).to_be_bytes());
        message.extend_from_slice(inner);
        message
    }

    /// The AEAD key of the channel `from → to`.
    fn directional_key(&self, from: usize, to: usize) -> Secret32 {
        let mut mac = self.setup.clone();
        mac.update(&wire_index(from).to_be_bytes());
        mac.update(&wire_index(to).to_be_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    /// Whether `signature` verifies `inner` from `from`, memoised on (key, message, signature).
    fn verify(&mut self, from: usize, inner: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> bool {
        let message = self.signed_message(from, inner);
        let verifying = self.member(from).verifying;
        let verify = || {
            verifying
                .verify_strict(&message, &Signature::from_bytes(signature))
                .is_ok()
        };
        let Some(verdicts) = &self.verdicts else {
            self.stats.verifications_performed += 1;
            return verify();
        };
        // Public key and signature have fixed lengths, so the concatenation is unambiguous.
        let memo_key: [u8; 32] = Sha256::new()
            .chain_update(verifying.as_bytes())
            .chain_update(&message)
            .chain_update(signature)
            .finalize()
            .into();
        if let Some(&verdict) = verdicts.get(&memo_key) {
            self.stats.verifications_memoised += 1;
            return verdict;
        }
        let verdict = verify();
        self.stats.verifications_performed += 1;
        if let Some(verdicts) = &mut self.verdicts {
            verdicts.insert(memo_key, verdict);
        }
        verdict
    }
}

/// The synthetic nonce: HMAC-SHA256(key, "nonce" ‖ signature ‖ inner)[..12], where `plaintext` is
/// signature ‖ inner.
fn synthetic_nonce(key: &[u8; 32], plaintext: &[u8]) -> [u8; NONCE_BYTES] {
    // Invariant: HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(NONCE_LABEL);
    mac.update(plaintext);
    let tag: [u8; 32] = mac.finalize().into_bytes().into();
    let mut nonce = [0u8; NONCE_BYTES];
    nonce.copy_from_slice(&tag[..NONCE_BYTES]);
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    /// The setup secret of the test channels.
    const SETUP: [u8; 32] = [0x42; 32];

    /// Channels of a group with `members` members, identities drawn from a fixed seed.
    fn channels(members: usize) -> Channels {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut channels = Channels::new(&senderkeys::GroupId::new("pairwise-test").unwrap(), &SETUP, true);
        for expected in 0..members {
            assert_eq!(channels.add_member(Identity::generate(&mut rng)), expected);
        }
        assert_eq!(channels.len(), members);
        channels
    }

    /// Seals `inner` signed by `from` on the channel `from → to`.
    fn seal(channels: &mut Channels, from: usize, to: usize, inner: &[u8]) -> Vec<u8> {
        let signature = channels.sign(from, inner);
        channels.seal(from, to, &signature, inner)
    }

    /// Rewrites the header's endpoints.
    fn rewrite_header(sealed: &[u8], from: u32, to: u32) -> Vec<u8> {
        let mut forged = sealed.to_vec();
        forged[1..5].copy_from_slice(&from.to_be_bytes());
        forged[5..9].copy_from_slice(&to.to_be_bytes());
        forged
    }

    /// A 64-byte inner value with a recognisable pattern.
    fn pattern() -> Vec<u8> {
        (0..64u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect()
    }

    #[test]
    fn round_trip_is_deterministic_and_nonces_differ_per_inner() {
        let mut c = channels(3);
        let inner = b"a sender-key distribution".to_vec();
        let sealed = seal(&mut c, 0, 1, &inner);
        assert_eq!(c.open(0, 1, &sealed).unwrap(), inner);
        assert_eq!(
            sealed.len(),
            AAD_BYTES + SIGNATURE_BYTES + inner.len() + TAG_BYTES
        );
        assert_eq!(sealed[0], VERSION);

        // Deterministic: same inputs, same bytes — also from an independently built set of channels.
        assert_eq!(seal(&mut c, 0, 1, &inner), sealed);
        assert_eq!(seal(&mut channels(3), 0, 1, &inner), sealed);

        let other = b"another sender-key distribution".to_vec();
        let sealed_other = seal(&mut c, 0, 1, &other);
        assert_ne!(
            sealed_other[HEADER_BYTES..AAD_BYTES],
            sealed[HEADER_BYTES..AAD_BYTES]
        );
        assert_ne!(sealed_other, sealed);
        assert_eq!(c.open(0, 1, &sealed_other).unwrap(), other);

        // Empty inner bytes are a valid, minimal sealing.
        let empty = seal(&mut c, 2, 0, b"");
        assert_eq!(empty.len(), MIN_SEALED_BYTES);
        assert_eq!(Channels::sealed_len(0), empty.len());
        assert_eq!(Channels::sealed_len(inner.len()), sealed.len());
        assert_eq!(Channels::sealed_len(other.len()), sealed_other.len());
        assert_eq!(c.open(2, 0, &empty).unwrap(), b"");
    }

    #[test]
    fn server_sees_only_ciphertext() {
        let c = channels(2);
        let inner = pattern();
        let signature = c.sign(0, &inner);
        let sealed = c.seal(0, 1, &signature, &inner);
        let contains = |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
        assert!(contains(&[b"xx".as_slice(), &inner, b"yy"].concat(), &inner));
        assert!(!contains(&sealed, &inner));
        // Nor any 8-byte run of it, nor the signature.
        assert!(inner.windows(8).all(|run| !contains(&sealed, run)));
        assert!(!contains(&sealed, &signature));
    }

    #[test]
    fn wrong_recipient_is_refused() {
        let mut c = channels(3);
        let inner = pattern();
        let sealed = seal(&mut c, 0, 1, &inner);
        assert_eq!(
            c.open(0, 2, &sealed),
            Err(ChannelError::WrongChannel { from: 0, to: 1 })
        );
        let forged = rewrite_header(&sealed, 0, 2);
        assert_eq!(c.open(0, 2, &forged), Err(ChannelError::Undecryptable));
        // The legitimate recipient still opens the original.
        assert_eq!(c.open(0, 1, &sealed).unwrap(), inner);
    }

    #[test]
    fn impersonation_is_refused() {
        let mut c = channels(3);
        let inner = pattern();

        // Member 2 seals with its own pair key to 1 and claims the bytes come from 0.
        let signature = c.sign(2, &inner);
        let sealed = c.seal(2, 1, &signature, &inner);
        assert_eq!(c.open(2, 1, &sealed).unwrap(), inner);
        let forged = rewrite_header(&sealed, 0, 1);
        assert_eq!(c.open(0, 1, &forged), Err(ChannelError::Undecryptable));

        // The right pair key but a signature by the wrong identity.
        let wrong_signer = c.seal(0, 1, &signature, &inner);
        assert_eq!(c.open(0, 1, &wrong_signer), Err(ChannelError::BadSignature));
        // A signature by the right identity over other bytes.
        let other_signature = c.sign(0, b"other bytes");
        let wrong_message = c.seal(0, 1, &other_signature, &inner);
        assert_eq!(c.open(0, 1, &wrong_message), Err(ChannelError::BadSignature));
    }

    #[test]
    fn every_bit_flip_and_truncation_is_rejected() {
        let mut c = channels(2);
        let sealed = seal(&mut c, 0, 1, b"short");
        assert!(c.open(0, 1, &sealed).is_ok());
        for bit in 0..sealed.len() * 8 {
            let mut flipped = sealed.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let error = c.open(0, 1, &flipped).unwrap_err();
            let expected = match bit / 8 {
                0 => matches!(error, ChannelError::Malformed { .. }),
                1..HEADER_BYTES => matches!(error, ChannelError::WrongChannel { .. }),
                _ => error == ChannelError::Undecryptable,
            };
            assert!(expected, "bit {bit}: {error:?}");
        }
        for len in 0..sealed.len() {
            let error = c.open(0, 1, &sealed[..len]).unwrap_err();
            assert!(
                matches!(
                    error,
                    ChannelError::Malformed { .. } | ChannelError::Undecryptable
                ),
                "length {len}: {error:?}"
            );
        }
        // Appending bytes is rejected too.
        let extended = [sealed.as_slice(), &[0]].concat();
        assert_eq!(c.open(0, 1, &extended), Err(ChannelError::Undecryptable));
        // None of this reached signature verification.
        assert_eq!(c.stats().verifications_performed, 1);
    }

    #[test]
    fn verdicts_are_memoised_per_key_message_and_signature() {
        let mut c = channels(3);
        let inner = pattern();
        let sealed = seal(&mut c, 0, 1, &inner);
        c.open(0, 1, &sealed).unwrap();
        c.open(0, 1, &sealed).unwrap();
        assert_eq!(c.stats().verifications_performed, 1);
        assert_eq!(c.stats().verifications_memoised, 1);

        // The same signature sealed to another recipient is the same verdict.
        let to_two = c.seal(0, 2, &c.sign(0, &inner), &inner);
        c.open(0, 2, &to_two).unwrap();
        assert_eq!(c.stats().verifications_performed, 1);
        assert_eq!(c.stats().verifications_memoised, 2);

        // A different signature over the same bytes gets its own verification, and its own (bad) verdict.
        let bad = c.seal(0, 1, &c.sign(2, &inner), &inner);
        assert_eq!(c.open(0, 1, &bad), Err(ChannelError::BadSignature));
        assert_eq!(c.stats().verifications_performed, 2);
        assert_eq!(c.open(0, 1, &bad), Err(ChannelError::BadSignature));
        assert_eq!(c.stats().verifications_memoised, 3);

        // Different inner bytes: a new verification.
        let other = seal(&mut c, 0, 1, b"other");
        c.open(0, 1, &other).unwrap();
        assert_eq!(c.stats().verifications_performed, 3);
        // The good verdict is untouched by the bad one.
        assert_eq!(c.open(0, 1, &sealed).unwrap(), inner);
        assert_eq!(
            c.stats(),
            ChannelStats {
                verifications_performed: 3,
                verifications_memoised: 4,
            }
        );
    }

    #[test]
    fn without_the_memo_every_opening_verifies_and_the_verdicts_are_the_same() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let group = senderkeys::GroupId::new("pairwise-test").unwrap();
        let mut c = Channels::new(&group, &SETUP, false);
        for _ in 0..3 {
            c.add_member(Identity::generate(&mut rng));
        }
        let inner = pattern();
        let sealed = seal(&mut c, 0, 1, &inner);
        // Byte-identical to the memoising channels' sealing: the memo changes nothing but the work.
        assert_eq!(sealed, seal(&mut channels(3), 0, 1, &inner));
        assert_eq!(c.open(0, 1, &sealed).unwrap(), inner);
        assert_eq!(c.open(0, 1, &sealed).unwrap(), inner);
        let bad = c.seal(0, 1, &c.sign(2, &inner), &inner);
        assert_eq!(c.open(0, 1, &bad), Err(ChannelError::BadSignature));
        assert_eq!(c.open(0, 1, &bad), Err(ChannelError::BadSignature));
        assert_eq!(
            c.stats(),
            ChannelStats {
                verifications_performed: 4,
                verifications_memoised: 0,
            }
        );
    }

    #[test]
    fn every_ordered_pair_has_its_own_key_and_the_setup_secret_decides_them() {
        let c = channels(3);
        let keys: Vec<[u8; 32]> = [(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1)]
            .iter()
            .map(|&(from, to)| *c.directional_key(from, to))
            .collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // The key is the HMAC of the module documentation, recomputed here from its parts.
        let group = b"pairwise-test";
        let mut mac = Hmac::<Sha256>::new_from_slice(&SETUP).unwrap();
        mac.update(b"sksim/pairwise/v2");
        mac.update(&13u32.to_be_bytes());
        mac.update(group);
        mac.update(&2u32.to_be_bytes());
        mac.update(&1u32.to_be_bytes());
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(*c.directional_key(2, 1), expected);

        // Another setup secret: other keys, and the sealings of one do not open with the other.
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let group = senderkeys::GroupId::new("pairwise-test").unwrap();
        let mut other = Channels::new(&group, &[0x43; 32], true);
        other.add_member(Identity::generate(&mut rng));
        other.add_member(Identity::generate(&mut rng));
        assert_ne!(*other.directional_key(0, 1), *c.directional_key(0, 1));
        let mut c = c;
        let sealed = seal(&mut c, 0, 1, b"inner");
        assert_eq!(other.open(0, 1, &sealed), Err(ChannelError::Undecryptable));
    }

    #[test]
    fn group_is_bound_into_keys_and_signatures() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut other = Channels::new(&senderkeys::GroupId::new("another-group").unwrap(), &SETUP, true);
        other.add_member(Identity::generate(&mut rng));
        other.add_member(Identity::generate(&mut rng));
        let mut c = channels(2);
        assert_eq!(c.members[0].identity.public(), other.members[0].identity.public());
        let sealed = seal(&mut c, 0, 1, b"inner");
        assert_eq!(other.open(0, 1, &sealed), Err(ChannelError::Undecryptable));
        assert_ne!(c.sign(0, b"inner"), other.sign(0, b"inner"));
    }

    #[test]
    fn reasons_are_stable() {
        let reasons = [
            ChannelError::Malformed { why: "x" }.reason(),
            ChannelError::WrongChannel { from: 0, to: 1 }.reason(),
            ChannelError::Undecryptable.reason(),
            ChannelError::BadSignature.reason(),
        ];
        assert_eq!(
            reasons,
            [
                "channel-malformed",
                "channel-wrong-endpoints",
                "channel-undecryptable",
                "channel-bad-signature"
            ]
        );
    }

    #[test]
    fn debug_never_prints_secrets() {
        let c = channels(1);
        let identity = &c.members[0].identity;
        let printed = format!("{identity:?}{c:?}");
        assert!(printed.contains(&hex::encode(identity.public().signing)));
        assert!(!printed.contains(&hex::encode(identity.signing.to_bytes())));
        assert!(!printed.contains(&hex::encode(SETUP)));
    }
}
