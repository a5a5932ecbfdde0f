//! Tests of the `accord` model: the behaviours of Accord's design it reproduces, weaknesses
//! included — one receiver state per sender (in-flight messages lost on rotation) and stale distributions
//! re-opening consumed iterations.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use senderkeys::wire::accord::{AccordDistribution, AccordEnvelope};
use senderkeys::{GroupId, KeyId, MemberId};
use sksim::implementation::{Implementation, ImplementationFactory, Rejection, Transport, WorkBudget};
use sksim::implementations::accord::{Accord, MAX_SKIP};

/// A budget no Accord operation exhausts.
const BUDGET: u64 = 1_000_000;

fn group() -> GroupId {
    GroupId::new("general").expect("valid group id")
}

fn member(name: &str) -> MemberId {
    MemberId::new(name).expect("valid member id")
}

fn budget() -> WorkBudget {
    WorkBudget::new(BUDGET)
}

/// Alice (with a sender key) and Bob (holding Alice's distribution), and the rng that made them.
struct Pair {
    rng: ChaCha20Rng,
    alice: Box<dyn Implementation>,
    bob: Box<dyn Implementation>,
    distribution: Vec<u8>,
}

fn pair(seed: u64) -> Pair {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut alice = Accord.create(&group(), &member("alice"));
    let mut bob = Accord.create(&group(), &member("bob"));
    let distribution = alice.create_sender_key(&mut rng).expect("first key");
    bob.process_distribution(&member("alice"), &distribution, &mut budget())
        .expect("genuine distribution");
    Pair {
        rng,
        alice,
        bob,
        distribution,
    }
}

impl Pair {
    /// Alice encrypts `count` messages "m0", "m1", ...
    fn send(&mut self, count: usize) -> Vec<Vec<u8>> {
        (0..count)
            .map(|i| {
                self.alice
                    .encrypt(&mut self.rng, format!("m{i}").as_bytes())
                    .expect("encrypt")
            })
            .collect()
    }

    /// Bob decrypts an envelope relayed as coming from Alice.
    fn receive(&mut self, envelope: &[u8]) -> Result<Vec<u8>, Rejection> {
        let accepted = self.bob.decrypt(&member("alice"), envelope, &mut budget())?;
        assert_eq!(accepted.claimed_sender, member("alice"));
        Ok(accepted.plaintext)
    }

    /// Bob decrypts, expecting a rejection with `reason` that leaves his state unchanged.
    fn assert_rejected(&mut self, envelope: &[u8], reason: &str) {
        let before = self.bob.export();
        let rejection = self.receive(envelope).expect_err(reason);
        assert_eq!(rejection.reason, reason, "{}", rejection.detail);
        assert_eq!(
            self.bob.export(),
            before,
            "rejection ({reason}) changed the state"
        );
    }

    fn bob_cache(&self) -> usize {
        self.bob.skipped_keys(&member("alice"))
    }
}

/// Re-encodes an envelope after `change`.
fn edited(envelope: &[u8], change: impl FnOnce(&mut AccordEnvelope)) -> Vec<u8> {
    let mut parsed = AccordEnvelope::parse(envelope).expect("genuine envelope");
    change(&mut parsed);
    parsed.encode()
}

#[test]
fn factory_settings() {
    assert_eq!(Accord.name(), "accord");
    assert_eq!(Accord.transport(), Transport::Pairwise);
    assert_eq!(Accord.skipped_keys_max(), 2_000);
    assert_eq!(MAX_SKIP, 2_000);
}

#[test]
fn own_key_and_distribution_follow_appendix_a() {
    let mut p = pair(1);
    let first = AccordDistribution::parse(&p.distribution).unwrap();
    assert_eq!(first.channel, group());
    assert_eq!(first.node, member("alice"));
    assert_eq!(first.iteration, 0);
    assert_eq!(first.replaces, None);
    assert_eq!(
        KeyId::Fingerprint(first.key_id),
        KeyId::fingerprint_of(&first.signing_public_key)
    );
    let envelopes = p.send(3);
    let parsed = AccordEnvelope::parse(&envelopes[2]).unwrap();
    assert_eq!((parsed.key_id, parsed.iteration), (first.key_id, 2));
    // distribution() is the current key at its current iteration.
    let current = AccordDistribution::parse(&p.alice.distribution().unwrap()).unwrap();
    assert_eq!((current.key_id, current.iteration), (first.key_id, 3));
    let rotated = AccordDistribution::parse(&p.alice.create_sender_key(&mut p.rng).unwrap()).unwrap();
    assert_eq!(rotated.iteration, 0);
    assert_eq!(rotated.replaces, Some(first.key_id));
    assert_ne!(rotated.key_id, first.key_id);
}

#[test]
fn no_own_key_yet() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut carol = Accord.create(&group(), &member("carol"));
    assert_eq!(carol.distribution().unwrap_err().reason, "no-own-sender-key");
    assert_eq!(
        carol.encrypt(&mut rng, b"x").unwrap_err().reason,
        "no-own-sender-key"
    );
}

#[test]
fn in_order_decrypts() {
    let mut p = pair(3);
    for (i, envelope) in p.send(5).iter().enumerate() {
        assert_eq!(p.receive(envelope).unwrap(), format!("m{i}").as_bytes());
        assert_eq!(p.bob_cache(), 0);
    }
}

#[test]
fn out_of_order_within_the_window_decrypts() {
    let mut p = pair(4);
    let envelopes = p.send(1_500);
    assert_eq!(p.receive(&envelopes[4]).unwrap(), b"m4");
    assert_eq!(p.bob_cache(), 4);
    assert_eq!(p.receive(&envelopes[1_499]).unwrap(), b"m1499");
    assert_eq!(p.bob_cache(), 4 + 1_494);
    for i in [2, 0, 1_498, 3, 700, 1] {
        assert_eq!(p.receive(&envelopes[i]).unwrap(), format!("m{i}").as_bytes());
    }
    assert_eq!(p.bob_cache(), 1_498 - 6);
}

#[test]
fn a_jump_of_2001_is_too_far_ahead_and_a_jump_of_2000_decrypts() {
    let mut p = pair(5);
    let envelopes = p.send(2_002);
    p.assert_rejected(&envelopes[2_001], "too-far-ahead");
    let mut budget = budget();
    let accepted = p
        .bob
        .decrypt(&member("alice"), &envelopes[2_000], &mut budget)
        .unwrap();
    assert_eq!(accepted.plaintext, b"m2000");
    // One budget step per skipped iteration: the per-jump bound keeps it at 2000.
    assert_eq!(budget.steps(), 2_000);
    assert_eq!(p.bob_cache(), 2_000);
    assert_eq!(p.receive(&envelopes[2_001]).unwrap(), b"m2001");
    assert_eq!(p.receive(&envelopes[0]).unwrap(), b"m0");
}

#[test]
fn the_jump_bound_counts_from_the_current_iteration() {
    let mut p = pair(6);
    let envelopes = p.send(2_013);
    assert_eq!(p.receive(&envelopes[10]).unwrap(), b"m10");
    // The next expected iteration is 11: 2012 is 2001 ahead, 2011 is 2000 ahead.
    p.assert_rejected(&envelopes[2_012], "too-far-ahead");
    assert_eq!(p.receive(&envelopes[2_011]).unwrap(), b"m2011");
}

#[test]
fn the_cache_is_pruned_to_2000_keys_lowest_first() {
    let mut p = pair(7);
    let envelopes = p.send(2_011);
    p.receive(&envelopes[2_000]).unwrap();
    assert_eq!(p.bob_cache(), 2_000);
    // Iterations 2001..=2009 join the cache; 0..=8 are pruned.
    p.receive(&envelopes[2_010]).unwrap();
    assert_eq!(p.bob_cache(), 2_000);
    p.assert_rejected(&envelopes[8], "duplicate");
    p.assert_rejected(&envelopes[0], "duplicate");
    assert_eq!(p.receive(&envelopes[9]).unwrap(), b"m9");
    assert_eq!(p.receive(&envelopes[2_009]).unwrap(), b"m2009");
    assert_eq!(p.bob_cache(), 1_998);
}

#[test]
fn an_exhausted_work_budget_leaves_the_state_unchanged() {
    let mut p = pair(8);
    let envelopes = p.send(21);
    let before = p.bob.export();
    let mut small = WorkBudget::new(10);
    let rejection = p
        .bob
        .decrypt(&member("alice"), &envelopes[20], &mut small)
        .unwrap_err();
    assert_eq!(rejection.reason, "work-budget-exhausted");
    assert_eq!(p.bob.export(), before);
    assert_eq!(p.receive(&envelopes[20]).unwrap(), b"m20");
}

#[test]
fn a_duplicate_is_rejected() {
    let mut p = pair(9);
    let envelopes = p.send(3);
    p.receive(&envelopes[0]).unwrap();
    p.assert_rejected(&envelopes[0], "duplicate");
    // Also after an out-of-order delivery consumed a cached key.
    p.receive(&envelopes[2]).unwrap();
    p.receive(&envelopes[1]).unwrap();
    p.assert_rejected(&envelopes[1], "duplicate");
    p.assert_rejected(&envelopes[2], "duplicate");
}

#[test]
fn a_flipped_bit_anywhere_in_the_ciphertext_is_a_bad_signature() {
    let mut p = pair(10);
    let envelopes = p.send(2);
    let ct_len = AccordEnvelope::parse(&envelopes[1]).unwrap().ciphertext.len();
    assert_eq!(ct_len, 2 + 16);
    for bit in 0..ct_len * 8 {
        let tampered = edited(&envelopes[1], |e| e.ciphertext[bit / 8] ^= 1 << (bit % 8));
        p.assert_rejected(&tampered, "bad-signature");
    }
    for bit in 0..12 * 8 {
        let tampered = edited(&envelopes[1], |e| e.iv[bit / 8] ^= 1 << (bit % 8));
        p.assert_rejected(&tampered, "bad-signature");
    }
    // The genuine messages still decrypt.
    assert_eq!(p.receive(&envelopes[1]).unwrap(), b"m1");
    assert_eq!(p.receive(&envelopes[0]).unwrap(), b"m0");
}

#[test]
fn a_changed_iteration_keeps_a_valid_signature_but_is_rejected() {
    let mut p = pair(11);
    let envelopes = p.send(4);
    p.receive(&envelopes[0]).unwrap();
    p.receive(&envelopes[2]).unwrap();
    // The signature covers iv ‖ ct only, so each of these passes the signature check and fails later.
    p.assert_rejected(&edited(&envelopes[3], |e| e.iteration = 4), "decryption-failed");
    p.assert_rejected(&edited(&envelopes[3], |e| e.iteration = 1), "decryption-failed");
    p.assert_rejected(&edited(&envelopes[3], |e| e.iteration = 0), "duplicate");
    p.assert_rejected(&edited(&envelopes[3], |e| e.iteration = 2_004), "too-far-ahead");
    // The key id is not checked either: a wrong one with a valid signature still reaches decryption.
    assert_eq!(
        p.receive(&edited(&envelopes[3], |e| e.key_id = [0; 8])).unwrap(),
        b"m3"
    );
    assert_eq!(p.receive(&envelopes[1]).unwrap(), b"m1");
}

#[test]
fn unknown_sender_until_the_distribution_arrives() {
    let mut p = pair(12);
    let mut carol = Accord.create(&group(), &member("carol"));
    let envelopes = p.send(1);
    let rejection = carol
        .decrypt(&member("alice"), &envelopes[0], &mut budget())
        .unwrap_err();
    assert_eq!(rejection.reason, "unknown-sender");
    assert!(rejection.is_missing_key());
    // Relayed as coming from someone else, Bob has no state for that sender.
    let rejection = p
        .bob
        .decrypt(&member("carol"), &envelopes[0], &mut budget())
        .unwrap_err();
    assert_eq!(rejection.reason, "unknown-sender");
}

#[test]
fn a_distribution_must_come_from_its_node_for_this_channel() {
    let p = pair(13);
    let mut carol = Accord.create(&group(), &member("carol"));
    let before = carol.export();
    let rejection = carol
        .process_distribution(&member("bob"), &p.distribution, &mut budget())
        .unwrap_err();
    assert_eq!(rejection.reason, "sender-mismatch");
    let mut other = AccordDistribution::parse(&p.distribution).unwrap();
    other.channel = GroupId::new("random").unwrap();
    let rejection = carol
        .process_distribution(&member("alice"), &other.encode(), &mut budget())
        .unwrap_err();
    assert_eq!(rejection.reason, "wrong-group");
    let rejection = carol
        .process_distribution(&member("alice"), b"{\"type\":\"skdm\"}", &mut budget())
        .unwrap_err();
    assert_eq!(rejection.reason, "malformed");
    assert_eq!(carol.export(), before);
}

#[test]
fn forget_sender_deletes_the_state() {
    let mut p = pair(14);
    let envelopes = p.send(2);
    p.receive(&envelopes[1]).unwrap();
    assert_eq!(p.bob_cache(), 1);
    p.bob.forget_sender(&member("alice"));
    assert_eq!(p.bob_cache(), 0);
    p.assert_rejected(&envelopes[0], "unknown-sender");
}

/// Weakness 10: one state per sender, so installing the rotated key loses messages still in flight.
#[test]
fn rotation_loses_messages_in_flight_under_the_old_key() {
    let mut p = pair(15);
    let old = p.send(3);
    assert_eq!(p.receive(&old[0]).unwrap(), b"m0");
    let rotated = p.alice.create_sender_key(&mut p.rng).unwrap();
    p.bob
        .process_distribution(&member("alice"), &rotated, &mut budget())
        .unwrap();
    assert_eq!(p.bob_cache(), 0);
    // old[1] and old[2] were sent before the rotation and arrive after it: the held key cannot verify them.
    p.assert_rejected(&old[1], "bad-signature");
    p.assert_rejected(&old[2], "bad-signature");
    let new = p.send(1);
    assert_eq!(p.receive(&new[0]).unwrap(), b"m0");
    p.assert_rejected(&old[1], "bad-signature");
}

/// The replay weakness: a stale distribution replaces the state even with the same key id, resetting the
/// chain, so consumed iterations open again.
#[test]
fn a_stale_distribution_reopens_consumed_iterations() {
    let mut p = pair(16);
    let envelopes = p.send(3);
    assert_eq!(p.receive(&envelopes[0]).unwrap(), b"m0");
    assert_eq!(p.receive(&envelopes[2]).unwrap(), b"m2");
    p.assert_rejected(&envelopes[0], "duplicate");
    p.assert_rejected(&envelopes[2], "duplicate");
    // The iteration-0 distribution, re-processed (same key id as the held state).
    let stale = p.distribution.clone();
    p.bob
        .process_distribution(&member("alice"), &stale, &mut budget())
        .unwrap();
    assert_eq!(p.bob_cache(), 0);
    assert_eq!(p.receive(&envelopes[0]).unwrap(), b"m0");
    assert_eq!(p.receive(&envelopes[2]).unwrap(), b"m2");
    assert_eq!(p.receive(&envelopes[1]).unwrap(), b"m1");
    // A current distribution (iteration 3 — still the same key id) also replaces the state.
    let current = p.alice.distribution().unwrap();
    p.bob
        .process_distribution(&member("alice"), &current, &mut budget())
        .unwrap();
    p.assert_rejected(&envelopes[1], "duplicate");
}

#[test]
fn export_import_round_trip() {
    let mut p = pair(17);
    let envelopes = p.send(6);
    p.receive(&envelopes[3]).unwrap();
    p.bob.create_sender_key(&mut p.rng).unwrap();
    p.bob.create_sender_key(&mut p.rng).unwrap();
    let exported = p.bob.export();
    assert_eq!(p.bob.export(), exported, "export is deterministic");
    let mut imported = Accord.import(&exported).unwrap();
    assert_eq!(imported.export(), exported);
    assert_eq!(imported.skipped_keys(&member("alice")), 3);
    assert_eq!(imported.distribution().unwrap(), p.bob.distribution().unwrap());
    // The imported state behaves like the original.
    for i in [5, 1, 4] {
        let original = p.receive(&envelopes[i]).unwrap();
        let copy = imported
            .decrypt(&member("alice"), &envelopes[i], &mut budget())
            .unwrap();
        assert_eq!(copy.plaintext, original);
    }
    assert_eq!(imported.export(), p.bob.export());
    let alice = Accord.import(&p.alice.export()).unwrap();
    assert_eq!(alice.export(), p.alice.export());
}

#[test]
fn importing_garbage_is_rejected() {
    let p = pair(18);
    let exported = String::from_utf8(p.bob.export()).unwrap();
    let chain_key = {
        let start = exported.find("\"chain_key\":\"").unwrap() + 13;
        exported[start..start + 64].to_owned()
    };
    let garbage: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"not json".to_vec(),
        b"{}".to_vec(),
        b"null".to_vec(),
        vec![0xff; 40],
        exported.as_bytes()[..exported.len() / 2].to_vec(),
        exported.replace(&chain_key, "zz").into_bytes(),
        exported.replace(&chain_key, &chain_key[..62]).into_bytes(),
        exported.replace("\"general\"", "\"\"").into_bytes(),
        exported
            .replace("\"iteration\":0", "\"iteration\":-1")
            .into_bytes(),
        exported
            .replace("\"iteration\":0", "\"iteration\":4294967297")
            .into_bytes(),
        exported
            .replace("{\"group\"", "{\"extra\":1,\"group\"")
            .into_bytes(),
    ];
    for (i, bytes) in garbage.iter().enumerate() {
        let rejection = Accord.import(bytes).map(|_| ()).unwrap_err();
        assert_eq!(rejection.reason, "bad-state", "input {i}: {}", rejection.detail);
    }
}

#[test]
fn malformed_envelopes_are_rejected_without_change() {
    let mut p = pair(19);
    let envelopes = p.send(1);
    let inputs: [&[u8]; 4] = [b"", b"{}", b"\xff\xfe", &envelopes[0][..envelopes[0].len() - 2]];
    for input in inputs {
        let before = p.bob.export();
        assert!(p.receive(input).is_err());
        assert_eq!(p.bob.export(), before);
    }
    assert_eq!(p.receive(&envelopes[0]).unwrap(), b"m0");
}
