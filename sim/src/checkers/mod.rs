//! Invariant checkers, one per file, one per invariant of the threat model (`docs/threat-model.md`).
//!
//! The engine reports what happens as [`Observation`]s; each checker keeps what it needs and, at the end, gives
//! a verdict. A checker that does not apply to a run says `not-applicable`, with the reason, never `holds`.

mod authenticity;
mod bounded_state;
mod delivery;
mod failure_atomicity;
mod forward_secrecy;
mod join_secrecy;
mod no_crash;
mod post_removal_secrecy;
mod replay_rejection;
mod server_blindness;

use serde::Serialize;

use crate::limits::VIOLATIONS_KEPT_MAX;
use crate::time::Micros;

/// The stable names of the invariants, in the threat model's order.
pub const INVARIANTS: [&str; 10] = [
    "post-removal-secrecy",
    "forward-secrecy",
    "join-secrecy",
    "server-blindness",
    "authenticity",
    "replay-rejection",
    "failure-atomicity",
    "bounded-state",
    "no-crash",
    "delivery",
];

/// Where in a run something happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct At {
    /// Index of the event in the trace.
    pub event: u64,
    /// Virtual time, microseconds.
    pub time_us: Micros,
}

/// Something a checker may care about.
#[derive(Debug)]
pub enum Observation<'a> {
    /// A member accepted a message.
    Accepted {
        /// When.
        at: At,
        /// Who accepted it.
        receiver: usize,
        /// Who the implementation shows as its sender (`None`: not a member).
        claimed: Option<usize>,
        /// The message it really is, if it is exactly one that `claimed` sent.
        genuine: Option<usize>,
        /// False if `receiver` had already accepted that message.
        first: bool,
        /// What it shows.
        plaintext: &'a [u8],
    },
    /// An external adapter crashed or hung (its process was stopped).
    AdapterFailed {
        /// When.
        at: At,
        /// What happened (operation, member, exit status, what sksim did).
        detail: &'a str,
    },
    /// An implementation panicked.
    Panicked {
        /// When.
        at: At,
        /// Whose implementation.
        member: usize,
        /// During which operation.
        operation: &'static str,
        /// The panic message.
        message: &'a str,
    },
    /// A member was removed or left; from now on its frozen state belongs to the adversary.
    Departed {
        /// When.
        at: At,
        /// Who.
        member: usize,
    },
    /// The adversary, holding a departed member's state, decrypted a message its sender wrote after processing the
    /// departure.
    DecryptedAfterDeparture {
        /// When.
        at: At,
        /// Whose frozen state.
        departed: usize,
        /// The message.
        message: usize,
        /// Its sender.
        sender: usize,
    },
    /// The server reads what it relays and stores (curious or malicious).
    ServerReads {
        /// The start of the run.
        at: At,
    },
    /// The server decrypted a message.
    ServerDecrypted {
        /// When.
        at: At,
        /// The message.
        message: usize,
        /// Its sender.
        sender: usize,
    },
    /// The adversary obtained a member's state.
    Compromised {
        /// When.
        at: At,
        /// Whose.
        member: usize,
        /// What it obtained.
        scope: crate::config::CompromiseScope,
    },
    /// A compromised snapshot decrypted a message its member had already consumed before the compromise.
    DecryptedBeforeCompromise {
        /// When.
        at: At,
        /// The compromised member.
        victim: usize,
        /// The message.
        message: usize,
        /// Its sender.
        sender: usize,
    },
    /// A member joined.
    Joined {
        /// When.
        at: At,
        /// Who.
        member: usize,
    },
    /// A newcomer's state decrypted a message sent before it joined.
    DecryptedBeforeJoin {
        /// When.
        at: At,
        /// The newcomer.
        newcomer: usize,
        /// The message.
        message: usize,
        /// Its sender.
        sender: usize,
    },
    /// A member was given an input the engine knew must be rejected (a copy of a message it had accepted, or an
    /// attack input) and rejected it — or wrongly accepted it; its state was compared before and after.
    RejectionChecked {
        /// When.
        at: At,
        /// Who.
        member: usize,
        /// Whether its exported state changed.
        changed: bool,
        /// The rejection reason (or "wrongly accepted").
        reason: &'a str,
    },
    /// An operation took more work than the protocol allows, or its receiver's cache outgrew its bound.
    Unbounded {
        /// When.
        at: At,
        /// Whose implementation.
        member: usize,
        /// What exceeded which bound.
        what: String,
    },
    /// At the end of the run, a member had not decrypted a message although a copy arrived.
    Undelivered {
        /// The end of the run.
        at: At,
        /// Who should have decrypted it.
        receiver: usize,
        /// The message.
        message: usize,
        /// Its sender.
        sender: usize,
        /// The last rejection reason, or why there was none.
        last_reason: &'a str,
    },
}

/// A verdict on one invariant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Checked, and never violated.
    Holds,
    /// Checked, and violated at least once.
    Violated,
    /// Does not apply to this run (e.g. post-removal secrecy when nobody left).
    NotApplicable,
}

/// One violation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Event index.
    pub event: u64,
    /// Virtual time, microseconds.
    pub time_us: Micros,
    /// One line saying what went wrong.
    pub reason: String,
}

/// What one checker found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvariantReport {
    /// The invariant's stable name.
    pub invariant: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// Why it does not apply, when so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How many violations there were.
    pub violations_total: u64,
    /// The first [`VIOLATIONS_KEPT_MAX`] of them.
    pub violations: Vec<Violation>,
}

/// Collects violations for one invariant.
#[derive(Debug)]
pub struct Tally {
    invariant: &'static str,
    total: u64,
    kept: Vec<Violation>,
}

impl Tally {
    /// An empty tally for `invariant`.
    pub fn new(invariant: &'static str) -> Self {
        Tally {
            invariant,
            total: 0,
            kept: Vec::new(),
        }
    }

    /// Records a violation.
    pub fn violation(&mut self, at: At, reason: String) {
        self.total += 1;
        if self.kept.len() < VIOLATIONS_KEPT_MAX {
            self.kept.push(Violation {
                event: at.event,
                time_us: at.time_us,
                reason,
            });
        }
    }

    /// The report: violated if any violation, else holds — or not applicable when `applies` is false.
    pub fn report(self, applies: bool, note: Option<String>) -> InvariantReport {
        let verdict = match (applies, self.total) {
            (false, _) => Verdict::NotApplicable,
            (true, 0) => Verdict::Holds,
            (true, _) => Verdict::Violated,
        };
        InvariantReport {
            invariant: self.invariant,
            verdict,
            note,
            violations_total: self.total,
            violations: self.kept,
        }
    }
}

/// One invariant's checker.
pub trait Checker {
    /// Looks at one observation.
    fn observe(&mut self, observation: &Observation<'_>);
    /// The verdict at the end of the run.
    fn finish(self: Box<Self>) -> InvariantReport;
}

/// Every checker of a run.
pub struct Checkers(Vec<Box<dyn Checker>>);

impl Default for Checkers {
    fn default() -> Self {
        Checkers(vec![
            Box::new(post_removal_secrecy::PostRemovalSecrecy::default()),
            Box::new(forward_secrecy::ForwardSecrecy::default()),
            Box::new(join_secrecy::JoinSecrecy::default()),
            Box::new(server_blindness::ServerBlindness::default()),
            Box::new(authenticity::Authenticity::default()),
            Box::new(replay_rejection::ReplayRejection::default()),
            Box::new(failure_atomicity::FailureAtomicity::default()),
            Box::new(bounded_state::BoundedState::default()),
            Box::new(no_crash::NoCrash::default()),
            Box::new(delivery::Delivery::default()),
        ])
    }
}

impl Checkers {
    /// Hands an observation to every checker.
    pub fn observe(&mut self, observation: &Observation<'_>) {
        for checker in &mut self.0 {
            checker.observe(observation);
        }
    }

    /// Every invariant's report, in the threat model's order.
    pub fn finish(self) -> Vec<InvariantReport> {
        let reports: Vec<InvariantReport> = self.0.into_iter().map(Checker::finish).collect();
        debug_assert!(
            reports.iter().map(|r| r.invariant).eq(INVARIANTS),
            "one checker per invariant, in order"
        );
        reports
    }
}
