//! `delivery`: after the quiet phase, every honest member has decrypted every message sent while it was a member,
//! unless the network lost every copy for good.

use crate::ground_truth::SentMessage;

use super::{Checker, Definition, FailureClass, Invariant, InvariantReport, Observation, Tally};

/// The invariant this file checks.
pub(super) const DEFINITION: Definition = Definition {
    name: "delivery",
    description: "after faults stop, every member decrypts every message sent while it was a member",
    class: FailureClass::Liveness,
    checker: || Box::<Delivery>::default(),
};

/// The delivery rule: the (message, receiver) pairs a run owes at its end — every message of a sender still in
/// the group, to every member still in the group that the sender knew of when it sent (`expected`) and at which a
/// copy arrived. Copies the network lost for good are not owed, nor copies sksim's own queue of envelopes waiting
/// for a key discarded at its bound (`discarded`); nor are the messages of a sender that left or was
/// removed (receivers delete what they held of it, as the designs require), nor those of an insider that sent the
/// group key material the adversary made of its own (`honest` is false for it: an insider that corrupts its own
/// key loses its own messages by its own hand). The engine reports each owed pair that was not decrypted as an
/// [`Observation::Undelivered`].
pub fn owed<'a>(
    messages: &'a [SentMessage],
    present: impl Fn(usize) -> bool + Copy + 'a,
    honest: impl Fn(usize) -> bool + Copy + 'a,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    messages
        .iter()
        .enumerate()
        .filter(move |(_, message)| present(message.sender) && honest(message.sender))
        .flat_map(move |(id, message)| {
            message
                .expected
                .iter()
                .filter(move |&to| {
                    present(to) && message.arrived.contains(to) && !message.discarded.contains(to)
                })
                .map(move |to| (id, to))
        })
}

/// Collects the messages the engine found undelivered at the end.
#[derive(Debug)]
pub struct Delivery(Tally);

impl Default for Delivery {
    fn default() -> Self {
        Delivery(Tally::new(Invariant::Delivery))
    }
}

impl Checker for Delivery {
    fn observe(&mut self, observation: &Observation<'_>) {
        if let Observation::Undelivered {
            at,
            receiver,
            message,
            sender,
            last_reason,
        } = observation
        {
            let reason =
                format!("m{receiver} never decrypted message {message} from m{sender} ({last_reason})");
            self.0.violation(*at, reason);
        }
    }

    fn finish(self: Box<Self>) -> InvariantReport {
        self.0.report(true, None)
    }
}
