//! The `p2p` model of the peer-to-peer sketch: it works in order, and it reproduces the sketch's weaknesses
//! exactly.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use senderkeys::SigningKeyPair;
use senderkeys::wire::p2p::{P2pDistribution, P2pGroupMessage, P2pSenderKeyRecord};
use senderkeys::{ChainKey, Kdf};
use senderkeys::{Cipher, Nonce};
use senderkeys::{GroupId, MemberId};
use sksim::implementation::{
    Accepted, BUDGET_EXHAUSTED, Implementation, ImplementationFactory, Rejection, Transport, WorkBudget,
};
use sksim::implementations::p2p::P2p;

const KDF: Kdf = Kdf::HmacLabels {
    message: "message",
    chain: "chain",
};
const BUDGET: u64 = 1_000_000;

fn id(name: &str) -> MemberId {
    MemberId::new(name).expect("valid member id")
}

fn group() -> GroupId {
    GroupId::new("g1").expect("valid group id")
}

fn budget() -> WorkBudget {
    WorkBudget::new(BUDGET)
}

/// A member with its first sender key; returns the instance and that key's distribution.
fn member(name: &str, rng: &mut ChaCha20Rng) -> (Box<dyn Implementation>, Vec<u8>) {
    let mut imp = P2p.create(&group(), &id(name));
    let distribution = imp.create_sender_key(rng).expect("first sender key");
    (imp, distribution)
}

fn deliver_key(to: &mut Box<dyn Implementation>, from: &str, distribution: &[u8]) {
    to.process_distribution(&id(from), distribution, &mut budget())
        .expect("distribution accepted");
}

fn decrypt(to: &mut Box<dyn Implementation>, from: &str, envelope: &[u8]) -> Result<Accepted, Rejection> {
    to.decrypt(&id(from), envelope, &mut budget())
}

fn reason(result: Result<Accepted, Rejection>) -> String {
    result.expect_err("a rejection").reason
}

fn accepted(sender: &str, plaintext: &[u8]) -> Accepted {
    Accepted {
        claimed_sender: id(sender),
        plaintext: plaintext.to_vec(),
    }
}

/// The serialized `SenderKey` inside a distribution.
fn record_of(distribution: &[u8]) -> P2pSenderKeyRecord {
    let distribution = P2pDistribution::parse(distribution).expect("a distribution");
    P2pSenderKeyRecord::parse(&distribution.encrypted_sender_key).expect("a sender key record")
}

/// Alice and Bob, each holding the other's key.
fn pair(seed: u64) -> (ChaCha20Rng, Box<dyn Implementation>, Box<dyn Implementation>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (mut alice, alice_key) = member("alice", &mut rng);
    let (mut bob, bob_key) = member("bob", &mut rng);
    deliver_key(&mut bob, "alice", &alice_key);
    deliver_key(&mut alice, "bob", &bob_key);
    (rng, alice, bob)
}

#[test]
fn factory_describes_seed_000() {
    assert_eq!(P2p.name(), "p2p");
    assert_eq!(P2p.transport(), Transport::Forwarded);
    assert_eq!(P2p.skipped_keys_max(), 0);
}

#[test]
fn in_order_messages_decrypt() {
    let (mut rng, mut alice, mut bob) = pair(1);
    for text in [&b"one"[..], b"two", b"three"] {
        let envelope = alice.encrypt(&mut rng, text).unwrap();
        assert_eq!(decrypt(&mut bob, "alice", &envelope), Ok(accepted("alice", text)));
    }
    let envelope = bob.encrypt(&mut rng, b"reply").unwrap();
    assert_eq!(
        decrypt(&mut alice, "bob", &envelope),
        Ok(accepted("bob", b"reply"))
    );
    assert_eq!(bob.skipped_keys(&id("alice")), 0);
}

#[test]
fn unknown_sender_is_a_missing_key() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let (mut alice, _) = member("alice", &mut rng);
    let (mut carol, _) = member("carol", &mut rng);
    let envelope = alice.encrypt(&mut rng, b"hi").unwrap();
    let rejection = decrypt(&mut carol, "alice", &envelope).unwrap_err();
    assert_eq!(rejection.reason, "unknown-sender");
    assert!(rejection.is_missing_key());
}

/// Step 4 advances before it builds the message: the first message says iteration 1 but is encrypted with the
/// message key of chain position 0, the chain key the distribution handed out.
#[test]
fn first_message_carries_iteration_one_and_uses_position_zero() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (mut alice, alice_key) = member("alice", &mut rng);
    let record = record_of(&alice_key);
    assert_eq!(record.iteration, 0);
    let first = P2pGroupMessage::parse(&alice.encrypt(&mut rng, b"first").unwrap()).unwrap();
    let second = P2pGroupMessage::parse(&alice.encrypt(&mut rng, b"second").unwrap()).unwrap();
    assert_eq!((first.iteration, second.iteration), (1, 2));
    assert_eq!(first.sender_id, id("alice"));
    assert_eq!(first.group_id, group());
    let key0 = KDF.message_key(&ChainKey::from_bytes(record.chain_key));
    let opened = Cipher::Aes256Gcm.open(&key0, &Nonce::Aead(first.nonce), &[], &first.ciphertext);
    assert_eq!(opened.unwrap(), b"first");
    // The current distribution is at the current iteration.
    assert_eq!(record_of(&alice.distribution().unwrap()).iteration, 2);
}

/// Step 5 burns the keys it skips and caches nothing: an older message after a newer one is lost.
#[test]
fn older_message_after_newer_is_a_duplicate() {
    let (mut rng, mut alice, mut bob) = pair(4);
    let m1 = alice.encrypt(&mut rng, b"m1").unwrap();
    let m2 = alice.encrypt(&mut rng, b"m2").unwrap();
    assert_eq!(decrypt(&mut bob, "alice", &m2), Ok(accepted("alice", b"m2")));
    assert_eq!(reason(decrypt(&mut bob, "alice", &m1)), "duplicate");
    assert_eq!(reason(decrypt(&mut bob, "alice", &m2)), "duplicate");
    assert_eq!(bob.skipped_keys(&id("alice")), 0);
}

/// Weakness 5: the chain moves before the signature is checked, so a tampered message destroys the key of the
/// genuine one.
#[test]
fn tampered_message_burns_the_chain() {
    let (mut rng, mut alice, mut bob) = pair(5);
    let m1 = alice.encrypt(&mut rng, b"m1").unwrap();
    let m2 = alice.encrypt(&mut rng, b"m2").unwrap();
    let mut tampered = P2pGroupMessage::parse(&m1).unwrap();
    tampered.ciphertext[0] ^= 0x01;
    let before = bob.export();
    assert_eq!(
        reason(decrypt(&mut bob, "alice", &tampered.encode())),
        "bad-signature"
    );
    assert_ne!(bob.export(), before, "the rejected message advanced the chain");
    assert_eq!(reason(decrypt(&mut bob, "alice", &m1)), "duplicate");
    assert_eq!(decrypt(&mut bob, "alice", &m2), Ok(accepted("alice", b"m2")));
}

/// Weakness 8: the iteration is not signed; raising it passes the signature, fails at the AEAD, and the chain
/// has moved past every message in between.
#[test]
fn changed_iteration_verifies_then_burns_the_chain() {
    let (mut rng, mut alice, mut bob) = pair(6);
    let m1 = alice.encrypt(&mut rng, b"m1").unwrap();
    let mut changed = P2pGroupMessage::parse(&m1).unwrap();
    changed.iteration = 5;
    assert_eq!(
        reason(decrypt(&mut bob, "alice", &changed.encode())),
        "decryption-failed"
    );
    assert_eq!(reason(decrypt(&mut bob, "alice", &m1)), "duplicate");
}

/// Weakness 6: nothing bounds the forward jump; only the engine's budget stops it, and the chain stays moved.
#[test]
fn huge_iteration_exhausts_the_budget() {
    let (mut rng, mut alice, mut bob) = pair(7);
    let m1 = alice.encrypt(&mut rng, b"m1").unwrap();
    let forged = P2pGroupMessage {
        group_id: group(),
        sender_id: id("alice"),
        iteration: 3_000_000,
        nonce: [7; 12],
        ciphertext: vec![0x42; 32],
        signature: [9; 64],
    };
    let mut work = WorkBudget::new(1_000_000);
    let rejection = bob
        .decrypt(&id("mallory"), &forged.encode(), &mut work)
        .unwrap_err();
    assert_eq!(rejection.reason, BUDGET_EXHAUSTED);
    assert_eq!(work.steps(), 1_000_001);
    assert_eq!(reason(decrypt(&mut bob, "alice", &m1)), "duplicate");
}

/// Weakness 7: a newcomer takes forwarded keys for whoever they name. Forwarding works for honest members, and
/// a malicious member can install a fake key for another and then speak as them.
#[test]
fn forwarded_keys_work_and_fake_ones_are_believed() {
    let (mut rng, mut alice, bob) = pair(8);
    let (mut newcomer, _) = member("newcomer", &mut rng);
    let forwarded = bob.forwarded_distributions();
    assert_eq!(forwarded.len(), 1);
    assert_eq!(forwarded[0].0, id("alice"));
    deliver_key(&mut newcomer, "bob", &forwarded[0].1);
    let genuine = alice.encrypt(&mut rng, b"welcome").unwrap();
    assert_eq!(
        decrypt(&mut newcomer, "alice", &genuine),
        Ok(accepted("alice", b"welcome"))
    );

    // Bob runs a puppet "alice" and forwards its key in Alice's name.
    let (mut puppet, fake_key) = member("alice", &mut rng);
    deliver_key(&mut newcomer, "bob", &fake_key);
    let forged = puppet.encrypt(&mut rng, b"pay bob").unwrap();
    assert_eq!(
        decrypt(&mut newcomer, "bob", &forged),
        Ok(accepted("alice", b"pay bob"))
    );
    // The real Alice is now locked out at the newcomer.
    let real = alice.encrypt(&mut rng, b"it was not me").unwrap();
    assert_eq!(reason(decrypt(&mut newcomer, "alice", &real)), "bad-signature");
}

/// Weakness 12 for every member: the distribution carries Alice's private signing key, so Bob can sign as Alice
/// and Carol accepts it.
#[test]
fn receiver_of_a_key_can_sign_as_its_owner() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let (mut alice, alice_key) = member("alice", &mut rng);
    let (mut carol, _) = member("carol", &mut rng);
    deliver_key(&mut carol, "alice", &alice_key);
    // Bob received the same distribution as Carol: the record's "public key" field holds her secret seed.
    let record = record_of(&alice_key);
    let stolen = SigningKeyPair::from_secret_bytes(&record.signing_public_key);
    let genuine = P2pGroupMessage::parse(&alice.encrypt(&mut rng, b"real").unwrap()).unwrap();
    assert!(stolen.public().verifies(&genuine.ciphertext, &genuine.signature));
    assert_ne!(stolen.public().to_bytes(), record.signing_public_key);

    // Bob builds the next message of Alice's chain himself.
    let chain = KDF.next_chain_key(&ChainKey::from_bytes(record.chain_key));
    let nonce = [3; 12];
    let ciphertext = Cipher::Aes256Gcm.seal(&KDF.message_key(&chain), &Nonce::Aead(nonce), &[], b"forged");
    let forged = P2pGroupMessage {
        group_id: group(),
        sender_id: id("alice"),
        iteration: 2,
        nonce,
        signature: stolen.sign(&ciphertext),
        ciphertext,
    };
    assert_eq!(
        decrypt(&mut carol, "bob", &forged.encode()),
        Ok(accepted("alice", b"forged"))
    );
}

/// Weakness 14: a re-delivered distribution rewinds the chain, and an old message is accepted again.
#[test]
fn stale_distribution_reopens_replay() {
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let (mut alice, alice_key) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    deliver_key(&mut bob, "alice", &alice_key);
    let m1 = alice.encrypt(&mut rng, b"m1").unwrap();
    assert_eq!(decrypt(&mut bob, "alice", &m1), Ok(accepted("alice", b"m1")));
    deliver_key(&mut bob, "alice", &alice_key);
    assert_eq!(decrypt(&mut bob, "alice", &m1), Ok(accepted("alice", b"m1")));
}

#[test]
fn forget_sender_removes_the_key() {
    let (mut rng, mut alice, mut bob) = pair(11);
    bob.forget_sender(&id("alice"));
    assert!(bob.forwarded_distributions().is_empty());
    let envelope = alice.encrypt(&mut rng, b"gone").unwrap();
    assert_eq!(reason(decrypt(&mut bob, "alice", &envelope)), "unknown-sender");
}

#[test]
fn malformed_inputs_are_rejected_without_panicking() {
    let (mut rng, mut alice, mut bob) = pair(12);
    let envelope = alice.encrypt(&mut rng, b"m1").unwrap();
    let distribution = alice.distribution().unwrap();
    for cut in 0..envelope.len() {
        let _ = decrypt(&mut bob, "alice", &envelope[..cut]);
    }
    for cut in 0..distribution.len() {
        let _ = bob.process_distribution(&id("alice"), &distribution[..cut], &mut budget());
    }
    let garbage = bob.process_distribution(&id("alice"), b"\xff\xff", &mut budget());
    assert_eq!(garbage.unwrap_err().reason, "malformed");
    let mut tampered = P2pDistribution::parse(&distribution).unwrap();
    tampered.encrypted_sender_key = b"\x0a\x01\x00".to_vec();
    let inner = bob.process_distribution(&id("alice"), &tampered.encode(), &mut budget());
    assert_eq!(inner.unwrap_err().reason, "malformed");
}

#[test]
fn no_own_key_is_a_rejection() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let mut fresh = P2p.create(&group(), &id("fresh"));
    assert_eq!(fresh.distribution().unwrap_err().reason, "no-own-sender-key");
    assert_eq!(
        fresh.encrypt(&mut rng, b"x").unwrap_err().reason,
        "no-own-sender-key"
    );
}

#[test]
fn export_import_round_trips() {
    let (mut rng, mut alice, mut bob) = pair(14);
    let m1 = alice.encrypt(&mut rng, b"m1").unwrap();
    assert!(decrypt(&mut bob, "alice", &m1).is_ok());
    let exported = bob.export();
    let mut restored = P2p.import(&exported).unwrap();
    assert_eq!(restored.export(), exported);
    assert_eq!(restored.distribution(), bob.distribution());
    let m2 = alice.encrypt(&mut rng, b"m2").unwrap();
    assert_eq!(decrypt(&mut restored, "alice", &m2), Ok(accepted("alice", b"m2")));
    let (_, again, _) = pair(14);
    let (_, alice_again, _) = pair(14);
    assert_eq!(again.export(), alice_again.export(), "exports are deterministic");
}

#[test]
fn import_rejects_garbage() {
    let (_, _, bob) = pair(15);
    let exported = bob.export();
    let text = String::from_utf8(exported.clone()).unwrap();
    let bad_hex = text.replacen("\"chain_key\":\"", "\"chain_key\":\"zz", 1);
    let short = text.replacen("\"chain_key\":\"", "\"chain_key\":\"00", 1);
    let inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"not json".to_vec(),
        b"{}".to_vec(),
        exported[..exported.len() / 2].to_vec(),
        bad_hex.into_bytes(),
        short.into_bytes(),
    ];
    for input in inputs {
        let rejection = P2p.import(&input).err().unwrap();
        assert_eq!(rejection.reason, "bad-state");
    }
}

/// Weakness 10 with weakness 5: a rotation replaces the old key at once; a late message under the old key is
/// lost and burns the new chain, so the first message under the new key is lost too.
#[test]
fn late_message_under_a_rotated_key_burns_the_new_chain() {
    let (mut rng, mut alice, mut bob) = pair(16);
    let late: Vec<Vec<u8>> = (0..3).map(|_| alice.encrypt(&mut rng, b"old").unwrap()).collect();
    let rotated = alice.create_sender_key(&mut rng).unwrap();
    deliver_key(&mut bob, "alice", &rotated);
    let new1 = alice.encrypt(&mut rng, b"new1").unwrap();
    assert_eq!(reason(decrypt(&mut bob, "alice", &late[2])), "bad-signature");
    assert_eq!(reason(decrypt(&mut bob, "alice", &new1)), "duplicate");
}

/// Step 3 forwards the forwarder's receiver copy, which may be behind the owner: a newcomer reads a message
/// sent before it joined.
#[test]
fn forwarded_key_behind_the_owner_reads_back_history() {
    let (mut rng, mut alice, bob) = pair(17);
    let before_join = alice.encrypt(&mut rng, b"before you joined").unwrap();
    let (mut newcomer, _) = member("newcomer", &mut rng);
    let forwarded = bob.forwarded_distributions();
    deliver_key(&mut newcomer, "bob", &forwarded[0].1);
    assert_eq!(
        decrypt(&mut newcomer, "alice", &before_join),
        Ok(accepted("alice", b"before you joined"))
    );
}
