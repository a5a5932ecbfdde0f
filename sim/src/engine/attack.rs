//! Active attacks: crafted envelopes delivered in a member's name, stale distributions, fake forwarded keys, and a
//! member the server controls. Every crafted input must be rejected without a trace, so each delivery is checked
//! for failure atomicity; whatever is accepted is judged by `authenticity` and `replay-rejection`.

use std::rc::Rc;

use super::{Event, Sim, Wire, guarded};
use crate::attacks::{self, AttackKind, INJECTED_TEXT};
use crate::checkers::Observation;
use crate::config::{AttackOptions, Attacker};
use crate::facts::Fact;
use crate::ground_truth::{self, Bitset, SentMessage};
use crate::implementation::{Transport, WorkBudget};
use crate::limits::WORK_BUDGET_STEPS;
use crate::report::DistributionCause;
use crate::time::Micros;

/// How a crafted input was made.
#[derive(Clone, Copy, Debug)]
pub(super) enum Crafted {
    /// From captured bytes without the keys (forged at random, tampered, re-split, replayed, injected): it must be
    /// rejected, and a member that shows it as a message anyway is judged for failure atomicity too.
    WithoutKeys,
    /// With keys the adversary holds — an insider's copy of the chain, a fake key it installed, a stolen signing
    /// key (`exposure` names that compromise): valid as far as the receiver can tell, so accepting it is an
    /// `authenticity` matter alone.
    WithKeys { exposure: Option<usize> },
}

/// A second step of an attack, once its first has settled.
#[derive(Debug)]
pub(super) enum FollowUp {
    /// Replay one of the target's envelopes (after a stale distribution).
    Replay {
        message: usize,
        target: usize,
        by: Attacker,
    },
    /// Send a message under the fake key `fake` in the target's name.
    FakeSend {
        fake: usize,
        target: usize,
        by: Attacker,
    },
}

impl Sim<'_> {
    /// Runs an attack now, and records whether it ran or why not.
    pub(super) fn attack(&mut self, kind: AttackKind, by: Attacker, target: usize, options: &AttackOptions) {
        let skipped_before = self.record.counts.attacks_skipped;
        self.run_attack(kind, by, target, options);
        let fact = if self.record.counts.attacks_skipped == skipped_before {
            Fact::AttackRan { kind, by, target }
        } else {
            let why = self
                .record
                .counts
                .without_effect
                .last()
                .map(|(_, why)| why.clone())
                .unwrap_or_default();
            Fact::AttackSkipped {
                kind,
                by,
                target,
                why,
            }
        };
        self.fact(fact);
    }

    fn run_attack(&mut self, kind: AttackKind, by: Attacker, target: usize, options: &AttackOptions) {
        let how = options.describe();
        self.record.trace.record(
            self.now,
            format_args!("attack {kind:?} by {by:?} on m{target}{how}"),
        );
        *self.record.counts.attacks.entry(format!("{kind:?}")).or_default() += 1;
        if let Attacker::Member(m) = by {
            if self.members.get(m).is_none_or(|m| m.departed) {
                return self.attack_skipped("the attacking member is not in the group");
            }
        } else {
            let at = self.at();
            self.record.observe(&Observation::ServerReads { at });
        }
        if self.members.get(target).is_none() {
            return self.attack_skipped("no such target");
        }
        match kind {
            AttackKind::AddMember => self.server_adds_member(),
            AttackKind::StaleDistribution => self.stale_distribution(target, by),
            AttackKind::ForwardFakeKey => self.forward_fake_key(target, by),
            AttackKind::TamperInFlight => self.arm_interception(target, options),
            AttackKind::BadDistribution => self.bad_distribution(by, target, options),
            _ => self.crafted(kind, by, target, options),
        }
    }

    pub(super) fn attack_skipped(&mut self, why: &str) {
        self.record.counts.attacks_skipped += 1;
        self.without_effect(format!("attack skipped: {why}"));
    }

    fn envelopes_of(&self, member: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.messages.len()).filter(move |&id| self.messages[id].sender == member)
    }

    /// Crafts one input from the target's envelopes and delivers it in the target's name (`repeat` forgeries, each
    /// `ahead` past the one before).
    fn crafted(&mut self, kind: AttackKind, by: Attacker, target: usize, options: &AttackOptions) {
        let (Some(first), Some(last)) = (self.envelopes_of(target).next(), self.envelopes_of(target).last())
        else {
            return self.attack_skipped("the target has sent nothing to craft from");
        };
        if let (AttackKind::Forge, Attacker::Member(insider)) = (kind, by) {
            return self.insider_forgery(insider, target, options);
        }
        if kind == AttackKind::Forge {
            return self.forgeries(last, by, target, options);
        }
        let other = self
            .messages
            .iter()
            .rev()
            .find(|m| m.sender != target)
            .map(|m| m.envelope.clone());
        let rng = &mut self.adversary_rng;
        let genuine = self.messages[last].envelope.as_slice();
        let bytes = match kind {
            AttackKind::Tamper => match options.mutation {
                Some(mutation) => mutation.apply(genuine, other.as_deref(), rng),
                None => attacks::tamper(genuine, rng),
            },
            AttackKind::FarFuture => attacks::far_future(genuine),
            AttackKind::Resplit => attacks::resplit(genuine),
            AttackKind::Replay => Some(self.messages[first].envelope.clone()),
            _ => Some(INJECTED_TEXT.to_vec()),
        };
        match bytes {
            Some(bytes) => self.deliver_in_name_of(target, by, bytes.into(), Crafted::WithoutKeys),
            None => self.attack_skipped("the format has no field this attack changes"),
        }
    }

    /// Forgeries without keys from the target's last envelope: `repeat` of them, each `ahead` past the one
    /// before (the plain form is one, at the next iteration), each delivered once its predecessor has settled.
    fn forgeries(&mut self, last: usize, by: Attacker, target: usize, options: &AttackOptions) {
        let ahead = options.ahead.unwrap_or(1);
        let repeat = options.repeat.unwrap_or(1);
        let settle = 2 * self.config.network.latency_max.max(1) + 1;
        for k in 1..=repeat {
            let distance = ahead.saturating_mul(k);
            let rng = &mut self.adversary_rng;
            let Some(bytes) = attacks::forge_at(&self.messages[last].envelope, distance, rng) else {
                return self.attack_skipped("the format has no field this attack changes");
            };
            let receivers = self.receivers_of_crafted(target, by);
            let at = self.now + settle * u64::from(k - 1);
            self.deliver_at(at, target, bytes.into(), Crafted::WithoutKeys, &receivers);
        }
    }

    /// An insider writes `repeat` messages in the target's name with the copy of the target's chain it holds as a
    /// receiver, each `ahead` past where that copy is (it moves past each forgery it accepts: an unsigned design's). Unsigned designs accept them; signed ones must refuse the
    /// insider's own signature. An insider "forging" as itself jumps its own chain instead ([`Sim::own_chain_jumps`]).
    fn insider_forgery(&mut self, insider: usize, target: usize, options: &AttackOptions) {
        if insider == target {
            return self.own_chain_jumps(insider, options);
        }
        let text = format!("forged as m{target} by insider m{insider}").into_bytes();
        let target_id = self.members[target].id.clone();
        let (ahead, repeat) = (options.ahead.unwrap_or(1), options.repeat.unwrap_or(1));
        // Past the first forgery, a copy of the insider's state writes the rest, walked past each it accepts.
        let (mut walker, mut first): (
            Option<Box<dyn crate::implementation::Implementation>>,
            Option<Vec<u8>>,
        ) = (None, None);
        let settle = 2 * self.config.network.latency_max.max(1) + 1;
        for k in 1..=repeat {
            if k == 2 {
                walker = self.clone_state(insider);
                if let (Some(walker), Some(first)) = (&mut walker, first.take()) {
                    let mut budget = WorkBudget::new(WORK_BUDGET_STEPS);
                    let _ = guarded(|| walker.decrypt(&target_id, &first, &mut budget));
                }
            }
            let rng = &mut self.adversary_rng;
            let imp = walker.as_ref().unwrap_or(&self.members[insider].imp);
            match guarded(|| imp.forge_ahead_as(&target_id, None, ahead, rng, &text)) {
                Ok(Ok(bytes)) => {
                    if let Some(walker) = &mut walker {
                        let mut budget = WorkBudget::new(WORK_BUDGET_STEPS);
                        let _ = guarded(|| walker.decrypt(&target_id, &bytes, &mut budget));
                    } else if repeat > 1 {
                        first = Some(bytes.clone());
                    }
                    let crafted = Crafted::WithKeys { exposure: None };
                    let receivers = self.receivers_of_crafted(target, Attacker::Member(insider));
                    let at = self.now + settle * u64::from(k - 1);
                    self.deliver_at(at, target, bytes.into(), crafted, &receivers);
                }
                Ok(Err(rejection)) => {
                    let why = format!("the insider could not forge: {}", rejection.reason);
                    return self.attack_skipped(&why);
                }
                Err(panic) => return self.attack_skipped(&format!("forging panicked: {panic}")),
            }
        }
    }

    /// A malicious insider jumps its own chain: `repeat` messages, each `ahead` iterations past the one before,
    /// written with a copy of another member's receiver state for the insider's chain (what the insider knows
    /// anyway), walked forward past each jump, and the insider's own signing key. They are the insider's own messages (authentic, and recorded as sent by it) but not owed:
    /// an insider that burns its own chain loses its own messages. What they cost the receivers — skipped keys
    /// derived, a cache that grows across jumps that are each inside the window — is judged by `bounded-state`.
    fn own_chain_jumps(&mut self, insider: usize, options: &AttackOptions) {
        let holder = self
            .active()
            .find(|&m| m != insider && !self.members[m].controlled);
        let Some(holder) = holder else {
            return self.attack_skipped("no other member holds the insider's chain to write from");
        };
        // The insider's view of its chain: a copy of a receiver's, walked forward past each jump it writes.
        let Some(mut walker) = self.clone_state(holder) else {
            return self.attack_skipped("the holder's state could not be copied to write from");
        };
        let signing = guarded(|| self.members[insider].imp.signing_key()).ok().flatten();
        let insider_id = self.members[insider].id.clone();
        let (ahead, repeat) = (options.ahead.unwrap_or(1), options.repeat.unwrap_or(1));
        let settle = 2 * self.config.network.latency_max.max(1) + 1;
        self.members[insider].misbehaved = true;
        for k in 1..=repeat {
            let plaintext =
                ground_truth::plaintext(self.messages.len(), insider, self.config.plaintext_bytes);
            let rng = &mut self.adversary_rng;
            match guarded(|| walker.forge_ahead_as(&insider_id, signing.as_deref(), ahead, rng, &plaintext)) {
                Ok(Ok(bytes)) => {
                    let mut budget = WorkBudget::new(WORK_BUDGET_STEPS);
                    let _ = guarded(|| walker.decrypt(&insider_id, &bytes, &mut budget));
                    self.jump_message(insider, bytes, self.now + settle * u64::from(k - 1));
                }
                Ok(Err(rejection)) => {
                    let why = format!("the insider could not write ahead: {}", rejection.reason);
                    return self.attack_skipped(&why);
                }
                Err(panic) => return self.attack_skipped(&format!("forging panicked: {panic}")),
            }
        }
    }

    /// Records one of an insider's jumps as a message it sent (owed to nobody) and sends it to every other member,
    /// leaving at `at`.
    fn jump_message(&mut self, insider: usize, envelope: Vec<u8>, at: Micros) {
        let id = self.messages.len();
        let members = self.members.len();
        self.record.trace.record(
            self.now,
            format_args!("jump m{insider} msg={id} bytes={}", envelope.len()),
        );
        self.messages.push(SentMessage {
            sender: insider,
            sent_at: self.now,
            position: None,
            envelope,
            expected: Bitset::with_len(members),
            arrived: Bitset::with_len(members),
            duplicated: Bitset::default(),
            delivered: Bitset::with_len(members),
            discarded: Bitset::default(),
            by_adversary: true,
        });
        for to in self.active().filter(|&m| m != insider).collect::<Vec<_>>() {
            let arrival = self.network.reliable(at);
            self.schedule(arrival, Event::Deliver { message: id, to });
        }
    }

    /// The crafted bytes reach every member but the target and the attacker, as if from the target.
    pub(super) fn deliver_in_name_of(
        &mut self,
        target: usize,
        by: Attacker,
        bytes: Rc<[u8]>,
        crafted: Crafted,
    ) {
        let receivers = self.receivers_of_crafted(target, by);
        self.deliver_at(self.now, target, bytes, crafted, &receivers);
    }

    /// Who a crafted input in `target`'s name reaches: every member but the target, the attacker and the members
    /// the server controls.
    fn receivers_of_crafted(&self, target: usize, by: Attacker) -> Vec<usize> {
        self.active()
            .filter(|&m| m != target && Attacker::Member(m) != by && !self.members[m].controlled)
            .collect()
    }

    /// Sends `bytes` in `target`'s name to `receivers`, leaving at `at`.
    fn deliver_at(
        &mut self,
        at: Micros,
        target: usize,
        bytes: Rc<[u8]>,
        crafted: Crafted,
        receivers: &[usize],
    ) {
        for &to in receivers {
            let arrival = self.network.reliable(at);
            self.schedule(
                arrival,
                Event::AttackDeliver {
                    to,
                    claimed: target,
                    bytes: Rc::clone(&bytes),
                    crafted,
                },
            );
        }
    }

    /// One crafted input reaches `to`: it is decrypted like any envelope, its state compared before and after.
    pub(super) fn attack_deliver(&mut self, to: usize, claimed: usize, bytes: &Rc<[u8]>, crafted: Crafted) {
        if self.members[to].departed {
            return;
        }
        let claimed_id = self.members[claimed].id.clone();
        let imp = &mut self.members[to].imp;
        let before = imp.export();
        let mut budget = WorkBudget::new(WORK_BUDGET_STEPS);
        let result = guarded(|| imp.decrypt(&claimed_id, bytes, &mut budget));
        self.check_bounds(to, claimed, &budget, "attack input");
        self.record.counts.attack_inputs += 1;
        let at = self.at();
        let outcome = match result {
            Ok(Ok(accepted)) => {
                self.record.counts.attack_accepted += 1;
                let genuine = self.record_accepted(to, &accepted);
                if let (
                    None,
                    Crafted::WithKeys {
                        exposure: Some(exposure),
                    },
                ) = (genuine, crafted)
                {
                    let exposure = &mut self.adversary.exposures[exposure];
                    exposure.forgeries_accepted += 1;
                    exposure.forgery_window_us = Some(self.now - exposure.compromised_at_us);
                }
                if genuine.is_none() && matches!(crafted, Crafted::WithoutKeys) {
                    // A forgery shown as a message should have been rejected: whether it moved the state is a
                    // matter of atomicity too (a replay accepted again is `replay-rejection`'s alone).
                    let changed = self.members[to].imp.export() != before;
                    let reason = "wrongly accepted";
                    self.record.observe(&Observation::RejectionChecked {
                        at,
                        member: to,
                        changed,
                        reason,
                    });
                }
                "ACCEPTED".to_owned()
            }
            Ok(Err(rejection)) => {
                let changed = self.members[to].imp.export() != before;
                let reason = rejection.reason.as_str();
                self.record.observe(&Observation::RejectionChecked {
                    at,
                    member: to,
                    changed,
                    reason,
                });
                format!("rejected:{reason}")
            }
            Err(panic) => {
                self.panicked(to, "decrypt", &panic);
                "panic".to_owned()
            }
        };
        self.record
            .trace
            .record(self.now, format_args!("attack-input m{claimed}->m{to} {outcome}"));
    }

    /// The server adds a member it controls: honest members hand it their keys like any newcomer's, and from then
    /// on everything it decrypts, the server reads.
    fn server_adds_member(&mut self) {
        let member = self.join(true);
        self.members[member].controlled = true;
    }

    /// The distribution under which the target sent its first envelope is delivered again, then that envelope is
    /// replayed: a receiver that lets a stale distribution rewind its chain accepts the replay. Over pairwise
    /// channels the server replays the sealed bytes it relayed back then (sealing is deterministic, so sealing the
    /// same distribution again gives exactly those bytes); the channel does not reject replays, so what is tested is
    /// the implementation's own handling of a stale distribution.
    fn stale_distribution(&mut self, target: usize, by: Attacker) {
        let Some(first) = self.envelopes_of(target).next() else {
            return self.attack_skipped("the target has sent nothing to replay");
        };
        let sent_at = self.messages[first].sent_at;
        let keys = self
            .distributions
            .get(&target)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let Some(index) = keys.iter().rposition(|(created, _, _)| *created <= sent_at) else {
            return self.attack_skipped("the target has distributed no key");
        };
        let (_, stale, members_then) = keys[index].clone();
        let newer_keys = keys.len() - 1 - index;
        self.fact(Fact::StaleKeyRedelivered { target, newer_keys });
        let sealed = self.factory.transport() != Transport::ServerPlaintext;
        // Over sealed channels the server can only replay what it relayed: to members who were there when the
        // distribution went out. A server that stores plaintext records can serve them to anyone.
        let receivers: Vec<usize> = self
            .active()
            .filter(|&m| m != target && (!sealed || m < members_then))
            .collect();
        for to in receivers {
            let wire = if sealed {
                Wire::Sealed(self.signed(target, &stale))
            } else {
                Wire::Plain(Rc::clone(&stale))
            };
            let arrival = self.network.reliable(self.now);
            self.schedule(
                arrival,
                Event::Distribution {
                    from: target,
                    to,
                    wire,
                    crafted: false,
                },
            );
        }
        let settle = 2 * self.config.network.latency_max.max(1) + 1;
        self.schedule(
            self.now + settle,
            Event::FollowUp(FollowUp::Replay {
                message: first,
                target,
                by,
            }),
        );
    }

    /// An insider makes a key in the target's name, forwards it to everyone, and later sends under it.
    fn forward_fake_key(&mut self, target: usize, by: Attacker) {
        let Attacker::Member(insider) = by else {
            return self.attack_skipped("forward-fake-key is an insider attack: give a member as `by`");
        };
        let mut fake = self.create(&self.members[target].id.clone());
        let rng = &mut self.adversary_rng;
        let Ok(Ok(distribution)) = guarded(|| fake.create_sender_key(rng)) else {
            return self.attack_skipped("the implementation made no key for the fake");
        };
        let distribution: Rc<[u8]> = distribution.into();
        for to in self
            .active()
            .filter(|&m| m != target && m != insider)
            .collect::<Vec<_>>()
        {
            self.send_distribution(insider, to, Rc::clone(&distribution), DistributionCause::Attack);
        }
        self.adversary.fakes.push(fake);
        let fake = self.adversary.fakes.len() - 1;
        let settle = 2 * self.config.network.latency_max.max(1) + 1;
        self.schedule(
            self.now + settle,
            Event::FollowUp(FollowUp::FakeSend { fake, target, by }),
        );
    }

    pub(super) fn follow_up(&mut self, step: FollowUp) {
        match step {
            FollowUp::Replay { message, target, by } => {
                let bytes = self.messages[message].envelope.clone();
                self.deliver_in_name_of(target, by, bytes.into(), Crafted::WithoutKeys);
            }
            FollowUp::FakeSend { fake, target, by } => {
                let text = format!("forged in the name of m{target}").into_bytes();
                let (imp, rng) = (&mut self.adversary.fakes[fake], &mut self.adversary_rng);
                if let Ok(Ok(bytes)) = guarded(|| imp.encrypt(rng, &text)) {
                    self.deliver_in_name_of(target, by, bytes.into(), Crafted::WithKeys { exposure: None });
                }
            }
        }
    }
}
