//! libsignal's group test cases (`rust/protocol/tests/groups.rs`), seeded, for every suite: out-of-order
//! delivery, too-far jumps, eviction from the skipped-key cache, duplicates, late joiners, rotation with
//! messages in flight, and two senders.

mod common;

use common::{Pair, accept, group, member, pair};
use rand_core::Rng;
use senderkeys::consts::{FORWARD_JUMP_MAX, SKIPPED_KEYS_MAX};
use senderkeys::{GroupSession, MemberId, SuiteId};
use serde_json::{Value, json};

// ----- helpers -----

fn seeded(base: u64) -> impl Iterator<Item = (SuiteId, u64)> {
    SuiteId::ALL.into_iter().zip(base..)
}

/// Fisher-Yates with a seeded RNG.
fn shuffle<T>(items: &mut [T], rng: &mut impl Rng) {
    for i in (1..items.len()).rev() {
        let bound = u64::try_from(i + 1).expect("length fits in u64");
        let j = usize::try_from(rng.next_u64() % bound).expect("index below the length");
        items.swap(i, j);
    }
}

/// `session` rejects `wire` from `from` with `reason`, leaving its export byte-identical.
fn reject_from(session: &mut GroupSession, from: &MemberId, wire: &[u8], reason: &str) {
    let suite = session.suite();
    let before = session.export();
    let outcome = session
        .decrypt(from, wire)
        .map(|d| d.plaintext)
        .map_err(|e| e.reason());
    assert_eq!(outcome, Err(reason), "{suite}");
    assert_eq!(
        session.export(),
        before,
        "{suite}: state changed after a rejection"
    );
}

fn skipped_len(p: &Pair) -> usize {
    p.bob
        .receiver_states(&p.alice_id)
        .next()
        .expect("Bob holds Alice's key")
        .skipped_len()
}

// ----- cases -----

#[test]
fn shuffled_delivery_decrypts_each_message_exactly_once() {
    for (suite, seed) in seeded(100) {
        let mut p = pair(suite, seed);
        let wires = p.send(100);
        let mut order: Vec<usize> = (0..wires.len()).collect();
        shuffle(&mut order, &mut common::rng(seed + 1_000));
        assert_ne!(
            order,
            (0..wires.len()).collect::<Vec<_>>(),
            "{suite}: the shuffle shuffles"
        );
        for &i in &order {
            accept(&mut p, &wires[i], &format!("m{i}"));
        }
        let state = p.bob.receiver_states(&p.alice_id).next().expect("state");
        assert_eq!((state.next_iteration(), state.skipped_len()), (100, 0), "{suite}");
        for &i in &order {
            reject_from(&mut p.bob, &p.alice_id, &wires[i], "duplicate");
        }
    }
}

#[test]
fn jump_beyond_forward_jump_max_is_rejected() {
    for (suite, seed) in seeded(200) {
        let mut p = pair(suite, seed);
        let first = p.send(1);
        // Alice as if she had sent FORWARD_JUMP_MAX + 1 messages in all (chain key need not match: the
        // message is refused before any key is derived).
        let mut state: Value = serde_json::from_slice(&p.alice.export()).expect("JSON");
        state["own"]["next"] = json!(FORWARD_JUMP_MAX + 1);
        let mut ahead = GroupSession::import(&serde_json::to_vec(&state).expect("JSON")).expect("import");
        let far = ahead.encrypt(&mut p.rng, b"far").expect("encrypt");
        reject_from(&mut p.bob, &p.alice_id, &far, "too-far-ahead");
        accept(&mut p, &first[0], "m0");
    }
}

#[test]
fn skipped_keys_beyond_the_cache_are_evicted_oldest_first() {
    for (suite, seed) in seeded(300) {
        let mut p = pair(suite, seed);
        let wires = p.send(2_010);
        accept(&mut p, &wires[1_000], "m1000");
        accept(&mut p, &wires[2_009], "m2009");
        // 1,000 + 1,008 skipped keys: the 8 oldest (0..8) are evicted.
        assert_eq!(skipped_len(&p), SKIPPED_KEYS_MAX, "{suite}");
        reject_from(&mut p.bob, &p.alice_id, &wires[0], "duplicate");
        reject_from(&mut p.bob, &p.alice_id, &wires[7], "duplicate");
        accept(&mut p, &wires[1_001], "m1001");
        accept(&mut p, &wires[8], "m8");
    }
}

#[test]
fn duplicate_is_rejected() {
    for (suite, seed) in seeded(400) {
        let mut p = pair(suite, seed);
        let wires = p.send(2);
        accept(&mut p, &wires[0], "m0");
        reject_from(&mut p.bob, &p.alice_id, &wires[0], "duplicate");
        accept(&mut p, &wires[1], "m1");
        reject_from(&mut p.bob, &p.alice_id, &wires[1], "duplicate");
    }
}

#[test]
fn late_joiner_cannot_decrypt_earlier_messages() {
    for (suite, seed) in seeded(500) {
        let mut p = pair(suite, seed);
        let earlier = p.send(5);
        let carol_id = member("carol");
        let mut carol = GroupSession::new(suite, group(), carol_id);
        let distribution = p.alice.distribution().expect("current distribution");
        carol
            .process_distribution(&p.alice_id, &distribution)
            .expect("install");
        let state = carol.receiver_states(&p.alice_id).next().expect("state");
        assert_eq!(state.next_iteration(), 5, "{suite}");
        for wire in &earlier {
            reject_from(&mut carol, &p.alice_id, wire, "duplicate");
        }
        let m5 = p.alice.encrypt(&mut p.rng, b"m5").expect("encrypt");
        let decrypted = carol.decrypt(&p.alice_id, &m5).expect("message 5 decrypts");
        assert_eq!(
            (decrypted.plaintext.as_slice(), decrypted.iteration),
            (&b"m5"[..], 5),
            "{suite}"
        );
        // Bob, who had the key from the start, still reads everything.
        accept(&mut p, &earlier[0], "m0");
    }
}

#[test]
fn in_flight_messages_under_a_rotated_out_key_still_decrypt() {
    for (suite, seed) in seeded(600) {
        let mut p = pair(suite, seed);
        let old_key = p.alice.own_sender_key().expect("key").key_id();
        let in_flight = p.send(2);
        let rotated = p.alice.create_sender_key(&mut p.rng).expect("rotate");
        let new_key = p.alice.own_sender_key().expect("key").key_id();
        assert_ne!(old_key, new_key, "{suite}");
        let m2 = p.alice.encrypt(&mut p.rng, b"m2").expect("encrypt");
        assert_eq!(
            p.bob.process_distribution(&p.alice_id, &rotated),
            Ok(new_key),
            "{suite}"
        );
        let cases = [
            (&m2, "m2", new_key, 0),
            (&in_flight[0], "m0", old_key, 0),
            (&in_flight[1], "m1", old_key, 1),
        ];
        for (wire, text, key_id, iteration) in cases {
            let d = p.bob.decrypt(&p.alice_id, wire).expect("decrypts");
            assert_eq!(
                (d.plaintext.as_slice(), d.key_id, d.iteration),
                (text.as_bytes(), key_id, iteration),
                "{suite}"
            );
        }
    }
}

#[test]
fn two_senders_interleaved_and_the_wrong_from_is_rejected() {
    for (suite, seed) in seeded(700) {
        let mut p = pair(suite, seed);
        let carol_id = member("carol");
        let mut carol = GroupSession::new(suite, group(), carol_id.clone());
        let carols = carol.create_sender_key(&mut p.rng).expect("create");
        p.bob.process_distribution(&carol_id, &carols).expect("install");
        let from_alice = p.send(3);
        let from_carol: Vec<_> = (0..3)
            .map(|i| {
                carol
                    .encrypt(&mut p.rng, format!("c{i}").as_bytes())
                    .expect("encrypt")
            })
            .collect();
        for i in 0..2 {
            accept(&mut p, &from_alice[i], &format!("m{i}"));
            let d = p
                .bob
                .decrypt(&carol_id, &from_carol[i])
                .expect("Carol's message decrypts");
            assert_eq!(d.plaintext, format!("c{i}").into_bytes(), "{suite}");
        }
        // The p2p sketch names the sender inside the message; the others name a key Carol does not hold.
        let reason = if suite == SuiteId::P2p {
            "sender-mismatch"
        } else {
            "unknown-key"
        };
        reject_from(&mut p.bob, &carol_id, &from_alice[2], reason);
        reject_from(&mut p.bob, &p.alice_id, &from_carol[2], reason);
        // Nobody Bob holds a key for.
        let dave_reason = if suite == SuiteId::P2p {
            "sender-mismatch"
        } else {
            "unknown-sender"
        };
        reject_from(&mut p.bob, &member("dave"), &from_alice[2], dave_reason);
        accept(&mut p, &from_alice[2], "m2");
        let d = p
            .bob
            .decrypt(&carol_id, &from_carol[2])
            .expect("Carol's message decrypts");
        assert_eq!(d.plaintext, b"c2", "{suite}");
    }
}
