//! The fixture the models' tests share: Alice, Bob (honest) and Carol (the insider) in one group.
//!
//! Each model's tests parse its own distribution type from [`Trio::distribute`] and keep their own assertions.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use senderkeys::{GroupId, MemberId};

use crate::implementation::{Accepted, Implementation, ImplementationFactory, Rejection, WorkBudget};

/// A member id from a name known to be valid.
pub(crate) fn id(name: &str) -> MemberId {
    MemberId::new(name).expect("valid member id")
}

/// A work budget no test input comes near.
pub(crate) fn budget() -> WorkBudget {
    WorkBudget::new(1_000_000)
}

/// Alice (the sender), Bob (honest) and Carol (the insider), all of one model, in the group `general`.
pub(crate) struct Trio {
    /// The randomness Alice sends with.
    pub(crate) rng: ChaCha20Rng,
    pub(crate) alice: Box<dyn Implementation>,
    pub(crate) bob: Box<dyn Implementation>,
    pub(crate) carol: Box<dyn Implementation>,
}

impl Trio {
    /// Three fresh instances made by `factory`; nobody holds a key yet (see [`Trio::distribute`]).
    pub(crate) fn new(factory: &dyn ImplementationFactory, seed: u64) -> Self {
        let group = GroupId::new("general").expect("valid group id");
        Self {
            rng: ChaCha20Rng::seed_from_u64(seed),
            alice: factory.create(&group, &id("alice")),
            bob: factory.create(&group, &id("bob")),
            carol: factory.create(&group, &id("carol")),
        }
    }

    /// Alice creates a key, which Bob and Carol both install; returns its distribution's bytes.
    pub(crate) fn distribute(&mut self) -> Vec<u8> {
        let bytes = self.alice.create_sender_key(&mut self.rng).expect("key");
        for member in [&mut self.bob, &mut self.carol] {
            member
                .process_distribution(&id("alice"), &bytes, &mut budget())
                .expect("genuine distribution");
        }
        bytes
    }

    /// Alice sends one message, which Bob and Carol both decrypt.
    pub(crate) fn send_to_both(&mut self, plaintext: &[u8]) {
        let envelope = self.alice.encrypt(&mut self.rng, plaintext).expect("encrypt");
        for member in [&mut self.bob, &mut self.carol] {
            let accepted = member.decrypt(&id("alice"), &envelope, &mut budget());
            assert_eq!(accepted.expect("genuine message").plaintext, plaintext);
        }
    }

    /// Carol forges `plaintext` as Alice, checking that it leaves her state as it was.
    pub(crate) fn forge(
        &self,
        signing_key: Option<&[u8]>,
        seed: u64,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        let before = self.carol.export();
        let forged = self.carol.forge_as(
            &id("alice"),
            signing_key,
            &mut ChaCha20Rng::seed_from_u64(seed),
            plaintext,
        );
        assert_eq!(self.carol.export(), before, "forge_as changed the forger's state");
        forged
    }

    /// Bob decrypts an envelope relayed from Alice.
    pub(crate) fn bob_decrypts(&mut self, envelope: &[u8]) -> Result<Accepted, Rejection> {
        self.bob.decrypt(&id("alice"), envelope, &mut budget())
    }
}
