//! The sending side: the workload, encryption, fan-out, key creation and distribution, and the adversary's
//! attempts on every new envelope.

use std::rc::Rc;

use super::{Event, Sim, guarded};
use crate::checkers::Observation;
use crate::config::HOUR_US;
use crate::ground_truth::{self, Bitset, SentMessage};
use crate::implementation::Transport;
use crate::policy::Micros;
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
            if self.members[member].online {
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
        let envelope = match guarded(|| imp.encrypt(keys, &plaintext)) {
            Ok(Ok(envelope)) => envelope,
            Ok(Err(rejection)) => return self.operation_failed(member, "encrypt", &rejection.reason),
            Err(panic) => return self.panicked(member, "encrypt", &panic),
        };
        self.members[member].messages_under_key += 1;
        self.record_and_fan_out(id, member, envelope);
    }

    fn record_and_fan_out(&mut self, id: usize, sender: usize, envelope: Vec<u8>) {
        let mut expected = Bitset::with_len(self.members.len());
        for to in self.active().filter(|&to| to != sender).collect::<Vec<_>>() {
            expected.insert(to);
            let copies = self.network.envelope(self.now, to, !self.quiet);
            if copies.is_empty() {
                self.counts.lost_by_network += 1;
            }
            for arrival in copies {
                self.schedule(arrival, Event::Deliver { message: id, to });
            }
        }
        let digest = crate::trace::short_digest(&envelope);
        self.trace.record(
            self.now,
            format_args!("send m{sender} msg={id} bytes={} env={digest}", envelope.len()),
        );
        self.counts.envelopes_sent += 1;
        let arrived = Bitset::with_len(self.members.len());
        let delivered = arrived.clone();
        self.messages.push(SentMessage {
            sender,
            sent_at: self.now,
            envelope,
            expected,
            arrived,
            delivered,
        });
        self.adversary_attempts(id);
    }

    /// `member` creates a fresh sender key (first key or rotation) and sends it to every other current member.
    pub(super) fn create_and_distribute(&mut self, member: usize) {
        let m = &mut self.members[member];
        let (imp, keys) = (&mut m.imp, &mut m.keys);
        let bytes = match guarded(|| imp.create_sender_key(keys)) {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(rejection)) => {
                return self.operation_failed(member, "create-sender-key", &rejection.reason);
            }
            Err(panic) => return self.panicked(member, "create-sender-key", &panic),
        };
        self.counts.keys_created += 1;
        let m = &mut self.members[member];
        m.messages_under_key = 0;
        m.key_created_at = self.now;
        self.trace
            .record(self.now, format_args!("key m{member} bytes={}", bytes.len()));
        let bytes: Rc<[u8]> = bytes.into();
        let created = (self.now, Rc::clone(&bytes));
        self.distributions.entry(member).or_default().push(created);
        if self.factory.transport() == Transport::ServerPlaintext {
            // The record is uploaded to the server, which stores it and broadcasts it.
            self.server_records.insert(member, Rc::clone(&bytes));
            self.server_reads_distribution(member, &bytes);
        }
        for to in self.active().filter(|&to| to != member).collect::<Vec<_>>() {
            self.send_distribution(member, to, Rc::clone(&bytes));
        }
    }

    /// Sends a distribution over the pairwise channel.
    pub(super) fn send_distribution(&mut self, from: usize, to: usize, bytes: Rc<[u8]>) {
        self.counts.distributions_sent += 1;
        self.counts.distribution_bytes += bytes.len() as u64;
        let arrival = self.network.reliable(self.now);
        self.schedule(arrival, Event::Distribution { from, to, bytes });
    }

    pub(super) fn operation_failed(&mut self, member: usize, operation: &str, reason: &str) {
        *self
            .counts
            .operation_failures
            .entry(format!("{operation}:{reason}"))
            .or_default() += 1;
        self.trace
            .record(self.now, format_args!("{operation} m{member} failed: {reason}"));
    }

    pub(super) fn panicked(&mut self, member: usize, operation: &'static str, message: &str) {
        let at = self.at();
        self.trace
            .record(self.now, format_args!("{operation} m{member} PANIC"));
        self.checkers.observe(&Observation::Panicked {
            at,
            member,
            operation,
            message,
        });
    }
}
