//! Every rejection reason a peer can trigger leaves the receiver's state byte-identical, and the next genuine
//! message still decrypts afterwards.
//!
//! The usual shape: Alice sends m0 and m1, Bob decrypts m0; a bad input (usually derived from m1) is rejected
//! with an exact reason and an unchanged export; then the genuine m1 decrypts to "m1".

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Pair, group, member, pair};
use senderkeys::SigningKeyPair;
use senderkeys::consts::{SENDER_STATES_MAX, WIRE_BYTES_MAX};
use senderkeys::wire::accord::AccordEnvelope;
use senderkeys::wire::hardened::{HardenedDistribution, HardenedMessage};
use senderkeys::wire::p2p::{P2pDistribution, P2pGroupMessage};
use senderkeys::wire::signal::{SignalDistribution, SignalMessage};
use senderkeys::{GroupId, GroupSession, MemberId, SuiteId};
use serde_json::{Value, json};

use SuiteId::{Accord, Chatalot, Hardened, P2p, Signal};

// ----- helpers -----

/// Alice has sent m0 and m1 and Bob has decrypted m0. Returns the pair and m1, the next genuine message.
fn started(suite: SuiteId, seed: u64) -> (Pair, Vec<u8>) {
    let mut p = pair(suite, seed);
    let wires = p.send(2);
    assert_eq!(
        p.receive(&wires[0]).map_err(|e| e.reason()),
        Ok("m0".to_owned()),
        "{suite}"
    );
    let m1 = wires[1].clone();
    (p, m1)
}

/// Bob rejects `bad` from Alice with `reason` (via [`Pair::assert_rejected`]: exact reason, byte-identical
/// export). A clone answers first so that a failure names the suite and the input.
fn reject(p: &mut Pair, suite: SuiteId, bad: &[u8], reason: &str) {
    let outcome = p
        .bob
        .clone()
        .decrypt(&p.alice_id, bad)
        .map(|d| d.plaintext)
        .map_err(|e| e.reason());
    assert_eq!(outcome, Err(reason), "{suite}: input {}", preview(bad));
    p.assert_rejected(bad, reason);
}

/// Bob decrypts `wire` from Alice to exactly `expected`.
fn accept(p: &mut Pair, suite: SuiteId, wire: &[u8], expected: &str) {
    assert_eq!(
        p.receive(wire).map_err(|e| e.reason()),
        Ok(expected.to_owned()),
        "{suite}"
    );
}

/// The common case: every input `make` builds from m1 is rejected with `reason`, then m1 decrypts.
fn check(suite: SuiteId, seed: u64, reason: &str, make: impl FnOnce(&mut Pair, &[u8]) -> Vec<Vec<u8>>) {
    let (mut p, m1) = started(suite, seed);
    let inputs = make(&mut p, &m1);
    assert!(!inputs.is_empty(), "{suite}: no inputs for {reason}");
    for bad in &inputs {
        reject(&mut p, suite, bad, reason);
    }
    accept(&mut p, suite, &m1, "m1");
}

/// `session` rejects `wire` from `from` with `reason` and its export is byte-identical afterwards.
fn reject_from(session: &mut GroupSession, from: &MemberId, wire: &[u8], reason: &str) {
    let before = session.export();
    let err = session.decrypt(from, wire).expect_err("input must be rejected");
    assert_eq!(err.reason(), reason, "{}: {err}", session.suite());
    assert_eq!(
        session.export(),
        before,
        "{}: state changed after {err}",
        session.suite()
    );
}

/// `session` rejects the distribution `wire` from `from` with `reason`; its export is byte-identical afterwards.
fn reject_distribution(session: &mut GroupSession, from: &MemberId, wire: &[u8], reason: &str) {
    let before = session.export();
    let err = session
        .process_distribution(from, wire)
        .expect_err("distribution must be rejected");
    assert_eq!(
        err.reason(),
        reason,
        "{}: {err} (input {})",
        session.suite(),
        preview(wire)
    );
    assert_eq!(
        session.export(),
        before,
        "{}: state changed after {err}",
        session.suite()
    );
}

fn preview(bytes: &[u8]) -> String {
    hex::encode(&bytes[..bytes.len().min(24)])
}

fn other_group() -> GroupId {
    GroupId::new("another-group").expect("valid group id")
}

/// A JSON wire message with `edit` applied.
fn edit_json(wire: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(wire).expect("JSON wire message");
    edit(&mut value);
    serde_json::to_vec(&value).expect("serialize")
}

/// `bytes` with `xor` applied to the byte at `at` (negative counts from the end).
fn flipped(bytes: &[u8], at: isize, xor: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let index = if at < 0 {
        out.len() - at.unsigned_abs()
    } else {
        at.unsigned_abs()
    };
    out[index] ^= xor;
    out
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A session that encrypts with Alice's signing key and key id but from an edited copy of her own state
/// (another chain key, another position). Its messages are validly signed by Alice's key.
fn forger(alice: &GroupSession, edit: impl FnOnce(&mut Value)) -> GroupSession {
    let mut state: Value = serde_json::from_slice(&alice.export()).expect("export is JSON");
    edit(&mut state["own"]);
    GroupSession::import(&serde_json::to_vec(&state).expect("serialize")).expect("edited state imports")
}

// ----- malformed, bad-length, unsupported-version, too-large -----

/// Inputs that parse as nothing (garbage, a JSON field of the wrong type, a protobuf with a bad wire type, ...).
fn malformed_inputs(suite: SuiteId, m1: &[u8]) -> Vec<Vec<u8>> {
    match suite {
        Accord => vec![
            b"not json".to_vec(),
            b"[1,2,3]".to_vec(),
            edit_json(m1, |v| v["i"] = json!("1")),
            edit_json(m1, |v| v["sk"] = json!(7)),
        ],
        Chatalot => vec![
            b"{\"v\":1,".to_vec(),
            edit_json(m1, |v| v["message"]["iteration"] = json!("1")),
            edit_json(m1, |v| v["sk"] = json!(false)),
        ],
        // Field 3 (iteration, a varint) sent length-delimited; then a lone tag with wire type 7.
        P2p => vec![concat(&[m1, &[0x1a, 0x00]]), vec![0x0f], b"\x00garbage".to_vec()],
        Signal => {
            let mut message = SignalMessage::parse(m1).expect("genuine");
            message.ciphertext.push(0);
            vec![concat(&[&[0x33, 0x0f], &[0; 64]]), message.encode()]
        }
        // A trailing byte; an unknown kind byte; an unknown suite byte.
        Hardened => vec![concat(&[m1, &[0]]), flipped(m1, 1, 0x06), flipped(m1, 2, 0x03)],
    }
}

#[test]
fn malformed_every_suite() {
    for (suite, i) in SuiteId::ALL.into_iter().zip(0u64..) {
        check(suite, 100 + i, "malformed", |_, m1| malformed_inputs(suite, m1));
    }
}

/// Inputs with a field of the wrong length (a truncated signature, nonce or ciphertext).
fn bad_length_inputs(suite: SuiteId, m1: &[u8]) -> Vec<Vec<u8>> {
    match suite {
        Accord => vec![
            edit_json(m1, |v| v["sig"] = json!(BASE64.encode([7; 63]))),
            edit_json(m1, |v| v["iv"] = json!(BASE64.encode([7; 11]))),
        ],
        Chatalot => vec![
            edit_json(m1, |v| v["message"]["nonce"] = json!(vec![1u8; 11])),
            edit_json(m1, |v| v["message"]["ciphertext"] = json!(vec![1u8; 15])),
        ],
        P2p => {
            // The signature is the last field: tag 0x32, length 64. Declare and keep 63 bytes.
            let at = m1.len() - 66;
            assert_eq!(m1[at..at + 2], [0x32, 0x40], "p2p signature field is last");
            let mut truncated = m1[..m1.len() - 1].to_vec();
            truncated[at + 1] = 0x3f;
            let mut message = P2pGroupMessage::parse(m1).expect("genuine");
            message.ciphertext.truncate(15);
            vec![truncated, message.encode()]
        }
        Signal => {
            let mut message = SignalMessage::parse(m1).expect("genuine");
            message.ciphertext.truncate(0);
            vec![concat(&[&[0x33], &[9; 63]]), message.encode(), Vec::new()]
        }
        // A truncated signature; a nonce length of 11.
        Hardened => vec![m1[..m1.len() - 1].to_vec(), flipped(m1, 11, 12 ^ 11)],
    }
}

#[test]
fn bad_length_every_suite() {
    for (suite, i) in SuiteId::ALL.into_iter().zip(0u64..) {
        check(suite, 200 + i, "bad-length", |_, m1| bad_length_inputs(suite, m1));
    }
}

/// m1 declaring the next version (the p2p sketch's protobuf has no version).
fn next_version(suite: SuiteId, m1: &[u8]) -> Vec<u8> {
    match suite {
        Accord | Chatalot => edit_json(m1, |v| v["v"] = json!(2)),
        Signal => flipped(m1, 0, 0x33 ^ 0x43),
        Hardened => flipped(m1, 0, 1 ^ 2),
        P2p => unreachable!("p2p messages carry no version"),
    }
}

#[test]
fn unsupported_version() {
    for (suite, i) in [Accord, Chatalot, Signal, Hardened].into_iter().zip(0u64..) {
        check(suite, 300 + i, "unsupported-version", |_, m1| {
            vec![next_version(suite, m1)]
        });
    }
}

#[test]
fn too_large_every_suite() {
    for (suite, i) in SuiteId::ALL.into_iter().zip(0u64..) {
        check(suite, 400 + i, "too-large", |_, m1| {
            let mut padded = m1.to_vec();
            padded.resize(WIRE_BYTES_MAX + 1, b' ');
            vec![vec![0x33; WIRE_BYTES_MAX + 1], padded]
        });
    }
}

// ----- signatures -----

#[test]
fn flipped_signature_bit_is_bad_signature() {
    let accord = |m1: &[u8]| {
        let mut envelope = AccordEnvelope::parse(m1).expect("genuine");
        envelope.signature[0] ^= 1;
        envelope.encode()
    };
    check(Accord, 500, "bad-signature", |_, m1| vec![accord(m1)]);
    for (suite, i) in [Signal, Hardened].into_iter().zip(0u64..) {
        check(suite, 501 + i, "bad-signature", |_, m1| {
            vec![flipped(m1, -64, 1), flipped(m1, -1, 0x40)]
        });
    }
}

#[test]
fn signed_fields_tampered_are_bad_signature() {
    // Accord signs iv ‖ ct; Signal and hardened sign every byte before the signature.
    let accord = |m1: &[u8]| {
        let mut envelope = AccordEnvelope::parse(m1).expect("genuine");
        envelope.iv[0] ^= 1;
        let mut tampered_ct = envelope.clone();
        tampered_ct.ciphertext[0] ^= 1;
        vec![envelope.encode(), tampered_ct.encode()]
    };
    check(Accord, 510, "bad-signature", |_, m1| accord(m1));
    check(Signal, 511, "bad-signature", |_, m1| {
        let mut message = SignalMessage::parse(m1).expect("genuine");
        message.ciphertext[0] ^= 1;
        let tampered_ct = message.encode();
        message.ciphertext[0] ^= 1;
        message.iteration += 1;
        vec![tampered_ct, message.encode()]
    });
    check(Hardened, 512, "bad-signature", |_, m1| {
        let mut message = HardenedMessage::parse(m1).expect("genuine");
        message.iteration += 1;
        vec![message.encode(), flipped(m1, 20, 1), flipped(m1, -65, 1)]
    });
}

#[test]
fn p2p_flipped_signature_bit_is_no_verifying_key() {
    check(P2p, 520, "no-verifying-key", |_, m1| {
        let mut message = P2pGroupMessage::parse(m1).expect("genuine");
        message.signature[0] ^= 1;
        let flipped_signature = message.encode();
        message.signature[0] ^= 1;
        message.ciphertext[0] ^= 1;
        vec![flipped_signature, message.encode()]
    });
}

// ----- decryption-failed -----

#[test]
fn chatalot_flipped_ciphertext_is_decryption_failed() {
    check(Chatalot, 600, "decryption-failed", |_, m1| {
        let flip = |v: &mut Value| {
            let byte = v["message"]["ciphertext"][0].as_u64().expect("byte");
            v["message"]["ciphertext"][0] = json!(byte ^ 1);
        };
        vec![
            edit_json(m1, flip),
            edit_json(m1, |v| v["message"]["nonce"][0] = json!(0xffu8)),
        ]
    });
}

#[test]
fn signed_by_sender_but_wrong_chain_key_is_decryption_failed() {
    for (suite, i) in SuiteId::ALL.into_iter().filter(|s| s.is_signed()).zip(0u64..) {
        check(suite, 610 + i, "decryption-failed", |p, _| {
            let mut forged = forger(&p.alice, |own| own["chain_key"] = json!(hex::encode([0x5c; 32])));
            vec![forged.encrypt(&mut p.rng, b"forged").expect("encrypt")]
        });
    }
}

#[test]
fn unsigned_fields_tampered_are_decryption_failed() {
    // Accord signs only iv ‖ ct, not the iteration `i`.
    check(Accord, 620, "decryption-failed", |_, m1| {
        vec![edit_json(m1, |v| v["i"] = json!(2))]
    });
    // The p2p sketch signs only the ciphertext: neither the iteration nor the nonce.
    check(P2p, 621, "decryption-failed", |_, m1| {
        let mut message = P2pGroupMessage::parse(m1).expect("genuine");
        message.iteration += 1;
        let other_iteration = message.encode();
        message.iteration -= 1;
        message.nonce[0] ^= 1;
        vec![other_iteration, message.encode()]
    });
}

// ----- duplicate -----

#[test]
fn replay_is_duplicate_every_suite() {
    for (suite, i) in SuiteId::ALL.into_iter().zip(0u64..) {
        let mut p = pair(suite, 700 + i);
        let wires = p.send(3);
        accept(&mut p, suite, &wires[0], "m0");
        accept(&mut p, suite, &wires[2], "m2");
        reject(&mut p, suite, &wires[0], "duplicate");
        reject(&mut p, suite, &wires[2], "duplicate");
        accept(&mut p, suite, &wires[1], "m1");
        reject(&mut p, suite, &wires[1], "duplicate");
    }
}

#[test]
fn evicted_iteration_is_duplicate_every_suite() {
    for (suite, i) in SuiteId::ALL.into_iter().zip(0u64..) {
        let mut p = pair(suite, 710 + i);
        let wires = p.send(2_002);
        // Skips 0..=2000: 2,001 keys, one more than the cache holds, so iteration 0 is evicted.
        accept(&mut p, suite, &wires[2_001], "m2001");
        reject(&mut p, suite, &wires[0], "duplicate");
        accept(&mut p, suite, &wires[1], "m1");
    }
}

// ----- too-far-ahead, unknown-key, unknown-sender -----

#[test]
fn too_far_ahead_every_suite() {
    for (suite, i) in SuiteId::ALL.into_iter().zip(0u64..) {
        // Bob expects iteration 1; Alice's own key moved to iteration 25,002 is 25,001 steps ahead.
        check(suite, 800 + i, "too-far-ahead", |p, _| {
            let mut ahead = forger(&p.alice, |own| own["next"] = json!(25_002));
            let message = ahead.encrypt_detailed(&mut p.rng, b"far").expect("encrypt");
            assert_eq!(message.iteration, 25_002, "{suite}");
            vec![message.wire]
        });
    }
}

#[test]
fn message_under_unreceived_key_is_unknown_key() {
    for (suite, i) in SuiteId::ALL.into_iter().zip(0u64..) {
        let (mut p, m1) = started(suite, 810 + i);
        let rotated = p.alice.create_sender_key(&mut p.rng).expect("rotate");
        let n0 = p.alice.encrypt(&mut p.rng, b"n0").expect("encrypt");
        // The p2p sketch's messages name no key: no retained signing key verifies the message.
        let reason = if suite == P2p {
            "no-verifying-key"
        } else {
            "unknown-key"
        };
        reject(&mut p, suite, &n0, reason);
        accept(&mut p, suite, &m1, "m1");
        p.bob
            .process_distribution(&p.alice_id, &rotated)
            .expect("new key installs");
        accept(&mut p, suite, &n0, "n0");
    }
}

#[test]
fn message_from_member_without_key_is_unknown_sender() {
    for (suite, i) in SuiteId::ALL.into_iter().zip(0u64..) {
        let (mut p, m1) = started(suite, 820 + i);
        let carol_id = member("carol");
        let mut carol = GroupSession::new(suite, group(), carol_id.clone());
        carol.create_sender_key(&mut p.rng).expect("create");
        let c0 = carol.encrypt(&mut p.rng, b"c0").expect("encrypt");
        reject_from(&mut p.bob, &carol_id, &c0, "unknown-sender");
        // A sender Bob forgot is unknown too.
        let mut forgetful = p.bob.clone();
        forgetful.forget_sender(&p.alice_id);
        assert_eq!(forgetful.receiver_states(&p.alice_id).count(), 0, "{suite}");
        reject_from(&mut forgetful, &p.alice_id, &m1, "unknown-sender");
        accept(&mut p, suite, &m1, "m1");
    }
}

// ----- wrong-group, sender-mismatch -----

#[test]
fn message_for_another_group_is_wrong_group() {
    check(P2p, 900, "wrong-group", |_, m1| {
        let mut message = P2pGroupMessage::parse(m1).expect("genuine");
        message.group_id = other_group();
        vec![message.encode()]
    });
    check(Signal, 901, "wrong-group", |p, _| {
        let mut elsewhere = GroupSession::new(Signal, other_group(), p.alice_id.clone());
        elsewhere.create_sender_key(&mut p.rng).expect("create");
        vec![elsewhere.encrypt(&mut p.rng, b"elsewhere").expect("encrypt")]
    });
}

#[test]
fn distribution_for_another_group_is_wrong_group() {
    for (suite, i) in [Accord, P2p, Signal].into_iter().zip(0u64..) {
        let (mut p, m1) = started(suite, 910 + i);
        let mut elsewhere = GroupSession::new(suite, other_group(), p.alice_id.clone());
        let distribution = elsewhere.create_sender_key(&mut p.rng).expect("create");
        reject_distribution(&mut p.bob, &p.alice_id, &distribution, "wrong-group");
        accept(&mut p, suite, &m1, "m1");
    }
}

#[test]
fn p2p_message_naming_another_sender_is_sender_mismatch() {
    check(P2p, 920, "sender-mismatch", |_, m1| {
        let mut message = P2pGroupMessage::parse(m1).expect("genuine");
        message.sender_id = member("carol");
        vec![message.encode()]
    });
}

#[test]
fn distribution_naming_another_sender_is_sender_mismatch() {
    for (suite, i) in [Accord, Chatalot, P2p].into_iter().zip(0u64..) {
        let (mut p, m1) = started(suite, 930 + i);
        // Carol relays Alice's distribution as her own; and Alice's channel carries one naming Carol.
        let mut carol = GroupSession::new(suite, group(), member("carol"));
        let carols = carol.create_sender_key(&mut p.rng).expect("create");
        let alices = p.distribution.clone();
        reject_distribution(&mut p.bob, &member("carol"), &alices, "sender-mismatch");
        reject_distribution(&mut p.bob, &p.alice_id, &carols, "sender-mismatch");
        accept(&mut p, suite, &m1, "m1");
    }
}

// ----- distributions: key-conflict, stale, parse failures -----

#[test]
fn distribution_reusing_key_id_with_other_signing_key_is_key_conflict() {
    for (suite, i) in [Signal, Hardened].into_iter().zip(0u64..) {
        let (mut p, m1) = started(suite, 1000 + i);
        let other = SigningKeyPair::generate(&mut p.rng).public().to_bytes();
        let conflicting = if suite == Signal {
            let mut d = SignalDistribution::parse(&p.distribution).expect("genuine");
            d.signing_key = other;
            d.encode()
        } else {
            let mut d = HardenedDistribution::parse(&p.distribution).expect("genuine");
            d.signing_public_key = other;
            d.encode()
        };
        reject_distribution(&mut p.bob, &p.alice_id, &conflicting, "key-conflict");
        accept(&mut p, suite, &m1, "m1");
    }
}

#[test]
fn stale_distribution_is_a_no_op_that_does_not_rewind() {
    for (suite, i) in SuiteId::ALL.into_iter().zip(0u64..) {
        let mut p = pair(suite, 1010 + i);
        let wires = p.send(4);
        for (n, wire) in wires[..3].iter().enumerate() {
            accept(&mut p, suite, wire, &format!("m{n}"));
        }
        let before = p.bob.export();
        let key_id = p
            .bob
            .process_distribution(&p.alice_id, &p.distribution.clone())
            .expect("stale is ok");
        assert_eq!(
            Some(key_id),
            p.alice.own_sender_key().map(|k| k.key_id()),
            "{suite}"
        );
        assert_eq!(
            p.bob.export(),
            before,
            "{suite}: stale distribution changed the state"
        );
        for wire in &wires[..3] {
            reject(&mut p, suite, wire, "duplicate");
        }
        accept(&mut p, suite, &wires[3], "m3");
    }
}

/// Distributions every suite's parser refuses, with the reason.
fn bad_distributions(suite: SuiteId, genuine: &[u8]) -> Vec<(Vec<u8>, &'static str)> {
    let mut cases = vec![(vec![b'{'; WIRE_BYTES_MAX + 1], "too-large")];
    match suite {
        Accord => cases.extend([
            (b"skdm".to_vec(), "malformed"),
            (edit_json(genuine, |v| v["type"] = json!("hello")), "malformed"),
            (
                edit_json(genuine, |v| v["ck"] = json!(BASE64.encode([1; 31]))),
                "bad-length",
            ),
        ]),
        Chatalot => cases.extend([
            (b"[]".to_vec(), "malformed"),
            (
                edit_json(genuine, |v| v["chain_key"] = json!(vec![1u8; 31])),
                "bad-length",
            ),
        ]),
        P2p => {
            let mut d = P2pDistribution::parse(genuine).expect("genuine");
            d.signature[0] ^= 1;
            let bad_signature = d.encode();
            d.encrypted_sender_key.clear();
            cases.extend([
                (vec![0x0f], "malformed"),
                (bad_signature, "bad-signature"),
                (d.encode(), "bad-length"),
            ]);
        }
        Signal => cases.extend([
            (vec![0x33, 0x0f], "malformed"),
            (flipped(genuine, 0, 0x33 ^ 0x43), "unsupported-version"),
            (Vec::new(), "bad-length"),
        ]),
        Hardened => cases.extend([
            (flipped(genuine, 1, 0x02 ^ 0x01), "malformed"),
            (flipped(genuine, 0, 1 ^ 2), "unsupported-version"),
            (genuine[..genuine.len() - 1].to_vec(), "bad-length"),
        ]),
    }
    cases
}

#[test]
fn rejected_distribution_leaves_state_unchanged() {
    for (suite, i) in SuiteId::ALL.into_iter().zip(0u64..) {
        let (mut p, m1) = started(suite, 1020 + i);
        let rotated = p.alice.create_sender_key(&mut p.rng).expect("rotate");
        for (bad, reason) in bad_distributions(suite, &rotated) {
            reject_distribution(&mut p.bob, &p.alice_id, &bad, reason);
        }
        accept(&mut p, suite, &m1, "m1");
    }
}

// ----- API misuse -----

#[test]
fn encrypt_before_create_sender_key_is_no_own_sender_key() {
    for suite in SuiteId::ALL {
        let mut session = GroupSession::new(suite, group(), member("alice"));
        let before = session.export();
        let err = session
            .encrypt(&mut common::rng(1100), b"hi")
            .expect_err("no key yet");
        assert_eq!(err.reason(), "no-own-sender-key", "{suite}");
        assert!(
            err.api_misuse().is_some(),
            "{suite}: misuse is not the peer's fault"
        );
        let err = session.distribution().expect_err("no key yet");
        assert_eq!(err.reason(), "no-own-sender-key", "{suite}");
        assert_eq!(session.export(), before, "{suite}");
    }
}

/// Alice rotates `n` times; Bob installs every new key. Returns the distributions in order.
fn rotate(p: &mut Pair, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|_| {
            let dist = p.alice.create_sender_key(&mut p.rng).expect("rotate");
            p.bob
                .process_distribution(&p.alice_id, &dist)
                .expect("install rotated key");
            dist
        })
        .collect()
}

#[test]
fn retired_key_cannot_be_reinstalled_every_suite() {
    for suite in SuiteId::ALL {
        let mut p = pair(suite, 61);
        let m0 = p.send(1).remove(0);
        assert_eq!(p.receive(&m0).unwrap(), "m0", "{suite}");
        rotate(&mut p, SENDER_STATES_MAX);
        let first = p.distribution.clone();
        let (bob, alice_id) = (&mut p.bob, p.alice_id.clone());
        reject_distribution(bob, &alice_id, &first, "retired-key");
        let replay = p
            .bob
            .decrypt(&p.alice_id, &m0)
            .expect_err("m0 must not decrypt again");
        let expected = if suite == P2p {
            "no-verifying-key"
        } else {
            "unknown-key"
        };
        assert_eq!(replay.reason(), expected, "{suite}: {replay}");
    }
}

#[test]
fn forgotten_sender_keys_are_retired() {
    for suite in SuiteId::ALL {
        let mut p = pair(suite, 62);
        let m0 = p.send(1).remove(0);
        p.bob.forget_sender(&p.alice_id);
        assert_eq!(p.bob.senders().count(), 0, "{suite}");
        assert_eq!(
            p.bob.decrypt(&p.alice_id, &m0).unwrap_err().reason(),
            "unknown-sender",
            "{suite}"
        );
        let (bob, alice_id, first) = (&mut p.bob, p.alice_id.clone(), p.distribution.clone());
        reject_distribution(bob, &alice_id, &first, "retired-key");
        // A fresh key from the same sender is welcome.
        rotate(&mut p, 1);
        let m1 = p.send(1).remove(0);
        assert_eq!(p.receive(&m1).unwrap(), "m0", "{suite}");
    }
}

#[test]
fn chatalot_distribution_with_another_chain_key_is_key_conflict() {
    let mut p = pair(Chatalot, 63);
    let (alice_id, genuine) = (p.alice_id.clone(), p.distribution.clone());
    let forged = edit_json(&genuine, |v| v["chain_key"] = json!(vec![7u8; 32]));
    reject_distribution(&mut p.bob, &alice_id, &forged, "key-conflict");
    // Ahead of Bob's position, the genuine chain key at that iteration agrees (a no-op); a wrong one conflicts.
    let m0 = p.send(1).remove(0);
    let ahead = p.alice.distribution().unwrap();
    let before = p.bob.export();
    p.bob
        .process_distribution(&alice_id, &ahead)
        .expect("genuine distribution one step ahead agrees");
    assert_eq!(p.bob.export(), before);
    let forged_ahead = edit_json(&ahead, |v| v["chain_key"] = json!(vec![9u8; 32]));
    reject_distribution(&mut p.bob, &alice_id, &forged_ahead, "key-conflict");
    assert_eq!(p.receive(&m0).unwrap(), "m0");
    // Behind Bob's position the chain cannot be walked back: a re-sent distribution is a no-op.
    let before = p.bob.export();
    p.bob
        .process_distribution(&alice_id, &forged)
        .expect("behind the receiver: unverifiable, no-op");
    assert_eq!(p.bob.export(), before);
}
