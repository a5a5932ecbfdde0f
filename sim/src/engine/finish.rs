//! The end of a run: the pairs the delivery rule says are owed (`checkers::delivery::owed`) reported, the
//! report assembled from what the engine recorded (counts, facts, exposures, the checkers' verdicts, the trace
//! hash).

use super::Sim;
use crate::checkers::Observation;
use crate::facts::Fact;
use crate::report::{DistributionCause, DistributionCost, Report};

impl Sim<'_> {
    /// Judges delivery and builds the report.
    pub(super) fn finish(mut self) -> (Report, Option<Vec<String>>) {
        let (expected, delivered) = self.judge_delivery();
        let members_final = self.active().count();
        let rotation = self
            .record
            .counts
            .distributions_by_cause
            .get(&DistributionCause::Rotation)
            .copied()
            .unwrap_or_default();
        let rotations = self.record.counts.rotations;
        let distribution = DistributionCost {
            total: crate::report::Cost {
                messages: self
                    .record
                    .counts
                    .distributions_by_cause
                    .values()
                    .map(|c| c.messages)
                    .sum(),
                bytes: self
                    .record
                    .counts
                    .distributions_by_cause
                    .values()
                    .map(|c| c.bytes)
                    .sum(),
            },
            rotations,
            per_rotation: crate::report::Cost {
                messages: rotation.messages.checked_div(rotations).unwrap_or(0),
                bytes: rotation.bytes.checked_div(rotations).unwrap_or(0),
            },
        };
        self.take_incidents();
        let events = self.record.trace.events();
        let (trace_hash, lines) = self.record.trace.finish();
        let report = Report {
            seed: self.config.seed,
            implementation: self.factory.name(),
            policy: self.config.policy.to_string(),
            members_initial: self.config.members,
            members_final,
            events,
            trace_hash,
            counts: self.record.counts,
            exposures: self.adversary.exposures,
            distribution,
            delivery_ppm: (delivered * 1_000_000).checked_div(expected).unwrap_or(1_000_000),
            invariants: self.record.checkers.finish(),
            adapter: self.factory.adapter_report(),
            facts: self.record.facts,
        };
        (report, lines)
    }

    /// Reports every pair the delivery rule says the run owes (`checkers::delivery::owed`) that was not decrypted,
    /// with its last rejection reason, and records a loss under a key its receiver had dropped as a fact. Returns
    /// (owed, decrypted) counts.
    fn judge_delivery(&mut self) -> (u64, u64) {
        let (mut owed_total, mut delivered_total) = (0, 0);
        let at = self.at();
        let members = &self.members;
        let present = |m: usize| !members[m].departed;
        let honest = |m: usize| !members[m].misbehaved;
        for (id, to) in crate::checkers::delivery::owed(&self.messages, present, honest) {
            owed_total += 1;
            let message = &self.messages[id];
            if message.delivered.contains(to) {
                delivered_total += 1;
                continue;
            }
            let reason = self
                .last_reason
                .get(&(id, to))
                .map_or("never attempted", String::as_str);
            *self
                .record
                .counts
                .undecryptable
                .entry(reason.to_owned())
                .or_default() += 1;
            let retired = message
                .position
                .as_ref()
                .and_then(|p| self.retired.get(&(to, message.sender, p.key_id.clone())));
            if let Some(&retained) = retired {
                let fact = Fact::LostToRetiredKey {
                    receiver: to,
                    message: id,
                    sender: message.sender,
                    retained,
                };
                self.record.fact(self.now, fact);
            }
            let observation = Observation::Undelivered {
                at,
                receiver: to,
                message: id,
                sender: message.sender,
                last_reason: reason,
            };
            self.record.observe(&observation);
        }
        (owed_total, delivered_total)
    }
}
