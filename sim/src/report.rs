//! The result of a run: everything needed to judge it, and nothing that varies between runs of the same seed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::checkers::{InvariantReport, Verdict};

/// Counts of what happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Envelopes encrypted and handed to the server.
    pub envelopes_sent: u64,
    /// Envelope copies that reached a member (one delivery = one envelope decrypted or rejected by one receiver).
    pub deliveries: u64,
    /// Deliveries the receiver accepted.
    pub decrypted: u64,
    /// Rejections, by reason.
    pub rejections: BTreeMap<String, u64>,
    /// Envelope copies the network lost.
    pub lost_by_network: u64,
    /// Sender keys created (first keys and rotations).
    pub keys_created: u64,
    /// Distribution messages sent over pairwise channels.
    pub distributions_sent: u64,
    /// Their total size in bytes.
    pub distribution_bytes: u64,
    /// Key requests sent for envelopes that arrived before their key.
    pub key_requests: u64,
    /// Envelopes dropped because a member's pending queue was full.
    pub pending_overflow: u64,
    /// The largest skipped-key cache any receiver held for any sender, after any delivery.
    pub skipped_keys_high_water: u64,
    /// Messages a member still in the group never decrypted although a copy arrived, by the last reason.
    pub undecryptable: BTreeMap<String, u64>,
    /// Parked envelopes given up on after `KEY_FETCH_ROUNDS_MAX` key requests did not bring their key.
    pub pending_abandoned: u64,
    /// Attacks run, by kind.
    pub attacks: BTreeMap<String, u64>,
    /// Attacks that could not run (no envelope to craft from, a format without the attacked field, ...).
    pub attacks_skipped: u64,
    /// Crafted inputs delivered to members.
    pub attack_inputs: u64,
    /// Crafted inputs a member accepted.
    pub attack_accepted: u64,
    /// Operations an implementation refused outside decryption (encrypt, distribution), by reason.
    pub operation_failures: BTreeMap<String, u64>,
}

/// The report of one run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// The implementation, e.g. `reference/hardened`.
    pub implementation: String,
    /// The rotation policy, canonical form.
    pub policy: String,
    /// Members at the start and at the end (still in the group).
    pub members_initial: usize,
    /// Members still in the group at the end.
    pub members_final: usize,
    /// Events processed.
    pub events: u64,
    /// SHA-256 of the canonical trace.
    pub trace_hash: String,
    /// What happened.
    pub counts: Counts,
    /// Distribution bytes sent per sender key created (first keys and rotations): roughly what one rotation
    /// costs, since each key goes to every other member — re-sends for key requests and newcomers included.
    pub distribution_bytes_per_key: u64,
    /// Fraction of the messages each member should have got that it decrypted, in parts per million.
    pub delivery_ppm: u64,
    /// What each compromise exposed.
    pub exposures: Vec<crate::engine::Exposure>,
    /// One verdict per invariant, in the threat model's order.
    pub invariants: Vec<InvariantReport>,
}

impl Report {
    /// The invariants violated, in the threat model's order.
    pub fn violated(&self) -> Vec<&'static str> {
        self.invariants
            .iter()
            .filter(|r| r.verdict == Verdict::Violated)
            .map(|r| r.invariant)
            .collect()
    }

    /// The verdict on one invariant.
    pub fn verdict(&self, invariant: &str) -> Option<Verdict> {
        self.invariants
            .iter()
            .find(|r| r.invariant == invariant)
            .map(|r| r.verdict)
    }
}
