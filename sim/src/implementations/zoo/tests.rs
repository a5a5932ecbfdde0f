//! The zoo base's behaviour, and each planted bug shown directly.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use senderkeys::consts::{FORWARD_JUMP_MAX, SENDER_STATES_MAX, SKIPPED_KEYS_MAX};
use senderkeys::wire::hardened::{HardenedDistribution, HardenedMessage};
use senderkeys::{GroupId, GroupSession, SuiteId};

use super::*;
use crate::attacks;
use crate::implementations::test_support::{Trio, budget, id};

fn group() -> GroupId {
    GroupId::new("general").expect("valid group id")
}

/// Alice, Bob and Carol of `bug`'s zoo, Bob and Carol holding Alice's first key.
fn trio(bug: Option<Bug>, seed: u64) -> Trio {
    let mut t = Trio::new(&Zoo { bug }, seed);
    t.distribute();
    t
}

/// A zoo instance with its concrete type.
fn member(bug: Option<Bug>, name: &str) -> Instance {
    Zoo { bug }.instance(&group(), &id(name))
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// Whether `f` panics.
fn panics(f: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

/// Bob decrypts `envelope` from Alice; returns the rejection's reason, or `ok`.
fn outcome(t: &mut Trio, envelope: &[u8]) -> String {
    match t.bob_decrypts(envelope) {
        Ok(_) => "ok".to_owned(),
        Err(rejection) => rejection.reason,
    }
}

#[test]
fn the_base_speaks_hardened_byte_for_byte_with_the_reference() {
    // Zoo Alice → reference Bob, and reference Alice → zoo Bob.
    let mut alice = member(None, "alice");
    let mut bob = GroupSession::new(SuiteId::Hardened, group(), id("bob"));
    let distribution = alice.create_sender_key(&mut rng(1)).expect("key");
    HardenedDistribution::parse(&distribution).expect("a hardened distribution");
    bob.process_distribution(&id("alice"), &distribution)
        .expect("the reference installs it");
    let envelope = alice.encrypt(&mut rng(2), b"from the zoo").expect("encrypt");
    HardenedMessage::parse(&envelope).expect("a hardened message");
    assert_eq!(
        bob.decrypt(&id("alice"), &envelope).expect("decrypts").plaintext,
        b"from the zoo"
    );

    let mut carol = GroupSession::new(SuiteId::Hardened, group(), id("carol"));
    let mut dave = member(None, "dave");
    let distribution = carol.create_sender_key(&mut rng(3)).expect("key");
    dave.process_distribution(&id("carol"), &distribution, &mut budget())
        .expect("installs");
    let envelope = carol
        .encrypt(&mut rng(4), b"from the reference")
        .expect("encrypt");
    let accepted = dave
        .decrypt(&id("carol"), &envelope, &mut budget())
        .expect("decrypts");
    assert_eq!(accepted.plaintext, b"from the reference");
}

#[test]
fn the_base_decrypts_out_of_order_and_rejects_duplicates_without_a_trace() {
    let mut t = trio(None, 1);
    let envelopes: Vec<Vec<u8>> = (0..4)
        .map(|i| t.alice.encrypt(&mut t.rng, &[i]).expect("encrypt"))
        .collect();
    for i in [3u8, 0, 2, 1] {
        assert_eq!(
            t.bob_decrypts(&envelopes[usize::from(i)])
                .expect("accepted")
                .plaintext,
            [i]
        );
    }
    let before = t.bob.export();
    for envelope in &envelopes {
        assert_eq!(outcome(&mut t, envelope), "duplicate");
        assert_eq!(t.bob.export(), before);
    }
    assert_eq!(t.bob.skipped_keys(&id("alice")), 0);
    // Export and import give the same state back.
    let again = Zoo::default().import(&before).expect("imports");
    assert_eq!(again.export(), before);
}

#[test]
fn every_crafted_input_is_rejected_and_changes_nothing() {
    let mut t = trio(None, 2);
    let first = t.alice.encrypt(&mut t.rng, b"m0").expect("encrypt");
    t.bob_decrypts(&first).expect("genuine");
    let last = t.alice.encrypt(&mut t.rng, b"m1").expect("encrypt");
    let mut crafted = vec![
        attacks::forge(&last, &mut rng(5)).expect("forge"),
        attacks::far_future(&last).expect("far-future"),
        attacks::resplit(&last).expect("resplit"),
        attacks::INJECTED_TEXT.to_vec(),
        first.clone(),
    ];
    crafted.extend((0..64).map(|seed| attacks::tamper(&last, &mut rng(seed)).expect("tamper")));
    let before = t.bob.export();
    for input in &crafted {
        assert_ne!(outcome(&mut t, input), "ok");
        assert_eq!(t.bob.export(), before);
    }
    assert_eq!(
        t.bob_decrypts(&last)
            .expect("the genuine one still opens")
            .plaintext,
        b"m1"
    );
}

#[test]
fn keys_rotate_up_to_the_bound_and_a_held_key_never_rewinds() {
    let mut t = trio(None, 3);
    let first = t.alice.distribution().expect("distribution");
    let old = t.alice.encrypt(&mut t.rng, b"old").expect("encrypt");
    t.bob_decrypts(&old).expect("genuine");
    // The stale distribution of the key already held is ignored: the replay stays a duplicate.
    t.bob
        .process_distribution(&id("alice"), &first, &mut budget())
        .expect("ignored");
    assert_eq!(outcome(&mut t, &old), "duplicate");
    let late = t.alice.encrypt(&mut t.rng, b"late").expect("encrypt");
    for _ in 0..SENDER_STATES_MAX - 1 {
        t.distribute();
    }
    assert_eq!(
        t.bob.retained_keys(&id("alice")).map(|k| k.len()),
        Some(SENDER_STATES_MAX)
    );
    assert_eq!(
        t.bob_decrypts(&late).expect("an older key still opens").plaintext,
        b"late"
    );
    t.distribute();
    assert_eq!(
        t.bob.retained_keys(&id("alice")).map(|k| k.len()),
        Some(SENDER_STATES_MAX)
    );
    // The first key was retired: its distribution is refused, not re-installed.
    let refused = t
        .bob
        .process_distribution(&id("alice"), &first, &mut budget())
        .unwrap_err();
    assert_eq!(refused.reason, "retired-key");
}

#[test]
fn the_sender_refuses_past_the_last_iteration() {
    let mut alice = member(None, "alice");
    let mut bob = member(None, "bob");
    let distribution = alice.create_sender_key_at(&mut rng(1), u32::MAX).expect("key");
    bob.process_distribution(&id("alice"), &distribution, &mut budget())
        .expect("installs");
    let last = alice.encrypt(&mut rng(2), b"last").expect("the last iteration");
    assert_eq!(alice.last_sent().map(|p| p.iteration), Some(u32::MAX));
    bob.decrypt(&id("alice"), &last, &mut budget()).expect("accepted");
    assert_eq!(
        alice.encrypt(&mut rng(3), b"x").unwrap_err().reason,
        "iteration-exhausted"
    );
    assert_eq!(alice.distribution().unwrap_err().reason, "iteration-exhausted");
}

#[test]
fn forging_ahead_with_the_stolen_key_is_the_senders_own_message() {
    let mut t = trio(None, 4);
    let stolen = t.alice.signing_key().expect("a key");
    let forged = t.forge(Some(&stolen), 7, b"forged").expect("forge");
    let genuine = t.alice.encrypt(&mut rng(7), b"forged").expect("encrypt");
    assert_eq!(forged, genuine);
    let position = t.alice.last_sent().expect("sent");
    assert_eq!(
        position.key_id,
        t.bob.retained_keys(&id("alice")).expect("held")[0]
    );
    // Without the key, the forger's own signature is refused.
    let own = t.forge(None, 8, b"forged").expect("forge");
    assert_eq!(outcome(&mut t, &own), "bad-signature");

    let mut carol = member(None, "carol");
    let distribution = t.alice.distribution().expect("distribution");
    carol
        .process_distribution(&id("alice"), &distribution, &mut budget())
        .expect("installs");
    let ahead = carol
        .forge_along(&id("alice"), Some(&stolen), &mut rng(9), b"ahead", 3)
        .expect("forge");
    assert_eq!(
        HardenedMessage::parse(&ahead).expect("hardened").iteration,
        position.iteration + 3
    );
    assert_eq!(t.bob_decrypts(&ahead).expect("accepted").plaintext, b"ahead");
    assert_eq!(t.bob.skipped_keys(&id("alice")), 3);
    let too_far = carol
        .forge_along(&id("alice"), None, &mut rng(9), b"x", 0)
        .unwrap_err();
    assert_eq!(too_far.reason, UNSUPPORTED);
}

/// Bob holds Alice's key; Carol forges `ahead` iterations past it with Alice's stolen signing key.
fn jump(bug: Option<Bug>, ahead: u32) -> (Trio, Result<Accepted, Rejection>, u64) {
    let mut t = trio(bug, 5);
    let stolen = t.alice.signing_key().expect("a key");
    let mut carol = member(bug, "carol");
    let distribution = t.alice.distribution().expect("distribution");
    carol
        .process_distribution(&id("alice"), &distribution, &mut budget())
        .expect("installs");
    let forged = carol
        .forge_along(&id("alice"), Some(&stolen), &mut rng(1), b"x", ahead)
        .expect("forge");
    let mut work = WorkBudget::new(u64::from(FORWARD_JUMP_MAX) * 4);
    let result = t.bob.decrypt(&id("alice"), &forged, &mut work);
    (t, result, work.steps())
}

#[test]
fn the_skipped_key_cache_and_the_jump_are_bounded() {
    let (t, result, steps) = jump(None, 2_501);
    result.expect("a jump of 2,500 is allowed");
    assert_eq!(
        (t.bob.skipped_keys(&id("alice")), steps),
        (SKIPPED_KEYS_MAX, 2_501)
    );
    let (_, result, steps) = jump(None, FORWARD_JUMP_MAX + 2);
    assert_eq!((result.unwrap_err().reason.as_str(), steps), ("too-far-ahead", 0));
}

// ---- each bug, shown directly ----

#[test]
fn chain_key_length_panic() {
    let alice = member(None, "alice");
    let mut alice = alice;
    let mut bytes = alice.create_sender_key(&mut rng(1)).expect("key");
    bytes.remove(20); // a 31-byte chain key
    let mut base = member(None, "bob");
    let refused = base
        .process_distribution(&id("alice"), &bytes, &mut budget())
        .unwrap_err();
    assert_eq!(refused.reason, "bad-length");
    let mut buggy = member(Some(Bug::ChainKeyLengthPanic), "bob");
    assert!(panics(|| drop(buggy.process_distribution(
        &id("alice"),
        &bytes,
        &mut budget()
    ))));
}

#[test]
fn nonce_length_panic() {
    let mut base = trio(None, 6);
    let envelope = base.alice.encrypt(&mut base.rng, b"m").expect("encrypt");
    let resplit = attacks::resplit(&envelope).expect("resplit");
    assert_eq!(outcome(&mut base, &resplit), "bad-length");
    let mut t = trio(Some(Bug::NonceLengthPanic), 6);
    let envelope = t.alice.encrypt(&mut t.rng, b"m").expect("encrypt");
    t.bob_decrypts(&envelope).expect("genuine");
    // Even after the genuine copy: the decoder panics before anything is looked up.
    let resplit = attacks::resplit(&envelope).expect("resplit");
    assert!(panics(|| drop(t.bob_decrypts(&resplit))));
}

#[test]
fn unsigned_split_panic() {
    let mut t = trio(Some(Bug::UnsignedSplitPanic), 7);
    let envelope = t.alice.encrypt(&mut t.rng, b"m").expect("encrypt");
    let resplit = attacks::resplit(&envelope).expect("resplit");
    // Arriving first, the re-split copy verifies (the lengths are not signed) and the nonce conversion panics.
    assert!(panics(|| drop(t.bob_decrypts(&resplit))));
    assert_eq!(t.bob_decrypts(&envelope).expect("genuine").plaintext, b"m");
    // After the genuine copy it is a duplicate, rejected before the conversion.
    assert_eq!(outcome(&mut t, &resplit), "duplicate");
}

#[test]
fn unbounded_skipped_total() {
    let (t, result, _) = jump(Some(Bug::UnboundedSkippedTotal), 2_501);
    result.expect("accepted");
    assert_eq!(t.bob.skipped_keys(&id("alice")), 2_500);
}

#[test]
fn advance_before_verify() {
    for (bug, changed) in [(None, false), (Some(Bug::AdvanceBeforeVerify), true)] {
        let mut t = trio(bug, 8);
        let envelope = t.alice.encrypt(&mut t.rng, b"m").expect("encrypt");
        let forged = attacks::forge(&envelope, &mut rng(1)).expect("forge");
        let before = t.bob.export();
        assert_eq!(outcome(&mut t, &forged), "bad-signature");
        assert_eq!(t.bob.export() != before, changed, "{bug:?}");
    }
}

#[test]
fn unsigned_iteration() {
    for (bug, expected, changed) in [
        (None, "bad-signature", false),
        (Some(Bug::UnsignedIteration), "decryption-failed", true),
    ] {
        let mut t = trio(bug, 9);
        let envelope = t.alice.encrypt(&mut t.rng, b"m").expect("encrypt");
        let mut moved = envelope.clone();
        moved[10] ^= 0x04; // iteration 0 → 4
        let before = t.bob.export();
        assert_eq!(outcome(&mut t, &moved), expected);
        assert_eq!(t.bob.export() != before, changed, "{bug:?}");
    }
}

#[test]
fn iteration_wraps() {
    let mut alice = member(Some(Bug::IterationWraps), "alice");
    let mut bob = member(None, "bob");
    let distribution = alice.create_sender_key_at(&mut rng(1), u32::MAX).expect("key");
    bob.process_distribution(&id("alice"), &distribution, &mut budget())
        .expect("installs");
    let last = alice.encrypt(&mut rng(2), b"last").expect("encrypt");
    bob.decrypt(&id("alice"), &last, &mut budget()).expect("accepted");
    let wrapped = alice
        .encrypt(&mut rng(3), b"wrapped")
        .expect("the flaw: no refusal");
    assert_eq!(HardenedMessage::parse(&wrapped).expect("hardened").iteration, 0);
    let refused = bob.decrypt(&id("alice"), &wrapped, &mut budget()).unwrap_err();
    assert_eq!(refused.reason, "duplicate");
}

#[test]
fn distribution_rewinds() {
    let mut t = trio(Some(Bug::DistributionRewinds), 10);
    let stale = t.alice.distribution().expect("distribution");
    let envelope = t.alice.encrypt(&mut t.rng, b"once").expect("encrypt");
    t.bob_decrypts(&envelope).expect("genuine");
    t.bob
        .process_distribution(&id("alice"), &stale, &mut budget())
        .expect("installs");
    assert_eq!(
        t.bob_decrypts(&envelope)
            .expect("the replay opens again")
            .plaintext,
        b"once"
    );
}

#[test]
fn rotation_discards_old() {
    let mut t = trio(Some(Bug::RotationDiscardsOld), 11);
    let in_flight = t.alice.encrypt(&mut t.rng, b"in flight").expect("encrypt");
    t.distribute();
    assert_eq!(t.bob.retained_keys(&id("alice")).map(|k| k.len()), Some(1));
    assert_eq!(outcome(&mut t, &in_flight), "unknown-key");
}

#[test]
fn skipped_key_kept() {
    let mut t = trio(Some(Bug::SkippedKeyKept), 12);
    let early = t.alice.encrypt(&mut t.rng, b"early").expect("encrypt");
    let later = t.alice.encrypt(&mut t.rng, b"later").expect("encrypt");
    t.bob_decrypts(&later).expect("genuine");
    t.bob_decrypts(&early).expect("genuine, from the cache");
    assert_eq!(t.bob_decrypts(&early).expect("and again").plaintext, b"early");
}

#[test]
fn plaintext_on_failure() {
    let mut t = trio(Some(Bug::PlaintextOnFailure), 13);
    let accepted = t
        .bob_decrypts(attacks::INJECTED_TEXT)
        .expect("shown as a message");
    assert_eq!(accepted.plaintext, attacks::INJECTED_TEXT);
}

#[test]
fn key_id_global() {
    for (bug, expected) in [(None, "unknown-key"), (Some(Bug::KeyIdGlobal), "ok")] {
        let mut t = trio(bug, 14);
        // Carol makes a key in Alice's name and hands it to Bob as her own, then sends under it as Alice.
        let mut fake = member(bug, "alice");
        let distribution = fake.create_sender_key(&mut rng(1)).expect("key");
        t.bob
            .process_distribution(&id("carol"), &distribution, &mut budget())
            .expect("Carol's key");
        let forged = fake.encrypt(&mut rng(2), b"as alice").expect("encrypt");
        assert_eq!(outcome(&mut t, &forged), expected, "{bug:?}");
    }
}

#[test]
fn no_jump_bound() {
    let (_, result, steps) = jump(Some(Bug::NoJumpBound), FORWARD_JUMP_MAX + 2);
    result.expect("accepted");
    assert!(steps > u64::from(FORWARD_JUMP_MAX), "{steps}");
}

#[test]
fn duplicate_check_current_only() {
    for (bug, expected) in [(None, "duplicate"), (Some(Bug::DuplicateCheckCurrentOnly), "ok")] {
        let mut t = trio(bug, 15);
        let old = t.alice.encrypt(&mut t.rng, b"old").expect("encrypt");
        t.distribute();
        t.bob_decrypts(&old).expect("genuine, under the older key");
        assert_eq!(outcome(&mut t, &old), expected, "{bug:?}");
    }
}

#[test]
fn keeps_initial_chain() {
    for (bug, expected) in [(None, "duplicate"), (Some(Bug::KeepsInitialChain), "ok")] {
        let mut t = trio(bug, 16);
        let envelope = t.alice.encrypt(&mut t.rng, b"read").expect("encrypt");
        t.bob_decrypts(&envelope).expect("genuine");
        let mut stolen = Zoo { bug }.import(&t.bob.export()).expect("imports");
        let result = stolen.decrypt(&id("alice"), &envelope, &mut budget());
        assert_eq!(
            result.map_or_else(|r| r.reason, |_| "ok".to_owned()),
            expected,
            "{bug:?}"
        );
        // Bob himself still refuses the replay.
        assert_eq!(outcome(&mut t, &envelope), "duplicate");
    }
}

#[test]
fn newcomer_gets_initial_chain() {
    for (bug, expected) in [(None, "duplicate"), (Some(Bug::NewcomerGetsInitialChain), "ok")] {
        let mut t = trio(bug, 17);
        let before = t.alice.encrypt(&mut t.rng, b"before dave").expect("encrypt");
        let mut dave = member(None, "dave");
        let distribution = t.alice.distribution().expect("distribution");
        dave.process_distribution(&id("alice"), &distribution, &mut budget())
            .expect("installs");
        let result = dave.decrypt(&id("alice"), &before, &mut budget());
        assert_eq!(
            result.map_or_else(|r| r.reason, |_| "ok".to_owned()),
            expected,
            "{bug:?}"
        );
    }
}

#[test]
fn every_bug_has_a_distinct_name_that_parses_back() {
    let names: std::collections::BTreeSet<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
    assert_eq!(names.len(), Bug::ALL.len());
    for (index, bug) in Bug::ALL.into_iter().enumerate() {
        assert_eq!(
            bug as usize, index,
            "Bug::ALL is in the enum's order, as the table of names is"
        );
    }
    for bug in Bug::ALL {
        assert_eq!(Bug::named(bug.name()), Some(bug));
        let spec = crate::scenario::ImplementationSpec::parse(&format!("zoo/{bug}")).expect("parses");
        assert_eq!(spec.to_string(), format!("zoo/{bug}"));
        assert_eq!(spec.factory().expect("factory").name(), format!("zoo/{bug}"));
    }
    assert!(crate::scenario::ImplementationSpec::parse("zoo/no-such-bug").is_err());
}

#[test]
fn constant_key_id() {
    let mut t = trio(Some(Bug::ConstantKeyId), 18);
    let first = t.bob.retained_keys(&id("alice")).expect("held");
    let rotated = t.alice.create_sender_key(&mut t.rng).expect("rotation");
    let refused = t
        .bob
        .process_distribution(&id("alice"), &rotated, &mut budget())
        .unwrap_err();
    assert_eq!(refused.reason, "key-conflict");
    assert_eq!(t.alice.last_sent(), None);
    let envelope = t
        .alice
        .encrypt(&mut t.rng, b"after the rotation")
        .expect("encrypt");
    assert_eq!(t.bob.retained_keys(&id("alice")), Some(first));
    assert_eq!(outcome(&mut t, &envelope), "bad-signature");
}

#[test]
fn distribution_iteration_ignored() {
    for (bug, expected) in [
        (None, "ok"),
        (Some(Bug::DistributionIterationIgnored), "decryption-failed"),
    ] {
        let mut t = trio(bug, 19);
        t.send_to_both(b"m0");
        let mut dave = member(bug, "dave");
        let distribution = t.alice.distribution().expect("at iteration 1");
        dave.process_distribution(&id("alice"), &distribution, &mut budget())
            .expect("installs");
        let envelope = t.alice.encrypt(&mut t.rng, b"m1").expect("encrypt");
        let result = dave.decrypt(&id("alice"), &envelope, &mut budget());
        assert_eq!(
            result.map_or_else(|r| r.reason, |_| "ok".to_owned()),
            expected,
            "{bug:?}"
        );
    }
}

#[test]
fn verifies_with_newest_key() {
    for (bug, expected) in [(None, "ok"), (Some(Bug::VerifiesWithNewestKey), "bad-signature")] {
        let mut t = trio(bug, 20);
        let in_flight = t.alice.encrypt(&mut t.rng, b"in flight").expect("encrypt");
        t.distribute();
        assert_eq!(outcome(&mut t, &in_flight), expected, "{bug:?}");
    }
}

#[test]
fn skipped_off_by_one() {
    for (bug, expected) in [
        (None, ["ok", "ok"]),
        (Some(Bug::SkippedOffByOne), ["duplicate", "decryption-failed"]),
    ] {
        let mut t = trio(bug, 21);
        let early: Vec<Vec<u8>> = (0..2u8)
            .map(|i| t.alice.encrypt(&mut t.rng, &[i]).expect("encrypt"))
            .collect();
        let later = t.alice.encrypt(&mut t.rng, b"later").expect("encrypt");
        t.bob_decrypts(&later).expect("genuine");
        let outcomes = [outcome(&mut t, &early[0]), outcome(&mut t, &early[1])];
        assert_eq!(outcomes, expected, "{bug:?}");
    }
}
