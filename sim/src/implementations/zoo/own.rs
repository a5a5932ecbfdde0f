//! The zoo member's own sender key: a random 32-bit key id, a chain key, an Ed25519 key pair and the next
//! iteration; encrypting takes the chain's next message key and moves it on.

use rand_core::CryptoRng;
use senderkeys::consts::{AEAD_NONCE_BYTES, CHAIN_KEY_BYTES, PLAINTEXT_BYTES_MAX, SIGNATURE_BYTES};
use senderkeys::wire::hardened::{HardenedDistribution, HardenedMessage};
use senderkeys::{ApiMisuse, ChainKey, KeyId, Nonce, SigningKeyPair};

use super::{Bug, cipher, kdf, wire};
use crate::implementation::Rejection;

/// One's own sender key.
pub(super) struct OwnKey {
    pub(super) key_id: u32,
    /// The chain key of iteration `next`.
    pub(super) chain_key: ChainKey,
    pub(super) signing: SigningKeyPair,
    /// The iteration the next message takes (2^32 once exhausted).
    pub(super) next: u64,
    /// The iteration of the last message sent under this key, if any.
    pub(super) last: Option<u32>,
    /// The chain as created, `(iteration, chain key)`: kept only under [`Bug::NewcomerGetsInitialChain`].
    pub(super) first: Option<(u32, ChainKey)>,
}

impl OwnKey {
    /// A fresh key whose chain starts at `iteration`.
    pub(super) fn generate(rng: &mut dyn CryptoRng, iteration: u32, bug: Option<Bug>) -> Self {
        let mut id = [0u8; 4];
        rng.fill_bytes(&mut id);
        let mut chain_key = [0u8; CHAIN_KEY_BYTES];
        rng.fill_bytes(&mut chain_key);
        let chain_key = ChainKey::from_bytes(chain_key);
        OwnKey {
            key_id: u32::from_be_bytes(id),
            first: (bug == Some(Bug::NewcomerGetsInitialChain)).then(|| (iteration, chain_key.clone())),
            chain_key,
            signing: SigningKeyPair::generate(rng),
            next: u64::from(iteration),
            last: None,
        }
    }

    /// The distribution of this key at its current iteration — under [`Bug::NewcomerGetsInitialChain`], at the
    /// iteration it was created at, so whoever receives it reads every message sent since.
    pub(super) fn distribution(&self) -> Result<Vec<u8>, Rejection> {
        let (iteration, chain_key) = match &self.first {
            Some((iteration, chain_key)) => (*iteration, chain_key),
            None => (self.current()?, &self.chain_key),
        };
        Ok(HardenedDistribution {
            key_id: self.key_id,
            iteration,
            chain_key: *chain_key.as_bytes(),
            signing_public_key: self.signing.public().to_bytes(),
        }
        .encode())
    }

    fn current(&self) -> Result<u32, Rejection> {
        let key_id = KeyId::Chain(self.key_id);
        u32::try_from(self.next).map_err(|_| ApiMisuse::IterationExhausted { key_id }.into())
    }

    /// Encrypts `plaintext` at the next iteration and moves the chain on; refuses once the chain is exhausted.
    pub(super) fn encrypt(
        &mut self,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
        bug: Option<Bug>,
    ) -> Result<Vec<u8>, Rejection> {
        if plaintext.len() > PLAINTEXT_BYTES_MAX {
            let (actual, limit) = (plaintext.len(), PLAINTEXT_BYTES_MAX);
            return Err(ApiMisuse::PlaintextTooLarge { actual, limit }.into());
        }
        let iteration = self.current()?;
        let message_key = kdf().message_key(&self.chain_key);
        let mut nonce = [0u8; AEAD_NONCE_BYTES];
        rng.fill_bytes(&mut nonce);
        let header = HardenedMessage::header(self.key_id, iteration);
        let aad = wire::associated_data(&header, bug);
        let mut message = HardenedMessage {
            key_id: self.key_id,
            iteration,
            nonce,
            ciphertext: cipher().seal(&message_key, &Nonce::Aead(nonce), &aad, plaintext),
            signature: [0; SIGNATURE_BYTES],
        };
        let signed = wire::signed_bytes(&message.encode_unsigned(), &nonce, &message.ciphertext, bug);
        message.signature = self.signing.sign(&signed);
        self.chain_key = kdf().next_chain_key(&self.chain_key);
        self.next = match bug {
            // The flaw: a 32-bit counter incremented with wrapping arithmetic, so 2^32-1 is followed by 0.
            Some(Bug::IterationWraps) => u64::from(iteration.wrapping_add(1)),
            _ => self.next + 1,
        };
        self.last = Some(iteration);
        Ok(message.encode())
    }
}
