//! Shared test support: seeded RNGs and small groups of sessions.
#![allow(dead_code, missing_docs)]

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use senderkeys::{GroupId, GroupSession, MemberId, SuiteId};

/// A seeded RNG: every test draws all its randomness from one of these.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn member(name: &str) -> MemberId {
    MemberId::new(name).expect("test member ids are valid")
}

pub fn group() -> GroupId {
    GroupId::new("test-group").expect("test group id is valid")
}

/// Alice (sender, with a fresh sender key) and Bob (receiver, holding Alice's key from iteration 0).
pub struct Pair {
    pub alice: GroupSession,
    pub bob: GroupSession,
    pub alice_id: MemberId,
    pub bob_id: MemberId,
    pub rng: ChaCha20Rng,
    /// Alice's distribution as Bob received it.
    pub distribution: Vec<u8>,
}

pub fn pair(suite: SuiteId, seed: u64) -> Pair {
    let mut rng = rng(seed);
    let (alice_id, bob_id) = (member("alice"), member("bob"));
    let mut alice = GroupSession::new(suite, group(), alice_id.clone());
    let mut bob = GroupSession::new(suite, group(), bob_id.clone());
    let distribution = alice.create_sender_key(&mut rng).expect("create sender key");
    bob.process_distribution(&alice_id, &distribution)
        .expect("process distribution");
    Pair {
        alice,
        bob,
        alice_id,
        bob_id,
        rng,
        distribution,
    }
}

impl Pair {
    /// Alice encrypts `n` messages "m0", "m1", ...; returns their wire bytes in order.
    pub fn send(&mut self, n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                self.alice
                    .encrypt(&mut self.rng, format!("m{i}").as_bytes())
                    .expect("encrypt")
            })
            .collect()
    }

    /// Bob decrypts `wire` from Alice and returns the plaintext as text.
    pub fn receive(&mut self, wire: &[u8]) -> senderkeys::Result<String> {
        self.bob
            .decrypt(&self.alice_id, wire)
            .map(|d| String::from_utf8(d.plaintext).expect("utf-8 plaintext"))
    }

    /// Asserts that `input` is rejected with `reason`, as the peer's misbehaviour (a message Bob receives is never
    /// his misuse), that Bob's exported state is byte-identical afterwards, and returns the error for further checks.
    pub fn assert_rejected(&mut self, wire: &[u8], reason: &str) -> senderkeys::Error {
        let before = self.bob.export();
        let err = self
            .bob
            .decrypt(&self.alice_id, wire)
            .expect_err("input must be rejected");
        assert_eq!(err.reason(), reason, "wrong rejection reason: {err}");
        assert!(
            err.peer_misbehaved().is_some(),
            "a rejected message is the peer's fault: {err}"
        );
        assert_eq!(self.bob.export(), before, "state changed after rejection ({err})");
        err
    }
}

/// Asserts that Bob decrypts `wire` from Alice to exactly `expected`.
pub fn accept(p: &mut Pair, wire: &[u8], expected: &str) {
    let suite = p.bob.suite();
    assert_eq!(
        p.receive(wire).map_err(|e| e.reason()),
        Ok(expected.to_owned()),
        "{suite}"
    );
}
