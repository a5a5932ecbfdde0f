//! The result of a run: everything needed to judge it, and nothing that varies between runs of the same seed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::checkers::{Invariant, InvariantReport, Verdict};

/// Counts of what happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Envelopes encrypted and handed to the server.
    pub envelopes_sent: u64,
    /// Envelope copies that reached a member (one delivery = one envelope decrypted or rejected by one receiver).
    pub deliveries: u64,
    /// Decryption attempts the receiver accepted (a delivery, or a retry of one).
    pub decrypted: u64,
    /// Decryption attempts the receiver rejected, by reason: `decrypted` plus these is `deliveries` plus
    /// `retries`.
    pub rejections: BTreeMap<String, u64>,
    /// Parked envelopes tried again when key material arrived (each is also decrypted or rejected once more).
    pub retries: u64,
    /// Sealed distributions the pairwise channel refused, by reason (not envelopes: outside `rejections`).
    pub distribution_rejections: BTreeMap<String, u64>,
    /// Envelope copies the network lost.
    pub lost_by_network: u64,
    /// Sender keys created (first keys and rotations).
    pub keys_created: u64,
    /// Sender keys created to replace a member's previous key (policy, scripted, or on membership changes).
    pub rotations: u64,
    /// Distribution messages and bytes, as they travel (sealed, for pairwise channels), by why they were sent; the
    /// totals are in [`Report::distribution`].
    pub distributions_by_cause: BTreeMap<DistributionCause, Cost>,
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
    /// Messages a departed member's frozen state decrypted that their sender wrote before it had processed the
    /// departure (it was offline or cut off when it happened): outside `post-removal-secrecy`, counted here.
    pub departed_reads_before_sender_knew: u64,
    /// Attacks run, by kind.
    pub attacks: BTreeMap<String, u64>,
    /// Attacks that could not run (no envelope to craft from, a format without the attacked field, ...).
    pub attacks_skipped: u64,
    /// Scripted events that did nothing, found only as they ran (skipped attacks among them), with when and why.
    pub without_effect: Vec<(crate::time::Micros, String)>,
    /// Crafted inputs delivered to members.
    pub attack_inputs: u64,
    /// Crafted inputs a member accepted.
    pub attack_accepted: u64,
    /// Operations an implementation refused outside decryption (encrypt, distribution), by reason.
    pub operation_failures: BTreeMap<String, u64>,
}

/// Why a distribution was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DistributionCause {
    /// A member's first key, sent to everyone.
    Initial,
    /// A rotated key, sent to everyone.
    Rotation,
    /// A current key handed to a newcomer.
    Join,
    /// A key sent again because a member asked for it.
    Request,
    /// A key of another member, forwarded to a newcomer (the peer-to-peer sketch).
    Forwarded,
    /// Sent by the adversary (stale or fake keys).
    Attack,
}

/// Messages and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cost {
    /// Messages.
    pub messages: u64,
    /// Bytes.
    pub bytes: u64,
}

/// What distributing keys cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DistributionCost {
    /// Every distribution message, whatever its cause.
    pub total: Cost,
    /// Rotations (keys that replaced a previous key).
    pub rotations: u64,
    /// Mean distribution messages and bytes one rotation sent (the rotation cause over the rotation count;
    /// zero without rotations).
    pub per_rotation: Cost,
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
    /// What distributing keys cost, in total and per rotation (the breakdown by cause is in `counts`).
    pub distribution: DistributionCost,
    /// Fraction of the messages each member should have got that it decrypted, in parts per million.
    pub delivery_ppm: u64,
    /// What each compromise exposed.
    pub exposures: Vec<crate::engine::Exposure>,
    /// One verdict per invariant, in the threat model's order.
    pub invariants: Vec<InvariantReport>,
    /// What talking to an external adapter took and what went wrong (`None` for built-in implementations).
    pub adapter: Option<crate::implementation::AdapterReport>,
    /// What happened that an oracle judges the run by (departures, joins, compromises, attacks, retired keys), in
    /// event order: not part of the trace, its hash or the JSON report.
    pub facts: crate::facts::Facts,
}

impl Report {
    /// The invariants violated, in the threat model's order.
    pub fn violated(&self) -> Vec<Invariant> {
        self.invariants
            .iter()
            .filter(|r| r.verdict == Verdict::Violated)
            .map(|r| r.invariant)
            .collect()
    }

    /// The verdict on one invariant.
    pub fn verdict(&self, invariant: Invariant) -> Option<Verdict> {
        self.invariants
            .iter()
            .find(|r| r.invariant == invariant)
            .map(|r| r.verdict)
    }
}
