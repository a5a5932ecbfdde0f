//! The receiving side: deliveries, the pending queue for envelopes whose key has not arrived, key requests,
//! and distributions.

use std::rc::Rc;

use super::{Event, Sim, Wire, guarded};
use crate::checkers::Observation;
use crate::facts::Fact;
use crate::limits::{KEY_FETCH_ROUNDS_MAX, PENDING_ENVELOPES_MAX, WORK_BUDGET_STEPS};

use crate::ground_truth;
use crate::implementation::{Accepted, Transport, WorkBudget};
use crate::report::DistributionCause;
use crate::time::Micros;
use senderkeys::consts::FORWARD_JUMP_MAX;

/// What one decryption attempt came to.
enum Outcome {
    Accepted,
    MissingKey(String),
    Rejected(String),
    Panicked,
}

impl Sim<'_> {
    /// If `to` is offline, the server holds the event until it returns; returns whether it was held.
    fn held_for_offline(&mut self, to: usize, event: impl FnOnce() -> Event) -> bool {
        if self.members[to].online {
            return false;
        }
        self.members[to].held.push(event());
        true
    }

    pub(super) fn deliver(&mut self, message: usize, to: usize) {
        if self.members[to].departed {
            return;
        }
        if self.held_for_offline(to, || Event::Deliver { message, to }) {
            self.record
                .trace
                .record(self.now, format_args!("hold msg={message} for m{to} (offline)"));
            return;
        }
        let first = self.messages[message].arrived.insert(to);
        assert!(
            first || self.messages[message].duplicated.contains(to),
            "engine invariant: message {message} reached m{to} twice, and the network made no duplicate"
        );
        self.record.counts.deliveries += 1;
        let outcome = self.try_decrypt(message, to);
        if let Outcome::MissingKey(_) = outcome {
            self.park(message, to);
        }
    }

    /// One decryption attempt, with its bookkeeping: counts, checkers, trace.
    fn try_decrypt(&mut self, message: usize, to: usize) -> Outcome {
        let sender = self.messages[message].sender;
        let sender_id = self.members[sender].id.clone();
        let envelope = &self.messages[message].envelope;
        let imp = &mut self.members[to].imp;
        // A copy of a message this member already accepted must be rejected without a trace: snapshot what a
        // message from its sender may change first.
        let before = self.messages[message]
            .delivered
            .contains(to)
            .then(|| imp.export_sender(&sender_id));
        let mut budget = WorkBudget::new(WORK_BUDGET_STEPS);
        let result = guarded(|| imp.decrypt(&sender_id, envelope, &mut budget));
        if let (Some(before), Ok(Err(rejection))) = (before, &result) {
            let changed = self.members[to].imp.export_sender(&sender_id) != before;
            let (at, reason) = (self.at(), rejection.reason.clone());
            self.record.observe(&Observation::RejectionChecked {
                at,
                member: to,
                changed,
                reason: &reason,
            });
        }
        self.check_bounds(to, sender, &budget, "decryption");
        let outcome = match result {
            Ok(Ok(accepted)) => self.accepted(message, to, &accepted),
            Ok(Err(rejection)) => {
                *self
                    .record
                    .counts
                    .rejections
                    .entry(rejection.reason.clone())
                    .or_default() += 1;
                self.last_reason.insert((message, to), rejection.reason.clone());
                if rejection.is_missing_key() {
                    Outcome::MissingKey(rejection.reason)
                } else {
                    Outcome::Rejected(rejection.reason)
                }
            }
            Err(panic) => {
                self.panicked(to, "decrypt", &panic);
                Outcome::Panicked
            }
        };
        let what = match &outcome {
            Outcome::Accepted => "ok",
            Outcome::MissingKey(r) | Outcome::Rejected(r) => r.as_str(),
            Outcome::Panicked => "panic",
        };
        self.record.trace.record(
            self.now,
            format_args!("deliver msg={message} m{sender}->m{to} {what}"),
        );
        outcome
    }

    fn accepted(&mut self, message: usize, to: usize, accepted: &Accepted) -> Outcome {
        self.record.counts.decrypted += 1;
        let genuine = self.record_accepted(to, accepted);
        if genuine.is_some() {
            self.last_reason.remove(&(message, to));
            self.members[to]
                .fetch_rounds
                .remove(&self.messages[message].sender);
        } else {
            self.last_reason.insert(
                (message, to),
                "accepted, but shown as something it is not".to_owned(),
            );
        }
        if self.members[to].controlled && genuine.is_some() {
            let (at, sender) = (self.at(), self.messages[message].sender);
            self.record
                .observe(&Observation::ServerDecrypted { at, message, sender });
        }
        Outcome::Accepted
    }

    /// Looks up what `to` accepted in the ground truth (which message it really is, if it is exactly one its shown
    /// sender sent, and whether `to` had accepted it before) and reports that to the checkers, which judge it
    /// (`authenticity`, `replay-rejection`); returns the message.
    pub(super) fn record_accepted(&mut self, to: usize, accepted: &Accepted) -> Option<usize> {
        let claimed = self.index_of.get(&accepted.claimed_sender).copied();
        let bytes = self.config.plaintext_bytes;
        let genuine =
            claimed.and_then(|c| ground_truth::genuine(&self.messages, bytes, &accepted.plaintext, c));
        let first = genuine.is_none_or(|g| self.messages[g].delivered.insert(to));
        let (at, plaintext) = (self.at(), &accepted.plaintext);
        self.record.observe(&Observation::Accepted {
            at,
            receiver: to,
            claimed,
            genuine,
            first,
            plaintext,
        });
        genuine
    }

    /// Reports work beyond the protocol's forward-jump bound (or an exhausted budget) and a cache beyond its bound.
    pub(super) fn check_bounds(
        &mut self,
        member: usize,
        sender: usize,
        budget: &WorkBudget,
        operation: &str,
    ) {
        // A jump of the bound itself is allowed: its skipped keys and the message's own, one step more.
        let steps_max = u64::from(FORWARD_JUMP_MAX) + 1;
        let mut found = Vec::new();
        if budget.steps() > steps_max {
            found.push(format!(
                "one {operation} took {} chain steps (bound {steps_max})",
                budget.steps()
            ));
        }
        let sender_id = &self.members[sender].id;
        let cached = self.members[member].imp.skipped_keys(sender_id);
        self.record.counts.skipped_keys_high_water =
            self.record.counts.skipped_keys_high_water.max(cached as u64);
        if cached > self.factory.skipped_keys_max() {
            found.push(format!(
                "{cached} skipped keys cached for m{sender} (bound {})",
                self.factory.skipped_keys_max()
            ));
        }
        for what in found {
            let at = self.at();
            self.record.observe(&Observation::Unbounded { at, member, what });
        }
    }

    /// Queues an envelope whose key is missing. If no request for the sender's key is outstanding, it starts the
    /// request timer: the distribution is most likely still in flight (it was sent before the envelope), and
    /// asking at once could fetch the key at a later iteration than the parked envelopes need.
    fn park(&mut self, message: usize, to: usize) {
        let sender = self.messages[message].sender;
        let member = &mut self.members[to];
        member.pending.push_back(message);
        if member.pending.len() > PENDING_ENVELOPES_MAX
            && let Some(oldest) = member.pending.pop_front()
        {
            // sksim's bound, not the implementation's doing: the copy is dropped as if it had never arrived.
            self.messages[oldest].discarded.insert(to);
            self.record.counts.pending_overflow += 1;
        }
        assert!(
            member.pending.len() <= PENDING_ENVELOPES_MAX,
            "engine invariant: m{to} holds {} parked envelopes, bound {PENDING_ENVELOPES_MAX}",
            member.pending.len()
        );
        if !member.requested.contains_key(&sender) {
            let due = self.now + self.request_wait();
            self.arm_request_timer(to, sender, due);
        }
    }

    /// How long a member waits before asking for a key it misses: twice the largest latency, so that a
    /// distribution still in flight arrives first (an answer overtaking it would install the key at a later
    /// iteration than the parked envelopes need, and they would be lost).
    pub(super) fn request_wait(&self) -> Micros {
        2 * self.config.network.latency_max.max(1)
    }

    /// Starts (or moves) `requester`'s timer for `owner`'s key, due at `due`; an earlier timer becomes stale.
    pub(super) fn arm_request_timer(&mut self, requester: usize, owner: usize, due: Micros) {
        self.members[requester].requested.insert(owner, Some(due));
        self.schedule(due, Event::RequestTimer { requester, owner });
    }

    /// The wait is over: ask for the key if envelopes from `owner` are still parked — unless it was asked for
    /// [`KEY_FETCH_ROUNDS_MAX`] times already (one more in the quiet phase), in which case they are abandoned.
    ///
    /// A stale timer does nothing: the key it waited for arrived (or the timer was moved), and envelopes parked
    /// since have a timer of their own that waits out the latency from their arrival. A member offline or cut off
    /// does not ask now — what the server holds for it, perhaps the missing distribution, reaches it only after it
    /// returns — and [`Sim::come_online`](super::Sim) starts the wait again when it does.
    pub(super) fn request_timer(&mut self, requester: usize, owner: usize) {
        let member = &self.members[requester];
        if member.requested.get(&owner) != Some(&Some(self.now)) {
            return; // stale
        }
        if !member.departed && !member.online {
            return; // waits for the member's return
        }
        let still_missing = member.pending.iter().any(|&m| self.messages[m].sender == owner);
        let rounds = member.fetch_rounds.get(&owner).copied().unwrap_or(0);
        if member.departed || !still_missing {
            self.members[requester].requested.remove(&owner);
        } else if rounds >= KEY_FETCH_ROUNDS_MAX + u32::from(self.quiet) {
            self.abandon(requester, owner);
        } else {
            let rounds = self.members[requester].fetch_rounds.entry(owner).or_default();
            *rounds += 1;
            assert!(
                *rounds <= KEY_FETCH_ROUNDS_MAX + 1,
                "engine invariant: m{requester} asked m{owner} for its key {rounds} times, bound {} + 1",
                KEY_FETCH_ROUNDS_MAX
            );
            self.members[requester].requested.insert(owner, None);
            self.request_key(requester, owner, "still missing");
        }
    }

    /// Gives up on the envelopes from `owner` that `member` parked: their key never came.
    fn abandon(&mut self, member: usize, owner: usize) {
        let m = &mut self.members[member];
        m.requested.remove(&owner);
        let (given_up, kept): (Vec<usize>, Vec<usize>) = m
            .pending
            .iter()
            .partition(|&&id| self.messages[id].sender == owner);
        m.pending = kept.into();
        self.record.counts.pending_abandoned += given_up.len() as u64;
        self.record.trace.record(
            self.now,
            format_args!("abandon m{member} {} from m{owner}", given_up.len()),
        );
    }

    pub(super) fn request_key(&mut self, requester: usize, owner: usize, reason: &str) {
        self.record.counts.key_requests += 1;
        self.record.trace.record(
            self.now,
            format_args!("request m{requester}->m{owner} ({reason})"),
        );
        let arrival = self.network.reliable(self.departure(requester));
        self.schedule(arrival, Event::KeyRequest { requester, owner });
    }

    pub(super) fn answer_key_request(&mut self, requester: usize, owner: usize) {
        if self.members[owner].departed || self.members[requester].departed {
            return;
        }
        if self.factory.transport() == Transport::ServerPlaintext {
            // Chatalot's fetch: the server answers from its store, whether or not the owner is online.
            if let Some(record) = self.server_records.get(&owner).cloned() {
                self.send_distribution(owner, requester, record, DistributionCause::Request);
            }
            return;
        }
        if self.held_for_offline(owner, || Event::KeyRequest { requester, owner }) {
            return;
        }
        let imp = &self.members[owner].imp;
        match guarded(|| imp.distribution()) {
            Ok(Ok(bytes)) => {
                self.send_distribution(owner, requester, bytes.into(), DistributionCause::Request);
            }
            Ok(Err(rejection)) => self.operation_failed(owner, "distribution", &rejection.reason),
            Err(panic) => self.panicked(owner, "distribution", &panic),
        }
    }

    pub(super) fn receive_distribution(&mut self, from: usize, to: usize, wire: &Wire, crafted: bool) {
        if self.members[to].departed || self.members[from].departed {
            return;
        }
        if self.held_for_offline(to, || Event::Distribution {
            from,
            to,
            wire: wire.clone(),
            crafted,
        }) {
            return;
        }
        let inner = match wire {
            Wire::Plain(bytes) => Rc::clone(bytes),
            Wire::Sealed(signed) => {
                let sealed = self.channels.seal(from, to, &signed.signature, &signed.inner);
                // The server relays the sealed bytes; a curious one tries to read them as it hands them over.
                if self.config.server.reads() {
                    self.server_reads_distribution(from, &sealed);
                }
                match self.channels.open(from, to, &sealed) {
                    Ok(inner) => inner.into(),
                    Err(refused) => {
                        let reason = refused.reason();
                        *self
                            .record
                            .counts
                            .distribution_rejections
                            .entry(reason.to_owned())
                            .or_default() += 1;
                        self.record
                            .trace
                            .record(self.now, format_args!("distribution m{from}->m{to} {reason}"));
                        return;
                    }
                }
            }
        };
        let from_id = self.members[from].id.clone();
        let retained_before = self.retained_keys(to, from);
        let imp = &mut self.members[to].imp;
        // What the adversary crafted must be refused without a trace, as a crafted envelope must.
        let before = crafted.then(|| imp.export());
        let mut budget = WorkBudget::new(WORK_BUDGET_STEPS);
        let result = guarded(|| imp.process_distribution(&from_id, &inner, &mut budget));
        if let (Some(before), Ok(Err(rejection))) = (before, &result) {
            self.check_crafted_rejection(to, &before, &rejection.reason.clone());
        }
        if let Some(before) = retained_before {
            self.note_retired(to, from, &before);
        }
        self.check_bounds(to, from, &budget, "distribution");
        let outcome = match result {
            Ok(Ok(())) => "ok".to_owned(),
            Ok(Err(rejection)) => format!("rejected:{}", rejection.reason),
            Err(panic) => {
                self.panicked(to, "process-distribution", &panic);
                "panic".to_owned()
            }
        };
        self.record
            .trace
            .record(self.now, format_args!("distribution m{from}->m{to} {outcome}"));
        self.members[to].requested.remove(&from);
        self.retry_pending(to);
    }

    /// A crafted distribution `to` refused must have left its state as it was (`before`).
    fn check_crafted_rejection(&mut self, to: usize, before: &[u8], reason: &str) {
        let changed = self.members[to].imp.export() != before;
        let at = self.at();
        self.record.observe(&Observation::RejectionChecked {
            at,
            member: to,
            changed,
            reason,
        });
    }

    /// The keys of `sender` that `member` retains, if its implementation says (asked once per run whether it does).
    fn retained_keys(&mut self, member: usize, sender: usize) -> Option<Vec<String>> {
        if self.reports_retained == Some(false) {
            return None;
        }
        let sender_id = &self.members[sender].id;
        let imp = &self.members[member].imp;
        let keys = guarded(|| imp.retained_keys(sender_id)).ok().flatten();
        self.reports_retained = Some(keys.is_some());
        keys
    }

    /// After `receiver` processed a distribution from `sender`: every key of that member it held before and holds no
    /// longer, with envelopes under it the receiver has not decrypted yet or still in use by the sender (or perhaps
    /// in use: the sender rotated and has not written since), is a [`Fact::StateRetired`], kept to explain the
    /// messages lost to it at the end.
    fn note_retired(&mut self, receiver: usize, sender: usize, before: &[String]) {
        let Some(after) = self.retained_keys(receiver, sender) else {
            return;
        };
        for key_id in before.iter().filter(|k| !after.contains(k)) {
            let in_flight = self
                .under_key
                .get(&(sender, key_id.clone()))
                .map_or(0, |messages| {
                    messages
                        .iter()
                        .filter(|&&m| {
                            let message = &self.messages[m];
                            message.expected.contains(receiver) && !message.delivered.contains(receiver)
                        })
                        .count()
                });
            let in_use = self.members[sender]
                .current_key
                .as_ref()
                .is_none_or(|current| current == key_id);
            if in_flight > 0 || in_use {
                self.retired
                    .insert((receiver, sender, key_id.clone()), after.len());
                self.fact(Fact::StateRetired {
                    receiver,
                    sender,
                    key_id: key_id.clone(),
                    in_flight: in_flight as u64,
                    retained: after.len(),
                });
            }
        }
    }

    /// Retries every envelope `to` parked (a distribution may carry a key for another member than its sender, as
    /// forwarded keys do); those still missing a key stay parked.
    pub(super) fn retry_pending(&mut self, to: usize) {
        let parked = std::mem::take(&mut self.members[to].pending);
        for message in parked {
            self.record.counts.retries += 1;
            if let Outcome::MissingKey(_) = self.try_decrypt(message, to) {
                self.park(message, to);
            }
        }
    }
}
