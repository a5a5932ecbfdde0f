//! The `chatalot` model driven directly through the `Implementation` trait: its normal operation, and each
//! weakness of Chatalot's "Group Encryption" document it reproduces, asserted as the model's behaviour.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use senderkeys::wire::chatalot::{ChatalotDistribution, ChatalotMessage};
use senderkeys::{ChainKey, Kdf};
use senderkeys::{Cipher, Nonce};
use senderkeys::{GroupId, MemberId};
use serde_json::Value;
use sksim::implementation::{
    Accepted, BUDGET_EXHAUSTED, Implementation, ImplementationFactory, Rejection, Transport, WorkBudget,
};
use sksim::implementations::chatalot::Chatalot;

/// The engine's budget for one operation.
const BUDGET: u64 = 1_000_000;

fn id(name: &str) -> MemberId {
    MemberId::new(name).expect("valid member id")
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn budget() -> WorkBudget {
    WorkBudget::new(BUDGET)
}

/// A member with its own sender key; returns the instance and its uploaded distribution.
fn member(name: &str, rng: &mut ChaCha20Rng) -> (Box<dyn Implementation>, Vec<u8>) {
    let group = GroupId::new("channel").expect("valid group id");
    let mut imp = Chatalot.create(&group, &id(name));
    let distribution = imp.create_sender_key(rng).expect("a fresh sender key");
    (imp, distribution)
}

/// `to` installs the distribution `owner` uploaded (delivered by the server as the owner's).
fn install(to: &mut dyn Implementation, owner: &str, distribution: &[u8]) {
    to.process_distribution(&id(owner), distribution, &mut budget())
        .expect("a valid distribution installs");
}

fn send(imp: &mut dyn Implementation, rng: &mut ChaCha20Rng, text: &str) -> Vec<u8> {
    imp.encrypt(rng, text.as_bytes()).expect("encrypts")
}

fn receive(imp: &mut dyn Implementation, from: &str, envelope: &[u8]) -> Result<Accepted, Rejection> {
    imp.decrypt(&id(from), envelope, &mut budget())
}

fn shown(from: &str, bytes: &[u8]) -> Result<Accepted, Rejection> {
    Ok(Accepted {
        claimed_sender: id(from),
        plaintext: bytes.to_vec(),
    })
}

fn chain_id(distribution: &[u8]) -> u32 {
    ChatalotDistribution::parse(distribution)
        .expect("a distribution")
        .chain_id
}

/// A message at `iteration` of the chain with random ciphertext and nonce: what anyone can inject.
fn forged(chain_id: u32, iteration: u32, rng: &mut ChaCha20Rng) -> Vec<u8> {
    let mut ciphertext = vec![0u8; 40];
    rng.fill_bytes(&mut ciphertext);
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    ChatalotMessage {
        chain_id,
        iteration,
        ciphertext,
        nonce,
    }
    .encode()
}

/// Encrypts `text` at `iteration` of the chain a distribution describes, outside any member: what anyone
/// holding the record can do.
fn encrypt_with_record(distribution: &[u8], iteration: u32, text: &[u8]) -> Vec<u8> {
    let record = ChatalotDistribution::parse(distribution).expect("a distribution");
    let mut chain_key = ChainKey::from_bytes(record.chain_key);
    for _ in record.iteration..iteration {
        chain_key = Kdf::HkdfSalted.next_chain_key(&chain_key);
    }
    let nonce = [9u8; 12];
    let key = Kdf::HkdfSalted.message_key(&chain_key);
    let ciphertext = Cipher::ChaCha20Poly1305.seal(&key, &Nonce::Aead(nonce), &[], text);
    ChatalotMessage {
        chain_id: record.chain_id,
        iteration,
        ciphertext,
        nonce,
    }
    .encode()
}

#[test]
fn factory_declares_server_plaintext_transport_and_the_documented_cache_bound() {
    assert_eq!(Chatalot.name(), "chatalot");
    assert_eq!(Chatalot.transport(), Transport::ServerPlaintext);
    assert_eq!(Chatalot.skipped_keys_max(), 2000);
}

#[test]
fn the_distribution_is_the_documented_record_at_iteration_0() {
    let mut rng = rng(1);
    let (alice, distribution) = member("alice", &mut rng);
    let record = ChatalotDistribution::parse(&distribution).unwrap();
    assert_eq!(record.iteration, 0);
    assert_eq!(record.sender_id, id("alice"));
    assert_eq!(alice.distribution().unwrap(), distribution);
}

#[test]
fn two_members_exchange_messages_in_order_and_out_of_order() {
    let mut rng = rng(2);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, bob_dist) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    install(alice.as_mut(), "bob", &bob_dist);
    let texts: Vec<String> = (0..5).map(|i| format!("alice {i}")).collect();
    let sent: Vec<Vec<u8>> = texts.iter().map(|t| send(alice.as_mut(), &mut rng, t)).collect();
    // Iterations 0 and 1 in order, then 4 (caching 2 and 3), then 2 and 3 from the cache.
    for (i, cached) in [(0, 0), (1, 0), (4, 2), (2, 1), (3, 0)] {
        assert_eq!(
            receive(bob.as_mut(), "alice", &sent[i]),
            shown("alice", texts[i].as_bytes())
        );
        assert_eq!(bob.skipped_keys(&id("alice")), cached);
    }
    let reply = send(bob.as_mut(), &mut rng, "bob 0");
    assert_eq!(receive(alice.as_mut(), "bob", &reply), shown("bob", b"bob 0"));
}

#[test]
fn a_jump_of_2000_is_cached_and_every_skipped_message_then_decrypts() {
    let mut rng = rng(3);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let sent: Vec<Vec<u8>> = (0..=2000)
        .map(|i| send(alice.as_mut(), &mut rng, &format!("m{i}")))
        .collect();
    assert_eq!(
        receive(bob.as_mut(), "alice", &sent[2000]),
        shown("alice", b"m2000")
    );
    assert_eq!(bob.skipped_keys(&id("alice")), 2000);
    for (i, envelope) in sent.iter().enumerate().take(2000).rev() {
        assert_eq!(
            receive(bob.as_mut(), "alice", envelope),
            shown("alice", format!("m{i}").as_bytes())
        );
    }
    assert_eq!(bob.skipped_keys(&id("alice")), 0);
}

#[test]
fn the_cache_keeps_2000_keys_per_sender_evicting_the_lowest_iteration() {
    let mut rng = rng(4);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let sent: Vec<Vec<u8>> = (0..=2001)
        .map(|i| send(alice.as_mut(), &mut rng, &format!("m{i}")))
        .collect();
    assert_eq!(
        receive(bob.as_mut(), "alice", &sent[2001]),
        shown("alice", b"m2001")
    );
    assert_eq!(bob.skipped_keys(&id("alice")), 2000);
    // Iteration 0 was evicted: the message falls back to its raw bytes ("Fallback Behavior").
    assert_eq!(receive(bob.as_mut(), "alice", &sent[0]), shown("alice", &sent[0]));
    assert_eq!(receive(bob.as_mut(), "alice", &sent[1]), shown("alice", b"m1"));
}

#[test]
fn the_cache_bound_counts_every_chain_of_a_sender() {
    let mut rng = rng(20);
    let (mut alice, first) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &first);
    let old: Vec<Vec<u8>> = (0..1501)
        .map(|i| send(alice.as_mut(), &mut rng, &format!("old {i}")))
        .collect();
    assert_eq!(
        receive(bob.as_mut(), "alice", &old[1500]),
        shown("alice", b"old 1500")
    );
    // Alice rotates without anyone leaving ("Sender Key Rotation" only on membership change; here by hand).
    let second = alice.create_sender_key(&mut rng).expect("a new key");
    install(bob.as_mut(), "alice", &second);
    let new: Vec<Vec<u8>> = (0..1001)
        .map(|i| send(alice.as_mut(), &mut rng, &format!("new {i}")))
        .collect();
    assert_eq!(
        receive(bob.as_mut(), "alice", &new[1000]),
        shown("alice", b"new 1000")
    );
    assert_eq!(bob.skipped_keys(&id("alice")), 2000);
    // 2500 keys were skipped; the 500 of lowest iteration went, old chain first on ties: 0..=249 of each.
    assert_eq!(
        receive(bob.as_mut(), "alice", &old[249]),
        shown("alice", &old[249])
    );
    assert_eq!(
        receive(bob.as_mut(), "alice", &new[249]),
        shown("alice", &new[249])
    );
    assert_eq!(
        receive(bob.as_mut(), "alice", &old[250]),
        shown("alice", b"old 250")
    );
    assert_eq!(
        receive(bob.as_mut(), "alice", &new[250]),
        shown("alice", b"new 250")
    );
}

#[test]
fn weakness_1_the_server_reads_messages_with_the_stored_distribution() {
    let mut rng = rng(5);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let envelope = send(alice.as_mut(), &mut rng, "secret");
    let record = ChatalotDistribution::parse(&alice_dist).unwrap();
    let message = ChatalotMessage::parse(&envelope).unwrap();
    let key = Kdf::HkdfSalted.message_key(&ChainKey::from_bytes(record.chain_key));
    let opened = Cipher::ChaCha20Poly1305.open(&key, &Nonce::Aead(message.nonce), &[], &message.ciphertext);
    assert_eq!(opened, Ok(b"secret".to_vec()));
}

#[test]
fn weakness_2_a_newcomer_decrypts_messages_sent_before_it_joined() {
    let mut rng = rng(6);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let before: Vec<Vec<u8>> = (0..3)
        .map(|i| send(alice.as_mut(), &mut rng, &format!("old {i}")))
        .collect();
    for (i, envelope) in before.iter().enumerate() {
        assert_eq!(
            receive(bob.as_mut(), "alice", envelope),
            shown("alice", format!("old {i}").as_bytes())
        );
    }
    // Carol joins and fetches Alice's stored record: still iteration 0 with the initial chain key.
    let (mut carol, _) = member("carol", &mut rng);
    let fetched = alice.distribution().unwrap();
    assert_eq!(fetched, alice_dist);
    install(carol.as_mut(), "alice", &fetched);
    for (i, envelope) in before.iter().enumerate() {
        assert_eq!(
            receive(carol.as_mut(), "alice", envelope),
            shown("alice", format!("old {i}").as_bytes())
        );
    }
}

#[test]
fn weakness_3_garbage_bytes_are_shown_as_plaintext_from_the_named_member() {
    let mut rng = rng(7);
    let (_, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let before = bob.export();
    let inputs: [&[u8]; 4] = [
        b"send the money to account 1234",
        &[0xff, 0x00, 0xfe],
        b"",
        br#"{"v":1,"header":{"dh":[1,2]},"ciphertext":[3]}"#,
    ];
    for bytes in inputs {
        assert_eq!(receive(bob.as_mut(), "alice", bytes), shown("alice", bytes));
    }
    // Garbage that does not parse leaves the state alone.
    assert_eq!(bob.export(), before);
}

#[test]
fn weakness_4_anyone_holding_the_record_encrypts_as_the_sender() {
    let mut rng = rng(8);
    let (_, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let forgery = encrypt_with_record(&alice_dist, 0, b"alice says: trust mallory");
    assert_eq!(
        receive(bob.as_mut(), "alice", &forgery),
        shown("alice", b"alice says: trust mallory")
    );
}

#[test]
fn a_message_is_shown_as_from_the_member_the_server_names_whatever_its_chain() {
    let mut rng = rng(9);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let envelope = send(alice.as_mut(), &mut rng, "from alice");
    // The envelope names no sender; the state is found by chain id alone.
    assert_eq!(
        receive(bob.as_mut(), "carol", &envelope),
        shown("carol", b"from alice")
    );
}

#[test]
fn weakness_5_a_forged_message_is_shown_and_moves_the_chain() {
    let mut rng = rng(10);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let sent: Vec<Vec<u8>> = (0..12)
        .map(|i| send(alice.as_mut(), &mut rng, &format!("m{i}")))
        .collect();
    assert_eq!(receive(bob.as_mut(), "alice", &sent[0]), shown("alice", b"m0"));
    let before = bob.export();
    // Bob expects iteration 1; the forgery claims 1 + 10.
    let forgery = forged(chain_id(&alice_dist), 11, &mut rng);
    assert_eq!(receive(bob.as_mut(), "alice", &forgery), shown("alice", &forgery));
    assert_ne!(bob.export(), before);
    assert_eq!(bob.skipped_keys(&id("alice")), 10);
    // The genuine messages in between now depend on the cache...
    for (i, envelope) in sent.iter().enumerate().take(11).skip(1) {
        assert_eq!(
            receive(bob.as_mut(), "alice", envelope),
            shown("alice", format!("m{i}").as_bytes())
        );
    }
    assert_eq!(bob.skipped_keys(&id("alice")), 0);
    // ...and the genuine message at the forged iteration lost its key: it is shown as raw bytes.
    assert_eq!(
        receive(bob.as_mut(), "alice", &sent[11]),
        shown("alice", &sent[11])
    );
}

#[test]
fn weakness_5_a_forged_past_iteration_destroys_the_cached_key() {
    let mut rng = rng(11);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let sent: Vec<Vec<u8>> = (0..3)
        .map(|i| send(alice.as_mut(), &mut rng, &format!("m{i}")))
        .collect();
    assert_eq!(receive(bob.as_mut(), "alice", &sent[2]), shown("alice", b"m2"));
    let forgery = forged(chain_id(&alice_dist), 1, &mut rng);
    assert_eq!(receive(bob.as_mut(), "alice", &forgery), shown("alice", &forgery));
    assert_eq!(receive(bob.as_mut(), "alice", &sent[1]), shown("alice", &sent[1]));
    assert_eq!(receive(bob.as_mut(), "alice", &sent[0]), shown("alice", b"m0"));
}

#[test]
fn weakness_6_a_huge_forged_iteration_exhausts_the_work_budget() {
    let mut rng = rng(12);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let genuine = send(alice.as_mut(), &mut rng, "m0");
    let before = bob.export();
    let forgery = forged(chain_id(&alice_dist), 4_000_000, &mut rng);
    let mut budget = WorkBudget::new(1_000_000);
    let rejection = bob.decrypt(&id("alice"), &forgery, &mut budget).unwrap_err();
    assert_eq!(rejection.reason, BUDGET_EXHAUSTED);
    assert_eq!(budget.steps(), 1_000_001);
    // The chain stays where the budget stopped it: a million steps on, the cache full of forged-for keys.
    assert_ne!(bob.export(), before);
    assert_eq!(bob.skipped_keys(&id("alice")), 2000);
    assert_eq!(receive(bob.as_mut(), "alice", &genuine), shown("alice", &genuine));
}

#[test]
fn weakness_10_forget_sender_wipes_every_state_and_messages_in_flight_need_a_key_again() {
    let mut rng = rng(13);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    let (mut carol, carol_dist) = member("carol", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    install(bob.as_mut(), "carol", &carol_dist);
    let from_alice = send(alice.as_mut(), &mut rng, "a0");
    let in_flight = send(carol.as_mut(), &mut rng, "c0");
    // Dave leaves: Bob deletes all receiver states, not only Dave's.
    bob.forget_sender(&id("dave"));
    for (from, envelope) in [("carol", &in_flight), ("alice", &from_alice)] {
        let rejection = receive(bob.as_mut(), from, envelope).unwrap_err();
        assert_eq!(rejection.reason, "unknown-key");
        assert!(rejection.is_missing_key());
    }
    // Carol rotated (on-removal); the fetch returns her new key, so the message in flight stays undecryptable.
    let rotated = carol.create_sender_key(&mut rng).unwrap();
    assert_ne!(chain_id(&rotated), chain_id(&carol_dist));
    install(bob.as_mut(), "carol", &carol.distribution().unwrap());
    assert_eq!(
        receive(bob.as_mut(), "carol", &in_flight).unwrap_err().reason,
        "unknown-key"
    );
    let after = send(carol.as_mut(), &mut rng, "c1");
    assert_eq!(receive(bob.as_mut(), "carol", &after), shown("carol", b"c1"));
}

#[test]
fn a_fetch_after_unknown_key_lets_the_retry_decrypt() {
    let mut rng = rng(14);
    let (mut alice, _) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    let envelope = send(alice.as_mut(), &mut rng, "early");
    let before = bob.export();
    assert_eq!(
        receive(bob.as_mut(), "alice", &envelope).unwrap_err().reason,
        "unknown-key"
    );
    assert_eq!(bob.export(), before);
    install(bob.as_mut(), "alice", &alice.distribution().unwrap());
    assert_eq!(
        receive(bob.as_mut(), "alice", &envelope),
        shown("alice", b"early")
    );
}

#[test]
fn a_stored_record_installed_again_reopens_consumed_iterations() {
    let mut rng = rng(15);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let envelope = send(alice.as_mut(), &mut rng, "once");
    assert_eq!(receive(bob.as_mut(), "alice", &envelope), shown("alice", b"once"));
    // A duplicate finds no key and falls back to the raw bytes.
    assert_eq!(
        receive(bob.as_mut(), "alice", &envelope),
        shown("alice", &envelope)
    );
    // No conflict check: the stored record replaces the state, and the old message decrypts again.
    install(bob.as_mut(), "alice", &alice_dist);
    assert_eq!(receive(bob.as_mut(), "alice", &envelope), shown("alice", b"once"));
}

#[test]
fn a_malformed_distribution_is_rejected_and_changes_nothing() {
    let mut rng = rng(16);
    let (mut bob, _) = member("bob", &mut rng);
    let before = bob.export();
    for bytes in [
        &b""[..],
        b"{}",
        b"not json",
        br#"{"chain_id":1,"iteration":0,"chain_key":[1],"sender_id":[97]}"#,
    ] {
        let rejection = bob
            .process_distribution(&id("alice"), bytes, &mut budget())
            .unwrap_err();
        assert_eq!(rejection.reason, "malformed");
    }
    assert_eq!(bob.export(), before);
}

#[test]
fn encrypt_and_distribution_need_an_own_key() {
    let mut rng = rng(17);
    let group = GroupId::new("channel").unwrap();
    let mut imp = Chatalot.create(&group, &id("alice"));
    assert_eq!(imp.distribution().unwrap_err().reason, "no-own-sender-key");
    assert_eq!(
        imp.encrypt(&mut rng, b"hi").unwrap_err().reason,
        "no-own-sender-key"
    );
}

#[test]
fn export_and_import_round_trip() {
    let mut rng = rng(18);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, bob_dist) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    install(alice.as_mut(), "bob", &bob_dist);
    let sent: Vec<Vec<u8>> = (0..6)
        .map(|i| send(alice.as_mut(), &mut rng, &format!("m{i}")))
        .collect();
    assert_eq!(receive(bob.as_mut(), "alice", &sent[4]), shown("alice", b"m4"));
    let exported = bob.export();
    let mut copy = Chatalot.import(&exported).unwrap();
    assert_eq!(copy.export(), exported);
    assert_eq!(copy.skipped_keys(&id("alice")), 4);
    assert_eq!(copy.distribution().unwrap(), bob_dist);
    for i in [5, 1] {
        let text = format!("m{i}");
        assert_eq!(
            receive(copy.as_mut(), "alice", &sent[i]),
            shown("alice", text.as_bytes())
        );
        assert_eq!(
            receive(bob.as_mut(), "alice", &sent[i]),
            shown("alice", text.as_bytes())
        );
    }
    assert_eq!(copy.export(), bob.export());
}

/// Bob's export with a cached key, as JSON, for corrupting.
fn exported_state() -> Value {
    let mut rng = rng(19);
    let (mut alice, alice_dist) = member("alice", &mut rng);
    let (mut bob, _) = member("bob", &mut rng);
    install(bob.as_mut(), "alice", &alice_dist);
    let sent: Vec<Vec<u8>> = (0..2)
        .map(|i| send(alice.as_mut(), &mut rng, &format!("m{i}")))
        .collect();
    receive(bob.as_mut(), "alice", &sent[1]).expect("decrypts");
    serde_json::from_slice(&bob.export()).expect("the export is JSON")
}

/// An edit that makes an exported state inconsistent.
type Corruption = Box<dyn Fn(&mut Value)>;

#[test]
fn import_rejects_garbage_and_corrupt_states() {
    let state = exported_state();
    let receiver = state["receivers"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let corruptions: Vec<Corruption> = vec![
        Box::new(|s| s["format"] = "accord/1".into()),
        Box::new(|s| s["own"]["chain_key"] = "abcd".into()),
        Box::new(|s| s["own"]["initial"] = "zz".into()),
        Box::new(|s| s["own"]["next"] = (1u64 << 33).into()),
        Box::new(move |s| s["receivers"][&receiver]["skipped"]["7"] = "00".repeat(32).into()),
        Box::new(|s| s["member"] = "".into()),
        Box::new(|s| s["extra"] = 1.into()),
        Box::new(|s| {
            let receiver = s["receivers"]
                .as_object_mut()
                .unwrap()
                .values_mut()
                .next()
                .unwrap();
            receiver["next"] = 5000.into();
            let key: Value = "00".repeat(32).into();
            receiver["skipped"] = (0..2001).map(|it| (it.to_string(), key.clone())).collect();
        }),
    ];
    let mut inputs: Vec<Vec<u8>> = vec![b"".to_vec(), b"garbage".to_vec(), b"{}".to_vec(), vec![0xff; 64]];
    for corrupt in &corruptions {
        let mut value = state.clone();
        corrupt(&mut value);
        inputs.push(serde_json::to_vec(&value).unwrap());
    }
    for input in &inputs {
        let rejection = Chatalot.import(input).map(|_| ()).unwrap_err();
        assert_eq!(
            rejection.reason,
            "bad-state",
            "{}",
            String::from_utf8_lossy(input)
        );
    }
    assert!(Chatalot.import(&serde_json::to_vec(&state).unwrap()).is_ok());
}
