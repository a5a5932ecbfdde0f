//! The sender side: a member's own sender key and the distribution that hands it to others.

use rand_core::CryptoRng;

use crate::consts::CHAIN_KEY_BYTES;
use crate::error::{ApiMisuse, Result};
use crate::ids::KeyId;
use crate::kdf::{ChainKey, Kdf, MessageKey};
use crate::receiver::ITERATIONS_END;
use crate::signing::{SigningKeyPair, SigningPublicKey};
use crate::suite::SuiteId;

/// A member's own sender key.
#[derive(Clone, Debug)]
pub struct OwnSenderKey {
    pub(crate) key_id: KeyId,
    /// `None` only for unsigned suites.
    pub(crate) signing: Option<SigningKeyPair>,
    /// The chain key of iteration `next`.
    pub(crate) chain_key: ChainKey,
    /// Invariant: `next <= ITERATIONS_END`; at `ITERATIONS_END` the key is exhausted.
    pub(crate) next: u64,
}

/// A sender key as handed to another member: everything a receiver needs to decrypt from `iteration` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderKeyDistribution {
    /// The key's id.
    pub key_id: KeyId,
    /// The first iteration the receiver can decrypt.
    pub iteration: u32,
    /// The chain key of `iteration`.
    pub chain_key: ChainKey,
    /// The public signing key (`None` for unsigned suites).
    pub signing_key: Option<SigningPublicKey>,
}

impl OwnSenderKey {
    /// Draws a fresh sender key for `suite` from the caller's RNG: chain key, signing key (signed suites)
    /// and key id (a random 32-bit chain id, or the signing key's fingerprint for Accord and the p2p sketch).
    pub(crate) fn generate<R: CryptoRng + ?Sized>(suite: SuiteId, rng: &mut R) -> Self {
        let mut chain_key = [0u8; CHAIN_KEY_BYTES];
        rng.fill_bytes(&mut chain_key);
        let signing = suite.is_signed().then(|| SigningKeyPair::generate(rng));
        let key_id = match (suite, &signing) {
            (SuiteId::Accord | SuiteId::P2p, Some(signing)) => {
                KeyId::fingerprint_of(&signing.public().to_bytes())
            }
            _ => KeyId::Chain(rng.next_u32()),
        };
        let key = OwnSenderKey {
            key_id,
            signing,
            chain_key: ChainKey::from_bytes(chain_key),
            next: 0,
        };
        zeroize::Zeroize::zeroize(&mut chain_key);
        key
    }

    /// The key's id.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The iteration the next message will use (2^32 once exhausted).
    pub fn next_iteration(&self) -> u64 {
        self.next
    }

    /// The public signing key (`None` for unsigned suites).
    pub fn signing_public_key(&self) -> Option<SigningPublicKey> {
        self.signing.as_ref().map(SigningKeyPair::public)
    }

    /// The distribution of this key at its current iteration.
    pub(crate) fn distribution(&self) -> Result<SenderKeyDistribution> {
        Ok(SenderKeyDistribution {
            key_id: self.key_id,
            iteration: self.current_iteration()?,
            chain_key: self.chain_key.clone(),
            signing_key: self.signing_public_key(),
        })
    }

    fn current_iteration(&self) -> Result<u32> {
        u32::try_from(self.next).map_err(|_| ApiMisuse::IterationExhausted { key_id: self.key_id }.into())
    }

    /// Takes the next message key and moves the chain on.
    pub(crate) fn step(&mut self, kdf: &Kdf) -> Result<(u32, MessageKey)> {
        let iteration = self.current_iteration()?;
        let message_key = kdf.message_key(&self.chain_key);
        self.chain_key = kdf.next_chain_key(&self.chain_key);
        self.next += 1;
        debug_assert!(self.next <= ITERATIONS_END);
        Ok((iteration, message_key))
    }
}
