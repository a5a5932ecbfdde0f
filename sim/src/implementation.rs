//! The only boundary between the engine and protocol code.
//!
//! The engine drives every implementation under test — built in or external — through [`Implementation`], one
//! instance per member, and creates instances through an [`ImplementationFactory`]. Randomness is always passed
//! in by the engine, so a run is reproducible from its seed.

use rand_core::CryptoRng;
use senderkeys::{GroupId, MemberId};

/// Why an implementation refused an input, with a stable reason name (e.g. `duplicate`, `unknown-key`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Stable, kebab-case reason; counted in reports.
    pub reason: String,
    /// Human-readable detail.
    pub detail: String,
}

impl Rejection {
    /// Reasons that mean "I do not hold the sender's key yet": the engine queues the envelope and asks for it.
    pub fn is_missing_key(&self) -> bool {
        matches!(
            self.reason.as_str(),
            "unknown-key" | "unknown-sender" | "no-verifying-key"
        )
    }
}

impl From<senderkeys::Error> for Rejection {
    fn from(e: senderkeys::Error) -> Self {
        Rejection {
            reason: e.reason().to_owned(),
            detail: e.to_string(),
        }
    }
}

/// A message an implementation accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// Who the implementation shows as the sender.
    pub claimed_sender: MemberId,
    /// What it shows as the message.
    pub plaintext: Vec<u8>,
}

/// One member's protocol state for one group.
pub trait Implementation {
    /// Creates a fresh own sender key — the first, or a rotation — and returns its distribution.
    fn create_sender_key(&mut self, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Rejection>;
    /// The distribution of the current own sender key (for a newcomer, or a member who asked).
    fn distribution(&self) -> Result<Vec<u8>, Rejection>;
    /// Processes a distribution that arrived from `from` over the pairwise channel.
    fn process_distribution(&mut self, from: &MemberId, bytes: &[u8]) -> Result<(), Rejection>;
    /// Encrypts a message; returns the envelope bytes.
    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection>;
    /// Decrypts an envelope the server relayed as coming from `from`.
    fn decrypt(&mut self, from: &MemberId, envelope: &[u8]) -> Result<Accepted, Rejection>;
    /// Deletes everything held of `member` (it left or was removed).
    fn forget_sender(&mut self, member: &MemberId);
    /// The whole state as opaque bytes (cloned for the adversary; compared for failure atomicity).
    fn export(&self) -> Vec<u8>;
}

/// Makes instances of one implementation.
pub trait ImplementationFactory {
    /// The name shown in reports, e.g. `reference/hardened`.
    fn name(&self) -> String;
    /// A fresh instance for `member` in `group`.
    fn create(&self, group: &GroupId, member: &MemberId) -> Box<dyn Implementation>;
    /// An instance rebuilt from [`Implementation::export`] bytes.
    fn import(&self, state: &[u8]) -> Result<Box<dyn Implementation>, Rejection>;
}
