//! One test at each boundary of each limit in `consts.rs` that the state machine enforces, and of the
//! invariants `GroupSession::import` checks.

mod common;

use common::{Pair, accept, pair};
use senderkeys::ChainKey;
use senderkeys::consts::{
    FORWARD_JUMP_MAX, ID_BYTES_MAX, PLAINTEXT_BYTES_MAX, RETIRED_KEY_IDS_MAX, SENDER_STATES_MAX,
    SKIPPED_KEYS_MAX,
};
use senderkeys::{GroupId, GroupSession, KeyId, MemberId, SuiteId};
use serde_json::{Value, json};

/// 2^32: the `next` of a fully consumed chain.
const ITERATIONS_END: u64 = 1 << 32;

// ----- helpers -----

fn to_value(session: &GroupSession) -> Value {
    serde_json::from_slice(&session.export()).expect("export is JSON")
}

fn import(state: &Value) -> senderkeys::Result<GroupSession> {
    GroupSession::import(&serde_json::to_vec(state).expect("serialize"))
}

/// `session` with `edit` applied to its exported JSON, re-imported.
fn edited(session: &GroupSession, edit: impl FnOnce(&mut Value)) -> GroupSession {
    let mut state = to_value(session);
    edit(&mut state);
    import(&state).expect("edited state imports")
}

/// Alice's session as if she had encrypted `steps` more messages: the chain key ratcheted `steps` times with
/// the suite's KDF, `next` moved on. (Cheaper than encrypting; `fast_forward_equals_encrypting` checks it.)
fn fast_forward(alice: &GroupSession, steps: u64) -> GroupSession {
    let kdf = alice.suite().suite().kdf;
    let own = alice.own_sender_key().expect("own key");
    let mut state = to_value(alice);
    let text = state["own"]["chain_key"].as_str().expect("hex").to_owned();
    let bytes: [u8; 32] = hex::decode(text).expect("hex").try_into().expect("32 bytes");
    let mut chain_key = ChainKey::from_bytes(bytes);
    for _ in 0..steps {
        chain_key = kdf.next_chain_key(&chain_key);
    }
    state["own"]["chain_key"] = json!(hex::encode(chain_key.as_bytes()));
    state["own"]["next"] = json!(own.next_iteration() + steps);
    import(&state).expect("fast-forwarded state imports")
}

/// Bob's only receiver state for Alice.
fn skipped_len(p: &Pair) -> usize {
    let mut states = p.bob.receiver_states(&p.alice_id);
    let state = states.next().expect("Bob holds Alice's key");
    assert!(states.next().is_none(), "one state expected");
    state.skipped_len()
}

fn next_iteration(p: &Pair) -> u64 {
    p.bob
        .receiver_states(&p.alice_id)
        .next()
        .expect("Bob holds Alice's key")
        .next_iteration()
}

fn reject(p: &mut Pair, wire: &[u8], reason: &str) {
    let outcome = p
        .bob
        .clone()
        .decrypt(&p.alice_id, wire)
        .map(|d| d.plaintext)
        .map_err(|e| e.reason());
    assert_eq!(outcome, Err(reason), "{}", p.bob.suite());
    p.assert_rejected(wire, reason);
}

fn seeded(base: u64) -> impl Iterator<Item = (SuiteId, u64)> {
    SuiteId::ALL.into_iter().zip(base..)
}

#[test]
fn fast_forward_equals_encrypting() {
    for (suite, seed) in seeded(10) {
        let mut p = pair(suite, seed);
        let ahead = fast_forward(&p.alice, 3);
        p.send(3);
        assert_eq!(ahead.export(), p.alice.export(), "{suite}");
    }
}

// ----- SKIPPED_KEYS_MAX -----

#[test]
fn jump_of_exactly_skipped_keys_max_keeps_every_key() {
    for (suite, seed) in seeded(100) {
        let mut p = pair(suite, seed);
        let wires = p.send(SKIPPED_KEYS_MAX + 1);
        accept(&mut p, &wires[SKIPPED_KEYS_MAX], &format!("m{SKIPPED_KEYS_MAX}"));
        assert_eq!(skipped_len(&p), SKIPPED_KEYS_MAX, "{suite}");
        for (i, wire) in wires[..SKIPPED_KEYS_MAX].iter().enumerate() {
            accept(&mut p, wire, &format!("m{i}"));
        }
        assert_eq!(skipped_len(&p), 0, "{suite}");
    }
}

#[test]
fn jump_of_one_more_evicts_the_oldest() {
    for (suite, seed) in seeded(110) {
        let mut p = pair(suite, seed);
        let wires = p.send(SKIPPED_KEYS_MAX + 2);
        accept(
            &mut p,
            &wires[SKIPPED_KEYS_MAX + 1],
            &format!("m{}", SKIPPED_KEYS_MAX + 1),
        );
        assert_eq!(skipped_len(&p), SKIPPED_KEYS_MAX, "{suite}");
        reject(&mut p, &wires[0], "duplicate");
        accept(&mut p, &wires[1], "m1");
        accept(&mut p, &wires[SKIPPED_KEYS_MAX], &format!("m{SKIPPED_KEYS_MAX}"));
        assert_eq!(skipped_len(&p), SKIPPED_KEYS_MAX - 2, "{suite}");
    }
}

#[test]
fn cache_bound_is_total_across_jumps() {
    for (suite, seed) in seeded(120) {
        let mut p = pair(suite, seed);
        let wires = p.send(3_002);
        // First jump skips 0..1500, the second 1501..3001: 3,000 skipped keys, the 1,000 oldest evicted.
        accept(&mut p, &wires[1_500], "m1500");
        assert_eq!(skipped_len(&p), 1_500, "{suite}");
        accept(&mut p, &wires[3_001], "m3001");
        assert_eq!(skipped_len(&p), SKIPPED_KEYS_MAX, "{suite}");
        reject(&mut p, &wires[0], "duplicate");
        reject(&mut p, &wires[999], "duplicate");
        accept(&mut p, &wires[1_000], "m1000");
        accept(&mut p, &wires[3_000], "m3000");
        assert_eq!(skipped_len(&p), SKIPPED_KEYS_MAX - 2, "{suite}");
    }
}

// ----- FORWARD_JUMP_MAX -----

#[test]
fn jump_of_exactly_forward_jump_max_decrypts_one_more_is_too_far_ahead() {
    for (suite, seed) in seeded(200) {
        let mut p = pair(suite, seed);
        let jump = u64::from(FORWARD_JUMP_MAX);
        let mut ahead = fast_forward(&p.alice, jump);
        let at_max = ahead.encrypt_detailed(&mut p.rng, b"at max").expect("encrypt");
        let beyond = ahead.encrypt_detailed(&mut p.rng, b"beyond").expect("encrypt");
        assert_eq!(
            (at_max.iteration, beyond.iteration),
            (FORWARD_JUMP_MAX, FORWARD_JUMP_MAX + 1),
            "{suite}"
        );
        reject(&mut p, &beyond.wire, "too-far-ahead");
        assert_eq!(next_iteration(&p), 0, "{suite}");
        accept(&mut p, &at_max.wire, "at max");
        assert_eq!(skipped_len(&p), SKIPPED_KEYS_MAX, "{suite}");
        accept(&mut p, &beyond.wire, "beyond");
    }
}

#[test]
fn forward_jump_max_counts_from_the_next_expected_iteration() {
    for suite in [SuiteId::Hardened, SuiteId::Signal] {
        let mut p = pair(suite, 210);
        let wires = p.send(1);
        accept(&mut p, &wires[0], "m0");
        // Encrypted for real: 25,001 throwaway messages, then the one 25,001 ahead of Bob's next (1).
        let later: Vec<_> = (0..=FORWARD_JUMP_MAX)
            .map(|i| {
                p.alice
                    .encrypt(&mut p.rng, format!("t{i}").as_bytes())
                    .expect("encrypt")
            })
            .collect();
        let beyond = p.alice.encrypt(&mut p.rng, b"beyond").expect("encrypt");
        reject(&mut p, &beyond, "too-far-ahead");
        accept(&mut p, &later[later.len() - 1], &format!("t{FORWARD_JUMP_MAX}"));
        accept(&mut p, &beyond, "beyond");
    }
}

// ----- SENDER_STATES_MAX -----

fn key_ids(p: &Pair) -> Vec<KeyId> {
    p.bob.receiver_states(&p.alice_id).map(|s| s.key_id()).collect()
}

/// Alice rotates; Bob installs the new key; Alice sends "k{n}" under it.
fn rotate(p: &mut Pair, n: usize) -> (KeyId, Vec<u8>) {
    let distribution = p.alice.create_sender_key(&mut p.rng).expect("rotate");
    let key_id = p
        .bob
        .process_distribution(&p.alice_id, &distribution)
        .expect("install");
    (
        key_id,
        p.alice
            .encrypt(&mut p.rng, format!("k{n}").as_bytes())
            .expect("encrypt"),
    )
}

#[test]
fn sender_states_max_keys_are_retained_then_the_oldest_drops() {
    for (suite, seed) in seeded(300) {
        let mut p = pair(suite, seed);
        let first = p
            .bob
            .receiver_states(&p.alice_id)
            .next()
            .expect("first key")
            .key_id();
        let old = p.send(2);
        let mut newest: Vec<_> = (2..=SENDER_STATES_MAX).map(|n| rotate(&mut p, n)).collect();
        let mut expected_ids: Vec<_> = newest.iter().rev().map(|(id, _)| *id).collect();
        expected_ids.push(first);
        assert_eq!(
            key_ids(&p),
            expected_ids,
            "{suite}: {SENDER_STATES_MAX} keys, newest first"
        );
        accept(&mut p, &old[0], "m0");
        newest.push(rotate(&mut p, SENDER_STATES_MAX + 1));
        expected_ids.pop();
        expected_ids.insert(0, newest[newest.len() - 1].0);
        assert_eq!(key_ids(&p), expected_ids, "{suite}: the oldest key dropped");
        let reason = if suite == SuiteId::P2p {
            "no-verifying-key"
        } else {
            "unknown-key"
        };
        reject(&mut p, &old[1], reason);
        for (n, (_, wire)) in (2..).zip(&newest) {
            accept(&mut p, wire, &format!("k{n}"));
        }
    }
}

// ----- PLAINTEXT_BYTES_MAX -----

#[test]
fn plaintext_of_exactly_the_limit_round_trips_one_more_byte_is_refused() {
    for (suite, seed) in seeded(400) {
        let mut p = pair(suite, seed);
        let largest = vec![0xff; PLAINTEXT_BYTES_MAX];
        let wire = p
            .alice
            .encrypt(&mut p.rng, &largest)
            .expect("largest plaintext encrypts");
        let decrypted = p
            .bob
            .decrypt(&p.alice_id, &wire)
            .expect("largest plaintext decrypts");
        assert!(decrypted.plaintext == largest, "{suite}: plaintext differs");
        let before = p.alice.export();
        let err = p
            .alice
            .encrypt(&mut p.rng, &[0xff; PLAINTEXT_BYTES_MAX + 1])
            .expect_err("too large");
        assert_eq!(err.reason(), "plaintext-too-large", "{suite}");
        assert!(err.api_misuse().is_some(), "{suite}");
        assert_eq!(
            p.alice.export(),
            before,
            "{suite}: a refused plaintext changed Alice's state"
        );
        let next = p.alice.encrypt_detailed(&mut p.rng, b"after").expect("encrypt");
        assert_eq!(next.iteration, 1, "{suite}");
    }
}

// ----- iteration overflow -----

#[test]
fn own_key_at_u32_max_encrypts_once_then_is_exhausted() {
    for (suite, seed) in seeded(500) {
        let mut p = pair(suite, seed);
        let mut alice = edited(&p.alice, |s| s["own"]["next"] = json!(u32::MAX));
        let last = alice
            .encrypt_detailed(&mut p.rng, b"last")
            .expect("iteration u32::MAX encrypts");
        assert_eq!(last.iteration, u32::MAX, "{suite}");
        let own = alice.own_sender_key().expect("own key");
        assert_eq!(own.next_iteration(), ITERATIONS_END, "{suite}");
        let before = alice.export();
        let err = alice.encrypt(&mut p.rng, b"one more").expect_err("exhausted");
        assert_eq!(err.reason(), "iteration-exhausted", "{suite}");
        assert!(err.api_misuse().is_some(), "{suite}");
        let err = alice.distribution().expect_err("exhausted");
        assert_eq!(err.reason(), "iteration-exhausted", "{suite}");
        assert_eq!(
            alice.export(),
            before,
            "{suite}: a refused encryption changed the state"
        );
        // Rotating is the way out: the new key starts at iteration 0.
        alice.create_sender_key(&mut p.rng).expect("rotate");
        let fresh = alice.encrypt_detailed(&mut p.rng, b"fresh").expect("encrypt");
        assert_eq!(fresh.iteration, 0, "{suite}");
    }
}

#[test]
fn receiver_at_u32_max_decrypts_the_last_iteration_once() {
    for (suite, seed) in seeded(510) {
        let mut p = pair(suite, seed);
        // Both chain keys are still the iteration-0 key: move both positions to u32::MAX.
        p.alice = edited(&p.alice, |s| s["own"]["next"] = json!(u32::MAX));
        p.bob = edited(&p.bob, |s| s["senders"][0]["states"][0]["next"] = json!(u32::MAX));
        let last = p.alice.encrypt(&mut p.rng, b"last").expect("encrypt");
        let decrypted = p.bob.decrypt(&p.alice_id, &last).expect("decrypts");
        assert_eq!(
            (decrypted.plaintext.as_slice(), decrypted.iteration),
            (&b"last"[..], u32::MAX),
            "{suite}"
        );
        assert_eq!(next_iteration(&p), ITERATIONS_END, "{suite}");
        reject(&mut p, &last, "duplicate");
        // The fully consumed chain survives export and import.
        assert_eq!(
            GroupSession::import(&p.bob.export()).expect("imports").export(),
            p.bob.export()
        );
    }
}

// ----- ID_BYTES_MAX -----

#[test]
fn ids_of_id_bytes_max_work_end_to_end() {
    // 64 two-byte characters: 128 bytes of UTF-8.
    let alice_id = MemberId::new("é".repeat(ID_BYTES_MAX / 2)).expect("128-byte member id");
    let group_id = GroupId::new("g".repeat(ID_BYTES_MAX)).expect("128-byte group id");
    let bob_id = MemberId::new("b".repeat(ID_BYTES_MAX)).expect("128-byte member id");
    for (suite, seed) in seeded(600) {
        let mut rng = common::rng(seed);
        let mut alice = GroupSession::new(suite, group_id.clone(), alice_id.clone());
        let mut bob = GroupSession::new(suite, group_id.clone(), bob_id.clone());
        let distribution = alice.create_sender_key(&mut rng).expect("create");
        bob.process_distribution(&alice_id, &distribution)
            .expect("distribution with long ids");
        let wire = alice.encrypt(&mut rng, b"long ids").expect("encrypt");
        let decrypted = bob.decrypt(&alice_id, &wire).expect("message with long ids");
        assert_eq!(decrypted.plaintext, b"long ids", "{suite}");
    }
}

#[test]
fn ids_one_byte_over_id_bytes_max_are_invalid() {
    for id in [
        "a".repeat(ID_BYTES_MAX + 1),
        format!("{}a", "é".repeat(ID_BYTES_MAX / 2)),
    ] {
        assert_eq!(id.len(), ID_BYTES_MAX + 1);
        let err = MemberId::new(id.clone()).expect_err("too long");
        assert_eq!(err.reason(), "invalid-id", "member {id}");
        assert!(err.api_misuse().is_some());
        assert_eq!(
            GroupId::new(id.clone()).map_err(|e| e.reason()),
            Err("invalid-id"),
            "group {id}"
        );
    }
}

// ----- import -----

fn assert_bad_state(state: &Value, what: &str) {
    let err = import(state).expect_err(what);
    assert_eq!(err.reason(), "bad-state", "{what}: {err}");
    assert!(err.api_misuse().is_some(), "{what}");
}

#[test]
fn import_bounds_skipped_keys() {
    for (suite, seed) in seeded(700) {
        let p = pair(suite, seed);
        let material = hex::encode(vec![7u8; if suite == SuiteId::Signal { 48 } else { 32 }]);
        let with_skipped = |count: u32| {
            let mut state = to_value(&p.bob);
            let receiver = &mut state["senders"][0]["states"][0];
            receiver["next"] = json!(3_000);
            receiver["skipped"] = (0..count).map(|i| json!([i, material])).collect();
            state
        };
        let at_limit = import(&with_skipped(2_000)).expect("2,000 skipped keys import");
        let state = at_limit.receiver_states(&p.alice_id).next().expect("state");
        assert_eq!(state.skipped_len(), SKIPPED_KEYS_MAX, "{suite}");
        assert_bad_state(&with_skipped(2_001), &format!("{suite}: 2,001 skipped keys"));
    }
}

#[test]
fn import_bounds_states_per_sender() {
    for (suite, seed) in seeded(710) {
        let mut p = pair(suite, seed);
        for n in 2..=SENDER_STATES_MAX + 1 {
            rotate(&mut p, n);
        }
        // Bob holds the 5 newest keys; a session that got only the first key holds the oldest.
        let mut state = to_value(&p.bob);
        let oldest = to_value(&pair(suite, seed).bob)["senders"][0]["states"][0].clone();
        assert_eq!(
            state["senders"][0]["states"].as_array().map(Vec::len),
            Some(SENDER_STATES_MAX)
        );
        import(&state).expect("5 states import");
        state["senders"][0]["states"]
            .as_array_mut()
            .expect("states")
            .push(oldest);
        assert_bad_state(&state, &format!("{suite}: 6 states for one sender"));
    }
}

#[test]
fn import_bounds_next_iteration_and_format() {
    for (suite, seed) in seeded(720) {
        let p = pair(suite, seed);
        let base = to_value(&p.bob);
        let mut end = base.clone();
        end["senders"][0]["states"][0]["next"] = json!(ITERATIONS_END);
        import(&end).expect("next = 2^32 imports");
        end["senders"][0]["states"][0]["next"] = json!(ITERATIONS_END + 1);
        assert_bad_state(&end, &format!("{suite}: receiver next > 2^32"));
        let mut own = to_value(&p.alice);
        own["own"]["next"] = json!(ITERATIONS_END);
        import(&own).expect("own next = 2^32 imports");
        own["own"]["next"] = json!(ITERATIONS_END + 1);
        assert_bad_state(&own, &format!("{suite}: own next > 2^32"));
        let mut format = base.clone();
        format["format"] = json!(2);
        assert_bad_state(&format, &format!("{suite}: format 2"));
        import(&base).expect("the unedited export imports");
    }
}

#[test]
fn retired_key_ids_at_their_bound() {
    // The first key is retired by the 6th install; it stays remembered while at most RETIRED_KEY_IDS_MAX keys
    // have been retired (itself included), and is forgotten by the next retirement.
    let suite = SuiteId::Hardened;
    let mut p = pair(suite, 71);
    let first = p.distribution.clone();
    for n in 0..SENDER_STATES_MAX + RETIRED_KEY_IDS_MAX - 1 {
        rotate(&mut p, n);
    }
    let before = p.bob.export();
    let err = p
        .bob
        .process_distribution(&p.alice_id, &first)
        .expect_err("still remembered");
    assert_eq!(err.reason(), "retired-key", "{err}");
    assert_eq!(p.bob.export(), before);
    rotate(&mut p, 0);
    p.bob
        .process_distribution(&p.alice_id, &first)
        .expect("beyond the bound the oldest retired id is forgotten");
    assert_eq!(p.bob.receiver_states(&p.alice_id).count(), SENDER_STATES_MAX);
}
