//! The memo of pure work (`senderkeys::memo`) answers exactly what the functions it remembers would answer:
//! input for input, for valid and invalid inputs, across collisions in its tables, and inside sessions.

mod common;

use common::{group, member, rng};
use rand_core::Rng;
use senderkeys::consts::{MEMO_CHAIN_STEP_SLOTS, MEMO_PUBLIC_KEY_SLOTS, MEMO_VERDICT_SLOTS};
use senderkeys::{ChainKey, Kdf};
use senderkeys::{GroupSession, MemberId, Memo, SharedMemo, SigningKeyPair, SuiteId};

/// `bytes` with the little-endian u64 of its first eight bytes increased by `by`: the memo's slot of the
/// result moves by `by` modulo the table size.
fn shift_slot(bytes: &[u8], by: u64) -> Vec<u8> {
    let mut shifted = bytes.to_vec();
    let word = u64::from_le_bytes(bytes[..8].try_into().expect("eight bytes")).wrapping_add(by);
    shifted[..8].copy_from_slice(&word.to_le_bytes());
    shifted
}

#[test]
fn a_verdict_is_reused_only_for_the_same_key_message_and_signature() {
    let mut rng = rng(1);
    let signer = SigningKeyPair::generate(&mut rng);
    let other = SigningKeyPair::generate(&mut rng);
    let signature = signer.sign(b"message");
    let mut memo = Memo::new();

    assert!(memo.verify(&signer.public(), b"message", &signature));
    assert!(!memo.verify(&signer.public(), b"messagE", &signature));
    assert!(!memo.verify(&other.public(), b"message", &signature));
    assert_eq!(memo.stats().verifications_performed, 3);
    assert_eq!(memo.stats().verifications_memoised, 0);

    // Asked again: the same answers, without verifying. (The three inputs share a slot — the same signature —
    // so only the last one is still held; the others are verified again and give the same verdicts.)
    assert!(!memo.verify(&other.public(), b"message", &signature));
    assert_eq!(memo.stats().verifications_memoised, 1);
    assert!(memo.verify(&signer.public(), b"message", &signature));
    assert!(memo.verify(&signer.public(), b"message", &signature));
    assert_eq!(memo.stats().verifications_performed, 4);
    assert_eq!(memo.stats().verifications_memoised, 2);
}

#[test]
fn the_verdict_table_has_exactly_its_slots_and_a_collision_only_costs_a_verification() {
    let mut rng = rng(2);
    let signer = SigningKeyPair::generate(&mut rng);
    let key = signer.public();
    let signature = signer.sign(b"message");
    let slots = u64::try_from(MEMO_VERDICT_SLOTS).expect("fits");
    let colliding: [u8; 64] = shift_slot(&signature, slots).try_into().expect("same length");
    let neighbour: [u8; 64] = shift_slot(&signature, slots - 1).try_into().expect("same length");
    let mut memo = Memo::new();

    // One slot apart (modulo the table size): both stay.
    assert!(memo.verify(&key, b"message", &signature));
    assert!(!memo.verify(&key, b"message", &neighbour));
    assert!(memo.verify(&key, b"message", &signature));
    assert!(!memo.verify(&key, b"message", &neighbour));
    assert_eq!(memo.stats().verifications_performed, 2);

    // Exactly the table size apart: the same slot; each evicts the other and is verified again, correctly.
    for _ in 0..3 {
        assert!(!memo.verify(&key, b"message", &colliding));
        assert!(memo.verify(&key, b"message", &signature));
    }
    assert_eq!(memo.stats().verifications_performed, 2 + 6);
}

#[test]
fn a_chain_step_is_the_kdf_s_and_is_reused_only_for_the_same_family_and_key() {
    let families = [
        SuiteId::Accord.suite().kdf,
        SuiteId::Signal.suite().kdf,
        SuiteId::Chatalot.suite().kdf,
        SuiteId::P2p.suite().kdf,
    ];
    let mut memo = Memo::new();
    let chain_key = ChainKey::from_bytes([9; 32]);
    for kdf in &families {
        for _ in 0..2 {
            let (message_key, next) = memo.chain_step(kdf, &chain_key);
            assert_eq!(message_key, kdf.message_key(&chain_key), "{kdf:?}");
            assert_eq!(next, kdf.next_chain_key(&chain_key), "{kdf:?}");
            assert_eq!(memo.next_chain_key(kdf, &chain_key), next, "{kdf:?}");
        }
    }
    // Same chain key, one slot: every family change evicts (and recomputes); every repeat is memoised.
    let derived = u64::try_from(families.len()).expect("fits");
    assert_eq!(memo.stats().chain_steps_derived, derived);
    assert_eq!(memo.stats().chain_steps_memoised, 3 * derived);

    // `next_chain_key` of a step not held is derived and not remembered.
    let fresh = ChainKey::from_bytes([10; 32]);
    let kdf: &Kdf = &families[0];
    assert_eq!(memo.next_chain_key(kdf, &fresh), kdf.next_chain_key(&fresh));
    assert_eq!(memo.stats().chain_steps_derived, derived);
    memo.chain_step(kdf, &fresh);
    assert_eq!(memo.stats().chain_steps_derived, derived + 1);
}

#[test]
fn the_chain_step_table_has_exactly_its_slots() {
    let kdf = SuiteId::Hardened.suite().kdf;
    let slots = u64::try_from(MEMO_CHAIN_STEP_SLOTS).expect("fits");
    let base = [3u8; 32];
    let colliding: [u8; 32] = shift_slot(&base, slots).try_into().expect("same length");
    let neighbour: [u8; 32] = shift_slot(&base, slots - 1).try_into().expect("same length");
    let (base, colliding, neighbour) = (
        ChainKey::from_bytes(base),
        ChainKey::from_bytes(colliding),
        ChainKey::from_bytes(neighbour),
    );
    let mut memo = Memo::new();
    for _ in 0..2 {
        for key in [&base, &neighbour] {
            assert_eq!(memo.chain_step(&kdf, key).1, kdf.next_chain_key(key));
        }
    }
    assert_eq!(memo.stats().chain_steps_derived, 2);
    for _ in 0..2 {
        for key in [&base, &colliding] {
            assert_eq!(memo.chain_step(&kdf, key).1, kdf.next_chain_key(key));
        }
    }
    // `base` was held: the first ask is memoised, the three after it alternate in one slot.
    assert_eq!(memo.stats().chain_steps_derived, 2 + 3);
}

#[test]
fn a_public_key_is_parsed_once_and_an_invalid_one_stays_invalid() {
    let mut rng = rng(3);
    let public = SigningKeyPair::generate(&mut rng).public();
    let bytes = public.to_bytes();
    // A y-coordinate that is not on the curve (no square root): 2 is such a value.
    let mut invalid = [0u8; 32];
    invalid[0] = 2;
    assert!(senderkeys::SigningPublicKey::from_bytes("test", &invalid).is_err());
    let slots = u64::try_from(MEMO_PUBLIC_KEY_SLOTS).expect("fits");
    let mut memo = Memo::new();
    for _ in 0..2 {
        assert_eq!(memo.public_key(&bytes), Some(public));
        assert_eq!(memo.public_key(&invalid), None);
    }
    assert_eq!(memo.stats().public_keys_parsed, 2);
    assert_eq!(memo.stats().public_keys_memoised, 2);
    // The table size apart: the same slot.
    let colliding: [u8; 32] = shift_slot(&invalid, slots).try_into().expect("same length");
    let direct = senderkeys::SigningPublicKey::from_bytes("test", &colliding).ok();
    assert_eq!(memo.public_key(&colliding), direct);
    assert_eq!(memo.public_key(&invalid), None);
    assert_eq!(memo.stats().public_keys_parsed, 4);
}

/// One receiver: its session and the outcomes it gave, as comparable text.
struct Receiver {
    session: GroupSession,
    outcomes: Vec<String>,
}

impl Receiver {
    fn new(suite: SuiteId, name: &str, memo: Option<&SharedMemo>) -> Self {
        let mut session = GroupSession::new(suite, group(), member(name));
        session.set_memo(memo.cloned());
        Receiver {
            session,
            outcomes: Vec::new(),
        }
    }

    fn distribution(&mut self, from: &MemberId, bytes: &[u8]) {
        let outcome = match self.session.process_distribution(from, bytes) {
            Ok(key_id) => format!("installed {key_id}"),
            Err(e) => format!("refused {e}"),
        };
        self.outcomes.push(outcome);
    }

    fn message(&mut self, from: &MemberId, bytes: &[u8]) {
        let outcome = match self.session.decrypt(from, bytes) {
            Ok(d) => format!("{} {} {}", d.key_id, d.iteration, hex::encode(d.plaintext)),
            Err(e) => format!("rejected {e}"),
        };
        self.outcomes.push(outcome);
    }
}

/// Every suite: one receiver without a memo and three sharing one see the same inputs — in-order, reordered,
/// duplicated, tampered, truncated, forged, under a rotation, across a long jump — and must give the same
/// outcome for each, end in the same state, and the memo must have saved work.
#[test]
fn sessions_with_a_memo_answer_exactly_as_sessions_without() {
    for suite in SuiteId::ALL {
        let mut rng = rng(40 + suite as u64);
        let alice_id = member("alice");
        let mut alice = GroupSession::new(suite, group(), alice_id.clone());
        let memo = Memo::shared();
        let mut receivers = vec![Receiver::new(suite, "plain", None)];
        for name in ["carol", "dave", "erin"] {
            receivers.push(Receiver::new(suite, name, Some(&memo)));
        }
        let deliver_distribution = |receivers: &mut Vec<Receiver>, bytes: &[u8]| {
            for r in receivers.iter_mut() {
                r.distribution(&alice_id, bytes);
            }
        };
        let first = alice.create_sender_key(&mut rng).expect("key");
        deliver_distribution(&mut receivers, &first);

        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for round in 0..2 {
            let mut sent: Vec<Vec<u8>> = (0..30)
                .map(|i| {
                    alice
                        .encrypt(&mut rng, format!("r{round} m{i}").as_bytes())
                        .expect("encrypt")
                })
                .collect();
            // A seeded shuffle, then duplicates, bit flips, truncations, a forgery.
            for i in (1..sent.len()).rev() {
                let j = usize::try_from(rng.next_u64() % (i as u64 + 1)).expect("below i");
                sent.swap(i, j);
            }
            for k in 0..sent.len() {
                inputs.push(sent[k].clone());
                match k % 6 {
                    0 => inputs.push(sent[k].clone()),
                    1 => {
                        let mut flipped = sent[k].clone();
                        let at = usize::try_from(rng.next_u64() % 1_000_000).expect("small") % flipped.len();
                        flipped[at] ^= 0x10;
                        inputs.push(flipped);
                    }
                    2 => inputs.push(sent[k][..sent[k].len() - 1].to_vec()),
                    3 => {
                        let forger = &receivers[0].session;
                        if let Ok(forged) =
                            senderkeys::testing::forge_as(forger, &alice_id, None, &mut rng, b"forged")
                        {
                            inputs.push(forged);
                        }
                    }
                    _ => {}
                }
            }
            for input in inputs.drain(..) {
                for r in receivers.iter_mut() {
                    r.message(&alice_id, &input);
                }
            }
            // A long jump, then a rotation with messages under both keys still arriving.
            let mut last = Vec::new();
            for i in 0..2_100 {
                last = alice
                    .encrypt(&mut rng, format!("jump {i}").as_bytes())
                    .expect("encrypt");
            }
            for r in receivers.iter_mut() {
                r.message(&alice_id, &last);
            }
            let old = alice.encrypt(&mut rng, b"old key").expect("encrypt");
            let rotated = alice.create_sender_key(&mut rng).expect("key");
            deliver_distribution(&mut receivers, &rotated);
            deliver_distribution(&mut receivers, &first);
            for r in receivers.iter_mut() {
                r.message(&alice_id, &old);
            }
        }

        let plain = &receivers[0];
        for r in &receivers[1..] {
            assert_eq!(r.outcomes, plain.outcomes, "{suite}");
            assert_eq!(
                r.session.export_sender(&alice_id),
                plain.session.export_sender(&alice_id),
                "{suite}"
            );
        }
        assert!(
            plain.outcomes.iter().any(|o| o.starts_with("rejected")),
            "{suite}"
        );
        let stats = memo.borrow().stats();
        assert!(
            stats.chain_steps_memoised > 2 * stats.chain_steps_derived / 3,
            "{suite}: {stats:?}"
        );
        if suite.is_signed() {
            assert!(
                stats.verifications_memoised >= 2 * stats.verifications_performed / 3,
                "{suite}: {stats:?}"
            );
            assert!(stats.public_keys_memoised > 0, "{suite}: {stats:?}");
        }
    }
}
