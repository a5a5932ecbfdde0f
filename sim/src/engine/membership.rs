//! Membership and phases: scripted actions, joins, departures, offline periods and the quiet phase.

use super::adversary::{AdversaryClone, Holder};
use super::{Event, Sim, guarded};
use crate::checkers::Observation;
use crate::config::Action;
use crate::facts::Fact;
use crate::implementation::Transport;
use crate::report::DistributionCause;

impl Sim<'_> {
    pub(super) fn scripted(&mut self, action: Action) {
        match action {
            Action::Join { count } => (0..count).for_each(|_| {
                self.join(false);
            }),
            Action::Leave { member } | Action::Remove { member } => self.depart(member, &action),
            Action::Offline { member, until } => self.go_offline(member, until),
            Action::Online { member } => self.come_online(member),
            Action::Send { member, count } => {
                if self.is_present(member) {
                    (0..count).for_each(|_| self.send_message(member));
                }
            }
            Action::Rotate { member } => {
                if self.is_present(member) {
                    self.create_and_distribute(member);
                }
            }
            Action::Compromise {
                member,
                scope,
                insider,
            } => self.compromise(member, scope, insider),
            Action::Partition { members, until } => self.partition(&members, until),
            Action::Attack {
                kind,
                by,
                target,
                options,
            } => self.attack(kind, by, target, &options),
        }
    }

    fn is_present(&self, member: usize) -> bool {
        self.members.get(member).is_some_and(|m| !m.departed)
    }

    /// A new member joins: it creates and distributes its key; every current member hands it its key (or, under
    /// `on-membership-change`, rotates and distributes the new one to everyone), as the transport has it.
    /// `by_server`: the server added it (an `add-member` attack).
    pub(super) fn join(&mut self, by_server: bool) -> usize {
        let newcomer = self.add_member();
        self.record
            .trace
            .record(self.now, format_args!("join m{newcomer}"));
        self.fact(Fact::Joined {
            member: newcomer,
            by_server,
        });
        let at = self.at();
        self.record.observe(&Observation::Joined { at, member: newcomer });
        self.create_and_distribute(newcomer);
        let others: Vec<usize> = self.active().filter(|&m| m != newcomer).collect();
        for member in others {
            self.join_notice(member, newcomer);
        }
        self.schedule_tick(newcomer);
        self.schedule_join_probe(newcomer);
        newcomer
    }

    /// `member` reacts to the join — now, or when it is back online (the server holds the notice in order with
    /// everything else it holds for it, so a returning member first catches up on what was sent before).
    pub(super) fn join_notice(&mut self, member: usize, newcomer: usize) {
        if self.members[member].departed || self.members[newcomer].departed {
            return;
        }
        if !self.members[member].online {
            self.members[member]
                .held
                .push(Event::JoinNotice { member, newcomer });
            return;
        }
        self.members[member].knows_joined.insert(newcomer);
        if self.config.policy.on_join {
            self.create_and_distribute(member);
        } else {
            self.hand_key_to_newcomer(member, newcomer);
        }
    }

    /// Whether `member` knows that `other` is in the group: initial members know each other, a newcomer knows
    /// everyone who was there before it, and others learn of a newcomer when they process its join notice.
    pub(super) fn knows(&self, member: usize, other: usize) -> bool {
        other < self.config.members || other <= member || self.members[member].knows_joined.contains(other)
    }

    /// `member` reacts to a departure — now, or when it is back online: it deletes what it holds of the
    /// departed member and, under `on-removal`, rotates.
    pub(super) fn departure_notice(&mut self, member: usize, departed: usize) {
        if self.members[member].departed {
            return;
        }
        if !self.members[member].online {
            self.members[member]
                .held
                .push(Event::DepartureNotice { member, departed });
            return;
        }
        let departed_id = self.members[departed].id.clone();
        self.members[member].knows_departed.insert(departed);
        self.members[member].imp.forget_sender(&departed_id);
        if self.config.policy.on_removal {
            self.create_and_distribute(member);
        }
    }

    /// `member`'s key reaches the newcomer: from the server's store (server-plaintext), or from the member at its
    /// current iteration, together with the keys it forwards (forwarded).
    fn hand_key_to_newcomer(&mut self, member: usize, newcomer: usize) {
        if self.factory.transport() == Transport::ServerPlaintext {
            if let Some(record) = self.server_records.get(&member).cloned() {
                self.send_distribution(member, newcomer, record, DistributionCause::Join);
            }
            return;
        }
        let imp = &self.members[member].imp;
        match guarded(|| imp.distribution()) {
            Ok(Ok(bytes)) => self.send_distribution(member, newcomer, bytes.into(), DistributionCause::Join),
            Ok(Err(rejection)) => self.operation_failed(member, "distribution", &rejection.reason),
            Err(panic) => self.panicked(member, "distribution", &panic),
        }
        if self.factory.transport() == Transport::Forwarded {
            let imp = &self.members[member].imp;
            match guarded(|| imp.forwarded_distributions()) {
                Ok(forwarded) => forwarded.into_iter().for_each(|(_, b)| {
                    self.send_distribution(member, newcomer, b.into(), DistributionCause::Forwarded);
                }),
                Err(panic) => self.panicked(member, "forwarded-distributions", &panic),
            }
        }
    }

    /// A member leaves or is removed: its state is frozen and handed to the adversary; the others delete what
    /// they hold of it and, under `on-removal`, rotate.
    fn depart(&mut self, member: usize, action: &Action) {
        if !self.is_present(member) {
            return;
        }
        let verb = if matches!(action, Action::Leave { .. }) {
            "leave"
        } else {
            "remove"
        };
        self.record
            .trace
            .record(self.now, format_args!("{verb} m{member}"));
        self.fact(Fact::Departed { member });
        self.members[member].departed = true;
        self.healed(member);
        let at = self.at();
        self.record.observe(&Observation::Departed { at, member });
        if let Some(imp) = self.clone_state(member) {
            self.adversary.clones.push(AdversaryClone {
                holder: Holder::Departed(member),
                imp,
            });
        }
        let remaining: Vec<usize> = self.active().collect();
        for m in remaining {
            self.departure_notice(m, member);
        }
    }

    fn go_offline(&mut self, member: usize, until: u64) {
        if self.is_present(member) && self.members[member].online {
            self.members[member].online = false;
            self.record
                .trace
                .record(self.now, format_args!("offline m{member}"));
            self.schedule(until.max(self.now), Event::Scripted(Action::Online { member }));
        }
    }

    /// The members lose their link to the server until `until`: they keep writing, the server holds what comes
    /// for them, and what they send leaves when the link returns.
    fn partition(&mut self, members: &[usize], until: u64) {
        let cut: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&m| self.is_present(m) && self.members[m].online)
            .collect();
        if cut.is_empty() {
            return;
        }
        let until = until.max(self.now);
        let names: Vec<String> = cut.iter().map(|m| format!("m{m}")).collect();
        self.record.trace.record(
            self.now,
            format_args!("partition {} until {until}", names.join(",")),
        );
        for member in cut {
            self.members[member].online = false;
            self.members[member].partition_until = Some(until);
            self.schedule(until, Event::Scripted(Action::Online { member }));
        }
    }

    /// The member is back: the server hands it everything it held, in the order it arrived.
    ///
    /// A member cut off by a partition comes back when its link does, at the partition's `until` (an `online`
    /// event or the quiet phase before then changes nothing): what it wrote while cut off leaves at that time, and
    /// what it sends after must not overtake it.
    fn come_online(&mut self, member: usize) {
        let m = &self.members[member];
        if !self.is_present(member) || m.online || m.partition_until.is_some_and(|until| until > self.now) {
            return;
        }
        self.members[member].online = true;
        self.members[member].partition_until = None;
        self.record
            .trace
            .record(self.now, format_args!("online m{member}"));
        let first_arrival = self.network.reliable(self.now);
        let held = std::mem::take(&mut self.members[member].held);
        for (arrival, event) in (first_arrival..).zip(held) {
            self.schedule(arrival, event);
        }
        // What the server held may carry the keys the parked envelopes wait for: key requests wait out the latency
        // from now (a timer that came due while the member was away asked nothing).
        let due = self.now + self.request_wait();
        let waiting: Vec<usize> = self.members[member]
            .requested
            .iter()
            .filter(|(_, timer)| timer.is_some_and(|at| at < due))
            .map(|(&owner, _)| owner)
            .collect();
        for owner in waiting {
            self.arm_request_timer(member, owner, due);
        }
    }

    /// Faults stop, offline members come back (members cut off by a partition when its `until` comes), and every
    /// member re-requests the keys its parked envelopes still need.
    pub(super) fn quiet_start(&mut self) {
        self.quiet = true;
        self.record.trace.record(self.now, format_args!("quiet"));
        for member in self.active().collect::<Vec<_>>() {
            self.come_online(member);
            let mut senders: Vec<usize> = self.members[member]
                .pending
                .iter()
                .map(|&m| self.messages[m].sender)
                .collect();
            senders.sort_unstable();
            senders.dedup();
            // Like `park`: wait out the latency first, so a request's answer cannot overtake a distribution that
            // is still in flight (and install the key at a later iteration than the parked envelopes need).
            let due = self.now + self.request_wait();
            for sender in senders {
                if !self.members[member].requested.contains_key(&sender) {
                    self.arm_request_timer(member, sender, due);
                }
            }
        }
    }
}
