//! Property tests of the reference session over every suite.
//!
//! 1. Any permutation of up to 2,000 messages inside the window decrypts each message exactly once, and every
//!    replay afterwards is a duplicate that leaves the state unchanged.
//! 2. Any single-bit flip anywhere in a genuine envelope is rejected with the state unchanged (every bit of
//!    the envelope is tried), and the genuine envelope still decrypts afterwards.
//! 3. Moving 1..=12 bytes between nonce and ciphertext, in either direction, is rejected with the state
//!    unchanged.
//! 4. A re-encoded message whose iteration or key id (for `p2p`: sender or group) changed, everything else
//!    including the signature kept, is rejected with the state unchanged.
//! 5. A mixed stream of genuine, replayed, corrupted, far-future and garbage inputs never panics, never
//!    changes the state on rejection, never accepts a (key id, iteration) twice, keeps the skipped-key cache
//!    within `SKIPPED_KEYS_MAX`, and accepts exactly what a model of the window accepts.
//! 6. Every message and distribution Alice produces parses with its suite's typed codec and re-encodes to the
//!    same bytes.
//!
//! Every proptest runs from a fixed seed with no failure persistence, so runs are reproducible.

mod common;

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::Pair;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestCaseError};
use senderkeys::consts::{AEAD_NONCE_BYTES, FORWARD_JUMP_MAX, SIGNATURE_BYTES, SKIPPED_KEYS_MAX};
use senderkeys::wire::accord::{AccordDistribution, AccordEnvelope};
use senderkeys::wire::chatalot::{ChatalotDistribution, ChatalotMessage};
use senderkeys::wire::hardened::{HardenedDistribution, HardenedMessage};
use senderkeys::wire::p2p::{P2pDistribution, P2pGroupMessage};
use senderkeys::wire::signal::{SignalDistribution, SignalMessage};
use senderkeys::{Error, GroupId, GroupSession, KeyId, MemberId, SuiteId};

type TestResult = Result<(), TestCaseError>;

fn config(seed: u64, cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

/// The wire bytes for a failure message: text when they are UTF-8 (the JSON formats), hex otherwise.
fn show(wire: &[u8]) -> String {
    match core::str::from_utf8(wire) {
        Ok(text) => text.to_owned(),
        Err(_) => hex::encode(wire),
    }
}

fn iteration_of(index: usize) -> u32 {
    u32::try_from(index).expect("test iterations fit a u32")
}

/// Reasons a message with a wrong iteration or key can get where nothing but the AEAD (or the window)
/// protects the iteration.
const AEAD_OR_WINDOW: &[&str] = &["decryption-failed", "duplicate", "too-far-ahead"];

/// Decrypts `wire` at `bob`, requires a rejection and a byte-identical export afterwards, returns the error.
fn rejected(
    bob: &mut GroupSession,
    from: &MemberId,
    wire: &[u8],
    context: impl Fn() -> String,
) -> Result<Error, TestCaseError> {
    let before = bob.export();
    match bob.decrypt(from, wire) {
        Ok(d) => Err(fail(format!(
            "{}: accepted as iteration {} of key {:?} (plaintext {:?}); wire {}",
            context(),
            d.iteration,
            d.key_id,
            String::from_utf8_lossy(&d.plaintext),
            show(wire)
        ))),
        Err(err) => {
            if bob.export() != before {
                return Err(fail(format!(
                    "{}: state changed by a rejection ({err}); wire {}",
                    context(),
                    show(wire)
                )));
            }
            Ok(err)
        }
    }
}

/// [`rejected`], and the reason must be one of `reasons`.
fn rejected_with(
    bob: &mut GroupSession,
    from: &MemberId,
    wire: &[u8],
    reasons: &[&str],
    context: impl Fn() -> String,
) -> TestResult {
    let err = rejected(bob, from, wire, &context)?;
    if !reasons.contains(&err.reason()) {
        return Err(fail(format!(
            "{}: rejected as {} ({err}), expected one of {reasons:?}; wire {}",
            context(),
            err.reason(),
            show(wire)
        )));
    }
    Ok(())
}

/// Alice's current sender key id.
fn current_key(pair: &Pair) -> KeyId {
    pair.alice
        .own_sender_key()
        .expect("alice has a sender key")
        .key_id()
}

/// Bob's newest receiver state of Alice: (next iteration, skipped keys cached).
fn bob_position(pair: &Pair) -> Option<(u64, usize)> {
    pair.bob
        .receiver_states(&pair.alice_id)
        .next()
        .map(|s| (s.next_iteration(), s.skipped_len()))
}

// ----- fixtures -----

/// A session state for one target message: Alice optionally rotated once (delivering some of the old key's
/// messages first), sent some messages before and after the target, and Bob received those flagged `true`.
/// The target itself is never delivered: it is either ahead of Bob's chain or in his skipped-key cache.
#[derive(Clone, Debug)]
struct Spec {
    seed: u64,
    rotate: Option<Vec<bool>>,
    before: Vec<bool>,
    after: Vec<bool>,
    plaintext: Vec<u8>,
}

fn specs() -> impl Strategy<Value = Spec> {
    (
        any::<u64>(),
        prop::option::of(prop::collection::vec(any::<bool>(), 0..4)),
        prop::collection::vec(any::<bool>(), 0..6),
        prop::collection::vec(any::<bool>(), 0..3),
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(seed, rotate, before, after, plaintext)| Spec {
            seed,
            rotate,
            before,
            after,
            plaintext,
        })
}

struct Fixture {
    pair: Pair,
    target: Vec<u8>,
    /// The key Alice used before rotating, which Bob still holds.
    other: Option<KeyId>,
}

fn deliver_flagged(pair: &mut Pair, flags: &[bool]) {
    for (wire, deliver) in pair.send(flags.len()).iter().zip(flags) {
        if *deliver {
            pair.receive(wire).expect("genuine message decrypts");
        }
    }
}

fn fixture(suite: SuiteId, spec: &Spec) -> Fixture {
    let mut pair = common::pair(suite, spec.seed);
    let mut other = None;
    if let Some(old) = &spec.rotate {
        deliver_flagged(&mut pair, old);
        other = Some(current_key(&pair));
        let distribution = pair.alice.create_sender_key(&mut pair.rng).expect("rotate");
        pair.bob
            .process_distribution(&pair.alice_id, &distribution)
            .expect("process rotated distribution");
    }
    deliver_flagged(&mut pair, &spec.before);
    let target = pair
        .alice
        .encrypt(&mut pair.rng, &spec.plaintext)
        .expect("encrypt target");
    deliver_flagged(&mut pair, &spec.after);
    Fixture { pair, target, other }
}

/// The target decrypts (once) to its plaintext: the rejections before it burnt nothing.
fn target_still_decrypts(suite: SuiteId, fixture: &mut Fixture, spec: &Spec) -> TestResult {
    let pair = &mut fixture.pair;
    match pair.bob.decrypt(&pair.alice_id, &fixture.target) {
        Ok(d) => {
            prop_assert_eq!(&d.plaintext, &spec.plaintext, "{}: wrong plaintext", suite);
            Ok(())
        }
        Err(err) => Err(fail(format!(
            "{suite}: the genuine target no longer decrypts after the rejections: {err}"
        ))),
    }
}

// ----- property 1: permutations -----

fn permutation_case(suite: SuiteId, seed: u64, order: &[usize]) -> TestResult {
    let n = order.len();
    let mut pair = common::pair(suite, seed);
    let wires = pair.send(n);
    let mut seen = BTreeSet::new();
    for (step, &i) in order.iter().enumerate() {
        let d = pair
            .bob
            .decrypt(&pair.alice_id, &wires[i])
            .map_err(|e| fail(format!("{suite}: message {i} of {n} (step {step}) rejected: {e}")))?;
        prop_assert_eq!(
            d.plaintext,
            format!("m{i}").into_bytes(),
            "{}: wrong plaintext for message {}",
            suite,
            i
        );
        prop_assert_eq!(d.iteration, iteration_of(i), "{}: wrong iteration", suite);
        prop_assert!(seen.insert(i), "{}: message {} decrypted twice", suite, i);
    }
    prop_assert_eq!(seen.len(), n, "{}: not every message decrypted", suite);
    prop_assert_eq!(
        bob_position(&pair),
        Some((u64::try_from(n).expect("fits"), 0)),
        "{}: chain not at n with an empty cache",
        suite
    );
    for &i in order {
        rejected_with(&mut pair.bob, &pair.alice_id, &wires[i], &["duplicate"], || {
            format!("{suite}: replay of message {i} of {n}")
        })?;
    }
    Ok(())
}

fn permutations() -> impl Strategy<Value = (SuiteId, u64, Vec<usize>)> {
    (
        prop::sample::select(SuiteId::ALL.to_vec()),
        any::<u64>(),
        prop_oneof![1..50usize, 1900..=2000usize],
    )
        .prop_flat_map(|(suite, seed, n)| {
            (
                Just(suite),
                Just(seed),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
            )
        })
}

proptest! {
    #![proptest_config(config(0x5045_524d, 32))]

    /// Large permutations run in the suite the strategy picked; small ones in every suite.
    #[test]
    fn any_permutation_in_the_window_decrypts_each_message_exactly_once(
        (suite, seed, order) in permutations(),
    ) {
        if order.len() < 50 {
            for suite in SuiteId::ALL {
                permutation_case(suite, seed, &order)?;
            }
        } else {
            permutation_case(suite, seed, &order)?;
        }
    }
}

/// The window's worst order, in every suite: the newest of 2,000 messages first, so the first decryption
/// caches 1,999 skipped keys.
#[test]
fn two_thousand_messages_in_reverse_order_decrypt_in_every_suite() {
    let order: Vec<usize> = (0..2000).rev().collect();
    for suite in SuiteId::ALL {
        if let Err(err) = permutation_case(suite, 0x2000, &order) {
            panic!("{err}");
        }
    }
}

// ----- property 2: single-bit flips -----

fn bit_flip_case(suite: SuiteId, spec: &Spec) -> TestResult {
    let mut fixture = fixture(suite, spec);
    let target = fixture.target.clone();
    let pair = &mut fixture.pair;
    for bit in 0..target.len() * 8 {
        let mut flipped = target.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        rejected(&mut pair.bob, &pair.alice_id, &flipped, || {
            format!(
                "{suite}: flip of bit {} of byte {} of {}",
                bit % 8,
                bit / 8,
                target.len()
            )
        })?;
    }
    target_still_decrypts(suite, &mut fixture, spec)
}

proptest! {
    #![proptest_config(config(0x464c_4950, 16))]

    /// Every bit of the target envelope is flipped in turn, in every suite (Chatalot included: its AEAD
    /// covers ciphertext and nonce, and any other flip breaks the JSON or changes the chain id or iteration).
    #[test]
    fn every_single_bit_flip_is_rejected_and_changes_nothing(spec in specs()) {
        for suite in SuiteId::ALL {
            bit_flip_case(suite, &spec)?;
        }
    }
}

// ----- property 3: moving bytes between nonce and ciphertext -----

/// Moves `k` bytes from the end of the nonce to the front of the ciphertext (`to_ciphertext`), or from the
/// front of the ciphertext to the end of the nonce. The concatenation nonce ‖ ciphertext is unchanged.
fn resplit(nonce: &[u8], ciphertext: &[u8], k: usize, to_ciphertext: bool) -> (Vec<u8>, Vec<u8>) {
    if to_ciphertext {
        let (head, moved) = nonce.split_at(nonce.len() - k);
        (head.to_vec(), [moved, ciphertext].concat())
    } else {
        let (moved, rest) = ciphertext.split_at(k);
        ([nonce, moved].concat(), rest.to_vec())
    }
}

fn json_array(bytes: &[u8]) -> String {
    serde_json::to_string(bytes).expect("a byte array serializes")
}

/// The target re-framed by hand with the nonce and ciphertext split at another point; `None` for Signal,
/// which has no nonce on the wire.
fn resplit_wire(suite: SuiteId, wire: &[u8], k: usize, to_ciphertext: bool) -> Option<Vec<u8>> {
    Some(match suite {
        SuiteId::Hardened => {
            let m = HardenedMessage::parse(wire).expect("genuine hardened message");
            let (nonce, ciphertext) = resplit(&m.nonce, &m.ciphertext, k, to_ciphertext);
            let mut out = HardenedMessage::header(m.key_id, m.iteration).to_vec();
            out.push(u8::try_from(nonce.len()).expect("short nonce"));
            out.extend_from_slice(&nonce);
            out.extend_from_slice(&u32::try_from(ciphertext.len()).expect("short").to_be_bytes());
            out.extend_from_slice(&ciphertext);
            out.extend_from_slice(&m.signature);
            out
        }
        SuiteId::Accord => {
            let e = AccordEnvelope::parse(wire).expect("genuine accord envelope");
            let (iv, ct) = resplit(&e.iv, &e.ciphertext, k, to_ciphertext);
            format!(
                r#"{{"v":1,"sk":"{}","i":{},"iv":"{}","ct":"{}","sig":"{}"}}"#,
                hex::encode(e.key_id),
                e.iteration,
                BASE64.encode(iv),
                BASE64.encode(ct),
                BASE64.encode(e.signature)
            )
            .into_bytes()
        }
        SuiteId::Chatalot => {
            let m = ChatalotMessage::parse(wire).expect("genuine chatalot message");
            let (nonce, ciphertext) = resplit(&m.nonce, &m.ciphertext, k, to_ciphertext);
            format!(
                r#"{{"v":1,"sk":true,"message":{{"chain_id":{},"iteration":{},"ciphertext":{},"nonce":{}}}}}"#,
                m.chain_id,
                m.iteration,
                json_array(&ciphertext),
                json_array(&nonce)
            )
            .into_bytes()
        }
        SuiteId::P2p => {
            let m = P2pGroupMessage::parse(wire).expect("genuine p2p message");
            let (nonce, ciphertext) = resplit(&m.nonce, &m.ciphertext, k, to_ciphertext);
            m.encode_with(&nonce, &ciphertext)
        }
        // Signal's IV is derived with the message key, never sent: there is no nonce to re-split.
        SuiteId::Signal => return None,
    })
}

fn resplit_case(suite: SuiteId, spec: &Spec) -> TestResult {
    let mut fixture = fixture(suite, spec);
    let target = fixture.target.clone();
    let Some(same) = resplit_wire(suite, &target, 0, true) else {
        return Ok(());
    };
    // The hand-written framing reproduces the genuine bytes when nothing moves.
    prop_assert_eq!(
        &same,
        &target,
        "{}: hand-written framing differs from the codec's",
        suite
    );
    let pair = &mut fixture.pair;
    for k in 1..=AEAD_NONCE_BYTES {
        for to_ciphertext in [true, false] {
            let wire = resplit_wire(suite, &target, k, to_ciphertext).expect("suite has a nonce");
            rejected_with(&mut pair.bob, &pair.alice_id, &wire, &["bad-length"], || {
                let way = if to_ciphertext {
                    "nonce to ciphertext"
                } else {
                    "ciphertext to nonce"
                };
                format!("{suite}: {k} byte(s) moved from {way}")
            })?;
        }
    }
    target_still_decrypts(suite, &mut fixture, spec)
}

proptest! {
    #![proptest_config(config(0x5350_4c49, 128))]

    /// Every k in 1..=12 and both directions, for every suite with a nonce on the wire (all but Signal).
    #[test]
    fn moving_bytes_between_nonce_and_ciphertext_is_rejected(spec in specs()) {
        for suite in SuiteId::ALL {
            resplit_case(suite, &spec)?;
        }
    }
}

// ----- property 4: changed iteration or key id -----

/// Replacement values for the fields of the target; each is forced to differ from the original.
#[derive(Clone, Debug)]
struct Changes {
    iteration: u32,
    chain_id: u32,
    fingerprint: [u8; 8],
    sender: String,
    group: String,
    distribution_id: [u8; 16],
}

fn changes() -> impl Strategy<Value = Changes> {
    (
        prop_oneof![any::<u32>(), 0..16u32, 0..30_000u32],
        any::<u32>(),
        any::<[u8; 8]>(),
        "[a-z0-9]{1,16}",
        "[a-z0-9-]{1,24}",
        any::<[u8; 16]>(),
    )
        .prop_map(
            |(iteration, chain_id, fingerprint, sender, group, distribution_id)| Changes {
                iteration,
                chain_id,
                fingerprint,
                sender,
                group,
                distribution_id,
            },
        )
}

fn differ_u32(value: u32, avoid: &[u32]) -> u32 {
    let mut v = value;
    while avoid.contains(&v) {
        v = v.wrapping_add(1);
    }
    v
}

fn differ_string(value: &str, avoid: &str) -> String {
    if value == avoid {
        format!("{value}x")
    } else {
        value.to_owned()
    }
}

fn chain_of(key: Option<KeyId>) -> Option<u32> {
    match key {
        Some(KeyId::Chain(id)) => Some(id),
        _ => None,
    }
}

fn fingerprint_of(key: Option<KeyId>) -> Option<[u8; 8]> {
    match key {
        Some(KeyId::Fingerprint(fp)) => Some(fp),
        _ => None,
    }
}

/// Every applicable re-encoding of the target: (what changed, wire, accepted rejection reasons).
fn changed_wires(
    suite: SuiteId,
    target: &[u8],
    other: Option<KeyId>,
    c: &Changes,
) -> Vec<(&'static str, Vec<u8>, &'static [&'static str])> {
    const BAD_SIGNATURE: &[&str] = &["bad-signature"];
    const UNKNOWN_KEY: &[&str] = &["unknown-key"];
    let mut out = Vec::new();
    match suite {
        SuiteId::Hardened => {
            let m = HardenedMessage::parse(target).expect("genuine hardened message");
            let iteration = differ_u32(c.iteration, &[m.iteration]);
            let held: Vec<u32> = [Some(m.key_id), chain_of(other)].into_iter().flatten().collect();
            let key_id = differ_u32(c.chain_id, &held);
            out.push((
                "iteration",
                HardenedMessage {
                    iteration,
                    ..m.clone()
                }
                .encode(),
                BAD_SIGNATURE,
            ));
            out.push((
                "key id",
                HardenedMessage { key_id, ..m.clone() }.encode(),
                UNKNOWN_KEY,
            ));
            if let Some(key_id) = chain_of(other) {
                out.push((
                    "older key id",
                    HardenedMessage { key_id, ..m }.encode(),
                    BAD_SIGNATURE,
                ));
            }
        }
        SuiteId::Signal => {
            let m = SignalMessage::parse(target).expect("genuine signal message");
            let iteration = differ_u32(c.iteration, &[m.iteration]);
            let held: Vec<u32> = [Some(m.chain_id), chain_of(other)]
                .into_iter()
                .flatten()
                .collect();
            let chain_id = differ_u32(c.chain_id, &held);
            let mut distribution_id = c.distribution_id;
            if distribution_id == m.distribution_id {
                distribution_id[0] ^= 1;
            }
            out.push((
                "iteration",
                SignalMessage {
                    iteration,
                    ..m.clone()
                }
                .encode(),
                BAD_SIGNATURE,
            ));
            out.push((
                "chain id",
                SignalMessage {
                    chain_id,
                    ..m.clone()
                }
                .encode(),
                UNKNOWN_KEY,
            ));
            out.push((
                "distribution id",
                SignalMessage {
                    distribution_id,
                    ..m.clone()
                }
                .encode(),
                &["wrong-group"],
            ));
            if let Some(chain_id) = chain_of(other) {
                out.push((
                    "older chain id",
                    SignalMessage { chain_id, ..m }.encode(),
                    BAD_SIGNATURE,
                ));
            }
        }
        SuiteId::Accord => {
            let e = AccordEnvelope::parse(target).expect("genuine accord envelope");
            let iteration = differ_u32(c.iteration, &[e.iteration]);
            let mut key_id = c.fingerprint;
            while key_id == e.key_id || Some(key_id) == fingerprint_of(other) {
                key_id[0] = key_id[0].wrapping_add(1);
            }
            out.push((
                "iteration",
                AccordEnvelope {
                    iteration,
                    ..e.clone()
                }
                .encode(),
                AEAD_OR_WINDOW,
            ));
            out.push((
                "key id",
                AccordEnvelope { key_id, ..e.clone() }.encode(),
                UNKNOWN_KEY,
            ));
            if let Some(key_id) = fingerprint_of(other) {
                out.push((
                    "older key id",
                    AccordEnvelope { key_id, ..e }.encode(),
                    BAD_SIGNATURE,
                ));
            }
        }
        SuiteId::Chatalot => {
            let m = ChatalotMessage::parse(target).expect("genuine chatalot message");
            let iteration = differ_u32(c.iteration, &[m.iteration]);
            let held: Vec<u32> = [Some(m.chain_id), chain_of(other)]
                .into_iter()
                .flatten()
                .collect();
            let chain_id = differ_u32(c.chain_id, &held);
            out.push((
                "iteration",
                ChatalotMessage {
                    iteration,
                    ..m.clone()
                }
                .encode(),
                AEAD_OR_WINDOW,
            ));
            out.push((
                "chain id",
                ChatalotMessage {
                    chain_id,
                    ..m.clone()
                }
                .encode(),
                UNKNOWN_KEY,
            ));
            if let Some(chain_id) = chain_of(other) {
                // Unsigned: the older chain is found, and only its AEAD (or window) stands in the way.
                out.push((
                    "older chain id",
                    ChatalotMessage { chain_id, ..m }.encode(),
                    AEAD_OR_WINDOW,
                ));
            }
        }
        SuiteId::P2p => {
            // The p2p sketch's message names no key: change who and where it claims to be from instead.
            let m = P2pGroupMessage::parse(target).expect("genuine p2p message");
            let iteration = differ_u32(c.iteration, &[m.iteration]);
            let sender_id = MemberId::new(differ_string(&c.sender, m.sender_id.as_str())).expect("valid id");
            let group_id = GroupId::new(differ_string(&c.group, m.group_id.as_str())).expect("valid id");
            out.push((
                "iteration",
                P2pGroupMessage {
                    iteration,
                    ..m.clone()
                }
                .encode(),
                AEAD_OR_WINDOW,
            ));
            out.push((
                "sender id",
                P2pGroupMessage {
                    sender_id,
                    ..m.clone()
                }
                .encode(),
                &["sender-mismatch"],
            ));
            out.push((
                "group id",
                P2pGroupMessage { group_id, ..m }.encode(),
                &["wrong-group"],
            ));
        }
    }
    out
}

fn changed_fields_case(suite: SuiteId, spec: &Spec, changes: &Changes) -> TestResult {
    let mut fixture = fixture(suite, spec);
    let wires = changed_wires(suite, &fixture.target, fixture.other, changes);
    let pair = &mut fixture.pair;
    for (what, wire, reasons) in &wires {
        rejected_with(&mut pair.bob, &pair.alice_id, wire, reasons, || {
            format!("{suite}: {what} changed ({changes:?})")
        })?;
    }
    target_still_decrypts(suite, &mut fixture, spec)
}

proptest! {
    #![proptest_config(config(0x4954_4552, 128))]

    #[test]
    fn changed_iteration_or_key_id_is_rejected(spec in specs(), changes in changes()) {
        for suite in SuiteId::ALL {
            changed_fields_case(suite, &spec, &changes)?;
        }
    }
}

// ----- property 5: mixed streams -----

#[derive(Clone, Debug)]
enum Op {
    /// Deliver Alice's message with this index (= iteration), whether or not it was delivered before.
    Deliver(usize),
    /// Replay one of the messages delivered so far.
    Replay(Index),
    /// Flip one bit of a genuine message.
    Flip(usize, Index),
    /// A message `next + FORWARD_JUMP_MAX + 1` ahead, with a bogus signature and nonce.
    FarFuture([u8; SIGNATURE_BYTES], [u8; AEAD_NONCE_BYTES]),
    /// Random bytes.
    Garbage(Vec<u8>),
    /// A genuine message cut short.
    Truncate(usize, Index),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let index = || prop_oneof![6 => 0..40usize, 1 => 0..2_100usize];
    let op = prop_oneof![
        8 => index().prop_map(Op::Deliver),
        2 => any::<Index>().prop_map(Op::Replay),
        2 => (index(), any::<Index>()).prop_map(|(i, bit)| Op::Flip(i, bit)),
        1 => (prop::array::uniform(any::<u8>()), any::<[u8; AEAD_NONCE_BYTES]>())
            .prop_map(|(signature, nonce)| Op::FarFuture(signature, nonce)),
        1 => prop::collection::vec(any::<u8>(), 0..160).prop_map(Op::Garbage),
        1 => (index(), any::<Index>()).prop_map(|(i, cut)| Op::Truncate(i, cut)),
    ];
    prop::collection::vec(op, 1..60)
}

/// What the window should accept: libsignal's rules as `consts` states them.
#[derive(Default)]
struct Window {
    next: u64,
    skipped: BTreeSet<u32>,
}

impl Window {
    fn accepts(&self, iteration: u32) -> bool {
        let it = u64::from(iteration);
        if it < self.next {
            self.skipped.contains(&iteration)
        } else {
            it - self.next <= u64::from(FORWARD_JUMP_MAX)
        }
    }

    fn accept(&mut self, iteration: u32) {
        let it = u64::from(iteration);
        if it < self.next {
            self.skipped.remove(&iteration);
            return;
        }
        for skipped in self.next..it {
            self.skipped
                .insert(u32::try_from(skipped).expect("below a u32 iteration"));
        }
        while self.skipped.len() > SKIPPED_KEYS_MAX {
            self.skipped.pop_first();
        }
        self.next = it + 1;
    }
}

/// A far-future message in `suite`'s typed codec, built from a genuine one.
fn far_future(
    suite: SuiteId,
    genuine: &[u8],
    iteration: u32,
    signature: [u8; SIGNATURE_BYTES],
    nonce: [u8; AEAD_NONCE_BYTES],
) -> Vec<u8> {
    match suite {
        SuiteId::Accord => {
            let e = AccordEnvelope::parse(genuine).expect("genuine");
            AccordEnvelope {
                iteration,
                iv: nonce,
                signature,
                ..e
            }
            .encode()
        }
        SuiteId::Chatalot => {
            let m = ChatalotMessage::parse(genuine).expect("genuine");
            ChatalotMessage {
                iteration,
                nonce,
                ..m
            }
            .encode()
        }
        SuiteId::P2p => {
            let m = P2pGroupMessage::parse(genuine).expect("genuine");
            P2pGroupMessage {
                iteration,
                nonce,
                signature,
                ..m
            }
            .encode()
        }
        SuiteId::Signal => {
            let m = SignalMessage::parse(genuine).expect("genuine");
            SignalMessage {
                iteration,
                signature,
                ..m
            }
            .encode()
        }
        SuiteId::Hardened => {
            let m = HardenedMessage::parse(genuine).expect("genuine");
            HardenedMessage {
                iteration,
                nonce,
                signature,
                ..m
            }
            .encode()
        }
    }
}

/// Why a far-future message with a bogus signature is rejected: the signature is checked before the window,
/// except in the unsigned suite.
fn far_future_reason(suite: SuiteId) -> &'static str {
    match suite {
        SuiteId::Chatalot => "too-far-ahead",
        SuiteId::P2p => "no-verifying-key",
        SuiteId::Accord | SuiteId::Signal | SuiteId::Hardened => "bad-signature",
    }
}

/// Alice's messages "m0", "m1", ..., encrypted on demand.
struct Stream {
    pair: Pair,
    wires: Vec<Vec<u8>>,
}

impl Stream {
    fn message(&mut self, index: usize) -> Vec<u8> {
        while self.wires.len() <= index {
            let text = format!("m{}", self.wires.len());
            let wire = self
                .pair
                .alice
                .encrypt(&mut self.pair.rng, text.as_bytes())
                .expect("encrypt");
            self.wires.push(wire);
        }
        self.wires[index].clone()
    }
}

fn stream_case(suite: SuiteId, seed: u64, ops: &[Op]) -> TestResult {
    let mut s = Stream {
        pair: common::pair(suite, seed),
        wires: Vec::new(),
    };
    let first = s.message(0);
    let mut window = Window::default();
    let mut accepted: BTreeSet<(KeyId, u32)> = BTreeSet::new();
    let mut delivered: Vec<usize> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        let at = || format!("{suite}: step {step} ({op:?})");
        let alice = s.pair.alice_id.clone();
        match op {
            Op::Deliver(i) => {
                let wire = s.message(*i);
                let iteration = iteration_of(*i);
                let expected = window.accepts(iteration);
                let before = s.pair.bob.export();
                match s.pair.bob.decrypt(&alice, &wire) {
                    Ok(d) => {
                        prop_assert!(expected, "{}: accepted outside the window", at());
                        let want = format!("m{i}").into_bytes();
                        prop_assert_eq!(&d.plaintext, &want, "{}", at());
                        prop_assert_eq!(d.iteration, iteration, "{}", at());
                        prop_assert!(
                            accepted.insert((d.key_id, d.iteration)),
                            "{}: ({:?}, {}) accepted twice",
                            at(),
                            d.key_id,
                            d.iteration
                        );
                        window.accept(iteration);
                        delivered.push(*i);
                    }
                    Err(err) => {
                        prop_assert!(
                            !expected,
                            "{}: genuine message inside the window rejected: {}",
                            at(),
                            err
                        );
                        prop_assert_eq!(err.reason(), "duplicate", "{}: {}", at(), err);
                        prop_assert!(
                            s.pair.bob.export() == before,
                            "{}: state changed by {}",
                            at(),
                            err
                        );
                    }
                }
            }
            Op::Replay(which) => {
                if !delivered.is_empty() {
                    let wire = s.message(delivered[which.index(delivered.len())]);
                    rejected_with(&mut s.pair.bob, &alice, &wire, &["duplicate"], at)?;
                }
            }
            Op::Flip(i, bit) => {
                let mut wire = s.message(*i);
                let bit = bit.index(wire.len() * 8);
                wire[bit / 8] ^= 1 << (bit % 8);
                rejected(&mut s.pair.bob, &alice, &wire, at)?;
            }
            Op::FarFuture(signature, nonce) => {
                let next = window.next + u64::from(FORWARD_JUMP_MAX) + 1;
                let iteration = u32::try_from(next).expect("small test iterations");
                let wire = far_future(suite, &first, iteration, *signature, *nonce);
                rejected_with(&mut s.pair.bob, &alice, &wire, &[far_future_reason(suite)], at)?;
            }
            Op::Garbage(bytes) => {
                rejected(&mut s.pair.bob, &alice, bytes, at)?;
            }
            Op::Truncate(i, cut) => {
                let wire = s.message(*i);
                let cut = cut.index(wire.len());
                rejected(&mut s.pair.bob, &alice, &wire[..cut], at)?;
            }
        }
        let (next, skipped) = bob_position(&s.pair).expect("bob holds alice's key");
        prop_assert!(
            skipped <= SKIPPED_KEYS_MAX,
            "{}: {} skipped keys cached",
            at(),
            skipped
        );
        prop_assert_eq!(
            next,
            window.next,
            "{}: chain position differs from the model",
            at()
        );
        prop_assert_eq!(
            skipped,
            window.skipped.len(),
            "{}: cache size differs from the model",
            at()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(0x5354_524d, 32))]

    #[test]
    fn mixed_streams_keep_every_invariant(seed in any::<u64>(), ops in ops()) {
        for suite in SuiteId::ALL {
            stream_case(suite, seed, &ops)?;
        }
    }
}

// ----- property 6: wire round trips -----

/// Parses a message with its suite's typed codec, re-encodes it, and returns (key id, iteration) as the
/// wire states them (`None` for the p2p sketch, which carries no key id).
fn message_round_trip(suite: SuiteId, wire: &[u8]) -> Result<(Option<KeyId>, u32), TestCaseError> {
    let bad = |e: Error| {
        fail(format!(
            "{suite}: own message does not parse: {e}; wire {}",
            show(wire)
        ))
    };
    let (encoded, key, iteration) = match suite {
        SuiteId::Accord => {
            let e = AccordEnvelope::parse(wire).map_err(bad)?;
            (e.encode(), Some(KeyId::Fingerprint(e.key_id)), e.iteration)
        }
        SuiteId::Chatalot => {
            let m = ChatalotMessage::parse(wire).map_err(bad)?;
            (m.encode(), Some(KeyId::Chain(m.chain_id)), m.iteration)
        }
        SuiteId::P2p => {
            let m = P2pGroupMessage::parse(wire).map_err(bad)?;
            prop_assert_eq!(m.group_id.as_str(), "test-group", "{}", suite);
            prop_assert_eq!(m.sender_id.as_str(), "alice", "{}", suite);
            (m.encode(), None, m.iteration)
        }
        SuiteId::Signal => {
            let m = SignalMessage::parse(wire).map_err(bad)?;
            let unsigned = m.encode_unsigned();
            prop_assert_eq!(
                unsigned.as_slice(),
                &wire[..wire.len() - SIGNATURE_BYTES],
                "{}",
                suite
            );
            (m.encode(), Some(KeyId::Chain(m.chain_id)), m.iteration)
        }
        SuiteId::Hardened => {
            let m = HardenedMessage::parse(wire).map_err(bad)?;
            let unsigned = m.encode_unsigned();
            prop_assert_eq!(
                unsigned.as_slice(),
                &wire[..wire.len() - SIGNATURE_BYTES],
                "{}",
                suite
            );
            (m.encode(), Some(KeyId::Chain(m.key_id)), m.iteration)
        }
    };
    prop_assert!(
        encoded == wire,
        "{}: encode(parse(wire)) differs:\n  wire {}\n  re-encoded {}",
        suite,
        show(wire),
        show(&encoded)
    );
    Ok((key, iteration))
}

fn distribution_round_trip(suite: SuiteId, wire: &[u8]) -> TestResult {
    let bad = |e: Error| fail(format!("{suite}: own distribution does not parse: {e}"));
    let encoded = match suite {
        SuiteId::Accord => AccordDistribution::parse(wire).map_err(bad)?.encode(),
        SuiteId::Chatalot => ChatalotDistribution::parse(wire).map_err(bad)?.encode(),
        SuiteId::P2p => P2pDistribution::parse(wire).map_err(bad)?.encode(),
        SuiteId::Signal => SignalDistribution::parse(wire).map_err(bad)?.encode(),
        SuiteId::Hardened => HardenedDistribution::parse(wire).map_err(bad)?.encode(),
    };
    prop_assert!(encoded == wire, "{}: distribution re-encodes differently", suite);
    Ok(())
}

fn round_trip_case(suite: SuiteId, seed: u64, plan: &[(Vec<u8>, bool)]) -> TestResult {
    let mut pair = common::pair(suite, seed);
    distribution_round_trip(suite, &pair.distribution)?;
    for (plaintext, rotate) in plan {
        if *rotate {
            let distribution = pair.alice.create_sender_key(&mut pair.rng).expect("rotate");
            distribution_round_trip(suite, &distribution)?;
            pair.bob
                .process_distribution(&pair.alice_id, &distribution)
                .expect("install");
        }
        let expected_iteration = pair.alice.own_sender_key().expect("own key").next_iteration();
        let wire = pair.alice.encrypt(&mut pair.rng, plaintext).expect("encrypt");
        let (key, iteration) = message_round_trip(suite, &wire)?;
        prop_assert_eq!(
            u64::from(iteration),
            expected_iteration,
            "{}: iteration on the wire",
            suite
        );
        if let Some(key) = key {
            prop_assert_eq!(key, current_key(&pair), "{}: key id on the wire", suite);
        }
        let d = pair
            .bob
            .decrypt(&pair.alice_id, &wire)
            .map_err(|e| fail(format!("{suite}: own message rejected: {e}")))?;
        prop_assert_eq!(&d.plaintext, plaintext, "{}", suite);
        prop_assert_eq!(d.key_id, current_key(&pair), "{}", suite);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(0x5749_5245, 64))]

    #[test]
    fn every_message_alice_produces_round_trips_through_its_codec(
        seed in any::<u64>(),
        plan in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..600), prop::bool::weighted(0.15)),
            1..12,
        ),
    ) {
        for suite in SuiteId::ALL {
            round_trip_case(suite, seed, &plan)?;
        }
    }
}
