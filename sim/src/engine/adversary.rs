//! The adversary: it holds clones of every state it obtained — departed members' frozen states, compromised
//! members' snapshots, and (for a curious or malicious server) a state fed with every distribution the server
//! can read — and really tries to decrypt every envelope with each of them.

use serde::Serialize;

use super::{Event, Sim, guarded};
use crate::checkers::Observation;
use crate::config::{CompromiseScope, WORK_BUDGET_STEPS};
use crate::ground_truth;
use crate::implementation::{Implementation, WorkBudget};
use crate::policy::Micros;

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
    /// Time from the compromise to the last message it exposed (the exposure window), if any.
    pub window_us: Option<Micros>,
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
            match clone.holder {
                Holder::Departed(departed) => {
                    let observation = Observation::DecryptedAfterDeparture {
                        at,
                        departed,
                        message: id,
                        sender,
                    };
                    self.checkers.observe(&observation);
                }
                Holder::Compromised(index) => {
                    let exposure = &mut self.adversary.exposures[index];
                    exposure.after += 1;
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
            self.checkers.observe(&Observation::ServerDecrypted {
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
            Ok(imp) => Some(imp),
            Err(rejection) => {
                self.operation_failed(member, "import", &rejection.reason);
                None
            }
        }
    }

    /// The adversary obtains `member`'s state. A full snapshot is tried on every envelope sent before (forward
    /// secrecy) and kept to try on every envelope sent after (exposure until healing).
    pub(super) fn compromise(&mut self, member: usize, scope: CompromiseScope) {
        if self.members.get(member).is_none_or(|m| m.departed) {
            return;
        }
        self.trace
            .record(self.now, format_args!("compromise m{member} {scope:?}"));
        let at = self.at();
        self.checkers
            .observe(&Observation::Compromised { at, member, scope });
        let index = self.adversary.exposures.len();
        let compromised_at_us = self.now;
        self.adversary.exposures.push(Exposure {
            member,
            scope,
            compromised_at_us,
            before_allowed: 0,
            after: 0,
            window_us: None,
        });
        if scope == CompromiseScope::SigningKey {
            return; // a signing key alone decrypts nothing; forgery attacks use it
        }
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

    fn try_past_message(
        &mut self,
        snapshot: &mut Box<dyn Implementation>,
        victim: usize,
        id: usize,
        index: usize,
    ) {
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
            self.checkers.observe(&Observation::DecryptedBeforeCompromise {
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
            .filter(|&id| self.messages[id].sent_at < joined_at && self.messages[id].sender != newcomer)
            .collect();
        for id in earlier {
            let sender = self.messages[id].sender;
            let sender_id = self.members[sender].id.clone();
            let Some(plaintext) = try_decrypt(&mut probe, &sender_id, &self.messages[id].envelope) else {
                continue;
            };
            if self.is_message(id, &plaintext) {
                let at = self.at();
                self.checkers.observe(&Observation::DecryptedBeforeJoin {
                    at,
                    newcomer,
                    message: id,
                    sender,
                });
            }
        }
    }
}
