//! The sending side: the workload, encryption, fan-out, key creation and distribution, and the adversary's
//! attempts on every new envelope.

use std::rc::Rc;

use super::{Event, Signed, Sim, Wire, guarded};
use crate::channel::Channels;
use crate::checkers::Observation;
use crate::ground_truth::{self, Bitset, SentMessage};
use crate::implementation::{ChainPosition, Transport, UNSUPPORTED};

/// The rejection reason of an `encrypt` whose key has used up its 32-bit counter (as `senderkeys` names it): the
/// engine rotates and tries once more.
pub(super) const ITERATION_EXHAUSTED: &str = "iteration-exhausted";
use crate::report::DistributionCause;
use crate::time::{HOUR_US, Micros};
use rand::RngExt;

impl Sim<'_> {
    /// Schedules `member`'s next workload message: uniform gaps with the configured mean rate.
    pub(super) fn schedule_tick(&mut self, member: usize) {
        let rate = u64::from(self.config.messages_per_member_per_hour);
        if rate == 0 {
            return;
        }
        let mean_gap: Micros = HOUR_US / rate;
        let gap = self.members[member].workload.random_range(1..=2 * mean_gap);
        if self.now + gap < self.config.duration {
            self.schedule(self.now + gap, Event::Tick { member });
        }
    }

    pub(super) fn tick(&mut self, member: usize) {
        if !self.members[member].departed {
            let m = &self.members[member];
            if m.online || m.partition_until.is_some() {
                self.send_message(member);
            }
            self.schedule_tick(member);
        }
    }

    /// `member` sends one message: rotate first if its policy says so, encrypt, fan out to the current members.
    pub(super) fn send_message(&mut self, member: usize) {
        let m = &self.members[member];
        if self
            .config
            .policy
            .due(m.messages_under_key, self.now - m.key_created_at)
        {
            self.create_and_distribute(member);
        }
        let id = self.messages.len();
        let plaintext = ground_truth::plaintext(id, member, self.config.plaintext_bytes);
        let m = &mut self.members[member];
        let (imp, keys) = (&mut m.imp, &mut m.keys);
        let mut encrypted = guarded(|| imp.encrypt(keys, &plaintext));
        if matches!(&encrypted, Ok(Err(r)) if r.reason == ITERATION_EXHAUSTED) {
            // The key's counter is used up: the application makes a new key, as it would for any rotation.
            self.create_and_distribute(member);
            let m = &mut self.members[member];
            let (imp, keys) = (&mut m.imp, &mut m.keys);
            encrypted = guarded(|| imp.encrypt(keys, &plaintext));
        }
        let envelope = match encrypted {
            Ok(Ok(envelope)) => envelope,
            Ok(Err(rejection)) => return self.operation_failed(member, "encrypt", &rejection.reason),
            Err(panic) => return self.panicked(member, "encrypt", &panic),
        };
        self.members[member].messages_under_key += 1;
        let position = self.members[member].imp.last_sent();
        self.record_and_fan_out(id, member, envelope, position);
    }

    /// When what `member` sends now leaves it: now, or when its partition heals.
    pub(super) fn departure(&self, member: usize) -> Micros {
        self.members[member]
            .partition_until
            .map_or(self.now, |until| until.max(self.now))
    }

    fn record_and_fan_out(
        &mut self,
        id: usize,
        sender: usize,
        envelope: Vec<u8>,
        position: Option<ChainPosition>,
    ) {
        let mut expected = Bitset::with_len(self.members.len());
        let mut duplicated = Bitset::default();
        let leaves = self.departure(sender);
        // Asked once per envelope, so a run without tampering pays nothing per copy.
        let tampers = self.tampers_in_flight();
        for to in self.active().filter(|&to| to != sender).collect::<Vec<_>>() {
            // The server fans out to every current member, but only those the sender knew of could have been
            // given its key for this message (a cut-off sender learns of a join late).
            if self.knows(sender, to) {
                expected.insert(to);
            }
            let mut copies = self.network.envelope(leaves, to, !self.quiet);
            if copies.is_empty() {
                self.record.counts.lost_by_network += 1;
            }
            if tampers && let Some(tampered) = self.intercept(sender, to, &envelope) {
                copies = self.deliver_tampered(id, sender, to, tampered, copies, leaves);
            }
            if copies.len() > 1 {
                duplicated.insert(to);
            }
            for arrival in copies {
                self.schedule(arrival, Event::Deliver { message: id, to });
            }
        }
        self.interceptions_spent(sender);
        let digest = crate::trace::short_digest(&envelope);
        let at = position
            .as_ref()
            .map_or_else(|| "?".to_owned(), |p| format!("{}:{}", p.key_id, p.iteration));
        self.record.trace.record(
            self.now,
            format_args!(
                "send m{sender} msg={id} key={at} bytes={} env={digest}",
                envelope.len()
            ),
        );
        self.record.counts.envelopes_sent += 1;
        self.members[sender].current_key = position.as_ref().map(|p| p.key_id.clone());
        if let Some(position) = &position {
            self.under_key
                .entry((sender, position.key_id.clone()))
                .or_default()
                .push(id);
        }
        let arrived = Bitset::with_len(self.members.len());
        let delivered = arrived.clone();
        self.messages.push(SentMessage {
            sender,
            sent_at: self.now,
            position,
            envelope,
            expected,
            arrived,
            duplicated,
            delivered,
            discarded: Bitset::default(),
            by_adversary: false,
        });
        self.adversary_attempts(id);
        self.schedule_stolen_key_forgeries(sender);
    }

    /// `member` creates a fresh sender key (first key or rotation) and sends it to every other current member.
    pub(super) fn create_and_distribute(&mut self, member: usize) {
        let start = if self.start_unsupported {
            0
        } else {
            self.config.start_iteration
        };
        let m = &mut self.members[member];
        let (imp, keys) = (&mut m.imp, &mut m.keys);
        let mut created = guarded(|| imp.create_sender_key_at(keys, start));
        if start != 0 && matches!(&created, Ok(Err(r)) if r.reason == UNSUPPORTED) {
            self.start_unsupported = true;
            self.without_effect(format!(
                "start_iteration {start}: the implementation starts every chain at 0 (create_sender_key_at is \
                 unsupported)"
            ));
            let m = &mut self.members[member];
            let (imp, keys) = (&mut m.imp, &mut m.keys);
            created = guarded(|| imp.create_sender_key(keys));
        }
        let bytes = match created {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(rejection)) => {
                return self.operation_failed(member, "create-sender-key", &rejection.reason);
            }
            Err(panic) => return self.panicked(member, "create-sender-key", &panic),
        };
        self.record.counts.keys_created += 1;
        let cause = if self.distributions.contains_key(&member) {
            self.record.counts.rotations += 1;
            DistributionCause::Rotation
        } else {
            DistributionCause::Initial
        };
        self.healed(member);
        let m = &mut self.members[member];
        m.messages_under_key = 0;
        m.key_created_at = self.now;
        m.current_key = None;
        self.record
            .trace
            .record(self.now, format_args!("key m{member} bytes={}", bytes.len()));
        let bytes: Rc<[u8]> = bytes.into();
        let created = (self.now, Rc::clone(&bytes), self.members.len());
        self.distributions.entry(member).or_default().push(created);
        if self.factory.transport() == Transport::ServerPlaintext {
            // The record is uploaded to the server, which stores it and broadcasts it.
            self.server_records.insert(member, Rc::clone(&bytes));
            self.server_reads_distribution(member, &bytes);
        }
        for to in self.active().filter(|&to| to != member).collect::<Vec<_>>() {
            self.send_distribution(member, to, Rc::clone(&bytes), cause);
        }
    }

    /// Sends a distribution from `from` to `to`: sealed over their pairwise channel, or (server-plaintext) as the
    /// record the server relays. A curious server reads what it relays — sealed bytes, for pairwise channels.
    pub(super) fn send_distribution(
        &mut self,
        from: usize,
        to: usize,
        inner: Rc<[u8]>,
        cause: DistributionCause,
    ) {
        self.send_distribution_as(from, to, inner, cause, false);
    }

    /// [`Sim::send_distribution`], saying whether the adversary crafted it (then a rejection must leave the
    /// receiver's state unchanged).
    pub(super) fn send_distribution_as(
        &mut self,
        from: usize,
        to: usize,
        inner: Rc<[u8]>,
        cause: DistributionCause,
        crafted: bool,
    ) {
        let (wire, bytes) = if self.factory.transport() == Transport::ServerPlaintext {
            let bytes = inner.len();
            (Wire::Plain(inner), bytes)
        } else {
            let bytes = Channels::sealed_len(inner.len());
            (Wire::Sealed(self.signed(from, &inner)), bytes)
        };
        let bytes = bytes as u64;
        let cost = self
            .record
            .counts
            .distributions_by_cause
            .entry(cause)
            .or_default();
        cost.messages += 1;
        cost.bytes += bytes;
        let arrival = self.network.reliable(self.departure(from));
        self.schedule(
            arrival,
            Event::Distribution {
                from,
                to,
                wire,
                crafted,
            },
        );
    }

    /// `inner` with `from`'s identity signature, signed once per distribution (the last one is kept, since a
    /// distribution goes to every member in turn).
    pub(super) fn signed(&mut self, from: usize, inner: &Rc<[u8]>) -> Rc<Signed> {
        if let Some((signer, signed)) = &self.last_signed
            && *signer == from
            && Rc::ptr_eq(&signed.inner, inner)
        {
            return Rc::clone(signed);
        }
        let signed = Rc::new(Signed {
            inner: Rc::clone(inner),
            signature: self.channels.sign(from, inner),
        });
        self.last_signed = Some((from, Rc::clone(&signed)));
        signed
    }

    pub(super) fn operation_failed(&mut self, member: usize, operation: &str, reason: &str) {
        *self
            .record
            .counts
            .operation_failures
            .entry(format!("{operation}:{reason}"))
            .or_default() += 1;
        self.record
            .trace
            .record(self.now, format_args!("{operation} m{member} failed: {reason}"));
    }

    pub(super) fn panicked(&mut self, member: usize, operation: &'static str, message: &str) {
        let at = self.at();
        self.record
            .trace
            .record(self.now, format_args!("{operation} m{member} PANIC"));
        self.record.observe(&Observation::Panicked {
            at,
            member,
            operation,
            message,
        });
    }
}
