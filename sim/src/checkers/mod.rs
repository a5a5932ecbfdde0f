//! Invariant checkers, one per file, one per invariant of the threat model (`docs/threat-model.md`).
//!
//! The engine reports what happens as [`Observation`]s; each checker keeps what it needs and, at the end, gives
//! a verdict. A checker that does not apply to a run says `not-applicable`, with the reason, never `holds`.

mod authenticity;
mod bounded_state;
pub(crate) mod delivery;
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

/// What kind of failure breaking an invariant is: it decides the exit status of a run whose expectations an
/// unexpected violation of it breaks (`cli`'s exit statuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureClass {
    /// A security property broke: a secret read, a forgery or replay accepted, state changed by a rejected input,
    /// work or memory beyond the design's bound.
    Safety,
    /// The implementation panicked or its adapter died: a remote crash.
    Crash,
    /// Something that should have happened did not: a message never decrypted after faults stopped.
    Liveness,
}

/// One invariant's definition, kept in its checker's file: the checker file and one [`Invariant`] entry are all an
/// invariant takes.
#[derive(Debug)]
pub struct Definition {
    /// The stable name (scenario files, reports, `--invariant`).
    pub name: &'static str,
    /// What it says, in one line (`sksim list`).
    pub description: &'static str,
    /// What kind of failure breaking it is.
    pub class: FailureClass,
    /// A fresh checker for one run.
    checker: fn() -> Box<dyn Checker>,
}

/// The invariants of the threat model (`docs/threat-model.md`), in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invariant {
    /// `post-removal-secrecy`.
    PostRemovalSecrecy,
    /// `forward-secrecy`.
    ForwardSecrecy,
    /// `join-secrecy`.
    JoinSecrecy,
    /// `server-blindness`.
    ServerBlindness,
    /// `authenticity`.
    Authenticity,
    /// `replay-rejection`.
    ReplayRejection,
    /// `failure-atomicity`.
    FailureAtomicity,
    /// `bounded-state`.
    BoundedState,
    /// `no-crash`.
    NoCrash,
    /// `delivery`.
    Delivery,
}

impl Invariant {
    /// Every invariant, in the threat model's order (the order of reports and tables).
    pub const ALL: [Invariant; 10] = [
        Invariant::PostRemovalSecrecy,
        Invariant::ForwardSecrecy,
        Invariant::JoinSecrecy,
        Invariant::ServerBlindness,
        Invariant::Authenticity,
        Invariant::ReplayRejection,
        Invariant::FailureAtomicity,
        Invariant::BoundedState,
        Invariant::NoCrash,
        Invariant::Delivery,
    ];

    /// Its definition, from its checker's file.
    pub const fn definition(self) -> &'static Definition {
        match self {
            Invariant::PostRemovalSecrecy => &post_removal_secrecy::DEFINITION,
            Invariant::ForwardSecrecy => &forward_secrecy::DEFINITION,
            Invariant::JoinSecrecy => &join_secrecy::DEFINITION,
            Invariant::ServerBlindness => &server_blindness::DEFINITION,
            Invariant::Authenticity => &authenticity::DEFINITION,
            Invariant::ReplayRejection => &replay_rejection::DEFINITION,
            Invariant::FailureAtomicity => &failure_atomicity::DEFINITION,
            Invariant::BoundedState => &bounded_state::DEFINITION,
            Invariant::NoCrash => &no_crash::DEFINITION,
            Invariant::Delivery => &delivery::DEFINITION,
        }
    }

    /// The stable name, e.g. `post-removal-secrecy`.
    pub const fn name(self) -> &'static str {
        self.definition().name
    }

    /// What it says, in one line.
    pub const fn description(self) -> &'static str {
        self.definition().description
    }

    /// What kind of failure breaking it is.
    pub const fn class(self) -> FailureClass {
        self.definition().class
    }

    /// The invariant named `name` exactly, if any.
    pub fn named(name: &str) -> Option<Invariant> {
        Invariant::ALL.into_iter().find(|i| i.name() == name)
    }
}

impl core::fmt::Display for Invariant {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Invariant {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl PartialEq<&str> for Invariant {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// The stable names of the invariants, in the threat model's order (the names of [`Invariant::ALL`]).
pub const INVARIANTS: [&str; 10] = {
    let mut names = [""; 10];
    let mut i = 0;
    while i < names.len() {
        names[i] = Invariant::ALL[i].name();
        i += 1;
    }
    names
};

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
    /// The invariant.
    pub invariant: Invariant,
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
    invariant: Invariant,
    total: u64,
    kept: Vec<Violation>,
}

impl Tally {
    /// An empty tally for `invariant`.
    pub fn new(invariant: Invariant) -> Self {
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
        Checkers(Invariant::ALL.map(|i| (i.definition().checker)()).into())
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
        assert!(
            reports.iter().map(|r| r.invariant).eq(Invariant::ALL),
            "one checker per invariant, in order: each checker's tally names its own invariant"
        );
        reports
    }
}
