//! `reference`: the `senderkeys` state machine ([`GroupSession`]) with any suite.

use rand_core::CryptoRng;
use senderkeys::{GroupId, GroupSession, MemberId, SharedMemo, SigningKeyPair, SuiteId, testing};

use crate::implementation::{
    Accepted, ChainPosition, Implementation, ImplementationFactory, Rejection, WorkBudget,
};

/// Makes `reference` instances speaking one suite.
#[derive(Clone, Copy, Debug)]
pub struct Reference {
    /// The suite every instance speaks.
    pub suite: SuiteId,
}

struct Instance(GroupSession);

impl ImplementationFactory for Reference {
    fn name(&self) -> String {
        format!("reference/{}", self.suite)
    }

    fn create(&self, group: &GroupId, member: &MemberId) -> Box<dyn Implementation> {
        Box::new(Instance(GroupSession::new(
            self.suite,
            group.clone(),
            member.clone(),
        )))
    }

    fn import(&self, state: &[u8]) -> Result<Box<dyn Implementation>, Rejection> {
        Ok(Box::new(Instance(GroupSession::import(state)?)))
    }
}

impl Implementation for Instance {
    fn create_sender_key(&mut self, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Rejection> {
        Ok(self.0.create_sender_key(rng)?)
    }

    fn create_sender_key_at(
        &mut self,
        rng: &mut dyn CryptoRng,
        iteration: u32,
    ) -> Result<Vec<u8>, Rejection> {
        Ok(testing::create_sender_key_at(&mut self.0, rng, iteration)?)
    }

    fn distribution(&self) -> Result<Vec<u8>, Rejection> {
        Ok(self.0.distribution()?)
    }

    fn process_distribution(
        &mut self,
        from: &MemberId,
        bytes: &[u8],
        _: &mut WorkBudget,
    ) -> Result<(), Rejection> {
        self.0.process_distribution(from, bytes)?;
        Ok(())
    }

    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection> {
        Ok(self.0.encrypt(rng, plaintext)?)
    }

    /// The session bounds its own work ([`senderkeys::consts::FORWARD_JUMP_MAX`], tested in `senderkeys`), so it
    /// does not draw on the budget.
    fn decrypt(
        &mut self,
        from: &MemberId,
        envelope: &[u8],
        _: &mut WorkBudget,
    ) -> Result<Accepted, Rejection> {
        let decrypted = self.0.decrypt(from, envelope)?;
        Ok(Accepted {
            claimed_sender: from.clone(),
            plaintext: decrypted.plaintext,
        })
    }

    fn forget_sender(&mut self, member: &MemberId) {
        self.0.forget_sender(member);
    }

    fn export(&self) -> Vec<u8> {
        self.0.export()
    }

    fn export_sender(&self, sender: &MemberId) -> Vec<u8> {
        self.0.export_sender(sender)
    }

    fn skipped_keys(&self, sender: &MemberId) -> usize {
        self.0
            .receiver_states(sender)
            .map(|r| r.skipped_len())
            .max()
            .unwrap_or(0)
    }

    fn retained_keys(&self, sender: &MemberId) -> Option<Vec<String>> {
        Some(
            self.0
                .receiver_states(sender)
                .map(|r| r.key_id().to_string())
                .collect(),
        )
    }

    fn use_memo(&mut self, memo: &SharedMemo) {
        self.0.set_memo(Some(SharedMemo::clone(memo)));
    }

    fn last_sent(&self) -> Option<ChainPosition> {
        let own = self.0.own_sender_key()?;
        let iteration = u32::try_from(own.next_iteration().checked_sub(1)?).ok()?;
        Some(ChainPosition {
            key_id: own.key_id().to_string(),
            iteration,
        })
    }

    fn signing_key(&self) -> Option<Vec<u8>> {
        let pair = testing::steal_signing_key(&self.0)?;
        Some(pair.secret_bytes().to_vec())
    }

    fn forge_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        self.forge_ahead_as(sender, signing_key, 1, rng, plaintext)
    }

    fn forge_ahead_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        ahead: u32,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        let stolen = match signing_key {
            Some(bytes) => Some(SigningKeyPair::from_secret_bytes(bytes.try_into().map_err(
                |_| Rejection {
                    reason: "malformed-signing-key".to_owned(),
                    detail: format!("a signing key is 32 bytes, got {}", bytes.len()),
                },
            )?)),
            None => None,
        };
        Ok(testing::forge_ahead_as(
            &self.0,
            sender,
            stolen.as_ref(),
            ahead,
            rng,
            plaintext,
        )?)
    }
}
