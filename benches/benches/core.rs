//! Core benchmarks: the reference [`GroupSession`] of every suite, and the raw primitives it is built on,
//! 100-byte messages throughout.
//!
//! `cargo bench -p sksim-benches --bench core` measures; `cargo test -p sksim-benches --benches` runs each
//! benchmark once as a smoke test. Names are stable and hierarchical; filter with a regex, e.g.
//! `cargo bench -p sksim-benches --bench core -- 'core/hardened'`.
//!
//! # `core/<suite>/<operation>`, for each suite of [`SuiteId::ALL`]
//!
//! | operation | what one iteration measures |
//! |---|---|
//! | `encrypt` | [`GroupSession::encrypt`] of the next message |
//! | `decrypt-in-order` | [`GroupSession::decrypt`] of the message at the receiver's next iteration |
//! | `encrypt-decrypt` | one `encrypt` followed by one in-order `decrypt` of its output |
//! | `primitives-sum-encrypt-decrypt` | exactly the raw primitive calls of `encrypt-decrypt`, made directly with the primitive crates (below) |
//! | `decrypt-skipped-cached` | decrypt of a message whose key the skipped-key cache holds: the receiver jumped from 0 to 100 earlier (caching iterations 0..=99) and now receives iteration 50 |
//! | `create-distribution` | [`GroupSession::create_sender_key`] on a session without a key |
//! | `process-distribution` | [`GroupSession::process_distribution`] on a receiver that knows no sender yet |
//! | `decrypt-jump-100` | decrypt of iteration 100 by a receiver expecting 0: 100 skipped chain steps, 100 keys cached |
//! | `decrypt-jump-2000` | the same at iteration [`SKIPPED_KEYS_MAX`] (2,000): the cache fills exactly |
//! | `decrypt-jump-25000` | the same at iteration [`FORWARD_JUMP_MAX`] (25,000), the largest jump accepted: 25,000 chain steps, only the last 2,000 message keys derived and cached |
//!
//! `encrypt-decrypt` against `primitives-sum-encrypt-decrypt` is what the protocol layer (wire encoding and
//! parsing, copies, allocations, state bookkeeping) costs on top of the cryptography; `encrypt` +
//! `decrypt-in-order` should be close to `encrypt-decrypt`.
//!
//! The jump and cache benchmarks build fresh state for every iteration without timing it
//! (`iter_batched_ref`: the setup clones a prepared receiver and the prepared far-ahead message, and the
//! receiver, now holding up to 2,000 cached keys, is dropped outside the measurement). The far-ahead messages
//! come from one sender that encrypts 25,001 messages once per suite, the first time a jump or cache
//! benchmark of that suite runs (about half a second for a signed suite: each message is signed). Jumps of
//! 2,000 and 25,000 take milliseconds each, so they use 10 flat samples.
//!
//! # `primitives/<name>`: the raw primitives, through the crates the suites use
//!
//! Every keyed primitive is set up with its key inside the measurement, as the suites do (each message has
//! its own key): `Hmac::new_from_slice`, `Hkdf::new`, `Aes256Gcm::new`, `ChaCha20Poly1305::new`,
//! `cbc::Encryptor::new`.
//!
//! - `hmac-sha256/<n>B`: HMAC-SHA256 (hmac 0.13 + sha2 0.11) keyed by a 32-byte chain key over each input a
//!   chain step uses: the labels of the `hmac-labels` suites (read from [`SuiteId::suite`]: 5, 7, 8, 10, 20
//!   and 22 bytes) and the single byte 0x01 / 0x02 of `hmac-bytes`.
//! - `hkdf-sha256/expand-32B`, `hkdf-sha256/expand-48B`: HKDF-SHA256 (hkdf 0.13) expand alone, to a message
//!   key of `hkdf-salted` (info [`CHATALOT_CHAIN_INFO`]) and of `hmac-bytes` (IV ‖ key, info
//!   [`SIGNAL_MESSAGE_KEY_INFO`]); `hkdf-sha256/extract-expand-32B`, `hkdf-sha256/extract-expand-48B`: the
//!   whole call the suites make (`Hkdf::new` + `expand`), Chatalot's with salt = chain key and ikm 0x01,
//!   Signal's with no salt and a 32-byte ikm.
//! - `sha256/33B`: SHA-256 of `"sksim/signal-distribution-id" ‖ "bench"`, the Signal distribution id.
//! - `aes-256-gcm/seal-100B`, `aes-256-gcm/open-100B` (aes-gcm 0.11) and the same with `-aad-11B`, the
//!   `hardened` header as associated data; `chacha20-poly1305/seal-100B`, `chacha20-poly1305/open-100B`
//!   (chacha20poly1305 0.11); `aes-256-cbc/encrypt-100B`, `aes-256-cbc/decrypt-100B` (cbc 0.2 over aes 0.9,
//!   PKCS#7: 112 bytes of ciphertext).
//! - `ed25519/sign-<n>B`, `ed25519/verify-strict-<n>B` (ed25519-dalek 3, `SigningKey::sign` and
//!   `VerifyingKey::verify_strict`, as `senderkeys`' `SigningKeyPair` and `SigningPublicKey` call them) over the bytes each signed suite
//!   signs for a 100-byte message: p2p 116 (the ciphertext), accord 128 (nonce ‖ ciphertext), signal 141
//!   (version byte ‖ protobuf: 18 bytes of distribution id, 6 of chain id, 2 of iteration, 114 of
//!   ciphertext; iteration 0 of the benchmark's key), hardened 144 (11-byte header ‖ nonce length ‖
//!   nonce ‖ ciphertext length ‖ ciphertext). The lengths are checked against real messages when the
//!   benchmarks start.
//!
//! # What `primitives-sum-encrypt-decrypt` contains, per suite
//!
//! One encrypt takes one chain step on the sender (`OwnSenderKey::step`: the message key, then the next
//! chain key), seals, and signs if the suite is signed; one in-order decrypt verifies the signature
//! (`find_state`), takes the same chain step on the receiver (`ReceiverState::lookup` at the next
//! iteration: no skipped keys) and opens (see `message.rs`, `session.rs`, `receiver.rs`, `kdf.rs`,
//! `cipher.rs`). So each sum is, in this order:
//!
//! - **accord, p2p, hardened** (`hmac-labels`, AES-256-GCM, signed): HMAC(ck, message label) +
//!   HMAC(ck, chain label) + GCM seal (100 bytes; AAD the 11-byte header for `hardened`, none otherwise) +
//!   Ed25519 sign (128 / 116 / 144 bytes); then Ed25519 verify_strict + the same two HMACs + GCM open.
//!   Labels: "MessageKey"/"ChainKey", "message"/"chain", "sksim/hardened/message"/"sksim/hardened/chain".
//!   4 HMACs, 1 seal, 1 open, 1 sign, 1 verify.
//! - **chatalot** (`hkdf-salted`, ChaCha20-Poly1305, unsigned): HKDF(salt ck, ikm 0x01, 32 bytes) +
//!   HKDF(salt ck, ikm 0x02, 32 bytes) + ChaCha20-Poly1305 seal; then the same two HKDFs + open. 4 HKDFs
//!   (each one extract and one single-block expand), 1 seal, 1 open, no signature.
//! - **signal** (`hmac-bytes`, AES-256-CBC + PKCS#7, signed): HMAC(ck, 0x01) + HKDF(no salt, that HMAC,
//!   "WhisperGroup", 48 bytes = IV ‖ key) + HMAC(ck, 0x02) + CBC encrypt + SHA-256 of the distribution id
//!   (`Outgoing::new` recomputes it for every message) + Ed25519 sign (141 bytes); then SHA-256 of the
//!   distribution id (`parse_signal` recomputes it to check the group) + Ed25519 verify_strict + the same
//!   HMAC, HKDF, HMAC + CBC decrypt. 4 HMACs, 2 HKDFs (48-byte expands: two blocks each), 2 SHA-256, 1 CBC
//!   encrypt, 1 CBC decrypt, 1 sign, 1 verify. There is no HMAC over the ciphertext: as in libsignal's
//!   sender keys, the signature is the only integrity check (`cipher.rs`).
//!
//! Left out of every sum: the 12-byte AEAD nonce drawn from the caller's RNG (not a primitive of the suite;
//! the CBC suite derives its IV), and everything that is not cryptography. The signed bytes are a
//! prepared buffer of the right length (the content does not change the cost). Constants public in
//! `senderkeys` ([`SIGNAL_MESSAGE_KEY_INFO`], [`CHATALOT_CHAIN_INFO`], the labels of [`Kdf::HmacLabels`])
//! are used as data; the private distribution-id prefix is replicated byte for byte. No `senderkeys`
//! code runs inside the measurement.
#![allow(missing_docs)]

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::hint::black_box;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use chacha20poly1305::ChaCha20Poly1305;
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng as _, SeedableRng};
use senderkeys::Signed;
use senderkeys::consts::{
    AEAD_NONCE_BYTES, AEAD_TAG_BYTES, CBC_IV_BYTES, CHAIN_KEY_BYTES, FORWARD_JUMP_MAX, SKIPPED_KEYS_MAX,
};
use senderkeys::wire::hardened::HEADER_BYTES;
use senderkeys::{CHATALOT_CHAIN_INFO, Kdf, SIGNAL_MESSAGE_KEY_INFO};
use senderkeys::{GroupId, GroupSession, MemberId, SuiteId};
use sha2::{Digest, Sha256};

const PLAINTEXT: [u8; 100] = [0x5a; 100];
const GROUP: &str = "bench";
/// The prefix of the Signal distribution id (private in `senderkeys`; replicated byte for byte).
const SIGNAL_DISTRIBUTION_ID_PREFIX: &[u8] = b"sksim/signal-distribution-id";
/// The iteration the cache benchmark's receiver jumps to, and the cached iteration it then decrypts.
const CACHE_JUMP: u32 = 100;
const CACHED_ITERATION: u32 = 50;

/// The forward jumps measured: 100, [`SKIPPED_KEYS_MAX`] and [`FORWARD_JUMP_MAX`].
fn jumps() -> [u32; 3] {
    let cache_max = u32::try_from(SKIPPED_KEYS_MAX).expect("SKIPPED_KEYS_MAX fits in a u32");
    [100, cache_max, FORWARD_JUMP_MAX]
}

/// The bytes a signed suite signs for a 100-byte message at iteration 0 of the benchmark's key (see the
/// module doc); `None` for unsigned suites. Checked against a real message by [`Raw::new`].
fn signed_bytes_len(suite: SuiteId) -> Option<usize> {
    match suite {
        SuiteId::Accord => Some(128),
        SuiteId::Chatalot => None,
        SuiteId::P2p => Some(116),
        SuiteId::Signal => Some(141),
        SuiteId::Hardened => Some(144),
    }
}

fn member(name: &str) -> MemberId {
    MemberId::new(name).expect("valid member id")
}

/// A sender (alice) with a fresh key, a receiver (bob) that processed its distribution, and the RNG.
struct Pair {
    alice: GroupSession,
    bob: GroupSession,
    alice_id: MemberId,
    rng: ChaCha20Rng,
}

impl Pair {
    fn new(suite: SuiteId) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let group = GroupId::new(GROUP).expect("valid group id");
        let alice_id = member("alice");
        let mut alice = GroupSession::new(suite, group.clone(), alice_id.clone());
        let mut bob = GroupSession::new(suite, group, member("bob"));
        let dist = alice.create_sender_key(&mut rng).expect("create a sender key");
        bob.process_distribution(&alice_id, &dist)
            .expect("process the distribution");
        Pair {
            alice,
            bob,
            alice_id,
            rng,
        }
    }
}

/// The prepared state of the jump and cache benchmarks of one suite (built once, on first use).
struct Jumps {
    alice_id: MemberId,
    /// A receiver expecting iteration 0.
    fresh_bob: GroupSession,
    /// For each of [`jumps`], the message at that iteration.
    far: Vec<(u32, Vec<u8>)>,
    /// A receiver that jumped to [`CACHE_JUMP`], so it caches the keys of 0..CACHE_JUMP.
    cached_bob: GroupSession,
    /// The message at [`CACHED_ITERATION`].
    cached_wire: Vec<u8>,
}

impl Jumps {
    fn new(suite: SuiteId) -> Self {
        let Pair {
            mut alice,
            bob: fresh_bob,
            alice_id,
            mut rng,
        } = Pair::new(suite);
        let wanted = jumps();
        let mut far = Vec::new();
        let mut cache_jump = None;
        let mut cached_wire = None;
        for iteration in 0..=FORWARD_JUMP_MAX {
            let wire = alice.encrypt(&mut rng, &PLAINTEXT).expect("encrypt");
            if iteration == CACHE_JUMP {
                cache_jump = Some(wire.clone());
            }
            if iteration == CACHED_ITERATION {
                cached_wire = Some(wire.clone());
            }
            if wanted.contains(&iteration) {
                far.push((iteration, wire));
            }
        }
        // Check once that each benchmark measures what it says.
        for (jump, wire) in &far {
            let mut bob = fresh_bob.clone();
            let decrypted = bob.decrypt(&alice_id, wire).expect("a jump within the limit");
            assert_eq!(decrypted.iteration, *jump);
            let cached = receiver_cache_len(&bob, &alice_id);
            assert_eq!(cached, SKIPPED_KEYS_MAX.min(*jump as usize), "jump {jump}");
        }
        let mut cached_bob = fresh_bob.clone();
        let jump_wire = cache_jump.expect("encrypted past CACHE_JUMP");
        cached_bob
            .decrypt(&alice_id, &jump_wire)
            .expect("jump to CACHE_JUMP");
        let cached_wire = cached_wire.expect("encrypted past CACHED_ITERATION");
        let mut check = cached_bob.clone();
        let before = receiver_cache_len(&check, &alice_id);
        let decrypted = check.decrypt(&alice_id, &cached_wire).expect("a cached key");
        assert_eq!(decrypted.iteration, CACHED_ITERATION);
        assert_eq!(
            receiver_cache_len(&check, &alice_id),
            before - 1,
            "the key came from the cache"
        );
        Jumps {
            alice_id,
            fresh_bob,
            far,
            cached_bob,
            cached_wire,
        }
    }
}

fn receiver_cache_len(session: &GroupSession, sender: &MemberId) -> usize {
    session
        .receiver_states(sender)
        .next()
        .expect("a receiver state")
        .skipped_len()
}

// ---------------------------------------------------------------------------------------------------------
// The raw primitives, called exactly as `senderkeys`' `Kdf`, `Cipher`, signing keys and messages call them.
// ---------------------------------------------------------------------------------------------------------

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hkdf_sha256<const N: usize>(salt: Option<&[u8]>, ikm: &[u8], info: &[u8]) -> [u8; N] {
    let mut okm = [0u8; N];
    Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, &mut okm)
        .expect("HKDF output length is within bounds");
    okm
}

fn signal_distribution_id() -> [u8; 32] {
    Sha256::new()
        .chain_update(SIGNAL_DISTRIBUTION_ID_PREFIX)
        .chain_update(GROUP)
        .finalize()
        .into()
}

fn gcm_seal(key: &[u8; 32], nonce: &[u8; AEAD_NONCE_BYTES], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    Aes256Gcm::new(key.into())
        .encrypt(nonce.into(), Payload { msg: plaintext, aad })
        .expect("AES-GCM encrypts 100 bytes")
}

fn gcm_open(key: &[u8; 32], nonce: &[u8; AEAD_NONCE_BYTES], aad: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    Aes256Gcm::new(key.into())
        .decrypt(nonce.into(), Payload { msg: ciphertext, aad })
        .expect("a valid AES-GCM ciphertext")
}

fn chacha_seal(key: &[u8; 32], nonce: &[u8; AEAD_NONCE_BYTES], plaintext: &[u8]) -> Vec<u8> {
    let payload = Payload {
        msg: plaintext,
        aad: &[],
    };
    ChaCha20Poly1305::new(key.into())
        .encrypt(nonce.into(), payload)
        .expect("ChaCha20-Poly1305 encrypts 100 bytes")
}

fn chacha_open(key: &[u8; 32], nonce: &[u8; AEAD_NONCE_BYTES], ciphertext: &[u8]) -> Vec<u8> {
    let payload = Payload {
        msg: ciphertext,
        aad: &[],
    };
    ChaCha20Poly1305::new(key.into())
        .decrypt(nonce.into(), payload)
        .expect("a valid ChaCha20-Poly1305 ciphertext")
}

fn cbc_encrypt(key: &[u8; 32], iv: &[u8; CBC_IV_BYTES], plaintext: &[u8]) -> Vec<u8> {
    cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into()).encrypt_padded_vec::<Pkcs7>(plaintext)
}

fn cbc_decrypt(key: &[u8; 32], iv: &[u8; CBC_IV_BYTES], ciphertext: &[u8]) -> Vec<u8> {
    cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into())
        .decrypt_padded_vec::<Pkcs7>(ciphertext)
        .expect("valid PKCS#7 padding")
}

/// Splits an `hmac-bytes` message key, IV ‖ key, as `MessageKey::from_material` does.
fn split_iv_key(okm: &[u8; 48]) -> ([u8; CBC_IV_BYTES], [u8; 32]) {
    let (iv, key) = okm.split_at(CBC_IV_BYTES);
    (
        iv.try_into().expect("16 bytes"),
        key.try_into().expect("32 bytes"),
    )
}

/// Everything one suite's primitive sum needs, prepared outside the measurement.
struct Raw {
    suite: SuiteId,
    chain_key: [u8; CHAIN_KEY_BYTES],
    nonce: [u8; AEAD_NONCE_BYTES],
    /// The `hmac-labels` message and chain labels (empty for the other families).
    labels: (&'static [u8], &'static [u8]),
    /// The AEAD associated data: the 11-byte header for `hardened`, empty otherwise.
    aad: Vec<u8>,
    signing: SigningKey,
    verifying: VerifyingKey,
    /// A buffer as long as what the suite signs (empty when unsigned).
    signed: Vec<u8>,
}

impl Raw {
    /// Prepares the material and checks, against one real message of the suite, every size the sum assumes.
    fn new(suite: SuiteId) -> Self {
        let desc = suite.suite();
        let mut pair = Pair::new(suite);
        let real = pair
            .alice
            .encrypt_detailed(&mut pair.rng, &PLAINTEXT)
            .expect("encrypt");
        assert_eq!(real.iteration, 0);
        let expected_signed = signed_bytes_len(suite);
        assert_eq!(
            desc.signed != Signed::Nothing,
            expected_signed.is_some(),
            "{suite}"
        );
        assert_eq!(
            real.signed_bytes.len(),
            expected_signed.unwrap_or(0),
            "{suite}: the signed length changed; update signed_bytes_len and the module doc"
        );
        assert_eq!(real.aad.len(), if desc.header_as_aad { HEADER_BYTES } else { 0 });
        let expected_ct = match desc.kdf {
            Kdf::HmacBytes => 112,
            _ => PLAINTEXT.len() + AEAD_TAG_BYTES,
        };
        assert_eq!(real.ciphertext.len(), expected_ct, "{suite}");
        let labels: (&'static [u8], &'static [u8]) = match desc.kdf {
            Kdf::HmacLabels { message, chain } => (message.as_bytes(), chain.as_bytes()),
            _ => (b"", b""),
        };
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let mut chain_key = [0u8; CHAIN_KEY_BYTES];
        rng.fill_bytes(&mut chain_key);
        let mut nonce = [0u8; AEAD_NONCE_BYTES];
        rng.fill_bytes(&mut nonce);
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut secret);
        let signing = SigningKey::from_bytes(&secret);
        Raw {
            suite,
            chain_key,
            nonce,
            labels,
            aad: vec![0x01; real.aad.len()],
            verifying: signing.verifying_key(),
            signing,
            signed: vec![0xa5; real.signed_bytes.len()],
        }
    }

    /// The raw primitive calls of one encrypt and one in-order decrypt of the suite (see the module doc).
    fn encrypt_decrypt(&self) -> ([u8; 32], [u8; 32], Vec<u8>) {
        match self.suite {
            SuiteId::Accord | SuiteId::P2p | SuiteId::Hardened => self.hmac_labels_gcm_signed(),
            SuiteId::Chatalot => self.hkdf_salted_chacha_unsigned(),
            SuiteId::Signal => self.hmac_bytes_cbc_signed(),
        }
    }

    /// accord, p2p, hardened.
    fn hmac_labels_gcm_signed(&self) -> ([u8; 32], [u8; 32], Vec<u8>) {
        let (ck, (message, chain)) = (&self.chain_key, self.labels);
        // Encrypt: chain step, seal, sign.
        let key = hmac_sha256(ck, message);
        let sender_next = hmac_sha256(ck, chain);
        let ciphertext = gcm_seal(&key, &self.nonce, &self.aad, &PLAINTEXT);
        let signature = self.signing.sign(&self.signed).to_bytes();
        // Decrypt: verify, chain step, open.
        self.verifying
            .verify_strict(&self.signed, &Signature::from_bytes(&signature))
            .expect("a valid signature");
        let key = hmac_sha256(ck, message);
        let receiver_next = hmac_sha256(ck, chain);
        let plaintext = gcm_open(&key, &self.nonce, &self.aad, &ciphertext);
        (sender_next, receiver_next, plaintext)
    }

    /// chatalot.
    fn hkdf_salted_chacha_unsigned(&self) -> ([u8; 32], [u8; 32], Vec<u8>) {
        let ck = &self.chain_key;
        // Encrypt: chain step, seal.
        let key: [u8; 32] = hkdf_sha256(Some(ck), &[0x01], CHATALOT_CHAIN_INFO);
        let sender_next: [u8; 32] = hkdf_sha256(Some(ck), &[0x02], CHATALOT_CHAIN_INFO);
        let ciphertext = chacha_seal(&key, &self.nonce, &PLAINTEXT);
        // Decrypt: chain step, open.
        let key: [u8; 32] = hkdf_sha256(Some(ck), &[0x01], CHATALOT_CHAIN_INFO);
        let receiver_next: [u8; 32] = hkdf_sha256(Some(ck), &[0x02], CHATALOT_CHAIN_INFO);
        let plaintext = chacha_open(&key, &self.nonce, &ciphertext);
        (sender_next, receiver_next, plaintext)
    }

    /// signal.
    fn hmac_bytes_cbc_signed(&self) -> ([u8; 32], [u8; 32], Vec<u8>) {
        let ck = &self.chain_key;
        // Encrypt: chain step, seal, distribution id for the wire, sign.
        let seed = hmac_sha256(ck, &[0x01]);
        let okm: [u8; 48] = hkdf_sha256(None, &seed, SIGNAL_MESSAGE_KEY_INFO);
        let sender_next = hmac_sha256(ck, &[0x02]);
        let (iv, key) = split_iv_key(&okm);
        let ciphertext = cbc_encrypt(&key, &iv, &PLAINTEXT);
        black_box(signal_distribution_id());
        let signature = self.signing.sign(&self.signed).to_bytes();
        // Decrypt: distribution id to check the group, verify, chain step, open.
        black_box(signal_distribution_id());
        self.verifying
            .verify_strict(&self.signed, &Signature::from_bytes(&signature))
            .expect("a valid signature");
        let seed = hmac_sha256(ck, &[0x01]);
        let okm: [u8; 48] = hkdf_sha256(None, &seed, SIGNAL_MESSAGE_KEY_INFO);
        let receiver_next = hmac_sha256(ck, &[0x02]);
        let (iv, key) = split_iv_key(&okm);
        let plaintext = cbc_decrypt(&key, &iv, &ciphertext);
        (sender_next, receiver_next, plaintext)
    }
}

// ---------------------------------------------------------------------------------------------------------
// core/<suite>/<operation>
// ---------------------------------------------------------------------------------------------------------

fn core_benches(c: &mut Criterion) {
    for suite in SuiteId::ALL {
        let jumps_fixture = OnceCell::new();
        let mut group = c.benchmark_group(format!("core/{suite}"));
        bench_messages(&mut group, suite);
        bench_distributions(&mut group, suite);
        bench_cached(&mut group, suite, &jumps_fixture);
        bench_jumps(&mut group, suite, &jumps_fixture);
        group.finish();
    }
}

fn bench_messages(group: &mut BenchmarkGroup<'_, WallTime>, suite: SuiteId) {
    let Pair {
        mut alice,
        bob,
        alice_id,
        mut rng,
    } = Pair::new(suite);
    group.bench_function("encrypt", |b| {
        b.iter(|| alice.encrypt(&mut rng, &PLAINTEXT).expect("encrypt"));
    });
    // `encrypt` took alice any number of iterations ahead (beyond FORWARD_JUMP_MAX when measuring): give bob
    // her key at its current iteration, so that every later decrypt is in order.
    let mut bob = GroupSession::new(suite, bob.group().clone(), bob.me().clone());
    let dist = alice.distribution().expect("alice has a key");
    bob.process_distribution(&alice_id, &dist)
        .expect("process the distribution");
    group.bench_function("decrypt-in-order", |b| {
        b.iter_batched(
            || alice.encrypt(&mut rng, &PLAINTEXT).expect("encrypt"),
            |wire| bob.decrypt(&alice_id, &wire).expect("decrypt in order"),
            BatchSize::SmallInput,
        );
    });
    group.bench_function("encrypt-decrypt", |b| {
        b.iter(|| {
            let wire = alice.encrypt(&mut rng, &PLAINTEXT).expect("encrypt");
            bob.decrypt(&alice_id, &wire).expect("decrypt in order")
        });
    });
    let raw = Raw::new(suite);
    group.bench_function("primitives-sum-encrypt-decrypt", |b| {
        b.iter(|| black_box(&raw).encrypt_decrypt());
    });
}

fn bench_distributions(group: &mut BenchmarkGroup<'_, WallTime>, suite: SuiteId) {
    let Pair {
        alice,
        bob,
        alice_id,
        mut rng,
    } = Pair::new(suite);
    let keyless = GroupSession::new(suite, alice.group().clone(), alice_id.clone());
    group.bench_function("create-distribution", |b| {
        b.iter_batched_ref(
            || keyless.clone(),
            |session| session.create_sender_key(&mut rng).expect("create a sender key"),
            BatchSize::SmallInput,
        );
    });
    let dist = alice.distribution().expect("alice has a key");
    let newcomer = GroupSession::new(suite, bob.group().clone(), bob.me().clone());
    group.bench_function("process-distribution", |b| {
        b.iter_batched_ref(
            || newcomer.clone(),
            |session| {
                session
                    .process_distribution(&alice_id, &dist)
                    .expect("process the distribution")
            },
            BatchSize::SmallInput,
        );
    });
}

fn bench_cached(group: &mut BenchmarkGroup<'_, WallTime>, suite: SuiteId, fixture: &OnceCell<Jumps>) {
    group.bench_function("decrypt-skipped-cached", |b| {
        let f = fixture.get_or_init(|| Jumps::new(suite));
        b.iter_batched_ref(
            || (f.cached_bob.clone(), f.cached_wire.clone()),
            |(bob, wire)| bob.decrypt(&f.alice_id, wire).expect("decrypt a cached key"),
            BatchSize::SmallInput,
        );
    });
}

/// Last in the group: the long jumps change the group's sampling for what follows.
fn bench_jumps(group: &mut BenchmarkGroup<'_, WallTime>, suite: SuiteId, fixture: &OnceCell<Jumps>) {
    for (index, jump) in jumps().into_iter().enumerate() {
        let batch = if jump as usize >= SKIPPED_KEYS_MAX {
            // Milliseconds per iteration: 10 flat samples, one setup per iteration.
            group.sample_size(10).sampling_mode(SamplingMode::Flat);
            BatchSize::PerIteration
        } else {
            BatchSize::SmallInput
        };
        group.bench_function(format!("decrypt-jump-{jump}"), |b| {
            let f = fixture.get_or_init(|| Jumps::new(suite));
            let (at, wire) = &f.far[index];
            assert_eq!(*at, jump);
            b.iter_batched_ref(
                || (f.fresh_bob.clone(), wire.clone()),
                |(bob, wire)| bob.decrypt(&f.alice_id, wire).expect("a jump within the limit"),
                batch,
            );
        });
    }
}

// ---------------------------------------------------------------------------------------------------------
// primitives/<name>
// ---------------------------------------------------------------------------------------------------------

fn primitives(c: &mut Criterion) {
    let mut group = c.benchmark_group("primitives");
    let raw = Raw::new(SuiteId::Hardened);
    let (ck, nonce) = (raw.chain_key, raw.nonce);
    let key = hmac_sha256(&ck, b"key");
    let iv: [u8; CBC_IV_BYTES] = key[..CBC_IV_BYTES].try_into().expect("16 bytes");

    // HMAC-SHA256 over every chain-step input.
    let mut hmac_inputs = BTreeSet::from([1usize]);
    for suite in SuiteId::ALL {
        if let Kdf::HmacLabels { message, chain } = suite.suite().kdf {
            hmac_inputs.extend([message.len(), chain.len()]);
        }
    }
    let data = [0x42u8; 64];
    for n in hmac_inputs {
        group.bench_function(format!("hmac-sha256/{n}B"), |b| {
            b.iter(|| hmac_sha256(black_box(&ck), black_box(&data[..n])));
        });
    }

    // HKDF-SHA256: expand alone, and the whole call of each family.
    let chatalot_prk = Hkdf::<Sha256>::new(Some(&ck), &[0x01]);
    group.bench_function("hkdf-sha256/expand-32B", |b| {
        b.iter(|| {
            let mut okm = [0u8; 32];
            black_box(&chatalot_prk)
                .expand(CHATALOT_CHAIN_INFO, &mut okm)
                .expect("32 bytes");
            okm
        });
    });
    let signal_prk = Hkdf::<Sha256>::new(None, &ck);
    group.bench_function("hkdf-sha256/expand-48B", |b| {
        b.iter(|| {
            let mut okm = [0u8; 48];
            black_box(&signal_prk)
                .expand(SIGNAL_MESSAGE_KEY_INFO, &mut okm)
                .expect("48 bytes");
            okm
        });
    });
    group.bench_function("hkdf-sha256/extract-expand-32B", |b| {
        b.iter(|| hkdf_sha256::<32>(Some(black_box(&ck)), &[0x01], CHATALOT_CHAIN_INFO));
    });
    group.bench_function("hkdf-sha256/extract-expand-48B", |b| {
        b.iter(|| hkdf_sha256::<48>(None, black_box(&ck), SIGNAL_MESSAGE_KEY_INFO));
    });
    let id_len = SIGNAL_DISTRIBUTION_ID_PREFIX.len() + GROUP.len();
    group.bench_function(format!("sha256/{id_len}B"), |b| {
        b.iter(signal_distribution_id);
    });

    // The ciphers, 100-byte messages.
    let header = [0x01u8; HEADER_BYTES];
    let gcm = gcm_seal(&key, &nonce, &[], &PLAINTEXT);
    let gcm_aad = gcm_seal(&key, &nonce, &header, &PLAINTEXT);
    let chacha = chacha_seal(&key, &nonce, &PLAINTEXT);
    let cbc_ct = cbc_encrypt(&key, &iv, &PLAINTEXT);
    group.bench_function("aes-256-gcm/seal-100B", |b| {
        b.iter(|| gcm_seal(black_box(&key), &nonce, &[], black_box(&PLAINTEXT)));
    });
    group.bench_function("aes-256-gcm/open-100B", |b| {
        b.iter(|| gcm_open(black_box(&key), &nonce, &[], black_box(&gcm)));
    });
    group.bench_function(format!("aes-256-gcm/seal-100B-aad-{HEADER_BYTES}B"), |b| {
        b.iter(|| gcm_seal(black_box(&key), &nonce, &header, black_box(&PLAINTEXT)));
    });
    group.bench_function(format!("aes-256-gcm/open-100B-aad-{HEADER_BYTES}B"), |b| {
        b.iter(|| gcm_open(black_box(&key), &nonce, &header, black_box(&gcm_aad)));
    });
    group.bench_function("chacha20-poly1305/seal-100B", |b| {
        b.iter(|| chacha_seal(black_box(&key), &nonce, black_box(&PLAINTEXT)));
    });
    group.bench_function("chacha20-poly1305/open-100B", |b| {
        b.iter(|| chacha_open(black_box(&key), &nonce, black_box(&chacha)));
    });
    group.bench_function("aes-256-cbc/encrypt-100B", |b| {
        b.iter(|| cbc_encrypt(black_box(&key), &iv, black_box(&PLAINTEXT)));
    });
    group.bench_function("aes-256-cbc/decrypt-100B", |b| {
        b.iter(|| cbc_decrypt(black_box(&key), &iv, black_box(&cbc_ct)));
    });

    // Ed25519 over each signed suite's signed length.
    let lengths: BTreeSet<usize> = SuiteId::ALL.into_iter().filter_map(signed_bytes_len).collect();
    for n in lengths {
        let message = vec![0xa5u8; n];
        let signature = raw.signing.sign(&message);
        group.bench_function(format!("ed25519/sign-{n}B"), |b| {
            b.iter(|| black_box(&raw.signing).sign(black_box(&message)));
        });
        group.bench_function(format!("ed25519/verify-strict-{n}B"), |b| {
            b.iter(|| {
                black_box(&raw.verifying)
                    .verify_strict(black_box(&message), &signature)
                    .expect("a valid signature")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, core_benches, primitives);
criterion_main!(benches);
