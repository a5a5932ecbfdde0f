//! The adversary: it holds clones of every state it obtained — departed members' frozen states, compromised
//! members' snapshots, and (for a curious or malicious server) a state fed with every distribution the server
//! can read — and really tries to decrypt every envelope with each of them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use zeroize::Zeroizing;

use super::{Event, Sim, guarded};
use crate::checkers::Observation;
use crate::config::{Attacker, CompromiseScope};
use crate::facts::Fact;
use crate::ground_truth;
use crate::implementation::{Implementation, WorkBudget};
use crate::limits::WORK_BUDGET_STEPS;
use crate::time::Micros;

/// Whose state a clone is.
#[derive(Clone, Copy, Debug)]
pub(super) enum Holder {
    /// A member that left or was removed, frozen at its departure.
    Departed(usize),
    /// A compromised member's snapshot; the index of its entry in `Adversary::exposures`.
    Compromised(usize),
}

/// A state the adversary holds.
pub(super) struct AdversaryClone {
    pub(super) holder: Holder,
    pub(super) imp: Box<dyn Implementation>,
}

/// Everything the adversary holds.
#[derive(Default)]
pub(super) struct Adversary {
    pub(super) clones: Vec<AdversaryClone>,
    /// The server's own state, fed with every distribution it can read (curious and malicious servers).
    pub(super) server: Option<Box<dyn Implementation>>,
    pub(super) exposures: Vec<Exposure>,
    /// States an insider made in other members' names (forward-fake-key).
    pub(super) fakes: Vec<Box<dyn Implementation>>,
    /// Per exposure: the members whose chains the adversary knew and that have not rotated (or left) since.
    pub(super) unhealed: Vec<BTreeSet<usize>>,
    /// Signing keys stolen by `signing-key` compromises.
    pub(super) stolen: Vec<Stolen>,
}

/// A stolen signing key, and the insider whose copy of the victim's chain it forges with.
pub(super) struct Stolen {
    exposure: usize,
    victim: usize,
    insider: usize,
    key: Zeroizing<Vec<u8>>,
    /// No more attempts: the last one came after the victim's rotation, or forging failed.
    finished: bool,
}

/// What one compromise exposed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exposure {
    /// The compromised member.
    pub member: usize,
    /// What was taken.
    pub scope: CompromiseScope,
    /// When.
    pub compromised_at_us: Micros,
    /// Messages sent before the compromise that the snapshot decrypts although the member had not consumed
    /// them yet (skipped-key cache and messages in flight): exposure `forward-secrecy` allows.
    pub before_allowed: u64,
    /// Messages sent after the compromise that the snapshot decrypts.
    pub after: u64,
    /// The same, per sender (senders with at least one exposed message).
    pub after_by_sender: BTreeMap<usize, u64>,
    /// Time from the compromise to the last message it exposed (the exposure window), if any.
    pub window_us: Option<Micros>,
    /// Time from the compromise until every chain the adversary knew had been replaced and redistributed: every
    /// member present at the compromise (for `signing-key`: the victim) rotated or left. `None`: not within the run.
    pub healing_us: Option<Micros>,
    /// `signing-key`: the member whose copy of the victim's chain the stolen key forges with.
    pub insider: Option<usize>,
    /// `signing-key`: forged envelopes made (one after each of the victim's messages, until one after its rotation).
    pub forgeries_attempted: u64,
    /// `signing-key`: deliveries of those forgeries an honest member accepted.
    pub forgeries_accepted: u64,
    /// `signing-key`: time from the compromise to the last accepted forgery (the forgery window), if any.
    pub forgery_window_us: Option<Micros>,
}

fn try_decrypt(
    imp: &mut Box<dyn Implementation>,
    sender: &senderkeys::MemberId,
    envelope: &[u8],
) -> Option<Vec<u8>> {
    let mut budget = WorkBudget::new(WORK_BUDGET_STEPS);
    match guarded(|| imp.decrypt(sender, envelope, &mut budget)) {
        Ok(Ok(accepted)) => Some(accepted.plaintext),
        _ => None,
    }
}

impl Sim<'_> {
    /// Whether `plaintext` is exactly message `id`.
    fn is_message(&self, id: usize, plaintext: &[u8]) -> bool {
        let sender = self.messages[id].sender;
        ground_truth::genuine(&self.messages, self.config.plaintext_bytes, plaintext, sender) == Some(id)
    }

    /// Every state the adversary holds tries the new envelope `id`.
    pub(super) fn adversary_attempts(&mut self, id: usize) {
        let sender = self.messages[id].sender;
        let sender_id = self.members[sender].id.clone();
        let at = self.at();
        let mut clones = std::mem::take(&mut self.adversary.clones);
        for clone in &mut clones {
            let Some(plaintext) = try_decrypt(&mut clone.imp, &sender_id, &self.messages[id].envelope) else {
                continue;
            };
            if !self.is_message(id, &plaintext) {
                continue;
            }
            // A member the server added is the server's, in the group or out of it: what its frozen state reads
            // after its removal, the server reads too.
            if let Holder::Departed(departed) = clone.holder
                && self.members[departed].controlled
            {
                self.record.observe(&Observation::ServerDecrypted {
                    at,
                    message: id,
                    sender,
                });
            }
            match clone.holder {
                Holder::Departed(departed) if !self.members[sender].knows_departed.contains(departed) => {
                    // The sender wrote it before it learned of the departure (it was offline or cut off):
                    // the invariant does not cover it; counted.
                    self.record.counts.departed_reads_before_sender_knew += 1;
                }
                Holder::Departed(departed) => {
                    let observation = Observation::DecryptedAfterDeparture {
                        at,
                        departed,
                        message: id,
                        sender,
                    };
                    self.record.observe(&observation);
                }
                Holder::Compromised(index) => {
                    let exposure = &mut self.adversary.exposures[index];
                    exposure.after += 1;
                    *exposure.after_by_sender.entry(sender).or_default() += 1;
                    exposure.window_us = Some(self.now - exposure.compromised_at_us);
                }
            }
        }
        self.adversary.clones = clones;
        self.server_attempt(id, &sender_id);
    }

    fn server_attempt(&mut self, id: usize, sender_id: &senderkeys::MemberId) {
        let Some(mut server) = self.adversary.server.take() else {
            return;
        };
        if let Some(plaintext) = try_decrypt(&mut server, sender_id, &self.messages[id].envelope)
            && self.is_message(id, &plaintext)
        {
            let at = self.at();
            let sender = self.messages[id].sender;
            self.record.observe(&Observation::ServerDecrypted {
                at,
                message: id,
                sender,
            });
        }
        self.adversary.server = Some(server);
    }

    /// A curious or malicious server reads a distribution it stores or relays in plaintext.
    pub(super) fn server_reads_distribution(&mut self, from: usize, bytes: &[u8]) {
        let from_id = self.members[from].id.clone();
        if let Some(server) = &mut self.adversary.server {
            let mut budget = WorkBudget::new(WORK_BUDGET_STEPS);
            let _ = guarded(|| server.process_distribution(&from_id, bytes, &mut budget));
        }
    }

    /// Clones a member's exported state, or records why it could not.
    pub(super) fn clone_state(&mut self, member: usize) -> Option<Box<dyn Implementation>> {
        let state = self.members[member].imp.export();
        match self.factory.import(&state) {
            Ok(mut imp) => {
                if let Some(memo) = &self.memo {
                    imp.use_memo(memo);
                }
                Some(imp)
            }
            Err(rejection) => {
                self.operation_failed(member, "import", &rejection.reason);
                None
            }
        }
    }

    /// The adversary obtains `member`'s state. A full snapshot is tried on every envelope sent before (forward
    /// secrecy) and kept to try on every envelope sent after (exposure until healing). A signing key is used with
    /// an insider's copy of the victim's chain to forge in the victim's name (the forgery window).
    pub(super) fn compromise(&mut self, member: usize, scope: CompromiseScope, insider: Option<usize>) {
        if self.members.get(member).is_none_or(|m| m.departed) {
            return;
        }
        self.record
            .trace
            .record(self.now, format_args!("compromise m{member} {scope:?}"));
        let at = self.at();
        self.record
            .observe(&Observation::Compromised { at, member, scope });
        let index = self.adversary.exposures.len();
        let compromised_at_us = self.now;
        self.adversary.exposures.push(Exposure {
            member,
            scope,
            compromised_at_us,
            before_allowed: 0,
            after: 0,
            after_by_sender: BTreeMap::new(),
            window_us: None,
            healing_us: None,
            insider: None,
            forgeries_attempted: 0,
            forgeries_accepted: 0,
            forgery_window_us: None,
        });
        if scope == CompromiseScope::SigningKey {
            self.adversary.unhealed.push(BTreeSet::from([member]));
            return self.steal_signing_key(member, index, insider);
        }
        self.adversary.unhealed.push(self.active().collect());
        self.fact(Fact::Compromised { member, scope });
        let Some(mut snapshot) = self.clone_state(member) else {
            return;
        };
        for id in 0..self.messages.len() {
            self.try_past_message(&mut snapshot, member, id, index);
        }
        self.adversary.clones.push(AdversaryClone {
            holder: Holder::Compromised(index),
            imp: snapshot,
        });
    }

    /// `member` rotated or left: the chains of it the adversary knew are replaced.
    pub(super) fn healed(&mut self, member: usize) {
        for (exposure, unhealed) in self
            .adversary
            .exposures
            .iter_mut()
            .zip(&mut self.adversary.unhealed)
        {
            if unhealed.remove(&member) && unhealed.is_empty() {
                exposure.healing_us = Some(self.now - exposure.compromised_at_us);
            }
        }
    }

    fn steal_signing_key(&mut self, victim: usize, exposure: usize, insider: Option<usize>) {
        let Some(key) = self.members[victim].imp.signing_key() else {
            return self.without_effect(format!("m{victim} has no signing key to steal"));
        };
        let eligible =
            |m: usize, sim: &Self| m != victim && !sim.members[m].departed && !sim.members[m].controlled;
        let insider = match insider {
            Some(i) if self.members.get(i).is_some() && eligible(i, self) => i,
            Some(i) => {
                return self.without_effect(format!(
                    "insider m{i} is not a current member other than the victim: no forgery"
                ));
            }
            None => match (0..self.members.len()).find(|&m| eligible(m, self)) {
                Some(i) => i,
                None => return self.without_effect("no insider to forge with".to_owned()),
            },
        };
        self.adversary.exposures[exposure].insider = Some(insider);
        self.fact(Fact::Compromised {
            member: victim,
            scope: CompromiseScope::SigningKey,
        });
        self.adversary.stolen.push(Stolen {
            exposure,
            victim,
            insider,
            key: Zeroizing::new(key),
            finished: false,
        });
        let settle = 2 * self.config.network.latency_max.max(1) + 1;
        let stolen = self.adversary.stolen.len() - 1;
        self.schedule(self.now + settle, Event::Forgery { stolen });
    }

    /// After each message of a victim whose signing key was stolen, the insider forges one in its name once the
    /// message has settled, until one attempt after the victim's rotation.
    pub(super) fn schedule_stolen_key_forgeries(&mut self, sender: usize) {
        let settle = 2 * self.config.network.latency_max.max(1) + 1;
        let due: Vec<usize> = (0..self.adversary.stolen.len())
            .filter(|&i| self.adversary.stolen[i].victim == sender && !self.adversary.stolen[i].finished)
            .collect();
        for stolen in due {
            self.schedule(self.now + settle, Event::Forgery { stolen });
        }
    }

    /// One forgery with a stolen signing key, delivered to every member but the victim and the insider.
    pub(super) fn forge_with_stolen_key(&mut self, stolen: usize) {
        let s = &self.adversary.stolen[stolen];
        let (victim, insider, exposure) = (s.victim, s.insider, s.exposure);
        if s.finished || self.members[insider].departed || self.members[victim].departed {
            self.adversary.stolen[stolen].finished = true;
            return;
        }
        let healed = self.adversary.exposures[exposure].healing_us.is_some();
        let text = format!("forged as m{victim} with its stolen signing key").into_bytes();
        let victim_id = self.members[victim].id.clone();
        let (imp, rng) = (&self.members[insider].imp, &mut self.adversary_rng);
        let key = &self.adversary.stolen[stolen].key;
        match guarded(|| imp.forge_as(&victim_id, Some(key), rng, &text)) {
            Ok(Ok(bytes)) => {
                self.adversary.exposures[exposure].forgeries_attempted += 1;
                self.record.trace.record(
                    self.now,
                    format_args!("forgery as m{victim} by m{insider} (stolen signing key)"),
                );
                let crafted = super::attack::Crafted::WithKeys {
                    exposure: Some(exposure),
                };
                self.deliver_in_name_of(victim, Attacker::Member(insider), bytes.into(), crafted);
                self.adversary.stolen[stolen].finished = healed;
            }
            Ok(Err(rejection)) => {
                self.operation_failed(insider, "forge-as", &rejection.reason);
                self.adversary.stolen[stolen].finished = true;
            }
            Err(panic) => {
                self.operation_failed(insider, "forge-as", &format!("panicked: {panic}"));
                self.adversary.stolen[stolen].finished = true;
            }
        }
    }

    fn try_past_message(
        &mut self,
        snapshot: &mut Box<dyn Implementation>,
        victim: usize,
        id: usize,
        index: usize,
    ) {
        if self.messages[id].by_adversary {
            // The adversary wrote it: it is no secret of anyone's.
            return;
        }
        let sender = self.messages[id].sender;
        let sender_id = self.members[sender].id.clone();
        let Some(plaintext) = try_decrypt(snapshot, &sender_id, &self.messages[id].envelope) else {
            return;
        };
        if !self.is_message(id, &plaintext) {
            return;
        }
        let consumed = self.messages[id].delivered.contains(victim);
        if consumed {
            let at = self.at();
            self.record.observe(&Observation::DecryptedBeforeCompromise {
                at,
                victim,
                message: id,
                sender,
            });
        } else {
            self.adversary.exposures[index].before_allowed += 1;
        }
    }

    /// Schedules the join-secrecy probe: once the newcomer has processed the distributions it was given.
    pub(super) fn schedule_join_probe(&mut self, newcomer: usize) {
        let settle = 2 * self.config.network.latency_max.max(1) + 1;
        self.schedule(
            self.now + settle,
            Event::JoinProbe {
                newcomer,
                joined_at: self.now,
            },
        );
    }

    /// A clone of the newcomer's state tries every envelope sent before it joined.
    pub(super) fn join_probe(&mut self, newcomer: usize, joined_at: Micros) {
        if self.members[newcomer].departed {
            return;
        }
        let Some(mut probe) = self.clone_state(newcomer) else {
            return;
        };
        let earlier: Vec<usize> = (0..self.messages.len())
            .filter(|&id| {
                let message = &self.messages[id];
                message.sent_at < joined_at && message.sender != newcomer && !message.by_adversary
            })
            .collect();
        for id in earlier {
            let sender = self.messages[id].sender;
            let sender_id = self.members[sender].id.clone();
            let Some(plaintext) = try_decrypt(&mut probe, &sender_id, &self.messages[id].envelope) else {
                continue;
            };
            if self.is_message(id, &plaintext) {
                let at = self.at();
                self.record.observe(&Observation::DecryptedBeforeJoin {
                    at,
                    newcomer,
                    message: id,
                    sender,
                });
            }
        }
    }
}
