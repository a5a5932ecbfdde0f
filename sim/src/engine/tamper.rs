//! What the adversary changes in flight: envelopes a malicious server modifies as it relays them (scripted with
//! `tamper-in-flight`, or drawn per copy with `[server] tamper`), and distributions it crafts (`bad-distribution`:
//! an insider over its own pairwise channel, or the server where the design stores keys on it). Every change is a
//! named mutation of `crate::mutations`, cited in the trace; whatever a receiver does with it is judged like any
//! crafted input.

use std::rc::Rc;

use rand::RngExt;

use super::attack::Crafted;
use super::{Event, Sim, Wire, guarded};
use crate::config::{AttackOptions, Attacker, GenuineCopy, ServerBehaviour};
use crate::implementation::Transport;
use crate::mutations::{DistributionMutation, Mutation};
use crate::report::DistributionCause;
use crate::time::Micros;

/// An armed `tamper-in-flight`: the next envelope of `sender` is changed on its way to `to` (or to everyone).
#[derive(Debug)]
pub(super) struct Interception {
    sender: usize,
    to: Option<usize>,
    mutation: Option<Mutation>,
    genuine: GenuineCopy,
}

/// What the server does to one receiver's copy of an envelope.
pub(super) struct Tampered {
    /// The changed bytes, and the mutation's name.
    bytes: Rc<[u8]>,
    mutation: String,
    genuine: GenuineCopy,
}

impl Sim<'_> {
    /// `tamper-in-flight`: arms the server to change `target`'s next envelope.
    pub(super) fn arm_interception(&mut self, target: usize, options: &AttackOptions) {
        self.interceptions.push(Interception {
            sender: target,
            to: options.to,
            mutation: options.mutation,
            genuine: options.genuine,
        });
    }

    /// Whether the server may change any copy of an envelope now: an interception is armed, or a malicious server
    /// tampers at a drawn rate.
    pub(super) fn tampers_in_flight(&self) -> bool {
        !self.interceptions.is_empty()
            || (self.config.tampering.ppm != 0 && self.config.server == ServerBehaviour::Malicious)
    }

    /// Whether the server changes `to`'s copy of the envelope `sender` is sending now (`envelope`), and how: an
    /// armed interception first, else the drawn rate of `[server] tamper`.
    pub(super) fn intercept(&mut self, sender: usize, to: usize, envelope: &[u8]) -> Option<Tampered> {
        let armed = self
            .interceptions
            .iter()
            .position(|i| i.sender == sender && i.to.is_none_or(|t| t == to));
        let (mutation, genuine) = match armed {
            Some(index) => {
                let interception = &self.interceptions[index];
                let chosen = (interception.mutation, interception.genuine);
                if interception.to.is_some() {
                    self.interceptions.remove(index);
                }
                chosen
            }
            None => {
                let tampering = &self.config.tampering;
                if tampering.ppm == 0
                    || self.config.server != ServerBehaviour::Malicious
                    || self.adversary_rng.random_range(0..1_000_000) >= tampering.ppm
                {
                    return None;
                }
                let genuine = GenuineCopy::ALL[self.adversary_rng.random_range(0..GenuineCopy::ALL.len())];
                (None, genuine)
            }
        };
        let other = self.other_envelope(sender);
        let other = other.as_deref();
        let mutation = match mutation {
            Some(m) => m,
            None => {
                let families = &self.config.tampering.families;
                let choices: Vec<Mutation> = Mutation::applicable(envelope, other)
                    .into_iter()
                    .filter(|m| families.is_empty() || families.contains(&m.family()))
                    .collect();
                if choices.is_empty() {
                    return None;
                }
                choices[self.adversary_rng.random_range(0..choices.len())]
            }
        };
        let bytes = mutation.apply(envelope, other, &mut self.adversary_rng)?;
        Some(Tampered {
            bytes: bytes.into(),
            mutation: mutation.name(),
            genuine,
        })
    }

    /// Once `sender`'s envelope has gone out to everyone, an interception armed for every receiver is spent.
    pub(super) fn interceptions_spent(&mut self, sender: usize) {
        self.interceptions
            .retain(|i| !(i.sender == sender && i.to.is_none()));
    }

    /// The newest envelope of a member other than `sender` (what key-id and splice mutations take from).
    fn other_envelope(&self, sender: usize) -> Option<Vec<u8>> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.sender != sender)
            .map(|m| m.envelope.clone())
    }

    /// Schedules the tampered copy around the genuine copies' arrivals (`copies`), and returns the genuine arrivals
    /// that still happen.
    pub(super) fn deliver_tampered(
        &mut self,
        message: usize,
        sender: usize,
        to: usize,
        tampered: Tampered,
        copies: Vec<Micros>,
        leaves: Micros,
    ) -> Vec<Micros> {
        let at = match (tampered.genuine, copies.iter().min(), copies.iter().max()) {
            (GenuineCopy::Earlier, _, Some(&last)) => last + 1,
            (_, Some(&first), _) => first,
            _ => self.network.reliable(leaves),
        };
        self.record.trace.record(
            self.now,
            format_args!(
                "tamper msg={message} m{sender}->m{to} {} genuine={}",
                tampered.mutation,
                tampered.genuine.name()
            ),
        );
        *self
            .record
            .counts
            .attacks
            .entry("TamperInFlight".to_owned())
            .or_default() += 1;
        self.schedule(
            at,
            Event::AttackDeliver {
                to,
                claimed: sender,
                bytes: tampered.bytes,
                crafted: Crafted::WithoutKeys,
            },
        );
        if tampered.genuine == GenuineCopy::Never {
            Vec::new()
        } else {
            copies
        }
    }

    /// `bad-distribution`: an insider sends a mutated copy of its own current distribution over its own pairwise
    /// channels (taking `target`'s key id where the mutation takes another's), or the server relays a mutated copy
    /// of `target`'s stored record where the design keeps records on the server.
    pub(super) fn bad_distribution(&mut self, by: Attacker, target: usize, options: &AttackOptions) {
        let server_plain = self.factory.transport() == Transport::ServerPlaintext;
        let (from, genuine, donor) = match self.distribution_to_mutate(by, target, server_plain) {
            Ok(source) => source,
            Err(why) => return self.attack_skipped(why),
        };
        let mutation = match options.distribution_mutation {
            Some(m) => m,
            None => {
                let choices = DistributionMutation::applicable(&genuine, donor.as_deref());
                if choices.is_empty() {
                    return self.attack_skipped("no distribution mutation applies to this format");
                }
                choices[self.adversary_rng.random_range(0..choices.len())]
            }
        };
        let Some(bytes) = mutation.apply(&genuine, donor.as_deref(), &mut self.adversary_rng) else {
            let why = format!(
                "`{}` does not apply to this distribution's format",
                mutation.name()
            );
            return self.attack_skipped(&why);
        };
        self.record.trace.record(
            self.now,
            format_args!("bad-distribution m{from} {}", mutation.name()),
        );
        let bytes: Rc<[u8]> = bytes.into();
        let receivers: Vec<usize> = self
            .active()
            .filter(|&m| m != from && Attacker::Member(m) != by && options.to.is_none_or(|to| to == m))
            .collect();
        if let Attacker::Member(insider) = by {
            self.members[insider].misbehaved = true;
        }
        for to in receivers {
            if server_plain {
                let arrival = self.network.reliable(self.now);
                let wire = Wire::Plain(Rc::clone(&bytes));
                self.schedule(
                    arrival,
                    Event::Distribution {
                        from,
                        to,
                        wire,
                        crafted: true,
                    },
                );
            } else {
                self.send_distribution_as(from, to, Rc::clone(&bytes), DistributionCause::Attack, true);
            }
        }
    }

    /// Whose distribution the adversary changes, the bytes it starts from, and another member's it may take a key id
    /// from; or why it has none.
    #[allow(clippy::type_complexity)]
    fn distribution_to_mutate(
        &self,
        by: Attacker,
        target: usize,
        server_plain: bool,
    ) -> Result<(usize, Rc<[u8]>, Option<Rc<[u8]>>), &'static str> {
        match by {
            Attacker::Member(insider) => {
                let imp = &self.members[insider].imp;
                let Ok(Ok(own)) = guarded(|| imp.distribution()) else {
                    return Err("the insider has no key of its own to send");
                };
                let donor = self.latest_distribution(target).filter(|_| target != insider);
                Ok((insider, Rc::<[u8]>::from(own), donor))
            }
            Attacker::Server if server_plain => {
                let Some(record) = self.server_records.get(&target).cloned() else {
                    return Err("the server stores no record of the target yet");
                };
                let donor = self
                    .server_records
                    .iter()
                    .find(|(m, _)| **m != target)
                    .map(|(_, r)| Rc::clone(r));
                Ok((target, record, donor))
            }
            Attacker::Server => Err(
                "distributions travel sealed over pairwise channels: the server cannot change them (an insider can: \
                 `by = N`)",
            ),
        }
    }

    /// The newest distribution `member` created, if any.
    fn latest_distribution(&self, member: usize) -> Option<Rc<[u8]>> {
        self.distributions
            .get(&member)
            .and_then(|all| all.last())
            .map(|(_, bytes, _)| Rc::clone(bytes))
    }
}
